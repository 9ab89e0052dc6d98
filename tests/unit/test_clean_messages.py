"""Messages the faces print carry none of the validation library's internals, whatever the
input that failed."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from aria.api.error_table import clean
from aria.service.commands import PersonalityChoice, SizeRequest

INTERNALS = re.compile(
    r"errors\.pydantic\.dev|type=|input_value=|input_type=|validation errors? for"
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
)


@given(
    st.dictionaries(
        st.sampled_from(["request_id", "accounts", "symbol", "side", "entry", "stop", "atr", "x"]),
        values,
    )
)
def test_a_refused_sizing_request_reads_without_internals(body: dict[str, Any]) -> None:
    try:
        SizeRequest.model_validate(body)
    except ValidationError as exc:
        cleaned = clean(str(exc))
        assert not INTERNALS.search(cleaned), cleaned
        assert "SizeRequest" not in cleaned


def test_the_personality_takes_the_api_s_words() -> None:
    assert PersonalityChoice.model_validate("seeded").seeded
    assert PersonalityChoice.model_validate({"seeded": True}).seeded
    assert str(PersonalityChoice.model_validate("0.9").multiplier) == "0.9"
    assert str(PersonalityChoice.model_validate(1.5).multiplier) == "1.5"
