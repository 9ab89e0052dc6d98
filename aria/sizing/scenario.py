"""Scenarios: one JSON document holding everything a decision needs, for ``aria decide``.

Top-level keys: ``profile`` (a preset name, or ``{preset, layers}``), ``firm`` + ``plan`` (or
inline ``rules``), ``account`` (balance, equity, peaks, day-start anchor, open positions,
recent trades, personality, other accounts, its own instrument allow-list and checkout
options), ``instrument`` (a built-in symbol or an inline
spec), ``market`` (ATR or bars, percentile, correlations, conversion rates), ``request``, and
optionally ``now`` (default: the newest of the account's and the market's as-of times) and
``news`` (economic releases near now, for the firm's news windows).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from accounts.model import (
    Account,
    AccountState,
    DayStart,
    Identifier,
    InstrumentFilter,
    OptionName,
    Position,
    Trade,
    TradingState,
)
from accounts.money import FiniteDecimal, NonNegativeDecimal, PositiveDecimal
from accounts.peaks import Peaks
from accounts.personality import DEFAULT_BAND, Personality
from aria.sizing import market as analytics
from aria.sizing.errors import ScenarioError, SizingError
from aria.sizing.inputs import (
    DecisionInputs,
    MarketSnapshot,
    OtherAccount,
    Reservation,
    TradeRequest,
)
from aria.sizing.instruments import Instrument, InstrumentCatalog
from aria.sizing.profiles import resolve_profile
from firms.catalog import Catalog, parse_firm
from firms.errors import FirmsError
from firms.news import EconomicEvent
from firms.ruleset import RuleSet, resolve


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProfileChoice(_Doc):
    """A preset with optional layers applied in order: firm_plan, account, strategy."""

    preset: str = "aria"
    firm_plan: dict[str, Any] = Field(default_factory=dict)
    account: dict[str, Any] = Field(default_factory=dict)
    strategy: dict[str, Any] = Field(default_factory=dict)


class SeededPersonality(_Doc):
    """Ask for a personality drawn once from the account id."""

    seeded: Literal[True]
    band: tuple[Decimal, Decimal] = DEFAULT_BAND


class PeaksDoc(_Doc):
    """High-water marks; missing ones start at the initial balance."""

    intraday_equity: FiniteDecimal | None = None
    end_of_day_balance: FiniteDecimal | None = None
    closed_balance: FiniteDecimal | None = None


class DayStartDoc(_Doc):
    """The account at the last daily reset."""

    balance: NonNegativeDecimal
    equity: FiniteDecimal | None = None
    equity_high: FiniteDecimal | None = None
    at: AwareDatetime | None = Field(
        default=None, description="default: the firm's last reset before now"
    )


class AccountDoc(_Doc):
    """The account and its state."""

    id: Identifier = "scenario-account"
    owner: Identifier = "scenario-owner"
    phase: Identifier | None = Field(default=None, description="default: the plan's first phase")
    size: PositiveDecimal | None = Field(
        default=None, description="initial balance; default: the balance"
    )
    currency: str = "USD"
    strategy: Identifier | None = None
    balance: NonNegativeDecimal
    equity: FiniteDecimal | None = Field(default=None, description="default: the balance")
    as_of: AwareDatetime | None = None
    peaks: PeaksDoc = Field(default_factory=PeaksDoc)
    day_start: DayStartDoc | None = None
    positions: list[Position] = Field(default_factory=list)
    trades: list[Trade] = Field(default_factory=list)
    reservations: list[Reservation] = Field(default_factory=list)
    personality: Annotated[Decimal, Field(gt=0)] | SeededPersonality | None = None
    trading: TradingState = Field(default_factory=TradingState)
    others: list[OtherAccount] = Field(default_factory=list)
    instruments: InstrumentFilter | None = Field(
        default=None, description="the account's own allow-list (symbols and/or asset classes)"
    )
    options: dict[OptionName, Annotated[Decimal, Field(gt=0, le=100)]] = Field(
        default_factory=dict, description="values chosen at checkout for the plan's options"
    )

    @model_validator(mode="after")
    def _solvent(self) -> AccountDoc:
        # A decision sizes against equity: with none left there is nothing to size, and the
        # answer would be a reject that hides a wrong document behind a valid-looking answer.
        equity = self.equity if self.equity is not None else self.balance
        if equity <= 0:
            field = "equity" if self.equity is not None else "balance (the equity by default)"
            raise ValueError(f"{field} is {equity}: a trade can only be sized on positive equity")
        if self.size is None and self.balance <= 0:
            raise ValueError("size: give the initial balance; the balance is 0")
        return self


class Bars(_Doc):
    """OHLC bars, oldest first; ATR, its percentile and daily volatility are computed from them."""

    high: list[float]
    low: list[float]
    close: list[float]

    @model_validator(mode="after")
    def _shape(self) -> Bars:
        if not (len(self.high) == len(self.low) == len(self.close)) or len(self.close) < 2:
            raise ValueError("bars need equal-length high, low and close lists of at least 2 bars")
        values = np.asarray([self.high, self.low, self.close], dtype=np.float64)
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError("bar prices must be positive finite numbers")
        if np.any(values[0] < values[1]):
            raise ValueError("a bar's high is below its low")
        return self


class MarketDoc(_Doc):
    """Market data: give ATR (and percentile) directly, or bars to compute them from."""

    as_of: AwareDatetime | None = None
    atr: PositiveDecimal | None = None
    atr_percentile: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    daily_volatility: Annotated[Decimal, Field(ge=0, le=5)] | None = None
    bars: Bars | None = None
    atr_period: Annotated[int, Field(ge=1, le=500)] = 14
    atr_method: Literal["wilder", "simple"] = "wilder"
    percentile_lookback: Annotated[int, Field(ge=2)] = 252
    correlations: dict[str, Decimal] = Field(default_factory=dict)
    rates: dict[str, PositiveDecimal] = Field(default_factory=dict)


class Scenario(_Doc):
    """A complete scenario document."""

    profile: str | ProfileChoice = "aria"
    firm: Identifier | None = None
    plan: Identifier | None = None
    rulebook_version: str | None = None
    rules: dict[str, Any] | None = Field(
        default=None,
        description="an inline plan (daily_loss, max_loss, limits, …) instead of firm + plan",
    )
    account: AccountDoc
    instrument: str | dict[str, Any]
    instruments: list[dict[str, Any]] = Field(
        default_factory=list, description="specs for open positions' symbols"
    )
    market: MarketDoc = Field(default_factory=MarketDoc)
    request: TradeRequest
    now: AwareDatetime | None = None
    news: list[EconomicEvent] = Field(
        default_factory=list, description="economic releases near now (the news gate reads them)"
    )

    @model_validator(mode="after")
    def _rules_source(self) -> Scenario:
        if self.rules is None and (self.firm is None or self.plan is None):
            raise ValueError("give 'firm' and 'plan', or inline 'rules'")
        if self.rules is not None and (self.firm is not None or self.plan is not None):
            raise ValueError("give 'firm' and 'plan' or inline 'rules', not both")
        return self


_PROVENANCE = {"source": ["scenario"], "read_on": "2000-01-01", "confidence": "uncertain"}
_BLOCKS = ("daily_loss", "max_loss", "floating_loss", "limits", "cross_account", "instruments")


def _inline_rules(
    rules: dict[str, Any], size: Decimal, phase: str | None, options: dict[str, Decimal]
) -> RuleSet:
    """A one-plan firm from inline rules; blocks without provenance are marked as the scenario's."""
    plan: dict[str, Any] = {
        k: v for k, v in rules.items() if k not in ("reset", "name", "phase_kind")
    }
    for block in _BLOCKS:
        if isinstance(plan.get(block), dict):
            plan[block] = {**_PROVENANCE, **plan[block]}
    plan.setdefault("max_loss", {**_PROVENANCE, "trail": "none", "amount": {"pct": 100}})
    plan.setdefault("daily_loss", {**_PROVENANCE, "anchor": "none"})
    phase_id = phase or "evaluation"
    kind = rules.get("phase_kind", "evaluation")
    document = {
        "id": "scenario",
        "name": rules.get("name", "Scenario rules"),
        "reset": rules.get("reset", "00:00 UTC"),
        "plans": [
            {
                "id": "inline",
                "name": rules.get("name", "Scenario rules"),
                "rulebook_version": "scenario",
                "sizes": [int(size)] if size == int(size) else [1],
                "phases": [{"id": phase_id, "kind": kind}],
                **plan,
            }
        ],
    }
    firm = parse_firm(document, "scenario rules")
    return resolve(firm, firm.plans[0], phase_id, size, options)


