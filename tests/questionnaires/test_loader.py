"""The loader refuses broken forms and says where each problem is."""

from __future__ import annotations

import pytest

from questionnaires import DataFileError, Kind, load_form, load_form_text
from questionnaires.loader import identifying_word
from questionnaires.model import Label

# (old line fragment, new line fragment, problem code, place, needle of the reported line)
# Each case changes one line of the sample form (tests/questionnaires/conftest.py).
BROKEN_LINES = [
    pytest.param("kind: choice", "kind: multiple", "unknown_kind", "TEST-01 / A / q01",
                 "kind: multiple", id="unknown-kind"),
    pytest.param('en: "Is there a plan?"}', 'en: ""}', "label_missing", "TEST-01 / A / q01",
                 'en: ""}', id="empty-english-label"),
    pytest.param("value: cong_chuc", "value: lanh_dao", "duplicate_option",
                 "TEST-01 / A / b2 / lanh_dao", "Civil servant", id="duplicate-option"),
    pytest.param("weight: 1}", "weight: 1.5}", "weight_out_of_range",
                 "TEST-01 / A / q01 / co", "weight: 1.5", id="weight-above-one"),
    pytest.param('en: "No"}, weight: 0}', 'en: "No"}, weight: -0.25}', "weight_out_of_range",
                 "TEST-01 / A / q01 / khong", "weight: -0.25", id="weight-below-zero"),
    pytest.param('en: "No"}, weight: 0}', 'en: "No"}, weight: "0"}', "weight_not_number",
                 "TEST-01 / A / q01 / khong", 'weight: "0"', id="weight-text"),
    pytest.param("scale: muc_do", "scale: muc_5", "unknown_scale", "TEST-01 / A / q02",
                 "scale: muc_5", id="unknown-scale"),
    pytest.param("question: q01,", "question: q99,", "relevant_unknown_question",
                 "TEST-01 / A / q02", "question: q99", id="relevant-missing-question"),
    pytest.param("question: q01,", "question: q03,", "relevant_later_question",
                 "TEST-01 / A / q02", "question: q03", id="relevant-later-question"),
    pytest.param("question: q01,", "question: q02,", "relevant_later_question",
                 "TEST-01 / A / q02", "question: q02", id="relevant-itself"),
    pytest.param('op: "=", value: co', 'op: ">", value: co', "relevant_ordering",
                 "TEST-01 / A / q02", 'op: ">"', id="relevant-ordering-on-choice"),
    pytest.param('op: "=", value: co', 'op: "~", value: co', "relevant_bad_op",
                 "TEST-01 / A / q02", 'op: "~"', id="relevant-unknown-op"),
    pytest.param('op: "=", value: co', 'op: "=", value: maybe', "relevant_not_an_option",
                 "TEST-01 / A / q02", "value: maybe", id="relevant-not-an-option"),
    pytest.param('op: ">=", value: 2', 'op: ">=", value: two', "relevant_not_a_number",
                 "TEST-01 / B / q04", "value: two", id="relevant-not-a-number"),
    pytest.param('op: "=", value: co', 'op: "in", value: co', "relevant_needs_list",
                 "TEST-01 / A / q02", 'op: "in"', id="relevant-in-without-list"),
    pytest.param("min: 0.5", "min: 20", "min_above_max", "TEST-01 / B / q03", "min: 20",
                 id="number-min-above-max"),
    pytest.param("max: 45", "max: 45.5", "not_an_integer", "TEST-01 / A / b1", "max: 45.5",
                 id="integer-bound-with-fraction"),
    pytest.param("max_length: 20", "max_length: 0", "bad_max_length", "TEST-01 / B / q04",
                 "max_length: 0", id="max-length-zero"),
    pytest.param("format: 1", "format: 2", "format_unsupported", "TEST-01", "format: 2",
                 id="unknown-format"),
    pytest.param('version: "1"', "version: 1.5", "version_not_text", "TEST-01",
                 "version: 1.5", id="version-as-number"),
    pytest.param("code: TEST-01", "code: TEST 01", "bad_form_code", "TEST 01", "code: TEST 01",
                 id="bad-form-code"),
    pytest.param("code: q04", "code: 4q", "bad_code", "TEST-01 / B / 4q", "code: 4q",
                 id="bad-question-code"),
    pytest.param("value: khong,", "value: không,", "bad_option_value",
                 "TEST-01 / A / q01 / không", "value: không", id="option-value-with-accent"),
    pytest.param("criterion: TC1.2", "criterion: TC 1.2", "bad_criterion", "TEST-01 / A / q01",
                 "criterion: TC 1.2", id="bad-criterion"),
    pytest.param("required: true", "requried: true", "unknown_key", "TEST-01 / A / q01",
                 "requried: true", id="misspelt-key"),
    pytest.param("required: true", "required: yes please", "not_a_bool", "TEST-01 / A / q01",
                 "required: yes please", id="required-not-bool"),
    pytest.param('label: {vi: "Chức vụ"', 'label: {vi: "Họ và tên"', "identifying_background",
                 "TEST-01 / A / b2", "code: b2", id="background-asks-name"),
    pytest.param("code: b2", "code: so_dien_thoai", "identifying_background",
                 "TEST-01 / A / so_dien_thoai", "code: so_dien_thoai",
                 id="background-code-phone"),
    pytest.param('vi: "Có kế hoạch không?"', 'vi: "{unit} có kế hoạch không?"',
                 "unit_placeholder", "TEST-01 / A / q01", "{unit} có kế hoạch",
                 id="unit-placeholder-outside-matrix"),
    pytest.param("max_length: 20", "criterion: TC9.9", "criterion_not_allowed",
                 "TEST-01 / B / q04", "criterion: TC9.9", id="criterion-on-text"),
    pytest.param("        max: 45", "        max_length: 45", "key_not_for_kind",
                 "TEST-01 / A / b1", "max_length: 45", id="key-of-another-kind"),
    pytest.param("question: q03,", "question: q04,", "relevant_later_question",
                 "TEST-01 / B / q04", "question: q04", id="relevant-on-own-text"),
]


