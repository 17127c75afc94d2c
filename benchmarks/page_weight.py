"""Page weight of the respondent form: bytes on the wire and requests, page by page.

Run from the repository root::

    .venv/bin/python benchmarks/page_weight.py              # summary, worst page, verdict
    .venv/bin/python benchmarks/page_weight.py --markdown   # the summary as a Markdown table
    .venv/bin/python benchmarks/page_weight.py -o pages.csv # also every page as CSV
    .venv/bin/python benchmarks/page_weight.py --lang en    # the English pages instead

Respondents open their one-time link on a phone over weak 2G/3G links.  The target is
the first TCP round trip: every page at or under 14 KB (14,336 bytes) gzip-compressed,
one request (the document itself, nothing else to fetch) and no script at all.  The
exit status is 0 when every page meets it and 1 when one does not, so the script can be
used as a check.

What it does: creates the app on a throwaway SQLite database in a temporary folder
(migrated, built-in plan loaded), and for every built-in form takes the first slot of
one group using it (for CT-01 both I.1 and I.2, each rating the 20 departments), then
walks the whole form through the app with the Flask test client (no network), the way
a browser without scripts does (``tests/survey_service/formwalk.py``): the introduction,
every page of questions, one page per rated unit, the review page, the completion page
after sending, and the 410 page the spent link shows afterwards.  On the heaviest page
(the most questions; among unit pages, the unit with the longest name) it also sends the
page empty once, to measure the validation-error re-render (422), before answering it
(the first option of every question, as the test suite's walker does).

Each page is requested three times, with ``Accept-Encoding: identity``, ``gzip`` and
``br``; the byte counts are the bodies exactly as the app sends them (``Content-Length``
checked against the body), with the ``Content-Encoding`` the app actually chose.  A page
the app sends uncompressed although the client accepts gzip counts with its raw size
(its encoding column says ``identity``; ``gzip_possible_bytes`` in the CSV tells what
gzip would have made of it).  The compressed bodies are decompressed and checked against
the raw one.  Sizes move by a few bytes from run to run: each page carries a signed form
token holding the time.

The summary has one line per walk; "Pages" is the form's pages + the extra responses
measured (validation-error re-render, completion page, spent link); the median is over
all of them.  The whole-form total counts every form page once plus the completion page.

Requests per page = 1 (the document) + the distinct subresources the HTML references,
found by parsing it (``html.parser``), not by guessing: ``<script src>``, ``<link rel>``
of a fetched kind (stylesheet, preload, modulepreload, icon, apple-touch-icon, manifest,
prefetch...), ``<img src/srcset>`` and other embedded media (``<source>``, ``<video>``,
``<audio>``, ``<iframe>``, ``<embed>``, ``<object>``, ``<input type=image>``, SVG
``<image>``/``<use>``), ``url(...)`` and ``@import`` in ``<style>`` blocks and
``style=""`` attributes (``data:`` URLs and ``url(#id)`` excluded), and any absolute
``http(s)://`` or ``//`` reference to another origin in any attribute.  Every
``<script>`` element is counted too, inline or not.

Not counted (browsers' own behaviour, not the HTML's): the ``/favicon.ico`` a browser
may ask for when the page names no icon, and the 303 redirect between a page's POST and
the next page's GET (its bytes are printed beside the whole-form total).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import re
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, field, fields
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import brotli

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the app's packages live at the root
    sys.path.insert(0, str(ROOT))

#: The target: a page fits the first round trip (TCP initial window of 10 segments).
BUDGET_BYTES = 14 * 1024
#: Which group's first slot stands for each built-in form (CT-01 twice: both its groups).
WALKS = [("CT-01", "I.1"), ("CT-01", "I.2"), ("CT-02", "I.3"), ("CT-03", "I.4"),
         ("CH-01", "II.1"), ("CH-02", "II.2"), ("CH-03", "II.3")]
#: The form whose whole download is printed for context.
TOTAL_FORM = "CT-01"
BASE_URL = "http://survey.test"
#: flask-compress's default ``COMPRESS_LEVEL``, which the app keeps.
GZIP_LEVEL = 6
#: The origin the Flask test client requests from.
CLIENT_ORIGIN = "http://localhost"

INTRO, QUESTIONS, UNIT, REVIEW, DONE, SPENT, ERROR = (
    "intro", "questions", "unit", "review", "done", "spent", "error")


# -- what a page references -------------------------------------------------------

#: ``<link rel>`` values that make the browser fetch something.
FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "prerender", "icon",
                 "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon",
                 "manifest", "import"}
#: Elements and the attributes through which they embed a resource.
EMBED_ATTRS = {
    "img": ("src", "srcset"), "source": ("src", "srcset"), "video": ("src", "poster"),
    "audio": ("src",), "track": ("src",), "iframe": ("src",), "frame": ("src",),
    "embed": ("src",), "object": ("data",), "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"), "script": ("src",),
}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?(['"]?)([^'")\s;]+)\1""", re.IGNORECASE)
ABSOLUTE = re.compile(r"""(?:https?:)?//[^\s'"()<>,]+""", re.IGNORECASE)


