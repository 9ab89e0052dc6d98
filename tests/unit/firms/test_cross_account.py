from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.model import Side
from firms.catalog import Catalog
from firms.cross_account import (
    ACCOUNT_COUNT,
    ALLOCATION,
    COPY,
    HEDGE,
    IDENTICAL,
    AccountRef,
    Contract,
    Exposure,
    account_count_findings,
    allocation_findings,
    copy_cap_findings,
    copy_findings,
    copy_permission,
    correlated,
    forbids_mini_and_micro,
    hedge_conflicts,
    identical_findings,
    identical_trades,
    mini_micro_conflict,
    same_instrument,
    scan_hedges,
    scan_identical,
)
from firms.model import (
    AccountCountCap,
    AllocationCap,
    CopyPolicy,
    CrossAccountRules,
    Permission,
    PhaseKind,
)

D = Decimal


def ref(
    catalog: Catalog,
    account_id: str,
    *,
    owner: str = "alice",
    firm: str = "ftmo",
    kind: PhaseKind = PhaseKind.FUNDED,
    size: int = 100_000,
    currency: str = "USD",
    strategy: str | None = None,
) -> AccountRef:
    rules = catalog.firm(firm).cross_account
    return AccountRef(account_id, owner, firm, kind, D(size), currency, rules, strategy)


def test_opposite_position_at_the_same_firm_is_a_cross_account_hedge(catalog: Catalog) -> None:
    long_b = Exposure(ref(catalog, "ftmo-b"), "EURUSD", Side.LONG)
    short_a = Exposure(ref(catalog, "ftmo-a"), "eurusd", Side.SHORT)
    (finding,) = hedge_conflicts(short_a, [long_b])
    assert finding.code == HEDGE == "cross_account_hedge"
    assert finding.account_id == "ftmo-a"
    assert finding.others == ("ftmo-b",)


def test_accounts_at_different_firms_are_not_a_hedge(catalog: Catalog) -> None:
    long_other_firm = Exposure(ref(catalog, "fn-1", firm="fundednext"), "EURUSD", Side.LONG)
    short_ftmo = Exposure(ref(catalog, "ftmo-a"), "EURUSD", Side.SHORT)
    assert hedge_conflicts(short_ftmo, [long_other_firm]) == ()


def test_same_side_other_owner_or_same_account_is_not_a_hedge(catalog: Catalog) -> None:
    short_a = Exposure(ref(catalog, "ftmo-a"), "EURUSD", Side.SHORT)
    held = [
        Exposure(ref(catalog, "ftmo-b"), "EURUSD", Side.SHORT),
        Exposure(ref(catalog, "ftmo-c", owner="bob"), "EURUSD", Side.LONG),
        Exposure(
            ref(catalog, "ftmo-a"), "EURUSD", Side.LONG
        ),  # within one account: allowed at FTMO
        Exposure(ref(catalog, "ftmo-d"), "GBPUSD", Side.LONG),
    ]
    assert hedge_conflicts(short_a, held) == ()


def test_equivalent_symbols_count_as_one_instrument() -> None:
    rules = CrossAccountRules(
        hedging_across_accounts=Permission.FORBIDDEN,
        equivalent_symbols=[["ES", "MES"]],
        source="https://example.com/rules",
        read_on="2026-11-21",
        confidence="official",
    )
    assert same_instrument("es", "MES", rules)
    assert not same_instrument("ES", "NQ", rules)
    a = AccountRef("a", "alice", "apex", PhaseKind.FUNDED, D(50_000), "USD", rules)
    b = AccountRef("b", "alice", "apex", PhaseKind.FUNDED, D(50_000), "USD", rules)
    assert hedge_conflicts(Exposure(a, "MES", Side.SHORT), [Exposure(b, "ES", Side.LONG)])


def test_compliance_scan_reports_both_sides(catalog: Catalog) -> None:
    exposures = [
        Exposure(ref(catalog, "ftmo-a"), "XAUUSD", Side.LONG),
        Exposure(ref(catalog, "ftmo-b"), "XAUUSD", Side.SHORT),
        Exposure(ref(catalog, "ftmo-c"), "EURUSD", Side.SHORT),
    ]
    assert sorted(f.account_id for f in scan_hedges(exposures)) == ["ftmo-a", "ftmo-b"]


