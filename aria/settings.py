"""Configuration from the environment (``ARIA_…`` variables), read only by composition roots."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _paths(value: Any) -> Any:
    # ``ARIA_RULE_FILES=a.toml:b.toml`` (the PATH convention) as well as a list.
    if isinstance(value, str):
        return [part for part in value.split(":") if part.strip()]
    return value


class Settings(BaseSettings):
    """ARIA's settings; every field can be set by an environment variable ``ARIA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ARIA_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///aria.db",
        description="SQLAlchemy URL; a bare postgresql:// URL is taken to mean psycopg 3",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="where migrations run, as the role that owns the tables (PostgreSQL with"
        " two roles, see 'aria db roles'); unset: the database URL",
    )
    rule_files: Annotated[list[Path], NoDecode, BeforeValidator(_paths)] = Field(
        default_factory=list,
        description="user rule files overlaid on the built-in firm catalog, in order",
    )
    instrument_files: Annotated[list[Path], NoDecode, BeforeValidator(_paths)] = Field(
        default_factory=list,
        description="user instrument files overlaid on the built-in instruments, in order",
    )
    reservation_ttl_seconds: int = Field(default=120, gt=0, le=86400)
    trade_history: int = Field(default=200, gt=0, le=10000)
    timeframe: str = "1d"
    near_floor_fraction: Decimal = Field(default=Decimal("0.005"), ge=0, le=1)
    debounce_updates: int = Field(default=3, ge=1, le=100)
    bar_outlier_multiple: float = Field(
        default=10.0,
        gt=1,
        description="a bar whose true range is more than this many times the median of the"
        " bars around it is refused unless the import allows outliers",
    )
    min_atr_bars: int = Field(
        default=42, ge=2, description="bars a symbol needs before an ATR is published for it"
    )
    max_future_skew_seconds: int = Field(
        default=5,
        ge=0,
        le=60,
        description="how far ahead of the server's clock a pushed state's as_of may be",
    )
    rate_limit: float = Field(
        default=100.0, ge=0, description="API requests a second per key on average; 0: none"
    )
    rate_burst: int = Field(default=200, ge=1, description="API requests a key may send at once")
    audit_key: SecretStr | None = Field(
        default=None,
        description="the secret that signs audit checkpoints (HMAC-SHA256); unset: checkpoints"
        " are unsigned and say so. Keep it away from the database's administrators",
    )
    checkpoint_dir: Path | None = Field(
        default=None,
        description="where the audit_checkpoint job writes a checkpoint every hour; unset: off",
    )
    calendar_dir: Path | None = Field(
        default=None,
        description="economic calendar files (CSV or ICS) the calendar job re-reads; unset: off",
    )
    news_lead_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        description="how long before a news window the news_ahead job writes its event",
    )
    flat_by_warnings: tuple[Annotated[int, Field(gt=0, le=1440)], ...] = Field(
        default=(15, 5),
        description="minutes before each account's flat-by time the flat_by job warns",
    )
    inactivity_warning_days: int = Field(
        default=3, ge=0, le=60, description="days before an inactivity limit the job warns"
    )
    notify_max_attempts: int = Field(
        default=10, ge=1, le=100, description="attempts of a notification before it is 'failed'"
    )
    notify_lease_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="how long a claimed notification is held; a claim whose process died is"
        " sent again after it",
    )
    notify_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="how long one webhook or apprise send may take"
    )
    notify_backoff_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="the first retry's delay, doubled at each retry"
    )
    notify_max_backoff_seconds: float = Field(
        default=3600.0, gt=0, le=86400, description="the longest delay between two attempts"
    )
    notify_private_hosts: bool = Field(
        default=False,
        description="let webhooks and apprise's HTTP channels reach loopback, private and"
        " link-local addresses (a receiver on this machine or inside the network)",
    )
    snapshot_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="days of volatility snapshots the prune_snapshots job keeps; each symbol's"
        " latest is always kept",
    )

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _psycopg(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value
