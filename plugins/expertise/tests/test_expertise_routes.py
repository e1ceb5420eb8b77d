"""Every GET route of the plugin, walked as anonymous, outsider, member, leader and site admin
(core.testing_routes): no page answers 200 to someone below its level."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from core.extensions import db
from core.models import Membership, Role
from core.testing_routes import assert_route_permissions, seed_world
from core.timeutil import utcnow
from plugins.expertise import services as svc
from plugins.expertise.models import Assignment, File, Submission, Version


def _submission(world, author, state: str, round_: int = 0) -> Submission:
    sub = Submission(
        association_id=world.association.id,
        author_id=author.id,
        title=f"Материал {state}",
        material_type="lesson_plan",
        grade_from=5,
        grade_to=6,
        language="kk",
        abstract="Аннотация",
        state=state,
        round=round_,
    )
    version = Version(number=1)
    version.files.append(
        File(path="expertise/none.pdf", original_name="a.pdf", kind="pdf", mime="x", size=1)
    )
    sub.versions.append(version)
    db.session.add(sub)
    db.session.flush()
    return sub


def test_expertise_routes_check_permissions(app, factory):
    world = seed_world(factory, slug="walk")
    own = _submission(world, world.member, "draft")
    revision = _submission(world, world.member, "minor_revision", 1)
    other_author = factory.member(world.association, factory.user())
    in_review = _submission(world, other_author, "in_review", 1)
    with app.test_request_context():
        in_review.rubric_id = svc.default_rubric(world.association).id
    # The walk's member is an expert who accepted to review another author's material.
    db.session.scalar(
        select(Membership).where(
            Membership.user_id == world.member.id,
            Membership.association_id == world.association.id,
        )
    ).role = Role.EXPERT.value
    now = utcnow()
    assignment = Assignment(
        submission_id=in_review.id,
        version_id=in_review.versions[0].id,
        round=1,
        expert_id=world.member.id,
        status="accepted",
        respond_by=now + dt.timedelta(days=3),
        due_at=now + dt.timedelta(days=10),
    )
    db.session.add(assignment)
    db.session.commit()
    _write_file(app)
    assert_route_permissions(
        app,
        world,
        {
            "expertise.library": "public",
            "expertise.association_home": "public",
            "expertise.mine": "login",
            "expertise.submit": "member",
            "expertise.edit": "member",  # the author only
            "expertise.submission": "member",  # the author, experts, coordinators
            "expertise.resubmit": "member",
            "expertise.download": "member",
            "expertise.review": "member",  # the assigned expert only
            "expertise.assign": "manager",
            "expertise.dashboard": "manager",
            "expertise.settings": "manager",
            "expertise.balance": "manager",
            "expertise.bids": "member",  # experts bid, coordinators read the bids
        },
        url_args={
            "expertise.edit": {"sub_id": own.id},
            "expertise.submission": {"sub_id": own.id},
            "expertise.resubmit": {"sub_id": revision.id},
            "expertise.assign": {"sub_id": in_review.id},
            "expertise.download": {"file_id": own.versions[0].files[0].id},
            "expertise.review": {"assignment_id": assignment.id},
        },
        only=lambda endpoint: endpoint.startswith("expertise."),
    )


def _write_file(app) -> None:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "expertise"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "none.pdf").write_bytes(b"%PDF-1.4\n")
