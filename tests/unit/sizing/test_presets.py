"""The seed documents' worked numbers, reproduced by their presets (exact expectations)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from aria.sizing.errors import ProfileError
from aria.sizing.profiles import preset_names, resolve_profile
from tests.builders import FINE, run, scenario

D = Decimal
CENT = D("0.01")


def trades(wins: int, losses: int, win: str, loss: str) -> list[dict[str, Any]]:
    """Closed trades, losses first, so that the last trades are wins (no losing streak)."""
    start = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    pnls = [f"-{loss}"] * losses + [win] * wins
    return [
        {
            "symbol": "FINE",
            "side": "long",
            "lots": 1,
            "entry": 100,
            "exit": 101,
            "pnl": pnl,
            "opened_at": (start + dt.timedelta(hours=i)).isoformat(),
            "closed_at": (start + dt.timedelta(hours=i, minutes=30)).isoformat(),
        }
        for i, pnl in enumerate(pnls)
    ]


def held(count: int) -> list[dict[str, Any]]:
    return [{"symbol": "FINE", "side": "long", "lots": "0.1", "entry": 100, "stop": 95}] * count


# --------------------------------------------------------------------------- leveragebot


def leveragebot(**account: Any) -> dict[str, Any]:
    return scenario(
        profile="leveragebot",
        account={"balance": 500, "as_of": "2026-06-01T12:00:00Z", **account},
        market={"atr": "3.5"},
        request={"symbol": "FINE", "side": "long", "entry": 100},
    )


def test_leveragebot_first_trade() -> None:
    decision = run(leveragebot())
    assert decision.stop == D("91.25")
    assert decision.take_profit == D("117.50")
    assert decision.notional == D("31.25")
    assert decision.target_notional == D("31.25")
    assert decision.approved


@pytest.mark.parametrize(("open_positions", "allocation"), [(1, "15.625"), (2, "10.4167")])
def test_leveragebot_concurrency_shares_the_allocation(
    open_positions: int, allocation: str
) -> None:
    decision = run(leveragebot(positions=held(open_positions)))
    assert decision.notional.quantize(D("0.0001")) == D(allocation)
    assert decision.factors["concurrency"].value == D(1) / (open_positions + 1)


def test_leveragebot_atr_stop_and_target() -> None:
    document = leveragebot()
    document["market"] = {"atr": "18.20"}
    document["request"]["entry"] = "623.45"
    decision = run(document)
    assert decision.stop == D("577.95")
    assert decision.take_profit == D("714.45")


def test_leveragebot_kelly_with_history_is_capped_at_ten_percent() -> None:
    document = leveragebot(balance=615, trades=trades(13, 7, "21", "10"))  # W 0.65, R 2.1
    decision = run(document)
    assert "W 0.6500, R 2.1000 from 20 trades" in decision.reasons[0]
    assert "Kelly 48.33 % × 0.25 = 12.08 %" in decision.reasons[0]
    assert "capped at 10 % of equity" in decision.reasons[0]
    assert decision.notional == D("61.50")


def test_leveragebot_with_too_little_history_uses_the_defaults() -> None:
    decision = run(leveragebot(trades=trades(19, 0, "10", "1")))
    assert "defaults W 0.5, R 2.0 (19 of 20 trades)" in decision.reasons[0]
    assert decision.notional == D("31.25")


# --------------------------------------------------------------------------- orchestrator


def orchestrator(confidence: str, **account: Any) -> dict[str, Any]:
    instrument = {**FINE, "symbol": "BTCUSDT", "asset_class": "crypto"}
    return scenario(
        profile="orchestrator",
        account={"balance": "8930.41", "as_of": "2026-06-01T12:00:00Z", **account},
        instrument=instrument,
        market={"atr": 2000},
        request={"symbol": "BTCUSDT", "side": "long", "entry": 87669, "confidence": confidence},
    )


def test_orchestrator_moderate_confidence() -> None:
    decision = run(orchestrator("0.52"))
    assert decision.target_risk.quantize(CENT) == D("89.30")
    assert decision.entry - decision.stop == D(3000)
    assert decision.target_notional.quantize(D("0.1")) == D("2609.7")
    assert decision.notional.quantize(CENT) == D("1250.00")
    assert decision.binding == "max_notional"
    assert decision.margin.quantize(CENT) == D("41.67")


def test_orchestrator_high_confidence_is_one_and_a_half_percent_still_capped() -> None:
    decision = run(orchestrator("0.90"))
    assert decision.target_risk.quantize(CENT) == D("133.96")
    assert decision.notional.quantize(CENT) == D("1250.00")


def test_orchestrator_low_confidence_is_clamped_at_half_a_percent() -> None:
    decision = run(orchestrator("0.40"))
    assert decision.target_risk.quantize(CENT) == D("44.65")


def test_orchestrator_losing_streak_of_three_halves_the_risk() -> None:
    history = trades(5, 0, "10", "1") + trades(0, 3, "10", "5")
    for index, trade in enumerate(history):  # make the three losses the latest
        trade["closed_at"] = (
            dt.datetime(2026, 5, 2, tzinfo=dt.UTC) + dt.timedelta(hours=index)
        ).isoformat()
        trade["opened_at"] = trade["closed_at"]
    decision = run(orchestrator("0.52", trades=history))
    assert decision.factors["performance"].value == D("0.5")
    assert decision.target_risk.quantize(CENT) == D("44.65")  # 0.5 % of equity


def test_orchestrator_two_percent_drawdown_halves_the_risk() -> None:
    document = orchestrator("0.52", peaks={"intraday_equity": "9112.67"})  # 2.0 % below the peak
    decision = run(document)
    assert decision.factors["drawdown"].value == D("0.5")
    assert decision.target_risk.quantize(CENT) == D("44.65")


# --------------------------------------------------------------------------- aria


@pytest.mark.parametrize(
    ("percentile", "factor"),
    [(10, "1.1"), (30, "1.05"), (50, "1.0"), (70, "0.9"), (90, "0.7"), (99, "0.5")],
)
def test_aria_volatility_regimes(percentile: int, factor: str) -> None:
    decision = run(scenario(market={"atr_percentile": percentile}))
    assert decision.factors["volatility"].value == D(factor)


@pytest.mark.parametrize(
    ("drawdown", "factor"), [("0.5", "1.0"), (2, "0.9"), (4, "0.5"), (6, "0.3"), (10, "0.1")]
)
def test_aria_drawdown_ladder(drawdown: str, factor: str) -> None:
    equity = D(10000) - D(100) * D(drawdown)
    document = scenario(
        account={
            "balance": 10000,
            "equity": str(equity),
            "as_of": "2026-06-01T12:00:00Z",
            "peaks": {"intraday_equity": 10000},
        }
    )
    assert run(document).factors["drawdown"].value == D(factor)


@pytest.mark.parametrize(
    ("rho", "factor"), [("0.2", "1.0"), ("0.4", "0.9"), ("0.6", "0.7"), ("0.8", "0.5")]
)
def test_aria_correlation_ladder(rho: str, factor: str) -> None:
    other = {**FINE, "symbol": "OTHER"}
    document = scenario(
        account={
            "balance": 10000,
            "as_of": "2026-06-01T12:00:00Z",
            "positions": [
                {"symbol": "OTHER", "side": "long", "lots": "0.01", "entry": 100, "stop": 99}
            ],
        },
        instruments=[other],
        market={"correlations": {"OTHER": rho}},
    )
    assert run(document).factors["correlation"].value == D(factor)


def test_aria_correlation_is_directional_a_hedge_is_not_a_reinforcement() -> None:
    other = {**FINE, "symbol": "OTHER"}
    document = scenario(
        account={
            "balance": 10000,
            "as_of": "2026-06-01T12:00:00Z",
            "positions": [
                {"symbol": "OTHER", "side": "short", "lots": "0.01", "entry": 100, "stop": 101}
            ],
        },
        instruments=[other],
        market={"correlations": {"OTHER": "0.9"}},
    )
    assert run(document).factors["correlation"].value == D("1.0")
    document["profile"] = {
        "preset": "aria",
        "account": {"adjusters": {"correlation": {"mode": "absolute"}}},
    }
    assert run(document).factors["correlation"].value == D("0.5")


def test_aria_heat_above_ten_percent() -> None:
    # 1 % new risk on top of 9.5 % open risk passes the 10 % threshold.
    heavy = {"symbol": "FINE", "side": "long", "lots": "19", "entry": 100, "stop": 50, "price": 100}
    decision = run(
        scenario(
            account={"balance": 10000, "as_of": "2026-06-01T12:00:00Z", "positions": [heavy]},
            profile={
                "preset": "aria",
                "account": {"adjusters": {"correlation": {"enabled": False}}},
            },
        )
    )
    assert decision.factors["heat"].value == D("0.7")
    light = run(scenario())
    assert light.factors["heat"].value == D(1)


def test_aria_factors_multiply() -> None:
    decision = run(
        scenario(
            market={"atr_percentile": 90},
            account={
                "balance": 10000,
                "equity": 9800,
                "as_of": "2026-06-01T12:00:00Z",
                "peaks": {"intraday_equity": 10000},
            },
        )
    )
    assert decision.combined_factor == D("0.7") * D("0.9")
    assert decision.target_lots == (decision.base_lots * D("0.63")).quantize(D("1e-8"))


# --------------------------------------------------------------------------- dynamic_risk


@pytest.mark.parametrize(("drawdown", "factor"), [(6, "0.8"), (11, "0.6"), (16, "0.4")])
def test_dynamic_risk_drawdown(drawdown: int, factor: str) -> None:
    document = scenario(
        profile="dynamic_risk",
        account={
            "balance": 10000,
            "equity": 10000 - 100 * drawdown,
            "as_of": "2026-06-01T12:00:00Z",
            "peaks": {"intraday_equity": 10000},
        },
        market={"daily_volatility": "0.005"},
    )
    decision = run(document)
    assert decision.factors["drawdown"].value == D(factor)
    assert decision.factors["volatility"].value == D("1.3")
    assert decision.combined_factor == D(factor)  # the most restrictive wins


# --------------------------------------------------------------------------- spark


def spark(
    strategy: dict[str, Any] | None = None, balance: int = 10000, stop: str = "97"
) -> dict[str, Any]:
    return scenario(
        profile={"preset": "spark", "strategy": strategy or {}},
        account={"balance": balance, "as_of": "2026-06-01T12:00:00Z"},
        request={"symbol": "FINE", "side": "long", "entry": 100, "stop": stop},
    )


def test_spark_fixed_usd() -> None:
    assert run(spark()).notional == D(1000)


def test_spark_risk_based_is_capped_by_the_maximum_position() -> None:
    decision = run(spark({"method": "risk_based"}))
    assert decision.target_notional.quantize(CENT) == D("6666.67")
    assert decision.notional == D(5000)
    assert decision.binding == "max_notional"


def test_spark_percent_equity() -> None:
    assert run(
        spark({"method": "percent_equity", "percent_equity": "0.1"}, balance=20000)
    ).notional == D(2000)


def test_spark_strategy_inherits_method_and_maximum() -> None:
    assert run(spark({"fixed_amount_usd": 2000})).notional == D(2000)
    assert run(spark({"fixed_amount_usd": 9000})).notional == D(5000)


def test_spark_unknown_method_is_an_error() -> None:
    with pytest.raises(ProfileError, match="unknown method 'martingale'"):
        resolve_profile("spark", [("strategy", {"method": "martingale"})])


def test_unknown_profile_keys_are_errors() -> None:
    with pytest.raises(ProfileError, match=r"field limits\.max_notionl: unknown key"):
        resolve_profile("aria", [("account", {"limits": {"max_notionl": 5}})])


def test_all_five_presets_exist() -> None:
    assert preset_names() == ["aria", "dynamic_risk", "leveragebot", "orchestrator", "spark"]
