"""The language of a page: Vietnamese by default, English on request.

The service speaks two languages, and every user-facing text is written next to
its translation (``t("Đăng nhập", "Sign in")``), or comes as a
:class:`questionnaires.Label` or a :class:`questionnaires.BilingualError`, so a text
can never lack one.  ``?lang=en`` (or ``vi``) switches and is remembered in the
session.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session, url_for

from questionnaires.text import LANGUAGES, BilingualError, Label

LANGS = LANGUAGES


def current_lang() -> str:
    """The language of the current request.

    Respondent pages (``/s/...``) take it from the URL only and never touch the
    session, so they set no cookie; staff pages remember it in the session.
    """
    if "lang" not in g:
        asked = request.args.get("lang")
        default = current_app.config.get("DEFAULT_LANG", "vi")
        if request.path.startswith("/s/"):
            g.lang = asked if asked in LANGS else default
        else:
            if asked in LANGS:
                session["lang"] = asked
            g.lang = session.get("lang") or default
    return g.lang


def lang_url(lang: str) -> str:
    """The current page in ``lang``, keeping the rest of its query (page number...)."""
    args = {**request.args.to_dict(), "lang": lang}
    return url_for(request.endpoint or "core.index", **(request.view_args or {}), **args)


def t(vi: str, en: str) -> str:
    """The text in the current language."""
    return en if current_lang() == "en" else vi


def tr(text: Label | BilingualError) -> str:
    """A label's text, or an error's message, in the current language."""
    return text.message(current_lang()) if isinstance(text, BilingualError) else text.get(current_lang())


def init_app(app: Flask) -> None:
    """Make ``t``, ``tr`` and ``lang`` available in every template."""

    @app.context_processor
    def _inject() -> dict[str, object]:
        return {"t": t, "tr": tr, "lang": current_lang(), "lang_url": lang_url}
