"""Every key name, kind string and fixed limit of the questionnaire format, in one place.

As in pyxform's ``constants.py``: "By putting them in a shared file, the literal names
can be easily changed, typos can be avoided, and references are easier to find."  The
YAML format is described in ``questionnaires/forms/README.md``.
"""

from __future__ import annotations

import re
from enum import StrEnum

#: The ``format`` value this version of the library reads and writes.
FORMAT_VERSION = 1

# -- keys of a questionnaire document --------------------------------------------------

FORMAT = "format"
CODE = "code"
VERSION = "version"
TITLE = "title"
INTRODUCTION = "introduction"
SCALES = "scales"
SECTIONS = "sections"
QUESTIONS = "questions"
KIND = "kind"
LABEL = "label"
REQUIRED = "required"
OPTIONS = "options"
SCALE = "scale"
CRITERION = "criterion"
RELEVANT = "relevant"
MIN = "min"
MAX = "max"
INTEGER = "integer"
MAX_LENGTH = "max_length"
VALUE = "value"
WEIGHT = "weight"
QUESTION = "question"
OP = "op"

#: The keys allowed at each level of a document.
FORM_KEYS = frozenset({FORMAT, CODE, VERSION, TITLE, INTRODUCTION, SCALES, SECTIONS})
SECTION_KEYS = frozenset({CODE, TITLE, QUESTIONS})
QUESTION_KEYS = frozenset({CODE, KIND, LABEL, REQUIRED, OPTIONS, SCALE, CRITERION, RELEVANT,
                           MIN, MAX, INTEGER, MAX_LENGTH})
OPTION_KEYS = frozenset({VALUE, LABEL, WEIGHT})
CONDITION_KEYS = frozenset({QUESTION, OP, VALUE})


class Kind(StrEnum):
    """The kinds of question."""

    #: One answer from a list of options.
    CHOICE = "choice"
    #: A choice asked once for every unit the respondent rates (a question x unit matrix).
    UNIT_RATING = "unit_rating"
    #: Short free text.
    TEXT = "text"
    #: A number, integer or decimal, within optional bounds.
    NUMBER = "number"
    #: About the respondent (position, years in the post): a choice or a number.
    BACKGROUND = "background"
    #: Any number of answers from a list of options (XLSForm ``select_multiple``), stored
    #: as the chosen option values joined by one space, in the form's option order.
    #: Never scored.
    SELECT_MULTIPLE = "select_multiple"


class Op(StrEnum):
    """The comparison operators of a condition (``relevant``)."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"


#: Operators that only make sense for numbers.
ORDERING_OPS = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})

# -- codes and limits ------------------------------------------------------------------

#: Form codes: ``CT-01``, ``ch-03``, ``kobo_form.v2``.
FORM_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
#: Section, question and scale codes: XML names, so that they serve as XLSForm names.
CODE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
#: Option values: short stable codes (``rat_tot``, ``khong_biet``, ``1``).
VALUE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}")
#: Criterion (sub-criterion) codes: ``TC1.1``, ``TC8.2``.
CRITERION_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z0-9]+)*")

#: Placeholder for the name of the rated unit in the label of a ``unit_rating`` question.
UNIT_PLACEHOLDER = "{unit}"

#: Weights are kept to this many decimal places: finer shares of a criterion's points
#: mean nothing, and spreadsheets (XLSForm) keep only 15 significant digits.
WEIGHT_DECIMALS = 6

#: Maximum length of a text answer when the form does not say.
DEFAULT_TEXT_MAX_LENGTH = 255
#: Largest ``max_length`` a form may ask for.
TEXT_MAX_LENGTH_LIMIT = 10_000
#: Most digits a number answer may have (sign and decimal mark not counted): a float
#: holds 15 significant digits exactly, and so does a spreadsheet.
MAX_NUMBER_DIGITS = 15

# -- XLSForm ---------------------------------------------------------------------------

SHEET_SURVEY = "survey"
SHEET_CHOICES = "choices"
SHEET_SETTINGS = "settings"

COL_TYPE = "type"
COL_NAME = "name"
COL_LABEL = "label"
COL_REQUIRED = "required"
COL_RELEVANT = "relevant"
COL_CONSTRAINT = "constraint"
COL_LIST_NAME = "list_name"
COL_WEIGHT = "weight"
#: Our own survey columns: the question kind where the XLSForm type does not tell it,
#: and the criterion a scored question feeds.
COL_PAR_KIND = "par_kind"
COL_PAR_CRITERION = "par_criterion"

SETTING_FORM_TITLE = "form_title"
SETTING_FORM_ID = "form_id"
SETTING_VERSION = "version"
SETTING_DEFAULT_LANGUAGE = "default_language"
#: Our own settings column: XLSForm has no translated ``form_title``.
SETTING_TITLE_EN = "par_title_en"

#: Label column headers written for each language.
XLSFORM_LANGUAGES = {"vi": "Vietnamese (vi)", "en": "English (en)"}

TYPE_BEGIN_GROUP = "begin_group"
TYPE_END_GROUP = "end_group"
TYPE_SELECT_ONE = "select_one"
TYPE_SELECT_MULTIPLE = "select_multiple"
TYPE_TEXT = "text"
TYPE_INTEGER = "integer"
TYPE_DECIMAL = "decimal"
TYPE_NOTE = "note"

#: Name of the note row that carries the introduction in an exported workbook.
INTRODUCTION_NOTE = "introduction"
#: Code prefix of the sections made for questions outside any group on import.
IMPLICIT_SECTION_PREFIX = "s"

#: Metadata rows that ODK and Kobo add to forms (start, end, device id ...).  They are
#: not questions, and this service records none of them, so an import drops them.
XLSFORM_METADATA_TYPES = frozenset({
    "start", "end", "today", "deviceid", "phonenumber", "username", "email", "simserial",
    "subscriberid", "audit", "start-geopoint", "background-audio",
})
#: Survey columns whose behaviour the questionnaire format cannot express; an import
#: refuses a row that fills one of them.
XLSFORM_UNSUPPORTED_COLUMNS = ("calculation", "choice_filter", "repeat_count", "trigger",
                               "read_only", "default")
