"""What one printed card says: its texts in the card's language, and its QR symbol.

:func:`card_for` turns a slot (a row of :func:`~survey_service.fieldwork.queries.iter_slots`)
into a :class:`Card`; :mod:`.cards` lays cards out on A4 pages.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import sampling
from questionnaires import Label

from .qr import Matrix, qr_matrix
from .queries import SlotRow

_TEXTS: dict[str, Label] = {
    "code_label": Label("MÃ PHIẾU", "CARD CODE"),
    "group": Label("Nhóm {code}:", "Group {code}:"),
    "unit": Label("Đơn vị:", "Unit:"),
    "form": Label("Mẫu phiếu:", "Form:"),
    "deadline": Label("Hạn trả lời: {date}", "Reply by: {date}"),
    "instruction": Label("Quét mã QR bằng điện thoại hoặc nhập đường dẫn để trả lời.",
                   "Scan the QR code with a phone, or type the link, to answer."),
    "anonymity": Label("Phiếu ẩn danh: câu trả lời không gắn với mã phiếu hay người trả lời.",
                   "Anonymous: answers are not linked to the card code or to the respondent."),
    "empty": Label("Không có phiếu nào được chọn: không có thẻ nào để in.",
                   "No slots were selected: there are no cards to print."),
    "footer": Label("Trang {page}/{pages} · thẻ {first}–{last} trên {total} · cắt theo đường kẻ",
                   "Page {page}/{pages} · cards {first}–{last} of {total} · cut along the lines"),
    "subject": Label("Thẻ phiếu khảo sát", "Survey slot cards"),
}

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def card_text(key: str, lang: str, **values: object) -> str:
    """A text of the card in ``lang``, filled with ``values``."""
    return _TEXTS[key].get(lang).format(**values)


def nfc(text: str) -> str:
    """Composed Unicode: reportlab places no combining marks, so 'ạ' must be one character."""
    return unicodedata.normalize("NFC", text).strip()


def format_date(day: dt.date, lang: str = "vi") -> str:
    """``28/02/2021`` in Vietnamese, ``28 February 2021`` in English."""
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return day.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- card content


@dataclass(frozen=True)
class Card:
    """Everything printed on one card, as text (and the QR matrix)."""

    slot: str
    url: str
    #: The link as printed for typing (``https://`` dropped).
    link: str
    title: str
    code_label: str
    group_label: str
    group_name: str
    #: "Xã Thèn Sin, Huyện Tam Đường"; empty for a group with no unit (fixed quota).
    unit_label: str
    unit_name: str
    form_label: str
    form: str
    deadline: str
    instruction: str
    anonymity: str
    matrix: Matrix


def printed_link(url: str) -> str:
    """The link as printed for typing: without ``https://``, which browsers add themselves.

    ``http://`` is kept: a browser would try https first, which a plain-http server
    does not answer.
    """
    return url[len("https://"):] if url.lower().startswith("https://") else url


def card_for(row: SlotRow, plan: sampling.Plan, lang: str = "vi", matrix: Matrix | None = None) -> Card:
    """The content of ``row``'s card, texts in ``lang`` (place names are Vietnamese).

    ``matrix``: the QR code of ``row.url`` if already made (:func:`.qr.qr_matrices`)."""
    try:
        group_name = sampling.name_in(plan.group(row.group), lang)
    except KeyError:
        group_name = ""
    unit_name = row.unit_name or _unit_name(plan, row.unit)
    if unit_name and row.parent_unit:
        unit_name = f"{unit_name}, {_unit_name(plan, row.parent_unit)}"
    deadline = plan.deadlines.get("survey")
    return Card(
        slot=nfc(row.slot),
        url=row.url,
        link=printed_link(row.url),
        title=nfc(sampling.name_in(plan, lang)),
        code_label=card_text("code_label", lang),
        group_label=card_text("group", lang, code=nfc(row.group)),
        group_name=nfc(group_name),
        unit_label=card_text("unit", lang) if unit_name else "",
        unit_name=nfc(unit_name),
        form_label=card_text("form", lang) if row.form else "",
        form=nfc(row.form),
        deadline=card_text("deadline", lang, date=format_date(deadline, lang)) if deadline else "",
        instruction=card_text("instruction", lang),
        anonymity=card_text("anonymity", lang),
        matrix=qr_matrix(row.url) if matrix is None else matrix,
    )


def _unit_name(plan: sampling.Plan, code: str) -> str:
    if not code:
        return ""
    try:
        return plan.unit(code).name
    except KeyError:
        return code


