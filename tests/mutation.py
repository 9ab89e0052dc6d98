"""Mutation testing of the modules where a wrong number costs an account.

Run it on the modules a change touched::

    .venv/bin/python -m tests.mutation firms/floors.py accounts/peaks.py

Each module is parsed with :mod:`ast` and mutated one change at a time: comparison flips
(``<`` ↔ ``<=``, ``==`` ↔ ``!=``, ``is`` ↔ ``is not``, ``in`` ↔ ``not in``), arithmetic
(``+`` ↔ ``-``, ``*`` ↔ ``/``), ``min`` ↔ ``max``, ``and`` ↔ ``or``, constants (numbers ±1,
``True`` ↔ ``False``, the digits of ``Decimal("…")``), negated conditions (``if``, ``while``,
ternaries, comprehension filters) and dropped unary ``-``/``not``. For each mutant the
module's unit tests (``[tool.aria-mutation.tests]`` in ``pyproject.toml``) run with ``-x``
under the ``mutation`` Hypothesis profile; the mutated module is served by an import hook
(:mod:`tests.mutation_hook`), so the working tree is never written. A mutant is killed when
the tests fail or time out. The equivalent mutants listed in
``tests/mutation_equivalents.toml`` are left out of the score (killed ÷ non-equivalent),
which is printed and written to ``.mutation/report.json``.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "mutation_equivalents.toml"
REPORT = ROOT / ".mutation" / "report.json"

_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_BINARY: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
_BOOL: dict[type[ast.boolop], type[ast.boolop]] = {ast.And: ast.Or, ast.Or: ast.And}
_SWAP_CALLS = {"min": "max", "max": "min"}

Edit = Callable[[ast.AST], None]


@dataclass(frozen=True, slots=True)
class Mutant:
    """One change to one module: where it is and what it does."""

    module: str  # the file, e.g. firms/floors.py
    index: int  # the n-th mutant of the module, in source order
    line: int
    description: str  # e.g. "Sub -> Add: balance - rule.amount.resolve(initial)"

    @property
    def key(self) -> str:
        """The mutant's name in reports and in the equivalents file."""
        return f"{self.module}:{self.line} {self.description}"


@dataclass(slots=True)
class ModuleScore:
    """What became of one module's mutants."""

    module: str
    total: int = 0
    killed: int = 0
    equivalent: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Killed ÷ non-equivalent mutants (1.0 when there are none)."""
        counted = self.total - len(self.equivalent)
        return self.killed / counted if counted else 1.0


def _short(node: ast.AST) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "..."


def _skipped_lines(source: str) -> set[int]:
    return {n for n, line in enumerate(source.splitlines(), 1) if "pragma: no mutate" in line}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _ignored_subtrees(tree: ast.AST) -> set[int]:
    """Nodes never mutated: annotations, asserts, decorators, docstrings, format strings."""
    ignored = _docstring_nodes(tree)
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert | ast.JoinedStr):
            roots.append(node)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            roots.extend(node.decorator_list)  # dataclass options, validators: configuration
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.returns is not None:
                roots.append(node.returns)
            roots.extend(
                a.annotation for a in ast.walk(node.args) if isinstance(a, ast.arg) and a.annotation
            )
    for root in roots:
        ignored.update(id(n) for n in ast.walk(root))
    return ignored


def _decimal_literal(node: ast.AST) -> ast.Constant | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"Decimal", "D"}
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0]
    return None


def _edits(node: ast.AST) -> Iterator[tuple[str, Edit]]:
    """The mutations of one node, as a description and an in-place edit."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = _COMPARE.get(type(op))
            if swap is not None:

                def flip(n: ast.AST, i: int = i, swap: type[ast.cmpop] = swap) -> None:
                    assert isinstance(n, ast.Compare)
                    n.ops[i] = swap()

                yield f"{type(op).__name__} -> {swap.__name__}", flip
    elif isinstance(node, ast.BinOp | ast.AugAssign):
        swap_op = _BINARY.get(type(node.op))
        if swap_op is not None:

            def arith(n: ast.AST, swap: type[ast.operator] = swap_op) -> None:
                assert isinstance(n, ast.BinOp | ast.AugAssign)
                n.op = swap()

            yield f"{type(node.op).__name__} -> {swap_op.__name__}", arith
    elif isinstance(node, ast.BoolOp):
        swap_bool = _BOOL[type(node.op)]

        def logic(n: ast.AST, swap: type[ast.boolop] = swap_bool) -> None:
            assert isinstance(n, ast.BoolOp)
            n.op = swap()

        yield f"{type(node.op).__name__} -> {swap_bool.__name__}", logic
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Not):
        yield f"drop {type(node.op).__name__}", lambda n: None  # replaced by the parent
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        other = _SWAP_CALLS.get(node.func.id)
        if other is not None:

            def call(n: ast.AST, other: str = other) -> None:
                assert isinstance(n, ast.Call)
                assert isinstance(n.func, ast.Name)
                n.func.id = other

            yield f"{node.func.id} -> {other}", call
        literal = _decimal_literal(node)
        if literal is not None:
            try:
                number = Decimal(str(literal.value))
            except InvalidOperation:
                return
            bumped = str(number + 1)

            def decimal(n: ast.AST, bumped: str = bumped) -> None:
                literal = _decimal_literal(n)
                assert literal is not None
                literal.value = bumped

            yield f"Decimal {literal.value!s} -> {bumped}", decimal
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield f"{value} -> {not value}", lambda n: setattr(n, "value", not value)
        elif isinstance(value, int | float):
            yield f"{value!r} -> {value + 1!r}", lambda n: setattr(n, "value", value + 1)
    elif isinstance(node, ast.If | ast.While | ast.IfExp):

        def negate(n: ast.AST) -> None:
            assert isinstance(n, ast.If | ast.While | ast.IfExp)
            n.test = ast.UnaryOp(op=ast.Not(), operand=n.test)

        yield "negate condition", negate
    elif isinstance(node, ast.comprehension) and node.ifs:

        def negate_filter(n: ast.AST) -> None:
            assert isinstance(n, ast.comprehension)
            n.ifs = [ast.UnaryOp(op=ast.Not(), operand=test) for test in n.ifs]

        yield "negate filter", negate_filter


