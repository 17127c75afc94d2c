"""The language of a page: Vietnamese by default, English on request.

The service speaks two languages, and every user-facing text is written next to
its translation (``t("Đăng nhập", "Sign in")``), so a text can never lack one.
``?lang=en`` (or ``vi``) switches and is remembered in the session.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session

LANGS = ("vi", "en")


def current_lang() -> str:
    """The language of the current request."""
    if "lang" not in g:
        asked = request.args.get("lang")
        if asked in LANGS:
            session["lang"] = asked
        g.lang = session.get("lang") or current_app.config.get("DEFAULT_LANG", "vi")
    return g.lang


def t(vi: str, en: str) -> str:
    """The text in the current language."""
    return en if current_lang() == "en" else vi


def init_app(app: Flask) -> None:
    """Make ``t`` and ``lang`` available in every template."""

    @app.context_processor
    def _inject() -> dict[str, object]:
        return {"t": t, "lang": current_lang()}
