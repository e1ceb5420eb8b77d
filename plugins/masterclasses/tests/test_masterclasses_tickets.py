"""Personal check-in: a ticket page with a personal code and a QR code, the host's desk (typed
code or scanned QR link), the shared code as an option; a participant cannot check themself in
with the personal code."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from core.extensions import db
from plugins.masterclasses import services
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event

START = dt.datetime(2027, 3, 4, 8, 0)  # 13:00 in Almaty
AT_DOOR = START - dt.timedelta(minutes=5)


def _world(factory, **event_kw):
    assoc = factory.association(slug="tickets")
    host = factory.member(assoc, factory.user(locale="kk"), role="member")
    teacher = factory.user(full_name="Әсел Нұрланқызы", locale="kk")
    with time_machine.travel(START - dt.timedelta(days=3), tick=False):
        ev = make_event(assoc, hosts=[host], starts_at=START, capacity=10, **event_kw)
        services.register(ev.id, teacher)
    reg = db.session.scalar(select(Registration).where(Registration.event_id == ev.id))
    return ev, host, teacher, reg


def _reg(reg_id):
    db.session.expire_all()
    return db.session.get(Registration, reg_id)


def test_the_ticket_shows_a_personal_code_and_a_qr_code_of_the_desk_link(client, factory, login):
    ev, _host, teacher, reg = _world(factory)
    assert len(reg.ticket_code) == 8
    with time_machine.travel(AT_DOOR, tick=False):
        login(client, teacher)
        page = client.get(f"/masterclasses/{ev.id}/ticket").get_data(as_text=True)
        shown = f"{reg.ticket_code[:4]} {reg.ticket_code[4:]}"
        assert shown in page
        assert f'src="/masterclasses/{ev.id}/ticket.svg"' in page
        assert "Менің билетім" in page
        resp = client.get(f"/masterclasses/{ev.id}/ticket.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    # The QR code is the desk link for this code, on this site (no outside host).
    link = f"http://localhost/masterclasses/{ev.id}/desk/{reg.ticket_code}"
    assert resp.data == services.qr_svg(link, shown)
    assert b"<script" not in resp.data and b"style=" not in resp.data
    # Someone else's ticket is not there.
    other = factory.user()
    client.post("/logout")
    login(client, other)
    assert client.get(f"/masterclasses/{ev.id}/ticket").status_code == 404
    assert client.get(f"/masterclasses/{ev.id}/ticket.svg").status_code == 404


def test_an_older_registration_gets_its_code_on_the_ticket_page(client, factory, login):
    ev, _host, teacher, reg = _world(factory)
    reg.ticket_code = None
    db.session.commit()
    login(client, teacher)
    assert client.get(f"/masterclasses/{ev.id}/ticket").status_code == 200
    assert len(_reg(reg.id).ticket_code) == 8


def test_the_host_checks_in_by_the_typed_code(client, factory, login, post):
    ev, host, _teacher, reg = _world(factory)
    with time_machine.travel(AT_DOOR, tick=False):
        login(client, host)
        desk = client.get(f"/masterclasses/{ev.id}/desk")
        assert desk.status_code == 200
        assert "Белгіленді: 1 ішінен 0." in desk.get_data(as_text=True)
        typed = f" {reg.ticket_code[:4].lower()}-{reg.ticket_code[4:]} "
        resp = post(client, f"/masterclasses/{ev.id}/desk", {"code": typed})
        assert resp.status_code == 302
        page = client.get(resp.location).get_data(as_text=True)
        assert "Әсел Нұрланқызы белгіленді." in page
        assert "Белгіленді: 1 ішінен 1." in page
        again = post(client, f"/masterclasses/{ev.id}/desk", {"code": reg.ticket_code})
        assert "бұрын белгіленген" in client.get(again.location).get_data(as_text=True)
    got = _reg(reg.id)
    assert got.attendance == "present" and got.checked_in_at == AT_DOOR


def test_a_wrong_code_is_a_field_error_that_keeps_what_was_typed(client, factory, login, post):
    ev, host, _teacher, reg = _world(factory)
    other_ev, _h, _t, other_reg = ev, host, None, None
    with time_machine.travel(AT_DOOR, tick=False):
        login(client, host)
        resp = post(client, f"/masterclasses/{ev.id}/desk", {"code": "ZZZZ9999"})
        assert resp.status_code == 400
        page = resp.get_data(as_text=True)
        assert "Бұл іс-шараның мұндай кодты билеті жоқ." in page
        assert 'value="ZZZZ9999"' in page
    assert _reg(reg.id).checked_in_at is None
    assert other_ev is ev and other_reg is None


def test_a_code_of_another_event_is_not_accepted(client, factory, login, post):
    ev, host, teacher, reg = _world(factory)
    second = make_event(ev.association, hosts=[host], starts_at=START, title="Басқа")
    with time_machine.travel(AT_DOOR, tick=False):
        login(client, host)
        resp = post(client, f"/masterclasses/{second.id}/desk", {"code": reg.ticket_code})
        assert resp.status_code == 400
    assert _reg(reg.id).checked_in_at is None


def test_the_scanned_link_shows_the_participant_and_a_get_changes_nothing(
    client, factory, login, post
):
    ev, host, _teacher, reg = _world(factory)
    with time_machine.travel(AT_DOOR, tick=False):
        login(client, host)
        resp = client.get(f"/masterclasses/{ev.id}/desk/{reg.ticket_code}")
        assert resp.status_code == 200
        page = resp.get_data(as_text=True)
        assert "Әсел Нұрланқызы — белгілеу" in page
        assert _reg(reg.id).checked_in_at is None
        assert client.get(f"/masterclasses/{ev.id}/desk/NOPE").status_code == 404
        post(client, f"/masterclasses/{ev.id}/desk", {"code": reg.ticket_code})
    assert _reg(reg.id).attendance == "present"


def test_the_participant_cannot_check_in_with_the_personal_code(client, factory, login, post):
    ev, _host, teacher, reg = _world(factory)
    with time_machine.travel(AT_DOOR, tick=False):
        login(client, teacher)
        # Not on the self check-in form (it takes the shared code only) ...
        post(client, f"/masterclasses/{ev.id}/checkin", {"code": reg.ticket_code})
        assert _reg(reg.id).checked_in_at is None
        # ... and not on the host's desk, nor by opening the QR link.
        assert (
            post(client, f"/masterclasses/{ev.id}/desk", {"code": reg.ticket_code}).status_code
            == 403
        )
        assert client.get(f"/masterclasses/{ev.id}/desk/{reg.ticket_code}").status_code == 403
        assert client.get(f"/masterclasses/{ev.id}/desk").status_code == 403
    assert _reg(reg.id).checked_in_at is None
    # Anonymous visitors are sent to log in.
    client.post("/logout")
    resp = client.get(f"/masterclasses/{ev.id}/desk/{reg.ticket_code}")
    assert resp.status_code == 302 and "/login" in resp.location


def test_the_shared_code_works_until_the_host_switches_it_off(client, factory, login, post):
    ev, host, teacher, reg = _world(factory)
    with time_machine.travel(AT_DOOR, tick=False):
        login(client, teacher)
        assert "ABC234" not in client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
        assert f'action="/masterclasses/{ev.id}/checkin"' in client.get(
            f"/masterclasses/{ev.id}"
        ).get_data(as_text=True)
        ev.shared_checkin = False
        db.session.commit()
        page = client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
        assert f'action="/masterclasses/{ev.id}/checkin"' not in page
        post(client, f"/masterclasses/{ev.id}/checkin", {"code": "ABC234"})
        assert _reg(reg.id).checked_in_at is None
        ev.shared_checkin = True
        db.session.commit()
        post(client, f"/masterclasses/{ev.id}/checkin", {"code": "ABC234"})
        assert _reg(reg.id).checked_in_at is not None


def test_the_edit_form_switches_the_shared_code_off(client, factory, login, post):
    ev, host, _teacher, _reg_ = _world(factory)
    login(client, host)
    page = client.get(f"/masterclasses/{ev.id}/edit").get_data(as_text=True)
    assert 'name="desk_only"' in page
    data = {
        "title": ev.title,
        "form": ev.form,
        "delivery": "face",
        "venue": ev.venue,
        "starts_at": "2027-03-04T13:00",
        "ends_at": "2027-03-04T15:00",
        "visibility": "public",
        "host_emails": host.email,
        "desk_only": "y",
        "scope": "one",
    }
    assert post(client, f"/masterclasses/{ev.id}/edit", data).status_code == 302
    db.session.expire_all()
    assert ev.shared_checkin is False
    data.pop("desk_only")
    post(client, f"/masterclasses/{ev.id}/edit", data)
    db.session.expire_all()
    assert ev.shared_checkin is True


def test_the_desk_refuses_outside_the_check_in_window(client, factory, login, post):
    ev, host, _teacher, reg = _world(factory)
    with time_machine.travel(START - dt.timedelta(days=1), tick=False):
        login(client, host)
        resp = post(client, f"/masterclasses/{ev.id}/desk", {"code": reg.ticket_code})
        assert "Қазір белгілеу ашық емес." in client.get(resp.location).get_data(as_text=True)
    assert _reg(reg.id).checked_in_at is None


def test_a_late_arrival_is_marked_late(client, factory, login, post):
    ev, host, _teacher, reg = _world(factory)
    with time_machine.travel(START + dt.timedelta(minutes=30), tick=False):
        login(client, host)
        post(client, f"/masterclasses/{ev.id}/desk", {"code": reg.ticket_code})
    assert _reg(reg.id).attendance == "late"
