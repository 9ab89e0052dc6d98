"""``aria firms``, ``aria firms show`` and ``aria rules check`` as a user runs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aria.cli import app
from firms.catalog import Catalog

runner = CliRunner()


def test_firms_lists_every_plan_with_its_key_rules(catalog: Catalog) -> None:
    result = runner.invoke(app, ["firms"])
    assert result.exit_code == 0, result.output
    for firm, plan in catalog.plans():
        assert firm.name in result.output
        assert plan.id in result.output
    assert "D1 5% of initial" in result.output
    assert "M3" in result.output  # Topstep's locked end-of-day trailing floor
    assert "2026-11-21" in result.output


def test_firms_show_prints_rules_with_their_sources() -> None:
    result = runner.invoke(app, ["firms", "show", "ftmo", "1-step", "--size", "100000"])
    assert result.exit_code == 0, result.output
    assert "M2 10% of initial trailing end of day balance" in result.output
    assert "https://ftmo.com/au/?p=1671" in result.output
    assert "amount for 100,000: 10,000" in result.output
    assert "uncertain: anchor, pct_of" in result.output


def test_firms_show_a_firm_and_as_json() -> None:
    result = runner.invoke(app, ["firms", "show", "topstep"])
    assert result.exit_code == 0, result.output
    assert "17:00 America/Chicago" in result.output
    as_json = runner.invoke(app, ["firms", "show", "ftmo", "2-step", "--json"])
    assert as_json.exit_code == 0
    assert '"rulebook_version": "2024-11"' in as_json.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["firms", "show", "nofirm"], "unknown firm 'nofirm'"),
        (["firms", "show", "ftmo", "9-step"], "has no plan 9-step"),
        (
            ["firms", "show", "topstep", "trading-combine", "--size", "75000"],
            "no amount for an account of 75,000",
        ),
    ],
)
def test_unknown_names_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_rules_check_accepts_a_good_file_and_refuses_a_broken_one(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        textwrap.dedent("""
        id = "ftmo"
        reset = { time = "00:00", zone = "Europe/Prague" }
    """)
    )
    result = runner.invoke(app, ["rules", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert f"{good}: OK — FTMO" in result.output

    bad = tmp_path / "bad.toml"
    bad.write_text('id = "ftmo"\nreset = { time = "00:00", zone = "Europe/Nowhere" }\n')
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output
    assert "field reset.zone: unknown time zone 'Europe/Nowhere'" in result.output


def test_rule_files_from_the_environment_are_overlaid(tmp_path: Path) -> None:
    extra = tmp_path / "acme.toml"
    extra.write_text(
        textwrap.dedent("""
        id = "acme"
        name = "Acme Funding"
        reset = "17:00 America/New_York"
    """)
    )
    result = runner.invoke(app, ["firms", "show", "acme"], env={"ARIA_RULE_FILES": str(extra)})
    assert result.exit_code == 0, result.output
    assert "Acme Funding" in result.output


@pytest.mark.slow
def test_the_installed_script_runs() -> None:
    # The script sits beside the interpreter running the tests (the project's environment).
    script = shutil.which("aria", path=str(Path(sys.executable).parent))
    assert script is not None, "the aria console script is not installed"
    done = subprocess.run(
        [script, "firms"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "FTMO" in done.stdout
