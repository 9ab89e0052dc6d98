"""The accounts aggregate's records: pushed states, closed trades and profile layers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts.model import AccountState, Trade
from storage import translate
from storage.repositories import revisions
from storage.repositories.statements import LAYERS, STATES, TRADES, insert, new_id

_LAYERS_OF = sa.select(LAYERS.c.scope, LAYERS.c.key, LAYERS.c.layer).where(
    LAYERS.c.scope.in_(sa.bindparam("scopes", expanding=True)),
    LAYERS.c.key.in_(sa.bindparam("keys", expanding=True)),
)
_ALL_LAYERS = sa.select(LAYERS.c.scope, LAYERS.c.key, LAYERS.c.layer)

_RANK = (
    sa.func.row_number()
    .over(
        partition_by=TRADES.c.account_id,
        order_by=(TRADES.c.closed_at.desc(), TRADES.c.id.desc()),
    )
    .label("rank")
)
_LATEST = (
    sa.select(TRADES, _RANK)
    .where(TRADES.c.account_id.in_(sa.bindparam("ids", expanding=True)))
    .subquery()
)
_RECENT = (
    sa.select(*(_LATEST.c[c.name] for c in TRADES.c))
    .where(_LATEST.c.rank <= sa.bindparam("limit"))
    .order_by(_LATEST.c.account_id, _LATEST.c.closed_at, _LATEST.c.id)
)


def recent_trades(
    session: Session, account_ids: Sequence[str], limit: int
) -> dict[str, list[Trade]]:
    """The latest ``limit`` trades of each account, oldest first."""
    result: dict[str, list[Trade]] = {account_id: [] for account_id in account_ids}
    if not account_ids:
        return result
    for row in session.connection().execute(
        _RECENT, {"ids": sorted(set(account_ids)), "limit": limit}
    ):
        result[row.account_id].append(translate.trade_from_row(row))
    return result


def layers_of(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored profile layers among ``keys`` (scope, key)."""
    if not keys:
        return {}
    wanted = set(keys)
    rows = session.connection().execute(
        _LAYERS_OF,
        {"scopes": sorted({s for s, _ in wanted}), "keys": sorted({k for _, k in wanted})},
    )
    return {(r.scope, r.key): dict(r.layer) for r in rows if (r.scope, r.key) in wanted}


def all_layers(session: Session) -> dict[tuple[str, str], dict[str, Any]]:
    """Every stored profile layer by (scope, key)."""
    return {(r.scope, r.key): dict(r.layer) for r in session.connection().execute(_ALL_LAYERS)}


class AccountRecords:
    """Pushed states, closed trades and profile layers of accounts."""

    session: Session

    def append_state(
        self,
        account_id: str,
        state: AccountState,
        daily_floor: Decimal | None,
        max_loss_floor: Decimal | None,
        received_at: dt.datetime,
    ) -> None:
        self.session.execute(
            STATES.insert(),
            {
                "account_id": account_id,
                "balance": state.balance,
                "equity": state.equity,
                "as_of": state.as_of,
                "positions": translate.positions_to_json(state.positions),
                "daily_floor": daily_floor,
                "max_loss_floor": max_loss_floor,
                "received_at": received_at,
            },
        )

    def states(
        self, account_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> list[tuple[AccountState, Decimal | None, Decimal | None]]:
        query = (
            sa.select(STATES)
            .where(STATES.c.account_id == account_id)
            .order_by(STATES.c.as_of, STATES.c.id)
        )
        if start is not None:
            query = query.where(STATES.c.as_of >= start)
        if end is not None:
            query = query.where(STATES.c.as_of <= end)
        return [
            (
                AccountState(balance=r.balance, equity=r.equity, as_of=r.as_of),
                r.daily_floor,
                r.max_loss_floor,
            )
            for r in self.session.execute(query)
        ]

    def add_trade(self, account_id: str, trade: Trade) -> bool:
        values = {
            "id": new_id(),
            "account_id": account_id,
            "external_id": trade.id,
            "symbol": trade.symbol,
            "side": trade.side.value,
            "lots": trade.lots,
            "entry": trade.entry,
            "exit": trade.exit,
            "pnl": trade.pnl,
            "opened_at": trade.opened_at,
            "closed_at": trade.closed_at,
            "decision_id": trade.decision_id,
        }
        # Two pushes of one trade can both look and find nothing: the unique key decides
        # (waiting for the other's commit on PostgreSQL), and the later one stores nothing.
        statement = (
            insert(self.session, TRADES)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["account_id", "external_id"])
            .returning(TRADES.c.id)
        )
        return self.session.execute(statement).first() is not None

    def recent_trades(self, account_ids: Sequence[str], limit: int) -> dict[str, list[Trade]]:
        return recent_trades(self.session, account_ids, limit)

    def layer(self, scope: str, key: str) -> dict[str, Any] | None:
        return self.layers([(scope, key)]).get((scope, key))

    def layers(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        return layers_of(self.session, keys)

    def put_layer(self, scope: str, key: str, layer: dict[str, Any], at: dt.datetime) -> None:
        statement = insert(self.session, LAYERS).values(
            scope=scope, key=key, layer=layer, updated_at=at
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["scope", "key"],
                set_={
                    "layer": statement.excluded.layer,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
        revisions.bump(self.session, revisions.LAYERS)