def test_allocation_check_flags_accounts_past_ftmos_400k_cap(catalog: Catalog) -> None:
    accounts = [ref(catalog, f"ftmo-{i}") for i in range(1, 6)]  # 5 × 100k funded
    (finding,) = allocation_findings(accounts)
    assert finding.code == ALLOCATION == "allocation_cap"
    assert finding.account_id == "ftmo-5"
    assert finding.others == ("ftmo-1", "ftmo-2", "ftmo-3", "ftmo-4")
    assert "125%" in finding.detail


def test_allocation_cap_counts_only_funded_and_the_owner(catalog: Catalog) -> None:
    accounts = [ref(catalog, f"c-{i}", kind=PhaseKind.EVALUATION, size=200_000) for i in range(5)]
    accounts += [ref(catalog, "f-1", size=200_000), ref(catalog, "f-2", size=200_000)]
    accounts += [ref(catalog, "bob-1", owner="bob", size=200_000)]
    assert allocation_findings(accounts) == ()


def test_allocation_cap_uses_the_firms_currency_equivalents(catalog: Catalog) -> None:
    accounts = [
        ref(catalog, "usd", size=200_000),
        ref(catalog, "eur", size=200_000, currency="EUR"),
    ]
    # 200k/400k + 200k/320k = 112.5 % of the cap
    assert [f.account_id for f in allocation_findings(accounts)] == ["eur"]
    unknown = allocation_findings([ref(catalog, "sek", size=10_000, currency="SEK")])
    assert "no allocation cap in SEK" in unknown[0].detail


def test_strategy_scope_groups_across_owners(catalog: Catalog) -> None:
    accounts = [
        ref(catalog, "a1", owner="alice", size=200_000, strategy="breakout"),
        ref(catalog, "b1", owner="bob", size=200_000, strategy="breakout"),
        ref(catalog, "c1", owner="carol", size=200_000, strategy="breakout"),
    ]
    assert [f.account_id for f in allocation_findings(accounts)] == ["c1"]


def test_account_count_cap() -> None:
    rules = CrossAccountRules(
        hedging_across_accounts=Permission.FORBIDDEN,
        account_cap=AccountCountCap(count=2),
        source="https://example.com",
        read_on="2026-11-21",
        confidence="official",
    )
    accounts = [
        AccountRef(f"x{i}", "alice", "topstep", PhaseKind.FUNDED, D(50_000), "USD", rules)
        for i in range(3)
    ]
    accounts.append(
        AccountRef("e", "alice", "topstep", PhaseKind.EVALUATION, D(50_000), "USD", rules)
    )
    (finding,) = account_count_findings(accounts)
    assert finding.code == ACCOUNT_COUNT
    assert finding.account_id == "x2"


def test_copy_permission_matrix() -> None:
    policy = CopyPolicy(
        evaluation_to_evaluation=Permission.FORBIDDEN,
        funded_to_funded=Permission.ALLOWED,
        funded_to_evaluation=Permission.ALLOWED,
    )
    rules = CrossAccountRules(
        hedging_across_accounts=Permission.FORBIDDEN,
        copy_trading=policy,
        source="https://example.com",
        read_on="2026-11-21",
        confidence="official",
    )

    def account(account_id: str, kind: PhaseKind, owner: str = "alice") -> AccountRef:
        return AccountRef(account_id, owner, "e8", kind, D(100_000), "USD", rules)

    eval_a, eval_b = account("ea", PhaseKind.EVALUATION), account("eb", PhaseKind.EVALUATION)
    funded = account("f", PhaseKind.FUNDED)
    assert copy_permission(funded, eval_a, policy) is Permission.ALLOWED
    assert copy_permission(eval_a, funded, policy) is Permission.UNKNOWN
    assert (
        copy_permission(eval_a, account("x", PhaseKind.FUNDED, "bob"), policy)
        is Permission.FORBIDDEN
    )
    assert [f.account_id for f in copy_findings(eval_a, [eval_b, funded])] == ["eb", "f"]


# -- the identical-trading cap (The5ers: 500,000) and the copy-capital cap (FundedNext: 300,000)


