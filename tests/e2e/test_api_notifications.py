"""``/v1/notifications/subscriptions``: admin keys, an owner's admin key for its owner only."""

from __future__ import annotations

from dataclasses import replace

from aria.service.keys import create_key
from tests.e2e.clients import Api
from tests.e2e.receiver import receiver

SUBSCRIPTIONS = "/v1/notifications/subscriptions"


def test_create_list_test_and_remove_a_webhook(api: Api) -> None:
    # The receiver listens on this machine: allowed only when private hosts are (see below).
    api.context.options = replace(api.context.options, notify_private_hosts=True)
    with receiver(secret="whsec_0123456789abcdef") as hook:
        made = api.client.post(
            SUBSCRIPTIONS,
            json={
                "owner": "alice",
                "channel": "webhook",
                "url": hook.url,
                "kinds": ["alert", "breach"],
                "secret": hook.secret,
            },
            headers=api.admin,
        )
        assert made.status_code == 201, made.text
        sub = made.json()
        assert sub["secret"] == hook.secret
        listed = api.client.get(SUBSCRIPTIONS, headers=api.admin).json()
        assert [s["id"] for s in listed] == [sub["id"]]
        assert "secret" not in listed[0]
        tested = api.client.post(f"{SUBSCRIPTIONS}/{sub['id']}/test", headers=api.admin)
        assert tested.json()["delivered"] is True
        [got] = hook.got
        assert got.signed
        assert got.body["kind"] == "test"
        assert got.key == tested.json()["idempotency_key"]
    gone = api.client.delete(f"{SUBSCRIPTIONS}/{sub['id']}", headers=api.admin)
    assert gone.status_code == 204
    assert api.client.get(SUBSCRIPTIONS, headers=api.admin).json() == []


def test_a_generated_secret_is_shown_once(api: Api) -> None:
    made = api.client.post(
        SUBSCRIPTIONS,
        json={"channel": "webhook", "url": "https://example.com/hook"},
        headers=api.admin,
    ).json()
    assert made["secret"].startswith("whsec_")
    assert made["owner"] is None
    assert "alert" in made["kinds"]


def test_keys_without_admin_or_of_another_owner_are_refused(api: Api) -> None:
    body = {"owner": "bob", "channel": "apprise", "url": "ntfy://bob-alerts"}
    assert api.client.post(SUBSCRIPTIONS, json=body, headers=api.alice).status_code == 403
    token = create_key(api.context, "alice-admin", ["admin"], owner="alice").token
    alice_admin = {"Authorization": f"Bearer {token}"}
    assert api.client.post(SUBSCRIPTIONS, json=body, headers=alice_admin).status_code == 403
    bobs = api.client.post(SUBSCRIPTIONS, json=body, headers=api.admin).json()
    own = api.client.post(SUBSCRIPTIONS, json={**body, "owner": None}, headers=alice_admin).json()
    assert own["owner"] == "alice"
    assert [s["id"] for s in api.client.get(SUBSCRIPTIONS, headers=alice_admin).json()] == [
        own["id"]
    ]
    assert (
        api.client.delete(f"{SUBSCRIPTIONS}/{bobs['id']}", headers=alice_admin).status_code == 404
    )
    assert (
        api.client.post(SUBSCRIPTIONS, json={**body, "url": "ntfy"}, headers=api.admin).status_code
        == 422
    )


def test_a_webhook_to_this_machine_or_the_network_is_refused_unless_allowed(api: Api) -> None:
    # A key that may add subscriptions must not make the server POST to internal services.
    with receiver(secret="whsec_0123456789abcdef") as hook:
        for url in (hook.url, "http://10.0.0.5/hook", "http://169.254.169.254/latest"):
            made = api.client.post(
                SUBSCRIPTIONS,
                json={"owner": "alice", "channel": "webhook", "url": url, "secret": hook.secret},
                headers=api.admin,
            )
            assert made.status_code == 201, made.text
            tested = api.client.post(
                f"{SUBSCRIPTIONS}/{made.json()['id']}/test", headers=api.admin
            ).json()
            assert tested["delivered"] is False
            assert "private or reserved address" in tested["error"], tested
        assert hook.got == []
