"""core.services.associations.exclude_member: a decided exclusion removes the membership,
is audited, keeps the member count right and never leaves an association without a leader."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.api import exclude_member
from core.extensions import db
from core.models import AuditLog, Membership
from core.services.associations import MembershipError


@pytest.fixture
def app(make_app):
    app = make_app(plugins="none")
    with app.app_context():
        yield app


def test_exclusion_removes_the_membership_and_is_audited(app, factory):
    a = factory.association(slug="club")
    leader = factory.member(a, role="leader")
    member = factory.member(a)
    db.session.commit()
    exclude_member(a, member, leader, "Ережені бұзды")
    db.session.commit()
    assert db.session.scalar(select(Membership).where(Membership.user_id == member.id)) is None
    assert a.member_count == 1
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "association.exclude"))
    assert log.actor_id == leader.id and log.details["user_id"] == member.id
    assert log.details["reason"] == "Ережені бұзды"
    with pytest.raises(MembershipError):
        exclude_member(a, member, leader, "again")


def test_the_last_leader_cannot_be_excluded(app, factory):
    a = factory.association(slug="club")
    leader = factory.member(a, role="leader")
    db.session.commit()
    with pytest.raises(MembershipError):
        exclude_member(a, leader, leader, "")
    second = factory.member(a, role="leader")
    db.session.commit()
    exclude_member(a, leader, second, "")
    db.session.commit()
    assert db.session.scalar(select(Membership).where(Membership.user_id == leader.id)) is None
