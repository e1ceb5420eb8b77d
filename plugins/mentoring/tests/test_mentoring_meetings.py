"""Planned meetings over HTTP: plan with an invitation, the .ics (UID, SEQUENCE, METHOD, time
zone), move and cancel, the reminder job (idempotent, quiet hours), record as held; the log's
dates (not before the pair began, not after today) and the programme report's figures."""

from __future__ import annotations

import datetime as dt

import time_machine
from icalendar import Calendar
from sqlalchemy import select

from core.extensions import db
from core.models import Notification, OutboxEmail
from plugins.mentoring import services as svc
from plugins.mentoring.models import Meeting, Pair
from plugins.mentoring.tests.world import (
    add_mentor,
    add_novice,
    add_pair,
    client_for,
    make_world,
    programme_url,
)

# 10:00 in Astana (UTC+5) on 20 October 2026; the world's pairs began on 1 October
NOW = dt.datetime(2026, 10, 20, 5, 0, tzinfo=dt.UTC)


def _world(factory):
    w = make_world(factory)
    mentor_user, mentor = add_mentor(factory, w, "Гүлжан Мұсина", capacity=2)
    novice_user, novice = add_novice(factory, w, "Ақбота Жұмабаева")
    pair = add_pair(mentor, novice)
    return w, mentor_user, novice_user, pair


PLAN = {
    "day": "2026-10-22",
    "time": "15:30",
    "duration_minutes": "60",
    "topic": "Критериалды бағалау",
    "place": "",
    "link": "https://meet.example.kz/room-7",
}


def _plan(app, login, post, user, pair, **over):
    client = client_for(app, login, user)
    resp = post(client, f"/mentoring/pairs/{pair.id}/meetings/plan", {**PLAN, **over})
    return client, resp


def _ics(client, pair, meeting) -> tuple[object, Calendar]:
    resp = client.get(f"/mentoring/pairs/{pair.id}/meetings/{meeting.id}/invite.ics")
    assert resp.status_code == 200
    return resp, Calendar.from_ical(resp.data)


