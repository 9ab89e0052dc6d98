"""Hostile scenario documents: every one either decides or is refused with a clean error."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aria.cli import app
from aria.sizing.errors import ScenarioError, SizingError
from aria.sizing.pipeline import decide
from tests.builders import inputs_of
from tests.strategies import scenarios

HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    "0",
    "-5",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e400",
    "1e-400",
    "9" * 60,
    10**40,
    float("inf"),
    "",
    " ",
    "' OR 1=1 --",
    "a\x00b",
    "😀" * 40,
    "x" * 5000,
    [],
    {},
    [[[[[]]]]],
    {"deep": {"deeper": {"deepest": 1}}},
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(["1e400"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario with one to three of its values, or keys, broken."""
    document = copy.deepcopy(draw(scenarios()))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            # A copy: the hostile values are shared constants, and a later break in this
            # same document (an added key) must not change them for the examples after it.
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(HOSTILE) | JSON))
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(JSON)
    return document


def _decide_or_refuse(document: Any) -> None:
    refusal = ""
    try:
        decision = decide(inputs_of(document))
    except (ScenarioError, SizingError) as exc:
        refusal = str(exc) or "(empty)"
    else:
        assert decision.status in ("approved", "rejected")
        return
    assert refusal != "(empty)", "a refusal says why"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_a_damaged_scenario_decides_or_is_refused_cleanly(document: dict[str, Any]) -> None:
    _decide_or_refuse(document)


@settings(max_examples=150)
@given(JSON)
def test_any_json_at_all_decides_or_is_refused_cleanly(document: Any) -> None:
    _decide_or_refuse(document)


def test_the_cli_refuses_hostile_documents_without_a_traceback() -> None:
    runner = CliRunner()
    for text in ("", "[", "{}", '{"request": "' + "x" * 100_000 + '"}', "[" * 5000 + "]" * 5000):
        result = runner.invoke(app, ["decide", "-"], input=text)
        assert result.exit_code == 2, text[:40]
        assert "Traceback" not in result.output
        assert "error" in result.output
    deep = json.dumps({"account": {"balance": "1e400"}})
    result = runner.invoke(app, ["decide", "-"], input=deep)
    assert result.exit_code == 2
