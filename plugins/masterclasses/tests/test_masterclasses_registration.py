"""Registration: seats, the waitlist with automatic promotion, deadlines, the host's list, and
no overbooking under simultaneous requests (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading

import pytest
from sqlalchemy import insert, select

from core.extensions import db
from core.models import Association, Notification, User
from core.timeutil import to_local, utcnow
from plugins.masterclasses import services
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event


def _statuses(ev) -> dict[int, str]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(Registration.user_id, Registration.status).where(Registration.event_id == ev.id)
        ).all()
    )


def test_register_cancel_waitlist_and_promotion_with_notice(client, factory, login, post):
    assoc = factory.association()
    ev = make_event(assoc, capacity=1)
    first, second = factory.user(), factory.user()

    login(client, first)
    resp = post(client, f"/masterclasses/{ev.id}/register", follow_redirects=True)
    assert 'class="flash success"' in resp.get_data(as_text=True)
    post(client, "/logout")
    login(client, second)
    post(client, f"/masterclasses/{ev.id}/register")
    assert _statuses(ev) == {first.id: "registered", second.id: "waitlisted"}
    post(client, f"/masterclasses/{ev.id}/register")  # twice: still one place
    assert db.session.query(Registration).count() == 2

    post(client, "/logout")
    login(client, first)
    post(client, f"/masterclasses/{ev.id}/cancel")
    assert _statuses(ev) == {first.id: "cancelled", second.id: "registered"}
    note = db.session.scalar(select(Notification).where(Notification.user_id == second.id))
    assert note.kind == "masterclasses.promoted" and note.url == f"/masterclasses/{ev.id}"

    # Registering again after cancelling goes to the end of the queue (the seat is taken).
    post(client, f"/masterclasses/{ev.id}/register")
    assert _statuses(ev)[first.id] == "waitlisted"


def test_raising_capacity_promotes_the_waitlist_in_order(client, factory, login, post):
    assoc = factory.association()
    leader = factory.member(assoc, role="leader")
    ev = make_event(assoc, capacity=1)
    users = [factory.user() for _ in range(4)]
    for u in users:
        services.register(ev.id, u)
    login(client, leader)
    page = client.get(f"/masterclasses/{ev.id}/edit").get_data(as_text=True)
    assert 'name="capacity"' in page
    local = to_local(ev.starts_at).replace(tzinfo=None)
    resp = post(
        client,
        f"/masterclasses/{ev.id}/edit",
        {
            "title": ev.title,
            "form": ev.form,
            "delivery": "face",
            "venue": "Мектеп",
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": "3",
            "visibility": "public",
            "scope": "one",
        },
    )
    assert resp.status_code == 302
    st = _statuses(ev)
    assert [st[u.id] for u in users] == ["registered", "registered", "registered", "waitlisted"]


def test_registration_window_and_deadline(client, factory, login, post):
    assoc = factory.association()
    teacher = factory.user()
    now = utcnow()
    late = make_event(assoc, registration_deadline=now - dt.timedelta(hours=1))
    early = make_event(assoc, registration_opens_at=now + dt.timedelta(days=1))
    draft = make_event(assoc, status="draft")
    login(client, teacher)
    for ev in (late, early):
        page = post(client, f"/masterclasses/{ev.id}/register", follow_redirects=True)
        assert page.status_code == 200
    assert db.session.query(Registration).count() == 0
    assert post(client, f"/masterclasses/{draft.id}/register").status_code == 403


def test_host_adds_removes_and_exports_participants(client, factory, login, post):
    assoc = factory.association()
    host = factory.member(assoc)
    ev = make_event(assoc, hosts=[host], capacity=1)
    a = factory.user(email="a@example.kz", full_name="Әлия Нұрланқызы")
    b = factory.user(email="b@example.kz", full_name="=HYPERLINK(1)")
    other = factory.user()

    login(client, other)
    assert (
        post(
            client, f"/masterclasses/{ev.id}/participants/add", {"email": "a@example.kz"}
        ).status_code
        == 403
    )
    post(client, "/logout")

    login(client, host)
    assert (
        post(
            client, f"/masterclasses/{ev.id}/participants/add", {"email": "a@example.kz"}
        ).status_code
        == 302
    )
    post(client, f"/masterclasses/{ev.id}/participants/add", {"email": "b@example.kz"})
    resp = post(client, f"/masterclasses/{ev.id}/participants/add", {"email": "nobody@x.kz"})
    assert resp.status_code == 400 and "nobody@x.kz" in resp.get_data(as_text=True)
    assert _statuses(ev) == {a.id: "registered", b.id: "waitlisted"}

    body = client.get(f"/masterclasses/{ev.id}/participants.csv").get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[1][0] == "Әлия Нұрланқызы"
    assert rows[2][0] == "'=HYPERLINK(1)" and rows[2][4] == "1"

    post(client, f"/masterclasses/{ev.id}/participants/{a.id}/remove")
    assert _statuses(ev) == {a.id: "cancelled", b.id: "registered"}


@pytest.fixture
def file_app(make_app):
    return make_app(plugins="masterclasses", file_db=True)


def test_hundred_simultaneous_registrations_never_overbook(file_app):
    with file_app.app_context():
        assoc = Association(slug="shyn", name_kk="ШЫҢ", name_ru="ШЫҢ")
        db.session.add(assoc)
        db.session.commit()
        db.session.execute(
            insert(User),
            [
                {"email": f"t{i}@example.kz", "password_hash": "!", "full_name": f"Мұғалім {i}"}
                for i in range(100)
            ],
        )
        db.session.commit()
        user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        event_id = make_event(assoc, capacity=10).id
        db.session.remove()

    barrier = threading.Barrier(len(user_ids))
    results: dict[int, tuple[str, int | None]] = {}
    errors: list[str] = []

    def worker(uid: int) -> None:
        with file_app.app_context():
            try:
                user = db.session.get(User, uid)
                db.session.commit()
                barrier.wait()
                results[uid] = services.register(event_id, user)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(results) == 100
    with file_app.app_context():
        regs = db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event_id)
            .order_by(Registration.queue_seq)
        ).all()
        seated = [r for r in regs if r.status == "registered"]
        waiting = [r for r in regs if r.status == "waitlisted"]
        assert len(seated) == 10 and len(waiting) == 90
        # Positions 1..90, in the order the registrations were committed.
        assert [results[r.user_id][1] for r in waiting] == list(range(1, 91))
        assert all(results[r.user_id] == ("registered", None) for r in seated)

        # Cancellations give seats to the waitlist in order.
        for r in seated[:3]:
            services.cancel(event_id, r.user_id)
        db.session.expire_all()
        now_seated = set(
            db.session.scalars(
                select(Registration.user_id).where(
                    Registration.event_id == event_id, Registration.status == "registered"
                )
            )
        )
        assert len(now_seated) == 10
        assert {r.user_id for r in waiting[:3]} <= now_seated
        assert waiting[3].user_id not in now_seated
        assert services.waitlist_position(db.session.get(Registration, waiting[3].id)) == 1
        db.session.remove()


def test_every_post_needs_the_csrf_token(client, factory, login):
    """The global CSRF protection covers the plugin's POSTs (it had its own check before)."""
    assoc = factory.association()
    ev = make_event(assoc, capacity=5)
    user = factory.user()
    login(client, user)
    for url in (f"/masterclasses/{ev.id}/register", "/masterclasses/my/feed"):
        assert client.post(url, data={}).status_code == 400, url
    assert _statuses(ev) == {}
