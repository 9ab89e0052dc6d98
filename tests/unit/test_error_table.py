"""One table answers the errors of the layers below the faces, for the API and the CLI alike."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accounts.model import Personality
from aria.api.error_table import TABLE, TRANSLATED, Answer, answer_for
from aria.cli.firms import failed
from aria.service import errors as service_errors
from aria.service.errors import plain, reason
from aria.sizing import errors as sizing_errors
from firms import errors as firms_errors
from storage import errors as storage_errors


def _tree(base: type[Exception]) -> list[type[Exception]]:
    found, todo = [], [base]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo += kind.__subclasses__()
    return found


@pytest.mark.parametrize(
    "base",
    [
        service_errors.ServiceError,
        storage_errors.StorageError,
        firms_errors.FirmsError,
        sizing_errors.SizingError,
    ],
)
def test_every_error_below_the_base_of_a_tree_has_an_answer(base: type[Exception]) -> None:
    for kind in _tree(base):
        if kind is base and kind is service_errors.ServiceError:
            continue  # never raised itself: each kind of service error has its own row
        assert answer_for(kind.__new__(kind)) is not None, kind


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (service_errors.NotFound("x"), 404, "not_found"),
        (service_errors.Forbidden("x"), 403, "forbidden"),
        (service_errors.Conflict("x"), 409, "conflict"),
        (service_errors.InvalidInput("x"), 422, "invalid_input"),
        (firms_errors.UnknownFirm("x"), 404, "not_found"),
        (firms_errors.UnknownPlan("x"), 404, "not_found"),
        (firms_errors.UnknownPhase("x"), 404, "not_found"),
        (firms_errors.UnknownSize("x"), 404, "not_found"),
        (firms_errors.InvalidOption("x"), 422, "invalid_input"),
        (firms_errors.RuleFileError("f.toml", ["x"]), 422, "invalid_input"),
        (sizing_errors.UnknownInstrument("x"), 422, "invalid_input"),
        (sizing_errors.InvalidRequest("x"), 422, "invalid_input"),
        (storage_errors.Conflict("x"), 409, "conflict"),
        (storage_errors.Refused("x"), 422, "invalid_input"),
        (storage_errors.Unavailable("x"), 503, "unavailable"),
        (storage_errors.OutcomeUnknown("x"), 503, "unavailable"),
        (storage_errors.SchemaError("x"), 503, "unavailable"),
        (storage_errors.Missing("x"), 404, "not_found"),
    ],
)
def test_each_error_has_the_status_it_always_had(error: Exception, status: int, code: str) -> None:
    answer = answer_for(error)
    assert answer is not None
    assert (answer.status, answer.code) == (status, code)
    # Every error the CLI translates exits with 2; 1 means a check found a problem.
    assert answer.exit_code == 2
    assert answer.title


def test_errors_outside_the_trees_are_not_translated() -> None:
    assert answer_for(ValueError("x")) is None
    assert answer_for(KeyError("x")) is None
    assert set(TRANSLATED) == set(TABLE)
    assert all(isinstance(answer, Answer) for answer in TABLE.values())


def test_a_message_from_a_pydantic_error_carries_none_of_its_internals() -> None:
    with pytest.raises(ValidationError) as caught:
        Personality.declared(5)  # type: ignore[arg-type]
    text = reason(caught.value)
    assert text == "personality multiplier must be between 0.5 and 1.5"
    assert "pydantic" not in text
    assert plain(caught.value)[1] == text
    assert reason(ValueError("plain words")) == "plain words"


def test_the_cli_exits_as_the_table_says_and_names_an_error_raised_without_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert failed(storage_errors.Unavailable("the database went away")).exit_code == 2
    assert "the database went away" in capsys.readouterr().err
    assert failed(service_errors.NotFound()).exit_code == 2
    assert "not found" in capsys.readouterr().err
