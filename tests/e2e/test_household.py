"""An account's household through the faces: set on opening, changed and cleared, by the CLI
against a real SQLite file and by the API through the real HTTP stack."""

from __future__ import annotations

from freezegun import freeze_time

from tests.e2e.clients import Api, opened
from tests.e2e.test_cli_commands import aria, env

__all__ = ["env"]  # the CLI tests' fixture, used here too


@freeze_time("2026-06-02 09:00:00")
def test_cli_sets_changes_and_clears_the_household(env: dict[str, str]) -> None:
    aria(
        env,
        *("accounts", "create", "--id", "t-1", "--owner", "alice", "--firm", "tradeify"),
        *("--plan", "growth", "--phase", "funded", "--size", "50000", "--household", "home"),
    )
    moved = aria(env, "accounts", "update", "t-1", "--household", "flat-2", "--reason", "moved")
    assert moved.rstrip().endswith("; household flat-2")
    cleared = aria(env, "accounts", "update", "t-1", "--no-household", "--reason", "alone")
    assert "household" not in cleared


def test_api_sets_changes_and_clears_the_household(api: Api) -> None:
    assert opened(api, "a", household="home")["household"] == "home"
    assert api.client.get("/v1/accounts/a", headers=api.reader).json()["household"] == "home"
    changed = api.client.patch(
        "/v1/accounts/a", json={"household": "flat-2", "reason": "moved"}, headers=api.admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["household"] == "flat-2"
    cleared = api.client.patch("/v1/accounts/a", json={"household": None}, headers=api.admin)
    assert cleared.json()["household"] is None
    assert opened(api, "b")["household"] is None  # unset: the owner's own household


@freeze_time("2026-06-02 09:00:00")
def test_cli_warns_when_an_account_puts_the_household_past_the_firms_cap(
    env: dict[str, str],
) -> None:
    # Five funded Tradeify accounts per household: the sixth, another owner's, opens with a
    # warning naming the cap.
    outputs = [
        aria(
            env,
            *("accounts", "create", "--id", f"t-{index}", "--owner", owner),
            *("--firm", "tradeify", "--plan", "growth", "--phase", "funded", "--size", "50000"),
            *("--household", "home"),
        )
        for index, owner in enumerate(["alice"] * 5 + ["bob"])
    ]
    assert not any("warning" in output for output in outputs[:5])
    assert "opened t-5" in outputs[5]
    assert (
        "warning: household 'home' would hold 6 funded accounts at tradeify, which allows 5 per"
        " household"
    ) in " ".join(outputs[5].split())
