"""The firm catalog: built-in TOML rule files, user files that add or override, validation.

A user file is a firm file of the same shape. For a firm that already exists it may:

- replace firm-level blocks (``reset``, ``cross_account``, …) by giving them;
- replace blocks of an existing plan — matched by ``id`` and ``rulebook_version`` — by
  giving the plan with only those blocks (a block is replaced whole, so it must carry its
  own source);
- add plans and whole new firms.

Every problem is reported with the file, the firm, the plan and the field it is in.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from firms.errors import RuleFileError, UnknownFirm, UnknownPlan
from firms.model import Firm, Plan
from firms.ruleset import RuleSet, resolve

_FRIENDLY = {
    "extra_forbidden": "unknown field",
    "missing": "is required",
}
_PROVENANCE = {"source", "read_on", "confidence"}


def _describe_error(error: Mapping[str, Any], raw: Mapping[str, Any]) -> str:
    loc = list(error["loc"])
    where = f"firm {raw.get('id', '?')!r}"
    if len(loc) >= 2 and loc[0] == "plans" and isinstance(loc[1], int):
        plans = raw.get("plans") or []
        plan = plans[loc[1]] if loc[1] < len(plans) and isinstance(plans[loc[1]], dict) else {}
        version = plan.get("rulebook_version")
        where += f", plan {plan.get('id', f'#{loc[1] + 1}')!r}"
        where += f" (rulebook {version})" if version else ""
        loc = loc[2:]
    # pydantic adds the name of the matched union member or validator to the path; drop it.
    path = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
    message = _FRIENDLY.get(error["type"], error["msg"])
    if error["type"] == "missing" and loc and loc[-1] in _PROVENANCE:
        message = "is required: every rule block names its source, the date read and a confidence"
    message = message.removeprefix("Value error, ")
    return f"{where}: field {path or '(file)'}: {message}"


def parse_firm(raw: Mapping[str, Any], file: str) -> Firm:
    """Validate one firm document, raising :class:`RuleFileError` that names file, plan, field."""
    try:
        return Firm.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe_error(error, raw) for error in exc.errors()]
        raise RuleFileError(file, problems) from None


def read_toml(path: Path | str) -> dict[str, Any]:
    """Read a TOML file; a syntax error becomes a :class:`RuleFileError`."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleFileError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(str(path), [f"is not valid TOML: {exc}"]) from None


def _plan_key(plan: Mapping[str, Any]) -> tuple[Any, Any]:
    return plan.get("id"), plan.get("rulebook_version")


def merge_firm(base: Mapping[str, Any], extra: Mapping[str, Any], file: str) -> dict[str, Any]:
    """Overlay a user firm document on a built-in one (see the module docstring)."""
    merged = {k: copy.deepcopy(v) for k, v in base.items() if k != "plans"}
    merged.update({k: copy.deepcopy(v) for k, v in extra.items() if k != "plans"})
    plans = [copy.deepcopy(p) for p in base.get("plans", [])]
    for plan in extra.get("plans", []):
        if not isinstance(plan, dict):
            raise RuleFileError(
                file, [f"firm {base.get('id')!r}: each [[plans]] entry must be a table"]
            )
        matches = [
            i
            for i, existing in enumerate(plans)
            if existing.get("id") == plan.get("id")
            and plan.get("rulebook_version") in (None, existing.get("rulebook_version"))
        ]
        if len(matches) > 1:
            raise RuleFileError(
                file,
                [
                    f"firm {base.get('id')!r}, plan {plan.get('id')!r}: field rulebook_version:"
                    " is required, the plan has several rulebook versions"
                ],
            )
        if matches:
            plans[matches[0]] = {**plans[matches[0]], **copy.deepcopy(plan)}
        else:
            plans.append(copy.deepcopy(plan))
    merged["plans"] = plans
    return merged


