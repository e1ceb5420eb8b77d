"""The core's route-permission walk over every mentoring page: anonymous, outsider, member
(the young specialist of the walk's pair), leader (a coordinator) and site administrator."""

from __future__ import annotations

from core.extensions import db
from core.testing_routes import assert_route_permissions, seed_world
from plugins.mentoring.models import MentorProfile, NoviceRequest, Pair, Programme


def test_mentoring_routes_check_permissions(app, factory):
    world = seed_world(factory, slug="walk")
    programme = Programme(
        association_id=world.association.id, name="Бағдарлама", min_category="none"
    )
    db.session.add(programme)
    db.session.flush()
    mentor_user = factory.member(world.association, factory.user(category="expert"))
    mentor = MentorProfile(programme_id=programme.id, user_id=mentor_user.id, capacity=2)
    novice = NoviceRequest(programme_id=programme.id, user_id=world.member.id)
    db.session.add_all([mentor, novice])
    db.session.flush()
    pair = Pair(programme_id=programme.id, mentor_id=mentor.id, novice_id=novice.id, state="active")
    db.session.add(pair)
    db.session.commit()
    assert_route_permissions(
        app,
        world,
        {
            "mentoring.index": "login",
            "mentoring.programmes": "member",
            "mentoring.new_programme": "manager",
            "mentoring.programme": "member",
            "mentoring.edit_programme": "manager",
            "mentoring.enrol_mentor": "member",
            "mentoring.enrol_novice": "member",
            "mentoring.mentors": "member",
            "mentoring.assign": "manager",
            "mentoring.programme_report": "manager",
            "mentoring.programme_report_csv": "manager",
            # a pair's pages: its two people (the member is its young specialist) and the
            # programme's coordinators; another member of the association is an outsider here
            "mentoring.pair": "member",
            "mentoring.pair_report": "member",
            "mentoring.pair_report_csv": "member",
            "mentoring.new_observation": "member",
        },
        arg_defaults={
            "programme_id": lambda w: programme.id,
            "pair_id": lambda w: pair.id,
        },
        only=lambda endpoint: endpoint.startswith("mentoring."),
    )
