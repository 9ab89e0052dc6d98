"""Column types that mean the same on SQLite and PostgreSQL.

- :class:`UTCDateTime`: timezone-aware in, UTC-aware out. SQLite's DATETIME silently drops
  the offset (it would store 12:00+02:00 as 12:00), so values are converted to UTC first,
  and naive values are refused.
- :class:`ExactDecimal`: exact decimals. SQLite binds ``Numeric`` as a float (18 significant
  digits do not survive), so it stores canonical text there and unconstrained ``NUMERIC``
  on PostgreSQL. Money is compared and summed in Python, never in SQL, because text does
  not order numerically.
- :data:`JSONDoc`: JSON, as JSONB on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored as UTC on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: ARIA stores only timezone-aware times")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        # raw SQL on SQLite can hand back text
        moment: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """Exact decimals: NUMERIC on PostgreSQL, canonical text on SQLite."""

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(64))
        return dialect.type_descriptor(sa.Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{value!r} is not a finite Decimal")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return (
            None
            if value is None
            else Decimal(str(value) if not isinstance(value, Decimal) else value)
        )


JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")
