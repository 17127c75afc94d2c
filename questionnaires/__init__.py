"""Questionnaires of the PAR Index survey (Chỉ số CCHC): format, loader, built-in forms,
XLSForm interchange and codebook.

A plain library: it imports only the standard library, PyYAML and openpyxl, so an
analyst can use it in a notebook.

>>> import questionnaires
>>> form = questionnaires.load_builtin("CT-01")
>>> form.title.vi.split(" về ")[0]
'Phiếu khảo sát ý kiến đại biểu Hội đồng nhân dân tỉnh và lãnh đạo UBND các huyện, thành phố'
>>> sum(1 for _ in form.scored_questions())
12
"""

from .answers import Answer, AnswerError, parse_answer
from .builtin import builtin_form_codes, builtin_forms, load_builtin
from .codebook import CODEBOOK_FIELDS, CODEBOOK_ROW_FIELDS, codebook, codebook_rows
from .constants import FORMAT_VERSION, Kind, Op
from .loader import form_from_dict, load_form, load_form_text
from .model import Condition, Form, Option, Question, Section
from .problems import DataFileError, Problem
from .text import BilingualError, Label
from .xlsform import from_xlsform, to_xlsform

__all__ = [
    "CODEBOOK_FIELDS",
    "CODEBOOK_ROW_FIELDS",
    "FORMAT_VERSION",
    "Answer",
    "AnswerError",
    "BilingualError",
    "Condition",
    "DataFileError",
    "Form",
    "Kind",
    "Label",
    "Op",
    "Option",
    "Problem",
    "Question",
    "Section",
    "builtin_form_codes",
    "builtin_forms",
    "codebook",
    "codebook_rows",
    "form_from_dict",
    "from_xlsform",
    "load_builtin",
    "load_form",
    "load_form_text",
    "parse_answer",
    "to_xlsform",
]