def test_the5ers_identical_trades_up_to_exactly_the_cap_are_allowed(catalog: Catalog) -> None:
    accounts = [ref(catalog, f"t{i}", firm="the5ers", size=125_000) for i in range(4)]
    assert identical_findings(accounts) == ()  # 4 × 125,000 = 500,000: at the cap, not above


def test_one_unit_above_the_identical_trading_cap_is_refused(catalog: Catalog) -> None:
    accounts = [ref(catalog, f"t{i}", firm="the5ers", size=125_000) for i in range(3)]
    accounts.append(ref(catalog, "t3", firm="the5ers", size=125_001))
    (finding,) = identical_findings(accounts)
    assert finding.code == IDENTICAL == "identical_trading_cap"
    assert (finding.account_id, finding.firm) == ("t3", "the5ers")
    assert finding.others == ("t0", "t1", "t2")
    assert finding.detail == (
        "alice's accounts at the5ers taking this same trade would count 500,001.00 USD with t3"
        " (after t0, t1, t2), above the5ers's identical-trading cap of 500,000 USD"
    )


def test_signal_order_decides_who_is_refused_the_identical_trade(catalog: Catalog) -> None:
    big = ref(catalog, "big", firm="the5ers", size=400_000)
    small = [ref(catalog, f"s{i}", firm="the5ers", size=100_000) for i in range(2)]
    # Every account past the cap is refused, and each counts for those after it.
    assert [f.account_id for f in identical_findings([big, *small])] == ["s1"]
    assert [f.account_id for f in identical_findings([*small, big])] == ["big"]
    # One account alone is no identical trade, however large.
    assert identical_findings([ref(catalog, "one", firm="the5ers", size=900_000)]) == ()
    late = [ref(catalog, "one", firm="the5ers", size=900_000), small[0], small[1]]
    assert [f.account_id for f in identical_findings(late)] == ["s0", "s1"]


def test_other_owners_and_other_firms_do_not_count_towards_the_identical_cap(
    catalog: Catalog,
) -> None:
    accounts = [
        ref(catalog, "a1", firm="the5ers", size=300_000),
        ref(catalog, "bob", owner="bob", firm="the5ers", size=300_000),
        ref(catalog, "ftmo", firm="ftmo", size=200_000),
        ref(catalog, "fn", firm="fundednext", kind=PhaseKind.EVALUATION, size=200_000),
        ref(catalog, "a2", firm="the5ers", size=200_000),
    ]
    assert identical_findings(accounts) == ()
    accounts.append(ref(catalog, "a3", firm="the5ers", size=1))
    (finding,) = identical_findings(accounts)
    assert (finding.account_id, finding.others) == ("a3", ("a1", "a2"))


def _rules(**caps: object) -> CrossAccountRules:
    return CrossAccountRules.model_validate(
        {
            "hedging_across_accounts": "forbidden",
            "source": "https://example.com",
            "read_on": "2026-11-21",
            "confidence": "official",
            **caps,
        }
    )


def test_the_identical_cap_counts_other_currencies_by_the_firms_equivalents() -> None:
    listed = AllocationCap(amount=D(400_000), equivalents={"EUR": D(320_000)})
    rules = _rules(identical_trading_cap=500_000, allocation_cap=listed)

    def account(account_id: str, size: int, currency: str) -> AccountRef:
        return AccountRef(account_id, "alice", "x", PhaseKind.FUNDED, D(size), currency, rules)

    # 240,000 EUR is 300,000 USD at the firm's 400,000 = 320,000: 200,000 + 300,000 = the cap.
    assert identical_findings([account("u", 200_000, "USD"), account("e", 240_000, "EUR")]) == ()
    (over,) = identical_findings([account("u", 200_001, "USD"), account("e", 240_000, "EUR")])
    assert "500,001.00 USD" in over.detail
    # No listed equivalent: the account cannot be counted, so it is not taken to fit.
    (unknown,) = identical_findings([account("u", 1, "USD"), account("k", 1, "SEK")])
    assert unknown.account_id == "k"
    assert "no equivalent of its USD caps in SEK" in unknown.detail
    (after,) = identical_findings([account("k", 1, "SEK"), account("u", 1, "USD")])
    assert after.account_id == "u"


