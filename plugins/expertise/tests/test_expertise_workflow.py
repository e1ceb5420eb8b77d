"""The submission workflow over HTTP: every transition, and the ones that must be refused."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import Certificate, Notification
from plugins.expertise.models import Review, Submission, Transition, Version
from plugins.expertise.services import TRANSITIONS
from plugins.expertise.tests.conftest import (
    as_user,
    assign,
    logout,
    pdf_file,
    reviewed,
    step,
    submission_data,
    submit,
    to_review,
)


def _sub(sub_id: int) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, sub_id)


def test_submission_keeps_metadata_coauthors_and_first_version(world, client, post):
    sub_id = submit(client, post, world)
    sub = _sub(sub_id)
    assert sub.state == "submitted"
    assert (sub.title, sub.material_type, sub.language) == ("Бөлшектерді қосу", "lesson_plan", "kk")
    assert (sub.grade_from, sub.grade_to, sub.subject_id) == (5, 6, world.subject.id)
    assert sub.keywords == "бөлшек, қосу"
    assert [u.id for u in sub.coauthors] == [world.coauthor.id]
    assert [v.number for v in sub.versions] == [1]
    assert [f.original_name for f in sub.latest.files] == ["plan.pdf"]
    t = sub.transitions[-1]
    assert (t.actor_id, t.from_state, t.to_state, t.action) == (
        world.author.id,
        "draft",
        "submitted",
        "submit",
    )
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == world.coordinator.id)
    ).all()
    assert "expertise.submission" in kinds
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Coauthor" in page and "plan.pdf" in page


def test_draft_then_submit_and_coauthor_may_act(world, client, post):
    as_user(client, world.author)
    data = submission_data(world)
    data.pop("send")
    data["draft"] = "1"
    resp = post(
        client, "/expertise/a/kostanay-math/submit", data, content_type="multipart/form-data"
    )
    sub_id = int(resp.location.rstrip("/").rsplit("/", 1)[-1])
    assert _sub(sub_id).state == "draft"
    as_user(client, world.coauthor)
    assert step(client, post, sub_id, "submit").status_code == 302
    assert _sub(sub_id).state == "submitted"


def test_non_member_cannot_submit_and_outsider_cannot_see_drafts(world, client, post, factory):
    outsider = factory.user()
    as_user(client, outsider)
    assert client.get("/expertise/a/kostanay-math/submit").status_code == 403
    resp = post(
        client,
        "/expertise/a/kostanay-math/submit",
        submission_data(world),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 403
    assert db.session.scalar(select(Submission.id)) is None
    sub_id = submit(client, post, world)
    for user in (outsider, world.member, world.expert1):
        as_user(client, user)
        assert client.get(f"/expertise/s/{sub_id}").status_code == 403
    logout(client)
    assert client.get(f"/expertise/s/{sub_id}").status_code in (302, 401)


def test_screening_return_needs_reason_then_author_submits_again(world, client, post):
    sub_id = submit(client, post, world)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "screen").status_code == 302
    assert step(client, post, sub_id, "return", "").status_code == 303  # refused: no reason
    assert _sub(sub_id).state == "screening"
    assert step(client, post, sub_id, "return", "Бағалау критерийлері жоқ").status_code == 302
    sub = _sub(sub_id)
    assert sub.state == "returned"
    assert sub.transitions[-1].note == "Бағалау критерийлері жоқ"
    author_notes = db.session.scalars(
        select(Notification).where(
            Notification.user_id == world.author.id, Notification.kind == "expertise.status"
        )
    ).all()
    assert author_notes and "Бағалау критерийлері жоқ" in author_notes[-1].body
    as_user(client, world.author)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Бағалау критерийлері жоқ" in page
    resp = post(
        client,
        f"/expertise/s/{sub_id}/edit",
        submission_data(world, title="Жаңа атау", files=[pdf_file("criteria.pdf")]),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    assert step(client, post, sub_id, "submit").status_code == 302
    sub = _sub(sub_id)
    assert (sub.state, sub.title) == ("submitted", "Жаңа атау")
    assert sorted(f.original_name for f in sub.latest.files) == ["criteria.pdf", "plan.pdf"]


def test_forbidden_transitions_are_refused_server_side(world, client, post):
    sub_id = submit(client, post, world)
    # The author may not screen their own material.
    assert step(client, post, sub_id, "screen").status_code == 303
    # Unknown actions and actions of another state are refused.
    as_user(client, world.coordinator)
    for action in ("recommend", "accept", "publish", "resubmit"):
        assert step(client, post, sub_id, action).status_code == 303
    assert _sub(sub_id).state == "submitted"
    # A member who is neither author nor coordinator cannot post a step at all.
    as_user(client, world.member)
    assert step(client, post, sub_id, "screen").status_code == 403
    # No CSRF token: refused.
    as_user(client, world.coordinator)
    assert client.post(f"/expertise/s/{sub_id}/step/screen").status_code == 400
    assert _sub(sub_id).state == "submitted"
    assert len(_sub(sub_id).transitions) == 1


def test_decision_needs_a_review_of_the_round(world, client, post):
    sub_id = to_review(client, post, world)
    assert step(client, post, sub_id, "recommend").status_code == 303
    assert _sub(sub_id).state == "in_review"


def test_rounds_versions_and_decision_recommended(world, client, post):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "minor", "Саралауды толықтырыңыз").status_code == 302
    assert _sub(sub_id).state == "minor_revision"
    for expert in (world.expert1, world.expert2):
        assert db.session.scalar(
            select(Notification.id).where(
                Notification.user_id == expert.id, Notification.kind == "expertise.decision"
            )
        )
    # Only the author resubmits, with a new version.
    assert client.get(f"/expertise/s/{sub_id}/resubmit").status_code == 403
    as_user(client, world.author)
    resp = post(
        client,
        f"/expertise/s/{sub_id}/resubmit",
        {"note": "Саралау қосылды", "files": [pdf_file("plan-v2.pdf")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    sub = _sub(sub_id)
    assert (sub.state, sub.round) == ("in_review", 2)
    assert [v.number for v in sub.versions] == [1, 2]
    # Reviews belong to version 1 and stay readable next to version 2.
    v1 = db.session.scalar(
        select(Version).where(Version.submission_id == sub_id, Version.number == 1)
    )
    assert {r.version_id for r in db.session.scalars(select(Review))} == {v1.id}
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "plan-v2.pdf" in page and "plan.pdf" in page and "Expert One" in page
    # After a minor revision the coordinator may decide without a new review.
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "recommend").status_code == 302
    sub = _sub(sub_id)
    assert sub.state == "recommended" and sub.published_at and sub.rereview_due
    assert sub.rereview_due.year == sub.published_at.year + 3
    assert [t.to_state for t in sub.transitions] == [
        "submitted",
        "screening",
        "in_review",
        "minor_revision",
        "in_review",
        "recommended",
    ]
    keys = set(db.session.scalars(select(Certificate.source_key)))
    assert f"expertise:material:{sub_id}:user:{world.author.id}" in keys
    assert f"expertise:material:{sub_id}:user:{world.coauthor.id}" in keys
    # A decided material cannot be withdrawn or decided again.
    as_user(client, world.author)
    assert step(client, post, sub_id, "withdraw").status_code == 303
    assert _sub(sub_id).state == "recommended"


def test_major_revision_needs_a_new_review_and_not_recommended_is_final(world, client, post):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "major", "Қайта жазыңыз").status_code == 302
    as_user(client, world.author)
    post(
        client,
        f"/expertise/s/{sub_id}/resubmit",
        {"note": "v2", "files": [pdf_file("v2.pdf")]},
        content_type="multipart/form-data",
    )
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "reject").status_code == 303  # no review of round 2
    assert assign(client, post, sub_id, world.expert2).status_code == 302
    from plugins.expertise.tests.conftest import write_review

    write_review(client, post, sub_id, world.expert2, recommendation="not_recommended")
    as_user(client, world.coordinator)
    assert (
        step(client, post, sub_id, "reject", "Сәйкес емес", "Бір сарапшы жеткілікті").status_code
        == 302
    )
    assert _sub(sub_id).state == "not_recommended"
    assert client.get("/expertise/library").get_data(as_text=True).count("Бөлшектерді") == 0


def test_author_withdraws_before_decision_and_open_invitations_lapse(world, client, post):
    sub_id = to_review(client, post, world)
    assert assign(client, post, sub_id, world.expert1).status_code == 302
    as_user(client, world.author)
    assert step(client, post, sub_id, "withdraw").status_code == 302
    sub = _sub(sub_id)
    assert sub.state == "withdrawn"
    from plugins.expertise.models import Assignment

    assert db.session.scalar(select(Assignment.status)) == "removed"


def test_transition_table_is_the_only_way_and_every_step_is_recorded(world, client, post):
    # Every state but the final ones has a way out; final states have none, except the
    # re-review a coordinator starts on a recommended material once it is due.
    states_with_exits = {s for s, a in TRANSITIONS if a != "rereview"}
    assert {"recommended", "not_recommended", "withdrawn"}.isdisjoint(states_with_exits)
    assert [a for s, a in TRANSITIONS if s == "recommended"] == ["rereview"]
    sub_id = submit(client, post, world)
    as_user(client, world.coordinator)
    step(client, post, sub_id, "screen", "")
    rows = db.session.scalars(select(Transition).where(Transition.submission_id == sub_id)).all()
    assert [(r.from_state, r.to_state) for r in rows] == [
        ("draft", "submitted"),
        ("submitted", "screening"),
    ]
    assert rows[1].actor_id == world.coordinator.id and rows[1].created_at is not None


def test_a_coordinator_cannot_handle_their_own_material(world, client, post, factory):
    from core.models import Role

    sub_id = submit(client, post, world)
    as_user(client, world.coordinator)
    step(client, post, sub_id, "screen")
    step(client, post, sub_id, "accept")
    # The coordinator writes a material too; a second coordinator exists.
    other = factory.member(world.association, factory.user(full_name="Second"), Role.COORDINATOR)
    as_user(client, world.coordinator)
    own = submit(client, post, world)
    db.session.get(Submission, own).author_id = world.coordinator.id
    db.session.commit()
    as_user(client, world.coordinator)
    resp = step(client, post, own, "screen")
    assert resp.status_code == 303
    assert "Another coordinator must handle your own material." in client.get(
        resp.location
    ).get_data(as_text=True)
    assert _sub(own).state == "submitted"
    as_user(client, other)
    assert step(client, post, own, "screen").status_code == 302
    assert _sub(own).state == "screening"