def _candidates(tree: ast.AST, source: str) -> list[tuple[ast.AST, str, Edit]]:
    ignored = _ignored_subtrees(tree)
    skipped = _skipped_lines(source)
    found: list[tuple[ast.AST, str, Edit]] = []
    for node in ast.walk(tree):
        if id(node) in ignored or getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Constant) and id(node) in {
            id(lit) for lit in (_decimal_literal(p) for p in ast.walk(tree)) if lit
        }:
            continue  # the Decimal call mutates its own literal
        for description, edit in _edits(node):
            found.append((node, description, edit))
    return found


def _drop_unary(tree: ast.AST, target: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is target:
                assert isinstance(target, ast.UnaryOp)
                setattr(parent, name, target.operand)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is target:
                        assert isinstance(target, ast.UnaryOp)
                        value[i] = target.operand
                        return


def mutants(module: str) -> list[Mutant]:
    """Every mutant of ``module`` (a path relative to the repository), in source order."""
    source = (ROOT / module).read_text()
    tree = ast.parse(source)
    named: list[tuple[int, str, tuple[int, int]]] = []
    for node, description, _ in _candidates(tree, source):
        where = node if not isinstance(node, ast.comprehension) else node.ifs[0]
        line = getattr(where, "lineno", 0)
        column = getattr(where, "col_offset", 0)
        named.append((line, f"{description}: {_short(node)}", (line, column)))
    # Two mutants alike on one line (the two 1s of ``np.partition(v, 1, axis=1)``) are told
    # apart by their place on it, left to right, so each has a name of its own.
    counts: dict[tuple[int, str], int] = {}
    for line, text, _ in named:
        counts[line, text] = counts.get((line, text), 0) + 1
    places = {
        key: sorted(place for line, text, place in named if (line, text) == key)
        for key, count in counts.items()
        if count > 1
    }
    found = []
    for index, (line, text, place) in enumerate(named):
        if (line, text) in places:
            text += f" (#{places[line, text].index(place) + 1} on the line)"
        found.append(Mutant(module, index, line, text))
    return found


def mutated_source(module: str, index: int) -> str:
    """The source of ``module`` with its ``index``-th mutant applied."""
    source = (ROOT / module).read_text()
    tree = ast.parse(source)
    node, description, edit = _candidates(tree, source)[index]
    if description.startswith("drop "):
        _drop_unary(tree, node)
    else:
        edit(node)
    return ast.unparse(ast.fix_missing_locations(tree))


def _config() -> dict[str, object]:
    config: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "aria-mutation"
    ]
    return config


def configured_modules() -> list[str]:
    """The modules ``[tool.aria-mutation] modules`` lists, in its order."""
    modules = _config()["modules"]
    assert isinstance(modules, list)
    return [str(m) for m in modules]


