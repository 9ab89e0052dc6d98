"""The packages imported are ARIA's own, packaged whole, and the pure core stays pure."""

from __future__ import annotations

import ast
import importlib
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = ["accounts", "firms", "aria/sizing", "aria/service", "aria/simulation"]


@pytest.mark.parametrize("name", ["accounts", "firms", "storage", "aria", "jobs"])
def test_package_is_ours_not_a_pypi_namesake(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == ROOT / name


@pytest.mark.parametrize("name", ["accounts", "firms", "storage"])
def test_namesake_guard_marker(name: str) -> None:
    # PyPI's ``accounts``, ``firms`` and ``storage`` have no such marker.
    assert name == importlib.import_module(name).ARIA_PACKAGE


def test_catalog_files_ship_with_the_package() -> None:
    shipped = {entry.name for entry in (resources.files("firms") / "catalog").iterdir()}
    on_disk = {path.name for path in (ROOT / "firms" / "catalog").glob("*.toml")}
    assert on_disk <= shipped
    assert "ftmo.toml" in shipped


# Reading the wall clock or the global random generator inside the core would make
# decisions unreproducible; time and seeds come in as arguments.
_CLOCK_SUFFIXES = (".now", ".utcnow", ".today", ".fromtimestamp")
_CLOCK_CALLS = {
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "time.perf_counter",
    "time.localtime",
}
_GLOBAL_RANDOM = {"random", "randint", "uniform", "choice", "shuffle", "gauss", "seed", "sample"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _impure_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        clock = name.endswith(_CLOCK_SUFFIXES) and ("date" in name or name.startswith("dt."))
        rand = name.startswith(("random.", "np.random.", "numpy.random.")) and (
            name.rsplit(".", 1)[-1] in _GLOBAL_RANDOM
        )
        if clock or name in _CLOCK_CALLS or rand:
            found.append(f"{path.name}:{node.lineno} {name}()")
    return found


@pytest.mark.parametrize("package", PURE)
def test_pure_core_reads_no_clock_and_no_global_randomness(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    impure = [call for path in files for call in _impure_calls(path)]
    assert impure == []


def test_purity_scan_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import datetime as dt\nimport random, time\n"
        "x = dt.datetime.now(dt.UTC)\ny = random.random()\nz = time.time()\n"
        "ok = dt.time(12, 0)\nrng = random.Random(7)\n"
    )
    assert [call.split()[1] for call in _impure_calls(bad)] == [
        "dt.datetime.now()",
        "random.random()",
        "time.time()",
    ]
