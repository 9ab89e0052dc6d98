"""Sizing profiles: what a size is based on, what shrinks it, and the profile's own limits.

Profiles are layered: a preset (the built-in defaults are the ``aria`` preset) → firm plan →
account → strategy. Each layer gives only what it changes; tables merge key by key, lists
and values replace. The result is validated after every layer, so an unknown key, an
unknown method or a bad value is reported with the layer that brought it.

Fractions are fractions (``0.01`` is 1 %), as in the seed documents; ladders are lists of
``{at_least, factor}`` steps: the factor of the highest step at or below the measured value.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from accounts.money import NonNegativeDecimal, PositiveDecimal
from aria.sizing.errors import ProfileError, UnknownPreset

Fraction = Annotated[Decimal, Field(gt=0, le=1)]
NEWS_HORIZON = 60  # minutes, when a profile does not say
Multiple = Annotated[Decimal, Field(gt=0, le=100)]


class Spec(BaseModel):
    """Base of profile parts: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Method(StrEnum):
    """How the base size is found."""

    FIXED_USD = "fixed_usd"  # a fixed notional in the account currency
    PERCENT_EQUITY = "percent_equity"  # a fraction of equity as notional
    RISK_BASED = "risk_based"  # equity × risk ÷ loss per lot at the stop
    ATR_RISK = "atr_risk"  # equity × risk ÷ loss per lot at ATR × multiple
    KELLY = "kelly"  # fractional Kelly of equity as notional, capped by risk_based
    CONFIDENCE_WEIGHTED = "confidence_weighted"  # risk scaled by confidence bands


class Step(Spec):
    """One rung of a ladder."""

    at_least: Decimal
    factor: Annotated[Decimal, Field(ge=0, le=10)]


Ladder = Annotated[list[Step], Field(min_length=1)]


def ladder_factor(ladder: Sequence[Step], value: Decimal) -> Step:
    """The step of ``ladder`` that applies to ``value`` (the first step below all others)."""
    chosen = ladder[0]
    for step in ladder:
        if value >= step.at_least:
            chosen = step
    return chosen


def _ascending(steps: list[Step], what: str) -> list[Step]:
    levels = [step.at_least for step in steps]
    if levels != sorted(set(levels)):
        raise ValueError(f"{what} steps must have strictly rising 'at_least' values")
    return steps


def _steps(*pairs: tuple[str, str]) -> list[Step]:
    return [Step(at_least=Decimal(a), factor=Decimal(f)) for a, f in pairs]


class Stops(Spec):
    """Where the stop and take-profit go when the request does not say."""

    atr_stop_multiple: PositiveDecimal | None = Decimal(2)
    atr_tp_multiple: PositiveDecimal | None = None
    min_rr: PositiveDecimal | None = Decimal(2)
    stop_pct: Fraction | None = Field(
        default=None, description="a fixed stop distance, as a fraction of entry"
    )
    take_profit_pct: Fraction | None = None
    min_stop_ticks: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="the nearest a stop may be, in ticks (default: the instrument's)"
    )
    min_stop_atr: Fraction | None = Field(
        default=Decimal("0.1"), description="the nearest a stop may be, as a fraction of ATR"
    )
    min_stop_spreads: PositiveDecimal | None = Field(
        default=Decimal(2),
        description="the nearest a stop may be, in spreads (when the request gives its spread)",
    )


class Kelly(Spec):
    """Fractional Kelly sizing (LeverageBot)."""

    fraction: Fraction = Decimal("0.25")
    default_win_rate: Fraction = Decimal("0.5")
    default_payoff: PositiveDecimal = Decimal(2)
    min_trades: Annotated[int, Field(ge=0)] = 20
    min_position: Fraction | None = Decimal("0.05")
    max_position: Fraction | None = Decimal("0.10")
    cap_with_risk_based: bool = True


