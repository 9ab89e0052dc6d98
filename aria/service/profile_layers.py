"""Profile layers as stored: firm plan → account → strategy, on top of the account's preset."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accounts.model import Account
from aria.service.context import Context, layer_key
from aria.service.ports import UnitOfWork
from aria.sizing.profiles import Profile


def layer_keys(account: Account, strategy: str | None) -> list[tuple[str, str]]:
    """The (scope, key) of every layer that may apply to an account, in order."""
    keys = [("firm_plan", f"{account.firm}/{account.plan}"), ("account", account.id)]
    if strategy:
        keys.append(("strategy", strategy))
    return keys


def prefetch(
    uow: UnitOfWork, accounts: Iterable[Account], strategy: str | None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every stored layer the accounts may use, in one query."""
    keys = {
        key for account in accounts for key in layer_keys(account, strategy or account.strategy)
    }
    return uow.accounts.layers(sorted(keys))


def profile_for(
    ctx: Context,
    account: Account,
    strategy: str | None,
    stored: Mapping[tuple[str, str], dict[str, Any]],
) -> Profile:
    """The account's resolved profile with its stored layers applied."""
    layers = tuple(
        (scope, layer_key(stored[(scope, key)]))
        for scope, key in layer_keys(account, strategy or account.strategy)
        if (scope, key) in stored
    )
    return ctx.profile(account.profile, layers)
