"""The event's calendar (.ics) travels with the email: the registration confirmation (one
email and one calendar for the dates of a series taken at once) and the seat offered from the
waitlist carry it as an attachment, built as the .ics link builds it; the link stays."""

from __future__ import annotations

import base64
import datetime as dt

import time_machine
from icalendar import Calendar
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail
from plugins.masterclasses import services
from plugins.masterclasses.tests.helpers import make_event, series_form

NOW = dt.datetime(2030, 3, 1, 6, 0)  # 11:00 in Almaty
START = dt.datetime(2030, 3, 10, 8, 0)  # 13:00 in Almaty


def _mails(user, kind):
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.to == user.email, OutboxEmail.kind == kind)
        .order_by(OutboxEmail.id)
    ).all()


def _calendar(mail) -> tuple[dict, Calendar]:
    assert len(mail.attachments) == 1
    att = mail.attachments[0]
    return att, Calendar.from_ical(base64.b64decode(att["data"]))


def _starts_utc(cal) -> list[dt.datetime]:
    return [e.decoded("dtstart").astimezone(dt.UTC) for e in cal.walk("VEVENT")]


def test_the_confirmation_carries_the_events_calendar(client, factory, login, post):
    assoc = factory.association(slug="ics")
    ev = make_event(
        assoc,
        starts_at=START,
        title="Шеберлік сыныбы: ҚМЖ құру",
        delivery="online",
        venue="",
        meeting_url="https://meet.example.kz/qmzh",
    )
    teacher = factory.user(locale="kk")
    with time_machine.travel(NOW, tick=False):
        login(client, teacher)
        assert post(client, f"/masterclasses/{ev.id}/register").status_code == 302
        # the form sent again (a double tap, the back button): still one email
        assert post(client, f"/masterclasses/{ev.id}/register").status_code == 302
    (mail,) = _mails(teacher, "masterclasses.registered")
    assert mail.send_after == NOW
    assert "ҚМЖ құру" in mail.subject
    assert "10.03.2030 13:00" in mail.body
    assert f"/masterclasses/{ev.id}.ics" in mail.body  # the link stays
    att, cal = _calendar(mail)
    assert att["filename"] == f"event-{ev.id}.ics"
    assert att["mimetype"] == "text/calendar; method=PUBLISH; charset=utf-8"
    assert str(cal["METHOD"]) == "PUBLISH"
    (item,) = cal.walk("VEVENT")
    assert _starts_utc(cal) == [START.replace(tzinfo=dt.UTC)]
    assert str(item["SUMMARY"]) == "Шеберлік сыныбы: ҚМЖ құру"
    assert "https://meet.example.kz/qmzh" in str(item["DESCRIPTION"])  # a participant's link


def test_the_waitlisted_get_no_confirmation_and_the_promoted_get_the_calendar(
    client, factory, login, post
):
    assoc = factory.association(slug="ics")
    ev = make_event(assoc, starts_at=START, capacity=1, confirm_hours=24)
    first, second = factory.user(), factory.user(locale="ru")
    with time_machine.travel(NOW, tick=False):
        services.register(ev.id, first)
        login(client, second)
        assert post(client, f"/masterclasses/{ev.id}/register").status_code == 302
        assert _mails(second, "masterclasses.registered") == []
        services.cancel(ev.id, first.id)
    (offer,) = _mails(second, "masterclasses.promoted")
    _att, cal = _calendar(offer)
    assert _starts_utc(cal) == [START.replace(tzinfo=dt.UTC)]
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == ev.title


def test_the_promotion_by_the_job_carries_the_calendar_too(app, factory):
    assoc = factory.association(slug="ics")
    ev = make_event(assoc, starts_at=START, capacity=1, confirm_hours=2)
    a, b, c = factory.user(), factory.user(), factory.user()
    with time_machine.travel(NOW, tick=False):
        for u in (a, b, c):
            services.register(ev.id, u)
        services.cancel(ev.id, a.id)
    # outside a request, as the job runs
    assert services.expire_offers(NOW + dt.timedelta(hours=3)) == 1
    (offer,) = _mails(c, "masterclasses.promoted")
    _att, cal = _calendar(offer)
    assert _starts_utc(cal) == [START.replace(tzinfo=dt.UTC)]


def test_a_series_is_confirmed_in_one_email_with_every_date(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, factory.user(locale="kk"), role="leader")
    teacher = factory.user(locale="kk")
    series_now = dt.datetime(2027, 1, 10, 6, 0)
    with time_machine.travel(series_now, tick=False):
        login(client, leader)
        data = series_form(ends="count", count="3", repeat_until="")
        assert post(client, "/masterclasses/a/shyn/new", data).status_code == 302
        from plugins.masterclasses.models import Event

        events = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
        post(client, f"/masterclasses/{events[0].id}/status/publish", {"scope": "following"})
        client.post("/logout")
        login(client, teacher)
        resp = post(client, f"/masterclasses/{events[0].id}/series/register")
        assert resp.status_code == 302
        # again: every date is already taken, so no second email
        assert post(client, f"/masterclasses/{events[0].id}/series/register").status_code == 302
    (mail,) = _mails(teacher, "masterclasses.registered")
    assert "(3 күн)" in mail.subject
    _att, cal = _calendar(mail)
    assert _starts_utc(cal) == [dt.datetime(2027, 1, d, 10, 0, tzinfo=dt.UTC) for d in (11, 18, 25)]
    assert {str(e["SUMMARY"]) for e in cal.walk("VEVENT")} == {"Әдістемелік семинар"}


def test_a_teacher_seated_by_a_host_gets_the_confirmation_once(client, factory, login, post):
    assoc = factory.association(slug="host-adds")
    host = factory.member(assoc, factory.user(locale="kk"))
    ev = make_event(assoc, hosts=[host], starts_at=START)
    held = make_event(
        assoc, hosts=[host], starts_at=NOW - dt.timedelta(days=2), status="held", title="Өткен"
    )
    teacher = factory.user(email="t@example.kz", locale="ru")
    with time_machine.travel(NOW, tick=False):
        login(client, host)
        for _ in range(2):  # the second time: already seated, no second email
            resp = post(
                client, f"/masterclasses/{ev.id}/participants/add", {"email": "t@example.kz"}
            )
            assert resp.status_code == 302
        # added afterwards to a held event's attendance record: no confirmation for the past
        resp = post(client, f"/masterclasses/{held.id}/participants/add", {"email": "t@example.kz"})
        assert resp.status_code == 302
    (mail,) = _mails(teacher, "masterclasses.registered")
    assert mail.send_after == NOW
    _att, cal = _calendar(mail)
    assert _starts_utc(cal) == [START.replace(tzinfo=dt.UTC)]
