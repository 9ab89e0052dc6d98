from __future__ import annotations

import datetime as dt
import textwrap
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from firms.catalog import Catalog, builtin_files, load_catalog, parse_firm
from firms.errors import RuleFileError, UnknownFirm, UnknownPhase, UnknownPlan, UnknownSize
from firms.model import Confidence

REQUIRED = [
    ("ftmo", "2-step"),
    ("ftmo", "1-step"),
    ("the5ers", "high-stakes"),
    ("fundednext", "stellar-2-step"),
    ("fundingpips", "2-step"),
    ("topstep", "trading-combine"),
    ("apex", "evaluation"),
    ("apex", "pa"),
    ("alpha", "pro-8"),
    ("e8", "one"),
]


def test_every_builtin_file_validates_on_its_own() -> None:
    files = builtin_files()
    assert len(files) >= 8
    for name, text in files:
        firm = parse_firm(tomllib.loads(text), name)
        assert firm.plans, f"{name} has no plans"
        assert name == f"{firm.id}.toml"


@pytest.mark.parametrize(("firm", "plan"), REQUIRED)
def test_required_plans_are_in_the_catalog(catalog: Catalog, firm: str, plan: str) -> None:
    assert catalog.plan(firm, plan).id == plan


def test_every_plan_resolves_for_every_phase_and_size(catalog: Catalog) -> None:
    count = 0
    for firm, plan in catalog.plans():
        for phase in plan.phases:
            for size in plan.sizes:
                rules = catalog.rule_set(firm.id, plan.id, phase.id, size, plan.rulebook_version)
                assert rules.size == size
                assert rules.phase == phase
                count += 1
    assert count > 50


def test_every_block_names_a_source_and_when_it_was_read(catalog: Catalog) -> None:
    from aria.cli.firms import plan_blocks

    for firm, plan in catalog.plans():
        for name, block in plan_blocks(plan):
            where = (firm.id, plan.id, name)
            # A URL, or the section of the rules research when it printed no URL.
            prefixes = ("https://", "http://", "research §")
            assert all(s.startswith(prefixes) for s in block.source), where
            assert dt.date(2022, 1, 1) <= block.read_on <= dt.date(2026, 12, 31)
            if block.confidence is Confidence.UNCERTAIN:
                assert block.note, f"{where}: an uncertain block explains itself"


def test_lookup_errors_name_what_is_known(catalog: Catalog) -> None:
    with pytest.raises(UnknownFirm, match=r"known: .*ftmo"):
        catalog.firm("nofirm")
    with pytest.raises(UnknownPlan, match="2-step"):
        catalog.plan("ftmo", "3-step")
    with pytest.raises(UnknownPhase, match="challenge"):
        catalog.rule_set("ftmo", "2-step", "live", 100_000)
    with pytest.raises(UnknownSize, match="50,000"):
        catalog.rule_set("topstep", "trading-combine", "combine", 75_000)


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


NEW_FIRM = """
    id = "acme"
    name = "Acme Funding"
    reset = "17:00 America/New_York"

    [[plans]]
    id = "classic"
    name = "Acme Classic"
    rulebook_version = "2026-01"
    sizes = [50000]
    phases = [{ id = "evaluation", kind = "evaluation" }]

    [plans.daily_loss]
    anchor = "reset_balance"
    amount = { pct = 4 }
    source = "https://acme.example/rules"
    read_on = 2026-11-01
    confidence = "official"

    [plans.max_loss]
    trail = "none"
    amount = { pct = 8 }
    source = "https://acme.example/rules"
    read_on = 2026-11-01
    confidence = "official"
"""


def test_a_user_file_adds_a_firm(tmp_path: Path) -> None:
    catalog = load_catalog([write(tmp_path, NEW_FIRM)])
    rules = catalog.rule_set("acme", "classic", "evaluation", 50_000)
    assert rules.daily_loss.code == "D1"
    assert rules.reset.describe() == "17:00 America/New_York"
    assert "ftmo" in catalog.firms


def test_a_user_file_overrides_one_block_of_a_plan(tmp_path: Path) -> None:
    override = """
        id = "ftmo"
        [[plans]]
        id = "2-step"
        rulebook_version = "2024-11"
        [plans.max_loss]
        trail = "end_of_day_balance"
        amount = { pct = 10 }
        source = "https://ftmo.com/en/trading-objectives"
        read_on = 2026-11-20
        confidence = "official"
        note = "checked on the live page"
    """
    catalog = load_catalog([write(tmp_path, override)])
    rules = catalog.rule_set("ftmo", "2-step", "challenge", 100_000)
    assert rules.max_loss.code == "M2"
    assert rules.daily_loss.code == "D1"  # untouched blocks stay
    assert catalog.origins["ftmo"] == ("built-in ftmo.toml", str(tmp_path / "mine.toml"))


BROKEN = [
    (
        "unknown field",
        "speling = 1",
        "plan 'classic' (rulebook 2026-01): field daily_loss.speling: unknown field",
    ),
    (
        "negative percentage",
        "amount = { pct = -4 }",
        "field daily_loss.amount.pct: Input should be greater than 0",
    ),
    (
        "unknown time zone",
        'reset = "00:00 Mars/Olympus"',
        "field daily_loss.reset.zone: unknown time zone 'Mars/Olympus'",
    ),
    ("missing source", None, "field daily_loss.source: is required"),
]


@pytest.mark.parametrize(("case", "line", "message"), BROKEN, ids=[case for case, *_ in BROKEN])
def test_a_broken_user_file_is_refused_naming_file_plan_and_field(
    tmp_path: Path, case: str, line: str | None, message: str
) -> None:
    text = textwrap.dedent(NEW_FIRM)
    daily_source = (
        'source = "https://acme.example/rules"\nread_on = 2026-11-01\n'
        'confidence = "official"\n\n[plans.max_loss]'
    )
    if line is None:
        text = text.replace(daily_source, "[plans.max_loss]")
    elif line.startswith("amount"):
        text = text.replace("amount = { pct = 4 }", line)
    else:
        text = text.replace('anchor = "reset_balance"', f'anchor = "reset_balance"\n{line}')
    path = write(tmp_path, text)
    with pytest.raises(RuleFileError) as raised:
        load_catalog([path])
    assert str(path) in str(raised.value)
    assert "firm 'acme'" in str(raised.value)
    assert message in str(raised.value)


def test_invalid_toml_and_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="not valid TOML"):
        load_catalog([write(tmp_path, "id = ")])
    with pytest.raises(RuleFileError, match="cannot be read"):
        load_catalog([tmp_path / "absent.toml"])


def test_amount_by_size_and_codes() -> None:
    from firms.model import Amount

    amount = Amount(by_size={50_000: Decimal(2_000)})
    assert amount.resolve(Decimal(50_000)) == 2_000
    with pytest.raises(UnknownSize):
        amount.resolve(Decimal("50000.5"))
    with pytest.raises(ValueError, match="exactly one"):
        Amount(pct=Decimal(5), fixed=Decimal(100))
