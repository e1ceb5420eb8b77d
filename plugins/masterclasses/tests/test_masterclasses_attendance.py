"""Attendance marked by hosts or by check-in code during the event; feedback and its
aggregates for hosts and for the association."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.extensions import db
from plugins.masterclasses import services
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event


def _reg(ev, user) -> Registration:
    db.session.expire_all()
    return db.session.scalar(
        select(Registration).where(Registration.event_id == ev.id, Registration.user_id == user.id)
    )


def test_host_marks_attendance_others_may_not(client, factory, login, post):
    assoc = factory.association()
    host = factory.member(assoc)
    member = factory.member(assoc)
    ev = make_event(assoc, hosts=[host], start_in=-dt.timedelta(hours=3))
    a, b = factory.user(), factory.user()
    services.register(ev.id, a, by_host=True)
    services.register(ev.id, b, by_host=True)
    ra, rb = _reg(ev, a), _reg(ev, b)

    login(client, member)
    assert client.get(f"/masterclasses/{ev.id}/attendance").status_code == 403
    assert (
        post(client, f"/masterclasses/{ev.id}/attendance", {f"a_{ra.id}": "present"}).status_code
        == 403
    )
    post(client, "/logout")

    login(client, host)
    page = client.get(f"/masterclasses/{ev.id}/attendance").get_data(as_text=True)
    assert a.full_name in page and "ABC234" in page
    bad = post(
        client,
        f"/masterclasses/{ev.id}/attendance",
        {f"a_{ra.id}": "present", f"a_{rb.id}": "sleeping"},
    )
    assert bad.status_code == 400
    assert _reg(ev, a).attendance is None  # nothing half-written
    ok = post(
        client,
        f"/masterclasses/{ev.id}/attendance",
        {f"a_{ra.id}": "present", f"a_{rb.id}": "excused"},
    )
    assert ok.status_code == 302
    assert (_reg(ev, a).attendance, _reg(ev, b).attendance) == ("present", "excused")


def test_check_in_with_the_code_only_during_the_event(client, factory, login, post):
    assoc = factory.association()
    soon = make_event(assoc, start_in=dt.timedelta(minutes=10))
    later = make_event(assoc, start_in=dt.timedelta(days=2))
    running = make_event(assoc, start_in=-dt.timedelta(minutes=20))
    teacher, stranger = factory.user(), factory.user()
    for ev in (soon, later):
        services.register(ev.id, teacher)
    services.register(running.id, teacher, by_host=True)

    login(client, teacher)
    assert 'name="code"' in client.get(f"/masterclasses/{soon.id}").get_data(as_text=True)
    assert 'name="code"' not in client.get(f"/masterclasses/{later.id}").get_data(as_text=True)

    post(client, f"/masterclasses/{soon.id}/checkin", {"code": "WRONG1"})
    assert _reg(soon, teacher).attendance is None
    post(client, f"/masterclasses/{later.id}/checkin", {"code": "ABC234"})
    assert _reg(later, teacher).attendance is None  # not open yet
    post(client, f"/masterclasses/{soon.id}/checkin", {"code": " abc 234 "})
    assert _reg(soon, teacher).attendance == "present"
    post(client, f"/masterclasses/{running.id}/checkin", {"code": "ABC234"})
    assert _reg(running, teacher).attendance == "late"
    post(client, "/logout")

    login(client, stranger)
    post(client, f"/masterclasses/{soon.id}/checkin", {"code": "ABC234"})
    assert _reg(soon, stranger) is None


def test_feedback_from_attendees_and_aggregates(client, factory, login, post):
    assoc = factory.association(slug="damu")
    host = factory.member(assoc)
    member = factory.member(assoc)
    outsider = factory.user()
    ev = make_event(
        assoc, hosts=[host], start_in=-dt.timedelta(days=1), status="held", form="seminar"
    )
    a, b, absent = factory.user(), factory.user(), factory.user()
    for u, mark in ((a, "present"), (b, "late"), (absent, "absent")):
        services.register(ev.id, u, by_host=True)
        _reg(ev, u).attendance = mark
    db.session.commit()

    login(client, absent)
    assert post(client, f"/masterclasses/{ev.id}/feedback", {"rating": "1"}).status_code == 403
    post(client, "/logout")
    login(client, a)
    assert 'name="rating"' in client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    post(client, f"/masterclasses/{ev.id}/feedback", {"rating": "7"})
    assert _reg(ev, a).rating is None
    post(
        client,
        f"/masterclasses/{ev.id}/feedback",
        {"rating": "5", "reflection": "Топтық жұмысты сабақта қолданамын"},
    )
    assert _reg(ev, a).rating == 5
    assert client.get(f"/masterclasses/{ev.id}/feedback").status_code == 403
    post(client, "/logout")
    login(client, b)
    post(client, f"/masterclasses/{ev.id}/feedback", {"rating": "4"})
    post(client, "/logout")

    login(client, host)
    page = client.get(f"/masterclasses/{ev.id}/feedback").get_data(as_text=True)
    assert "4.5" in page and "Топтық жұмысты сабақта қолданамын" in page
    post(client, "/logout")

    login(client, outsider)
    assert client.get("/masterclasses/a/damu/stats").status_code == 403
    post(client, "/logout")
    login(client, member)
    stats = client.get("/masterclasses/a/damu/stats")
    assert stats.status_code == 200
    row = stats.get_data(as_text=True).split("<tbody>")[1]
    assert "4.5" in row and "<td>2</td>" in row  # two attendances, average 4.5
