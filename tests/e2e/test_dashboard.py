"""The dashboard through FastAPI's test client: sign-in, sessions, CSRF, owners, markup, and
the per-account metrics."""

from __future__ import annotations

import re
from pathlib import Path

from aria.service.keys import create_key, revoke_key
from tests.e2e.clients import Api, opened
from tests.e2e.dashboard_helpers import csrf_of, sign_in, token_of

STATIC = Path(__file__).parents[2] / "aria" / "dashboard" / "static"


def test_signing_in_sets_an_http_only_strict_session_cookie(api: Api) -> None:
    opened(api, "ftmo-a")
    answer = sign_in(api.client, token_of(api.reader))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("aria_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/dashboard" in cookie
    assert token_of(api.reader) not in cookie  # the key itself never reaches the browser
    page = api.client.get("/dashboard")
    assert page.status_code == 200
    assert 'id="account-ftmo-a"' in page.text
    assert "100,000.00" in page.text
    assert 'role="meter"' in page.text


def test_a_bad_key_or_a_key_without_read_is_refused(api: Api) -> None:
    for key in ("aria_nothere_secret", token_of(api.sizer)):
        answer = sign_in(api.client, key)
        assert answer.status_code == 401
        assert "aria_session" not in answer.headers.get("set-cookie", "")
        assert api.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_sign_in_needs_the_forms_csrf_token(api: Api) -> None:
    api.client.get("/dashboard/login")
    forged = api.client.post(
        "/dashboard/login",
        data={"api_key": token_of(api.reader), "csrf": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_without_a_session_every_page_leads_to_the_sign_in_form(api: Api) -> None:
    for path in ("/dashboard", "/dashboard/accounts/ftmo-a"):
        answer = api.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/dashboard/login"
    assert api.client.get("/dashboard/stream").status_code == 401
    assert api.client.get("/dashboard/fragments/alerts").status_code == 401


def test_the_key_in_a_query_string_signs_nobody_in(api: Api) -> None:
    answer = api.client.get(f"/dashboard?api_key={token_of(api.reader)}", follow_redirects=False)
    assert answer.status_code in (303, 422)
    assert "aria_session" not in answer.headers.get("set-cookie", "")


def test_signing_out_needs_the_sessions_csrf_token(api: Api) -> None:
    sign_in(api.client, token_of(api.reader))
    refused = api.client.post("/dashboard/logout", data={"csrf": "guess"}, follow_redirects=False)
    assert refused.status_code == 403
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 200
    token = csrf_of(api.client.get("/dashboard").text)
    out = api.client.post("/dashboard/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(api: Api) -> None:
    issued = create_key(api.context, "watcher", ["read"])
    sign_in(api.client, issued.token)
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 200
    revoke_key(api.context, issued.id)
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_an_owners_session_never_sees_another_owners_account(api: Api) -> None:
    opened(api, "alice-1", owner="alice")
    opened(api, "bob-1", owner="bob")
    sign_in(api.client, token_of(api.alice))
    page = api.client.get("/dashboard").text
    assert "alice-1" in page
    assert "bob-1" not in page
    assert api.client.get("/dashboard/accounts/bob-1").status_code == 404
    assert api.client.get("/dashboard/fragments/accounts/bob-1").status_code == 404
    assert api.client.get("/dashboard/accounts/alice-1").status_code == 200
    assert "bob-1" not in api.client.get("/dashboard/fragments/alerts").text


def test_an_unrestricted_key_sees_every_owner(api: Api) -> None:
    opened(api, "alice-1", owner="alice")
    opened(api, "bob-1", owner="bob")
    sign_in(api.client, token_of(api.reader))
    page = api.client.get("/dashboard").text
    assert "alice-1" in page
    assert "bob-1" in page


def test_the_account_page_draws_equity_against_its_floors(api: Api) -> None:
    opened(api, "ftmo-a")
    state = {"balance": "100000", "equity": "99200", "as_of": "2026-06-02T08:59:30Z"}
    pushed = api.client.put("/v1/accounts/ftmo-a/state", json=state, headers=api.sizer)
    assert pushed.status_code == 200, pushed.text
    sign_in(api.client, token_of(api.reader))
    page = api.client.get("/dashboard/accounts/ftmo-a").text
    assert "<svg" in page
    assert page.count("<polyline") >= 2
    assert "99,200.00" in page


def test_no_page_or_asset_names_anything_outside_aria(api: Api) -> None:
    opened(api, "ftmo-a")
    texts = [api.client.get("/dashboard/login").text]
    sign_in(api.client, token_of(api.reader))
    texts += [api.client.get(p).text for p in ("/dashboard", "/dashboard/accounts/ftmo-a")]
    texts += [api.client.get(f"/dashboard/static/{p.name}").text for p in STATIC.iterdir()]
    for text in texts:
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", text), text[:300]
        assert "http://" not in text
        assert "https://" not in text


def test_every_bar_has_its_value_in_text_and_every_header_a_scope(api: Api) -> None:
    opened(api, "ftmo-a")
    sign_in(api.client, token_of(api.reader))
    page = api.client.get("/dashboard").text
    meters = re.findall(r'<div class="bar" role="meter"[^>]*>', page)
    assert meters
    for meter in meters:
        assert "aria-valuenow=" in meter
        assert "aria-valuetext=" in meter
    assert "<th>" not in page
    policy = api.client.get("/dashboard").headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<main" in page
    assert "<header" in page


def test_metrics_of_an_owners_key_hold_its_own_accounts_only(api: Api) -> None:
    opened(api, "alice-1", owner="alice")
    opened(api, "bob-1", owner="bob")
    own = api.client.get("/metrics", headers=api.alice)
    assert own.status_code == 200
    assert 'aria_account_equity{account="alice-1",firm="ftmo",owner="alice"} 100000.0' in own.text
    assert 'floor="daily_loss"' in own.text
    assert "bob-1" not in own.text
    assert "aria_decisions" not in own.text
    assert "aria_job_last_run" not in own.text
    every = api.client.get("/metrics", headers=api.admin).text
    assert 'account="bob-1"' in every
    assert 'aria_account_trading_state{account="bob-1",firm="ftmo",owner="bob"} 0.0' in every
    assert 'aria_account_headroom{account="alice-1"' in every


def test_hostile_forms_are_refused_without_an_error(api: Api) -> None:
    api.client.get("/dashboard/login")
    for body in ("csrf=%C3%A9t%C3%A9&api_key=x", "&".join(f"f{i}=1" for i in range(50)), "%ff"):
        answer = api.client.post(
            "/dashboard/login",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        assert answer.status_code == 403
    sign_in(api.client, token_of(api.reader))
    odd = api.client.post("/dashboard/logout", data={"csrf": "été"}, follow_redirects=False)
    assert odd.status_code == 403

    # A session whose signature does not match is no session.
    token = api.client.cookies["aria_session"]
    api.client.cookies.clear()
    api.client.cookies.set("aria_session", token)
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 200
    api.client.cookies.clear()
    api.client.cookies.set("aria_session", token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_session_ends_after_twelve_hours(api: Api) -> None:
    sign_in(api.client, token_of(api.reader))
    api.clock.tick(12 * 3600 - 1)
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 200
    api.clock.tick(1)
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 303
