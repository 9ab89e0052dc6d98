"""What a sizing request costs the HTTP layer besides sizing: its trips to the thread pool,
its one encoding, and the latency metric it leaves behind, whatever content type it came in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from pydantic import TypeAdapter

from aria.api.schemas import PreviewOut, SizingOut
from tests.e2e.clients import SIGNAL, Api, opened, sized


def _hops(api: Api, monkeypatch: pytest.MonkeyPatch, send: Callable[[], Any]) -> list[str]:
    """The functions ``send``'s request ran in the thread pool, in order."""
    ran: list[str] = []
    original = anyio.to_thread.run_sync

    async def counted(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        ran.append(getattr(function, "__name__", repr(function)))
        return await original(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    response = send()
    monkeypatch.undo()
    assert response.status_code == 200, response.text
    return ran


def test_a_sizing_request_goes_to_the_thread_pool_once_for_its_key_and_once_for_its_route(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened(api, "a")
    # The key's lookup reads the database, and so does the route: each blocks, each in the
    # pool. The scope check, the query check, the context and the encoding run on the loop.
    hops = _hops(api, monkeypatch, lambda: sized(api, "hop-1", ["a"]))
    assert len(hops) == 2, hops
    preview = {"request_id": "p", "accounts": ["a"], **SIGNAL}
    hops = _hops(
        api,
        monkeypatch,
        lambda: api.client.post("/v1/sizing/preview", json=preview, headers=api.sizer),
    )
    assert len(hops) == 2, hops


def test_sizing_and_preview_answer_the_bytes_their_response_model_encodes_to(api: Api) -> None:
    opened(api, "a")
    opened(api, "b")
    answered = sized(api, "enc-1", ["a", "b"])
    assert answered.status_code == 200
    assert answered.headers["content-type"] == "application/json"
    body = SizingOut.model_validate_json(answered.content)
    assert len(body.decisions) == 2
    # What FastAPI itself sends for a route that returns the model (its fast path).
    assert answered.content == TypeAdapter(SizingOut).dump_json(body, by_alias=True)
    replayed = sized(api, "enc-1", ["a", "b"])
    assert json.loads(replayed.content)["replayed"] is True
    previewed = api.client.post(
        "/v1/sizing/preview",
        json={"request_id": "p", "accounts": ["a", "b"], **SIGNAL},
        headers=api.sizer,
    )
    assert previewed.status_code == 200
    rows = PreviewOut.model_validate_json(previewed.content)
    assert [row.account_id for row in rows.accounts] == ["a", "b"]
    assert previewed.content == TypeAdapter(PreviewOut).dump_json(rows, by_alias=True)


def test_the_latency_metric_names_the_route_of_json_and_untyped_bodies_alike(api: Api) -> None:
    opened(api, "a")
    body = json.dumps({"request_id": "m-1", "accounts": ["a"], **SIGNAL})
    assert api.client.post("/v1/sizing", content=body, headers=api.sizer).status_code == 200
    curl = {**api.sizer, "Content-Type": "application/x-www-form-urlencoded"}
    again = body.replace("m-1", "m-2")
    assert api.client.post("/v1/sizing", content=again, headers=curl).status_code == 200
    assert api.client.get("/v1/nothing", headers=api.reader).status_code == 404
    text = api.client.get("/metrics", headers=api.reader).text
    assert 'aria_request_seconds_count{method="POST",route="/v1/sizing"} 2.0' in text
    assert 'aria_request_seconds_count{method="GET",route="unmatched"} 1.0' in text
    # The scrape itself is timed once its answer starts, after this text was read.
    assert 'route="/metrics"' not in text
    scraped = api.client.get("/metrics", headers=api.reader).text
    assert 'aria_request_seconds_count{method="GET",route="/metrics"} 1.0' in scraped
