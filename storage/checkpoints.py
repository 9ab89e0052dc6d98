"""A directory of audit checkpoint files (``ARIA_CHECKPOINT_DIR``)."""

from __future__ import annotations

import os
from pathlib import Path


class DirectoryCheckpoints:
    """Checkpoint files in one directory (satisfies ``aria.service.ports.CheckpointStore``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def write(self, name: str, text: str) -> str:
        """Write ``name`` whole and durably, or not at all; an existing file is never replaced."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / name
        partial = self.directory / f".{name}.{os.getpid()}.partial"
        with open(partial, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        try:
            # A hard link appears whole and fails if the name is taken: a reader never sees
            # half a checkpoint, and a second scheduler cannot overwrite the first's.
            os.link(partial, final)
        finally:
            partial.unlink()
        return str(final)
