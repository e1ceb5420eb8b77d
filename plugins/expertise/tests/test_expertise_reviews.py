"""Rubric reviews: computed totals, who reads what (confidential notes, openness settings),
authors' responses and moderated comments."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.expertise.models import Comment, Review, Settings, Submission
from plugins.expertise.services import compute_total
from plugins.expertise.tests.conftest import (
    accept_invitation,
    as_user,
    assign,
    logout,
    review_data,
    reviewed,
    step,
    to_review,
)

SECRET = "Confidential: the author copied part of stage 2."


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0.1, max_value=100, allow_nan=False),
            st.integers(min_value=1, max_value=10),
        ).flatmap(lambda wm: st.tuples(st.just(wm[0]), st.integers(0, wm[1]), st.just(wm[1]))),
        min_size=1,
        max_size=15,
    )
)
def test_total_is_the_weighted_rubric_sum(items):
    expected = sum(w * s / m for w, s, m in items) / sum(w for w, _s, _m in items) * 100
    total = compute_total(items)
    assert abs(total - expected) < 1e-6
    assert 0 <= total <= 100 + 1e-9


def test_review_total_is_computed_never_typed(world, client, post):
    sub_id = to_review(client, post, world)
    assign(client, post, sub_id, world.expert1)
    assignment_id = accept_invitation(client, post, sub_id, world.expert1)
    sub = db.session.get(Submission, sub_id)
    criteria = sub.rubric.criteria
    assert len(criteria) == 10 and sub.rubric.scale_max == 3
    scores = [3, 2, 1, 0, 3, 3, 2, 2, 1, 3]
    data = review_data(sub_id, scores=scores, total="100")
    page = client.get(f"/expertise/assignment/{assignment_id}/review").get_data(as_text=True)
    assert all(c.title in page and c.levels[3] in page for c in criteria)
    assert post(client, f"/expertise/assignment/{assignment_id}/review", data).status_code == 302
    review = db.session.scalar(select(Review))
    assert abs(review.total - sum(scores) / 30 * 100) < 1e-9
    assert [s.score for s in review.scores] == scores
    assert review.version_id == sub.latest.id and review.round == 1


def test_review_form_errors_keep_what_was_typed(world, client, post):
    sub_id = to_review(client, post, world)
    assign(client, post, sub_id, world.expert1)
    assignment_id = accept_invitation(client, post, sub_id, world.expert1)
    data = review_data(sub_id, to_author="")
    first = next(k for k in data if k.startswith("score_"))
    data.pop(first)
    data["confidential"] = "kept note"
    resp = post(client, f"/expertise/assignment/{assignment_id}/review", data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'class="error"' in html and "kept note" in html
    assert db.session.scalar(select(Review.id)) is None


def test_author_cannot_review_own_material(world, client, post):
    sub_id = to_review(client, post, world)
    assign(client, post, sub_id, world.expert1)
    assignment_id = accept_invitation(client, post, sub_id, world.expert1)
    for user in (world.author, world.coauthor, world.expert2):
        as_user(client, user)
        assert client.get(f"/expertise/assignment/{assignment_id}/review").status_code == 403
        resp = post(client, f"/expertise/assignment/{assignment_id}/review", review_data(sub_id))
        assert resp.status_code == 403
    # Nor can the author be assigned to it (an author is always a conflict).
    from core.models import Membership, Role

    m = db.session.scalar(select(Membership).where(Membership.user_id == world.author.id))
    m.role = Role.EXPERT.value
    db.session.commit()
    as_user(client, world.coordinator)
    assert assign(client, post, sub_id, world.author).status_code == 303
    assert db.session.scalar(select(Review.id)) is None


def test_confidential_note_only_for_coordinator_and_writer(world, client, post, factory):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    assert SECRET in client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    as_user(client, world.expert1)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert page.count(SECRET) == 1  # their own note only
    as_user(client, world.author)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Жақсы жоспар" in page and SECRET not in page
    as_user(client, world.coordinator)
    step(client, post, sub_id, "recommend")
    for user in (world.author, world.member, factory.user()):
        as_user(client, user)
        page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
        assert "Жақсы жоспар" in page and SECRET not in page
    logout(client)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Жақсы жоспар" in page and SECRET not in page


def test_reviews_hidden_until_decision_when_chosen(world, client, post):
    db.session.add(Settings(association_id=world.association.id, hide_until_decision=True))
    db.session.commit()
    sub_id = reviewed(client, post, world)
    as_user(client, world.author)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Жақсы жоспар" not in page and "Expert One" not in page
    as_user(client, world.expert2)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert page.count("Жақсы жоспар") == 1  # own review, not expert1's
    as_user(client, world.coordinator)
    assert client.get(f"/expertise/s/{sub_id}").get_data(as_text=True).count("Жақсы жоспар") == 2
    step(client, post, sub_id, "minor", "")
    as_user(client, world.author)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert page.count("Жақсы жоспар") == 2 and "Expert One" in page


def test_anonymity_modes(world, client, post):
    row = Settings(association_id=world.association.id, reviewer_identity="anonymous")
    db.session.add(row)
    db.session.commit()
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    step(client, post, sub_id, "recommend")
    logout(client)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Жақсы жоспар" in page
    assert "Expert One" not in page and "Expert Two" not in page
    row.reviewer_identity = "anonymous_until_decision"
    db.session.commit()
    assert "Expert One" in client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)


def test_anonymous_until_decision_hides_names_from_author_before(world, client, post):
    db.session.add(
        Settings(association_id=world.association.id, reviewer_identity="anonymous_until_decision")
    )
    db.session.commit()
    sub_id = reviewed(client, post, world)
    as_user(client, world.author)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Жақсы жоспар" in page and "Expert One" not in page


def test_author_responds_and_expert_is_notified(world, client, post):
    sub_id = reviewed(client, post, world)
    review = db.session.scalar(select(Review).where(Review.expert_id == world.expert1.id))
    as_user(client, world.member)
    resp = post(client, f"/expertise/review/{review.id}/response", {"response": "x"})
    assert resp.status_code == 403
    as_user(client, world.author)
    resp = post(
        client, f"/expertise/review/{review.id}/response", {"response": "Рақмет, түзеттім."}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Review, review.id).response == "Рақмет, түзеттім."
    assert db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == world.expert1.id, Notification.kind == "expertise.response"
        )
    )
    assert "Рақмет, түзеттім." in client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)


def test_comments_threaded_one_level_and_moderated(world, client, post, factory):
    sub_id = reviewed(client, post, world)
    as_user(client, world.member)
    url = f"/expertise/s/{sub_id}/comment"
    assert post(client, url, {"body": "Too early"}).status_code == 403  # not published yet
    as_user(client, world.coordinator)
    step(client, post, sub_id, "recommend")
    as_user(client, world.member)
    assert post(client, url, {"body": "Пайдалы жоспар!"}).status_code == 302
    top = db.session.scalar(select(Comment))
    assert post(client, url, {"body": "Жауап", "parent_id": str(top.id)}).status_code == 302
    reply = db.session.scalar(select(Comment).where(Comment.parent_id == top.id))
    assert (
        post(client, url, {"body": "Reply to reply", "parent_id": str(reply.id)}).status_code == 302
    )
    deeper = db.session.scalar(select(Comment).where(Comment.body == "Reply to reply"))
    assert deeper.parent_id == top.id  # kept one level deep
    outsider = factory.user()
    as_user(client, outsider)
    assert post(client, url, {"body": "spam"}).status_code == 403
    # Members cannot hide; moderators (and coordinators) can.
    as_user(client, world.member)
    assert post(client, f"/expertise/comment/{top.id}/hide", {}).status_code == 403
    mod = factory.member(world.association, factory.user(full_name="Mod"), "moderator")
    as_user(client, mod)
    assert post(client, f"/expertise/comment/{top.id}/hide", {}).status_code == 302
    logout(client)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Пайдалы жоспар!" not in page
