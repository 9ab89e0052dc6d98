"""A pytest plugin that serves one mutated module in place of its file (``tests.mutation``).

``ARIA_MUTANT_MODULE`` names the module (``firms.floors``) and ``ARIA_MUTANT_SOURCE`` the file
holding its mutated source. The hook is loaded with ``-p`` before any test or conftest imports
the module, so every importer, the package's ``__init__`` included, sees the mutant.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType


class _MutantLoader(importlib.abc.Loader):
    def __init__(self, source: str, origin: str) -> None:
        self.source = source
        self.origin = origin

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self.source, self.origin, "exec"), module.__dict__)


class _MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.origin is None:
            return None
        loader = _MutantLoader(self.source, real.origin)
        return importlib.util.spec_from_file_location(fullname, real.origin, loader=loader)


def install() -> None:
    """Serve the mutant named by the environment, if any."""
    name = os.environ.get("ARIA_MUTANT_MODULE")
    source = os.environ.get("ARIA_MUTANT_SOURCE")
    if not name or not source:
        return
    if name in sys.modules:
        raise RuntimeError(f"{name} was imported before the mutant could be installed")
    sys.meta_path.insert(0, _MutantFinder(name, Path(source).read_text()))


install()
