"""Rules the code itself must keep: the import contracts, and a clean lint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("flask", "flask_wtf", "flask_login", "sqlalchemy", "alembic", "wtforms", "werkzeug",
             "survey_service")


def test_import_linter_contracts_hold():
    """The contracts in pyproject.toml, checked by import-linter over the source."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("package", ["questionnaires", "sampling", "analysis"])
def test_library_imports_without_the_web_stack(package):
    """Importing a library (and using it) loads none of the web stack at run time."""
    code = (
        f"import sys, {package}\n"
        "from sampling import load_plan\n" if package == "sampling" else f"import sys, {package}\n"
    )
    code += f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
    code += "print(','.join(bad))\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_ruff_finds_nothing():
    """Unused or undefined names, import order and likely bugs (rules in pyproject.toml)."""
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_service_commits_only_at_the_request_and_command_boundary():
    """Operations add and flush; only the app (per request) and the command session commit."""
    committing = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "survey_service").rglob("*.py")
                        if "migrations" not in path.parts and ".commit(" in path.read_text(encoding="utf-8"))
    assert committing == ["survey_service/core/app.py", "survey_service/core/database.py"]


def test_no_module_of_the_service_is_long():
    """A module longer than about 400 lines is holding two things: split it."""
    long = {str(path.relative_to(ROOT)): n for path in (ROOT / "survey_service").rglob("*.py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


@pytest.mark.parametrize("feature", ["accounts", "appraisal", "citizens", "fieldwork", "plans", "results"])
def test_every_feature_has_the_same_inner_files(feature):
    """Where a feature has pages, writes, reads or commands, they are in files of the same names."""
    import importlib

    folder = ROOT / "survey_service" / feature
    names = {p.name for p in folder.iterdir()}
    assert {"__init__.py", "queries.py", "cli.py"} <= names, names
    assert not names & {"services.py", "views.py", "db.py", "helpers.py"}, names
    if "routes.py" in names:
        assert (folder / "templates" / feature).is_dir()
    assert callable(importlib.import_module(f"survey_service.{feature}.cli").register)
