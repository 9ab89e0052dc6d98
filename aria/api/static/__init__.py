"""What the API serves besides its routes: the Swagger UI's own files, and JSON bodies read
whatever content type a client sends.

``/docs`` loads its script and style from ARIA itself (the ``swagger-ui-bundle`` package ships
them, Apache-2.0), so it works without internet; ReDoc, which needs a CDN, is off.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

ASSETS = "/docs-assets"
# Types a client sends without meaning them (curl's default, or none at all): their body is
# read as JSON. Any other non-JSON type is refused by the route with a hint to send JSON.
_TAKEN_AS_JSON = (b"", b"application/x-www-form-urlencoded", b"text/plain")


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` with assets from this server (create the app with ``docs_url=None``)."""
    import swagger_ui_bundle  # type: ignore[import-untyped]

    folder = str(swagger_ui_bundle.swagger_ui_path)
    app.mount(ASSETS, StaticFiles(directory=folder), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )


class JsonBodies:
    """ASGI middleware: a request body sent without a JSON content type (``curl -d``) is read
    as JSON, so every JSON endpoint accepts it; a body that is not JSON is refused as before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("POST", "PUT", "PATCH"):
            headers = list(scope.get("headers", []))
            kind = next((v for k, v in headers if k == b"content-type"), b"")
            if kind.split(b";")[0].strip().lower() in _TAKEN_AS_JSON:
                headers = [(k, v) for k, v in headers if k != b"content-type"]
                headers.append((b"content-type", b"application/json"))
                # In place: the layers around this one (the latency metric) see the same
                # scope, and so the route the router matched in it.
                scope["headers"] = headers
        await self.app(scope, receive, send)