@pytest.mark.parametrize(("old", "new", "code", "place", "needle"), BROKEN_LINES)
def test_broken_line_is_reported_with_place_and_line(sample_yaml, load_errors, line_of,
                                                     old, new, code, place, needle):
    assert old in sample_yaml
    broken = sample_yaml.replace(old, new, 1)
    error = load_errors(broken)
    problems = [p for p in error.problems if p.code == code]
    assert problems, error.report("en")
    assert problems[0].place == place
    assert problems[0].line == line_of(broken, needle)
    assert problems[0].source == "broken.yaml"


def test_duplicate_question_points_at_the_second_one(sample_yaml, load_errors):
    broken = sample_yaml.replace("code: q03", "code: q01")
    error = load_errors(broken)
    # q04's condition refers to q03, which is gone: reported too.
    assert error.codes == ["duplicate_question", "relevant_unknown_question"]
    assert error.problems[0].place == "TEST-01 / B / q01"
    lines = [n for n, line in enumerate(broken.splitlines(), 1) if "code: q01" in line]
    assert error.problems[0].line == lines[1]


def test_choice_without_options(sample_dict, load_errors):
    del sample_dict["sections"][0]["questions"][2]["options"]
    error = load_errors(sample_dict)
    assert error.codes == ["no_options"]
    assert error.problems[0].place == "TEST-01 / A / q01"


def test_unit_rating_with_empty_options(sample_dict, load_errors):
    question = sample_dict["sections"][0]["questions"][3]
    question["options"] = []
    assert load_errors(sample_dict).codes == ["no_options"]


def test_options_and_scale_together(sample_dict, load_errors):
    question = sample_dict["sections"][0]["questions"][3]
    question["scale"] = "muc_do"
    error = load_errors(sample_dict)
    assert error.codes == ["options_and_scale"]


def test_missing_format(sample_dict, load_errors):
    del sample_dict["format"]
    assert load_errors(sample_dict).codes == ["format_missing"]


def test_boolean_format_is_not_format_one(sample_dict, load_errors):
    sample_dict["format"] = True
    assert load_errors(sample_dict).codes == ["format_unsupported"]


def test_missing_title_and_sections(sample_dict, load_errors):
    del sample_dict["title"], sample_dict["sections"]
    error = load_errors(sample_dict)
    assert error.codes == ["missing_key", "missing_key"]
    assert {p.place for p in error.problems} == {"TEST-01"}


def test_section_without_questions(sample_dict, load_errors):
    sample_dict["sections"][1]["questions"] = []
    error = load_errors(sample_dict)
    assert error.codes == ["empty_list"]
    assert error.problems[0].place == "TEST-01 / B"


def test_duplicate_section(sample_dict, load_errors):
    sample_dict["sections"][1]["code"] = "A"
    assert load_errors(sample_dict).codes == ["duplicate_section"]


def test_scored_question_needs_a_weight_on_every_option(sample_dict, load_errors):
    options = sample_dict["sections"][0]["questions"][2]["options"]
    del options[2]["weight"]
    error = load_errors(sample_dict)
    assert error.codes == ["weight_missing"]
    assert error.problems[0].place == "TEST-01 / A / q01 / khong_biet"