class ConfidenceSizing(Spec):
    """Risk multiplied by the band the signal's confidence falls in, then clamped."""

    bands: Ladder = Field(
        default_factory=lambda: _steps(("0", "0.5"), ("0.60", "1.0"), ("0.85", "1.5"))
    )
    min_risk: Fraction | None = Decimal("0.005")
    max_risk: Fraction | None = Decimal("0.015")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _ascending(self.bands, "confidence")
        if (
            self.min_risk is not None
            and self.max_risk is not None
            and self.min_risk > self.max_risk
        ):
            raise ValueError("min_risk is above max_risk")
        return self


class VolatilityAdjuster(Spec):
    """Shrink in high volatility: by ATR percentile (0–100) or by daily volatility (a fraction)."""

    enabled: bool = True
    source: Literal["percentile", "daily_volatility"] = "percentile"
    ladder: Ladder = Field(
        default_factory=lambda: _steps(
            ("0", "1.1"), ("20", "1.05"), ("40", "1.0"), ("60", "0.9"), ("80", "0.7"), ("95", "0.5")
        )
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _ascending(self.ladder, "volatility")
        return self


class DrawdownAdjuster(Spec):
    """Shrink in drawdown; the ladder is in percent of the peak (or of initial)."""

    enabled: bool = True
    measure: Literal["peak_equity", "initial"] = "peak_equity"
    ladder: Ladder = Field(
        default_factory=lambda: _steps(
            ("0", "1.0"), ("1", "0.9"), ("3", "0.5"), ("5", "0.3"), ("8", "0.1")
        )
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _ascending(self.ladder, "drawdown")
        return self


class LosingStreak(Spec):
    """Cut the size after this many losses in a row."""

    at_least: Annotated[int, Field(ge=1)] = 3
    factor: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.5")


class PerformanceAdjuster(Spec):
    """Shrink after poor performance: win rate over recent trades, losing streaks."""

    enabled: bool = False
    min_trades: Annotated[int, Field(ge=1)] = 10
    window_trades: Annotated[int, Field(ge=1)] = 50
    win_rate: Ladder | None = None
    losing_streak: LosingStreak | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.win_rate is not None:
            _ascending(self.win_rate, "win rate")
        return self


class ConcurrencyAdjuster(Spec):
    """Share risk between concurrent positions: 1 / (open positions + 1)."""

    enabled: bool = False


class CorrelationAdjuster(Spec):
    """Shrink when the new exposure reinforces correlated open exposure."""

    enabled: bool = True
    mode: Literal["directional", "absolute"] = "directional"
    ladder: Ladder = Field(
        default_factory=lambda: _steps(("0", "1.0"), ("0.3", "0.9"), ("0.5", "0.7"), ("0.7", "0.5"))
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _ascending(self.ladder, "correlation")
        if self.ladder[-1].at_least > 1:
            # A correlation is at most 1: a step above it could never apply.
            raise ValueError("correlation steps must start at 1 or below")
        return self


class HeatAdjuster(Spec):
    """Shrink when open risk plus the new trade's risk passes a share of balance."""

    enabled: bool = True
    threshold: Fraction = Decimal("0.10")
    factor: Annotated[Decimal, Field(gt=0, le=1)] = Decimal("0.7")


class Adjusters(Spec):
    """The adjusters and how their factors combine."""

    combine: Literal["product", "most_restrictive"] = "product"
    volatility: VolatilityAdjuster = Field(default_factory=VolatilityAdjuster)
    drawdown: DrawdownAdjuster = Field(default_factory=DrawdownAdjuster)
    performance: PerformanceAdjuster = Field(default_factory=PerformanceAdjuster)
    concurrency: ConcurrencyAdjuster = Field(default_factory=ConcurrencyAdjuster)
    correlation: CorrelationAdjuster = Field(default_factory=CorrelationAdjuster)
    heat: HeatAdjuster = Field(default_factory=HeatAdjuster)


class ProfileLimits(Spec):
    """The profile's own limits, applied with the firm's (the tightest binds)."""

    max_notional: PositiveDecimal | None = None
    min_notional: PositiveDecimal | None = None
    max_leverage: Multiple | None = Field(default=None, description="notional ÷ equity")
    max_lots: PositiveDecimal | None = None
    max_positions: Annotated[int, Field(gt=0)] | None = None
    max_open_risk: Fraction | None = Field(default=None, description="open risk ÷ balance")
    margin_buffer: Fraction = Field(
        default=Decimal("0.8"), description="share of free margin usable"
    )
    consistency_cap: bool = Field(
        default=False,
        description="cap a trade's reward at its take-profit so that one winning day keeps"
        " within the firm's best-day share",
    )

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Came after decisions recorded their profiles: left out while off, so those
        # records keep the input hash they were answered with.
        data: dict[str, Any] = handler(self)
        if not data.get("consistency_cap"):
            data.pop("consistency_cap", None)
        return data


class Costs(Spec):
    """Costs added to every loss at a stop, so the worst case includes them."""

    commission_per_lot: NonNegativeDecimal = Decimal(0)
    slippage_ticks: NonNegativeDecimal = Decimal(0)


class Headroom(Spec):
    """How headroom is kept."""

    buffer_pct: Annotated[Decimal, Field(ge=0, le=1)] = Field(
        default=Decimal(0), description="safety buffer as a fraction of initial balance"
    )
    buffer_amount: NonNegativeDecimal = Decimal(0)
    conversion_margin: Annotated[Decimal, Field(ge=0, le=1)] = Field(
        default=Decimal("0.05"),
        description="a loss in another currency counts this much more against the floors:"
        " the rate moves while the trade is open",
    )
    fallback_stop_pct: Fraction | None = Field(
        default=None, description="stop assumed for an open position without one; none: no headroom"
    )


class DataAge(Spec):
    """How old account state and market data may be before sizing refuses (``stale_data``)."""

    max_state_age_seconds: Annotated[int, Field(gt=0)] = 900
    max_market_age_seconds: Annotated[int, Field(gt=0)] = 4 * 24 * 3600


class SessionTiming(Spec):
    """How far ahead of a firm's time rules new entries stop."""

    lead_minutes: Annotated[int, Field(ge=0, le=240)] = Field(
        default=5,
        description="no new entry this many minutes before a flat-by time, a weekend close or,"
        " on plans that forbid holding overnight, the daily close",
    )


class AlertSettings(Spec):
    """When an account's alerts fire, and whether a crossing moves its trading state."""

    floor_levels: list[Annotated[Decimal, Field(gt=0, le=1)]] = Field(
        default_factory=lambda: [Decimal("0.5"), Decimal("0.75"), Decimal("0.9")],
        min_length=1,
        description="fractions of each floor's distance used that fire reduce_size, close_only"
        " and flatten_now (further levels repeat flatten_now)",
    )
    consistency_margin: Annotated[Decimal, Field(gt=0, le=1)] = Field(
        default=Decimal("0.8"), description="warn when the best day reaches this share of its cap"
    )
    stale_state_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = Field(
        default=15, description="alert when an account holding positions pushed no state for"
    )
    act: bool = Field(
        default=False,
        description="a close_only or flatten_now crossing puts the account in 'reducing' until"
        " the floor is back under the level",
    )


class Profile(Spec):
    """A complete, validated sizing profile."""

    name: str
    description: str = ""
    method: Method = Method.RISK_BASED
    risk_per_trade: Fraction = Decimal("0.01")
    fixed_amount: PositiveDecimal | None = None
    percent_equity: Fraction | None = None
    kelly: Kelly = Field(default_factory=Kelly)
    confidence: ConfidenceSizing = Field(default_factory=ConfidenceSizing)
    stops: Stops = Field(default_factory=Stops)
    adjusters: Adjusters = Field(default_factory=Adjusters)
    limits: ProfileLimits = Field(default_factory=ProfileLimits)
    costs: Costs = Field(default_factory=Costs)
    headroom: Headroom = Field(default_factory=Headroom)
    data: DataAge = Field(default_factory=DataAge)
    news_horizon_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] | None = Field(
        default=None,
        description="how far ahead a news window warns of a stop or target filling in it, and"
        f" blocks entries under a rule that forbids holding through it (unset: {NEWS_HORIZON})",
    )
    sessions: SessionTiming = Field(default_factory=SessionTiming)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Fields that came after decisions were recorded with their profiles are left out
        # while unset or default, so those records keep their hash.
        data: dict[str, Any] = handler(self)
        if data.get("news_horizon_minutes", 0) is None:
            data.pop("news_horizon_minutes")
        if self.sessions == SessionTiming():
            data.pop("sessions", None)
        if self.alerts == AlertSettings():
            data.pop("alerts", None)
        return data

    @property
    def news_horizon(self) -> dt.timedelta:
        """How far ahead news windows are looked for (the profile's, or 60 minutes)."""
        minutes = self.news_horizon_minutes
        return dt.timedelta(minutes=NEWS_HORIZON if minutes is None else minutes)

    @model_validator(mode="after")
    def _method_has_its_parameters(self) -> Self:
        if self.method is Method.FIXED_USD and self.fixed_amount is None:
            raise ValueError("method 'fixed_usd' needs 'fixed_amount'")
        if self.method is Method.PERCENT_EQUITY and self.percent_equity is None:
            raise ValueError("method 'percent_equity' needs 'percent_equity'")
        if self.method is Method.ATR_RISK and self.stops.atr_stop_multiple is None:
            raise ValueError("method 'atr_risk' needs 'stops.atr_stop_multiple'")
        return self

    @property
    def reads_trades(self) -> bool:
        """True when sizing looks at the account's closed trades (Kelly, performance)."""
        return self.method is Method.KELLY or self.adjusters.performance.enabled


# Names used by the seed documents, accepted in any layer.
ALIASES: dict[str, tuple[str, ...]] = {
    "fixed_amount_usd": ("fixed_amount",),
    "risk_per_trade_pct": ("risk_per_trade",),
    "max_position_size_usd": ("limits", "max_notional"),
    "min_position_size_usd": ("limits", "min_notional"),
    "position_sizer": ("method",),
}


def normalise(layer: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite seed-document names to profile paths (``fixed_amount_usd`` → ``fixed_amount``)."""
    out: dict[str, Any] = {}
    for key, value in layer.items():
        path = ALIASES.get(key, (key,))
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = copy.deepcopy(value)
    return out


def merge(base: Mapping[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``layer`` onto ``base``: tables merge, everything else replaces."""
    merged = copy.deepcopy(dict(base))
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _validate(raw: Mapping[str, Any], where: str) -> Profile:
    try:
        return Profile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "(profile)"
            message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
            if error["type"] == "enum" and error["loc"] == ("method",):
                methods = ", ".join(m.value for m in Method)
                message = f"unknown method {error['input']!r}; methods: {methods}"
            problems.append(f"{where}: field {field}: {message.removeprefix('Value error, ')}")
        raise ProfileError("; ".join(problems)) from None


@cache
def _preset_documents() -> dict[str, dict[str, Any]]:
    folder = resources.files("aria.sizing") / "presets"
    documents = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            documents[entry.name.removesuffix(".toml")] = tomllib.loads(
                entry.read_text(encoding="utf-8")
            )
    return documents


def preset_names() -> list[str]:
    """Names of the built-in presets."""
    return sorted(_preset_documents())


def preset_document(name: str) -> dict[str, Any]:
    """The raw layer of a preset (a copy)."""
    documents = _preset_documents()
    if name not in documents:
        raise UnknownPreset(
            f"unknown sizing preset {name!r}; presets: {', '.join(sorted(documents))}"
        )
    return copy.deepcopy(documents[name])


def resolve_profile(preset: str, layers: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> Profile:
    """Layer ``layers`` — (name, partial profile) pairs in order — onto ``preset``."""
    raw = normalise(preset_document(preset))
    raw.setdefault("name", preset)
    profile = _validate(raw, f"preset {preset!r}")
    for layer_name, layer in layers:
        if not isinstance(layer, Mapping):
            raise ProfileError(f"{layer_name} layer: must be a table of profile keys")
        raw = merge(raw, normalise(layer))
        profile = _validate(raw, f"preset {preset!r} + {layer_name} layer")
    return profile
