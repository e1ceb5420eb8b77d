"""Elections with a secret ballot, offices and terms; the extraordinary-meeting petition;
exclusion of a member by the council."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, inspect, select

from core.api import Membership, Notification, Role, User, db
from plugins.governance import models
from plugins.governance import services as svc
from plugins.governance.models import (
    BallotCast,
    Candidate,
    Election,
    Exclusion,
    Office,
    Petition,
    Tally,
)
from plugins.governance.tests.world import NOW, client_for, make_world

BASE = "/governance/a/shyn-network"


def _election(app, post, w, position="chair", seats=1):
    r = post(
        client_for(app, w.secretary),
        BASE + "/elections/new",
        {"position": position, "seats": seats, "term_months": 12, "label": ""},
    )
    assert r.status_code == 302
    return db.session.scalars(select(Election).order_by(Election.id.desc())).first()


def test_election_from_nomination_to_office_and_role(app, factory, post):
    w = make_world(factory)
    e = _election(app, post, w)
    url = f"{BASE}/elections/{e.id}"
    a, b = w.members[0], w.members[1]
    post(client_for(app, a), url + "/nominate", {"candidate": a.id})  # self-nomination
    post(client_for(app, w.members[2]), url + "/nominate", {"candidate": b.id})
    post(client_for(app, w.participant), url + "/nominate", {"candidate": w.participant.id})
    cands = {c.user_id: c for c in db.session.scalars(select(Candidate))}
    assert cands[a.id].state == "accepted" and cands[b.id].state == "nominated"
    assert w.participant.id not in cands  # non-voting cannot stand
    assert db.session.scalar(
        select(Notification).where(
            Notification.user_id == b.id, Notification.kind == "governance.election"
        )
    )
    post(client_for(app, b), f"{url}/candidates/{cands[b.id].id}/accept")
    assert post(client_for(app, w.members[0]), url + "/start").status_code == 403
    post(client_for(app, w.secretary), url + "/start", {"deadline": ""})
    votes = {w.leader: a, w.secretary: a, w.members[2]: b, w.members[3]: a, w.members[0]: a}
    for voter, cand in votes.items():
        post(client_for(app, voter), url + "/ballot", {"choices": [cands[cand.id].id]})
    # twice, and a non-voting participant: refused
    post(client_for(app, w.leader), url + "/ballot", {"choices": [cands[b.id].id]})
    post(client_for(app, w.participant), url + "/ballot", {"choices": [cands[b.id].id]})
    assert len(db.session.scalars(select(BallotCast)).all()) == 5
    html = client_for(app, w.members[2]).get(url).get_data(as_text=True)
    assert "Мұғалім 0" in html
    post(client_for(app, w.secretary), url + "/close")
    db.session.expire_all()
    e = db.session.get(Election, e.id)
    assert e.state == "closed" and e.ballots == 5
    got = {c.user_id: (c.votes, c.elected) for c in e.candidates}
    assert got == {a.id: (4, True), b.id: (1, False)}
    office = db.session.scalar(select(Office))
    assert office.user_id == a.id and office.position == "chair"
    assert (office.ends_on - office.starts_on).days in (365, 366)
    m = db.session.scalar(
        select(Membership).where(
            Membership.user_id == a.id, Membership.association_id == w.association.id
        )
    )
    assert m.role == Role.LEADER.value
    tab = app.test_client().get(BASE + "/").get_data(as_text=True)
    assert "Мұғалім 0" in tab  # the office holder, shown with the end of the term
    side = app.test_client().get("/a/shyn-network").get_data(as_text=True)
    assert "Мұғалім 0" in side


def test_secret_ballot_cannot_be_linked_to_a_voter():
    """The tally has no voter, no time and no ballot order; the cast record has no choice and
    no time. No table references both a voter and a candidate's votes."""
    tally = inspect(Tally).columns
    assert {c.name for c in tally} == {"candidate_id", "votes"}
    assert not any(isinstance(c.type, DateTime) for c in tally)
    assert all(fk.column.table.name != "core_user" for c in tally for fk in c.foreign_keys)
    cast = inspect(BallotCast).columns
    assert {c.name for c in cast} == {"id", "election_id", "user_id"}
    for cls in vars(models).values():
        if not isinstance(cls, type) or not issubclass(cls, db.Model) or cls is db.Model:
            continue
        targets = {fk.column.table.name for c in inspect(cls).columns for fk in c.foreign_keys}
        assert not ({"core_user", "governance_tally"} <= targets), cls
        assert not ({"governance_ballot_cast"} & targets), cls
        if cls is Candidate:  # per-candidate totals only, copied at closing
            continue


def test_term_end_notice_once(app, factory):
    w = make_world(factory)
    db.session.add(
        Office(
            association_id=w.association.id,
            user_id=w.members[0].id,
            position="council",
            starts_on=dt.date(2025, 4, 1),
            ends_on=dt.date(2026, 3, 20),
        )
    )
    db.session.commit()
    assert svc.term_end_notices(NOW) == 1
    assert svc.term_end_notices(NOW) == 0
    got = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "governance.term")
    ).all()
    assert set(got) == {w.members[0].id, w.leader.id}


