"""Fill respondent forms through the test client, the way a browser without scripts does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


class _FormParser(HTMLParser):
    """Collects a page's form fields: hidden values, radio groups, text inputs, buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.checked: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.checkboxes: dict[str, bool] = {}
        self.buttons: list[str] = []
        self.main_attrs: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):  # noqa: D401
        a = {k: (v or "") for k, v in attrs}
        if tag == "main":
            self.main_attrs = a
        elif tag == "input":
            kind, name = a.get("type", "text"), a.get("name", "")
            if kind == "hidden":
                self.hidden[name] = a.get("value", "")
            elif kind == "radio":
                self.radios.setdefault(name, []).append(a["value"])
                if "checked" in a:
                    self.checked[name] = a["value"]
            elif kind == "checkbox":
                self.checkboxes[name] = "checked" in a
            elif kind == "text":
                self.texts[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name", "")
            self.texts[self._textarea] = ""
        elif tag == "button":
            self.buttons.append(a.get("value", ""))

    def handle_data(self, data):
        if self._textarea:
            self.texts[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


@dataclass
class Walk:
    """A respondent going through a form with the Flask test client."""

    client: object
    token: str
    lang: str = "vi"
    pages_seen: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"/s/{self.token}"

    def open(self, page: int | None = None):
        query = f"?p={page}" if page is not None else ""
        return self.client.get(self.url + query)

    def post(self, html: str, action: str = "next", choose=None, extra: dict | None = None):
        """Submit the page in ``html``; ``choose(name, options)`` picks radio values
        (default: the first option); text fields keep their value or get ``extra``."""
        form = parse(html)
        data = dict(form.hidden)
        for name, options in form.radios.items():
            value = choose(name, options) if choose else (form.checked.get(name) or options[0])
            if value is not None:
                data[name] = value
        for name, value in form.texts.items():
            data[name] = value
        data.update(extra or {})
        data["action"] = action
        return self.client.post(self.url, data=data)

    def finish(self, choose=None, limit: int = 100):
        """Answer every page from where the link resumes, then send; returns the last response."""
        response = self.open()
        for _ in range(limit):
            html = response.get_data(as_text=True)
            buttons = parse(html).buttons
            if response.status_code != 200 or not buttons:
                return response
            action = "send" if "send" in buttons else "next"
            posted = self.post(html, action=action, choose=choose)
            if posted.status_code == 303:
                response = self.client.get(posted.headers["Location"])
            else:
                return posted
        raise AssertionError("the form did not end")


def page_number(html: str) -> int:
    """The 0-based page index a page posts back."""
    return int(re.search(r'name="page" value="(\d+)"', html).group(1))
