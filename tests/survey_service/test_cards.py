"""Printed slot cards (PDF), the zip of QR images and the inline SVG QR code.

No database: slot rows are built directly from the built-in plan's quota places, as
``iter_slots`` would return them.  The QR codes are checked by reading them back out
of the PDF's page content and the PNG pixels and comparing them with the ``qrcode``
library's matrix for each link (decoding a rendered image would need zbar).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import math
import re
import shutil
import subprocess
import unicodedata
import zipfile
import zlib
from collections import defaultdict

import pytest
import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.units import mm

import sampling
from sampling.slots import make_slot_code
from survey_service.fieldwork import card_content, cards, qr
from survey_service.fieldwork.queries import SlotRow, slot_url

BASE_URL = "https://khaosat.laichau.gov.vn"

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None,
    reason="pdftotext (poppler-utils) is not installed, so the PDF's text layer cannot be read here")


@pytest.fixture(scope="module")
def plan() -> sampling.Plan:
    return sampling.load_plan()


@pytest.fixture(scope="module")
def all_rows(plan: sampling.Plan) -> list[SlotRow]:
    """One row per quota place of the plan (1,193), numbered per group like the service does."""
    rows = []
    numbers: dict[str, int] = defaultdict(int)
    for place in plan.quota_places():
        group = plan.group(place.group)
        numbers[group.code] += 1
        unit = plan.unit(place.unit) if place.unit else None
        # A fixed, reproducible 22-character token per slot.
        token = base64.urlsafe_b64encode(hashlib.sha256(f"{group.code}/{numbers[group.code]}".encode())
                                         .digest()[:16]).decode().rstrip("=")
        rows.append(SlotRow(slot=make_slot_code(group.code, numbers[group.code]), group=group.code,
                            form=group.form or "", unit=unit.code if unit else "",
                            unit_name=unit.name if unit else "",
                            parent_unit=(unit.parent or "") if unit else "",
                            url=slot_url(BASE_URL, token), status="issued"))
    return rows


@pytest.fixture(scope="module")
def sample(all_rows: list[SlotRow]) -> list[SlotRow]:
    """17 rows (3 pages): the first two slots of every group, and a commune of II.4."""
    picked: dict[str, list[SlotRow]] = defaultdict(list)
    for row in all_rows:
        if len(picked[row.group]) < 2:
            picked[row.group].append(row)
    rows = [r for group in picked.values() for r in group]
    rows.append(next(r for r in all_rows if r.unit == "xa-then-sin"))
    assert len(rows) == 17
    return rows


@pytest.fixture(scope="module")
def sample_pdf(sample: list[SlotRow], plan: sampling.Plan) -> bytes:
    return cards.cards_pdf(sample, plan)


def reference_matrix(url: str) -> list[list[bool]]:
    """The qrcode library's own matrix for ``url`` (error correction M, no quiet zone)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.get_matrix()


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?!s)\b", pdf))