@dataclass(frozen=True)
class Catalog:
    """Firms by id, each with its plans; built-ins overlaid with any user files."""

    firms: Mapping[str, Firm]
    origins: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def firm(self, firm_id: str) -> Firm:
        """Return the firm or raise :class:`UnknownFirm` listing the known ones."""
        key = firm_id.strip().lower()
        if key not in self.firms:
            raise UnknownFirm(f"unknown firm {firm_id!r}; known: {', '.join(sorted(self.firms))}")
        return self.firms[key]

    def plan(self, firm_id: str, plan_id: str, version: str | None = None) -> Plan:
        """Return a plan; without ``version``, the newest active one of that id."""
        firm = self.firm(firm_id)
        candidates = [p for p in firm.plans if p.id == plan_id.strip().lower()]
        if version is not None:
            candidates = [p for p in candidates if p.rulebook_version == version]
        if not candidates:
            known = ", ".join(sorted({f"{p.id} ({p.rulebook_version})" for p in firm.plans}))
            wanted = plan_id + (f" (rulebook {version})" if version else "")
            raise UnknownPlan(f"{firm.name} has no plan {wanted}; plans: {known}")
        return max(
            candidates,
            key=lambda p: (
                p.status == "active",
                p.effective_from or p.rulebook_version,
                p.rulebook_version,
            ),
        )

    def rule_set(
        self,
        firm_id: str,
        plan_id: str,
        phase: str,
        size: Decimal | int,
        version: str | None = None,
        options: Mapping[str, Decimal] | None = None,
    ) -> RuleSet:
        """The resolved rule set for an account of ``size`` in ``phase`` of a plan, with the
        account's checkout ``options``."""
        firm = self.firm(firm_id)
        plan = self.plan(firm_id, plan_id, version)
        return resolve(firm, plan, phase, Decimal(size), options)

    def plans(self) -> Iterable[tuple[Firm, Plan]]:
        """Every (firm, plan) pair, sorted by firm then plan."""
        for firm_id in sorted(self.firms):
            firm = self.firms[firm_id]
            for plan in sorted(firm.plans, key=lambda p: (p.id, p.rulebook_version)):
                yield firm, plan


def builtin_files() -> list[tuple[str, str]]:
    """(name, TOML text) of every built-in catalog file, sorted by name."""
    folder = resources.files("firms") / "catalog"
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def _load_raw(
    files: Iterable[tuple[str, dict[str, Any]]],
) -> tuple[dict[str, Firm], dict[str, tuple[str, ...]]]:
    raw_by_firm: dict[str, dict[str, Any]] = {}
    origins: dict[str, tuple[str, ...]] = {}
    last_file: dict[str, str] = {}
    for name, raw in files:
        firm_id = raw.get("id")
        if not isinstance(firm_id, str) or not firm_id:
            raise RuleFileError(name, ["field id: is required (the firm's id, e.g. 'ftmo')"])
        if firm_id in raw_by_firm:
            raw_by_firm[firm_id] = merge_firm(raw_by_firm[firm_id], raw, name)
            origins[firm_id] = (*origins[firm_id], name)
        else:
            raw_by_firm[firm_id] = dict(raw)
            origins[firm_id] = (name,)
        last_file[firm_id] = name
        # Validate after each overlay so an error names the file that introduced it.
        parse_firm(raw_by_firm[firm_id], name)
    firms = {firm_id: parse_firm(raw, last_file[firm_id]) for firm_id, raw in raw_by_firm.items()}
    return firms, origins


def load_catalog(user_files: Sequence[Path | str] = ()) -> Catalog:
    """Load the built-in catalog and overlay ``user_files`` in order."""
    files: list[tuple[str, dict[str, Any]]] = []
    for name, text in builtin_files():
        try:
            files.append((f"built-in {name}", tomllib.loads(text)))
        except tomllib.TOMLDecodeError as exc:
            raise RuleFileError(f"built-in {name}", [f"is not valid TOML: {exc}"]) from None
    files.extend((str(path), read_toml(path)) for path in user_files)
    firms, origins = _load_raw(files)
    return Catalog(firms=firms, origins=origins)
