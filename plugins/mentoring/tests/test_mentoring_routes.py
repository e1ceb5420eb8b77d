"""The core's route-permission walk over every mentoring page: anonymous, outsider, member
(the young specialist of the walk's pair), leader (a coordinator) and site administrator."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from core.testing_routes import assert_route_permissions, seed_world
from plugins.mentoring.models import (
    Goal,
    Meeting,
    MentorProfile,
    NoviceRequest,
    Observation,
    Pair,
    Programme,
)


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
    began = dt.datetime(2026, 10, 1, 9, 0)
    pair = Pair(
        programme_id=programme.id,
        mentor_id=mentor.id,
        novice_id=novice.id,
        state="active",
        started_at=began,
    )
    db.session.add(pair)
    db.session.flush()
    goal = Goal(pair_id=pair.id, title="Мақсат", target_date=dt.date(2026, 12, 1))
    goal.author_id = world.member.id
    held = Meeting(
        pair_id=pair.id,
        held_on=dt.date(2026, 10, 5),
        duration_minutes=45,
        topic="Бағалау",
        author_id=world.member.id,
    )
    planned = Meeting(
        pair_id=pair.id,
        status="planned",
        starts_at=dt.datetime(2099, 1, 5, 10, 0),
        held_on=dt.date(2099, 1, 5),
        duration_minutes=45,
        topic="Жоспар",
        link="https://meet.example.kz/a",
        author_id=world.member.id,
    )
    obs = Observation(
        pair_id=pair.id,
        observed="mentor",
        lesson_date=dt.date(2026, 10, 6),
        lesson_topic="Сабақ",
        went_well="Жақсы",
        to_improve="—",
        author_id=world.member.id,
    )
    db.session.add_all([goal, held, planned, obs])
    db.session.commit()
    planned_args = {"pair_id": pair.id, "meeting_id": planned.id}
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
            # planned meetings, edits and history: the pair's people (the member wrote them)
            "mentoring.meeting_ics": "member",
            "mentoring.move_meeting": "member",
            "mentoring.hold_meeting": "member",
            "mentoring.edit_meeting": "member",
            "mentoring.edit_goal": "member",
            "mentoring.edit_observation": "member",
            "mentoring.history": "member",
            "mentoring.messages": "member",
            "mentoring.requests": "manager",
        },
        url_args={
            "mentoring.meeting_ics": lambda w: planned_args,
            "mentoring.move_meeting": lambda w: planned_args,
            "mentoring.hold_meeting": lambda w: planned_args,
            "mentoring.edit_meeting": lambda w: {"pair_id": pair.id, "meeting_id": held.id},
            "mentoring.edit_goal": lambda w: {"pair_id": pair.id, "goal_id": goal.id},
            "mentoring.edit_observation": lambda w: {"pair_id": pair.id, "obs_id": obs.id},
        },
        arg_defaults={
            "programme_id": lambda w: programme.id,
            "pair_id": lambda w: pair.id,
        },
        only=lambda endpoint: endpoint.startswith("mentoring."),
    )