def content_streams(pdf: bytes) -> list[bytes]:
    """The decoded page content streams of a reportlab PDF (ASCII85 + Flate)."""
    out = []
    for head, data in re.findall(rb"<<([^<>]*)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        if b"/ASCII85Decode" not in head:
            continue  # fonts and other streams
        data = base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
        out.append(zlib.decompress(data))
    return out


_QR_BLOCK = re.compile(rb"([\d.]+) 0 0 -([\d.]+) [\d.]+ [\d.]+ cm\s*((?:\d+ \d+ \d+ 1 re\s*)+)f\b")


def drawn_qr_codes(pdf: bytes) -> list[tuple[float, list[list[bool]]]]:
    """Every QR code drawn in ``pdf``, in order: (side in points, matrix)."""
    found = []
    for stream in content_streams(pdf):
        for match in _QR_BLOCK.finditer(stream):
            scale = float(match.group(1))
            runs = [tuple(map(int, line.split()[:3])) for line in match.group(3).split(b"\n") if line.strip()]
            n = max(c + length for c, _, length in runs)
            n = max(n, max(r for _, r, _ in runs) + 1)
            matrix = [[False] * n for _ in range(n)]
            for c, r, length in runs:
                for k in range(c, c + length):
                    matrix[r][k] = True
            found.append((scale * n, matrix))
    return found


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The text layer of ``pdf`` as pdftotext reads it, whitespace collapsed to single spaces."""
    path = tmp_path / "cards.pdf"
    path.write_bytes(pdf)
    result = subprocess.run([PDFTOTEXT, "-raw", "-enc", "UTF-8", str(path), "-"],
                            capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


# --------------------------------------------------------------------------- the PDF


@pytest.mark.parametrize("n, pages", [(1, 1), (8, 1), (9, 2), (17, 3)])
def test_cards_pdf_has_one_page_per_eight_cards(sample, plan, n, pages):
    pdf = cards.cards_pdf(sample[:n], plan)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) == pages == math.ceil(n / cards.CARDS_PER_PAGE)


def test_every_card_has_the_qr_code_of_its_link(sample, sample_pdf):
    drawn = drawn_qr_codes(sample_pdf)
    assert len(drawn) == len(sample)
    for row, (side, matrix) in zip(sample, drawn):
        assert matrix == reference_matrix(row.url), row.slot
        assert side >= 30 * mm  # large enough for any phone at arm's length


def test_qr_matrix_and_runs_match_the_qrcode_library(sample):
    for row in sample:
        matrix = qr.qr_matrix(row.url)
        assert [list(r) for r in matrix] == reference_matrix(row.url)
        rebuilt = [[False] * len(matrix) for _ in matrix]
        for r, c, length in qr.qr_runs(matrix):
            assert length > 0
            for k in range(c, c + length):
                assert not rebuilt[r][k]
                rebuilt[r][k] = True
        assert rebuilt == [list(r) for r in matrix]


@needs_pdftotext
def test_the_vietnamese_texts_are_in_the_text_layer(sample, sample_pdf, plan, tmp_path):
    text = pdf_text(sample_pdf, tmp_path)
    expected = [
        plan.title.vi,
        "Hạn trả lời: 28/02/2021",
        "Quét mã QR bằng điện thoại hoặc nhập đường dẫn để trả lời.",
        "Phiếu ẩn danh: câu trả lời không gắn với mã phiếu hay người trả lời.",
        "Nhóm II.4: Lãnh đạo UBND cấp xã",
        "Xã Thèn Sin, Huyện Tam Đường",
        "Đại biểu HĐND tỉnh",
        "Mẫu phiếu: CH-03",
        "MÃ PHIẾU",
        "Trang 1/3",
    ]
    for row in sample:
        expected += [row.slot, card_content.printed_link(row.url)]
    for phrase in expected:
        assert phrase in text, phrase


@needs_pdftotext
def test_english_cards(sample, plan, tmp_path):
    text = pdf_text(cards.cards_pdf(sample[:2], plan, lang="en"), tmp_path)
    for phrase in (plan.title.en, "CARD CODE", "Reply by: 28 February 2021",
                   "Scan the QR code with a phone, or type the link, to answer.",
                   "Group I.1: Provincial People's Council delegates", "Page 1/1"):
        assert phrase in text, phrase


def test_progress_reaches_the_total(sample, plan):
    calls: list[tuple[int, int]] = []
    cards.cards_pdf(sample[:11], plan, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 11) for i in range(1, 12)]


def test_an_empty_selection_gives_one_page_saying_so(plan, tmp_path):
    calls: list[tuple[int, int]] = []
    pdf = cards.cards_pdf([], plan, progress=lambda done, total: calls.append((done, total)))
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    assert drawn_qr_codes(pdf) == []
    assert calls == [(0, 0)]
    if PDFTOTEXT:
        assert "Không có phiếu nào được chọn" in pdf_text(pdf, tmp_path)
        assert "No slots were selected" in pdf_text(cards.cards_pdf([], plan, lang="en"), tmp_path)


def test_the_pdf_is_the_same_for_the_same_cards(sample, plan, sample_pdf):
    assert cards.cards_pdf(sample, plan) == sample_pdf


def test_an_unknown_language_is_refused(sample, plan):
    with pytest.raises(ValueError):
        cards.cards_pdf(sample[:1], plan, lang="fr")


# --------------------------------------------------------------------------- card content


def test_card_content(all_rows, plan):
    commune = next(r for r in all_rows if r.unit == "xa-then-sin")
    card = card_content.card_for(commune, plan)
    assert card.slot == commune.slot and card.url == commune.url
    assert card.link == commune.url.removeprefix("https://")
    assert (card.group_label, card.group_name) == ("Nhóm II.4:", "Lãnh đạo UBND cấp xã")
    assert (card.unit_label, card.unit_name) == ("Đơn vị:", "Xã Thèn Sin, Huyện Tam Đường")
    assert (card.form_label, card.form) == ("Mẫu phiếu:", "CH-03")
    assert card.deadline == "Hạn trả lời: 28/02/2021"
    assert card.title == plan.title.vi

    fixed = next(r for r in all_rows if r.group == "I.1")  # fixed quota: no unit
    card = card_content.card_for(fixed, plan, "en")
    assert (card.unit_label, card.unit_name) == ("", "")
    assert card.group_name == "Provincial People's Council delegates"
    assert card.deadline == "Reply by: 28 February 2021"

    department = next(r for r in all_rows if r.group == "I.3")  # no parent unit
    assert card_content.card_for(department, plan).unit_name == department.unit_name


def test_texts_are_composed_unicode(all_rows, plan):
    row = next(r for r in all_rows if r.unit == "xa-then-sin")
    decomposed = unicodedata.normalize("NFD", row.unit_name)
    assert decomposed != row.unit_name
    card = card_content.card_for(SlotRow(**{**row.as_dict(), "unit_name": decomposed}), plan)
    assert card.unit_name.startswith("Xã Thèn Sin")


def test_the_fonts_cover_every_text_of_every_card(all_rows, plan):
    cards.register_fonts()
    for font in (cards.SANS, cards.BOLD):
        for text in [plan.title.vi, plan.title.en, *(u.name for u in plan.units),
                     *(g.name.vi for g in plan.groups), *(g.name.en for g in plan.groups),
                     *(t for label in card_content._TEXTS.values() for t in (label.vi, label.en))]:
            assert cards.has_glyphs(font, text), (font, text)
    # The monospaced font is used for codes and links, which are ASCII.
    for row in all_rows[::50]:
        assert cards.has_glyphs(cards.MONO, row.slot + card_content.printed_link(row.url))


def test_the_fonts_ship_with_their_licence():
    for file in cards.FONTS.values():
        assert (cards.FONT_DIR / file).stat().st_size > 100_000
    licence = (cards.FONT_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence and "Arev Fonts Copyright" in licence


def test_long_texts_are_shortened_not_spilled(all_rows, plan):
    row = all_rows[0]
    long_row = SlotRow(**{**row.as_dict(), "unit_name": "Phòng " + "Văn hóa và Thông tin " * 12,
                          "url": BASE_URL + "/s/" + "A" * 200})
    pdf = cards.cards_pdf([long_row], plan)
    [(_, matrix)] = drawn_qr_codes(pdf)
    assert matrix == reference_matrix(long_row.url)
    size, lines = cards.fit("Văn hóa " * 40, cards.SANS, 8, 7, 100, 2)
    assert size == 7 and len(lines) == 2 and lines[-1].endswith("…")
    assert all(cards._width(line, cards.SANS, size) <= 100 for line in lines)


def test_wrap_breaks_words_longer_than_a_line():
    cards.register_fonts()
    lines = cards.wrap("x" * 80, cards.MONO, 10, 60)
    assert len(lines) > 1 and "".join(lines) == "x" * 80
    assert all(cards._width(line, cards.MONO, 10) <= 60 for line in lines)


# --------------------------------------------------------------------------- the zip


def test_qr_zip(sample):
    calls: list[tuple[int, int]] = []
    data = qr.qr_zip(sample, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (len(sample), len(sample)) and len(calls) == len(sample)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert len(names) == len(sample) + 1
        assert set(names) == {f"{r.slot}.png" for r in sample} | {"slots.csv"}
        for row in sample:
            reference = reference_matrix(row.url)
            n = len(reference)
            with Image.open(io.BytesIO(zf.read(f"{row.slot}.png"))) as image:
                assert image.format == "PNG"
                assert image.size == ((n + 2 * 4) * 10,) * 2  # box size 10, border 4
                pixels = image.convert("L")
                # The centre of every module is dark exactly where the QR code is.
                read = [[pixels.getpixel(((c + 4) * 10 + 5, (r + 4) * 10 + 5)) < 128 for c in range(n)]
                        for r in range(n)]
                assert read == reference, row.slot
                assert pixels.getpixel((5, 5)) == 255  # the quiet zone is white
        index = list(csv.DictReader(io.StringIO(zf.read("slots.csv").decode("utf-8"))))
    assert [r["slot"] for r in index] == [r.slot for r in sample]
    for line, row in zip(index, sample):
        assert (line["group"], line["unit"], line["url"], line["file"]) == (
            row.group, row.unit, row.url, f"{row.slot}.png")
    assert "Xã Thèn Sin" in {r["unit_name"] for r in index}


def test_qr_zip_of_nothing_has_only_the_index():
    with zipfile.ZipFile(io.BytesIO(qr.qr_zip([]))) as zf:
        assert zf.namelist() == ["slots.csv"]
        assert zf.read("slots.csv").decode().strip() == ",".join(qr.INDEX_COLUMNS)


@pytest.mark.parametrize("code", ["../etc/passwd", "a/b", "", "24 0131"])
def test_qr_zip_refuses_a_code_that_is_not_a_file_name(sample, code):
    with pytest.raises(ValueError):
        qr.qr_zip([SlotRow(**{**sample[0].as_dict(), "slot": code})])


def test_qr_zip_refuses_a_code_twice(sample):
    with pytest.raises(ValueError):
        qr.qr_zip([sample[0], sample[0]])


