"""Broker symbols to ARIA's instruments: ``EURUSD.r``, ``US30.cash``, ``NAS100`` …

Brokers name one instrument many ways. Every path that takes a symbol from outside (a
sizing request, a preview, the positions of a state push, trades) resolves it here, once,
in this order: the account's own aliases, then its firm's, then the symbol itself when ARIA
knows it, then the common broker spellings (suffixes such as ``.r``, ``.pro``, ``.cash``
or a trailing ``m``, separators, case) and the well-known index names.
"""

from __future__ import annotations

from collections.abc import Container, Mapping

# Suffixes brokers add to one instrument's name per account type (raw, pro, ECN, cash
# index, mini, …); longest first so ``.raw`` is not read as ``.r`` + ``aw``.
SUFFIXES = (".CASH", ".RAW", ".PRO", ".ECN", ".STD", ".R", ".A", ".M", ".I", ".C")
# Characters brokers put between the two currencies or before a suffix.
SEPARATORS = ("/", "-", "_", ".")
# A mini or micro account's letter glued to the name without a dot (``EURUSDm``).
GLUED = "M"

# Index CFDs by the names brokers use; each maps to ARIA's instrument when it exists.
INDEX_NAMES: Mapping[str, str] = {
    "US30": "US30",
    "DJ30": "US30",
    "WS30": "US30",
    "DOW30": "US30",
    "DJI30": "US30",
    "USA30": "US30",
    "GER40": "GER40",
    "DE40": "GER40",
    "GER30": "GER40",
    "DE30": "GER40",
    "DAX40": "GER40",
    "DAX": "GER40",
    "NAS100": "US100",
    "USTEC": "US100",
    "NDX100": "US100",
    "NDX": "US100",
    "USTECH100": "US100",
    "US100": "US100",
    "SPX500": "US500",
    "US500": "US500",
    "SP500": "US500",
    "SPX": "US500",
    "USA500": "US500",
    "UK100": "UK100",
    "FTSE100": "UK100",
    "UKX": "UK100",
    "JP225": "JP225",
    "JPN225": "JP225",
    "NIKKEI225": "JP225",
    "GOLD": "XAUUSD",
    "SILVER": "XAGUSD",
}


def _key(symbol: str) -> str:
    return symbol.strip().upper()


def _alias(aliases: Mapping[str, str], key: str) -> str | None:
    found = aliases.get(key)
    if found is None:
        # Aliases given in another case still match: broker names are not case-sensitive.
        found = next((v for k, v in aliases.items() if _key(k) == key), None)
    return None if found is None else _key(found)


def _spellings(key: str) -> list[str]:
    """The names ``key`` may stand for once a broker's decorations are taken off."""
    # ``EURUSD-ECN`` and ``EURUSD_r`` carry a suffix as ``EURUSD.ecn`` and ``EURUSD.r`` do.
    bare = key.replace("-", ".").replace("_", ".")
    for suffix in SUFFIXES:
        if bare.endswith(suffix):
            bare = bare[: -len(suffix)]
            break
    joined = bare
    for separator in SEPARATORS:
        joined = joined.replace(separator, "")
    found = [joined]
    # ``US30m`` is US30, but ``MNQM`` or ``ESM`` read as a future's June contract: the letter
    # is taken off names of four characters or more only.
    if joined.endswith(GLUED) and len(joined) > 4:
        found.append(joined[:-1])
    return found


def normalise(symbol: str, known: Container[str]) -> str | None:
    """ARIA's name for a broker spelling of a known instrument (``None``: none fits)."""
    key = _key(symbol)
    if key in known:
        return key
    for spelling in _spellings(key):
        if spelling in known:
            return spelling
        index = INDEX_NAMES.get(spelling)
        if index is not None and index in known:
            return index
    return None


def resolve_symbol(
    symbol: str,
    known: Container[str],
    account_aliases: Mapping[str, str] | None = None,
    firm_aliases: Mapping[str, str] | None = None,
) -> str | None:
    """ARIA's instrument for a symbol as sent: the account's alias, else the firm's, else
    the symbol or its broker spelling when ARIA knows it (``None``: unknown)."""
    key = _key(symbol)
    for aliases in (account_aliases, firm_aliases):
        if aliases:
            found = _alias(aliases, key)
            if found is not None:
                return found
    return normalise(key, known)