def test_fundednext_copying_covers_at_most_300k_source_included(catalog: Catalog) -> None:
    def challenge(account_id: str, size: int, owner: str = "alice") -> AccountRef:
        return ref(
            catalog,
            account_id,
            owner=owner,
            firm="fundednext",
            kind=PhaseKind.EVALUATION,
            size=size,
        )

    at_cap = [challenge("src", 100_000), challenge("c1", 100_000), challenge("c2", 100_000)]
    assert copy_cap_findings(at_cap) == ()
    (finding,) = copy_cap_findings([*at_cap[:2], challenge("c2", 100_001)])
    assert finding.code == COPY == "copy_forbidden"
    assert (finding.account_id, finding.others) == ("c2", ("src", "c1"))
    assert finding.detail == (
        "copying src to c2 would have copied trades cover 300,001.00 USD of alice's accounts"
        " at fundednext (with src, c1), above fundednext's copy-capital cap of 300,000 USD"
    )
    # Another owner's account and another firm's are not counted; order decides who is refused.
    mixed = [
        challenge("src", 200_000),
        challenge("bob", 200_000, owner="bob"),
        ref(catalog, "ftmo", size=200_000),
        challenge("c1", 100_000),
        challenge("c2", 50_000),
    ]
    assert [f.account_id for f in copy_cap_findings(mixed)] == ["c2"]
    assert copy_cap_findings([challenge("alone", 200_000)]) == ()
    # A firm without a copy cap (The5ers) caps nothing here.
    the5ers = [ref(catalog, f"t{i}", firm="the5ers", size=200_000) for i in range(3)]
    assert copy_cap_findings(the5ers) == ()


# -- correlated markets, a product's mini and micro, households, identical open trades --------


def test_apex_correlated_markets_are_a_hedge_but_not_one_instrument(catalog: Catalog) -> None:
    rules = catalog.firm("apex").cross_account
    # ES and NQ: two products, one correlated group (US index futures) at Apex.
    assert correlated("ES", "nq", rules)
    assert not same_instrument("ES", "NQ", rules)
    assert correlated("MES", "M2K", rules)
    assert correlated("EMD", "MYM", rules)
    assert same_instrument("MNQ", "NQ", rules)  # a product and its micro
    assert not correlated("ES", "CL", rules)  # no energy group is sourced
    # A firm that lists no correlated group: ES against NQ is no hedge.
    assert not correlated("ES", "NQ", catalog.firm("tradeify").cross_account)
    short_mnq = Exposure(ref(catalog, "a", firm="apex"), "MNQ", Side.SHORT)
    long_es = Exposure(ref(catalog, "b", firm="apex"), "ES", Side.LONG)
    (finding,) = hedge_conflicts(short_mnq, [long_es])
    assert (finding.code, finding.account_id, finding.others) == (HEDGE, "a", ("b",))


def test_an_unset_correlated_group_and_mini_micro_rule_stay_out_of_the_dump() -> None:
    # Rule sets recorded before these fields existed keep the input hash they were answered
    # with; a set value is kept and read back.
    plain = CrossAccountRules(
        hedging_across_accounts=Permission.FORBIDDEN,
        source="https://example.com",
        read_on="2026-11-30",
        confidence="secondary",
    )
    dumped = plain.model_dump_json()
    assert "correlated_groups" not in dumped
    assert "mini_and_micro_together" not in dumped
    both = plain.model_copy(
        update={
            "correlated_groups": [["ES", "NQ"]],
            "mini_and_micro_together": Permission.FORBIDDEN,
        }
    )
    assert CrossAccountRules.model_validate_json(both.model_dump_json()) == both
    assert both.model_dump()["mini_and_micro_together"] is Permission.FORBIDDEN


def test_a_mini_and_its_micro_conflict_whichever_is_held() -> None:
    es, mes = Contract("ES", "ES"), Contract("MES", "ES")
    mnq, mcl = Contract("MNQ", "NQ"), Contract("MCL", "CL")
    assert mini_micro_conflict(mes, [mnq, es]) == es
    assert mini_micro_conflict(es, [mcl, mes]) == mes
    # The same contract, or another product's micro, is no mix.
    assert mini_micro_conflict(mes, [mes, mnq, mcl]) is None
    assert mini_micro_conflict(es, [es, Contract("NQ", "NQ")]) is None
    assert mes.is_micro
    assert not es.is_micro


