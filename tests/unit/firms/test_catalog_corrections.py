"""Catalog values corrected on 2026-11-30 where the catalog allowed more than the firm does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from firms.catalog import load_catalog
from firms.errors import InvalidOption
from firms.model import Confidence

CATALOG = load_catalog()
READ = dt.date(2026, 11, 30)


def test_alpha_pro_8_daily_loss_is_4_percent() -> None:
    rules = CATALOG.rule_set("alpha", "pro-8", "phase-1", 100_000)
    assert rules.daily_loss.amount is not None
    assert rules.daily_loss.amount.pct == Decimal(4)
    assert rules.daily_loss.read_on == READ
    pro10 = CATALOG.rule_set("alpha", "pro-10", "phase-1", 100_000)
    assert pro10.daily_loss.amount is not None
    assert pro10.daily_loss.amount.pct == Decimal(5)


@pytest.mark.parametrize(
    "plan", ["stellar-2-step", "stellar-1-step", "stellar-lite", "stellar-instant"]
)
def test_fundednext_funded_open_risk_is_3_percent_of_the_account_size(plan: str) -> None:
    rules = CATALOG.rule_set("fundednext", plan, "funded", 100_000)
    assert rules.limits is not None
    assert rules.limits.max_open_risk is not None
    assert rules.limits.max_open_risk.pct == Decimal(3)
    assert rules.limits.risk_of == "initial"
    # In profit, the cap stays 3% of the size, not of the larger balance.
    base = rules.limits.risk_base(rules.size, Decimal(120_000))
    assert rules.limits.max_open_risk.resolve(rules.size, base=base) == Decimal(3000)
    assert rules.limits.read_on == READ


@pytest.mark.parametrize("plan", ["2-step", "1-step", "2-step-pro", "zero"])
def test_fundingpips_master_loss_per_trade_is_3_percent_of_the_account_size(plan: str) -> None:
    rules = CATALOG.rule_set("fundingpips", plan, "funded", 100_000)
    assert rules.limits is not None
    assert rules.limits.max_risk_per_trade is not None
    assert rules.limits.max_risk_per_trade.pct == Decimal(3)
    assert rules.limits.risk_of == "initial"
    assert rules.limits.risk_base(rules.size, Decimal(110_000)) == Decimal(100_000)
    assert rules.limits.read_on == READ


def test_risk_limits_default_to_the_balance_where_the_firm_says_so() -> None:
    rules = CATALOG.rule_set("alpha", "pro-8", "phase-1", 100_000)
    assert rules.limits is not None
    assert rules.limits.risk_of == "balance"
    assert rules.limits.risk_base(rules.size, Decimal(90_000)) == Decimal(90_000)


def test_apex_hedging_group_is_every_us_index_future_and_its_micro() -> None:
    apex = CATALOG.firm("apex")
    assert apex.cross_account is not None
    assert apex.cross_account.correlated_groups == [
        ["ES", "NQ", "YM", "RTY", "EMD", "MES", "MNQ", "MYM", "M2K"]
    ]
    assert apex.cross_account.read_on == READ


def test_fundingpips_1_step_daily_loss_is_the_stricter_3_percent_and_uncertain() -> None:
    rules = CATALOG.rule_set("fundingpips", "1-step", "evaluation", 100_000)
    assert rules.daily_loss.amount is not None
    assert rules.daily_loss.amount.pct == Decimal(3)
    assert rules.daily_loss.confidence is Confidence.UNCERTAIN
    assert "amount" in rules.daily_loss.uncertain
    assert rules.daily_loss.read_on == READ


def test_e8_one_percentages_default_to_the_firms_and_are_chosen_per_account() -> None:
    default = CATALOG.rule_set("e8", "one", "evaluation", 100_000)
    assert default.daily_loss.amount is not None
    assert default.daily_loss.amount.pct == Decimal(3)
    assert default.max_loss.amount.pct == Decimal(6)
    assert default.options == {"daily_loss_pct": Decimal(3), "max_loss_pct": Decimal(6)}
    chosen = CATALOG.rule_set(
        "e8",
        "one",
        "funded",
        100_000,
        options={"daily_loss_pct": Decimal("4.0"), "max_loss_pct": 8},
    )
    assert chosen.daily_loss.amount is not None
    assert chosen.daily_loss.amount.pct == Decimal(4)
    assert chosen.max_loss.amount.pct == Decimal(8)
    assert chosen.options == {"daily_loss_pct": Decimal(4), "max_loss_pct": Decimal(8)}
    assert chosen.daily_loss.source == default.daily_loss.source  # provenance is kept


def test_an_option_outside_its_choices_or_undeclared_is_refused() -> None:
    with pytest.raises(InvalidOption, match="choose one of 2, 3, 4, 5"):
        CATALOG.rule_set("e8", "one", "evaluation", 100_000, options={"daily_loss_pct": 7})
    with pytest.raises(InvalidOption, match="has no option 'daily_loss_pct'"):
        CATALOG.rule_set("e8", "classic", "phase-1", 100_000, options={"daily_loss_pct": 4})


def test_an_options_default_must_be_the_plans_own_value() -> None:
    from firms.catalog import parse_firm
    from firms.errors import RuleFileError

    provenance = {"source": "t", "read_on": "2026-11-30", "confidence": "official"}
    plan = {
        "id": "p",
        "name": "P",
        "rulebook_version": "1",
        "sizes": [100000],
        "phases": [{"id": "a", "kind": "evaluation"}],
        "daily_loss": {"anchor": "reset_balance", "amount": {"pct": 3}, **provenance},
        "max_loss": {"trail": "none", "amount": {"pct": 10}, **provenance},
        "options": {
            "daily": {
                "sets": "daily_loss.amount.pct",
                "choices": [3, 4],
                "default": 4,
                **provenance,
            }
        },
    }
    with pytest.raises(RuleFileError, match="not its default 4"):
        parse_firm({"id": "x", "name": "X", "reset": "00:00 UTC", "plans": [plan]}, "t.toml")


@pytest.mark.parametrize("plan", ["2-step", "1-step", "2-step-pro", "zero"])
def test_fundingpips_master_entries_within_5_minutes_are_one_trade(plan: str) -> None:
    rules = CATALOG.rule_set("fundingpips", plan, "funded", 100_000)
    assert rules.limits is not None
    assert rules.limits.one_trade_within_seconds == 300
    # The re-entry window comes from a secondary source: it is marked uncertain.
    assert "one_trade_within_seconds" in rules.limits.uncertain
    assert rules.limits.read_on == READ


@pytest.mark.parametrize("plan", ["2-step", "1-step", "2-step-pro"])
def test_fundingpips_evaluations_have_no_per_trade_grouping(plan: str) -> None:
    firm = CATALOG.firm("fundingpips")
    first = next(p for p in firm.plans if p.id == plan).phases[0].id
    limits = CATALOG.rule_set("fundingpips", plan, first, 100_000).limits
    assert limits is None or limits.one_trade_within_seconds is None