def changed_modules(ref: str) -> list[str]:
    """The configured modules that differ from git ``ref`` (committed or not)."""
    changed = subprocess.run(
        ["git", "diff", "--name-only", ref, "--"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [m for m in configured_modules() if m in changed]


def _test_paths(module: str) -> list[str]:
    table = _config()["tests"]
    assert isinstance(table, dict)
    prefixes = sorted((p for p in table if module.startswith(p)), key=len, reverse=True)
    if not prefixes:
        raise SystemExit(f"no tests configured for {module} in [tool.aria-mutation.tests]")
    return [str(path) for path in table[prefixes[0]]]


def _module_name(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def _pytest(module: str, tests: list[str], mutant_file: Path | None, timeout: float) -> bool:
    """True when the tests pass (the mutant, if any, survives)."""
    env = dict(os.environ, HYPOTHESIS_PROFILE="mutation", PYTHONDONTWRITEBYTECODE="1")
    if mutant_file is not None:
        env["ARIA_MUTANT_MODULE"] = _module_name(module)
        env["ARIA_MUTANT_SOURCE"] = str(mutant_file)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "--no-header",
        "-p",
        "no:cacheprovider",
        "-p",
        "tests.mutation_hook",
        "-m",
        "not postgres and not slow",
        *tests,
    ]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    if b"imported before the mutant could be installed" in done.stdout + done.stderr:
        raise SystemExit(f"{module} is imported before the mutation hook: no mutant can be served")
    return done.returncode == 0


def load_equivalents() -> dict[str, str]:
    """Mutant key → the reason it is equivalent, from ``tests/mutation_equivalents.toml``."""
    if not EQUIVALENTS.exists():
        return {}
    data = tomllib.loads(EQUIVALENTS.read_text())
    return {
        f"{entry['module']}:{entry['line']} {entry['mutant']}": entry["reason"]
        for entry in data.get("equivalent", [])
    }


def run_module(
    module: str,
    equivalents: dict[str, str],
    only: set[int] | None,
    jobs: int = 1,
    budget: float | None = None,
) -> ModuleScore | None:
    """Mutate ``module`` one change at a time and run its tests against each mutant.

    ``jobs`` mutants run side by side; with a ``budget`` (seconds), a module whose mutants
    would take longer, estimated from one clean run of its tests, is skipped (``None``).
    """
    tests = _test_paths(module)
    started = time.monotonic()
    if not _pytest(module, tests, None, timeout=600):
        raise SystemExit(f"the tests of {module} ({' '.join(tests)}) fail without a mutant")
    clean = time.monotonic() - started
    timeout = 5 * clean + 10
    score = ModuleScore(module)
    found = [m for m in mutants(module) if only is None or m.index in only]
    to_run = [m for m in found if m.key not in equivalents]
    estimate = clean * len(to_run) / jobs
    if budget is not None and estimate > budget:
        print(
            f"{module}: skipped, {len(to_run)} mutants × {clean:.1f} s ≈ {estimate:.0f} s "
            f"exceeds the budget of {budget:.0f} s",
            flush=True,
        )
        return None
    print(f"{module}: {len(found)} mutants, tests {' '.join(tests)}", flush=True)
    score.total = len(found)
    score.equivalent = [m.key for m in found if m.key in equivalents]

    def survives(mutant: Mutant) -> bool:
        with tempfile.TemporaryDirectory() as tmp:
            mutant_file = Path(tmp) / Path(module).name
            mutant_file.write_text(mutated_source(module, mutant.index))
            return _pytest(module, tests, mutant_file, timeout)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done, (mutant, survived) in enumerate(
            zip(to_run, pool.map(survives, to_run), strict=True), 1
        ):
            print(f"  {done}/{len(to_run)}", end="\r", flush=True)
            if survived:
                score.survived.append(mutant.key)
                print(f"  survived #{mutant.index} {mutant.key}", flush=True)
            else:
                score.killed += 1
    return score


def _commit() -> str:
    """The commit measured, with ``+changes`` when the code or tests differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "accounts", "firms", "aria", "tests")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    """Run the mutation tests of the given modules; print and write the scores."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="paths such as firms/floors.py")
    parser.add_argument("--all", action="store_true", help="every module in pyproject.toml")
    parser.add_argument("--changed", metavar="REF", help="the configured modules changed since REF")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", type=int, action="append", help="run only mutant #N")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="mutants run side by side"
    )
    parser.add_argument(
        "--budget",
        type=float,
        metavar="SECONDS",
        help="a time budget for the whole run: a module whose mutants would take longer than"
        " what is left of it (estimated from one clean run of its tests) is skipped",
    )
    args = parser.parse_args(argv)
    if args.all:
        args.modules = configured_modules()
    elif args.changed:
        args.modules = changed_modules(args.changed)
        print(f"changed since {args.changed}: {' '.join(args.modules) or 'none'}")
    if not args.modules:
        return 0
    equivalents = load_equivalents()
    if args.list:
        for module in args.modules:
            for mutant in mutants(module):
                mark = " (equivalent)" if mutant.key in equivalents else ""
                print(f"#{mutant.index} {mutant.key}{mark}")
        return 0
    known = {m.key for module in args.modules for m in mutants(module)}
    for key in sorted(equivalents):
        if key.split(":")[0] in args.modules and key not in known:
            print(f"warning: stale equivalent (no such mutant): {key}", flush=True)
    only = set(args.only) if args.only else None
    commit = _commit()
    scores: list[ModuleScore] = []
    left = args.budget
    for module in args.modules:
        started = time.monotonic()
        score = run_module(module, equivalents, only, max(1, args.jobs), left)
        if score is not None:
            scores.append(score)
        if left is not None:
            left = max(0.0, left - (time.monotonic() - started))
    print(f"\n{'module':<36} {'mutants':>7} {'equiv':>5} {'killed':>6} {'score':>7}")
    for s in scores:
        print(f"{s.module:<36} {s.total:>7} {len(s.equivalent):>5} {s.killed:>6} {s.score:>7.1%}")
    REPORT.parent.mkdir(exist_ok=True)
    report = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "modules": [dict(asdict(s), score=round(s.score, 4)) for s in scores],
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {REPORT.relative_to(ROOT)}")
    return 0 if not any(s.survived for s in scores) else 1


if __name__ == "__main__":
    sys.exit(main())
