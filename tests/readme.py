"""The README's fenced examples, by name, so tests run them exactly as written.

Each fenced block in README.md is preceded by ``<!-- example: NAME -->`` (or, for the two
commands CI itself runs, ``<!-- ci: run -->`` / ``<!-- ci: test -->``).
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_MARK = re.compile(r"<!-- (?:example|ci): ([\w-]+) -->\s*\n```[^\n]*\n(.*?)\n```", re.DOTALL)


def blocks() -> dict[str, str]:
    """Every named block's text, by name."""
    return dict(_MARK.findall(README.read_text(encoding="utf-8")))


def block(name: str) -> str:
    """The text of the README block named ``name`` (KeyError names the missing block)."""
    found = blocks()
    if name not in found:
        raise KeyError(f"README.md has no block <!-- example: {name} -->")
    return found[name]


def commands(name: str) -> list[str]:
    """The block's commands: one per line, continuation lines joined, comments dropped."""
    joined = block(name).replace("\\\n", " ")
    lines = []
    for raw in joined.splitlines():
        line = re.sub(r"\s+#\s.*$", "", raw).strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines
