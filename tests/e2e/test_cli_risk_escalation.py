"""``aria accounts show`` shows an escalating firm's open-risk cap in force and the count."""

from __future__ import annotations

from pathlib import Path

from freezegun import freeze_time
from typer.testing import CliRunner

from aria.cli import app

runner = CliRunner()


def aria(env: dict[str, str], *args: str) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


@freeze_time("2026-06-02 09:00:00")
def test_show_names_the_cap_in_force_and_the_violations(tmp_path: Path) -> None:
    env = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}"}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    aria(
        env,
        "accounts",
        "create",
        "--id",
        "fn-1",
        "--owner",
        "alice",
        "--firm",
        "fundednext",
        "--plan",
        "stellar-2-step",
        "--phase",
        "funded",
        "--size",
        "100000",
    )
    shown = aria(env, "accounts", "show", "fn-1")
    # 3 % of the initial 100,000 until the second violation.
    assert "open-risk cap 3,000.00; violations 0" in shown
    assert "from violation 2 the firm holds the account to 1% of initial" in shown