def _key(symbol: str) -> str:
    return symbol.strip().upper()


def _market(doc: MarketDoc, symbol: str) -> MarketSnapshot:
    atr, percentile, volatility = doc.atr, doc.atr_percentile, doc.daily_volatility
    if doc.bars is not None:
        series = analytics.atr(
            doc.bars.high, doc.bars.low, doc.bars.close, doc.atr_period, doc.atr_method
        )
        known = series[np.isfinite(series)]
        if atr is None and known.size:
            atr = Decimal(repr(float(known[-1])))
        if percentile is None and known.size >= 2:
            rank = analytics.percentile_rank(known[:-1], float(known[-1]), doc.percentile_lookback)
            percentile = Decimal(repr(rank))
        if volatility is None and len(doc.bars.close) >= 3:
            volatility = Decimal(repr(analytics.daily_volatility(doc.bars.close)))
    return MarketSnapshot(
        as_of=doc.as_of,
        atr=atr,
        atr_percentile=percentile,
        daily_volatility=volatility,
        # Sorted: the recorded inputs (and their hash) do not depend on the document's key order.
        correlations={
            k: doc.correlations[k] for k in sorted(doc.correlations, key=_key) if _key(k) != symbol
        },
        rates={k: doc.rates[k] for k in sorted(doc.rates, key=_key)},
    )


