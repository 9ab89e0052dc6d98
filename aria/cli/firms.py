"""``aria firms`` and ``aria rules``: the firm catalog on the command line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from firms.catalog import Catalog
    from firms.model import Firm, Plan, Sourced

# The command line loads what a command needs inside the command, so ``aria --help`` and
# ``aria size`` start fast: no module-level import of the catalog, storage or the web stack.

firms_app = typer.Typer(help="List the firm catalog and show rule sets.", no_args_is_help=False)
rules_app = typer.Typer(help="Validate user rule files.", no_args_is_help=True)

# Tables wrap badly at the 80 columns rich assumes when output is piped; give them room.
out = Console(soft_wrap=True, width=None if Console().is_terminal else 160)
err = Console(stderr=True, soft_wrap=True)

RulesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules", "-r", help="a user rule file to overlay (repeatable; also ARIA_RULE_FILES)"
    ),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise."""
    from aria.api.error_table import clean

    message = clean(message)
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def failed(error: Exception, message: str | None = None) -> typer.Exit:
    """Print an error of the service, storage, firms or sizing tree (or ``message`` about it)
    and return the exit the shared error table gives it."""
    from aria.api.error_table import answer_for

    answer = answer_for(error)
    if answer is None:
        return fail(message or str(error))
    # An error raised without words still says what kind it is.
    return fail(message or str(error) or answer.title, answer.exit_code)


def catalog_from(rules: list[Path] | None) -> Catalog:
    """Load the catalog with the settings' rule files and any given on the command line."""
    from aria.settings import Settings
    from firms.catalog import load_catalog
    from firms.errors import FirmsError

    try:
        files = [*Settings().rule_files, *(rules or [])]
        return load_catalog(files)
    except FirmsError as exc:
        raise failed(exc) from None


def plan_blocks(plan: Plan) -> list[tuple[str, Sourced]]:
    """(name, block) of every sourced block of a plan, in display order."""
    blocks: list[tuple[str, Sourced | None]] = [
        ("daily_loss", plan.daily_loss),
        ("max_loss", plan.max_loss),
        ("floating_loss", plan.floating_loss),
        ("limits", plan.limits),
        ("cash_flows", plan.cash_flows),
        ("cross_account", plan.cross_account),
        ("objectives", plan.objectives),
    ]
    blocks += [(f"consistency[{i}]", r) for i, r in enumerate(plan.consistency)]
    blocks += [(f"news[{i}]", r) for i, r in enumerate(plan.news)]
    blocks += [(f"sessions[{i}]", r) for i, r in enumerate(plan.sessions)]
    blocks += [(f"options.{name}", option) for name, option in plan.options.items()]
    for phase, override in plan.overrides.items():
        for name in ("daily_loss", "max_loss", "floating_loss", "limits", "cash_flows"):
            block = getattr(override, name)
            blocks.append((f"overrides.{phase}.{name}", block))
    return [(name, block) for name, block in blocks if block is not None]


def as_of(plan: Plan) -> dt.date:
    """The date by which every block of the plan had been read from its source."""
    return min(block.read_on for _, block in plan_blocks(plan))


def _targets(plan: Plan) -> str:
    if plan.objectives is None:
        return "—"
    parts = [
        f"{phase} {objective.target.describe()}"
        for phase, objective in plan.objectives.phases.items()
        if objective.target is not None
    ]
    return ", ".join(parts) or "—"


def _uncertain_mark(plan: Plan) -> str:
    return " [yellow]?[/]" if any(block.is_uncertain for _, block in plan_blocks(plan)) else ""


@firms_app.callback(invoke_without_command=True)
def list_firms(ctx: typer.Context, rules: RulesOption = None) -> None:
    """List every firm and plan in the catalog with its key rules."""
    if ctx.invoked_subcommand is not None:
        return
    catalog = catalog_from(rules)
    table = Table(title="Firm catalog", show_lines=False)
    for column in ("Firm", "Plan", "Rulebook", "As of"):
        table.add_column(column, no_wrap=True)
    for column in ("Sizes", "Daily loss", "Max loss", "Targets"):
        table.add_column(column, overflow="fold")
    for firm, plan in catalog.plans():
        table.add_row(
            firm.name,
            f"{plan.id}{_uncertain_mark(plan)}",
            f"{plan.rulebook_version} ({plan.status})",
            as_of(plan).isoformat(),
            ", ".join(f"{size // 1000}k" for size in plan.sizes),
            plan.daily_loss.describe(),
            plan.max_loss.describe(),
            _targets(plan),
        )
    out.print(table)
    out.print(
        "[yellow]?[/] a plan with a value marked uncertain: check it against the firm's live page."
    )


