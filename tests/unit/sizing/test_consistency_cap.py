"""The consistency cap: with the profile's ``limits.consistency_cap`` on, a trade's win at its
take-profit is kept within what today may still earn under the firm's best-day rule, decided
alike by the pipeline and the batch engine.

MES: 5 USD a point, 0.25 tick, whole lots, no costs in the ``aria`` preset. Entry 5,402.25,
stop 5,390.25 (12 points: 60 a lot at risk); a take-profit at 5,418.25 wins 16 points = 80 a
lot.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aria.sizing.batch import decide_batch
from aria.sizing.columns import prepare
from aria.sizing.decision import Decision, RejectCode
from aria.sizing.inputs import BestDayWindow, DecisionInputs
from aria.sizing.pipeline import decide
from aria.sizing.profiles import ProfileLimits
from tests.builders import FINE, NOW, inputs_of, scenario

D = Decimal
CAP_ON = {"preset": "aria", "account": {"limits": {"consistency_cap": True}}}


def document(
    firm: str = "topstep",
    plan: str = "trading-combine-x",
    phase: str = "combine",
    *,
    balance: int = 51_200,
    equity: int | None = None,
    take_profit: str | None = "5418.25",
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A 50K account whose day began at 50,000: today's closed profit is ``balance`` − 50,000."""
    request: dict[str, Any] = {
        "symbol": "MES",
        "side": "long",
        "entry": "5402.25",
        "stop": "5390.25",
    }
    if take_profit is not None:
        request["take_profit"] = take_profit
    return {
        "profile": copy.deepcopy(profile or CAP_ON),
        "firm": firm,
        "plan": plan,
        "account": {
            "id": f"{firm}-50k",
            "owner": "erin",
            "phase": phase,
            "size": 50_000,
            "balance": balance,
            "equity": equity if equity is not None else balance,
            "as_of": "2026-06-02T14:00:00Z",
            "day_start": {"balance": 50_000},
        },
        "instrument": "MES",
        "market": {"atr": "42", "atr_percentile": 55},
        "request": request,
    }


def inputs(doc: dict[str, Any], *windows: BestDayWindow) -> DecisionInputs:
    return inputs_of(doc).model_copy(update={"best_day_windows": windows})


def both(*items: DecisionInputs) -> list[Decision]:
    """Each account's decision, once the batch engine is seen to decide it alike."""
    first = items[0]
    batch = decide_batch(prepare(list(items)), first.request, first.instrument, first.market)
    decisions = [decide(item) for item in items]
    for index, decision in enumerate(decisions):
        scalar = (decision.status, decision.lots, tuple(decision.reject_codes), decision.binding)
        assert batch.summary(index) == scalar, f"account {index}"
    return decisions


def cap(decision: Decision) -> Any:
    (found,) = [c for c in decision.limits if c.name == "consistency_cap"]
    return found


# Topstep's Combine: best day ≤ 50 % of the 3,000 target = 1,500. Earlier days: +900, −500.
TOPSTEP = BestDayWindow(prior_net=D(400), prior_positive=D(900), today=D(1_200))


def test_topstep_caps_the_win_at_what_today_may_still_earn_of_the_target() -> None:
    """Today 1,200 closed: 1,500 − 1,200 = 300 more; 300 ÷ 80 a lot = 3.75 → 3 lots (the
    risk-based 1 % of 51,200 = 512 ÷ 60 = 8.53 lots, the 5-contract cap, clipped)."""
    (decision,) = both(inputs(document(), TOPSTEP))
    assert (decision.status, decision.lots, decision.binding) == (
        "approved",
        D(3),
        "consistency_cap",
    )
    assert cap(decision).max_lots == D("3.75")
    assert cap(decision).reason == (
        "topstep's pass rule: best day at most 50 % of the profit target: today's profit"
        " 1,200.00 may grow by 300.00; this trade wins 80.00 a lot at its take-profit"
    )


def test_floating_profit_counts_as_today_and_a_floating_loss_does_not() -> None:
    """Equity 51,300 on a 51,200 balance: 1,200 + 100 = 1,300 today, 200 more ÷ 80 = 2.5 → 2
    lots. Equity 51,000: the 200 floating loss may come back, so 1,200 stays: 3.75 → 3."""
    (gain,) = both(inputs(document(equity=51_300), TOPSTEP))
    assert (gain.lots, cap(gain).max_lots) == (D(2), D("2.5"))
    (loss,) = both(inputs(document(equity=51_000), TOPSTEP))
    assert (loss.lots, cap(loss).max_lots) == (D(3), D("3.75"))


def test_the_day_at_its_share_is_refused_with_the_rule_named() -> None:
    """Balance 51,500: 1,500 made today = 50 % of the target; no room."""
    today = TOPSTEP.model_copy(update={"today": D(1_500)})
    (decision,) = both(inputs(document(balance=51_500), today))
    assert decision.status == "rejected"
    assert decision.reject_codes == [RejectCode.CONSISTENCY_CAP]
    assert (
        "consistency_cap: topstep's pass rule: best day at most 50 % of the profit target:"
        " today's profit 1,500.00 may grow by 0.00; this trade wins 80.00 a lot at its"
        " take-profit"
    ) in decision.reasons


def test_the_larger_of_the_trades_and_the_balance_is_today() -> None:
    """Trades recorded 1,400 today while the balance shows 1,200 (a trade's fee not yet in
    it, say): 1,400 counts, 100 more ÷ 80 = 1.25 → 1 lot."""
    today = TOPSTEP.model_copy(update={"today": D(1_400)})
    (decision,) = both(inputs(document(), today))
    assert (decision.lots, cap(decision).max_lots) == (D(1), D("1.25"))


def test_without_a_take_profit_the_cap_does_not_bind_and_says_so() -> None:
    """No take-profit and no ratio to place one: 8.53 lots by risk → 8 (TopstepX counts ten MES
    as one contract: its 5 contracts allow 50 MES, far above)."""
    profile = {
        "preset": "aria",
        "account": {"limits": {"consistency_cap": True}, "stops": {"min_rr": None}},
    }
    (decision,) = both(inputs(document(take_profit=None, profile=profile), TOPSTEP))
    assert (decision.lots, decision.binding) == (D(8), None)
    assert "no take-profit bounds this trade's win, so it is not capped" in cap(decision).reason


def test_the_cap_is_off_unless_the_profile_asks() -> None:
    plain = {"preset": "aria"}
    (decision,) = both(inputs(document(profile=plain), TOPSTEP))
    assert (decision.lots, decision.binding) == (D(8), None)  # by risk, as without a target
    assert all(c.name != "consistency_cap" for c in decision.limits)
    assert "consistency_cap" not in ProfileLimits().model_dump()  # records keep their hash


def test_a_rule_whose_gate_is_not_judged_in_the_phase_does_not_cap() -> None:
    """Apex 4.0: the PA's 50 % payout rule is not judged in the evaluation (none there), and
    an Apex evaluation has no best-day rule of its own."""
    doc = document("apex", "eod-trail", "evaluation")
    (decision,) = both(inputs(doc, TOPSTEP))
    assert all(c.name != "consistency_cap" for c in decision.limits)


def test_tradeify_lightning_share_rises_with_each_payout() -> None:
    """Tradeify Lightning, since the last payout: 3,000 before today, 200 today; a take-profit
    40 points away wins 200 a lot.
    No payout yet, 20 %: (0.2 × 3,200 − 200) ÷ 0.8 = 440 ÷ 0.8 = 550 → 2.75 → 2 lots.
    After one, 25 %: (0.25 × 3,200 − 200) ÷ 0.75 = 600 ÷ 0.75 = 800 → 4 lots.
    """
    doc = document("tradeify", "lightning", "funded", balance=50_200, take_profit="5442.25")
    window = BestDayWindow(prior_net=D(3_000), prior_positive=D(3_000), today=D(200))
    first, after_one = both(
        inputs(doc, window), inputs(doc, window.model_copy(update={"payouts": 1}))
    )
    assert (first.lots, cap(first).max_lots) == (D(2), D("2.75"))
    assert "tradeify's payout rule: best day at most 20 % of total profit" in cap(first).reason
    assert (after_one.lots, cap(after_one).max_lots) == (D(4), D(4))


def test_a_capped_and_an_uncapped_account_in_one_fan_out() -> None:
    capped = inputs(document(), TOPSTEP)
    plain = inputs(document(profile={"preset": "aria"}), TOPSTEP)
    plain = plain.model_copy(update={"account": plain.account.model_copy(update={"id": "ts-2"})})
    decisions = both(capped, plain)
    assert [d.lots for d in decisions] == [D(3), D(8)]


def test_an_unset_window_is_left_out_of_the_recorded_inputs() -> None:
    unset = inputs_of(document())
    assert "best_day_windows" not in unset.model_dump()
    assert unset.input_hash() != inputs(document(), TOPSTEP).input_hash()


@settings(max_examples=60, deadline=None)
@given(
    lightning=st.booleans(),
    prior=st.integers(min_value=-1_000, max_value=20_000),
    today=st.integers(min_value=-800, max_value=2_500),
    floating=st.integers(min_value=-300, max_value=300),
    payouts=st.integers(min_value=0, max_value=3),
    ticks=st.integers(min_value=4, max_value=400),
)
def test_a_win_at_the_take_profit_keeps_the_best_day_within_its_share(
    lightning: bool, prior: int, today: int, floating: int, payouts: int, ticks: int
) -> None:
    """Whatever the window, today so far and the take-profit, the approved lots winning at
    the take-profit (and the open positions at today's floating profit) leave today's profit
    within the rule: ≤ c × (profit before today + today) of total profit (Tradeify
    Lightning, c by payout number), or ≤ 50 % × 3,000 of the target (Topstep)."""
    take_profit = D("5402.25") + D("0.25") * ticks
    firm = (
        ("tradeify", "lightning", "funded")
        if lightning
        else ("topstep", "trading-combine-x", "combine")
    )
    balance = 50_000 + today
    doc = document(*firm, balance=balance, equity=balance + floating, take_profit=str(take_profit))
    window = BestDayWindow(
        prior_net=D(prior), prior_positive=D(max(prior, 0)), today=D(today), payouts=payouts
    )
    (decision,) = both(inputs(doc, window))
    if not decision.approved:
        return
    day = D(today) + max(D(floating), D(0)) + decision.lots * (take_profit - D("5402.25")) * 5
    if day <= 0:
        return
    if lightning:
        share = [D(20), D(25), D(30), D(30)][payouts]
        assert day * 100 <= share * (D(prior) + day)
    else:
        assert day <= D(1_500)


