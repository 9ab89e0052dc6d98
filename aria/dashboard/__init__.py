"""The live web dashboard served by ``aria serve``: pages, a server-sent event stream, and
its own CSS and script (no asset from anywhere else)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from aria.dashboard.routes import router

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the dashboard's routes and static files to ``app``."""
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