def test_plan_meeting_invites_the_partner_with_an_ics(app, factory, login, post):
    w, mentor_user, novice_user, pair = _world(factory)
    with time_machine.travel(NOW, tick=False):
        client, resp = _plan(app, login, post, mentor_user, pair)
        assert resp.status_code == 302
        m = db.session.scalar(select(Meeting).where(Meeting.pair_id == pair.id))
        assert m.status == "planned"
        assert m.starts_at == dt.datetime(2026, 10, 22, 10, 30)  # 15:30 in Astana, as UTC
        assert m.held_on == dt.date(2026, 10, 22)
        page = client.get(f"/mentoring/pairs/{pair.id}").get_data(as_text=True)
        assert "Критериалды бағалау" in page and f"meeting-{m.id}" in page
        assert f"/meetings/{m.id}/invite.ics" in page

        note = db.session.scalar(
            select(Notification).where(
                Notification.user_id == novice_user.id, Notification.kind == "mentoring.meeting"
            )
        )
        assert note is not None and "22.10.2026 15:30" in note.title
        mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == novice_user.id))
        assert f"/mentoring/pairs/{pair.id}/meetings/{m.id}/invite.ics" in mail.body
        assert "https://meet.example.kz/room-7" in mail.body
        # the author is not told of their own meeting
        assert not db.session.scalar(
            select(Notification).where(
                Notification.user_id == mentor_user.id, Notification.kind == "mentoring.meeting"
            )
        )

        resp, cal = _ics(client, pair, m)
        assert resp.headers["Content-Type"].startswith("text/calendar")
        assert "attachment" in resp.headers["Content-Disposition"]
        assert cal["METHOD"] == "REQUEST"
        event = cal.walk("VEVENT")[0]
        uid = str(event["UID"])
        assert uid == f"mentoring-meeting-{m.id}@localhost"
        assert int(event["SEQUENCE"]) == 0
        text = resp.get_data(as_text=True)
        assert "DTSTART;TZID=Asia/Almaty:20261022T153000" in text
        assert "DTEND;TZID=Asia/Almaty:20261022T163000" in text
        assert cal.walk("VTIMEZONE")[0]["TZID"] == "Asia/Almaty"
        assert event.decoded("dtstart").astimezone(dt.UTC) == dt.datetime(
            2026, 10, 22, 10, 30, tzinfo=dt.UTC
        )
        assert str(event["LOCATION"]) == "https://meet.example.kz/room-7"
        attendees = {str(a) for a in event["ATTENDEE"]}
        assert attendees == {f"mailto:{mentor_user.email}", f"mailto:{novice_user.email}"}
        assert str(event["ORGANIZER"]) == f"mailto:{mentor_user.email}"

        # moved: the same UID, SEQUENCE 1, the reminder reset; the partner is told
        m.reminded_at = dt.datetime(2026, 10, 21, 10, 0)
        db.session.commit()
        moved = post(
            client, f"/mentoring/pairs/{pair.id}/meetings/{m.id}/move", {**PLAN, "time": "16:00"}
        )
        assert moved.status_code == 302
        db.session.refresh(m)
        assert m.reminded_at is None and m.sequence == 1
        _resp, cal = _ics(client, pair, m)
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
        assert cal["METHOD"] == "REQUEST"

        # cancelled: METHOD:CANCEL, STATUS:CANCELLED, SEQUENCE 2
        novice = client_for(app, login, novice_user)
        assert post(novice, f"/mentoring/pairs/{pair.id}/meetings/{m.id}/cancel").status_code == 302
        _resp, cal = _ics(novice, pair, m)
        event = cal.walk("VEVENT")[0]
        assert cal["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2
        titles = [
            n.title
            for n in db.session.scalars(
                select(Notification).where(
                    Notification.user_id == mentor_user.id,
                    Notification.kind == "mentoring.meeting",
                )
            )
        ]
        assert len(titles) == 1  # the novice cancelled: the mentor is told


def test_plan_refuses_the_past_and_a_meeting_without_place_or_link(app, factory, login, post):
    w, mentor_user, _novice_user, pair = _world(factory)
    with time_machine.travel(NOW, tick=False):
        _c, resp = _plan(app, login, post, mentor_user, pair, day="2026-10-19")
        page = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert "Жоспарланған кездесу алдағы уақытта болуы керек." in page
        assert 'value="Критериалды бағалау"' in page  # typed input kept
        _c, resp = _plan(app, login, post, mentor_user, pair, link="", place="")
        assert "Өтетін орнын немесе кездесу сілтемесін көрсетіңіз." in resp.get_data(as_text=True)
        _c, resp = _plan(app, login, post, mentor_user, pair, link="javascript:alert(1)")
        assert resp.status_code == 200
        assert db.session.scalar(select(Meeting.id)) is None


def test_outsiders_and_other_pairs_cannot_see_or_change_meetings(app, factory, login, post):
    w, mentor_user, novice_user, pair = _world(factory)
    other_user, other_novice = add_novice(factory, w, "Басқа жас маман")
    mentor2_user, mentor2 = add_mentor(factory, w, "Басқа тәлімгер")
    other_pair = add_pair(mentor2, other_novice)
    with time_machine.travel(NOW, tick=False):
        _c, resp = _plan(app, login, post, mentor_user, pair)
        m = db.session.scalar(select(Meeting))
        ics = f"/mentoring/pairs/{pair.id}/meetings/{m.id}/invite.ics"
        for user in (w.outsider_member, other_user, mentor2_user):
            client = client_for(app, login, user)
            assert client.get(ics).status_code == 403
            assert (
                post(client, f"/mentoring/pairs/{pair.id}/meetings/{m.id}/cancel").status_code
                == 403
            )
            assert (
                post(client, f"/mentoring/pairs/{pair.id}/meetings/plan", PLAN).status_code == 403
            )
        # a meeting of this pair is not reachable through another pair's URL
        other = client_for(app, login, other_user)
        assert (
            other.get(f"/mentoring/pairs/{other_pair.id}/meetings/{m.id}/invite.ics").status_code
            == 404
        )
        # the coordinator reads the invitation but plans nothing for the pair
        coord = client_for(app, login, w.coordinator)
        assert coord.get(ics).status_code == 200
        assert post(coord, f"/mentoring/pairs/{pair.id}/meetings/plan", PLAN).status_code == 403
    assert db.session.scalar(select(Meeting).where(Meeting.id == m.id)).status == "planned"


def test_reminders_once_in_the_day_before_and_after_quiet_hours(app, factory, login, post):
    w, mentor_user, novice_user, pair = _world(factory)
    with time_machine.travel(NOW, tick=False):
        _plan(app, login, post, mentor_user, pair)  # 22.10 15:30 Astana = 10:30 UTC
    m = db.session.scalar(select(Meeting))

    def reminders():
        return db.session.scalars(
            select(Notification).where(
                Notification.kind == "mentoring.meeting", Notification.title.like("%«%")
            )
        ).all()

    assert svc.send_reminders(dt.datetime(2026, 10, 21, 10, 0)) == 0  # 24.5 hours before
    assert reminders() == []
    # 23:40 in Astana on 21.10: inside the window and inside quiet hours
    late = dt.datetime(2026, 10, 21, 18, 40)
    assert svc.send_reminders(late) == 1
    assert {n.user_id for n in reminders()} == {mentor_user.id, novice_user.id}
    assert svc.send_reminders(late) == 0  # idempotent
    assert svc.send_reminders(late + dt.timedelta(hours=2)) == 0
    assert len(reminders()) == 2
    mails = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.created_at == late, OutboxEmail.kind == "mentoring.meeting"
        )
    ).all()
    assert len(mails) == 2
    assert all(mail.send_after == dt.datetime(2026, 10, 22, 2, 0) for mail in mails)  # 07:00
    assert all("invite.ics" in mail.body for mail in mails)
    # a cancelled meeting is never reminded
    m.reminded_at = None
    m.status = "cancelled"
    db.session.commit()
    assert svc.send_reminders(late) == 0


