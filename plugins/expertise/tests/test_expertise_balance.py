"""Bids, balanced assignment (preview, adjustment, confirmation), the experts' discussion, the
coordinator's meta-review, and the wording of reviews and comments, through the app."""

from __future__ import annotations

import re

from core.extensions import db
from core.models import Notification, Role, User
from plugins.expertise.models import Assignment, Bid, Settings, Submission
from plugins.expertise.tests.conftest import (
    _user,
    as_user,
    logout,
    reviewed,
    step,
    to_review,
    write_review,
)


def _bid(client, post, sub_id, value):
    return post(client, "/expertise/a/kostanay-math/bids", {"sub_id": str(sub_id), "value": value})


def _invited(sub_id):
    return set(
        db.session.scalars(
            db.select(Assignment.expert_id).where(
                Assignment.submission_id == sub_id, Assignment.status == "invited"
            )
        )
    )


def _choices(html: str, sub_id: int) -> list[str]:
    """The selected expert id of each select of a material on the preview."""
    out = []
    for select in re.findall(rf'<select[^>]*name="x-{sub_id}".*?</select>', html, re.S):
        m = re.search(r'<option value="(\d*)" selected', select)
        out.append(m.group(1) if m else "")
    return out


def _membership(world, user):
    from core.models import Membership

    return db.session.scalar(
        db.select(Membership).where(
            Membership.user_id == user.id, Membership.association_id == world.association.id
        )
    )


# Bids -----------------------------------------------------------------------------------


def test_experts_bid_and_coordinators_see_the_bids(client, post, world):
    sub_id = to_review(client, post, world)
    as_user(client, world.expert2)
    page = client.get("/expertise/a/kostanay-math/bids").get_data(as_text=True)
    assert "Бөлшектерді қосу" in page and 'name="value"' in page
    assert _bid(client, post, sub_id, "eager").status_code == 302
    assert db.session.scalar(db.select(Bid.value).where(Bid.expert_id == world.expert2.id)) == (
        "eager"
    )
    assert _bid(client, post, sub_id, "not_willing").status_code == 302  # changed, not added
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 1
    page = client.get("/expertise/a/kostanay-math/bids").get_data(as_text=True)
    assert 'data-current="not_willing"' in page
    # A made-up value is refused with a message, nothing stored.
    _bid(client, post, sub_id, "maybe")
    assert db.session.scalar(db.select(Bid.value)) == "not_willing"
    # The school expert is told about the conflict instead of getting a form.
    as_user(client, world.school_expert)
    page = client.get("/expertise/a/kostanay-math/bids").get_data(as_text=True)
    assert "same school as an author" in page and 'data-bid="' not in page
    # The coordinator sees the bids on the bids page (without forms) and the assignment page.
    as_user(client, world.coordinator)
    page = client.get("/expertise/a/kostanay-math/bids").get_data(as_text=True)
    assert "Expert Two — Not willing to review" in page and 'data-bid="' not in page
    assert _bid(client, post, sub_id, "eager").status_code == 403
    page = client.get(f"/expertise/s/{sub_id}/assign").get_data(as_text=True)
    assert "Expert Two" in page and "Not willing to review" in page


def test_only_experts_bid_and_never_on_their_own_material(client, post, world):
    sub_id = to_review(client, post, world)
    as_user(client, world.member)
    assert client.get("/expertise/a/kostanay-math/bids").status_code == 403
    assert _bid(client, post, sub_id, "eager").status_code == 403
    logout(client)
    assert client.get("/expertise/a/kostanay-math/bids").status_code == 302  # to log in
    # An expert who is also the author: the material is not listed, a forged bid is refused.
    _membership(world, world.author).role = Role.EXPERT.value
    db.session.commit()
    as_user(client, world.author)
    page = client.get("/expertise/a/kostanay-math/bids").get_data(as_text=True)
    assert "Бөлшектерді қосу" not in page
    _bid(client, post, sub_id, "eager")
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0
    assert _bid(client, post, 2**31 - 1, "eager").status_code == 404  # no such material
    # Past what an id column holds (2**31 on PostgreSQL): read as garbage, never a 500.
    assert _bid(client, post, 2**62, "eager").status_code == 400
    assert post(client, "/expertise/a/kostanay-math/bids", {"sub_id": "x"}).status_code == 400


# Balanced assignment --------------------------------------------------------------------


def test_preview_proposes_the_best_fit_with_reasons_and_never_a_conflict(client, post, world):
    sub_id = to_review(client, post, world)
    as_user(client, world.expert2)
    _bid(client, post, sub_id, "eager")
    as_user(client, world.coordinator)
    page = client.get("/expertise/a/kostanay-math/balance").get_data(as_text=True)
    assert f'data-proposed="{world.expert1.email}"' in page  # subject and language
    assert f'data-proposed="{world.expert2.email}"' in page  # eager
    assert "subject, language" in page and "bid: eager" in page
    assert world.school_expert.email not in page  # same school: not even offered
    assert f'value="{world.school_expert.id}"' not in page
    assert sorted(_choices(page, sub_id)) == sorted([str(world.expert1.id), str(world.expert2.id)])
    assert _invited(sub_id) == set()  # nothing sent before confirmation


