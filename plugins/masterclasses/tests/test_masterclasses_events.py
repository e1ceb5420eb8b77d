"""Events: creation and editing by hosts and leaders, visibility, status, the meeting link."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.masterclasses.models import Event
from plugins.masterclasses.tests.helpers import event_form as _form
from plugins.masterclasses.tests.helpers import make_event


@pytest.fixture
def assoc(factory):
    return factory.association(slug="kostanay-math")


def test_leader_creates_event_typed_in_almaty_time_stored_in_utc(
    client, factory, login, post, assoc
):
    leader = factory.member(assoc, role="leader")
    login(client, leader)
    resp = post(client, "/masterclasses/a/kostanay-math/new", _form(host_emails=leader.email))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    ev = db.session.scalar(select(Event))
    assert ev.status == "draft"
    assert ev.starts_at == dt.datetime(2027, 1, 14, 13, 0)  # 18:00 UTC+5
    assert ev.registration_deadline == dt.datetime(2027, 1, 13, 7, 0)
    assert sorted(ev.host_names) == sorted([leader.full_name, "Айгүл Сәрсенова"])
    assert ev.capacity == 25 and ev.credit_hours == 1.5

    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "<strong>Маңызды</strong>" in page
    assert "<script>alert" not in page
    assert "18:00" in page  # shown back in local time

    assert post(client, f"/masterclasses/{ev.id}/status/publish").status_code == 302
    db.session.refresh(ev)
    assert ev.status == "published"


def test_bad_input_shows_field_errors_keeps_values_and_stores_nothing(
    client, factory, login, post, assoc
):
    leader = factory.member(assoc, role="coordinator")
    login(client, leader)
    resp = post(
        client,
        "/masterclasses/a/kostanay-math/new",
        _form(ends_at="2027-01-14T17:00", delivery="face", venue="", address="", capacity="0"),
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Формативті бағалау / Формативное оценивание" in page  # kept
    assert page.count('class="error"') >= 4  # summary + end + venue + capacity
    assert db.session.scalar(select(Event)) is None


def test_hosts_must_be_members_of_the_association(client, factory, login, post, assoc):
    leader = factory.member(assoc, role="leader")
    factory.user(email="stranger@example.kz")
    login(client, leader)
    resp = post(
        client,
        "/masterclasses/a/kostanay-math/new",
        _form(host_emails=f"{leader.email}\nstranger@example.kz"),
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "stranger@example.kz" in page.split('class="error"', 1)[1]  # named in the error
    assert db.session.scalar(select(Event)) is None


def test_only_hosts_leaders_and_coordinators_create_and_edit(client, factory, login, post, assoc):
    member = factory.member(assoc, role="member")
    host = factory.member(assoc, role="member")
    ev = make_event(assoc, hosts=[host])
    login(client, member)
    assert client.get("/masterclasses/a/kostanay-math/new").status_code == 403
    assert post(client, "/masterclasses/a/kostanay-math/new", _form()).status_code == 403
    assert client.get(f"/masterclasses/{ev.id}/edit").status_code == 403
    assert post(client, f"/masterclasses/{ev.id}/status/cancel").status_code == 403
    assert client.get(f"/masterclasses/{ev.id}/attendance").status_code == 403
    assert client.get(f"/masterclasses/{ev.id}/participants.csv").status_code == 403
    post(client, "/logout")
    assert client.get(f"/masterclasses/{ev.id}/edit").status_code == 302  # to login

    login(client, host)
    assert client.get(f"/masterclasses/{ev.id}/edit").status_code == 200
    resp = post(client, f"/masterclasses/{ev.id}/edit", _form(title="Жаңа атауы"))
    assert resp.status_code == 302
    db.session.refresh(ev)
    assert ev.title == "Жаңа атауы" and ev.sequence == 1


def test_visibility_members_and_subtree(client, factory, login, post):
    parent = factory.association(slug="rep-math")
    child = factory.association(slug="kostanay-math", parent_id=parent.id)
    child_member = factory.member(child)
    parent_member = factory.member(parent)
    outsider = factory.user()
    members_only = make_event(parent, title="Тек мүшелерге", visibility="members")
    subtree = make_event(parent, title="Бүкіл желіге", visibility="subtree")
    draft = make_event(parent, title="Жоба", status="draft")

    assert client.get(f"/masterclasses/{members_only.id}").status_code == 302  # log in first
    listing = client.get("/masterclasses/").get_data(as_text=True)
    assert "Тек мүшелерге" not in listing and "Бүкіл желіге" not in listing

    login(client, outsider)
    assert client.get(f"/masterclasses/{members_only.id}").status_code == 403
    assert client.get(f"/masterclasses/{subtree.id}").status_code == 403
    assert client.get(f"/masterclasses/{draft.id}").status_code == 403

    post(client, "/logout")
    login(client, child_member)
    assert client.get(f"/masterclasses/{subtree.id}").status_code == 200
    assert client.get(f"/masterclasses/{members_only.id}").status_code == 403
    listing = client.get("/masterclasses/").get_data(as_text=True)
    assert "Бүкіл желіге" in listing and "Тек мүшелерге" not in listing and "Жоба" not in listing

    post(client, "/logout")
    login(client, parent_member)
    assert client.get(f"/masterclasses/{members_only.id}").status_code == 200
    # the list's statement is built once for all members: each one's associations are
    # parameters of their own visit
    listing = client.get("/masterclasses/").get_data(as_text=True)
    assert "Бүкіл желіге" in listing and "Тек мүшелерге" in listing and "Жоба" not in listing
    post(client, "/logout")
    login(client, outsider)
    listing = client.get("/masterclasses/").get_data(as_text=True)
    assert "Тек мүшелерге" not in listing and "Бүкіл желіге" not in listing


def test_meeting_link_only_for_registered_participants_and_hosts(client, factory, login, post):
    assoc = factory.association()
    host = factory.member(assoc)
    teacher = factory.user()
    ev = make_event(assoc, hosts=[host], delivery="online", meeting_url="https://meet.kz/secret")
    assert "meet.kz/secret" not in client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    assert "meet.kz/secret" not in client.get(f"/masterclasses/{ev.id}.ics").get_data(as_text=True)
    login(client, teacher)
    assert "meet.kz/secret" not in client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    post(client, f"/masterclasses/{ev.id}/register")
    assert "meet.kz/secret" in client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    assert "meet.kz/secret" in client.get(f"/masterclasses/{ev.id}.ics").get_data(as_text=True)
    post(client, "/logout")
    login(client, host)
    assert "meet.kz/secret" in client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)


def test_cancelling_notifies_everyone_registered_or_waitlisted(client, factory, login, post):
    assoc = factory.association()
    leader = factory.member(assoc, role="leader")
    ev = make_event(assoc, capacity=1)
    a, b, c = factory.user(), factory.user(), factory.user()
    for u in (a, b):
        login(client, u)
        post(client, f"/masterclasses/{ev.id}/register")
        post(client, "/logout")
    login(client, leader)
    assert post(client, f"/masterclasses/{ev.id}/status/cancel").status_code == 302
    db.session.refresh(ev)
    assert ev.status == "cancelled"
    notified = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "masterclasses.changed")
        )
    )
    assert notified == {a.id, b.id} and c.id not in notified
    # No way back from cancelled; registration is closed.
    assert post(client, f"/masterclasses/{ev.id}/status/publish").status_code == 302
    db.session.refresh(ev)
    assert ev.status == "cancelled"


def test_extra_forms_from_config(make_app, factory, login, post):
    app = make_app(plugins="masterclasses", MASTERCLASSES_EXTRA_FORMS=["festival=Фестиваль"])
    with app.app_context():
        client = app.test_client()
        assoc = factory.association(slug="x")
        leader = factory.member(assoc, role="leader")
        login(client, leader)
        page = client.get("/masterclasses/a/x/new").get_data(as_text=True)
        assert 'value="festival"' in page
        resp = post(client, "/masterclasses/a/x/new", _form(form="festival"))
        assert resp.status_code == 302
        assert db.session.scalar(select(Event.form)) == "festival"
