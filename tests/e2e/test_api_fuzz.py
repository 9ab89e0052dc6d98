"""Schema-driven fuzzing of the whole API (schemathesis, bounded): no 5xx, no answer off-schema."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aria.api.app import create_app
from aria.bootstrap import SystemClock
from aria.service import accounts as account_service
from aria.service.commands import CreateAccount, PushState
from aria.service.context import Context
from aria.service.keys import create_key
from aria.sizing.instruments import load_instruments
from firms.catalog import load_catalog
from storage.engine import make_engine
from storage.schema import upgrade
from storage.uow import SqlUnitOfWork, unit_of_work_factory

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "aria.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = unit_of_work_factory(engine)
    context = Context(
        uow=lambda: SqlUnitOfWork(sessions, SystemClock().now),
        clock=SystemClock(),
        catalog=load_catalog(),
        instruments=load_instruments(),
        tokens=secrets.token_hex,
    )
    TOKEN["admin"] = create_key(context, "fuzzer", ["admin"]).token
    account_service.create_account(
        context,
        CreateAccount(id="x", owner="o", firm="ftmo", plan="2-step", size=100_000),  # type: ignore[arg-type]
    )
    account_service.push_state(
        context,
        "x",
        PushState(balance=100_000, equity=100_000, as_of=SystemClock().now()),  # type: ignore[arg-type]
    )
    yield create_app(context)
    engine.dispose()


def no_pydantic_internals(ctx: Any, response: Any, case: Any) -> bool | None:
    """An error message speaks ARIA's words: no pydantic wording, error types or links."""
    if response.status_code < 400:
        return None
    text = response.text
    for leak in ("errors.pydantic.dev", "For further information visit", "[type=", "Value error,"):
        assert leak not in text, f"{case.method} {case.path} leaks {leak!r}: {text[:300]}"
    return None


CHECKS = [
    not_a_server_error,
    no_pydantic_internals,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 25  # per operation and generation mode


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> bool:
    """Fuzz one operation; ``False`` when it takes no input that could be made invalid."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"]
)
def test_no_input_causes_a_server_error_or_an_answer_off_the_schema(
    fuzzed_app: FastAPI, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    headers = {"Authorization": f"Bearer {TOKEN['admin']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    fuzzed = [operation.label for operation in operations if _fuzz(operation, mode, headers)]
    # Operations whose only input is a free-form path id (or none) have no invalid form.
    must = {
        "POST /v1/sizing",
        "POST /v1/accounts",
        "PUT /v1/accounts/{account_id}/state",
        "POST /v1/accounts/{account_id}/trades",
        "POST /v1/bars",
        "GET /v1/audit/decisions",
        "GET /v1/audit/events",
        "GET /v1/accounts",
    }
    assert must <= set(fuzzed), sorted(must - set(fuzzed))
