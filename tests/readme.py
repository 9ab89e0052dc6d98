"""The README's fenced examples, by name, so tests run them exactly as written.

Each fenced block in README.md is preceded by ``<!-- example: NAME -->`` (or, for the two
commands CI itself runs, ``<!-- ci: run -->`` / ``<!-- ci: test -->``).
"""

from __future__ import annotations

import re
import shlex
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


def fences() -> int:
    """How many fenced blocks README.md has, named or not."""
    return len(re.findall(r"^```", README.read_text(encoding="utf-8"), re.MULTILINE)) // 2


def _complete(command: str) -> bool:
    """True when ``command`` closes every quote it opens (a shell would run it)."""
    try:
        shlex.split(command)
    except ValueError:
        return False
    return True


def commands(name: str) -> list[str]:
    """The block's commands: one per line, continuation lines and lines inside a quoted
    string (a JSON body spread over lines) joined, comments after `` # `` dropped."""
    joined = block(name).replace("\\\n", " ")
    lines: list[str] = []
    pending = ""
    for raw in joined.splitlines():
        text = raw if pending else re.sub(r"\s+#\s.*$", "", raw)
        pending = f"{pending}\n{text}" if pending else text
        if not _complete(pending):
            continue
        # A comment after a command that spanned lines: its last line may carry one.
        line = re.sub(r"(['\"])\s+#\s[^'\"]*$", r"\1", pending).strip()
        pending = ""
        if line and not line.startswith("#"):
            lines.append(line)
    if pending:
        raise ValueError(f"README block {name!r} leaves a quote open: {pending!r}")
    return lines