PROVENANCE = {"source": ["https://example.com"], "read_on": "2026-11-30", "confidence": "official"}


def spot(kind: str, gate: str, target: int | None = None, cap_on: bool = True) -> dict[str, Any]:
    """A 10,000 account on inline rules with a 40 % best-day rule of total profit, its day
    begun at 10,000 and 300 made since; a spot instrument of 1 a point in whole lots, long at
    100, stop 95 (5 a lot at risk), take-profit 110 (10 a lot won). No contract cap: the
    fan-out decides such an account by itself unless a scalar-only limit applies."""
    rules: dict[str, Any] = {
        "name": "Best day",
        "phase_kind": kind,
        "consistency": [{**PROVENANCE, "max_best_day_pct": 40, "gate": gate}],
    }
    if target is not None:
        rules["objectives"] = {
            **PROVENANCE,
            "phases": {"evaluation": {"target": {"fixed": target}}},
        }
    return scenario(
        instrument={**FINE, "lot_step": 1, "min_lot": 1},
        profile=CAP_ON if cap_on else {"preset": "aria"},
        rules=rules,
        account={"balance": 10_300, "as_of": NOW, "day_start": {"balance": 10_000}},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": 95, "take_profit": 110},
    )


SPOT = BestDayWindow(prior_net=D(500), prior_positive=D(500), today=D(300))


def test_a_payout_rule_caps_a_funded_spot_account_in_both_engines() -> None:
    """(0.4 × (500 + 300) − 300) ÷ 0.6 = 20 ÷ 0.6 = 33.33 more; ÷ 10 a lot = 3.33 → 3 lots
    (the risk-based 1 % of 10,300 = 103 ÷ 5 = 20.6 lots, clipped)."""
    (decision,) = both(inputs(spot("funded", "payout"), SPOT))
    assert (decision.lots, decision.binding) == (D(3), "consistency_cap")
    assert cap(decision).max_lots == D("3.33333333")


def test_a_pass_rule_allows_at_least_the_targets_room() -> None:
    """A pass is judged with the 1,000 target made: 40 % of 1,000 − 300 = 100 more, above the
    33.33 of the profit so far; 100 ÷ 10 = 10 lots."""
    (decision,) = both(inputs(spot("evaluation", "pass", target=1_000), SPOT))
    assert (decision.lots, cap(decision).max_lots) == (D(10), D(10))


def test_a_payout_rule_does_not_cap_an_evaluation() -> None:
    (capped,) = both(inputs(spot("evaluation", "payout"), SPOT))
    (plain,) = both(inputs(spot("evaluation", "payout", cap_on=False), SPOT))
    assert all(c.name != "consistency_cap" for c in capped.limits)
    assert capped.lots == plain.lots == D(20)  # 20.6 by risk, in whole lots


def _rule(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    doc["rules"]["consistency"][0].update(changes)
    return doc


def test_without_a_window_only_today_counts() -> None:
    """No window given (the stricter reading: nothing made before today): today's 300 is the
    whole profit, so any win makes it 100 % of the profit, over the 40 %: refused."""
    (decision,) = both(inputs(spot("funded", "payout")))
    assert decision.reject_codes == [RejectCode.CONSISTENCY_CAP]
    assert "today's profit 300.00 may grow by 0.00" in cap(decision).reason


def test_without_a_window_no_payout_has_been_made() -> None:
    """After one payout this rule allows any day (100 %); with no window the account has made
    none, so the 40 % holds and today's 300 leaves no room."""
    doc = _rule(spot("funded", "payout"), after_payouts=[100])
    (decision,) = both(inputs(doc))
    assert decision.reject_codes == [RejectCode.CONSISTENCY_CAP]
    paid = BestDayWindow(prior_net=D(0), prior_positive=D(0), today=D(300), payouts=1)
    (after,) = both(inputs(doc, paid))
    assert after.approved
    assert all(c.name != "consistency_cap" for c in after.limits)


def test_a_positive_days_rule_counts_the_winning_days_before_today() -> None:
    """Of the sum of winning days: 900 won before today (500 net after a 400 losing day),
    300 today: (0.4 × (900 + 300) − 300) ÷ 0.6 = 180 ÷ 0.6 = 300 more; ÷ 10 = 30 lots, above
    the 20 the risk allows. Counted on the net 500 it would be 33.33 ÷ 10 = 3.33."""
    doc = _rule(spot("funded", "payout"), denominator="positive_days")
    window = BestDayWindow(prior_net=D(500), prior_positive=D(900), today=D(300))
    (decision,) = both(inputs(doc, window))
    assert cap(decision).max_lots == D(30)
    assert decision.lots == D(20)
