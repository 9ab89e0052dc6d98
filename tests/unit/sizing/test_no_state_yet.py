"""An account never pushed a state is refused in words; decisions recorded before that
wording keep the reason they were answered with, so they replay unchanged."""

from __future__ import annotations

from aria.sizing.decision import RejectCode
from aria.sizing.gates import NO_STATE_YET
from tests.builders import NOW, run, scenario


def test_no_state_pushed_yet_is_said_in_words() -> None:
    account = {"balance": 10000, "as_of": NO_STATE_YET.isoformat()}
    decided = run(scenario(account=account, now=NOW))
    assert RejectCode.STALE_DATA in decided.reject_codes
    assert any("no state pushed yet" in reason for reason in decided.reasons)
    assert not any("days" in reason for reason in decided.reasons)


def test_a_decision_recorded_before_keeps_its_age_reason() -> None:
    account = {"balance": 10000, "as_of": "1970-01-01T00:00:00Z"}
    decided = run(scenario(account=account, now=NOW))
    assert RejectCode.STALE_DATA in decided.reject_codes
    assert any("account state is" in r and "days" in r for r in decided.reasons)