def _spec(data: dict[str, Any], where: str) -> Instrument:
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        raise ScenarioError(
            f"{where}.{_field(error['loc'])}: {message.removeprefix('Value error, ')}"
        ) from None


def _instrument(spec: str | dict[str, Any], instruments: InstrumentCatalog) -> Instrument:
    if isinstance(spec, str):
        return instruments.get(spec)
    return _spec(spec, "instrument")


def _held_specs(
    scenario: Scenario, instrument: Instrument, instruments: InstrumentCatalog
) -> dict[str, Instrument]:
    """The specs of the symbols held, by symbol in sorted order (a recorded input is canonical)."""
    extra: dict[str, Instrument] = {}
    for index, data in enumerate(scenario.instruments):
        spec = _spec(data, f"instruments.{index}")
        if spec.symbol in extra:
            raise ScenarioError(f"instruments.{index}.symbol: {spec.symbol} is given twice")
        if spec.symbol == instrument.symbol and spec != instrument:
            # Two specs of one symbol would size the trade on one and value the book on the other.
            raise ScenarioError(
                f"instruments.{index}: a second, different spec of {spec.symbol},"
                " the scenario's instrument"
            )
        extra[spec.symbol] = spec
    known = {
        p.symbol: instruments.get(p.symbol)
        for p in scenario.account.positions
        if p.symbol in instruments
    }
    known.update(extra)
    known[instrument.symbol] = instrument
    return {symbol: known[symbol] for symbol in sorted(known)}


def _check_symbol(request: TradeRequest, instrument: Instrument) -> None:
    """Refuse a request for another symbol than the instrument it would be sized with."""
    if request.symbol != instrument.symbol:
        raise ScenarioError(
            f"request.symbol: {request.symbol} is not the scenario's instrument"
            f" {instrument.symbol}; give the instrument of {request.symbol}"
            " (its stop, tick and contract would otherwise be another market's)"
        )


