"""The fast paths of the heavy commands give exactly what the slow ones gave.

* QR codes: the symbols computed in batches (:mod:`survey_service.fieldwork.qr_symbol`)
  are the ``qrcode`` library's, module for module, and the mask is the one the library
  chooses by the penalty rules of ISO/IEC 18004.
* The cards PDF written page by page (:mod:`survey_service.fieldwork.pdf_stream`) is
  byte for byte the PDF reportlab writes from memory, and ``slots export --format pdf``
  reads the slots as ``iter_slots`` does.
* The index reads the answers column-wise and scores them once
  (:func:`survey_service.results.queries.scoring_frame`): the same answers, scores and
  rank intervals as the text table scored twice.
"""

from __future__ import annotations

import io
import random
import string

import numpy as np
import pandas as pd
import pytest
import qrcode
import sqlalchemy as sa
from click.testing import CliRunner
from qrcode import util as qr_util
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import _py_asciiBase85Encode
from reportlab.pdfgen.canvas import Canvas

import analysis
from survey_service.fieldwork import cards, qr, qr_symbol
from survey_service.fieldwork.pdf_stream import _BASE85, StreamingCanvas

RANDOM = random.Random(18004)
TOKEN = string.ascii_letters + string.digits + "-_"


def links() -> list[str]:
    """Slot links as the service makes them, and texts of every length and segment mode."""
    out = [f"https://khaosat.laichau.gov.vn/s/{''.join(RANDOM.choices(TOKEN, k=22))}"
           for _ in range(120)]
    out += [f"http://survey.test/s/{''.join(RANDOM.choices(TOKEN, k=RANDOM.randint(0, 300)))}"
            for _ in range(60)]
    out += ["HTTPS://X.VN/S/" + "".join(RANDOM.choices(string.ascii_uppercase + string.digits,
                                                       k=RANDOM.randint(1, 400))) for _ in range(30)]
    out += ["0123456789" * RANDOM.randint(1, 80) for _ in range(15)]
    out += ["Xã Thèn Sin, Huyện Tam Đường " * RANDOM.randint(1, 12) for _ in range(10)]
    out += ["".join(RANDOM.choices(TOKEN, k=n)) for n in (600, 650, 1300, 1500)]  # versions 10 to 27+
    return out


