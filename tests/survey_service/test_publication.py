"""The published report: ``publish`` and the download on the report page, as DOCX, PDF and
XLSX, matching ``export index``; preliminary on every page until the survey has closed and
the appraisal is final; nothing to publish on a fresh database.

The first page of the PDF (and of the Word file, where LibreOffice is installed to render
it) is kept as a PNG for a person to look at, in ``build/test-artifacts/publication/``
(or ``SURVEY_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from .test_rounds import NEW, NEW_UNIT, OLD, build_two_rounds

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SURVEY_TEST_ARTIFACTS") or ROOT / "build" / "test-artifacts" / "publication")


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory):
    """A SQLite database with the 2020 demo and the simulated 2021 round, and a runner."""
    folder = tmp_path_factory.mktemp("publication")
    url = f"sqlite:///{folder / 'survey.db'}"
    env = {"SURVEY_DATABASE_URL": url, "SURVEY_SECRET_KEY": "test-secret", "SURVEY_BASE_URL": "http://survey.test",
           "SURVEY_INSTANCE_PATH": str(folder / "instance"), "SURVEY_LANG": ""}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        from survey_service.cli import main

        def cli(*args: str):
            return CliRunner().invoke(main, list(args), catch_exceptions=False)

        build_two_rounds(cli, url, folder / "r21")
        yield cli, url, folder


def _index(cli, *extra: str) -> list[dict]:
    return json.loads(cli("export", "index", "--format", "json", *extra).stdout)["index"]


def _index_codes(client) -> set[str]:
    page = client.get("/staff/report").get_data(as_text=True)
    return set(re.findall(r'data-unit="([^"]+)"', page))


def _number(value: float, lang: str = "vi") -> str:
    text = f"{value:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text


def _first_page_png(pdf: Path, target: Path) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        document[0].render(scale=2).to_pil().save(target)
    finally:
        document.close()


def test_docx_holds_the_ranking_of_every_department_and_district(rounds, tmp_path: Path):
    import docx

    cli, _, _ = rounds
    out = tmp_path / "report.docx"
    result = cli("publish", "--format", "docx", "-o", str(out))
    assert result.exit_code == 0, result.output
    index = {r["name"]: r for r in _index(cli)}
    document = docx.Document(str(out))
    rankings = [t for t in document.tables if t.rows[0].cells[0].text == "Hạng"]
    assert len(rankings) == 2  # departments, districts
    seen = {}
    for table in rankings:
        header = table.rows[0]
        assert header._tr.trPr.xml.count("w:tblHeader") == 1  # repeated on every page
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            seen[cells[1]] = cells
    assert len(seen) == 21 + 8 == len(index)
    for name, cells in seen.items():
        row = index[name]
        assert cells[0] == str(row["rank"])
        assert cells[2:6] == [_number(row[c]) for c in ("appraisal", "survey", "total", "index_pct")]
        assert cells[7] == f"{row['rank_low']}–{row['rank_high']}"
        change = "mới" if row["new_unit"] else (f"+{row['rank_change']}" if row["rank_change"] > 0
                                                else str(row["rank_change"]))
        assert cells[9] == change
    assert seen["Sở Mới thành lập"][9] == "mới"
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert "TẠM TÍNH" not in document.sections[0].header._element.xml  # final results
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Căn cứ:" in text and "Phụ lục: phương pháp" in text and "Cuộc khảo sát qua các con số" in text
    assert len(document.inline_shapes) == 2  # the area chart of each kind
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out, ARTIFACTS / "report.docx")
    office = shutil.which("soffice") or shutil.which("libreoffice")
    note = ARTIFACTS / "report-docx-page1.txt"
    if office:
        converted = subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                                    str(out)], capture_output=True, timeout=180)
        if converted.returncode == 0 and (tmp_path / "report.pdf").is_file():
            _first_page_png(tmp_path / "report.pdf", ARTIFACTS / "report-docx-page1.png")
            note.unlink(missing_ok=True)
            return
    note.write_text("LibreOffice is not installed here, so the Word file's first page was not rendered; "
                    "report-pdf-page1.png shows the same report built from the same data as a PDF.\n",
                    encoding="utf-8")


def test_pdf_text_holds_the_same_ranks_on_numbered_pages(rounds, tmp_path: Path):
    import pypdf

    cli, _, _ = rounds
    out = tmp_path / "report.pdf"
    assert cli("publish", "--format", "pdf", "-o", str(out)).exit_code == 0
    reader = pypdf.PdfReader(str(out))
    pages = [page.extract_text() for page in reader.pages]
    text = " ".join(" ".join(pages).split())
    for row in _index(cli):
        values = " ".join(_number(row[c]) for c in ("appraisal", "survey", "total", "index_pct"))
        assert re.search(rf"(?<!\d){row['rank']} {re.escape(row['name'])} {values} ", text), row["name"]
    for number, page in enumerate(pages, 1):
        assert f"Trang {number} / {len(pages)}" in page
        assert "TẠM TÍNH" not in page
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in (page["/Resources"].get("/Font") or {}).values()}
    assert fonts == {"/AAAAAA+DejaVuSans", "/AAAAAA+DejaVuSans-Bold"}  # embedded subsets: Vietnamese
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out, ARTIFACTS / "report.pdf")
    _first_page_png(out, ARTIFACTS / "report-pdf-page1.png")
    english = tmp_path / "report-en.pdf"
    assert cli("publish", "--plan", OLD, "--format", "pdf", "--lang", "en", "-o", str(english)).exit_code == 0
    first = pypdf.PdfReader(str(english)).pages[0].extract_text()
    assert "Ranking" in first and "Page 1 /" in first and "2020" in first
    _first_page_png(english, ARTIFACTS / "report-en-2020-pdf-page1.png")


def test_xlsx_has_the_tables_as_numbers(rounds, tmp_path: Path):
    cli, _, _ = rounds
    out = tmp_path / "report.xlsx"
    assert cli("publish", "--format", "xlsx", "-o", str(out)).exit_code == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "bao-cao"
    sheet = book["xep-hang-department"]
    header = [c.value for c in sheet[2]]
    assert header[:2] == ["Hạng", "Đơn vị"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=3, values_only=True) if r[1]}
    index = {r["name"]: r for r in _index(cli) if r["kind"] == "department"}
    assert set(rows) == set(index)
    for name, row in rows.items():
        assert row[0] == index[name]["rank"] and row[5] == index[name]["index_pct"]  # both two decimals
    assert sheet["F3"].number_format == "0.00" and sheet.print_title_rows == "$2:$2"
    assert "&P" in sheet.oddFooter.right.text


def test_preliminary_on_every_page_and_every_export(cli, cli_env, tmp_path: Path):
    """A round whose appraisal is not finalised: every page, sheet and export says so."""
    import docx
    import pypdf

    from survey_service.core.database import Database
    from survey_service.demo.operations import run_demo
    from survey_service.plans.queries import get_plan_row, plan_of

    if not cli_env["SURVEY_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("one backend is enough for the documents")
    assert cli("init").exit_code == 0
    database = Database(cli_env["SURVEY_DATABASE_URL"])
    try:
        with database.session() as session:
            row = get_plan_row(session)
            run_demo(session, row, plan_of(row), seed=7, lock=False)
    finally:
        database.dispose()
    for fmt in ("pdf", "docx", "xlsx"):
        result = cli("publish", "--format", fmt, "-o", str(tmp_path / f"r.{fmt}"))
        assert result.exit_code == 0 and "TẠM TÍNH" in result.stderr, result.output
    pages = [p.extract_text() for p in pypdf.PdfReader(str(tmp_path / "r.pdf")).pages]
    assert len(pages) > 2 and all("TẠM TÍNH" in page for page in pages)
    assert "TẠM TÍNH" in docx.Document(str(tmp_path / "r.docx")).sections[0].header.paragraphs[0].text
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    for sheet in book.worksheets[1:]:
        assert "TẠM TÍNH" in sheet["A1"].value and "TẠM TÍNH" in sheet.oddHeader.center.text
    exported = cli("--lang", "en", "export", "index", "--format", "json")
    data = json.loads(exported.stdout)
    assert data["preliminary"] is True and all(r["preliminary"] for r in data["index"])
    assert data["ranked"] == 0 and set(data["not_ranked"]) == {"appraisal_preliminary"}
    assert "PRELIMINARY" in exported.stderr and "appraisal_preliminary" in exported.stderr
    csv_text = cli("export", "scores", "--format", "csv").stdout
    assert csv_text.splitlines()[0].endswith(",preliminary") and csv_text.splitlines()[1].endswith(",True")


def test_a_fresh_database_ranks_nobody_and_publishes_nothing(cli, cli_env, tmp_path: Path):
    assert cli("init").exit_code == 0
    exported = cli("--lang", "en", "export", "index", "--format", "json")
    assert exported.exit_code == 0
    data = json.loads(exported.stdout)
    assert data["ranked"] == 0 and data["not_ranked"] == {"no_survey": 28}
    assert all(r["rank"] is None and r["grade"] is None and r["status"] == "no_survey" for r in data["index"])
    assert "No unit is ranked yet" in exported.stderr and "no valid survey answer" in exported.stderr
    for fmt in ("docx", "pdf", "xlsx"):
        target = tmp_path / f"r.{fmt}"
        refused = cli("--lang", "en", "publish", "--format", fmt, "-o", str(target))
        assert refused.exit_code == 2 and "nothing to publish yet" in refused.stderr
        assert not target.exists()


def test_the_report_page_downloads_and_says_when_there_is_nothing(loaded, db, rounds):
    """On the loaded plan (no answers yet): nothing to publish; on the two rounds: downloads."""
    from survey_service import create_app, get_db
    from survey_service.accounts.operations import add_user

    def signed_in(app, database):
        name = f"phan-tich-{uuid.uuid4().hex[:8]}"  # the rounds' database is shared by both runs
        with database.session() as session:
            add_user(session, name, "analyst", "mat-khau-dai-du")
        client = app.test_client()
        page = client.get("/staff/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        client.post("/staff/login", data={"csrf_token": token, "name": name, "password": "mat-khau-dai-du"})
        return client

    client = signed_in(loaded, db)
    page = client.get("/staff/report?lang=en").get_data(as_text=True)
    assert 'data-report="nothing"' in page and "Nothing to publish yet" in page and "publish.pdf" not in page
    nothing = client.get("/staff/report/publish.pdf")
    assert nothing.status_code == 200 and nothing.mimetype == "text/html"
    assert "Nothing to publish yet" in nothing.get_data(as_text=True)

    _, url, _ = rounds
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "BASE_URL": "http://survey.test",
                      "TESTING": True})
    try:
        client = signed_in(app, get_db(app))
        page = client.get("/staff/report").get_data(as_text=True)
        assert "publish.docx" in page and 'data-report="preliminary"' not in page
        for fmt, magic in (("docx", b"PK"), ("pdf", b"%PDF"), ("xlsx", b"PK")):
            response = client.get(f"/staff/report/publish.{fmt}?plan={OLD}")
            assert response.status_code == 200 and response.data.startswith(magic)
            assert f"chi-so-cchc-{OLD}.{fmt}" in response.headers["Content-Disposition"]
        import docx

        document = docx.Document(io.BytesIO(client.get("/staff/report/publish.docx").data))
        assert NEW in document.sections[0].footer.paragraphs[0].text
        assert NEW_UNIT in _index_codes(client)
        assert any("Sở Mới thành lập" in c.text for t in document.tables for c in t.columns[1].cells)
    finally:
        get_db(app).dispose()
