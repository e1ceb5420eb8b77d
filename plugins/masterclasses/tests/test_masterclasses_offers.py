"""Confirm or pass on: a promoted waitlister confirms within N hours, else the seat passes to
the next (the job is idempotent); without N the seat is given as before."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail
from plugins.masterclasses import services
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event

T0 = dt.datetime(2030, 3, 1, 6, 0)
START = dt.datetime(2030, 3, 10, 8, 0)


def _status(event_id, user):
    db.session.expire_all()
    reg = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event_id, Registration.user_id == user.id
        )
    )
    return reg.status, reg.offer_expires_at


def _world(factory, confirm_hours):
    assoc = factory.association(slug="offers")
    ev = make_event(assoc, capacity=1, starts_at=START, confirm_hours=confirm_hours)
    a, b, c = factory.user(), factory.user(locale="kk"), factory.user()
    with time_machine.travel(T0, tick=False):
        for u in (a, b, c):
            services.register(ev.id, u)
    return ev, a, b, c


def test_without_a_window_the_seat_is_given_at_once(app, factory):
    ev, a, b, _c = _world(factory, None)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.cancel(ev.id, a.id)
    assert _status(ev.id, b) == ("registered", None)


def test_an_unconfirmed_offer_passes_to_the_next_once(app, factory):
    ev, a, b, c = _world(factory, 24)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.cancel(ev.id, a.id)
    assert _status(ev.id, b) == ("registered", T0 + dt.timedelta(hours=25))
    mail = db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.to == b.email, OutboxEmail.kind == "masterclasses.promoted"
        )
    )
    assert "02.03.2030 12:00" in mail.body  # the deadline, in the site's time
    assert "10.03.2030 13:00" in mail.body  # the date and time of the event
    # Before the deadline nothing happens.
    assert services.expire_offers(T0 + dt.timedelta(hours=24)) == 0
    assert _status(ev.id, c)[0] == "waitlisted"
    # After it, the seat passes to the next; a second run changes nothing.
    assert services.expire_offers(T0 + dt.timedelta(hours=26)) == 1
    assert _status(ev.id, b) == ("cancelled", None)
    assert _status(ev.id, c) == ("registered", T0 + dt.timedelta(hours=50))
    assert services.expire_offers(T0 + dt.timedelta(hours=26)) == 0
    assert _status(ev.id, c)[0] == "registered"


def test_a_confirmed_offer_is_kept(client, factory, login, post):
    ev, a, b, c = _world(factory, 24)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.cancel(ev.id, a.id)
        login(client, b)
        page = client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
        assert f'action="/masterclasses/{ev.id}/confirm"' in page
        assert post(client, f"/masterclasses/{ev.id}/confirm").status_code == 302
    assert _status(ev.id, b) == ("registered", None)
    assert services.expire_offers(T0 + dt.timedelta(hours=30)) == 0
    assert _status(ev.id, b) == ("registered", None)
    assert _status(ev.id, c)[0] == "waitlisted"


def test_a_late_confirmation_is_refused(client, factory, login, post):
    ev, a, b, _c = _world(factory, 2)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.cancel(ev.id, a.id)
    with time_machine.travel(T0 + dt.timedelta(hours=4), tick=False):
        login(client, b)
        resp = post(client, f"/masterclasses/{ev.id}/confirm")
        assert "растайтын орын ұсынысы" in client.get(resp.location).get_data(as_text=True)
    assert _status(ev.id, b)[1] is not None
