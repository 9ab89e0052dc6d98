"""``aria calendar`` as a user types it, and the news state in ``aria size`` and
``aria accounts show``."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from aria.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {"ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}"}
    assert runner.invoke(app, ["init"], env=values).exit_code == 0
    return values


def aria(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


WEEK = "time,currency,impact,title\n2026-06-02T09:01:00Z,USD,high,ISM Manufacturing PMI\n"


def test_a_broken_file_is_refused_whole_and_nothing_is_imported(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "week.csv"
    broken.write_text(WEEK + "2026-06-02T10:00:00Z,USD,huge,CPI\n", encoding="utf-8")
    output = aria(env, "calendar", "import", str(broken), code=2)
    assert "week.csv: line 3: unknown impact 'huge'" in output
    listed = aria(env, "calendar", "list", "--start", "2026-06-01", "--end", "2026-06-03")
    assert "ISM" not in listed  # the good line 2 was not imported either


def test_import_list_show_and_the_sample(env: dict[str, str], tmp_path: Path) -> None:
    week = tmp_path / "week.csv"
    week.write_text(WEEK, encoding="utf-8")
    assert "1 releases read, 1 new" in aria(env, "calendar", "import", str(week))
    assert "1 releases read, 0 new" in aria(env, "calendar", "import", str(week))
    listed = aria(env, "calendar", "list", "--start", "2026-06-02", "--currency", "usd")
    assert "ISM Manufacturing PMI" in listed
    sample = aria(env, "calendar", "import", "--sample")
    assert "sample-2026.csv: 8 releases read, 8 new" in sample
    december = aria(env, "calendar", "list", "--start", "2026-12-01", "--end", "2026-12-31")
    assert "2026-12-09 19:00" in december
    event_id = "148c596420e007598633439753dd2b18"  # the 9 December FOMC decision's identity
    assert "FOMC Statement" in aria(env, "calendar", "show", event_id)
    aria(env, "calendar", "show", "nope", code=2)


@freeze_time("2026-06-02 09:00:00")
def test_size_and_show_state_the_news_with_the_reason(env: dict[str, str], tmp_path: Path) -> None:
    week = tmp_path / "week.csv"
    week.write_text(WEEK, encoding="utf-8")
    aria(env, "calendar", "import", str(week))
    aria(
        env,
        "accounts",
        "create",
        "--id",
        "f1",
        "--owner",
        "al",
        "--firm",
        "ftmo",
        "--plan",
        "2-step",
        "--phase",
        "funded",
        "--size",
        "100000",
    )
    aria(env, "state", "push", "f1", "--balance", "100000", "--equity", "100000")
    # 09:00:00 is inside FTMO funded's window [08:59:00, 09:03:00] around the 09:01 release.
    sized = aria(
        env,
        "size",
        "--account",
        "f1",
        "--symbol",
        "EURUSD",
        "--side",
        "long",
        "--entry",
        "1.1",
        "--stop",
        "1.095",
        code=3,  # every account rejected
    )
    assert "news_window" in sized
    assert "forbids opening EURUSD inside the news window" in " ".join(sized.split())
    shown = " ".join(aria(env, "accounts", "show", "f1").split())
    assert "next news window: USD high 'ISM Manufacturing PMI'" in shown
