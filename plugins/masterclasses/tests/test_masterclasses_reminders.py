"""Reminders 24 h and 1 h before, sent by an idempotent job through core notifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.extensions import db
from core.models import Notification
from core.services import jobs
from core.timeutil import utcnow
from plugins.masterclasses import services
from plugins.masterclasses.tests.helpers import make_event


def _reminders(user=None) -> int:
    stmt = select(func.count(Notification.id)).where(Notification.kind == "masterclasses.reminder")
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return db.session.scalar(stmt)


def test_24h_and_1h_reminders_each_sent_once(app, factory):
    assoc = factory.association()
    start = (utcnow() + dt.timedelta(days=2)).replace(microsecond=0)
    ev = make_event(assoc, starts_at=start, capacity=2)
    a, b, c = factory.user(), factory.user(), factory.user()
    for u in (a, b, c):
        services.register(ev.id, u)  # c is waitlisted: no reminder

    assert (
        jobs.run_due(now=start - dt.timedelta(hours=30), force=True)["masterclasses.reminders"]
        == "ran"
    )
    assert _reminders() == 0

    day_before = start - dt.timedelta(hours=23)
    jobs.run_due(now=day_before, force=True)
    jobs.run_due(now=day_before + dt.timedelta(minutes=5), force=True)
    assert (_reminders(a), _reminders(b), _reminders(c)) == (1, 1, 0)

    hour_before = start - dt.timedelta(minutes=50)
    jobs.run_due(now=hour_before, force=True)
    jobs.run_due(now=hour_before, force=True)
    assert (_reminders(a), _reminders(b), _reminders(c)) == (2, 2, 0)
    note = db.session.scalar(select(Notification).where(Notification.user_id == a.id))
    assert note.url == f"/masterclasses/{ev.id}"

    jobs.run_due(now=start + dt.timedelta(minutes=1), force=True)  # started: nothing more
    assert _reminders() == 4


def test_late_registration_gets_only_the_nearest_reminder(app, factory):
    assoc = factory.association()
    start = (utcnow() + dt.timedelta(minutes=40)).replace(microsecond=0)
    ev = make_event(assoc, starts_at=start)
    teacher = factory.user()
    services.register(ev.id, teacher)
    assert services.send_reminders(utcnow()) == 1
    db.session.commit()
    assert services.send_reminders(utcnow()) == 0
    assert _reminders(teacher) == 1


def test_offsets_are_configurable(make_app, factory):
    app = make_app(plugins="masterclasses", MASTERCLASSES_REMINDERS=[120])
    with app.app_context():
        assoc = factory.association()
        start = (utcnow() + dt.timedelta(days=1)).replace(microsecond=0)
        ev = make_event(assoc, starts_at=start)
        teacher = factory.user()
        services.register(ev.id, teacher)
        assert services.send_reminders(start - dt.timedelta(hours=3)) == 0
        assert services.send_reminders(start - dt.timedelta(minutes=90)) == 1
        db.session.commit()
        assert services.send_reminders(start - dt.timedelta(minutes=30)) == 0


def test_no_reminders_where_the_plugin_is_switched_off(app, factory):
    from core.services import plugin_gate

    region = factory.region()
    assoc = factory.association(region_id=region.id)
    admin = factory.user(is_site_admin=True)
    start = (utcnow() + dt.timedelta(minutes=30)).replace(microsecond=0)
    ev = make_event(assoc, starts_at=start)
    teacher = factory.user()
    services.register(ev.id, teacher)
    plugin_gate.set_switch("masterclasses", False, actor=admin, region_id=region.id)
    jobs.run_due(now=utcnow(), force=True)
    assert _reminders() == 0