def test_tradeify_forbids_the_mix_apex_does_not(catalog: Catalog) -> None:
    assert forbids_mini_and_micro(catalog.firm("tradeify").cross_account)
    assert not forbids_mini_and_micro(catalog.firm("apex").cross_account)
    assert not forbids_mini_and_micro(None)


def _funded(
    catalog: Catalog, firm: str, account_id: str, owner: str, household: str | None
) -> AccountRef:
    rules = catalog.firm(firm).cross_account
    return AccountRef(
        account_id, owner, firm, PhaseKind.FUNDED, D(50_000), "USD", rules, None, household
    )


def test_tradeify_counts_five_funded_accounts_per_household_across_owners(
    catalog: Catalog,
) -> None:
    # Alice 3 and Bob 3 funded Tradeify accounts in one household: 6 > 5, Bob's third is
    # flagged after the five before it.
    accounts = [_funded(catalog, "tradeify", f"a{i}", "alice", "home") for i in range(3)]
    accounts += [_funded(catalog, "tradeify", f"b{i}", "bob", "home") for i in range(3)]
    (finding,) = account_count_findings(accounts)
    assert finding.account_id == "b2"
    assert finding.others == ("a0", "a1", "a2", "b0", "b1")
    assert finding.detail == (
        "household 'home' would hold 6 funded accounts at tradeify, which allows 5 per household"
    )
    # Without a household each owner is their own: 3 and 3, nothing to flag.
    alone = [_funded(catalog, "tradeify", a.account_id, a.owner, None) for a in accounts]
    assert account_count_findings(alone) == ()


def test_an_owner_is_counted_whole_whatever_households_their_accounts_name(
    catalog: Catalog,
) -> None:
    # Alice's 6 funded accounts named in two households (3 + 3) are still 6 of hers: > 5.
    accounts = [_funded(catalog, "tradeify", f"a{i}", "alice", f"h{i % 2}") for i in range(6)]
    (finding,) = account_count_findings(accounts)
    assert finding.account_id == "a5"
    assert (
        finding.detail
        == "alice would hold 6 funded accounts at tradeify, which allows 5 per household"
    )


def test_a_per_trader_cap_ignores_households(catalog: Catalog) -> None:
    # Topstep caps Express Funded Accounts per trader: two owners of one household, 3 and 3
    # of them, are within Topstep's 5 each.
    cap = catalog.firm("topstep").cross_account
    assert cap is not None
    assert cap.account_cap is not None
    assert cap.account_cap.per == "trader"
    accounts = [_funded(catalog, "topstep", f"a{i}", "alice", "home") for i in range(3)]
    accounts += [_funded(catalog, "topstep", f"b{i}", "bob", "home") for i in range(3)]
    assert account_count_findings(accounts) == ()


def _open(
    catalog: Catalog, account_id: str, firm: str, minute: int | None, **kw: object
) -> Exposure:
    at = None if minute is None else dt.datetime(2026, 6, 2, 9, minute, tzinfo=dt.UTC)
    account = ref(catalog, account_id, firm=firm, **kw)  # type: ignore[arg-type]
    return Exposure(account, "EURUSD", Side.LONG, at)


def test_the5ers_open_positions_within_five_minutes_past_500k_are_identical_trading(
    catalog: Catalog,
) -> None:
    # Six 100,000 accounts long EURUSD, opened 2 minutes apart (chained within 5): one trade
    # of 600,000 > 500,000; the sixth to open is flagged after the other five.
    exposures = [_open(catalog, f"t{i}", "the5ers", 2 * i) for i in range(6)]
    (finding,) = scan_identical(exposures)
    assert (finding.code, finding.account_id) == (IDENTICAL, "t5")
    assert finding.others == ("t0", "t1", "t2", "t3", "t4")
    assert finding.detail == (
        "long EURUSD opened within 5 minutes on t0, t1, t2, t3, t4, t5: alice's accounts at"
        " the5ers taking this same trade would count 600,000.00 USD with t5 (after t0, t1, t2,"
        " t3, t4), above the5ers's identical-trading cap of 500,000 USD"
    )


