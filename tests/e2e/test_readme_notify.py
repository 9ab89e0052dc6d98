"""The README's ``notify`` block, run exactly as written against a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.readme import commands


def test_the_readme_notify_block_runs_as_written(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ARIA_DATABASE_URL": f"sqlite:///{tmp_path / 'aria.db'}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    outputs = []
    for line in commands("notify"):
        done = subprocess.run(
            line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    webhook, apprise, listed, outbox, delivered = outputs[1:]
    assert "whsec_" in webhook  # the generated secret, shown once
    assert "alert, breach" in webhook
    assert webhook.splitlines()[0] in listed
    assert apprise.splitlines()[0] in listed
    assert "ntfy://ntfy…" in listed  # an apprise URL's tokens are not printed
    assert "Notification outbox" in outbox
    assert "0 claimed" in delivered