def test_scale_options_need_a_weight(sample_yaml, load_errors, line_of):
    broken = sample_yaml.replace(', weight: 0}\n    - {value: khong_biet',
                                 '}\n    - {value: khong_biet')
    error = load_errors(broken)
    assert error.codes == ["weight_missing"]
    assert error.problems[0].place == "TEST-01 / scales / muc_do / kem"
    assert error.problems[0].line == line_of(broken, "{value: kem")


def test_scored_question_without_any_weight(sample_dict, load_errors):
    for option in sample_dict["sections"][0]["questions"][2]["options"]:
        option["weight"] = None
    assert load_errors(sample_dict).codes == ["scored_without_weights"]


def test_condition_on_free_text(sample_dict, load_errors):
    sample_dict["sections"][1]["questions"].append({
        "code": "q05", "kind": "choice", "label": {"vi": "Câu 5", "en": "Question 5"},
        "options": [{"value": "a", "label": {"vi": "A", "en": "A"}}],
        "relevant": {"question": "q04", "op": "=", "value": "a"},
    })
    error = load_errors(sample_dict)
    assert error.codes == ["relevant_on_text"]
    assert error.problems[0].place == "TEST-01 / B / q05"


def test_unanswerable_not_a_mapping(load_errors):
    error = load_errors("- just\n- a list\n")
    assert error.codes == ["not_a_mapping"]


def test_yaml_syntax_error_has_line(load_errors):
    error = load_errors("format: 1\ncode: [unclosed\n")
    assert error.codes == ["yaml_syntax"]
    assert error.problems[0].line is not None


def test_every_problem_is_collected(sample_yaml, load_errors):
    broken = (sample_yaml.replace("kind: choice", "kind: matrix")
              .replace("weight: 0}", "weight: 2}")
              .replace("scale: muc_do", "scale: nope")
              .replace("min: 0.5", "min: 50"))
    error = load_errors(broken)
    assert sorted(error.codes) == sorted(
        ["unknown_kind", "weight_out_of_range", "unknown_scale", "min_above_max"])


def test_report_is_bilingual_and_names_places(sample_yaml, load_errors):
    error = load_errors(sample_yaml.replace("weight: 1}", "weight: 1.5}"))
    vi, en = error.report("vi"), error.report("en")
    assert "trọng số 1.5 nằm ngoài khoảng từ 0 đến 1" in vi
    assert "the weight 1.5 is outside the range 0 to 1" in en
    assert "TEST-01 / A / q01 / co" in vi and "TEST-01 / A / q01 / co" in en
    assert str(error) == en


def test_load_form_reads_a_file(tmp_path, sample_yaml):
    path = tmp_path / "TEST-01.yaml"
    path.write_text(sample_yaml, encoding="utf-8")
    assert load_form(path).code == "TEST-01"


def test_load_form_missing_file(tmp_path):
    with pytest.raises(DataFileError) as info:
        load_form(tmp_path / "nope.yaml")
    assert info.value.codes == ["file_missing"]


def test_labels_are_stripped_and_composed(sample_yaml):
    decomposed = "Co\u0301 ke\u0302\u0301 hoa\u0323ch không?"  # "Có kế hoạch không?" (NFD)
    text = sample_yaml.replace('vi: "Có kế hoạch không?"', f'vi: "  {decomposed} "')
    form = load_form_text(text)
    assert form.question("q01").label.vi == "Có kế hoạch không?"


def test_numeric_option_codes_are_text(sample_dict):
    from questionnaires import form_from_dict
    options = sample_dict["sections"][0]["questions"][1]["options"]
    options[0]["value"], options[1]["value"] = 1, 2
    form = form_from_dict(sample_dict)
    assert [o.value for o in form.question("b2").options] == ["1", "2"]


@pytest.mark.parametrize(("code", "vi", "en", "expected"), [
    ("b1", "Họ và tên", "Full name", "tên"),
    ("b1", "Số điện thoại liên hệ", "Contact", "điện thoại"),
    ("b1", "Nơi ở", "Home address", "address"),
    ("b1", "Số CCCD", "Citizen card", "cccd"),
    ("email", "Liên hệ", "Contact", "email"),
    ("ho_ten", "Người trả lời", "Respondent", "ten"),
    ("b1", "Chức vụ hiện nay", "Current position", None),
    ("b2", "Thời gian công tác", "Ten years or more in the post", None),
    ("b3", "Mức độ làm việc với sở", "How often you work with departments", None),
])
def test_identifying_word(code, vi, en, expected):
    assert identifying_word(code, Label(vi, en)) == expected


def test_background_number_and_choice(sample_form):
    assert sample_form.question("b1").answer_kind is Kind.NUMBER
    assert sample_form.question("b2").answer_kind is Kind.CHOICE
