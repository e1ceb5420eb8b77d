"""The core's route-permission walk over every governance GET page, the plugin switches
(deployment and region) and the hooks that feed core pages."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from core.api import PlanLink, ReportSection, db, plugin_gate
from core.testing_routes import Access, assert_route_permissions, seed_world
from plugins.governance import plugin
from plugins.governance import services as svc
from plugins.governance.models import (
    AgendaItem,
    Election,
    Exclusion,
    GeneralMeeting,
    MeetingAttendance,
    Minutes,
    Office,
)
from plugins.governance.tests.world import NOW, add_meeting, client_for, make_world


def test_governance_routes_check_permissions(app, factory):
    world = seed_world(factory, slug="walk")
    meeting = GeneralMeeting(
        association_id=world.association.id,
        title="Жиналыс",
        starts_at=NOW,
        checkin_code="ABC234",
        state="closed",
    )
    db.session.add(meeting)
    db.session.flush()
    db.session.add(
        Minutes(meeting_id=meeting.id, body="Мәтін", frozen_at=NOW, code="AAAA-BBBB-CCCC")
    )
    election = Election(association_id=world.association.id, position="chair")
    ex = Exclusion(
        association_id=world.association.id,
        user_id=world.member.id,
        member_name=world.member.full_name,
        reason="Себеп",
    )
    db.session.add_all([election, ex])
    db.session.commit()
    assert_route_permissions(
        app,
        world,
        {
            "governance.index": "public",
            "governance.verify_form": "public",
            "governance.verify": "public",
            "governance.settings": "manager",
            "governance.new_meeting": "manager",
            "governance.meeting": "member",
            "governance.minutes": "member",  # approved, published to members
            "governance.minutes_pdf": "member",
            "governance.edit_minutes": Access("manager", reachable=False),  # frozen: redirect
            "governance.new_election": "manager",
            "governance.election": "member",
            "governance.new_petition": "member",
            "governance.new_exclusion": "manager",
            "governance.exclusion": "member",  # the member concerned
        },
        arg_defaults={
            "meeting_id": lambda w: meeting.id,
            "election_id": lambda w: election.id,
            "exclusion_id": lambda w: ex.id,
            "code": lambda w: "AAAA-BBBB-CCCC",
        },
        only=lambda endpoint: endpoint.startswith("governance."),
    )


def test_disabled_for_the_deployment(make_app, factory, login):
    app = make_app(plugins="")
    with app.app_context():
        association = factory.association(slug="shyn-network")
        leader = factory.member(association, role="leader")
        client = client_for(app, leader)
        for url in (
            "/governance/a/shyn-network/",
            "/governance/a/shyn-network/meetings/1",
            "/governance/a/shyn-network/meetings/new",
            "/governance/verify/AAAA-BBBB-CCCC",
            "/governance/static/governance.css",
        ):
            assert client.get(url).status_code == 404, url
        assert "/governance/" not in client.get("/a/shyn-network").get_data(as_text=True)
        assert not [r for r in app.url_map.iter_rules() if r.endpoint.startswith("governance.")]


def test_switched_off_for_the_region(app, factory):
    w = make_world(factory)
    m = add_meeting(w)
    c = client_for(app, w.secretary)
    urls = [
        "/governance/a/shyn-network/",
        f"/governance/a/shyn-network/meetings/{m.id}",
        "/governance/a/shyn-network/meetings/new",
        "/governance/a/shyn-network/elections/new",
    ]
    for url in urls:
        assert c.get(url).status_code == 200, url
    page = c.get("/a/shyn-network").get_data(as_text=True)
    assert 'href="/governance/a/shyn-network/"' in page
    # the core links one stylesheet with the plugin's rules in it
    (bundle,) = re.findall(r'<link rel="stylesheet" href="(/bundle/[0-9a-f]+\.css)"', page)
    assert ".governance" in c.get(bundle).get_data(as_text=True)
    plugin_gate.set_switch("governance", False, actor=None, region_id=w.association.region_id)
    for url in urls:
        assert c.get(url).status_code == 404, url
    assert "/governance/a/" not in c.get("/a/shyn-network").get_data(as_text=True)
    plugin_gate.set_switch("governance", True, actor=None, region_id=w.association.region_id)
    assert c.get(urls[0]).status_code == 200


def _closed_meeting_with_decision(w):
    m = add_meeting(w, motions=("Циклограмманы бекіту",), starts_at=dt.datetime(2025, 11, 5, 10))
    m = db.session.get(GeneralMeeting, m.id)
    m.state = "closed"
    m.plan_row_id = 7
    item = m.items[1]
    item.vote_state, item.passed, item.votes_for, item.present_voting = "closed", True, 5, 6
    db.session.add(MeetingAttendance(meeting_id=m.id, user_id=w.members[0].id))
    db.session.flush()
    db.session.add(
        Minutes(
            meeting_id=m.id,
            body="Циклограмманы бекіту туралы хаттама",
            frozen_at=NOW,
            code="QQQQ-RRRR-SSSS",
            public=True,
        )
    )
    db.session.add(
        Office(
            association_id=w.association.id,
            user_id=w.members[0].id,
            position="council",
            starts_on=dt.date(2025, 11, 5),
            ends_on=dt.date(2026, 11, 5),
        )
    )
    db.session.commit()
    return m


def test_search_portfolio_plan_and_report(app, factory):
    w = make_world(factory)
    m = _closed_meeting_with_decision(w)
    from flask import g
    from flask_login import AnonymousUserMixin

    with app.test_request_context():
        found = plugin.search("циклограмма", AnonymousUserMixin(), 10)
        assert {r.kind for r in found} == {"Хаттама", "Шешім"} or len(found) == 2
        assert all(r.association_id == w.association.id for r in found)
        entries = plugin.portfolio_entries(w.members[0])
        assert {e.kind for e in entries} == {"meeting", "office"}
        assert all(e.source == "governance" for e in entries)
        links = plugin.plan_links(w.association, [7, 8])
        assert links == [
            PlanLink(
                row_id=7, title=m.title, url=links[0].url, date=dt.date(2025, 11, 5), done=True
            )
        ]
        [section] = plugin.annual_report(
            w.association, [w.association.id], dt.date(2025, 9, 1), dt.date(2026, 9, 1)
        )
        assert isinstance(section, ReportSection)
        assert [f.value for f in section.figures] == [1, 1, 0]
        [none] = plugin.annual_report(
            w.association, [w.association.id], dt.date(2026, 9, 1), dt.date(2027, 9, 1)
        )
        assert [f.value for f in none.figures] == [0, 0, 0]
        g.pop("_", None)


def test_members_only_minutes_are_not_found_by_outsiders(app, factory):
    w = make_world(factory)
    _closed_meeting_with_decision(w)
    db.session.scalar(select(Minutes)).public = False
    db.session.commit()
    with app.test_request_context():
        assert plugin.search("циклограмма", w.outsider, 10) == []
        assert len(plugin.search("циклограмма", w.members[1], 10)) == 2


def test_user_deleted_removes_their_governance_rows(app, factory):
    w = make_world(factory)
    _closed_meeting_with_decision(w)
    plugin.user_deleted(w.members[0])
    db.session.commit()
    assert db.session.scalars(select(MeetingAttendance)).all() == []
    assert db.session.scalars(select(Office)).all() == []
    assert db.session.scalars(select(AgendaItem)).all()  # the meeting's record stays
    assert svc.current_offices(w.association) == []
