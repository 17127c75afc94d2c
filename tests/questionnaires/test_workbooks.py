"""The guard of uploaded workbooks: damaged files, other formats, encrypted files and zip
bombs are refused with a clear problem, quickly and in little memory; nothing the
libraries raise or warn escapes.  Every hostile file is built here, in memory."""

from __future__ import annotations

import doctest
import io
import random
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import openpyxl
import pytest

import questionnaires.workbooks
from questionnaires import DataFileError, from_xlsform
from questionnaires.messages import FILE_PROBLEMS
from questionnaires.workbooks import (
    CheckedWorkbook,
    WorkbookLimits,
    check_workbook,
    open_workbook,
    read_sheets,
)

MB = 1024 * 1024
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Generous bounds for the tests; the benchmark's targets are 1 s and 100 MB.
SECONDS, PEAK = 5.0, 100 * MB

Writer = Callable[[IO[bytes]], None]


# -- building workbooks ----------------------------------------------------------------

def xlsform() -> bytes:
    """A small valid XLSForm: a note, one text question, its settings."""
    book = openpyxl.Workbook()
    sheets = {
        "survey": [["type", "name", "label::Vietnamese (vi)", "label::English (en)"],
                   ["begin_group", "g", "Nhóm", "Group"],
                   ["text", "q1", "Ý kiến khác", "Other comments"],
                   ["end_group"]],
        "choices": [["list_name", "name", "label::Vietnamese (vi)", "label::English (en)"]],
        "settings": [["form_title", "form_id", "version", "default_language", "par_title_en"],
                     ["Phiếu thử", "thu", "1", "Vietnamese (vi)", "Test form"]],
    }
    for index, (name, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet(name)
        sheet.title = name
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def edit(data: bytes, parts: Mapping[str, bytes | Writer | None], level: int = 6) -> bytes:
    """``data`` with parts replaced (bytes, or a writer streaming them), added or removed
    (None); written with zipfile, so a writer never holds a large part in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        names = source.namelist()
        for name in names + [n for n in parts if n not in names]:
            if name not in parts:
                target.writestr(source.getinfo(name), source.read(name))
                continue
            new = parts[name]
            if callable(new):
                with target.open(name, "w") as stream:
                    new(stream)
            elif new is not None:
                target.writestr(name, new)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def sheet_xml(body: bytes, head: bytes = b"") -> bytes:
    return b"<worksheet " + MAIN + b">" + head + b"<sheetData>" + body + b"</sheetData></worksheet>"


def with_shared_strings(data: bytes, sheet: bytes, write_strings: Writer, level: int = 6) -> bytes:
    """``data`` whose first sheet is ``sheet`` and whose shared strings are written by
    ``write_strings`` (the content type is declared, as Excel does)."""
    types = part(data, "[Content_Types].xml").replace(b"</Types>", STRINGS_TYPE + b"</Types>")
    return edit(data, {"[Content_Types].xml": types, SHEET: sheet, STRINGS: write_strings},
                level)


def survey_with_shared_strings(long_label: int, unused: int = 0) -> tuple[bytes, Writer]:
    """The survey sheet of :func:`xlsform` with its texts as shared strings, the label of
    q1 (cell C3) being ``long_label`` characters long (written in chunks), and
    ``unused`` more strings."""
    texts = [b"type", b"name", b"label::Vietnamese (vi)", b"label::English (en)",
             b"begin_group", b"g", b"Nh\xc3\xb3m", b"Group", b"text", b"q1", None,
             b"Other comments", b"end_group", *(b"unused %d" % i for i in range(unused))]
    cells = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12]]
    rows = b"".join(
        b'<row r="%d">' % (r + 1) + b"".join(
            b'<c r="%s%d" t="s"><v>%d</v></c>' % (b"ABCD"[c:c + 1], r + 1, index)
            for c, index in enumerate(row)) + b"</row>"
        for r, row in enumerate(cells))

    def write(stream: IO[bytes]) -> None:
        stream.write(b'<?xml version="1.0" encoding="UTF-8"?><sst ' + MAIN + b">")
        for text in texts:
            stream.write(b"<si><t>")
            if text is None:
                chunk = b"x" * MB
                for _ in range(long_label // MB):
                    stream.write(chunk)
                stream.write(b"x" * (long_label % MB))
            else:
                stream.write(text)
            stream.write(b"</t></si>")
        stream.write(b"</sst>")

    return sheet_xml(rows, b'<dimension ref="A1:D4"/>'), write


def zip_of(parts: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


# -- checking refusals -----------------------------------------------------------------

def refusal(read: Callable[[], object]) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        read()
    error = info.value
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert problem.messages["vi"] and problem.messages["en"]
    assert problem.messages["vi"] != problem.messages["en"]
    assert "{" not in problem.messages["vi"] + problem.messages["en"]
    return error


def quick_refusal(read: Callable[[], object]) -> DataFileError:
    """The refusal, timed (first run) and with its memory peak measured (second run)."""
    start = time.perf_counter()
    error = refusal(read)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    try:
        refusal(read)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < SECONDS, f"refused in {elapsed:.2f} s"
    assert peak < PEAK, f"{peak / MB:.0f} MB at the peak"
    return error


def problem_of(error: DataFileError) -> tuple[str, str]:
    return error.problems[0].code, error.problems[0].place


def every_reader(data: bytes, *, checked: bool = True, **options: Any) -> list[DataFileError]:
    """The refusal of the same file by every way in: the guard (unless the problem is
    only found when openpyxl loads the file), both loaders, the XLSForm reader."""
    readers: list[Callable[[], object]] = [
        lambda: read_sheets(data, what="tệp.xlsx", **options),
        lambda: open_workbook(data, what="tệp.xlsx", **options),
        lambda: from_xlsform(data, **options)]
    if checked:
        readers.insert(0, lambda: check_workbook(data, what="tệp.xlsx", **options))
    return [refusal(read) for read in readers]


# -- what still works ------------------------------------------------------------------

def test_a_valid_workbook_is_read():
    data = xlsform()
    checked = check_workbook(data, what="form.xlsx")
    assert isinstance(checked, CheckedWorkbook) and checked.data == data
    assert check_workbook(checked, what="other") is checked
    sheets = read_sheets(checked, what="form.xlsx")
    assert [s.title for s in sheets] == ["survey", "choices", "settings"]
    assert sheets[0].value(3, 3) == "Ý kiến khác" and sheets[0].max_row == 4
    book = open_workbook(data, what="form.xlsx")
    assert book["survey"]["B3"].value == "q1"
    assert from_xlsform(data).code == "thu"


def test_formulas_are_read_as_texts_or_their_results():
    book = openpyxl.Workbook()
    book.active.append([1, 2, "=A1+B1"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_sheets(buffer.getvalue(), what="x", data_only=False)[0].rows == ((1, 2, "=A1+B1"),)
    assert read_sheets(buffer.getvalue(), what="x")[0].rows == ((1, 2, None),)


def test_shared_strings_are_read():
    sheet, strings = survey_with_shared_strings(10)
    sheets = read_sheets(with_shared_strings(xlsform(), sheet, strings), what="x")
    assert sheets[0].value(3, 3) == "x" * 10 and sheets[0].value(2, 3) == "Nhóm"


def test_the_examples_of_the_module_run():
    result = doctest.testmod(questionnaires.workbooks, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# -- damaged files ---------------------------------------------------------------------

def test_a_truncated_sheet_is_refused_as_damaged():
    data = xlsform()
    survey = part(data, SHEET)
    broken = edit(data, {SHEET: survey[: len(survey) // 2]})
    for error in every_reader(broken):
        assert problem_of(error) == ("workbook_damaged", "survey")
        assert "damaged or is not an Excel workbook (.xlsx)" in error.problems[0].message("en")
        assert "bị hỏng" in error.problems[0].message("vi")
        assert "line 1" in error.problems[0].message("en")


def test_a_truncated_file_is_refused_as_damaged():
    data = xlsform()
    for cut in (len(data) // 2, len(data) - 30, 100):
        (error, *_) = every_reader(data[:cut])
        assert error.codes == ["workbook_damaged"]


@pytest.mark.parametrize("removed", ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "*"])
def test_a_part_openpyxl_needs_is_missing(removed):
    data = zip_of({"[Content_Types].xml": b"<Types/>"}) if removed == "*" else \
        edit(xlsform(), {removed: None})
    errors = every_reader(data, checked=False)  # found when openpyxl loads the file
    assert [(p.code, p.place) for e in errors for p in e.problems] == [
        ("workbook_damaged", "(workbook)")] * 3


def test_a_broken_part_inside_the_zip_is_refused(tmp_path: Path):
    data = bytearray(xlsform())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start:start + 8] = b"\xff" * 8  # compressed bytes that are no deflate stream
    error, *_ = every_reader(bytes(data))
    assert problem_of(error) == ("workbook_damaged", "survey")


@pytest.mark.parametrize("content, format_", [
    (b"type;name;label\ntext;q1;Y kien\n", None),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), None),
    (b"", None),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML (.htm, .html)"),
    (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook '
     b'xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
     "XML Spreadsheet 2003 (.xml)"),
    (b"%PDF-1.7\n", "PDF (.pdf)"),
])
def test_a_file_that_is_no_zip_archive(content, format_):
    for error in every_reader(content):
        if format_ is None:
            assert problem_of(error) == ("workbook_damaged", "(workbook)")
            assert "not a zip archive" in error.problems[0].message("en")
        else:
            assert error.codes == ["workbook_wrong_format"]
            assert format_ in error.problems[0].message("en")


@pytest.mark.parametrize("parts, code, format_", [
    ({"hello.txt": b"xin chao"}, "workbook_damaged", None),
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<a/>"},
     "workbook_wrong_format", "OpenDocument (.ods)"),
    ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"},
     "workbook_wrong_format", "Word (.docx)"),
    ({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01"},
     "workbook_wrong_format", "Excel Binary Workbook (.xlsb)"),
])
def test_a_zip_archive_that_is_no_workbook(parts, code, format_):
    for error in every_reader(zip_of(parts)):
        assert error.codes == [code]
        if format_:
            assert format_ in error.problems[0].message("vi")
            assert ".xlsx" in error.problems[0].message("vi")


def test_an_old_xls_workbook_is_to_be_saved_as_xlsx():
    # An OLE2 compound file (what Excel 97-2003 writes), its directory naming "Workbook".
    data = OLE2 + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000)
    for error in every_reader(data):
        assert problem_of(error) == ("workbook_wrong_format", "(workbook)")
        for lang in ("vi", "en"):
            message = error.problems[0].message(lang)
            assert "Excel 97-2003 (.xls)" in message and "Excel Workbook (.xlsx)" in message


def test_an_encrypted_workbook():
    # Excel keeps a password-protected .xlsx in an OLE2 file, as a stream EncryptedPackage.
    data = OLE2 + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(50) + \
        "EncryptedPackage".encode("utf-16-le") + bytes(1000)
    for error in every_reader(data):
        assert problem_of(error) == ("workbook_encrypted", "(workbook)")
        assert "password" in error.problems[0].message("en")
        assert "mật khẩu" in error.problems[0].message("vi")


def test_a_zip_archive_with_encrypted_parts():
    data = bytearray(xlsform())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + flag_offset] |= 0x01  # the "encrypted" bit of the part
            at = data.find(signature, at + 4)
    for error in every_reader(bytes(data)):
        assert error.codes == ["workbook_encrypted"]


def test_a_missing_file_and_a_folder(tmp_path: Path):
    missing = tmp_path / "khong-co.xlsx"
    for error in every_reader(missing):  # type: ignore[arg-type]
        assert problem_of(error) == ("file_missing", str(missing))
    assert refusal(lambda: read_sheets(tmp_path, what="x")).codes == ["workbook_unreadable"]


def test_a_file_opened_as_text(tmp_path: Path):
    path = tmp_path / "form.xlsx"
    path.write_bytes(xlsform())
    with open(path, encoding="latin-1") as text:
        assert refusal(lambda: read_sheets(text, what="x")).codes == ["workbook_unreadable"]


# -- sizes -----------------------------------------------------------------------------

def test_a_file_too_large_is_refused_without_reading_it(tmp_path: Path):
    path = tmp_path / "lon.xlsx"
    with open(path, "wb") as handle:
        handle.truncate(21 * MB)  # sparse: nothing to read, had it been read
    error = quick_refusal(lambda: from_xlsform(path))
    assert problem_of(error) == ("workbook_too_large", "(workbook)")
    assert error.problems[0].message("en") == "the file is 21 MB, over the limit of 20 MB"
    assert error.problems[0].message("vi") == "tệp có dung lượng 21 MB, vượt quá giới hạn 20 MB"
    with open(path, "rb") as stream:
        assert refusal(lambda: read_sheets(stream, what="x")).codes == ["workbook_too_large"]
        assert stream.tell() == 0


def test_the_file_size_limit_is_configurable():
    data = xlsform()
    limits = WorkbookLimits(file_bytes=len(data) - 1)
    for error in every_reader(data, limits=limits):
        assert error.codes == ["workbook_too_large"]

    class Upload(io.RawIOBase):
        """A stream that cannot seek, as a network upload may be."""

        def __init__(self, content: bytes):
            self.inner = io.BytesIO(content)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[:len(chunk)] = chunk
            return len(chunk)

    error = refusal(lambda: read_sheets(io.BufferedReader(Upload(data)), what="x",
                                        limits=limits))
    assert "more than" in error.problems[0].message("en")
    assert read_sheets(io.BufferedReader(Upload(data)), what="x")[0].title == "survey"


def test_a_label_of_400_mb():
    """The tester's XLSForm: 400 KB, one label of 400 MB in the shared strings."""
    sheet, strings = survey_with_shared_strings(400 * MB)
    data = with_shared_strings(xlsform(), sheet, strings, level=1)
    assert len(data) < 2 * MB
    error = quick_refusal(lambda: from_xlsform(data))
    assert problem_of(error) == ("workbook_part_too_large", STRINGS)
    assert error.problems[0].message("en") == \
        "this part expands to 400 MB, over the limit of 50 MB"


@pytest.mark.parametrize("length", [32_768, 900_000])
def test_a_label_longer_than_excel_allows(length):
    sheet, strings = survey_with_shared_strings(length)
    data = with_shared_strings(xlsform(), sheet, strings)
    error = quick_refusal(lambda: from_xlsform(data))
    assert problem_of(error) == ("workbook_cell_too_long", "survey!C3")
    assert "32,767" in error.problems[0].message("en")
    assert "32.767" in error.problems[0].message("vi")
    sheet, strings = survey_with_shared_strings(32_767)
    assert from_xlsform(with_shared_strings(xlsform(), sheet, strings)).code == "thu"


def test_an_inline_text_longer_than_excel_allows():
    data = xlsform()
    survey = part(data, SHEET).replace(b"Other comments", b"y" * 40_000)
    error = quick_refusal(lambda: from_xlsform(edit(data, {SHEET: survey})))
    assert problem_of(error) == ("workbook_cell_too_long", "survey!D3")


def test_the_length_limit_is_configurable():
    for error in every_reader(xlsform(), limits=WorkbookLimits(cell_chars=5)):
        assert problem_of(error)[0] == "workbook_cell_too_long"
        assert problem_of(error)[1].startswith("survey!")


def three_million_cells(dimension: bool) -> Writer:
    def write(stream: IO[bytes]) -> None:
        stream.write(b"<worksheet " + MAIN + b">")
        if dimension:
            stream.write(b'<dimension ref="A1:CV30000"/>')
        stream.write(b"<sheetData>")
        rows = (b"<row>" + b"<c><v>7</v></c>" * 100 + b"</row>") * 1000
        for _ in range(30):
            stream.write(rows)
        stream.write(b"</sheetData></worksheet>")
    return write


def test_three_million_cells():
    """The tester's bomb: a workbook of 3 million cells."""
    for dimension in (True, False):
        data = edit(xlsform(), {SHEET: three_million_cells(dimension)})
        error = quick_refusal(lambda data=data: from_xlsform(data))
        # So compressible that its compression gives it away first.
        assert problem_of(error) == ("workbook_compression_ratio", "survey")
        assert "zip bomb" in error.problems[0].message("en")
        error = quick_refusal(lambda data=data: read_sheets(data, what="x", limits=WorkbookLimits(
            compression_ratio=10_000)))
        assert problem_of(error) == ("workbook_too_many_cells", "survey")
        assert "200,000" in error.problems[0].message("en")


def test_cells_are_counted_while_streaming():
    """300,000 cells of random numbers: no dimension, ordinary compression."""
    generator = random.Random(5)
    rows = b"".join(b"<row>" + b"".join(b"<c><v>%.6f</v></c>" % generator.random()
                                        for _ in range(10)) + b"</row>" for _ in range(30_000))
    data = edit(xlsform(), {SHEET: sheet_xml(rows)})
    error = quick_refusal(lambda: from_xlsform(data))
    assert problem_of(error) == ("workbook_too_many_cells", "survey")
    assert check_workbook(data, what="x", limits=WorkbookLimits(cells=400_000)).cells == \
        300_000 + 4 + 10


def test_cells_written_with_a_prefix_are_counted_too():
    """Cells whose tags carry a namespace prefix are counted by the XML parser."""
    rows = b"".join(b"<x:row>" + b"<x:c><x:v>1</x:v></x:c>" * 10 + b"</x:row>"
                    for _ in range(2_001))
    content = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
               b'main"><x:sheetData>' + rows + b"</x:sheetData></x:worksheet>")
    data = edit(xlsform(), {SHEET: content})
    limits = WorkbookLimits(cells=20_000, compression_ratio=1_000_000)
    error = refusal(lambda: read_sheets(data, what="x", limits=limits))
    assert problem_of(error) == ("workbook_too_many_cells", "survey")
    assert read_sheets(data, what="x", limits=WorkbookLimits(compression_ratio=1_000_000))[
        0].max_row == 2_001


