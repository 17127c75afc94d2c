"""The package as a whole: its public API and what it imports (its examples run as doctests)."""

from __future__ import annotations

import subprocess
import sys

import questionnaires

#: What a plain library may never pull in (see the import-linter contracts).
FORBIDDEN = {"flask", "flask_wtf", "flask_login", "flask_babel", "sqlalchemy", "alembic",
             "wtforms", "werkzeug", "pandas", "pyxform", "sampling", "analysis",
             "survey_service"}


def test_public_api_is_explicit():
    assert len(questionnaires.__all__) == len(set(questionnaires.__all__))
    for name in questionnaires.__all__:
        assert hasattr(questionnaires, name), name
    required = {"load_form", "load_form_text", "form_from_dict", "builtin_form_codes",
                "load_builtin", "builtin_forms", "Form", "Question", "Option", "AnswerError",
                "DataFileError", "Problem", "to_xlsform", "from_xlsform", "codebook",
                "BilingualError", "Label"}
    assert required <= set(questionnaires.__all__)


def test_imports_no_web_or_sibling_package():
    code = ("import sys, questionnaires\n"
            "questionnaires.builtin_forms()\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert not FORBIDDEN & set(result.stdout.split())
