"""PostgreSQL's two roles: the application role can append to the audit, never change it."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from aria.cli import app as cli
from aria.service import audit, maintenance
from aria.service.sizing import cancel
from storage.engine import make_engine
from storage.errors import StorageError
from storage.roles import AUDIT_TABLES, RolePlan, apply_roles, role_statements
from storage.schema import current_revision, head_revision, upgrade
from tests.builders import ask, open_account, push, utc
from tests.clocks import SettableClock
from tests.databases import POSTGRES_URL, make_context, require_postgres

pytestmark = pytest.mark.postgres
PASSWORD = "s3cret'pw"  # a quote, so the password's quoting is tested
runner = CliRunner()


@dataclass
class Roles:
    """A schema set up with an owner and an application role, and engines for each."""

    schema: str
    owner: str
    app: str
    as_owner: Engine
    as_app: Engine


@contextlib.contextmanager
def _scratch() -> Iterator[tuple[str, str, str, Engine]]:
    """A fresh schema (built to revision 0006 by the superuser) and two role names, dropped after."""
    require_postgres()
    tag = uuid.uuid4().hex[:10]
    schema, owner, app = f"aria_roles_{tag}", f"aria_owner_{tag}", f"aria_app_{tag}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    setup = make_engine(_in(POSTGRES_URL, schema))
    try:
        # The owner migrates on from here: the last revision's table is the owner's own.
        upgrade(setup, "0006")
        yield schema, owner, app, setup
    finally:
        setup.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            for role in (app, owner):
                exists = connection.execute(
                    sa.text("select 1 from pg_roles where rolname = :r"), {"r": role}
                ).first()
                if exists:
                    connection.execute(sa.text(f"DROP OWNED BY {role}"))
                    connection.execute(sa.text(f"DROP ROLE {role}"))
        admin.dispose()


def _in(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _url(role: str, schema: str) -> str:
    url = sa.engine.make_url(POSTGRES_URL).set(username=role, password=PASSWORD)
    return _in(url.render_as_string(hide_password=False), schema)


@pytest.fixture
def roles() -> Iterator[Roles]:
    with _scratch() as (schema, owner, app, setup):
        plan = RolePlan(owner, app, schema, PASSWORD, PASSWORD)
        for _ in range(2):  # idempotent
            with setup.begin() as connection:
                apply_roles(connection, plan)
        as_owner, as_app = make_engine(_url(owner, schema)), make_engine(_url(app, schema))
        try:
            yield Roles(schema, owner, app, as_owner, as_app)
        finally:
            as_owner.dispose()
            as_app.dispose()


def test_the_owner_migrates_and_the_app_can_only_append_to_the_audit(
    roles: Roles, clock: SettableClock
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        upgrade(roles.as_app)  # the application role may not migrate
    upgrade(roles.as_owner)
    assert current_revision(roles.as_app) == head_revision()
    ctx = make_context(roles.as_app, clock=clock)
    # The clock stands at 2026-06-02 09:00.
    open_account(ctx, "a")
    push(ctx, "a", 100_000, 100_000, utc(2026, 6, 2, 8, 59))
    first = ask(ctx, "r1", ["a"]).decisions[0]
    ask(ctx, "r2", ["a"])
    assert first.decision.approved
    cancel(ctx, first.decision_id)
    clock.tick(dt.timedelta(seconds=121))
    assert maintenance.expire_reservations(ctx).done == 1
    report = audit.verify(ctx)
    assert report.ok, report.problem
    refused = [
        *(f"UPDATE {table} SET account_id = account_id" for table in AUDIT_TABLES),
        *(f"DELETE FROM {table}" for table in AUDIT_TABLES),
        *(f"TRUNCATE {table}" for table in AUDIT_TABLES),
        "ALTER TABLE sizing_decisions DISABLE TRIGGER sizing_decisions_append_only",
        "ALTER TABLE rule_events DISABLE TRIGGER ALL",
        "ALTER TABLE state_records DISABLE TRIGGER state_records_append_only",
        "DROP TRIGGER rule_events_append_only ON rule_events",
        "ALTER TABLE rule_events OWNER TO CURRENT_USER",
        f"GRANT {roles.owner} TO {roles.app}",
        "CREATE TABLE sneaky (id int)",
        "UPDATE alembic_version SET version_num = '0001'",
    ]
    for statement in refused:
        with pytest.raises(DBAPIError) as caught, roles.as_app.begin() as connection:
            connection.execute(sa.text(statement))
        assert "append-only" not in str(caught.value), statement  # refused by rights, not trigger
    with roles.as_app.connect() as connection:
        inserted = connection.execute(sa.text("select count(*) from state_records")).scalar()
        assert inserted


def test_roles_need_two_plain_names() -> None:
    with pytest.raises(StorageError, match="two roles"):
        role_statements(RolePlan("aria", "aria"), [], [], set())
    with pytest.raises(StorageError, match="plain PostgreSQL name"):
        role_statements(RolePlan("aria; drop table x", "app"), [], [], set())


def test_aria_db_roles_then_init_as_two_roles() -> None:
    with _scratch() as (schema, owner, app, _):
        admin = {"ARIA_DATABASE_URL": _in(POSTGRES_URL, schema), "PW": PASSWORD}
        args = ["db", "roles", "--owner", owner, "--app", app, "--schema", schema]
        shown = runner.invoke(cli, [*args, "--password-env", "PW", "--dry-run"], env=admin)
        assert shown.exit_code == 0, shown.output
        assert f"GRANT SELECT, INSERT ON TABLE {schema}.rule_events TO {app};" in shown.output
        assert "s3cret" not in shown.output
        for _ in range(2):
            done = runner.invoke(
                cli, [*args, "--password-env", "PW", "--owner-password-env", "PW"], env=admin
            )
            assert done.exit_code == 0, done.output
        env = {
            "ARIA_DATABASE_URL": _url(app, schema),
            "ARIA_MIGRATION_DATABASE_URL": _url(owner, schema),
        }
        ready = runner.invoke(cli, ["db", "upgrade"], env=env)
        assert ready.exit_code == 0, ready.output
        assert f"revision {head_revision()}" in ready.output
        missing = runner.invoke(cli, [*args, "--password-env", "NOPE"], env=admin)
        assert missing.exit_code == 2
        assert "NOPE is not set" in missing.output


def test_roles_are_refused_on_sqlite(tmp_path: Path) -> None:
    env = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    result = runner.invoke(cli, ["db", "roles", "--owner", "o", "--app", "a"], env=env)
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
