"""Symbols from outside resolved to ARIA's instruments, with the account's and firm's aliases.

The rule itself is pure (:func:`aria.sizing.symbols.resolve_symbol`); this module gathers
what it reads: the account's aliases, its firm's, and the instruments ARIA knows (the
file catalog, and those stored at run time only when a symbol is not in the file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from accounts.model import Account, Position, Trade
from aria.service.context import Context
from aria.service.ports import UnitOfWork
from aria.sizing.instruments import InstrumentCatalog
from aria.sizing.symbols import resolve_symbol
from firms.errors import FirmsError


class Known:
    """The instruments ARIA knows, reading the stored ones only on a miss of the file's."""

    def __init__(self, ctx: Context, uow: UnitOfWork | None = None) -> None:
        self._ctx, self._uow = ctx, uow
        self._catalog: InstrumentCatalog | None = None

    @classmethod
    def of(cls, catalog: InstrumentCatalog) -> Known:
        """The instruments of an already merged catalog."""
        known = cls.__new__(cls)
        known._catalog = catalog
        return known

    def __contains__(self, symbol: object) -> bool:
        if self._catalog is None:
            if symbol in self._ctx.instruments:
                return True
            if self._uow is None:
                return False
            self._catalog = self._ctx.instrument_catalog(self._uow.market.instruments())
        return symbol in self._catalog


def firm_aliases(ctx: Context, account: Account) -> Mapping[str, str]:
    """The aliases of the account's firm in the catalog (none for an unknown firm)."""
    try:
        return ctx.catalog.firm(account.firm).symbol_aliases
    except FirmsError:
        return {}


def resolve(ctx: Context, account: Account, symbol: str, known: Known) -> str | None:
    """ARIA's instrument for ``symbol`` as ``account`` names it (``None``: unknown)."""
    return resolve_symbol(symbol, known, account.symbol_aliases, firm_aliases(ctx, account))


def positions(
    ctx: Context, account: Account, given: Sequence[Position], known: Known
) -> tuple[Position, ...]:
    """Positions under ARIA's symbols; one ARIA does not know keeps its name, as before."""
    found = [(p, resolve(ctx, account, p.symbol, known)) for p in given]
    return tuple(
        p if s is None or s == p.symbol else p.model_copy(update={"symbol": s}) for p, s in found
    )


def trades(
    ctx: Context, account: Account, given: Sequence[Trade], known: Known
) -> tuple[Trade, ...]:
    """Closed trades under ARIA's symbols; one ARIA does not know keeps its name."""
    found = [(t, resolve(ctx, account, t.symbol, known)) for t in given]
    return tuple(
        t if s is None or s == t.symbol else t.model_copy(update={"symbol": s}) for t, s in found
    )