def test_not_willing_is_never_proposed_and_the_shortfall_is_named(client, post, world):
    sub_id = to_review(client, post, world)
    as_user(client, world.expert2)
    _bid(client, post, sub_id, "not_willing")
    as_user(client, world.coordinator)
    page = client.get("/expertise/a/kostanay-math/balance").get_data(as_text=True)
    assert f'data-proposed="{world.expert2.email}"' not in page
    assert "still needs 1 of 2 experts: 1 excluded for a conflict of interest, 1 not willing" in (
        page.replace("“Бөлшектерді қосу” ", "")
    )


def test_confirming_the_adjusted_preview_sends_the_invitations(client, post, world):
    sub_id = to_review(client, post, world)
    as_user(client, world.coordinator)
    # Remove the second expert: only expert1 is invited.
    resp = post(
        client,
        "/expertise/a/kostanay-math/balance",
        {f"x-{sub_id}": [str(world.expert1.id), ""]},
    )
    assert resp.status_code == 302
    assert _invited(sub_id) == {world.expert1.id}
    assert db.session.scalar(
        db.select(db.func.count(Notification.id)).where(
            Notification.user_id == world.expert1.id, Notification.kind == "expertise.invitation"
        )
    )
    # The next preview asks only for the one still missing, and never expert1 again.
    page = client.get("/expertise/a/kostanay-math/balance").get_data(as_text=True)
    assert _choices(page, sub_id) == [str(world.expert2.id)]
    assert f'<option value="{world.expert1.id}"' not in page
    # The invited expert sees the invitation.
    as_user(client, world.expert1)
    page = client.get("/expertise/a/kostanay-math").get_data(as_text=True)
    assert f'href="/expertise/s/{sub_id}"' in page and "Бөлшектерді қосу" in page


def test_confirmation_refuses_conflicts_duplicates_and_the_cap_writing_nothing(client, post, world):
    first = to_review(client, post, world)
    second = to_review(client, post, world, title="Екінші жоспар")
    db.session.add(Settings(association_id=world.association.id, load_cap=1))
    db.session.commit()
    as_user(client, world.coordinator)
    page = client.get("/expertise/a/kostanay-math/balance").get_data(as_text=True)
    # Cap 1: each expert is proposed once over both materials.
    proposed = re.findall(r'data-proposed="([^"]+)"', page)
    assert sorted(proposed) == sorted([world.expert1.email, world.expert2.email])
    url = "/expertise/a/kostanay-math/balance"
    e1, e2, school = str(world.expert1.id), str(world.expert2.id), str(world.school_expert.id)
    resp = post(client, url, {f"x-{first}": [e1, e2], f"x-{second}": [e1, ""]})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "more than the cap of 1" in body
    assert _choices(body, second) == [e1, ""]  # what was chosen stays chosen
    resp = post(client, url, {f"x-{first}": [e1, e1]})
    assert "chosen twice" in resp.get_data(as_text=True)
    resp = post(client, url, {f"x-{first}": [school, ""]})
    assert "may not review it" in resp.get_data(as_text=True)
    assert post(client, url, {f"x-{first}": ["junk"]}).status_code == 400
    assert _invited(first) == _invited(second) == set()


def test_balance_is_for_coordinators_and_skips_their_own_material(client, post, world):
    to_review(client, post, world)
    for user in (world.member, world.expert1, world.author):
        as_user(client, user)
        assert client.get("/expertise/a/kostanay-math/balance").status_code == 403
    logout(client)
    assert client.get("/expertise/a/kostanay-math/balance").status_code in (302, 403)
    # A coordinator's own material is left to another coordinator.
    sub = db.session.scalar(db.select(Submission))
    sub.author_id = world.coordinator.id
    db.session.commit()
    as_user(client, world.coordinator)
    page = client.get("/expertise/a/kostanay-math/balance").get_data(as_text=True)
    assert "another coordinator assigns its experts" in page
    assert 'name="x-' not in page


# Discussion and meta-review -------------------------------------------------------------