def test_record_a_planned_meeting_as_held_and_the_log_dates(app, factory, login, post):
    w, mentor_user, novice_user, pair = _world(factory)
    with time_machine.travel(NOW, tick=False):
        client, _resp = _plan(app, login, post, mentor_user, pair, day="2026-10-21")
    m = db.session.scalar(select(Meeting))
    later = dt.datetime(2026, 10, 23, 6, 0, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        novice = client_for(app, login, novice_user)
        url = f"/mentoring/pairs/{pair.id}/meetings/{m.id}/held"
        form = novice.get(url).get_data(as_text=True)
        assert 'value="2026-10-21"' in form and 'value="Критериалды бағалау"' in form
        data = {
            "held_on": "2026-09-30",
            "duration_minutes": "50",
            "topic": "Бағалау",
            "notes": "Жақсы",
        }
        bad = post(novice, url, data)
        assert "Жұп 01.10.2026 басталды" in bad.get_data(as_text=True)
        assert 'value="Бағалау"' in bad.get_data(as_text=True)
        bad = post(novice, url, {**data, "held_on": "2026-10-24"})
        assert "A meeting in the log cannot be in the future." in bad.get_data(
            as_text=True
        ) or "болашақта" in bad.get_data(as_text=True)
        db.session.refresh(m)
        assert m.status == "planned"
        ok = post(novice, url, {**data, "held_on": "2026-10-21"})
        assert ok.status_code == 302
        db.session.refresh(m)
        assert m.status == "held" and m.held_on == dt.date(2026, 10, 21) and m.notes == "Жақсы"
        db.session.expire_all()
        pair = db.session.get(Pair, pair.id)
        assert [x.id for x in pair.meetings] == [m.id] and pair.planned_meetings == []
        # the log form refuses a date before the pair began too
        resp = post(
            novice,
            f"/mentoring/pairs/{pair.id}/meetings",
            {"held_on": "2026-09-15", "duration_minutes": "45", "topic": "Ерте"},
        )
        assert resp.status_code == 200 and "Жұп 01.10.2026 басталды" in resp.get_data(as_text=True)
        assert len(db.session.scalars(select(Meeting)).all()) == 1


def test_report_no_longer_counts_meetings_before_the_pair_began(app, factory, login):
    """The '2 / 0' of the report: two meetings dated before the pair began (rows written
    before the log checked dates) counted for a pair that had worked no month yet."""
    w, mentor_user, novice_user, pair = _world(factory)
    for day in (dt.date(2026, 9, 20), dt.date(2026, 9, 25)):
        db.session.add(
            Meeting(pair_id=pair.id, held_on=day, duration_minutes=60, topic="Ерте", status="held")
        )
    db.session.add(
        Meeting(pair_id=pair.id, held_on=dt.date(2026, 10, 8), duration_minutes=30, topic="Іс")
    )
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        coord = client_for(app, login, w.coordinator)
        page = coord.get(programme_url(w, "report")).get_data(as_text=True)
        assert "<td>1 / 0</td>" in page and "<td>2 / 0</td>" not in page
        assert "<td>0.5</td>" in page or "<td>0,5</td>" in page
        figures = svc.programme_figures(w.programme, dt.date(2026, 10, 20))
        assert figures.pairs[0].meetings == 1
        assert figures.meetings_by_month == [("2026-10", 1, 0.5)]
