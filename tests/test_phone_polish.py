"""Small polish for people on a phone and in their language: file sizes under 1 KB in bytes,
decimals in the reader's locale (1,5 in Kazakh and Russian), wide tables marked up as stacked
cards (a class and ``data-label`` on each cell), selects in table cells not cut off."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from core.extensions import db
from core.services import certificates
from core.templating import fmt_filesize, fmt_number
from core.testing import sign_in_as

CSS = Path(__file__).resolve().parents[1] / "core" / "static" / "qauym.css"


@pytest.fixture
def app(make_app):
    app = make_app(plugins="")
    with app.app_context():
        yield app


def test_file_sizes_are_never_zero_kb(app):
    with app.test_request_context(), force_locale("en"):
        assert fmt_filesize(0) == "0 B"
        assert fmt_filesize(300) == "300 B"
        assert fmt_filesize(1023) == "1023 B"
        assert fmt_filesize(1536) == "1.5 KB"
        assert fmt_filesize(200 * 1024) == "200 KB"
        assert fmt_filesize(3 * 1024 * 1024) == "3 MB"
        assert fmt_filesize("junk") == ""
    with app.test_request_context(), force_locale("kk"):
        assert fmt_filesize(300) == "300 Б"
        assert fmt_filesize(1536) == "1,5 КБ"


@pytest.mark.parametrize(("locale", "text"), [("kk", "1,5"), ("ru", "1,5"), ("en", "1.5")])
def test_decimals_follow_the_locale(app, locale, text):
    with app.test_request_context(), force_locale(locale):
        assert fmt_number(1.5) == text
        assert fmt_number(2.0) == "2"
        assert certificates.format_hours(1.5) == text


@pytest.mark.parametrize(("locale", "text"), [("kk", "1,5"), ("ru", "1,5"), ("en", "1.5")])
def test_certificate_hours_on_the_page_in_the_readers_locale(client, factory, locale, text):
    user = factory.user()
    certificates.issue(
        source_key="t:1",
        recipient=user,
        title="Семинар",
        kind="participation",
        hours=1.5,
        issuer="ШЫҢ",
        issued_on=dt.date(2026, 11, 3),
    )
    db.session.commit()
    sign_in_as(client, user)
    client.set_cookie("lang", locale)
    html = client.get("/certificates").get_data(as_text=True)
    assert re.search(rf"\b{re.escape(text)}\s", html), html[-2000:]


def test_member_list_and_notification_settings_are_stacked_cards(client, factory):
    a = factory.association(slug="net")
    member = factory.member(a, role="member")
    sign_in_as(client, member)
    client.set_cookie("lang", "en")
    html = client.get("/a/net/members").get_data(as_text=True)
    assert 'class="members stack-table"' in html
    assert 'data-label="School"' in html and 'data-label="Role"' in html
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'class="stack-table"' in html and 'data-label="By email"' in html


def test_stylesheet_stacks_tables_and_wraps_long_words():
    css = CSS.read_text()
    assert "@media(max-width:37.5rem){table.stack-table" in css
    assert "content:attr(data-label)" in css
    assert "td>select{width:auto" in css
    assert "overflow-wrap:anywhere" in css
