"""Experts: who counts as one, ranked suggestions without conflicts, assignment refused for a
conflict even by a direct POST, invitations, reassignment and the reminder job."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.extensions import db
from core.models import Membership, Notification, OutboxEmail, Role
from core.services import jobs
from plugins.expertise.models import Assignment, Conflict, Settings
from plugins.expertise.tests.conftest import (
    accept_invitation,
    as_user,
    assign,
    to_review,
)


def _assignments(sub_id: int) -> list[Assignment]:
    db.session.expire_all()
    return db.session.scalars(
        select(Assignment).where(Assignment.submission_id == sub_id).order_by(Assignment.id)
    ).all()


def test_suggestions_rank_subject_first_and_exclude_conflicts(world, client, post):
    sub_id = to_review(client, post, world)
    db.session.add(Conflict(submission_id=sub_id, expert_id=world.expert2.id, reason="сіңлім"))
    db.session.commit()
    page = client.get(f"/expertise/s/{sub_id}/assign").get_data(as_text=True)
    suggested, excluded = page.split("Excluded for a conflict of interest", 1)
    assert "Expert One" in suggested
    assert "School Expert" not in suggested and "Expert Two" not in suggested
    assert "School Expert" in excluded and "Expert Two" in excluded
    assert "Plain Member" not in page  # not an expert


def test_ranking_prefers_subject_language_and_spare_capacity(world, client, post):
    from plugins.expertise import services as svc
    from plugins.expertise.models import Submission

    sub_id = to_review(client, post, world)
    sub = db.session.get(Submission, sub_id)
    with client.application.test_request_context():
        ranked, _ = svc.suggestions(sub)
    assert [s.expert.full_name for s in ranked] == ["Expert One", "Expert Two"]
    assert ranked[0].subject_match and ranked[0].language_match
    assert not ranked[1].subject_match


def test_conflicted_expert_cannot_be_assigned_even_by_direct_post(world, client, post):
    sub_id = to_review(client, post, world)
    # Same school as the author.
    resp = assign(client, post, sub_id, world.school_expert)
    assert resp.status_code == 303
    assert not _assignments(sub_id)
    page = client.get(resp.location).get_data(as_text=True)
    assert "Conflict of interest: same school as an author." in page
    # A co-author who is an expert too.
    m = db.session.scalar(select(Membership).where(Membership.user_id == world.coauthor.id))
    m.role = Role.EXPERT.value
    db.session.commit()
    assert assign(client, post, sub_id, world.coauthor).status_code == 303
    # A declared conflict.
    db.session.add(Conflict(submission_id=sub_id, expert_id=world.expert2.id, reason="relative"))
    db.session.commit()
    assert assign(client, post, sub_id, world.expert2).status_code == 303
    # A plain member is not an expert.
    assert assign(client, post, sub_id, world.member).status_code == 303
    assert not _assignments(sub_id)
    # Only the coordinator assigns.
    as_user(client, world.author)
    assert assign(client, post, sub_id, world.expert1).status_code == 403
    assert not _assignments(sub_id)


def test_minimum_category_makes_members_experts(world, client, post):
    world.member.category = "researcher"
    db.session.add(Settings(association_id=world.association.id, min_category="expert"))
    db.session.commit()
    sub_id = to_review(client, post, world)
    assert assign(client, post, sub_id, world.member).status_code == 302
    assert [a.expert_id for a in _assignments(sub_id)] == [world.member.id]


def test_invitation_accept_decline_and_reassign(world, client, post):
    sub_id = to_review(client, post, world)
    assign(client, post, sub_id, world.expert1)
    assign(client, post, sub_id, world.expert2)
    invited = _assignments(sub_id)
    assert [a.status for a in invited] == ["invited", "invited"]
    assert db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == world.expert1.id, Notification.kind == "expertise.invitation"
        )
    )
    # Another expert cannot answer someone else's invitation.
    as_user(client, world.expert2)
    assert post(client, f"/expertise/assignment/{invited[0].id}/accept", {}).status_code == 403
    accept_invitation(client, post, sub_id, world.expert1)
    as_user(client, world.expert2)
    resp = post(client, f"/expertise/assignment/{invited[1].id}/decline", {"reason": "Уақыт жоқ"})
    assert resp.status_code == 302
    assert [a.status for a in _assignments(sub_id)] == ["accepted", "declined"]
    assert db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == world.coordinator.id,
            Notification.kind == "expertise.assignment",
        )
    )
    # The coordinator reassigns: a member is given the expert role and invited.
    m = db.session.scalar(select(Membership).where(Membership.user_id == world.member.id))
    m.role = Role.EXPERT.value
    db.session.commit()
    as_user(client, world.coordinator)
    assert "Still needed: 1" in client.get(f"/expertise/s/{sub_id}/assign").get_data(as_text=True)
    assert assign(client, post, sub_id, world.member).status_code == 302
    # The same expert cannot be invited twice in a round.
    assert assign(client, post, sub_id, world.expert1).status_code == 303
    assert [a.status for a in _assignments(sub_id)] == ["accepted", "declined", "invited"]
    # A late or unwanted assignment is removed by the coordinator only.
    accepted = _assignments(sub_id)[0]
    as_user(client, world.expert2)
    assert post(client, f"/expertise/assignment/{accepted.id}/remove", {}).status_code == 403
    as_user(client, world.coordinator)
    assert post(client, f"/expertise/assignment/{accepted.id}/remove", {}).status_code == 302
    assert [a.status for a in _assignments(sub_id)] == ["removed", "declined", "invited"]
    assert "Still needed: 1" in client.get(f"/expertise/s/{sub_id}/assign").get_data(as_text=True)


def test_expert_declares_conflict(world, client, post):
    sub_id = to_review(client, post, world)
    assign(client, post, sub_id, world.expert1)
    as_user(client, world.expert1)
    resp = post(client, f"/expertise/s/{sub_id}/conflict", {"reason": "Менің шәкіртім"})
    assert resp.status_code == 302
    assert _assignments(sub_id)[0].status == "declined"
    assert db.session.scalar(select(Conflict.reason)) == "Менің шәкіртім"
    as_user(client, world.coordinator)
    assert assign(client, post, sub_id, world.expert1).status_code == 303


def test_reminder_job_is_idempotent_expires_and_flags_late(world, client, post):
    sub_id = to_review(client, post, world)
    assign(client, post, sub_id, world.expert1)
    assign(client, post, sub_id, world.expert2)
    accept_invitation(client, post, sub_id, world.expert2)
    a1, a2 = _assignments(sub_id)

    def count(kind, user):
        return db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.kind == kind, Notification.user_id == user.id
            )
        )

    # Run as `qauym jobs run` does: in the app context, outside any request.
    near = a1.respond_by - dt.timedelta(days=1)
    assert jobs.run_due(now=near, force=True)["expertise.reminders"] == "ran"
    assert jobs.run_due(now=near + dt.timedelta(minutes=1), force=True)
    assert count("expertise.reminder", world.expert1) == 1
    later = a1.respond_by + dt.timedelta(hours=1)
    jobs.run_due(now=later, force=True)
    jobs.run_due(now=later, force=True)
    assert db.session.get(Assignment, a1.id).status == "expired"
    late = a2.due_at + dt.timedelta(hours=1)
    jobs.run_due(now=late, force=True)
    jobs.run_due(now=late, force=True)
    assignment_notes = count("expertise.assignment", world.coordinator)
    assert assignment_notes == 2  # one for the expiry, one for the late review
    assert db.session.get(Assignment, a2.id).late_notified_at is not None
    assert db.session.scalar(select(func.count(OutboxEmail.id))) > 0
    page = client.get("/expertise/a/kostanay-math/dashboard").get_data(as_text=True)
    assert "Expert Two" in page


def test_an_expired_invitation_cannot_be_accepted(world, client, post):
    sub_id = to_review(client, post, world)
    assign(client, post, sub_id, world.expert2)
    a = _assignments(sub_id)[0]
    a.respond_by = a.invited_at - dt.timedelta(minutes=1)
    db.session.commit()
    as_user(client, world.expert2)
    resp = post(client, f"/expertise/assignment/{a.id}/accept", {})
    assert resp.status_code == 303
    assert "The invitation has expired." in client.get(resp.location).get_data(as_text=True)
    assert _assignments(sub_id)[0].status == "invited"