def test_discussion_is_for_the_rounds_experts_and_coordinators_only(client, post, world, factory):
    sub_id = reviewed(client, post, world)
    url = f"/expertise/s/{sub_id}/discussion"
    as_user(client, world.expert1)
    assert post(client, url, {"body": "Саралау бөлімі әлсіз деп ойлаймын."}).status_code == 302
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Саралау бөлімі әлсіз" in page and 'id="discussion"' in page
    # The other expert and the coordinators are told; the author is not.
    told = set(
        db.session.scalars(
            db.select(Notification.user_id).where(Notification.kind == "expertise.discussion")
        )
    )
    assert world.expert2.id in told and world.coordinator.id in told
    assert world.author.id not in told and world.expert1.id not in told
    as_user(client, world.coordinator)
    assert "Саралау бөлімі әлсіз" in client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert post(client, url, {"body": "Келісемін."}).status_code == 302
    # Authors, an expert outside the round, members and outsiders neither read nor write.
    outsider = _user(factory, "Outsider")
    db.session.commit()
    for user in (world.author, world.coauthor, world.school_expert, world.member, outsider):
        as_user(client, user)
        resp = client.get(f"/expertise/s/{sub_id}")
        assert "Саралау бөлімі әлсіз" not in resp.get_data(as_text=True)
        assert post(client, url, {"body": "Мен де"}).status_code == 403
    logout(client)
    assert post(client, url, {"body": "Мен де"}).status_code in (302, 401, 403)
    from plugins.expertise.models import DiscussionPost

    assert db.session.scalar(db.select(db.func.count(DiscussionPost.id))) == 2


def test_an_author_who_coordinates_does_not_see_the_discussion(client, post, world):
    sub_id = reviewed(client, post, world)
    as_user(client, world.expert1)
    post(client, f"/expertise/s/{sub_id}/discussion", {"body": "Ішкі пікір"})
    _membership(world, world.author).role = Role.COORDINATOR.value
    db.session.commit()
    as_user(client, world.author)
    assert "Ішкі пікір" not in client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)


def test_meta_review_is_published_with_the_reviews_after_the_decision(client, post, world):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    resp = post(client, f"/expertise/s/{sub_id}/meta-review", {"body": "Екі сарапшы да келісті."})
    assert resp.status_code == 302
    for user in (world.author, world.expert1):
        as_user(client, user)
        assert "Екі сарапшы да келісті" not in client.get(f"/expertise/s/{sub_id}").get_data(
            as_text=True
        )
    as_user(client, world.author)
    assert post(client, f"/expertise/s/{sub_id}/meta-review", {"body": "x"}).status_code == 403
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "recommend").status_code == 302
    for user in (world.author, world.expert1, world.member):
        as_user(client, user)
        page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
        assert "Екі сарапшы да келісті" in page and 'id="meta"' in page
    logout(client)
    assert "Екі сарапшы да келісті" in client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)


def test_meta_review_of_a_revision_is_shown_to_the_author_not_to_members(client, post, world):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    post(client, f"/expertise/s/{sub_id}/meta-review", {"body": "Саралауды толықтырыңыз."})
    post(client, f"/expertise/s/{sub_id}/meta-review", {"body": "Саралауды толықтырыңыз!"})
    assert step(client, post, sub_id, "minor").status_code == 302
    as_user(client, world.author)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Саралауды толықтырыңыз!" in page  # the edit replaced the first text
    as_user(client, world.member)
    assert client.get(f"/expertise/s/{sub_id}").status_code == 403


# Wording ----------------------------------------------------------------------------------


def test_reviews_and_comments_are_named_apart_and_non_members_are_told_how_to_join(
    client, post, world, factory
):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    step(client, post, sub_id, "recommend")
    outsider = _user(factory, "Outsider")
    db.session.commit()
    client.set_cookie("lang", "kk")
    as_user(client, outsider)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Сараптама пікірлері" in page and "Талқылау" in page
    assert ">Пікірлер<" not in page
    assert 'id="join-to-comment"' in page and "/a/kostanay-math#join" in page
    assert 'name="body"' not in page
    client.set_cookie("lang", "ru")
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert "Экспертные рецензии" in page and "Обсуждение" in page
    # A member gets the form and no joining note.
    as_user(client, world.member)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert 'id="join-to-comment"' not in page and 'id="comment-body"' in page
    logout(client)
    page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
    assert 'id="join-to-comment"' in page


def test_reviews_written_after_balance_count_for_the_quorum(client, post, world):
    """The whole path: balanced invitations, accepted, reviewed, decided without override."""
    sub_id = to_review(client, post, world)
    as_user(client, world.coordinator)
    e1, e2 = str(world.expert1.id), str(world.expert2.id)
    assert (
        post(client, "/expertise/a/kostanay-math/balance", {f"x-{sub_id}": [e1, e2]}).status_code
        == 302
    )
    for expert in (world.expert1, world.expert2):
        write_review(client, post, sub_id, expert)
    as_user(client, world.coordinator)
    assert step(client, post, sub_id, "recommend").status_code == 302
    assert db.session.get(Submission, sub_id).state == "recommended"
    assert db.session.get(User, world.expert1.id) is not None
