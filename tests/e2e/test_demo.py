"""``aria demo``: it runs on a fresh folder and prints the decisions this test expects."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aria.cli import app
from aria.demo.run import run

D = Decimal

# (signal, account) → (status, lots, reject codes, binding): the decisions the demo prints.
EXPECTED = {
    # FundingPips anchors its daily floor on equity at the reset: the short GBPUSD held swings
    # 4,500 (take-profit back to stop, 0.0450 × 100,000) of the 5,000 budget, and EURUSD
    # swings 4,650 a lot (1.16150 − 1.11500): 500 / 4,650 = 0.1075 → 0.10 lots.
    ("EURUSD", "alice-fp-100k"): ("approved", D("0.10"), [], "daily_loss_swing"),
    ("EURUSD", "alice-ftmo-100k"): ("approved", D("0.79"), [], None),
    ("EURUSD", "alice-ftmo-200k"): ("rejected", D("0"), ["cross_account_hedge"], None),
    ("EURUSD", "bob-ftmo-100k"): ("approved", D("0.79"), [], None),
    # …which leaves 35 of swing (5,000 − 4,500 − 0.10 × 4,650): 0.007 lots of XAUUSD.
    ("XAUUSD", "alice-fp-100k"): (
        "rejected",
        D("0"),
        ["below_min_lot", "daily_loss_headroom"],
        "daily_loss_swing",
    ),
    ("XAUUSD", "alice-ftmo-100k"): ("approved", D("0.54"), [], None),
    ("XAUUSD", "bob-ftmo-100k"): ("approved", D("0.32"), [], "daily_loss_headroom"),
    ("MES", "alice-topstep-50k"): ("approved", D("5"), [], "max_contracts"),
    ("MES", "bob-topstep-150k"): ("approved", D("15"), [], "max_contracts"),
}


@pytest.mark.slow
def test_the_demo_decides_what_it_always_decided(tmp_path: Path) -> None:
    result = run(tmp_path / "demo")
    found = {
        (sized.decision.symbol, sized.decision.account_id): (
            sized.decision.status,
            sized.decision.lots,
            list(sized.decision.reject_codes),
            sized.decision.binding,
        )
        for _, decisions in result.signals
        for sized in decisions
    }
    assert found == EXPECTED
    assert result.verified is not None
    assert result.verified.ok
    assert result.report.exists()
    assert result.bars == 2043
    # Every approved risk is within the account's headroom at the time.
    for _, decisions in result.signals:
        for sized in decisions:
            if sized.decision.approved:
                assert sized.decision.headroom is not None
                assert sized.decision.risk_amount <= sized.decision.headroom.available


@pytest.mark.slow
def test_the_command_prints_the_decisions(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    for _, account in EXPECTED:
        assert account in result.output
    assert "cross_account_hedge" in result.output
    assert "max_contracts" in result.output
    assert "audit trail: intact (9 decisions replayed)" in result.output
    assert (tmp_path / "cli" / "report-alice-ftmo-100k.html").exists()