def library(text: str) -> tuple[int, list[list[bool]]]:
    """The ``qrcode`` library's own best mask and symbol for ``text``."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.best_fit()
    mask = code.best_mask_pattern()
    code.make(fit=True)
    return mask, code.get_matrix()


# --------------------------------------------------------------------------- QR codes


def test_the_mask_is_the_librarys_best_mask_and_the_symbol_its_symbol():
    texts = links()
    matrices = qr.qr_matrices(texts)
    masks, versions = set(), set()
    for text, matrix in zip(texts, matrices):
        mask, expected = library(text)
        assert qr_symbol.best_mask(text) == mask, text
        assert [list(row) for row in matrix] == expected, text
        masks.add(mask)
        versions.add(len(expected) // 4 - 4)
    assert masks == set(range(8))  # every mask was the best for some link
    assert min(versions) == 1 and max(versions) >= 27


def test_penalties_are_the_librarys_lost_points():
    rng = np.random.default_rng(5)
    for n in (21, 25, 33, 45):
        stack = rng.random((12, n, n)) < rng.uniform(0.2, 0.8, (12, 1, 1))
        stack[:2, :, :] = stack[:2, :1, :]  # long runs and many blocks
        assert qr_symbol.mask_penalties(stack) == [qr_util.lost_point(m.tolist()) for m in stack]


def test_one_link_alone_or_in_a_batch_gives_the_same_symbol():
    texts = links()[:20]
    assert qr.qr_matrices(texts) == [qr.qr_matrix(t) for t in texts]


# --------------------------------------------------------------------------- PDF


def test_base85_is_reportlabs():
    for n in [*range(0, 12), *(RANDOM.randint(0, 5000) for _ in range(60))]:
        for data in (bytes(RANDOM.getrandbits(8) for _ in range(n)), bytes(n),
                     bytes(RANDOM.choice([0, 0, 0, 7]) for _ in range(n))):
            assert _BASE85.encode(data) == _py_asciiBase85Encode(data)


def _drawing(c: Canvas) -> None:
    cards.register_fonts()
    for page in range(3):
        c.setFont(cards.SANS, 9)
        c.drawString(40, 800, f"Trang {page + 1}: Xã Thèn Sin, Huyện Tam Đường")
        c.setFont(cards.MONO, 12)
        c.drawString(40, 780, "khaosat.laichau.gov.vn/s/" + "x" * page)
        c.rect(40, 600, 100 + page, 50, fill=1)
        c.showPage()


def test_the_streaming_canvas_writes_reportlabs_bytes(tmp_path):
    kwargs = dict(pagesize=A4, pageCompression=1, invariant=1, lang="vi")
    plain = io.BytesIO()
    reference = Canvas(plain, **kwargs)
    _drawing(reference)
    reference.save()
    with open(tmp_path / "streamed.pdf", "wb") as fh:
        streamed = StreamingCanvas(fh, **kwargs)
        _drawing(streamed)
        # The finished pages hold no content: it waits in the spool file.
        assert all(page.stream is None for page in streamed._doc.Pages.pages)
        streamed.save()
    assert (tmp_path / "streamed.pdf").read_bytes() == plain.getvalue()


@pytest.fixture(scope="module")
def plan():
    import sampling

    return sampling.load_plan()


@pytest.fixture(scope="module")
def some_rows(plan):
    from survey_service.fieldwork.queries import SlotRow, slot_url

    rows = []
    for i, place in enumerate(plan.quota_places()[:21]):
        group = plan.group(place.group)
        unit = plan.unit(place.unit) if place.unit else None
        rows.append(SlotRow(slot=f"S{i:04d}", group=group.code, form=group.form or "",
                            unit=unit.code if unit else "", unit_name=unit.name if unit else "",
                            parent_unit=(unit.parent or "") if unit else "",
                            url=slot_url("http://survey.test", "".join(RANDOM.choices(TOKEN, k=22))),
                            status="issued"))
    return rows


def _cards_in_memory(rows, plan, lang: str = "vi") -> bytes:
    """The cards as before: reportlab's canvas, every page in memory, then the bytes."""
    cards.register_fonts()
    out = io.BytesIO()
    title = cards.nfc(plan.title.get(lang))
    c = Canvas(out, pagesize=A4, pageCompression=1, invariant=1, lang=lang,
               initialFontName=cards.SANS, initialFontSize=8)
    c.setTitle(f"{cards.card_text('subject', lang)}: {title}")
    c.setSubject(cards.card_text("subject", lang))
    c.setCreator("survey-service")
    pages = -(-len(rows) // cards.CARDS_PER_PAGE)
    for page in range(pages):
        first = page * cards.CARDS_PER_PAGE
        batch = rows[first:first + cards.CARDS_PER_PAGE]
        cards._draw_cut_lines(c)
        for i, row in enumerate(batch):
            x = cards.MARGIN_X + (i % cards.COLUMNS) * cards.CARD_W
            y = cards.PAGE_H - cards.MARGIN_TOP - (i // cards.COLUMNS + 1) * cards.CARD_H
            cards.draw_card(c, cards.card_for(row, plan, lang), x, y)
        cards._draw_footer(c, cards.card_text("footer", lang, page=page + 1, pages=pages,
                                              first=first + 1, last=first + len(batch),
                                              total=len(rows)))
        c.showPage()
    c.save()
    return out.getvalue()


def test_cards_are_the_same_bytes_as_from_memory(some_rows, plan, tmp_path):
    for lang in ("vi", "en"):
        expected = _cards_in_memory(some_rows, plan, lang)
        assert cards.cards_pdf(some_rows, plan, lang=lang) == expected
        with open(tmp_path / "cards.pdf", "wb") as fh:
            cards.write_cards_pdf(fh, iter(some_rows), len(some_rows), plan, lang=lang)
        assert (tmp_path / "cards.pdf").read_bytes() == expected


def test_the_announced_number_of_cards_is_checked(some_rows, plan):
    for total in (len(some_rows) - 1, len(some_rows) + 1, len(some_rows) + 9):
        with pytest.raises(ValueError, match="announced"):
            cards.write_cards_pdf(io.BytesIO(), iter(some_rows), total, plan)


def _orm_slots(session, row, *, group=None, unit=None, include_voided=False):
    """The slots as whole ORM rows, filtered in Python: what the column-wise stream must give."""
    from survey_service.core.models import RespondentGroup, Slot, Unit
    from survey_service.fieldwork.queries import ParentUnit, SlotRow, slot_join, slot_url

    out = []
    for slot, grp, u, p in session.execute(slot_join(Slot, RespondentGroup, Unit, ParentUnit)
                                           .where(Slot.plan_id == row.id)
                                           .order_by(RespondentGroup.id, Slot.code)):
        if (group and grp.code != group) or (not include_voided and slot.status == "voided"):
            continue
        if unit and unit not in {u.code if u else None, p.code if p else None}:
            continue
        out.append(SlotRow(slot=slot.code, group=grp.code, form=grp.form_code or "",
                           unit=u.code if u else "", unit_name=u.name if u else "",
                           parent_unit=p.code if p else "", url=slot_url("http://survey.test", slot.token),
                           status=slot.status))
    return out


def test_slots_export_streams_the_slots_of_iter_slots(cli, cli_env, tmp_path):
    from survey_service.core.database import Database
    from survey_service.core.models import Slot
    from survey_service.fieldwork.queries import count_slots, iter_slots
    from survey_service.plans.queries import current_plan, get_plan_row

    assert cli("init").exit_code == 0
    database = Database(cli_env["SURVEY_DATABASE_URL"])
    try:
        with database.session() as session:
            session.execute(sa.update(Slot).where(Slot.id.in_([3, 40, 700])).values(status="voided"))
        with database.session() as session:
            row = get_plan_row(session)
            for filters in ({}, {"group": "II.4"}, {"unit": "huyen-tam-duong"},
                            {"group": "II.4", "unit": "huyen-tam-duong"}, {"group": "I.1"}):
                for voided in (False, True):
                    expected = _orm_slots(session, row, **filters, include_voided=voided)
                    total = count_slots(session, row, **filters, include_voided=voided)
                    rows = iter_slots(session, row, "http://survey.test", **filters, include_voided=voided)
                    assert (total, list(rows)) == (len(expected), expected)
            expected = cards.cards_pdf(list(iter_slots(session, row, "http://survey.test", group="I.3",
                                                       unit="so-noi-vu")),
                                       current_plan(session), lang="en")
    finally:
        database.dispose()
    out = tmp_path / "cards.pdf"
    result = cli("--lang", "en", "slots", "export", "--group", "I.3", "--unit", "so-noi-vu",
                 "--format", "pdf", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected
    assert not (tmp_path / "cards.pdf.part").exists()


# --------------------------------------------------------------------------- the index


def test_the_index_reads_and_scores_the_answers_as_before(database_url, tmp_path, monkeypatch):
    from survey_service.cli import main
    from survey_service.core.database import Database
    from survey_service.plans.queries import current_plan, get_plan_row
    from survey_service.results import queries

    monkeypatch.setenv("SURVEY_SECRET_KEY", "test-secret")
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path / "instance"))
    built = CliRunner().invoke(main, ["demo", "--database", database_url], catch_exceptions=False)
    assert built.exit_code == 0, built.output
    database = Database(database_url)
    try:
        with database.session() as session:
            row, plan = get_plan_row(session), current_plan(session)
            text = queries.responses_frame(session, row.id)
            compact = queries.scoring_frame(session, row.id)
            assert all(isinstance(compact[c].dtype, pd.CategoricalDtype) for c in compact.columns)
            as_text = pd.DataFrame({c: compact[c].astype(object).where(compact[c].notna(), "")
                                    for c in compact.columns})
            expected = text[list(compact.columns)].astype(object)
            assert len(text) > 50_000
            pd.testing.assert_frame_equal(as_text, expected, check_dtype=False)

            queries._CACHE.clear()
            results = queries.compute(session, row, plan, replicates=300)
            forms, rules, units = dict(plan.forms), plan.scoring, queries.units_frame(plan)
            pd.testing.assert_frame_equal(results.scores,
                                          analysis.survey_scores(text, forms, rules, units),
                                          check_exact=True)
            assert results.responses == text["response"].nunique()
            ranked = units[units["unit"].isin(results.index.loc[results.index["status"] == "ranked",
                                                               "unit"])]
            assert len(ranked) > 10
            appraisal = queries.appraisal_frame(session, row.id)
            about = text["rated_unit"].isin(ranked["unit"]) | (text["rated_unit"] == "")
            intervals = analysis.rank_intervals(text[about], forms, rules, ranked,
                                                appraisal[appraisal["unit"].isin(ranked["unit"])],
                                                replicates=300, seed=queries.SEED)
            got = results.index.set_index("unit").loc[ranked["unit"]]
            for column in ("rank_low", "rank_high", "index_low", "index_high"):
                assert got[column].tolist() == intervals[column].tolist(), column
    finally:
        database.dispose()
