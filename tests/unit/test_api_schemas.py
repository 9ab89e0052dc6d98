"""The API's decision is its own model, and says exactly what the domain decision says."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from aria.api.schemas import Decision, DecisionOut, SizingOut
from aria.sizing import decision as domain
from tests.builders import run
from tests.strategies import scenarios


def test_the_api_decision_is_not_the_domain_decision_but_has_its_fields_in_order() -> None:
    assert not issubclass(DecisionOut, domain.Decision)
    assert list(Decision.model_fields) == list(domain.Decision.model_fields)
    assert list(DecisionOut.model_fields) == [*domain.Decision.model_fields, "decision_id"]


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_a_decision_reads_the_same_through_the_api(document: dict[str, object]) -> None:
    decided = run(document)
    expected = decided.model_dump(mode="json")
    assert Decision.of(decided).model_dump(mode="json") == expected
    body = DecisionOut.stored("d-1", decided)
    assert body.model_dump(mode="json") == {**expected, "decision_id": "d-1"}
    # Byte for byte, in the order clients have always seen, inside the sizing answer too.
    answer = SizingOut.model_construct(request_id="r", replayed=False, decisions=[body])
    sent = json.loads(answer.model_dump_json())["decisions"][0]
    assert list(sent) == [*expected, "decision_id"]
    assert body.model_dump_json() == decided.model_dump_json()[:-1] + ',"decision_id":"d-1"}'
