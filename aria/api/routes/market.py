"""Bars in, firms and instruments out."""

from __future__ import annotations

from fastapi import APIRouter

from aria.api.deps import Ctx
from aria.api.schemas import ERRORS, BarsOut, FirmOut, PlanOut
from aria.api.security import Admin, Reader
from aria.service import market
from aria.service.commands import BarsBatch
from aria.sizing.instruments import Instrument
from firms.model import Firm

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["market"])


@router.post("/bars", response_model=BarsOut)
def bars(body: BarsBatch, ctx: Ctx, caller: Admin) -> BarsOut:
    """Check and store closed bars of one symbol (a bar at an existing time replaces it).

    Market data is global: only an admin key with no owner restriction may write it. The
    volatility and correlations of the new bars are computed before the answer, so sizing can
    use them at once (as after ``aria bars import``).
    """
    done = market.ingest_bars(ctx, body, caller.owner)
    refreshed = market.refresh_analytics(ctx) if done.stored else None
    return BarsOut(
        stored=done.stored,
        merged=done.merged,
        dropped=done.dropped,
        outliers=list(done.outliers),
        volatility=refreshed.volatility if refreshed else 0,
        correlations=refreshed.correlations if refreshed else 0,
    )


@router.get("/instruments", response_model=list[Instrument])
def instruments(ctx: Ctx, caller: Reader) -> list[Instrument]:
    """Every instrument ARIA can size."""
    catalog = market.instruments(ctx)
    return [catalog.instruments[s] for s in sorted(catalog.instruments)]


@router.get("/firms", response_model=list[FirmOut])
def firms(ctx: Ctx, caller: Reader) -> list[FirmOut]:
    """The firm catalog in short: plans, sizes, daily and maximum-loss rules."""
    out = []
    for firm_id in sorted(ctx.catalog.firms):
        firm = ctx.catalog.firms[firm_id]
        plans = [
            PlanOut(
                id=p.id,
                name=p.name,
                rulebook_version=p.rulebook_version,
                status=p.status,
                sizes=p.sizes,
                phases=[phase.id for phase in p.phases],
                daily_loss=p.daily_loss.describe(),
                max_loss=p.max_loss.describe(),
            )
            for p in firm.plans
        ]
        out.append(
            FirmOut(
                id=firm.id,
                name=firm.name,
                status=firm.status,
                reset=firm.reset.describe(),
                plans=plans,
            )
        )
    return out


@router.get("/firms/{firm_id}", response_model=Firm, response_model_exclude_none=True)
def firm(firm_id: str, ctx: Ctx, caller: Reader) -> Firm:
    """One firm with every rule and its source."""
    return ctx.catalog.firm(firm_id)
