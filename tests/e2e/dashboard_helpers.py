"""Signing in to the dashboard as a browser would: the form's CSRF token, then the key."""

from __future__ import annotations

import re
from typing import Any

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the page's (first) form."""
    found = CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


def token_of(headers: dict[str, str]) -> str:
    """The API key behind a test's ``Authorization`` header."""
    return headers["Authorization"].split(" ", 1)[1]


def sign_in(client: Any, key: str) -> Any:
    """Fetch the sign-in form and post ``key`` with its CSRF token; the response."""
    form = client.get("/dashboard/login")
    assert form.status_code == 200
    return client.post(
        "/dashboard/login",
        data={"api_key": key, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
