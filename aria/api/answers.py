"""Answers a route has already built: encoded once, as FastAPI would encode them."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def encoded(body: BaseModel) -> Response:
    """``body`` as the JSON answer, the bytes FastAPI sends for a route returning it.

    A plain ``def`` route that returns a model makes FastAPI check it again in the thread
    pool before encoding it; a route that built its body already returns this instead, and
    keeps ``response_model`` for the schema.
    """
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")
