"""Two coordinators confirming overlapping proposals at the same moment never give a mentor
more mentees than capacity (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""

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
