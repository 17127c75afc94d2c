"""Browser fixtures: the real app over HTTP, and Debian's Chromium dressed as a phone.

The app (the ``loaded`` fixture of tests/conftest.py, so on SQLite and on PostgreSQL)
is served by werkzeug on 127.0.0.1 on a free port, in a background thread, for the
length of one test.  Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright's
sync API; no browser is ever downloaded (``scripts/ensure-chromium`` installs it).

Without Chromium the tests are skipped, unless ``SURVEY_REQUIRE_BROWSER`` is set (as
``make test`` does), in which case they fail: CI must not pass by skipping them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REQUIRE_BROWSER = bool(os.environ.get("SURVEY_REQUIRE_BROWSER"))

#: A mid-range Android phone (the respondents' usual device).
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0.0.0 Mobile Safari/537.36")

#: Playwright's wait for any one step (a page here answers in milliseconds).
STEP_TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for one test module.

    Not for the whole session: while Playwright's sync API runs, its event loop counts
    as running in the main thread (``asyncio.run()`` refuses to start), which must not
    leak into the tests collected after this folder.
    """
    if not os.access(CHROMIUM, os.X_OK):
        message = (f"{CHROMIUM} is missing: run scripts/ensure-chromium "
                   "(as root it installs the Debian packages chromium and chromium-driver)")
        if REQUIRE_BROWSER:
            pytest.fail(f"SURVEY_REQUIRE_BROWSER is set but {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (the middleware below keeps what the tests need)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class LiveServer:
    """The app on a real socket; ``hits`` lists every request it received."""

    url: str
    hits: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, query)

    def posts(self, path: str) -> int:
        return sum(1 for method, p, _ in self.hits if method == "POST" and p == path)


@pytest.fixture
def live_server(loaded) -> Iterator[LiveServer]:
    """The ``loaded`` app served over HTTP on 127.0.0.1, threaded, for one test."""
    lock = threading.Lock()
    hits: list[tuple[str, str, str]] = []

    def recording(environ, start_response):
        with lock:
            hits.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                         environ.get("QUERY_STRING", "")))
        return loaded(environ, start_response)

    server = make_server("127.0.0.1", 0, recording, threaded=True,
                         request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def phone(browser) -> Iterator[Callable[..., object]]:
    """``phone(javascript=True, width=360)``: a new page in a fresh phone-like context."""
    contexts = []

    def open_phone(*, javascript: bool = True, width: int = 360, height: int = 740):
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=2, is_mobile=True,
            has_touch=True, user_agent=PHONE_UA, locale="vi-VN", java_script_enabled=javascript,
            service_workers="block")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: the test's temporary folder, never the repository."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder
