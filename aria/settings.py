"""Configuration from the environment (``ARIA_…`` variables), read only by composition roots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _paths(value: Any) -> Any:
    # ``ARIA_RULE_FILES=a.toml:b.toml`` (the PATH convention) as well as a list.
    if isinstance(value, str):
        return [part for part in value.split(":") if part.strip()]
    return value


class Settings(BaseSettings):
    """ARIA's settings; every field can be set by an environment variable of its name."""

    model_config = SettingsConfigDict(env_prefix="ARIA_", extra="forbid")

    rule_files: Annotated[list[Path], NoDecode, BeforeValidator(_paths)] = Field(
        default_factory=list,
        description="user rule files overlaid on the built-in firm catalog, in order",
    )
    instrument_files: Annotated[list[Path], NoDecode, BeforeValidator(_paths)] = Field(
        default_factory=list,
        description="user instrument files overlaid on the built-in instruments, in order",
    )
