"""The package surface: explicit exports, documented (the examples run as doctests)."""

from __future__ import annotations

import pytest

import analysis


def test_every_export_exists_and_is_documented():
    assert len(analysis.__all__) == len(set(analysis.__all__))
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        if callable(obj):
            assert obj.__doc__ and "Examples" in obj.__doc__ or not name.islower(), name


@pytest.mark.parametrize("name", [n for n in analysis.__all__ if n.islower()])
def test_public_functions_have_numpydoc_sections(name):
    doc = getattr(analysis, name).__doc__
    for section in ("Parameters", "Returns", "Raises", "Notes", "References", "Examples"):
        assert f"\n    {section}\n    ----" in doc, f"{name}: no {section} section"
