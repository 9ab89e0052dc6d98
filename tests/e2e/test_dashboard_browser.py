"""The dashboard in a real browser (Debian's chromium driven by Playwright): sign in with a
key, see the accounts, watch a state push move a floor's bar and a breach arrive in the
latest alerts, without reloading the page. Screenshots go to ``$ARIA_TEST_ARTIFACTS`` (or
the test's temporary directory)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.service.keys import create_key
from storage.engine import make_engine
from tests.builders import open_account
from tests.databases import make_context
from tests.e2e.processes import serve
from tests.templates import sqlite_copy

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 30_000


def _missing(what: str) -> None:
    """Skip without a browser, except in CI (``ARIA_CI``), where the browser must run."""
    if os.environ.get("ARIA_CI"):
        pytest.fail(f"{what}: CI installs it (see .ci/run)")
    pytest.skip(what)


@pytest.fixture
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _missing("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    chosen = os.environ.get("ARIA_TEST_ARTIFACTS")
    folder = Path(chosen) / "dashboard" if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _push(base: str, key: str, account_id: str, balance: int, equity: int) -> dict[str, Any]:
    as_of = (dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=500)).isoformat()
    answer = httpx.put(
        f"{base}/v1/accounts/{account_id}/state",
        json={"balance": str(balance), "equity": str(equity), "as_of": as_of, "positions": []},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_trader_watches_a_floor_move_and_an_alert_arrive(
    chromium: Any, tmp_path: Path, artifacts: Path
) -> None:
    url = sqlite_copy(tmp_path)
    engine = make_engine(url)
    ctx = make_context(engine)
    for account_id in ("ftmo-1", "ftmo-2"):
        open_account(ctx, account_id, owner="alice")
    open_account(
        ctx,
        "topstep-1",
        owner="alice",
        firm="topstep",
        plan="trading-combine",
        phase="combine",
        size=50_000,
    )
    reader = create_key(ctx, "alice-screen", ["read"], owner="alice").token
    copier = create_key(ctx, "alice-copier", ["size"], owner="alice").token
    engine.dispose()
    with serve(url, tmp_path / "server.log") as server:
        for account_id in ("ftmo-1", "ftmo-2"):
            _push(server.base, copier, account_id, 100_000, 100_000)
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{server.base}/dashboard")
        page.get_by_label("API key").fill(reader)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.base}/dashboard")
        rows = page.locator("#accounts tbody tr")
        assert rows.count() == 3
        page.wait_for_selector("#live-status:has-text('Live')", timeout=WAIT_MS)
        bar = page.locator('#account-ftmo-1 [data-floor="daily_loss"] [role="meter"]')
        before = bar.get_attribute("aria-valuenow")
        assert before == "100.0"
        page.screenshot(path=str(artifacts / "1-signed-in.png"), full_page=True)

        # Equity falls by 2,000 of the 5,000 the day allows: 60 % of the distance is left.
        _push(server.base, copier, "ftmo-1", 100_000, 98_000)
        page.wait_for_function(
            """() => document.querySelector(
                '#account-ftmo-1 [data-floor="daily_loss"] [role="meter"]'
            ).getAttribute('aria-valuenow') === '60.0'""",
            timeout=WAIT_MS,
        )
        assert "2,000.00 left" not in page.locator("#account-ftmo-1").inner_text()
        assert "3,000.00 left" in page.locator("#account-ftmo-1").inner_text()
        page.screenshot(path=str(artifacts / "2-floor-moved.png"), full_page=True)

        # Past the daily floor: the firm's breach halts the account, and the alert shows.
        breach = _push(server.base, copier, "ftmo-1", 100_000, 94_500)
        assert breach["trading"]["status"] == "halted"
        page.wait_for_selector("#alerts li:has-text('ftmo-1')", timeout=WAIT_MS)
        page.wait_for_selector("#account-ftmo-1 .trading.halted", timeout=WAIT_MS)
        page.screenshot(path=str(artifacts / "3-breach-alert.png"), full_page=True)
        # No reload happened: the page still holds the state the script wrote at load.
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
        assert page.evaluate("performance.getEntriesByType('navigation')[0].type") != "reload"
    print(f"dashboard screenshots: {artifacts}")  # noqa: T201