def _fetched(url: str) -> bool:
    """Whether a reference costs a request (``data:``, fragments and blanks do not)."""
    url = url.strip()
    return bool(url) and not url.startswith("#") and not url.lower().startswith(
        ("data:", "about:", "javascript:", "mailto:", "tel:"))


def _srcset_urls(value: str) -> list[str]:
    """The first candidate of a ``srcset`` (a browser fetches one of them)."""
    first = value.split(",")[0].strip().split()
    return first[:1]


class PageScanner(HTMLParser):
    """Collects the subresources, other-origin references and scripts of one page."""

    def __init__(self, own_origins: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.own_origins = own_origins
        self.resources: dict[str, str] = {}  # url -> why (first reason seen)
        self.scripts = 0
        self.inline_handlers = 0
        self._in_style = False

    def _add(self, url: str, why: str) -> None:
        if _fetched(url):
            self.resources.setdefault(url.strip(), why)

    def _scan_css(self, css: str, where: str) -> None:
        for match in CSS_IMPORT.finditer(css):
            self._add(match.group(2), f"@import in {where}")
        for match in CSS_URL.finditer(css):
            self._add(match.group(2), f"url() in {where}")
        self._scan_absolute(css, where)

    def _scan_absolute(self, text: str, where: str) -> None:
        for match in ABSOLUTE.finditer(text):
            url = match.group(0)
            parts = urlsplit(url if not url.startswith("//") else "http:" + url)
            if f"{parts.scheme}://{parts.netloc}".lower() not in self.own_origins:
                self._add(url, f"other origin in {where}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            self.scripts += 1
        if tag == "style":
            self._in_style = True
        for name in EMBED_ATTRS.get(tag, ()):
            if name == "src" and a.get("srcset"):
                continue  # the browser fetches one of src and srcset: the srcset one
            if name in a:
                urls = _srcset_urls(a[name]) if name == "srcset" else [a[name]]
                for url in urls:
                    self._add(url, f"<{tag} {name}>")
        if tag == "input" and a.get("type", "").lower() == "image" and "src" in a:
            self._add(a["src"], "<input type=image>")
        if tag == "link" and "href" in a:
            rels = set(a.get("rel", "").lower().split())
            if rels & FETCHING_RELS:
                self._add(a["href"], f"<link rel={a.get('rel')}>")
        for name, value in a.items():
            if name.startswith("on"):
                self.inline_handlers += 1
            if name == "style":
                self._scan_css(value, f"<{tag} style>")
            elif value:
                self._scan_absolute(value, f"<{tag} {name}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._scan_css(data, "<style>")


def scan(html: str) -> PageScanner:
    scanner = PageScanner({CLIENT_ORIGIN, BASE_URL})
    scanner.feed(html)
    scanner.close()
    return scanner


# -- measuring what the app sends ---------------------------------------------------

@dataclass
class PageRow:
    """One page of one walk, as the CSV and the tables show it."""

    form: str
    group: str
    page: int  # 1-based page number of the form (0: not a form page: done, spent)
    kind: str
    of_kind: str  # for an error re-render, the kind of page re-rendered
    method: str
    status: int
    raw_bytes: int
    gzip_bytes: int
    gzip_encoding: str
    br_bytes: int
    br_encoding: str
    gzip_possible_bytes: int  # the raw body gzipped as the app gzips (for pages sent uncompressed)
    header_bytes: int  # the app's own response headers (gzip response), without Date/Server
    requests: int
    scripts: int
    inline_handlers: int
    subresources: str = ""
    walk: str = field(default="", repr=False)


_FORM_TOKEN = re.compile(r'(name="ft" value=")[^"]*(")')


def _normalised(body: bytes) -> bytes:
    """A body with its signed form token (it carries the time) blanked."""
    return _FORM_TOKEN.sub(r"\1\2", body.decode("utf-8")).encode("utf-8")


def _header_bytes(response) -> int:  # type: ignore[no-untyped-def]
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
    return len(head.encode("latin-1"))


def _body(response, asked: str) -> tuple[int, str, bytes]:  # type: ignore[no-untyped-def]
    """(bytes sent, Content-Encoding sent, decoded body) of a response."""
    data = response.get_data()
    length = response.headers.get("Content-Length")
    if length is not None and int(length) != len(data):
        raise AssertionError(f"Content-Length {length} but {len(data)} bytes sent")
    encoding = response.headers.get("Content-Encoding", "identity")
    if encoding not in ("identity", asked):
        raise AssertionError(f"asked for {asked}, got Content-Encoding {encoding}")
    decoded = {"gzip": gzip.decompress, "br": brotli.decompress}.get(encoding, bytes)(data)
    return len(data), encoding, decoded


def measure(request, walk: str, form: str, group: str, page: int, kind: str,
            of_kind: str = "", method: str = "GET") -> tuple[PageRow, str]:  # type: ignore[no-untyped-def]
    """Send ``request(accept_encoding)`` three times; the row and the page's HTML."""
    plain = request("identity")
    raw_len, raw_enc, raw = _body(plain, "identity")
    assert raw_enc == "identity", raw_enc
    sizes: dict[str, tuple[int, str]] = {}
    header_bytes = 0
    for asked in ("gzip", "br"):
        response = request(asked)
        if response.status_code != plain.status_code:
            raise AssertionError(f"{kind} page: {plain.status_code} then {response.status_code}")
        sent, encoding, decoded = _body(response, asked)
        if _normalised(decoded) != _normalised(raw):
            raise AssertionError(f"{kind} page: the {asked} body differs from the plain one")
        sizes[asked] = (sent, encoding)
        if asked == "gzip":
            header_bytes = _header_bytes(response)
    html = raw.decode("utf-8")
    scanner = scan(html)
    row = PageRow(
        form=form, group=group, page=page, kind=kind, of_kind=of_kind, method=method,
        status=plain.status_code, raw_bytes=raw_len,
        gzip_bytes=sizes["gzip"][0], gzip_encoding=sizes["gzip"][1],
        br_bytes=sizes["br"][0], br_encoding=sizes["br"][1],
        gzip_possible_bytes=len(gzip.compress(raw, GZIP_LEVEL)), header_bytes=header_bytes,
        requests=1 + len(scanner.resources), scripts=scanner.scripts,
        inline_handlers=scanner.inline_handlers,
        subresources="; ".join(f"{u} ({why})" for u, why in scanner.resources.items()),
        walk=walk)
    return row, html


# -- walking the forms ----------------------------------------------------------------

def _formwalk():  # type: ignore[no-untyped-def]
    """The test suite's form walker (``tests/`` is not a package: load it by path)."""
    name = "_page_weight_formwalk"
    if name not in sys.modules:
        path = ROOT / "tests" / "survey_service" / "formwalk.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


class EncodingClient:
    """A test client sending the ``Accept-Encoding`` of the moment with every request."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.encoding = "identity"

    def _headers(self, kwargs: dict) -> dict:
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Accept-Encoding"] = self.encoding
        return headers

    def get(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self._headers(kwargs), **kwargs)

    def post(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.post(url, headers=self._headers(kwargs), **kwargs)


def _first_token(db, group_code: str) -> str:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from survey_service.core.models import QuotaPlace, RespondentGroup, Slot

    with db.session() as session:
        return session.scalars(
            sa.select(Slot.token).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .where(RespondentGroup.code == group_code).order_by(Slot.id).limit(1)).one()


def _heaviest_page(plan, form_code: str, group_code: str, db, token: str) -> int:  # type: ignore[no-untyped-def]
    """Index of the heaviest page, where the error re-render is measured: the most
    questions, and among those the rated unit with the longest name (it is in every
    question's text)."""
    import sqlalchemy as sa

    import questionnaires
    from survey_service.core.models import QuotaPlace, Slot, Unit
    from survey_service.respondent.pages import RatedUnit, build_pages

    with db.session() as session:
        unit = session.scalar(
            sa.select(Unit.code).join(QuotaPlace, QuotaPlace.unit_id == Unit.id)
            .join(Slot, Slot.place_id == QuotaPlace.id).where(Slot.token == token))
    units = [RatedUnit(u.code, u.name) for u in plan.rated_units(group_code, unit)]
    pages = build_pages(questionnaires.load_builtin(form_code), units)
    weights = [(len(p.questions()), len(p.unit.name.encode()) if p.unit else 0) for p in pages]
    return weights.index(max(weights))


def _kind(parsed, unknown_field: str) -> str:  # type: ignore[no-untyped-def]
    if "send" in parsed.buttons:
        return REVIEW
    if unknown_field in parsed.checkboxes:
        return UNIT
    if parsed.hidden.get("page") == "0":
        return INTRO
    return QUESTIONS


def walk_form(app, db, plan, form_code: str, group_code: str,  # type: ignore[no-untyped-def]
              lang: str = "vi") -> tuple[list[PageRow], list[int]]:
    """Every page of one form, walked from the first slot of ``group_code``, and the
    bytes of each 303 redirect between pages (gzip accepted)."""
    from survey_service.respondent.pages import UNKNOWN_UNIT_FIELD

    formwalk = _formwalk()
    token = _first_token(db, group_code)
    client = EncodingClient(app.test_client())
    walk = formwalk.Walk(client, token)
    error_at = _heaviest_page(plan, form_code, group_code, db, token)
    name = f"{form_code} ({group_code})"
    rows: list[PageRow] = []
    redirects: list[int] = []

    def with_encoding(send):  # type: ignore[no-untyped-def]
        def request(encoding: str):  # type: ignore[no-untyped-def]
            client.encoding = encoding
            return send()
        return request

    # ?lang= is remembered in the (test) client's session cookie for the next requests.
    url, expected = (walk.url + "?lang=en" if lang == "en" else walk.url), 0
    for _ in range(200):
        row, html = measure(with_encoding(lambda url=url: client.get(url)),
                            name, form_code, group_code, 0, "")
        parsed = formwalk.parse(html)
        if row.status != 200 or not parsed.buttons:
            raise AssertionError(f"{name}: {url} gave {row.status} without a form")
        index = formwalk.page_number(html)
        row.kind, row.page = _kind(parsed, UNKNOWN_UNIT_FIELD), index + 1
        if index != expected:
            raise AssertionError(f"{name}: expected page {expected + 1}, got {index + 1}")
        expected += 1
        rows.append(row)
        if row.kind == REVIEW:
            done, _ = measure(with_encoding(lambda h=html: walk.post(h, action="send")),
                              name, form_code, group_code, 0, DONE, method="POST")
            if done.status != 200:
                raise AssertionError(f"{name}: sending gave {done.status}")
            rows.append(done)
            spent, _ = measure(with_encoding(lambda: client.get(walk.url)),
                               name, form_code, group_code, 0, SPENT)
            if spent.status != 410:
                raise AssertionError(f"{name}: the spent link gave {spent.status}")
            rows.append(spent)
            return rows, redirects
        if index == error_at:
            error, _ = measure(
                with_encoding(lambda h=html: walk.post(h, choose=lambda _n, _o: None)),
                name, form_code, group_code, index + 1, ERROR, of_kind=row.kind, method="POST")
            if error.status != 422:
                raise AssertionError(f"{name}: an empty page {index + 1} gave {error.status}")
            rows.append(error)
        client.encoding = "gzip"
        moved = walk.post(html)
        if moved.status_code != 303:
            raise AssertionError(f"{name}: page {index + 1} answered gave {moved.status_code}")
        redirects.append(_body(moved, "gzip")[0])
        url = moved.headers["Location"]
    raise AssertionError(f"{name}: the form did not end")


def run_all(lang: str = "vi") -> tuple[list[PageRow], dict[str, list[int]]]:
    """Every walk, on a throwaway database: the rows, and each walk's redirect sizes."""
    import sampling
    from survey_service import create_app, get_db
    from survey_service.core import migrate
    from survey_service.plans.operations import sync_plan

    with tempfile.TemporaryDirectory(prefix="page-weight-") as folder:
        app = create_app({
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'survey.db'}",
            "SECRET_KEY": "page-weight",
            "BASE_URL": BASE_URL,
            "TESTING": True,
        })
        app.instance_path = str(Path(folder) / "instance")
        db = get_db(app)
        try:
            migrate.upgrade(db.engine)
            plan = sampling.load_plan()
            with db.session() as session:
                sync_plan(session, plan)
            rows: list[PageRow] = []
            redirects: dict[str, list[int]] = {}
            for form_code, group_code in WALKS:
                mine, redirects[f"{form_code} ({group_code})"] = walk_form(
                    app, db, plan, form_code, group_code, lang)
                rows += mine
            return rows, redirects
        finally:
            db.dispose()


# -- reporting ------------------------------------------------------------------------

SUMMARY_HEADINGS = ["Form (group)", "Pages", "Max gzip B", "Median gzip B", "Max br B",
                    "Max raw B", "Max requests", "Scripts"]


def summary(rows: list[PageRow]) -> list[list[str]]:
    """One line per walk: pages (form pages + error, done, spent), sizes, requests."""
    lines = []
    for walk in dict.fromkeys(r.walk for r in rows):
        mine = [r for r in rows if r.walk == walk]
        form_pages = sum(1 for r in mine if r.kind not in (ERROR, DONE, SPENT))
        lines.append([
            walk, f"{form_pages} + {len(mine) - form_pages}",
            f"{max(r.gzip_bytes for r in mine):,}",
            f"{statistics.median(r.gzip_bytes for r in mine):,.0f}",
            f"{max(r.br_bytes for r in mine):,}", f"{max(r.raw_bytes for r in mine):,}",
            str(max(r.requests for r in mine)), str(sum(r.scripts for r in mine)),
        ])
    return lines


def text_table(headings: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headings)]
    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([fmt(headings), fmt(["-" * w for w in widths]), *map(fmt, lines)])


def markdown_table(headings: list[str], lines: list[list[str]]) -> str:
    rule = ["---"] + ["---:"] * (len(headings) - 1)
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [headings, rule, *lines])


def describe(row: PageRow) -> str:
    where = f"page {row.page} ({row.kind}" + (f" of a {row.of_kind} page" if row.of_kind else "") + ")"
    if row.kind in (DONE, SPENT):
        where = f"{row.kind} page"
    encoding = "" if row.gzip_encoding == "gzip" else (
        f" (sent {row.gzip_encoding}: {row.gzip_possible_bytes:,} B if gzipped)")
    return (f"{row.walk} {where}, HTTP {row.status}: {row.gzip_bytes:,} B gzip{encoding}, "
            f"{row.br_bytes:,} B br, {row.raw_bytes:,} B raw, {row.requests} request(s), "
            f"{row.scripts} script(s)")


def write_csv(rows: list[PageRow], path: Path) -> None:
    names = ["form", "group"] + [f.name for f in fields(PageRow) if f.name not in ("form", "group", "walk")]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=names, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true",
                        help="print the per-form summary as a Markdown table")
    parser.add_argument("--lang", choices=("vi", "en"), default="vi",
                        help="language of the pages (default: vi, what respondents get)")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="write every page's figures to FILE as CSV")
    args = parser.parse_args(argv)

    rows, redirects = run_all(args.lang)
    lines = summary(rows)
    print(f"Respondent pages ({args.lang}), bytes as sent (target: <= {BUDGET_BYTES:,} B gzip, "
          "1 request, no script)")
    print("Pages: form pages + extra responses (validation-error re-render, completion, "
          "spent link)")
    print()
    print(markdown_table(SUMMARY_HEADINGS, lines) if args.markdown
          else text_table(SUMMARY_HEADINGS, lines))
    print()
    worst = max(rows, key=lambda r: (r.gzip_bytes, r.raw_bytes))
    print(f"Worst page: {describe(worst)}")
    for walk in dict.fromkeys(r.walk for r in rows if r.form == TOTAL_FORM):
        mine = [r for r in rows if r.walk == walk and r.kind not in (ERROR, SPENT)]
        print(f"Whole {walk} form (every page once, completion page included): "
              f"{sum(r.gzip_bytes for r in mine):,} B gzip, {sum(r.br_bytes for r in mine):,} B br, "
              f"{sum(r.raw_bytes for r in mine):,} B raw over {len(mine)} pages "
              f"(+ {len(redirects[walk])} redirects between pages, {sum(redirects[walk]):,} B)")
    if args.output:
        write_csv(rows, args.output)
        print(f"Every page: {args.output} ({len(rows)} rows)")

    too_big = [r for r in rows if r.gzip_bytes > BUDGET_BYTES]
    too_many = [r for r in rows if r.requests != 1]
    scripted = [r for r in rows if r.scripts]
    uncompressed = [r for r in rows if r.gzip_encoding != "gzip" or r.br_encoding != "br"]
    ok = not (too_big or too_many or scripted)
    print()
    if uncompressed:
        print(f"Note: {len(uncompressed)} response(s) sent uncompressed although the client "
              "accepts gzip/br: " + ", ".join(sorted({f"{r.kind} (HTTP {r.status})"
                                                     for r in uncompressed})))
    for label, bad in (("over the byte budget", too_big), ("needing more than 1 request", too_many),
                       ("with a script", scripted)):
        for row in bad[:5]:
            print(f"  {label}: {describe(row)}")
        if len(bad) > 5:
            print(f"  ... and {len(bad) - 5} more {label}")
    print(f"Verdict: {'PASS' if ok else 'FAIL'}: {len(rows)} pages; "
          f"{len(rows) - len(too_big)} at or under {BUDGET_BYTES:,} B gzip, "
          f"{len(rows) - len(too_many)} with exactly 1 request, "
          f"{len(rows) - len(scripted)} without a script")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
