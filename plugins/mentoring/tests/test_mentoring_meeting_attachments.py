"""The invitation travels with the email: planning, moving and cancelling a meeting email the
partner its .ics (the same file as the link: METHOD REQUEST, CANCEL once cancelled) as an
attachment, and the link stays; through SMTP it is a text/calendar part with the method."""

from __future__ import annotations

import base64
import datetime as dt

import time_machine
from icalendar import Calendar
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail
from core.services import notifications
from core.testing import SmtpSink
from plugins.mentoring.models import Meeting
from plugins.mentoring.tests.world import add_mentor, add_novice, add_pair, client_for, make_world

NOW = dt.datetime(2026, 10, 20, 5, 0, tzinfo=dt.UTC)  # 10:00 in Astana

PLAN = {
    "day": "2026-10-22",
    "time": "15:30",
    "duration_minutes": "60",
    "topic": "Критериалды бағалау",
    "place": "",
    "link": "https://meet.example.kz/room-7",
}


def _world(factory):
    w = make_world(factory)
    mentor_user, mentor = add_mentor(factory, w, "Гүлжан Мұсина", capacity=2)
    novice_user, novice = add_novice(factory, w, "Ақбота Жұмабаева")
    return mentor_user, novice_user, add_pair(mentor, novice)


def _mails(user):
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.user_id == user.id, OutboxEmail.kind == "mentoring.meeting")
        .order_by(OutboxEmail.id)
    ).all()


def _invitation(mail):
    (att,) = mail.attachments
    cal = Calendar.from_ical(base64.b64decode(att["data"]))
    return att, cal, cal.walk("VEVENT")[0]


def test_plan_move_and_cancel_attach_the_invitation(app, factory, login, post):
    mentor_user, novice_user, pair = _world(factory)
    with time_machine.travel(NOW, tick=False):
        mentor = client_for(app, login, mentor_user)
        resp = post(mentor, f"/mentoring/pairs/{pair.id}/meetings/plan", PLAN)
        assert resp.status_code == 302
        m = db.session.scalar(select(Meeting).where(Meeting.pair_id == pair.id))
        (planned,) = _mails(novice_user)
        att, cal, item = _invitation(planned)
        assert att["filename"] == f"mentoring-meeting-{m.id}.ics"
        assert att["mimetype"] == "text/calendar; method=REQUEST; charset=utf-8"
        assert str(cal["METHOD"]) == "REQUEST"
        assert item.decoded("dtstart").astimezone(dt.UTC) == dt.datetime(
            2026, 10, 22, 10, 30, tzinfo=dt.UTC
        )
        assert str(item["SUMMARY"]) == "Критериалды бағалау"
        assert int(item["SEQUENCE"]) == 0
        assert f"/mentoring/pairs/{pair.id}/meetings/{m.id}/invite.ics" in planned.body

        moved = {**PLAN, "time": "16:00"}
        resp = post(mentor, f"/mentoring/pairs/{pair.id}/meetings/{m.id}/move", moved)
        assert resp.status_code == 302
        _planned, rescheduled = _mails(novice_user)
        att, cal, item = _invitation(rescheduled)
        assert att["mimetype"] == "text/calendar; method=REQUEST; charset=utf-8"
        assert item.decoded("dtstart").astimezone(dt.UTC) == dt.datetime(
            2026, 10, 22, 11, 0, tzinfo=dt.UTC
        )
        assert int(item["SEQUENCE"]) == 1
        assert f"/meetings/{m.id}/invite.ics" in rescheduled.body

        novice = client_for(app, login, novice_user)
        resp = post(novice, f"/mentoring/pairs/{pair.id}/meetings/{m.id}/cancel")
        assert resp.status_code == 302
        (cancelled,) = _mails(mentor_user)
        att, cal, item = _invitation(cancelled)
        assert att["mimetype"] == "text/calendar; method=CANCEL; charset=utf-8"
        assert str(cal["METHOD"]) == "CANCEL" and str(item["STATUS"]) == "CANCELLED"


def test_the_invitation_leaves_as_a_calendar_part(app, factory, login, post):
    mentor_user, novice_user, pair = _world(factory)
    with time_machine.travel(NOW, tick=False):
        mentor = client_for(app, login, mentor_user)
        post(mentor, f"/mentoring/pairs/{pair.id}/meetings/plan", PLAN)
    with SmtpSink() as sink:
        app.config.update(sink.config)
        assert notifications.send_outbox(now=NOW.replace(tzinfo=None)) >= 1
    (msg,) = [m for m in sink.messages if m["To"] == novice_user.email]
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_param("charset") == "utf-8"
    cal = Calendar.from_ical(parts[0].get_content())
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == "Критериалды бағалау"
