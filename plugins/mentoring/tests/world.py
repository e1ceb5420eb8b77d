"""A small mentoring world for the tests: one school association with a leader, a named
coordinator, certified mentors and young specialists, built straight through the models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.extensions import db
from core.models import District, School, Subject
from plugins.mentoring.models import MentorProfile, NoviceRequest, Pair, Programme


@dataclass
class World:
    association: object
    programme: Programme
    leader: object
    coordinator: object
    outsider_member: object
    math: Subject
    physics: Subject
    school: School
    other_school: School
    district: District
    users: dict = field(default_factory=dict)


def make_world(factory, *, max_mentees: int = 2, min_category: str = "moderator") -> World:
    region = factory.region(code="kostanay")
    district = District(
        region_id=region.id, name_kk="Қостанай", name_ru="Костанай", name_en="Kostanay"
    )
    db.session.add(district)
    db.session.flush()
    school = School(name="«Даму» мектеп-гимназиясы", region_id=region.id, district_id=district.id)
    other = School(name="№5 мектеп", region_id=region.id, district_id=district.id)
    math = Subject(code="math", name_kk="Математика", name_ru="Математика", name_en="Mathematics")
    physics = Subject(code="physics", name_kk="Физика", name_ru="Физика", name_en="Physics")
    db.session.add_all([school, other, math, physics])
    db.session.commit()
    association = factory.association(slug="damu-ma", region_id=region.id)
    leader = factory.member(association, factory.user(full_name="Роза Ахметова"), role="leader")
    coordinator = factory.member(association, factory.user(full_name="Павел Никитин"))
    outsider_member = factory.member(association, factory.user(full_name="Мария Белова"))
    programme = Programme(
        association_id=association.id,
        name="Тәжірибе – жастарға",
        period="2026-2027",
        min_category=min_category,
        max_mentees=max_mentees,
        meetings_per_month=2,
        observations_required=2,
    )
    db.session.add(programme)
    db.session.flush()
    from plugins.mentoring.models import ProgrammeCoordinator

    db.session.add(ProgrammeCoordinator(programme_id=programme.id, user_id=coordinator.id))
    db.session.commit()
    return World(
        association,
        programme,
        leader,
        coordinator,
        outsider_member,
        math,
        physics,
        school,
        other,
        district,
    )


def add_mentor(
    factory,
    w: World,
    name: str,
    *,
    category: str = "expert",
    capacity: int = 1,
    subject=None,
    strengths: str = "assessment,ict",
    school=None,
    status="approved",
):
    user = factory.member(
        w.association,
        factory.user(
            full_name=name,
            category=category,
            experience_years=15,
            school_id=(school or w.school).id,
            district_id=w.district.id,
        ),
    )
    profile = MentorProfile(
        programme_id=w.programme.id,
        user_id=user.id,
        subjects=str((subject or w.math).id),
        grades="5,6,7",
        languages="kk,ru",
        category=category,
        experience_years=15,
        school_id=(school or w.school).id,
        district_id=w.district.id,
        strengths=strengths,
        capacity=capacity,
        status=status,
    )
    db.session.add(profile)
    db.session.commit()
    return user, profile


def add_novice(
    factory,
    w: World,
    name: str,
    *,
    subject=None,
    needs: str = "assessment",
    language: str = "kk",
    school=None,
):
    user = factory.member(
        w.association,
        factory.user(
            full_name=name,
            experience_years=1,
            school_id=(school or w.school).id,
            district_id=w.district.id,
        ),
    )
    req = NoviceRequest(
        programme_id=w.programme.id,
        user_id=user.id,
        subject_id=(subject or w.math).id,
        grades="5",
        language=language,
        school_id=(school or w.school).id,
        district_id=w.district.id,
        needs=needs,
        diagnostic="Бағалау критерийлерін құру қиын",
    )
    db.session.add(req)
    db.session.commit()
    return user, req


def add_pair(mentor: MentorProfile, novice: NoviceRequest, state: str = "active") -> Pair:
    now = dt.datetime(2026, 10, 1, 9, 0)
    pair = Pair(
        programme_id=mentor.programme_id,
        mentor_id=mentor.id,
        novice_id=novice.id,
        state=state,
        mentor_accepted_at=now if state != "proposed" else None,
        novice_accepted_at=now if state != "proposed" else None,
        started_at=now if state != "proposed" else None,
    )
    db.session.add(pair)
    db.session.commit()
    return pair


def programme_url(w: World, tail: str = "") -> str:
    return f"/mentoring/a/{w.association.slug}/{w.programme.id}/{tail}"


def client_for(app, login, user):
    """A test client logged in as ``user`` (one client per person, like one browser each)."""
    client = app.test_client()
    login(client, user)
    return client


def get_in(client, url: str, lang: str):
    """GET ``url`` asking for ``lang``. The tests hold one app context, whose ``g`` keeps
    Flask-Babel's chosen locale across requests: forget it first."""
    from flask_babel import refresh

    refresh()
    return client.get(url, headers={"Accept-Language": lang})