def _personality(value: Decimal | SeededPersonality | None, account_id: str) -> Personality:
    if value is None:
        return Personality.neutral()
    if isinstance(value, SeededPersonality):
        return Personality.seeded(account_id, value.band)
    return Personality.declared(value)


def build_inputs(
    scenario: Scenario, catalog: Catalog, instruments: InstrumentCatalog
) -> DecisionInputs:
    """Turn a validated scenario into the pipeline's inputs."""
    doc = scenario.account
    size = doc.size or doc.balance
    if scenario.rules is not None:
        rules = _inline_rules(scenario.rules, size, doc.phase, doc.options)
    else:
        assert scenario.firm is not None
        assert scenario.plan is not None
        plan = catalog.plan(scenario.firm, scenario.plan, scenario.rulebook_version)
        phase = doc.phase or plan.phases[0].id
        rules = catalog.rule_set(
            scenario.firm, scenario.plan, phase, size, plan.rulebook_version, doc.options
        )

    choice = (
        scenario.profile
        if isinstance(scenario.profile, ProfileChoice)
        else ProfileChoice(preset=scenario.profile)
    )
    layers = [
        (name, getattr(choice, name))
        for name in ("firm_plan", "account", "strategy")
        if getattr(choice, name)
    ]
    profile = resolve_profile(choice.preset, layers)

    instrument = _instrument(scenario.instrument, instruments)
    _check_symbol(scenario.request, instrument)
    known = _held_specs(scenario, instrument, instruments)

    market = _market(scenario.market, scenario.request.symbol)
    times = [t for t in (doc.as_of, scenario.market.as_of) if t is not None]
    now = scenario.now or (max(times) if times else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    as_of = doc.as_of or now
    equity = doc.equity if doc.equity is not None else doc.balance
    account = Account(
        id=doc.id,
        owner=doc.owner,
        firm=rules.firm,
        plan=rules.plan,
        phase=rules.phase.id,
        rulebook_version=rules.rulebook_version,
        currency=doc.currency,
        initial_balance=size,
        profile=choice.preset,
        strategy=doc.strategy,
        personality=_personality(doc.personality, doc.id),
        trading=doc.trading,
        instruments=doc.instruments,
        options=doc.options,
    )
    peaks = Peaks(
        intraday_equity=max(doc.peaks.intraday_equity or size, equity),
        end_of_day_balance=doc.peaks.end_of_day_balance or size,
        closed_balance=max(doc.peaks.closed_balance or size, doc.balance),
        as_of=as_of,
    )
    day = None
    if doc.day_start is not None:
        start = doc.day_start
        day_equity = start.equity if start.equity is not None else start.balance
        day = DayStart(
            starts_at=start.at or rules.daily_reset.last(now),
            balance=start.balance,
            equity=day_equity,
            equity_high=start.equity_high
            if start.equity_high is not None
            else max(day_equity, equity),
        )
    return DecisionInputs(
        now=now,
        profile=profile,
        rules=rules,
        account=account,
        state=AccountState(
            balance=doc.balance, equity=equity, as_of=as_of, positions=tuple(doc.positions)
        ),
        peaks=peaks,
        day=day,
        trades=tuple(doc.trades),
        reservations=tuple(doc.reservations),
        instrument=instrument,
        instruments=known,
        market=market,
        request=scenario.request,
        others=tuple(doc.others),
        news=tuple(scenario.news),
    )


def _field(loc: tuple[Any, ...]) -> str:
    return (
        ".".join(str(part) for part in loc if not str(part).startswith("function-")) or "(document)"
    )


def load_scenario(data: Any, catalog: Catalog, instruments: InstrumentCatalog) -> DecisionInputs:
    """Validate a scenario document and build inputs; every problem is a :class:`ScenarioError`."""
    try:
        scenario = Scenario.model_validate(data)
        return build_inputs(scenario, catalog, instruments)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ScenarioError(
            f"{_field(error['loc'])}: {message.removeprefix('Value error, ')}{more}"
        ) from None
    except (FirmsError, SizingError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(str(exc)) from None