@pytest.mark.parametrize("body, head, tail", [
    (b'<row r="1"><c r="A1"><v>1</v></c></row>', b'<dimension ref="A1:XFD13"/>', b""),
    (b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>',
     b"", b""),
    (b'<row r="1"><c r="XFD13"><v>1</v></c></row>', b"", b""),
    (b'<row r="1"><c r="A1"><v>1</v></c></row>', b"",
     b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'),
    (b'<row r="1"><c r="A1"><v>1</v></c></row>', b"",
     b'<hyperlinks><hyperlink ref="A2:Z1000000" display="x"/></hyperlinks>'),
    (b'<row r="1">' + b'<c r="A1"><v>1</v></c>' * 200_001 + b"</row>", b"", b""),
    (b"<row/>" * 200_001, b"", b""),
    (b'<row r="1">' + b'<c\nr="A1"><v>1</v></c>' * 200_001 + b"</row>", b"", b""),
])
def test_what_a_reader_would_walk_through_counts_as_cells(body, head, tail):
    content = b"<worksheet " + MAIN + b">" + head + b"<sheetData>" + body + b"</sheetData>" + \
        tail + b"</worksheet>"
    data = edit(xlsform(), {SHEET: content})
    limits = WorkbookLimits(compression_ratio=1_000_000)
    error = refusal(lambda: open_workbook(data, what="x", limits=limits))
    assert problem_of(error) == ("workbook_too_many_cells", "survey")


def test_the_cells_of_every_sheet_add_up():
    data = xlsform()
    cells = check_workbook(data, what="x").cells
    assert cells == 4 * 4 + 1 * 4 + 2 * 5
    error = refusal(lambda: read_sheets(data, what="x", limits=WorkbookLimits(cells=cells - 1)))
    assert problem_of(error) == ("workbook_too_many_cells", "settings")
    assert read_sheets(data, what="x", limits=WorkbookLimits(cells=cells))


def test_too_many_shared_strings():
    sheet, strings = survey_with_shared_strings(10, unused=20)
    data = with_shared_strings(xlsform(), sheet, strings)
    cells = 4 * 4 + 1 * 4 + 2 * 5
    assert from_xlsform(data, limits=WorkbookLimits(cells=cells + 3)).code == "thu"
    error = refusal(lambda: from_xlsform(data, limits=WorkbookLimits(cells=cells)))
    assert error.codes == ["workbook_too_many_strings"]


def test_a_part_that_expands_too_much():
    data = edit(xlsform(), {"docProps/custom.xml": lambda stream: [
        stream.write(b" " * MB) for _ in range(60)]})
    error = quick_refusal(lambda: from_xlsform(data))
    assert problem_of(error) == ("workbook_part_too_large", "docProps/custom.xml")
    error = refusal(lambda: from_xlsform(data, limits=WorkbookLimits(part_bytes=100 * MB)))
    assert problem_of(error) == ("workbook_compression_ratio", "docProps/custom.xml")
    limits = WorkbookLimits(part_bytes=100 * MB, compression_ratio=10_000, expanded_bytes=50 * MB)
    error = refusal(lambda: from_xlsform(data, limits=limits))
    assert problem_of(error) == ("workbook_expands_too_much", "(workbook)")
    assert "60 MB" in error.problems[0].message("en")


def test_a_compression_ratio_only_counts_for_large_parts():
    data = edit(xlsform(), {"docProps/custom.xml": b"<a>" + b" " * 900_000 + b"</a>"})
    assert from_xlsform(data).code == "thu"


def test_too_many_parts():
    data = edit(xlsform(), {f"customXml/item{i}.xml": b"<a/>" for i in range(1_000)})
    error = quick_refusal(lambda: from_xlsform(data))
    assert problem_of(error) == ("workbook_too_many_parts", "(workbook)")
    assert "1,000" in error.problems[0].message("en")


def test_too_many_elements_in_the_other_parts():
    error = refusal(lambda: read_sheets(xlsform(), what="x", limits=WorkbookLimits(elements=50)))
    assert error.codes == ["workbook_too_complex"]
    styles = b"<styleSheet " + MAIN + b"><cellXfs>" + b"".join(
        b'<xf numFmtId="%d"/>' % i for i in range(60_000)) + b"</cellXfs></styleSheet>"
    data = edit(xlsform(), {"xl/styles.xml": styles})
    error = refusal(lambda: read_sheets(data, what="x", limits=WorkbookLimits(elements=50_000)))
    assert problem_of(error) == ("workbook_too_complex", "xl/styles.xml")


@pytest.mark.parametrize("name", [SHEET, "docProps/app.xml"])
def test_no_dtd_is_allowed(name):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    content = laughs + (sheet_xml(b'<row><c t="inlineStr"><is><t>&lol2;</t></is></c></row>')
                        if name == SHEET else b"<Properties>&lol2;</Properties>")
    error, *_ = every_reader(edit(xlsform(), {name: content}))
    assert error.codes == ["workbook_damaged"]
    assert "DTD" in error.problems[0].message("en")


@pytest.mark.parametrize("cells", [
    b'<c r="A5" t="s"><v>99</v></c>',  # a shared string that does not exist
    b'<c r="A5"><v>mot</v></c>',  # a number that is none
    b'<c r="A5" t="b"><v>x</v></c>',
    b'<c r="A5" t="d"><v>not a date</v></c>',
])
def test_a_value_openpyxl_cannot_convert(cells):
    data = xlsform()
    survey = part(data, SHEET).replace(b"</sheetData>", b'<row r="5">' + cells + b"</row></sheetData>")
    if b't="s"' in cells:
        sheet, strings = survey_with_shared_strings(10)
        data = with_shared_strings(data, sheet.replace(b"</sheetData>", b'<row r="5">' + cells +
                                                       b"</row></sheetData>"), strings)
    else:
        data = edit(data, {SHEET: survey})
    for error in every_reader(data, checked=False)[::2]:  # read row by row
        assert problem_of(error) == ("workbook_damaged", "(workbook)")


@pytest.mark.parametrize("bad", [b'<c r="1A"><v>1</v></c>', b'<c r="A0x"><v>1</v></c>'])
def test_a_bad_cell_reference(bad):
    data = edit(xlsform(), {SHEET: sheet_xml(b"<row>" + bad + b"</row>")})
    error = refusal(lambda: read_sheets(data, what="x"))
    assert problem_of(error) == ("workbook_damaged", "survey")


@pytest.mark.parametrize("row", [b'<row r="x"/>', b'<row r="0"/>', b'<row r="1.5"/>'])
def test_a_bad_row_number(row):
    data = edit(xlsform(), {SHEET: sheet_xml(row)})
    assert problem_of(refusal(lambda: read_sheets(data, what="x"))) == ("workbook_damaged",
                                                                        "survey")


# -- warnings --------------------------------------------------------------------------

def with_dropped_features(data: bytes) -> bytes:
    """``data`` with what openpyxl warns about: a data validation extension, a header it
    cannot parse, and no default style."""
    extension = (b'<headerFooter><oddHeader>&amp;Z&amp;Q</oddHeader></headerFooter><extLst>'
                 b'<ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                 b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                 b'<x14:dataValidations count="0"/></ext></extLst></worksheet>')
    survey = part(data, SHEET).replace(b"</worksheet>", extension)
    styles = b"<styleSheet " + MAIN + b"/>"
    return edit(data, {SHEET: survey, "xl/styles.xml": styles})


def test_no_library_warning_escapes():
    data = with_dropped_features(xlsform())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        openpyxl.load_workbook(io.BytesIO(data))
    assert any("extension is not supported" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert from_xlsform(data).code == "thu"
        assert read_sheets(data, what="x")[0].title == "survey"
        assert open_workbook(data, what="x")["survey"]["B3"].value == "q1"
    assert caught == []


# -- the limits and the messages -------------------------------------------------------

def test_limits_must_be_positive():
    assert WorkbookLimits().file_bytes == 20 * MB
    assert (WorkbookLimits().cells, WorkbookLimits().cell_chars) == (200_000, 32_767)
    for field in ("file_bytes", "expanded_bytes", "part_bytes", "compression_ratio", "parts",
                  "cells", "cell_chars", "elements"):
        with pytest.raises(ValueError, match=field):
            WorkbookLimits(**{field: 0})
    with pytest.raises(ValueError, match="ratio_from_bytes"):
        WorkbookLimits(ratio_from_bytes=-1)


def test_every_workbook_problem_has_both_languages():
    params = {f"{name}_{lang}": "1" for name in ("size", "limit", "detail")
              for lang in ("vi", "en")} | {"format": "F", "ratio": "2", "limit": "1"}
    codes = [code for code in FILE_PROBLEMS if code.startswith("workbook_")]
    assert len(codes) == 13
    for code in codes:
        vi, en = FILE_PROBLEMS[code]
        assert vi.format(**params) != en.format(**params), code
