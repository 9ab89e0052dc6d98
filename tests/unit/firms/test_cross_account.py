from __future__ import annotations

from decimal import Decimal

from accounts.model import Side
from firms.catalog import Catalog
from firms.cross_account import (
    ACCOUNT_COUNT,
    ALLOCATION,
    HEDGE,
    AccountRef,
    Exposure,
    account_count_findings,
    allocation_findings,
    copy_findings,
    copy_permission,
    hedge_conflicts,
    same_instrument,
    scan_hedges,
)
from firms.model import AccountCountCap, CopyPolicy, CrossAccountRules, Permission, PhaseKind

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
