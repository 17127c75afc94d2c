"""Bilingual text and the one error type of the project."""

from __future__ import annotations

import copy
import pickle

import pytest

import questionnaires
from questionnaires import AnswerError, BilingualError, DataFileError, Kind, Label, Question
from questionnaires.problems import Problem, ProblemList
from questionnaires.text import LANGUAGES


def test_label_is_shared_by_the_model_and_the_package():
    from questionnaires import model, text

    assert model.Label is text.Label is questionnaires.Label
    label = Label("Có", "Yes")
    assert (label.get(), label.get("vi"), label.get("en"), label.get("fr")) == ("Có", "Có", "Yes", "Có")
    assert label.to_dict() == {"vi": "Có", "en": "Yes"}
    assert label == Label("Có", "Yes")


def test_bilingual_error_carries_both_languages_and_a_status():
    error = BilingualError("Không tìm thấy.", "Not found.", status=404)
    assert error.label == Label("Không tìm thấy.", "Not found.")
    assert error.status == 404
    assert error.message() == error.message("vi") == "Không tìm thấy."
    assert error.message("en") == "Not found."
    assert error.message("fr") == "Không tìm thấy."  # any other language: Vietnamese
    assert error.messages == {"vi": "Không tìm thấy.", "en": "Not found."}
    assert list(error.messages) == list(LANGUAGES)
    assert str(error) == "Not found."
    assert error.args == ("Not found.",)


def test_bilingual_error_status_is_optional_and_keyword_only():
    assert BilingualError("Lỗi.", "Error.").status is None
    with pytest.raises(TypeError):
        BilingualError("Lỗi.", "Error.", 400)  # type: ignore[misc]


def test_bilingual_error_is_caught_as_an_exception():
    with pytest.raises(BilingualError) as info:
        raise BilingualError("Sai.", "Wrong.")
    assert info.value.messages["vi"] == "Sai."
    assert isinstance(info.value, Exception)


def _data_file_error() -> DataFileError:
    problems = ProblemList({"negative": ("không được âm", "must not be negative")},
                           source="plan.yaml", lines={("year",): 5})
    problems.add("negative", ("year",))
    return DataFileError("plan.yaml", problems.problems)


def test_data_file_error_is_a_bilingual_value_error():
    error = _data_file_error()
    assert isinstance(error, BilingualError)
    assert isinstance(error, ValueError)
    assert error.status == 422
    assert error.what == "plan.yaml"
    assert error.codes == ["negative"]
    for lang in LANGUAGES:
        assert error.message(lang) == error.report(lang) == error.messages[lang]
    assert error.message("vi") == "plan.yaml: có 1 lỗi\n  - plan.yaml: dòng 5, year: không được âm"
    assert error.message("en") == "plan.yaml: 1 problem found\n  - plan.yaml: line 5, year: must not be negative"
    assert str(error) == error.report("en")


def test_data_file_error_takes_any_iterable_of_problems():
    problem = Problem("x", "here", {"vi": "lỗi", "en": "wrong"})
    error = DataFileError("file", iter([problem, problem]))
    assert error.problems == [problem, problem]
    assert error.message("en").startswith("file: 2 problems found")


def test_answer_error_is_a_bilingual_value_error():
    question = Question("b2", Kind.NUMBER, Label("Số năm", "Years"), minimum=0, maximum=40)
    with pytest.raises(ValueError) as info:
        question.parse_answer("50")
    error = info.value
    assert isinstance(error, AnswerError)
    assert isinstance(error, BilingualError)
    assert (error.code, error.question, error.status) == ("above_maximum", "b2", 422)
    assert error.messages == {"vi": error.message("vi"), "en": "The value must be at most 40."}
    assert error.message("vi") != error.message("en")
    assert error.label == Label(error.message("vi"), error.message("en"))
    assert str(error) == "b2: The value must be at most 40."


@pytest.mark.parametrize("error", [
    BilingualError("Sai.", "Wrong.", status=400),
    AnswerError("too_long", "q09", max_length=10),
    _data_file_error(),
], ids=["base", "answer", "data-file"])
def test_errors_survive_pickle_and_copy(error):
    for again in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(again) is type(error)
        assert again.messages == error.messages
        assert again.status == error.status
        assert str(again) == str(error)
