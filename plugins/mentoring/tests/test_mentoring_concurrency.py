"""Concurrent writers: two coordinators confirming overlapping proposals never give a mentor
more mentees than capacity; a mentor and a novice accepting at once always activate the pair
(row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.testing import csrf_token
from plugins.mentoring.models import Pair
from plugins.mentoring.tests.world import (
    add_mentor,
    add_novice,
    add_pair,
    client_for,
    make_world,
    programme_url,
)


@pytest.fixture
def app(make_app):
    app = make_app(plugins="mentoring", file_db=True)
    with app.app_context():
        yield app


def test_concurrent_confirmations_respect_capacity(app, factory, login):
    w = make_world(factory, max_mentees=2)
    _, mentor = add_mentor(factory, w, "Жалғыз ментор", capacity=2)
    mentor_id = mentor.id
    url = programme_url(w, "assign")
    clients = [client_for(app, login, w.leader), client_for(app, login, w.coordinator)]
    tokens = [csrf_token(c, programme_url(w)) for c in clients]

    for round_no in range(4):
        novices = [add_novice(factory, w, f"Жас {round_no}-{k}")[1].id for k in range(4)]
        db.session.commit()  # this session holds nothing while the threads write
        # each coordinator proposes two different novices to the same mentor: 4 for 2 places
        forms = [
            {"csrf_token": tokens[0], f"n-{novices[0]}": mentor_id, f"n-{novices[1]}": mentor_id},
            {"csrf_token": tokens[1], f"n-{novices[2]}": mentor_id, f"n-{novices[3]}": mentor_id},
        ]
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def confirm(client, data, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(client.post(url, data=data).status_code)

        threads = [
            threading.Thread(target=confirm, args=(c, f))
            for c, f in zip(clients, forms, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert statuses == [302, 302]
        open_pairs = db.session.scalar(
            select(func.count(Pair.id)).where(
                Pair.mentor_id == mentor_id, Pair.state.in_(("proposed", "active", "paused"))
            )
        )
        assert open_pairs == 2, f"round {round_no}: {open_pairs} open pairs for 2 places"
        # free the places for the next round
        for p in db.session.scalars(select(Pair).where(Pair.state == "proposed")):
            p.state = "declined"
        db.session.commit()


def test_mentor_and_novice_accepting_at_once_activate_the_pair(app, factory, login):
    w = make_world(factory, max_mentees=2)
    mentor_user, mentor = add_mentor(factory, w, "Ментор", capacity=2)
    mentor_client = client_for(app, login, mentor_user)
    mentor_token = csrf_token(mentor_client, programme_url(w))
    for round_no in range(4):
        novice_user, novice = add_novice(factory, w, f"Жас {round_no}")
        pair = add_pair(mentor, novice, state="proposed")
        pair_id = pair.id
        novice_client = client_for(app, login, novice_user)
        sides = [(mentor_client, mentor_token), (novice_client, csrf_token(novice_client, "/"))]
        db.session.commit()
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def accept(client, token, barrier=barrier, statuses=statuses, pair_id=pair_id):
            barrier.wait()
            url = f"/mentoring/pairs/{pair_id}/do/accept"
            statuses.append(client.post(url, data={"csrf_token": token}).status_code)

        threads = [threading.Thread(target=accept, args=side) for side in sides]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert statuses == [302, 302]
        db.session.expire_all()
        pair = db.session.get(Pair, pair_id)
        assert pair.state == "active", f"round {round_no}: both accepted, still {pair.state}"
        pair.state = "completed"  # free the mentor's place for the next round
        db.session.commit()
