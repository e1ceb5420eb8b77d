"""Browser journeys on a 390 px phone in Kazakh: the recurrence builder (preview, save, change
the rule later) and personal check-in (the ticket with its QR code, the host's desk by the
scanned link and by the typed code). Every page of a journey must fit the screen."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.extensions import db
from core.testing_browser import assert_fits, browser_login
from core.timeutil import utcnow
from plugins.masterclasses import services
from plugins.masterclasses.models import Event, Registration, Series
from plugins.masterclasses.tests.helpers import make_event

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_recurrence_builder_on_a_phone(live_server, page, factory):
    base = live_server.url
    with live_server.app.app_context():
        assoc = factory.association(slug="shyn-phone", name_kk="ШЫҢ әдіскерлері")
        leader_email = factory.member(assoc, role="leader").email
    page.set_viewport_size(PHONE)
    browser_login(page, base, leader_email)

    assert_fits(page, f"{base}/masterclasses/a/shyn-phone/new")
    assert page.locator("html").get_attribute("lang") == "kk"
    page.fill("input[name=title]", "Желілік әдістемелік кездесу")
    page.fill("input[name=venue]", "Заречный ауданы, №3 мектеп")
    page.fill("input[name=starts_at]", "2030-01-04T15:00")
    page.fill("input[name=ends_at]", "2030-01-04T16:30")
    page.select_option("select[name=repeat]", "MONTHLY")
    page.check("input[name=monthly][value=weekday]")
    page.select_option("select[name=position]", "-1")
    page.select_option("select[name=weekday]", "FR")
    page.check("input[name=ends][value=count]")
    page.fill("input[name=count]", "3")
    page.locator("input[name=preview]").click()
    page.wait_for_load_state()

    preview = page.locator("#dates-preview")
    assert "Әр ай сайын: соңғы жұма" in preview.inner_text()
    assert preview.locator("li").all_inner_texts() == [
        "жұма, 25 қаңтар 2030, 15:00",
        "жұма, 22 ақпан 2030, 15:00",
        "жұма, 29 наурыз 2030, 15:00",
    ]
    assert_fits(page)
    with live_server.app.app_context():
        assert db.session.scalar(select(Event.id)) is None  # the preview saved nothing

    page.locator("main form button:not([name])").last.click()
    page.wait_for_load_state()
    assert "/masterclasses/" in page.url
    assert_fits(page)
    with live_server.app.app_context():
        assert len(db.session.scalars(select(Event)).all()) == 3

    # Later the host changes the rule: every second week on Friday, from the next date.
    page.get_by_role("link", name="Серияның ережесін өзгерту").click()
    page.wait_for_load_state()
    assert_fits(page)
    assert page.locator("select[name=repeat]").input_value() == "MONTHLY"
    page.select_option("select[name=repeat]", "WEEKLY")
    page.fill("input[name=interval]", "2")
    page.check("input[name=weekdays][value=FR]")
    page.check("input[name=ends][value=until]")
    page.fill("input[name=repeat_until]", "2030-02-28")
    page.locator("input[name=preview]").click()
    page.wait_for_load_state()
    assert "Әр 2 апта сайын: жұма" in page.locator("#dates-preview").inner_text()
    assert_fits(page)
    page.locator("main form button:not([name])").first.click()
    page.wait_for_load_state()
    assert_fits(page)
    with live_server.app.app_context():
        series = db.session.scalars(select(Series)).one()
        assert series.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
        live = db.session.scalars(
            select(Event).where(Event.status != "cancelled").order_by(Event.starts_at)
        ).all()
        assert [(e.starts_at + dt.timedelta(hours=5)).date() for e in live] == [
            dt.date(2030, 1, 25),
            dt.date(2030, 2, 8),
            dt.date(2030, 2, 22),
        ]


def test_personal_check_in_on_a_phone(live_server, page, factory):
    base = live_server.url
    with live_server.app.app_context():
        assoc = factory.association(slug="desk-phone")
        host = factory.member(assoc, role="member")
        teacher = factory.user(full_name="Гүлнұр Әбдіқадірқызы")
        second = factory.user(full_name="Ерлан Серікұлы")
        ev = make_event(
            assoc,
            hosts=[host],
            title="Шеберлік сыныбы: формативті бағалау",
            starts_at=(utcnow() + dt.timedelta(minutes=10)).replace(microsecond=0),
            venue="Қостанай облысы, Заречный ауданы, Заречный жалпы білім беретін мектебі",
            capacity=20,
        )
        event_id, host_email, teacher_email = ev.id, host.email, teacher.email
        services.register(ev.id, teacher)
        services.register(ev.id, second)
        second_code = db.session.scalar(
            select(Registration.ticket_code).where(Registration.user_id == second.id)
        )
    page.set_viewport_size(PHONE)

    # The teacher opens the ticket: the personal code and its QR code, served by the app.
    browser_login(page, base, teacher_email)
    assert_fits(page, f"{base}/masterclasses/{event_id}")
    page.get_by_role("link", name="Менің билетім және белгілеу коды").click()
    page.wait_for_load_state()
    assert_fits(page)
    code = page.locator(".ticket-code").inner_text().replace(" ", "")
    assert len(code) == 8
    qr = page.locator("img.ticket-qr")
    assert qr.get_attribute("src").startswith("/masterclasses/")
    assert page.evaluate("() => document.querySelector('img.ticket-qr').naturalWidth") > 0
    # The host's desk is not for the teacher.
    resp = page.goto(f"{base}/masterclasses/{event_id}/desk/{code}")
    assert resp.status == 403

    # The host scans the QR code: the phone's camera opens the desk link for that ticket.
    page.context.clear_cookies()
    browser_login(page, base, host_email)
    assert_fits(page, f"{base}/masterclasses/{event_id}/desk/{code}")
    assert "Гүлнұр Әбдіқадірқызы" in page.locator("#found").inner_text()
    page.locator("#found button").click()
    page.wait_for_load_state()
    assert "Гүлнұр Әбдіқадірқызы белгіленді." in page.content()
    assert_fits(page)

    # A participant without a phone reads the code aloud; the host types it.
    page.fill("input[name=code]", f"{second_code[:4].lower()} {second_code[4:]}")
    page.locator("main form.card button").click()
    page.wait_for_load_state()
    assert "Ерлан Серікұлы белгіленді." in page.content()
    assert "Белгіленді: 2 ішінен 2." in page.content()
    assert_fits(page)
    with live_server.app.app_context():
        marks = db.session.scalars(
            select(Registration.attendance).where(Registration.event_id == event_id)
        ).all()
        assert marks == ["present", "present"]