def _print_block(name: str, block: Sourced, size: Decimal | None) -> None:
    from firms.model import Sourced

    described = getattr(block, "describe", None)
    summary = described() if callable(described) else ""
    out.print(f"[bold]{name}[/] {summary}", highlight=False)
    fields = block.model_dump(
        mode="json", exclude=set(Sourced.model_fields), exclude_none=True, exclude_defaults=False
    )
    out.print("  " + json.dumps(fields, ensure_ascii=False), highlight=False, markup=False)
    if size is not None:
        for field in ("amount",):
            amount = getattr(block, field, None)
            if amount is not None:
                out.print(f"  amount for {size:,}: {amount.resolve(size):,}", highlight=False)
    confidence = block.confidence.value + (
        f", uncertain: {', '.join(block.uncertain)}" if block.uncertain else ""
    )
    out.print(
        f"  [dim]{confidence}; read {block.read_on.isoformat()}; {' '.join(block.source)}[/]",
        highlight=False,
    )
    if block.note:
        out.print(f"  [dim]{' '.join(block.note.split())}[/]", highlight=False)


def _show_firm(firm: Firm) -> None:
    out.print(f"[bold]{firm.name}[/] ({firm.id}) {firm.website or ''}", highlight=False)
    out.print(f"daily reset: {firm.reset.describe()}; status: {firm.status}", highlight=False)
    if firm.cross_account is not None:
        _print_block("cross_account", firm.cross_account, None)
    for plan in firm.plans:
        out.print(
            f"- {plan.id} ({plan.rulebook_version}, {plan.status}): {plan.name};"
            f" sizes {', '.join(f'{s:,}' for s in plan.sizes)}",
            highlight=False,
        )


@firms_app.command("show")
def show(
    firm_id: Annotated[str, typer.Argument(metavar="FIRM", help="firm id, e.g. ftmo")],
    plan_id: Annotated[
        str | None, typer.Argument(metavar="[PLAN]", help="plan id, e.g. 2-step")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="rulebook version (default: newest active)")
    ] = None,
    size: Annotated[int | None, typer.Option(help="account size to resolve amounts for")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the rule data as JSON")] = False,
    rules: RulesOption = None,
) -> None:
    """Show a firm, or one plan's rule set with the source of every block."""
    from firms.errors import FirmsError

    catalog = catalog_from(rules)
    try:
        firm = catalog.firm(firm_id)
        plan = catalog.plan(firm_id, plan_id, version) if plan_id else None
        if plan is not None and size is not None:
            for phase in plan.phases:
                catalog.rule_set(firm.id, plan.id, phase.id, size, plan.rulebook_version)
    except FirmsError as exc:
        raise failed(exc) from None
    if as_json:
        data = (plan or firm).model_dump(mode="json", exclude_none=True)
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    if plan is None:
        _show_firm(firm)
        return
    out.print(f"[bold]{firm.name} — {plan.name}[/]", highlight=False)
    out.print(
        f"plan {plan.id}, rulebook {plan.rulebook_version} ({plan.status});"
        f" currency {plan.currency};"
        f" sizes {', '.join(f'{s:,}' for s in plan.sizes)}; daily reset"
        f" {(plan.daily_loss.reset or plan.reset or firm.reset).describe()}",
        highlight=False,
    )
    out.print(
        "phases: " + ", ".join(f"{p.id} ({p.kind.value})" for p in plan.phases), highlight=False
    )
    if plan.cross_account is None and firm.cross_account is not None:
        _print_block("cross_account (firm-wide)", firm.cross_account, None)
    for name, block in plan_blocks(plan):
        _print_block(name, block, Decimal(size) if size is not None else None)


@rules_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="user rule files (TOML)")],
) -> None:
    """Validate user rule files against the built-in catalog; exit 2 naming file, plan and field."""
    from firms.catalog import load_catalog
    from firms.errors import FirmsError

    try:
        catalog = load_catalog(files)
    except FirmsError as exc:
        raise failed(exc) from None
    for path in files:
        touched = [firm for firm, origins in catalog.origins.items() if str(path) in origins]
        for firm_id in touched:
            firm = catalog.firms[firm_id]
            plans = ", ".join(f"{p.id} ({p.rulebook_version})" for p in firm.plans)
            out.print(f"{path}: OK — {firm.name}: {plans}", highlight=False)
