"""Many members voting at the same moment: every vote counted once, none lost, nobody twice
(a unique constraint and the write lock; row locks on PostgreSQL, BEGIN IMMEDIATE on
SQLite). The same for secret ballots: the tally equals the ballots cast."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.api import db
from core.testing import csrf_token
from plugins.governance.models import (
    BallotCast,
    Candidate,
    Election,
    GeneralMeeting,
    MeetingAttendance,
    Tally,
    Vote,
)
from plugins.governance.tests.world import add_meeting, client_for, make_world

VOTERS = 8


@pytest.fixture
def app(make_app):
    app = make_app(plugins="governance", file_db=True)
    with app.app_context():
        yield app


def _storm(app, w, url, data_for):
    """Each voter posts twice at once from two clients (two browser tabs)."""
    jobs = []
    for i, u in enumerate(w.voting):
        for _tab in range(2):
            client = client_for(app, u)
            token = csrf_token(client, "/governance/a/shyn-network/")
            jobs.append((client, {"csrf_token": token, **data_for(i)}))
    db.session.commit()  # this session holds nothing while the threads write
    barrier = threading.Barrier(len(jobs))
    statuses: list[int] = []

    def go(client, data):
        barrier.wait()
        statuses.append(client.post(url, data=data).status_code)

    threads = [threading.Thread(target=go, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == [302] * len(jobs)


def test_simultaneous_open_votes_are_counted_once_each(app, factory):
    w = make_world(factory, members=VOTERS - 2)
    m = add_meeting(w, state="open")
    for u in w.voting:
        db.session.add(MeetingAttendance(meeting_id=m.id, user_id=u.id))
    item = db.session.get(GeneralMeeting, m.id).items[1]
    item.vote_state = "open"
    item_id = item.id
    db.session.commit()
    choices = ["for", "against", "abstain"]
    _storm(
        app,
        w,
        f"/governance/a/shyn-network/items/{item_id}/vote",
        lambda i: {"choice": choices[i % 3]},
    )
    db.session.expire_all()
    rows = db.session.execute(select(Vote.user_id, Vote.choice).where(Vote.item_id == item_id))
    got = dict(rows.all())
    assert len(got) == VOTERS
    assert db.session.scalar(select(func.count(Vote.id))) == VOTERS  # no double
    assert got == {u.id: choices[i % 3] for i, u in enumerate(w.voting)}  # none lost


def test_simultaneous_secret_ballots_match_the_tally(app, factory):
    w = make_world(factory, members=VOTERS - 2)
    e = Election(association_id=w.association.id, position="council", seats=2, state="voting")
    db.session.add(e)
    db.session.flush()
    cands = [Candidate(election_id=e.id, user_id=u.id, state="accepted") for u in w.members[:3]]
    db.session.add_all(cands)
    db.session.flush()
    db.session.add_all([Tally(candidate_id=c.id, votes=0) for c in cands])
    ids = [c.id for c in cands]
    eid = e.id
    db.session.commit()
    _storm(
        app,
        w,
        f"/governance/a/shyn-network/elections/{eid}/ballot",
        lambda i: {"choices": [ids[i % 3], ids[(i + 1) % 3]]},
    )
    db.session.expire_all()
    assert db.session.scalar(select(func.count(BallotCast.id))) == VOTERS
    total = db.session.scalar(select(func.sum(Tally.votes)))
    assert total == 2 * VOTERS
    expected = [0, 0, 0]
    for i in range(VOTERS):
        expected[i % 3] += 1
        expected[(i + 1) % 3] += 1
    got = dict(db.session.execute(select(Tally.candidate_id, Tally.votes)).all())
    assert [got[c] for c in ids] == expected
