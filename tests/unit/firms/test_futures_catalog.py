"""The futures firms and added plans by value: floors for sample states, and the worked
examples the firms' own pages give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.model import AccountState, AssetClass, DayStart
from accounts.peaks import Peaks
from firms.catalog import Catalog
from firms.clock import WallClock
from firms.floors import daily_amount, daily_floor, max_loss_floor
from firms.model import BreachKind, PhaseKind, TrailBasis
from tests.builders import utc

D = Decimal


def eod(peaks: Peaks, *balances: int) -> Peaks:
    """Close one day per balance, each a day after the last thing the peaks saw."""
    for balance in balances:
        at = (peaks.as_of or utc(2026, 4, 1, 22)) + dt.timedelta(days=1)
        peaks = peaks.close_day(D(balance), at)
    return peaks


def day(balance: int, equity: int | None = None) -> DayStart:
    return DayStart.at(utc(2026, 6, 1, 22), D(balance), D(balance if equity is None else equity))


def intraday(peaks: Peaks, equity: int, balance: int | None = None) -> Peaks:
    at = (peaks.as_of or utc(2026, 4, 1, 22)) + dt.timedelta(hours=1)
    state = AccountState(balance=balance or peaks.closed_balance, equity=equity, as_of=at)
    return peaks.observe(state)


# -- Tradeify -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "size", "base", "raised"),
    [
        # The official DLL page's table: the balance required, and what the DLL becomes.
        ("growth", 50_000, 1250, 2000),
        ("growth", 100_000, 2500, 3500),
        ("growth", 150_000, 3750, 5000),
        ("lightning", 50_000, 1250, 2000),
        ("lightning", 100_000, 2500, 4000),
        ("lightning", 150_000, 3750, 6000),
    ],
)
def test_tradeify_funded_dll_rises_to_the_drawdown_at_6_percent(
    catalog: Catalog, plan: str, size: int, base: int, raised: int
) -> None:
    rules = catalog.rule_set("tradeify", plan, "funded", size)
    required = size * 106 // 100  # 53,000 / 106,000 / 159,000
    assert daily_amount(rules.daily_loss, rules.size, day(required - 1)) == D(base)
    assert daily_amount(rules.daily_loss, rules.size, day(required)) == D(raised)
    assert daily_floor(rules.daily_loss, rules.size, day(required)) == D(required - raised)
    assert rules.daily_loss.breach is BreachKind.SOFT


def test_tradeify_dll_increase_waits_for_the_next_session(catalog: Catalog) -> None:
    # "This goes into effect the following market session, and is not immediate": a day that
    # opened at 52,000 keeps 1,250 even when equity reaches 53,500 during it.
    rules = catalog.rule_set("tradeify", "growth", "funded", 50_000)
    assert daily_floor(rules.daily_loss, rules.size, day(52_000, 53_500)) == D(50_750)


def test_tradeify_growth_challenge_dll_does_not_grow(catalog: Catalog) -> None:
    rules = catalog.rule_set("tradeify", "growth", "challenge", 50_000)
    assert daily_amount(rules.daily_loss, rules.size, day(60_000)) == D(1250)


def test_tradeify_trail_locks_at_start_plus_100(catalog: Catalog) -> None:
    # Locks once the end-of-day balance exceeds start + drawdown + 100: 52,100 on 50K.
    rules = catalog.rule_set("tradeify", "growth", "funded", 50_000)
    start = Peaks.start(rules.size)
    assert max_loss_floor(rules.max_loss, rules.size, start) == D(48_000)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 51_000)) == D(49_000)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 52_100)) == D(50_100)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 58_000, 51_000)) == D(50_100)
    assert rules.flat_before_reset


# -- Take Profit Trader --------------------------------------------------------------------


def test_take_profit_trader_test_trails_end_of_day_and_stops_at_start(catalog: Catalog) -> None:
    rules = catalog.rule_set("takeprofittrader", "test", "test", 50_000)
    assert rules.daily_loss.active is False
    start = Peaks.start(rules.size)
    assert max_loss_floor(rules.max_loss, rules.size, start) == D(48_000)
    assert max_loss_floor(rules.max_loss, rules.size, intraday(start, 51_000)) == D(48_000)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 51_500)) == D(49_500)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 55_000)) == D(50_000)
    assert rules.target_amount() == D(3000)
    assert rules.limits is not None
    assert rules.limits.max_contracts is not None
    assert rules.limits.max_contracts.resolve(rules.size) == D(6)
    # 10× micros: 60 micros on 50K.
    assert rules.limits.contract_weight("MES", is_micro=True) == D("0.1")


@pytest.mark.parametrize("phase", ["pro", "pro-plus"])
def test_take_profit_trader_pro_trails_intraday_equity_without_a_lock(
    catalog: Catalog, phase: str
) -> None:
    rules = catalog.rule_set("takeprofittrader", "test", phase, 100_000)
    assert rules.max_loss.trail is TrailBasis.INTRADAY_EQUITY
    peaks = intraday(Peaks.start(rules.size), 104_500)
    assert max_loss_floor(rules.max_loss, rules.size, peaks) == D(101_500)


def test_take_profit_trader_pro_plus_news_is_flat_a_minute_each_side(catalog: Catalog) -> None:
    plan = catalog.plan("takeprofittrader", "test")
    (news,) = plan.news
    assert (news.before_minutes, news.after_minutes) == (1, 1)
    assert "hold" in news.actions
    assert news.phases == ["pro-plus"]


# -- MyFundedFutures ---------------------------------------------------------------------


def test_myfundedfutures_core_trails_3_percent_at_end_of_day(catalog: Catalog) -> None:
    rules = catalog.rule_set("myfundedfutures", "core", "evaluation", 50_000)
    assert rules.daily_loss.active is False
    peaks = eod(Peaks.start(rules.size), 51_000)
    assert max_loss_floor(rules.max_loss, rules.size, peaks) == D(49_500)
    assert rules.target_amount() == D(3000)


def test_myfundedfutures_rapid_trails_4_percent_intraday(catalog: Catalog) -> None:
    rules = catalog.rule_set("myfundedfutures", "rapid", "funded", 100_000)
    peaks = intraday(Peaks.start(rules.size), 103_000)
    assert max_loss_floor(rules.max_loss, rules.size, peaks) == D(99_000)


def test_myfundedfutures_pro_150k(catalog: Catalog) -> None:
    rules = catalog.rule_set("myfundedfutures", "pro", "evaluation", 150_000)
    assert max_loss_floor(rules.max_loss, rules.size, Peaks.start(rules.size)) == D(145_500)
    assert rules.target_amount() == D(9000)


# -- Lucid -------------------------------------------------------------------------------


def test_lucid_flex_evaluation_trails_and_the_funded_account_locks(catalog: Catalog) -> None:
    evaluation = catalog.rule_set("lucid", "flex", "evaluation", 50_000)
    funded = catalog.rule_set("lucid", "flex", "funded", 50_000)
    peaks = eod(Peaks.start(D(50_000)), 53_000)
    assert max_loss_floor(evaluation.max_loss, evaluation.size, peaks) == D(51_000)
    assert max_loss_floor(funded.max_loss, funded.size, peaks) == D(50_100)
    assert evaluation.target_amount() == D(3000)
    assert evaluation.daily_loss.active is False


def test_lucid_direct_is_funded_only_with_a_20_percent_cycle_cap(catalog: Catalog) -> None:
    plan = catalog.plan("lucid", "direct")
    assert [p.kind for p in plan.phases] == [PhaseKind.FUNDED]
    assert plan.consistency[0].max_best_day_pct == D(20)
    rules = catalog.rule_set("lucid", "direct", "funded", 150_000)
    assert max_loss_floor(rules.max_loss, rules.size, Peaks.start(rules.size)) == D(145_500)


# -- Alpha Futures -----------------------------------------------------------------------


def test_alpha_futures_mll_example_from_the_firm(catalog: Catalog) -> None:
    # 50K: starts at 48,000; a 50,500 close moves it to 48,500; from a 52,000 close it stays
    # at 50,000 "for as long as the account remains active".
    rules = catalog.rule_set("alpha-futures", "standard", "evaluation", 50_000)
    start = Peaks.start(rules.size)
    assert max_loss_floor(rules.max_loss, rules.size, start) == D(48_000)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 50_500)) == D(48_500)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 52_000)) == D(50_000)
    assert max_loss_floor(rules.max_loss, rules.size, eod(start, 56_000, 50_500)) == D(50_000)


def test_alpha_futures_daily_loss_guard_is_qualified_only_and_soft(catalog: Catalog) -> None:
    evaluation = catalog.rule_set("alpha-futures", "standard", "evaluation", 50_000)
    qualified = catalog.rule_set("alpha-futures", "standard", "qualified", 50_000)
    assert daily_floor(evaluation.daily_loss, evaluation.size, day(51_000)) is None
    # Opening at 51,000, the 2 % (1,000) guard triggers at 50,000.
    assert daily_floor(qualified.daily_loss, qualified.size, day(51_000)) == D(50_000)
    assert qualified.daily_loss.breach is BreachKind.SOFT
    assert evaluation.daily_reset == WallClock.parse("18:00 America/New_York")


def test_alpha_futures_advanced_is_3_5_percent_with_an_8_percent_target(catalog: Catalog) -> None:
    rules = catalog.rule_set("alpha-futures", "advanced", "evaluation", 100_000)
    assert max_loss_floor(rules.max_loss, rules.size, Peaks.start(rules.size)) == D(96_500)
    assert rules.target_amount() == D(8000)


# -- FundedNext Futures ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "size", "floor", "target"),
    [
        ("rapid", 25_000, 24_000, 1500),
        ("rapid", 50_000, 48_000, 3000),
        ("rapid", 100_000, 97_500, 5000),
        ("legacy", 25_000, 24_000, 1250),
        ("legacy", 50_000, 47_500, 2500),
        ("legacy", 100_000, 97_000, 6000),
    ],
)
def test_fundednext_futures_limits_and_targets(
    catalog: Catalog, plan: str, size: int, floor: int, target: int
) -> None:
    rules = catalog.rule_set("fundednext-futures", plan, "challenge", size)
    assert max_loss_floor(rules.max_loss, rules.size, Peaks.start(rules.size)) == D(floor)
    assert rules.target_amount() == D(target)
    assert rules.daily_loss.active is False


def test_fundednext_futures_trail_stops_at_the_initial_balance(catalog: Catalog) -> None:
    rules = catalog.rule_set("fundednext-futures", "rapid", "funded", 50_000)
    peaks = eod(Peaks.start(rules.size), 51_500)
    assert max_loss_floor(rules.max_loss, rules.size, peaks) == D(49_500)
    assert max_loss_floor(rules.max_loss, rules.size, eod(peaks, 54_000)) == D(50_000)


# -- Bulenox -----------------------------------------------------------------------------


def test_bulenox_option_1_trails_intraday_equity_without_a_daily_limit(catalog: Catalog) -> None:
    rules = catalog.rule_set("bulenox", "option-1", "qualification", 50_000)
    assert daily_floor(rules.daily_loss, rules.size, day(50_000)) is None
    peaks = intraday(Peaks.start(rules.size), 50_800)
    assert max_loss_floor(rules.max_loss, rules.size, peaks) == D(48_300)


def test_bulenox_option_2_has_a_soft_daily_limit_and_an_end_of_day_trail(
    catalog: Catalog,
) -> None:
    rules = catalog.rule_set("bulenox", "option-2", "master", 150_000)
    assert daily_floor(rules.daily_loss, rules.size, day(151_000)) == D(148_500)
    assert rules.daily_loss.breach is BreachKind.SOFT
    peaks = intraday(Peaks.start(rules.size), 153_000)
    assert max_loss_floor(rules.max_loss, rules.size, peaks) == D(145_500)
    assert max_loss_floor(rules.max_loss, rules.size, eod(peaks, 152_000)) == D(147_500)


# -- Apex 4.0 ----------------------------------------------------------------------------


def test_apex_resets_at_6_pm_new_york(catalog: Catalog) -> None:
    rules = catalog.rule_set("apex", "eod-trail", "evaluation", 50_000, "4.0")
    assert rules.daily_reset == WallClock.parse("18:00 America/New_York")
    assert "reset" not in rules.daily_loss.uncertain


def test_apex_4_pa_daily_limit_is_kept_and_marked_uncertain(catalog: Catalog) -> None:
    rules = catalog.rule_set("apex", "eod-trail", "pa", 50_000, "4.0")
    assert daily_floor(rules.daily_loss, rules.size, day(51_000)) == D(50_000)
    assert rules.daily_loss.uncertain == ["amount"]
    assert max_loss_floor(rules.max_loss, rules.size, eod(Peaks.start(rules.size), 53_000)) == D(
        50_100
    )


def test_apex_legacy_evaluation_is_flat_by_4_59_pm_new_york(catalog: Catalog) -> None:
    plan = catalog.plan("apex", "evaluation", "legacy")
    (session,) = plan.sessions
    assert session.flat_by == WallClock.parse("16:59 America/New_York")
    assert not session.uncertain


# -- Topstep: micros on TopstepX ----------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "phase"), [("trading-combine-x", "combine"), ("express-funded", "express-funded")]
)
def test_topstep_x_counts_ten_micros_as_a_contract(catalog: Catalog, plan: str, phase: str) -> None:
    # "10:1 contract ratio … In a 50K account, you can trade up to 50 micros": 5 / 0.1 = 50.
    rules = catalog.rule_set("topstep", plan, phase, 50_000)
    assert rules.limits is not None
    assert rules.limits.contract_weight("MES", is_micro=True) == D("0.1")
    assert rules.limits.contract_weight("ES", is_micro=False) == D(1)
    # Micro Silver, Micro Bitcoin and Micro Ether "are weighted differently", by weights the
    # research does not give: each is kept at a full contract, and says so.
    for symbol in ("SIL", "MBT", "MET"):
        assert rules.limits.contract_weight(symbol, is_micro=True) == D(1)
    assert "contract_weights" in rules.limits.uncertain


def test_topstep_on_other_platforms_counts_a_micro_as_a_contract(catalog: Catalog) -> None:
    rules = catalog.rule_set("topstep", "trading-combine", "combine", 50_000)
    assert rules.limits is not None
    assert rules.limits.contract_weight("MES", is_micro=True) == D(1)


# -- added plans of covered firms --------------------------------------------------------


def test_ftmo_swing_has_standard_floors_and_swing_leverage(catalog: Catalog) -> None:
    rules = catalog.rule_set("ftmo", "2-step-swing", "funded", 100_000)
    assert daily_floor(rules.daily_loss, rules.size, day(101_000)) == D(96_000)
    assert max_loss_floor(rules.max_loss, rules.size, Peaks.start(rules.size)) == D(90_000)
    assert rules.limits is not None
    assert rules.limits.leverage[AssetClass.FX] == D(30)
    assert rules.limits.leverage[AssetClass.INDEX] == D(15)
    assert not catalog.plan("ftmo", "2-step-swing").news
    assert not rules.flat_before_reset


def test_fundingpips_2_step_3_percent_option(catalog: Catalog) -> None:
    # The 1-Step page's example shape, at 3 %: 107,000 × 0.97; the default stays 5 %.
    chosen = catalog.rule_set(
        "fundingpips", "2-step", "phase-1", 100_000, options={"daily_loss_pct": D(3)}
    )
    assert daily_floor(chosen.daily_loss, chosen.size, day(105_000, 107_000)) == D(103_790)
    default = catalog.rule_set("fundingpips", "2-step", "phase-1", 100_000)
    assert daily_floor(default.daily_loss, default.size, day(105_000, 107_000)) == D(101_650)


def test_alpha_swing(catalog: Catalog) -> None:
    rules = catalog.rule_set("alpha", "swing", "phase-1", 100_000)
    assert daily_floor(rules.daily_loss, rules.size, day(100_000, 101_000)) == D(95_000)
    assert max_loss_floor(rules.max_loss, rules.size, Peaks.start(rules.size)) == D(90_000)
    assert rules.target_amount() == D(10_000)
    assert rules.limits is not None
    assert rules.limits.max_total_lots is not None
    assert rules.limits.max_total_lots.resolve(rules.size) == D(20)


# -- every uncertain value says what is uncertain ----------------------------------------


NEW_FIRMS = (
    "takeprofittrader",
    "myfundedfutures",
    "tradeify",
    "lucid",
    "alpha-futures",
    "fundednext-futures",
    "bulenox",
)


@pytest.mark.parametrize("firm_id", NEW_FIRMS)
def test_every_uncertain_block_of_a_new_firm_explains_itself(
    catalog: Catalog, firm_id: str
) -> None:
    from aria.cli.firms import plan_blocks

    firm = catalog.firm(firm_id)
    blocks = [("cross_account", firm.cross_account)] if firm.cross_account else []
    for plan in firm.plans:
        blocks += plan_blocks(plan)
    for name, block in blocks:
        assert block is not None
        if block.is_uncertain:
            assert block.note, f"{firm_id} {name} is uncertain without a note"
