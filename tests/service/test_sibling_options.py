"""An owner's other accounts are seen under their own checkout options.

The built-in catalog's options only set loss percentages, which no other account reads. The
catalog below stands in for a plan whose checkout option also reaches its cross-account rules:
E8 One allows hedging across accounts at its default daily loss of 3% and forbids it for an
account that chose 4%. A trade opposing such an account is then refused only if that account
is seen with the option it chose, not with the plan's defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal

import pytest

from aria.service import sizing as sizing_service
from aria.service.commands import SizeRequest
from aria.service.context import Context
from firms.catalog import Catalog, load_catalog
from firms.model import Permission
from firms.ruleset import RuleSet
from tests.builders import ask, open_account, push, utc

D = Decimal
BASE = load_catalog()
LONG_GBPUSD = {"symbol": "GBPUSD", "side": "long", "lots": 1, "entry": "1.27", "stop": "1.26"}


@dataclasses.dataclass(frozen=True)
class _HedgingByOption(Catalog):
    """E8 One with hedging across accounts forbidden for an account on a 4% daily loss."""

    def rule_set(
        self,
        firm_id: str,
        plan_id: str,
        phase: str,
        size: Decimal | int,
        version: str | None = None,
        options: Mapping[str, Decimal] | None = None,
    ) -> RuleSet:
        rules = super().rule_set(firm_id, plan_id, phase, size, version, options)
        if rules.firm != "e8" or rules.plan != "one" or rules.cross_account is None:
            return rules
        chose_four = rules.options.get("daily_loss_pct") == D(4)
        hedging = Permission.FORBIDDEN if chose_four else Permission.ALLOWED
        cross = rules.cross_account.model_copy(update={"hedging_across_accounts": hedging})
        return rules.model_copy(update={"cross_account": cross})


@pytest.fixture
def e8_ctx(ctx: Context) -> Context:
    """The service context over the stand-in catalog."""
    return dataclasses.replace(
        ctx, catalog=_HedgingByOption(firms=BASE.firms, origins=BASE.origins)
    )


def _owner_with_sibling(ctx: Context, sibling_options: dict[str, int]) -> None:
    """Alice: ``e8-mine`` on the defaults, flat, and ``e8-sibling`` holding GBPUSD long."""
    e8 = {"firm": "e8", "plan": "one", "phase": "evaluation"}
    open_account(ctx, "e8-mine", **e8)
    open_account(ctx, "e8-sibling", **e8, options=sibling_options)
    at = utc(2026, 6, 2, 8, 59)
    push(ctx, "e8-mine", 100_000, 100_000, at)
    push(ctx, "e8-sibling", 100_000, 100_000, at, positions=[LONG_GBPUSD])


def test_the_stand_in_catalog_forbids_hedging_only_for_the_chosen_option() -> None:
    """The stand-in catalog's cross-account rules follow the account's chosen option."""
    catalog = _HedgingByOption(firms=BASE.firms, origins=BASE.origins)
    default = catalog.rule_set("e8", "one", "evaluation", 100_000)
    chosen = catalog.rule_set("e8", "one", "evaluation", 100_000, options={"daily_loss_pct": D(4)})
    assert default.cross_account is not None
    assert chosen.cross_account is not None
    assert default.cross_account.hedging_across_accounts is Permission.ALLOWED
    assert chosen.cross_account.hedging_across_accounts is Permission.FORBIDDEN


def test_a_hedge_against_a_sibling_is_judged_by_the_option_the_sibling_chose(
    e8_ctx: Context,
) -> None:
    """A short opposing a sibling whose chosen option forbids hedging is refused for it."""
    _owner_with_sibling(e8_ctx, {"daily_loss_pct": 4})
    (sized,) = ask(e8_ctx, "hedge", ["e8-mine"], side="short", stop="1.2800").decisions
    assert sized.decision.reject_codes == ["cross_account_hedge"]
    assert any("e8-sibling" in reason for reason in sized.decision.reasons)


def test_a_sibling_on_the_default_option_does_not_forbid_the_hedge(e8_ctx: Context) -> None:
    """The same short is approved when the sibling kept the plan's default option."""
    _owner_with_sibling(e8_ctx, {})
    (sized,) = ask(e8_ctx, "hedge", ["e8-mine"], side="short", stop="1.2800").decisions
    assert sized.decision.approved


def test_a_preview_sees_the_sibling_under_its_chosen_option(e8_ctx: Context) -> None:
    """A what-if preview refuses the hedge as sizing does, by the sibling's chosen option."""
    _owner_with_sibling(e8_ctx, {"daily_loss_pct": 4})
    command = SizeRequest.model_validate(
        {
            "request_id": "what-if",
            "accounts": ["e8-mine"],
            "symbol": "GBPUSD",
            "side": "short",
            "entry": "1.2700",
            "stop": "1.2800",
        }
    )
    _, (row,) = sizing_service.preview(e8_ctx, command)
    assert row.status != "approved"
    assert row.reject_codes == ("cross_account_hedge",)
