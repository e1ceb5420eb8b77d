"""A seat offered from the waitlist in quiet hours (23:00-07:00 in Almaty): as pretix counts a
waiting-list voucher from when it is sent, the email waits for the end of quiet hours (it is not
urgent) and the time to confirm counts from then. Without a deadline nothing changes."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail
from plugins.masterclasses import services
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event

T0 = dt.datetime(2030, 3, 1, 6, 0)  # 11:00 in Almaty
NIGHT = dt.datetime(2030, 3, 1, 18, 30)  # 23:30 in Almaty
QUIET_END = dt.datetime(2030, 3, 2, 2, 0)  # 07:00 in Almaty the next morning
START = dt.datetime(2030, 3, 10, 8, 0)


def _reg(event_id, user):
    db.session.expire_all()
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event_id, Registration.user_id == user.id
        )
    )


def _offer_mail(user):
    return db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.to == user.email, OutboxEmail.kind == "masterclasses.promoted"
        )
    )


def _world(factory, confirm_hours, starts_at=START):
    assoc = factory.association(slug="offers")
    ev = make_event(assoc, capacity=1, starts_at=starts_at, confirm_hours=confirm_hours)
    a, b, c = factory.user(), factory.user(locale="kk"), factory.user(locale="ru")
    with time_machine.travel(T0, tick=False):
        for u in (a, b, c):
            services.register(ev.id, u)
    return ev, a, b, c


def test_an_offer_made_at_night_counts_from_the_morning(client, factory, login, post):
    ev, a, b, _c = _world(factory, 24)
    with time_machine.travel(NIGHT, tick=False):
        login(client, a)
        assert post(client, f"/masterclasses/{ev.id}/cancel").status_code == 302
    reg = _reg(ev.id, b)
    assert reg.status == "registered"
    assert reg.offer_expires_at == QUIET_END + dt.timedelta(hours=24)
    mail = _offer_mail(b)
    assert mail.send_after == QUIET_END  # waits for the morning: not urgent
    assert "03.03.2030 07:00" in mail.body  # 24 hours from when it is sent, site time
    with time_machine.travel(QUIET_END + dt.timedelta(hours=23), tick=False):
        login(client, b)
        assert post(client, f"/masterclasses/{ev.id}/confirm").status_code == 302
    assert _reg(ev.id, b).offer_expires_at is None


def test_the_job_at_night_gives_the_next_person_the_full_window(app, factory):
    ev, a, b, c = _world(factory, 24)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.cancel(ev.id, a.id)
    assert _reg(ev.id, b).offer_expires_at == T0 + dt.timedelta(hours=25)
    # The job runs at 23:30 the next night, after b's deadline (12:00 on 2 March) passed.
    night = NIGHT + dt.timedelta(days=1)
    assert services.expire_offers(night) == 1
    reg = _reg(ev.id, c)
    morning = QUIET_END + dt.timedelta(days=1)
    assert reg.status == "registered"
    assert reg.offer_expires_at == morning + dt.timedelta(hours=24)
    mail = _offer_mail(c)
    assert mail.send_after == morning
    assert "04.03.2030 07:00" in mail.body
    # Not yet expired at the time the old rule would have used.
    assert services.expire_offers(night + dt.timedelta(hours=24)) == 0


def test_in_the_day_the_offer_goes_at_once(app, factory):
    ev, a, b, _c = _world(factory, 24)
    noon = dt.datetime(2030, 3, 1, 7, 0)  # 12:00 in Almaty
    with time_machine.travel(noon, tick=False):
        services.cancel(ev.id, a.id)
    assert _reg(ev.id, b).offer_expires_at == noon + dt.timedelta(hours=24)
    assert _offer_mail(b).send_after == noon


def test_an_event_before_the_morning_is_offered_at_once(app, factory):
    starts = dt.datetime(2030, 3, 2, 1, 0)  # 06:00 in Almaty, before quiet hours end
    ev, a, b, _c = _world(factory, 24, starts_at=starts)
    with time_machine.travel(NIGHT, tick=False):
        services.cancel(ev.id, a.id)
    assert _reg(ev.id, b).offer_expires_at == starts
    assert _offer_mail(b).send_after == NIGHT  # urgent: it cannot wait for the morning


def test_without_a_deadline_nothing_changes(app, factory):
    ev, a, b, _c = _world(factory, None)
    with time_machine.travel(NIGHT, tick=False):
        services.cancel(ev.id, a.id)
    reg = _reg(ev.id, b)
    assert (reg.status, reg.offer_expires_at) == ("registered", None)
    assert _offer_mail(b).send_after == QUIET_END  # an ordinary email keeps quiet hours
