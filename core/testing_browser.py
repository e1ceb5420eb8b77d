"""Browser-test harness: a live Qauym server in a thread and Playwright driving Debian's
Chromium (``/usr/bin/chromium``, headless, background networking off).

Use the ``live_server`` fixture (override ``live_app`` in a plugin's tests to choose plugins) and
the ``page`` fixture (it fails a test that made a request to an outside host or did anything
the Content-Security-Policy refused). Tests are marked ``browser``. Screenshots of failing tests
are written to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from core.extensions import db
from core.models import OutboxEmail

CHROMIUM = os.environ.get("QAUYM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_app(make_app):
    """The app the live server serves: every plugin, a file database. Override per plugin."""
    return make_app(file_db=True)


@pytest.fixture
def live_server(live_app) -> Iterator[LiveServer]:
    live_app.config["BASE_URL"] = "http://127.0.0.1"
    server = LiveServer(live_app)
    live_app.config["BASE_URL"] = server.url
    server.start()
    try:
        yield server
    finally:
        server.stop()
        with live_app.app_context():
            db.session.remove()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    # Imported here, not at the top: Playwright is a test extra, needed by browser tests only.
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh browser context and page (Kazakh first in Accept-Language, phone-sized)."""
    context = browser.new_context(
        locale="kk-KZ",
        viewport={"width": 412, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(15000)
    pg = context.new_page()
    outside: list[str] = []
    pg.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "about:", "blob:"))
            else None
        ),
    )
    # The Content-Security-Policy (core.security_headers) refuses inline styles and scripts;
    # Chromium reports each refusal on the console. Any of them fails the test.
    refused: list[str] = []
    pg.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        yield pg
        assert not outside, f"requests to outside hosts: {outside}"
        assert not refused, f"refused by the Content-Security-Policy: {refused}"
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            out = Path("test-artifacts")
            out.mkdir(exist_ok=True)
            pg.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
        context.close()


def browser_login(page, base_url: str, email: str, password: str = "password123") -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button").first.click()
    page.wait_for_load_state()


def browser_confirm_registration(page, live_server, email: str) -> None:
    """Open the confirmation link emailed to ``email`` (read from the outbox) and press its
    button: the account is confirmed and the browser logged in."""
    with live_server.app.app_context():
        mail = db.session.scalar(
            select(OutboxEmail)
            .where(OutboxEmail.to == email.lower(), OutboxEmail.kind == "core.register_confirm")
            .order_by(OutboxEmail.id.desc())
        )
        assert mail is not None, f"no confirmation email to {email}"
        path = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", mail.body).group(1)
    page.goto(live_server.url + path)
    page.locator("main form button").click()
    page.wait_for_load_state()


def browser_logout(page, base_url: str) -> None:
    page.context.clear_cookies()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def assert_fits(page, url: str | None = None) -> None:
    """Fail when the page (at ``url``, or the one open) is wider than the viewport, naming the
    first elements that stick out. The phone-layout check shared by the browser journeys."""
    if url is not None:
        page.goto(url)
    wide = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " [...document.querySelectorAll('body *')].filter(e =>"
        " e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)"
        ".map(e => e.tagName + '.' + e.className)]"
    )
    where = url or page.url
    assert wide[0] <= wide[1], f"{where} is {wide[0]} px wide on a {wide[1]} px screen: {wide[2]}"
