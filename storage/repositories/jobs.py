"""The jobs aggregate: job-run claims and the scheduler's heartbeats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aria.stored import JobStatus
from storage.repositories.statements import HEARTBEATS, JOB_RUNS, insert


class JobRepository:
    """Job runs and heartbeats (``aria.service.ports.JobRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_many(self, job_id: str, run_keys: Sequence[str], at: dt.datetime) -> None:
        if not run_keys:
            return
        self.session.execute(
            insert(self.session, JOB_RUNS).on_conflict_do_nothing(
                index_elements=["job_id", "run_key"]
            ),
            [
                {
                    "job_id": job_id,
                    "run_key": key,
                    "claimed_at": at,
                    "status": "running",
                    "detail": {},
                }
                for key in run_keys
            ],
        )

    def claim(self, job_id: str, run_key: str, at: dt.datetime) -> bool:
        statement = (
            insert(self.session, JOB_RUNS)
            .values(job_id=job_id, run_key=run_key, claimed_at=at, status="running", detail={})
            .on_conflict_do_nothing(index_elements=["job_id", "run_key"])
            .returning(JOB_RUNS.c.id)
        )
        return self.session.execute(statement).first() is not None

    def finish(
        self, job_id: str, run_key: str, status: str, detail: dict[str, Any], at: dt.datetime
    ) -> None:
        self.session.execute(
            JOB_RUNS.update()
            .where(JOB_RUNS.c.job_id == job_id, JOB_RUNS.c.run_key == run_key)
            .values(status=status, detail=detail, finished_at=at)
        )

    def last_runs(self) -> dict[str, JobStatus]:
        rank = (
            sa.func.row_number()
            .over(
                partition_by=JOB_RUNS.c.job_id,
                order_by=(JOB_RUNS.c.claimed_at.desc(), JOB_RUNS.c.id.desc()),
            )
            .label("rank")
        )
        inner = sa.select(JOB_RUNS, rank).subquery()
        rows = self.session.execute(
            sa.select(*(inner.c[c.name] for c in JOB_RUNS.c)).where(inner.c.rank == 1)
        )
        return {
            r.job_id: JobStatus(r.job_id, r.run_key, r.claimed_at, r.finished_at, r.status)
            for r in rows
        }

    def beat(self, name: str, at: dt.datetime) -> None:
        statement = insert(self.session, HEARTBEATS).values(name=name, beat_at=at)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["name"], set_={"beat_at": statement.excluded.beat_at}
            )
        )

    def last_beat(self, name: str) -> dt.datetime | None:
        return self.session.scalar(sa.select(HEARTBEATS.c.beat_at).where(HEARTBEATS.c.name == name))
