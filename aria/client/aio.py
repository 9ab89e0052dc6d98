"""``AsyncAriaClient``: the API from asyncio code, with the same calls as ``AriaClient``."""

from __future__ import annotations

import asyncio
import datetime as dt
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


class AsyncAriaClient:
    """A typed client of ARIA's HTTP API; close it (or use it in a ``with`` block)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        retry: Retry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url, self.retry = base_url.rstrip("/"), retry or Retry()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    async def close(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def send(self, call: Call[T]) -> T:
        """Send ``call``, retrying as :class:`Retry` allows; its value or its error."""
        attempt = 1
        while True:
            try:
                response = await self._http.request(
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
            await asyncio.sleep(self.retry.delay(attempt, error))
            attempt += 1

    async def size(
        self, signal: Signal, accounts: Accounts, *, request_id: str | None = None
    ) -> SizingOut:
        """Size ``signal`` for ``accounts``; retries keep one ``request_id``, so they return
        the stored decisions, never a second set."""
        return await self.send(calls.size(signal, accounts, request_id))

    async def preview(self, signal: Signal, accounts: Accounts) -> PreviewOut:
        """What sizing would answer now, reserving and recording nothing."""
        return await self.send(calls.preview(signal, accounts))

    async def cancel(self, decision_id: str) -> CancelOut:
        """Release the reservation of an approval that will not be placed."""
        return await self.send(calls.cancel(decision_id))

    async def push_state(
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
        return await self.send(
            calls.push_state(account_id, balance, equity, positions, as_of, cash_flows)
        )

    async def record_trades(
        self, account_id: str, trades: Sequence[Trade | Mapping[str, Any]]
    ) -> CountOut:
        """Closed trades (one whose id is already stored is skipped)."""
        return await self.send(calls.record_trades(account_id, trades))

    async def record_cash_flow(self, account_id: str, flow: CashFlow) -> CashFlowOut:
        """A deposit, payout, fee or scaling."""
        return await self.send(calls.record_cash_flow(account_id, flow))

    async def accounts(
        self, *, owner: str | None = None, firm: str | None = None, strategy: str | None = None
    ) -> list[Account]:
        """The accounts the key may see, filtered."""
        return await self.send(calls.list_accounts(owner, firm, strategy))

    async def account(self, account_id: str) -> Account:
        """One account."""
        return await self.send(calls.get_account(account_id))

    async def headroom(self, account_id: str) -> RiskOut:
        """Floors, headroom, trading state and objectives of one account."""
        return await self.send(calls.headroom(account_id))

    async def copy_signal(
        self, signal: Signal, *, accounts: Accounts, request_id: str | None = None
    ) -> CopyResult:
        """Size one signal for every account a copier mirrors it to: the approvals to place
        (each with its lots and ``decision_id``) and the refusals."""
        return calls.copied(await self.size(signal, accounts, request_id=request_id))

    async def confirm_placed(
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
        return await self.push_state(
            account_id, balance=balance, equity=equity, positions=positions, as_of=as_of
        )

    async def cancel_unplaced(
        self, decisions: CopyResult | Sequence[DecisionOut], placed_ids: Sequence[str]
    ) -> list[str]:
        """Cancel every approval whose id is not in ``placed_ids``; the ids released (one
        already placed, expired or cancelled has nothing left to release)."""
        done = []
        for decision_id in calls.unplaced(decisions, placed_ids):
            try:
                await self.cancel(decision_id)
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