def test_a_gap_past_five_minutes_splits_the_trade_and_a_position_without_time_joins_it(
    catalog: Catalog,
) -> None:
    # 09:00, 09:02, 09:04, 09:06, 09:08, then 09:14 (6 minutes later): 500,000 and 100,000,
    # neither above the cap.
    minutes = [0, 2, 4, 6, 8, 14]
    split = [_open(catalog, f"t{i}", "the5ers", m) for i, m in enumerate(minutes)]
    assert [len(t.accounts) for t in identical_trades(split)] == [5]
    assert scan_identical(split) == ()
    # Exactly 5 minutes apart still chains (09:08 → 09:13): one trade of 600,000.
    minutes[-1] = 13
    chained = [_open(catalog, f"t{i}", "the5ers", m) for i, m in enumerate(minutes)]
    assert [f.account_id for f in scan_identical(chained)] == ["t5"]
    # A position without an opening time cannot be shown apart: it joins the trade of five.
    untimed = [*split[:5], _open(catalog, "u", "the5ers", None)]
    (finding,) = scan_identical(untimed)
    assert finding.account_id == "t4"  # counted first, the untimed one moves the others on


def test_other_sides_owners_and_firms_are_other_trades(catalog: Catalog) -> None:
    five = [_open(catalog, f"t{i}", "the5ers", i) for i in range(5)]
    others = [
        Exposure(ref(catalog, "short", firm="the5ers"), "EURUSD", Side.SHORT, five[0].opened_at),
        _open(catalog, "bob", "the5ers", 1, owner="bob"),
        _open(catalog, "ftmo", "ftmo", 1),
        Exposure(ref(catalog, "gbp", firm="the5ers"), "GBPUSD", Side.LONG, five[0].opened_at),
    ]
    assert scan_identical([*five, *others]) == ()


def test_fundednext_challenges_holding_one_trade_past_300k_are_copy_forbidden(
    catalog: Catalog,
) -> None:
    # 100,000 + 100,000 + 100,000 + 50,000 = 350,000 > 300,000 copied: the fourth is flagged.
    sizes = [100_000, 100_000, 100_000, 50_000]
    exposures = [
        _open(catalog, f"c{i}", "fundednext", i, kind=PhaseKind.EVALUATION, size=size)
        for i, size in enumerate(sizes)
    ]
    (finding,) = scan_identical(exposures)
    assert (finding.code, finding.account_id) == (COPY, "c3")
    assert finding.detail.endswith(
        "copying c0 to c3 would have copied trades cover 350,000.00 USD of alice's accounts at"
        " fundednext (with c0, c1, c2), above fundednext's copy-capital cap of 300,000 USD"
    )


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.sampled_from(["alice", "bob", "carol"]), st.sampled_from([None, "h1", "h2"])),
        max_size=14,
    )
)
def test_counting_per_household_never_flags_fewer_accounts(
    catalog: Catalog, members: list[tuple[str, str | None]]
) -> None:
    # The household count is added to the owner's own: naming households can only flag more.
    with_households = [
        _funded(catalog, "tradeify", f"t{i}", owner, household)
        for i, (owner, household) in enumerate(members)
    ]
    alone = [_funded(catalog, "tradeify", a.account_id, a.owner, None) for a in with_households]
    flagged = {f.account_id for f in account_count_findings(with_households)}
    assert {f.account_id for f in account_count_findings(alone)} <= flagged


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alice", "bob"]),
            st.sampled_from([Side.LONG, Side.SHORT]),
            st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
        ),
        max_size=10,
    ),
    st.randoms(use_true_random=False),
)
def test_identical_trades_do_not_depend_on_the_order_positions_are_listed(
    catalog: Catalog, rows: list[tuple[str, Side, int | None]], rng: random.Random
) -> None:
    exposures = [
        Exposure(
            ref(catalog, f"t{i}", firm="the5ers", owner=owner),
            "EURUSD",
            side,
            None
            if minute is None
            else dt.datetime(2026, 6, 2, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=minute),
        )
        for i, (owner, side, minute) in enumerate(rows)
    ]
    shuffled = list(exposures)
    rng.shuffle(shuffled)

    def trades(listed: list[Exposure]) -> set[frozenset[str]]:
        found = identical_trades(listed)
        for trade in found:  # one owner, one firm, at least two accounts
            assert len({a.owner for a in trade.accounts}) == 1
            assert len(trade.accounts) >= 2
        return {frozenset(a.account_id for a in t.accounts) for t in found}

    assert trades(exposures) == trades(shuffled)
