"""The main journey in Chromium: a teacher finds a master class, registers and downloads the
.ics; the host marks attendance; the teacher downloads the certificate and the verification
page confirms it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import update

from core.extensions import db
from core.testing_browser import browser_login
from core.timeutil import utcnow
from plugins.masterclasses.models import Event
from plugins.masterclasses.tests.helpers import make_event

pytestmark = pytest.mark.browser

TEACHER = "Гүлнұр Әбдіқадірқызы"


def test_find_register_attend_and_get_a_verified_certificate(live_server, page, factory, tmp_path):
    base = live_server.url
    with live_server.app.app_context():
        assoc = factory.association(slug="kostanay-math", name_kk="Қостанай математиктері")
        host = factory.member(assoc, role="member")
        host_email = host.email
        teacher_email = factory.user(full_name=TEACHER).email
        event_id = make_event(
            assoc,
            hosts=[host],
            title="Шеберлік сыныбы: жасанды интеллект сабақта",
            capacity=20,
            credit_hours=2,
        ).id
        make_event(assoc, title="Басқа семинар", form="seminar")

    # The teacher finds the master class and registers.
    browser_login(page, base, teacher_email)
    page.goto(f"{base}/masterclasses/?form=masterclass")
    assert page.get_by_text("Басқа семинар").count() == 0
    page.get_by_role("link", name="Шеберлік сыныбы: жасанды интеллект сабақта").click()
    page.wait_for_url(f"**/masterclasses/{event_id}")
    page.locator("form[action$='/register'] button").click()
    page.wait_for_load_state()
    assert page.locator("#registration .tag.ok").is_visible()

    with page.expect_download() as info:
        page.locator("a[href$='.ics']").first.click()
    ics = Calendar.from_ical(Path(info.value.path()).read_bytes())
    (vevent,) = ics.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Шеберлік сыныбы: жасанды интеллект сабақта"

    # Time passes: the master class took place.
    with live_server.app.app_context():
        now = utcnow()
        db.session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1))
        )
        db.session.commit()

    # The host marks attendance and that the event was held.
    page.context.clear_cookies()
    browser_login(page, base, host_email)
    page.goto(f"{base}/masterclasses/{event_id}/attendance")
    page.get_by_label(TEACHER).select_option("present")
    page.locator("main form button").last.click()
    page.wait_for_load_state()
    assert page.get_by_label(TEACHER).input_value() == "present"
    page.goto(f"{base}/masterclasses/{event_id}")
    page.locator("form[action$='/status/held'] button").click()
    page.wait_for_load_state()

    # The teacher downloads the certificate; the verification page confirms it.
    page.context.clear_cookies()
    browser_login(page, base, teacher_email)
    page.goto(f"{base}/masterclasses/{event_id}")
    page.locator("form[action$='/certificate'] button").click()
    page.wait_for_load_state()
    with page.expect_download() as info:
        page.locator("#certificate a[download]").click()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(info.value.path()).pages).split())
    assert TEACHER in text
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text).group(0)
    page.goto(f"{base}/verify/{code}")
    assert page.locator("#status").get_attribute("data-status") == "valid"
    assert page.locator("#recipient").inner_text() == TEACHER
