"""``AriaClient``: the API from blocking code (a copier's loop, a script, an EA bridge)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from aria.client import calls
from aria.client.calls import Call, Retry
from aria.client.errors import AriaError
from aria.client.models import (
    Account,
    Accounts,
    CancelOut,
    CashFlow,
    CashFlowOut,
    CopyResult,
    CountOut,
    DecisionOut,
    Position,
    PreviewOut,
    RiskOut,
    Signal,
    SizingOut,
    StateOut,
    Trade,
)

T = TypeVar("T")


class AriaClient:
    """A typed client of ARIA's HTTP API; close it (or use it in a ``with`` block)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        retry: Retry | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url, self.retry = base_url.rstrip("/"), retry or Retry()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, call: Call[T]) -> T:
        """Send ``call``, retrying as :class:`Retry` allows; its value or its error."""
        attempt = 1
        while True:
            try:
                response = self._http.request(
                    call.method, call.path, json=call.body, params=call.params or None
                )
                return calls.answer(
                    call, response.status_code, _body(response), response.headers.get("Retry-After")
                )
            except httpx.TransportError as exc:
                error: AriaError = calls.unreachable(self.base_url, exc)
                error.__cause__ = exc
            except AriaError as exc:
                error = exc
            if not self.retry.again(call, error, attempt):
                raise error
            time.sleep(self.retry.delay(attempt, error))
            attempt += 1

    def size(
        self, signal: Signal, accounts: Accounts, *, request_id: str | None = None
    ) -> SizingOut:
        """Size ``signal`` for ``accounts``; retries keep one ``request_id``, so they return
        the stored decisions, never a second set."""
        return self.send(calls.size(signal, accounts, request_id))

    def preview(self, signal: Signal, accounts: Accounts) -> PreviewOut:
        """What sizing would answer now, reserving and recording nothing."""
        return self.send(calls.preview(signal, accounts))

    def cancel(self, decision_id: str) -> CancelOut:
        """Release the reservation of an approval that will not be placed."""
        return self.send(calls.cancel(decision_id))

    def push_state(
        self,
        account_id: str,
        *,
        balance: Decimal | int | str,
        equity: Decimal | int | str,
        positions: Sequence[Position | Mapping[str, Any]] = (),
        as_of: dt.datetime | None = None,
        cash_flows: Sequence[CashFlow] = (),
    ) -> StateOut:
        """The broker's balance, equity and open positions (ARIA's shape or MT5's)."""
        return self.send(
            calls.push_state(account_id, balance, equity, positions, as_of, cash_flows)
        )

    def record_trades(
        self, account_id: str, trades: Sequence[Trade | Mapping[str, Any]]
    ) -> CountOut:
        """Closed trades (one whose id is already stored is skipped)."""
        return self.send(calls.record_trades(account_id, trades))

    def record_cash_flow(self, account_id: str, flow: CashFlow) -> CashFlowOut:
        """A deposit, payout, fee or scaling."""
        return self.send(calls.record_cash_flow(account_id, flow))

    def accounts(
        self, *, owner: str | None = None, firm: str | None = None, strategy: str | None = None
    ) -> list[Account]:
        """The accounts the key may see, filtered."""
        return self.send(calls.list_accounts(owner, firm, strategy))

    def account(self, account_id: str) -> Account:
        """One account."""
        return self.send(calls.get_account(account_id))

    def headroom(self, account_id: str) -> RiskOut:
        """Floors, headroom, trading state and objectives of one account."""
        return self.send(calls.headroom(account_id))

    def copy_signal(
        self, signal: Signal, *, accounts: Accounts, request_id: str | None = None
    ) -> CopyResult:
        """Size one signal for every account a copier mirrors it to: the approvals to place
        (each with its lots and ``decision_id``) and the refusals."""
        return calls.copied(self.size(signal, accounts, request_id=request_id))

    def confirm_placed(
        self,
        account_id: str,
        *,
        balance: Decimal | int | str,
        equity: Decimal | int | str,
        positions: Sequence[Position | Mapping[str, Any]],
        as_of: dt.datetime | None = None,
    ) -> StateOut:
        """Push the account's state after placing: positions carrying their ``decision_id``
        turn the approvals' reservations into open risk."""
        return self.push_state(
            account_id, balance=balance, equity=equity, positions=positions, as_of=as_of
        )

    def cancel_unplaced(
        self, decisions: CopyResult | Sequence[DecisionOut], placed_ids: Sequence[str]
    ) -> list[str]:
        """Cancel every approval whose id is not in ``placed_ids``; the ids released (one
        already placed, expired or cancelled has nothing left to release)."""
        done = []
        for decision_id in calls.unplaced(decisions, placed_ids):
            try:
                self.cancel(decision_id)
            except AriaError as exc:
                if not calls.released(exc):
                    raise
                continue
            done.append(decision_id)
        return done


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