def test_petition_of_a_quarter_alerts_the_leader_and_the_sidebar(app, factory, post):
    w = make_world(factory, members=6)  # 8 voting members: 2 signatures needed
    c = client_for(app, w.members[0])
    post(c, BASE + "/petition/new", {"reason": "Жарғыны өзгерту қажет"})
    p = db.session.scalar(select(Petition))
    assert p.state == "open"
    post(client_for(app, w.participant), f"{BASE}/petition/{p.id}/sign")  # does not count
    post(c, f"{BASE}/petition/{p.id}/sign")  # twice: no effect
    db.session.refresh(p)
    assert p.state == "open" and svc.signatures(p) == 1
    assert (
        "/a/shyn-network"
        and "кезектен тыс"
        not in client_for(app, w.members[1]).get("/a/shyn-network").get_data(as_text=True).lower()
    )
    post(client_for(app, w.members[1]), f"{BASE}/petition/{p.id}/sign")
    db.session.refresh(p)
    assert p.state == "reached"
    note = db.session.scalar(select(Notification).where(Notification.kind == "governance.petition"))
    assert note.user_id == w.leader.id
    side = client_for(app, w.members[2]).get("/a/shyn-network", headers={"Accept-Language": "kk"})
    assert "Кезектен тыс" in side.get_data(as_text=True) or "кезектен тыс" in side.get_data(
        as_text=True
    )
    # convening the extraordinary meeting settles the petition
    post(
        client_for(app, w.secretary),
        BASE + "/meetings/new",
        {
            "title": "Кезектен тыс жиналыс",
            "kind": "extraordinary",
            "mode": "online",
            "starts_at": "2026-04-01T18:00",
            "link": "https://meet.example.kz/x",
            "items-0-title": "Жарғы",
        },
    )
    db.session.refresh(p)
    assert p.state == "convened" and p.meeting_id


def test_exclusion_by_a_majority_of_the_council(app, factory, post):
    w = make_world(factory, members=5)
    council = [w.leader, w.members[0], w.members[1]]
    for u in council:
        db.session.add(
            Office(
                association_id=w.association.id,
                user_id=u.id,
                position="council",
                starts_on=dt.date(2025, 1, 1),
                ends_on=dt.date(2099, 1, 1),
            )
        )
    db.session.commit()
    target = w.members[4]
    sec = client_for(app, w.secretary)
    r = post(sec, BASE + "/exclusions/new", {"member": target.id, "reason": "Ережені бұзды"})
    assert r.status_code == 302
    ex = db.session.scalar(select(Exclusion))
    url = f"{BASE}/exclusions/{ex.id}"
    assert client_for(app, w.members[3]).get(url).status_code == 403  # not concerned
    me = client_for(app, target)
    assert me.get(url).status_code == 200
    post(me, url + "/respond", {"response": "Келіспеймін"})
    post(client_for(app, w.members[0]), url + "/vote", {"choice": "for"})  # not open yet
    post(sec, url + "/open")
    post(me, url + "/respond", {"response": "Кеш"})  # too late
    for u, choice in ((w.leader, "for"), (w.members[0], "for"), (w.members[1], "against")):
        post(client_for(app, u), url + "/vote", {"choice": choice})
    post(client_for(app, w.members[3]), url + "/vote", {"choice": "for"})  # not council
    post(sec, url + "/decide")
    db.session.expire_all()
    ex = db.session.get(Exclusion, ex.id)
    assert (ex.response, ex.votes_for, ex.votes_against, ex.council_size, ex.excluded) == (
        "Келіспеймін",
        2,
        1,
        3,
        True,
    )
    assert (
        db.session.scalar(
            select(Membership).where(
                Membership.user_id == target.id, Membership.association_id == w.association.id
            )
        )
        is None
    )
    assert db.session.get(User, target.id) is not None


def test_no_majority_keeps_the_member(app, factory, post):
    w = make_world(factory)
    target = w.members[3]
    sec = client_for(app, w.secretary)
    post(sec, BASE + "/exclusions/new", {"member": target.id, "reason": "Себеп"})
    ex = db.session.scalar(select(Exclusion))
    url = f"{BASE}/exclusions/{ex.id}"
    post(sec, url + "/open")
    post(sec, url + "/decide")  # the council (here: the leader) did not vote
    db.session.expire_all()
    assert db.session.get(Exclusion, ex.id).excluded is False
    assert db.session.scalar(select(Membership).where(Membership.user_id == target.id)) is not None
    r = post(sec, BASE + "/exclusions/new", {"member": "", "reason": ""})
    assert r.status_code == 200 and 'class="error"' in r.get_data(as_text=True)


def test_a_new_chair_takes_over_from_the_previous_one(app, factory, post):
    w = make_world(factory)
    db.session.add(
        Office(
            association_id=w.association.id,
            user_id=w.leader.id,
            position="chair",
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2099, 1, 1),
        )
    )
    db.session.commit()
    e = _election(app, post, w)
    url = f"{BASE}/elections/{e.id}"
    new = w.members[1]
    post(client_for(app, new), url + "/nominate", {"candidate": new.id})
    post(client_for(app, w.secretary), url + "/start", {"deadline": ""})
    post(
        client_for(app, w.members[0]),
        url + "/ballot",
        {"choices": [db.session.scalar(select(Candidate.id))]},
    )
    post(client_for(app, w.secretary), url + "/close")
    db.session.expire_all()
    roles = dict(
        db.session.execute(
            select(Membership.user_id, Membership.role).where(
                Membership.association_id == w.association.id
            )
        ).all()
    )
    assert roles[new.id] == "leader" and roles[w.leader.id] == "member"
    [office] = svc.current_offices(w.association)
    assert office.user_id == new.id and office.position == "chair"
