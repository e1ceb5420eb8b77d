"""Issue 15 (depth): the review quorum and its override, hours for reviewing, re-review."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.models import Certificate
from core.testing import read_csv
from plugins.expertise.models import Review, Settings, Submission, Transition
from plugins.expertise.tests.conftest import (
    as_user,
    assign,
    reviewed,
    step,
    write_review,
)

T0 = dt.datetime(2026, 10, 12, 6, 0)  # 11:00 in Almaty


def _sub(sub_id: int) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, sub_id)


def test_decision_is_refused_below_the_quorum(world, client, post):
    with time_machine.travel(T0, tick=False):
        sub_id = reviewed(client, post, world, experts=[world.expert1])
        as_user(client, world.coordinator)
        resp = step(client, post, sub_id, "recommend", "Жақсы")
        assert resp.status_code == 303
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "This round has 1 of 2 reviews" in page
        sub = _sub(sub_id)
        assert (sub.state, sub.published_at) == ("in_review", None)
        assert [t.to_state for t in sub.transitions][-1] == "in_review"
        # The message is translated.
        client.set_cookie("lang", "ru")
        step(client, post, sub_id, "recommend")
        page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
        assert "В этом раунде 1 из 2 рецензий" in page


def test_decision_is_allowed_with_the_quorum(world, client, post):
    with time_machine.travel(T0, tick=False):
        sub_id = reviewed(client, post, world)
        as_user(client, world.coordinator)
        assert step(client, post, sub_id, "recommend").status_code == 302
        sub = _sub(sub_id)
        assert sub.state == "recommended" and sub.transitions[-1].override_reason == ""


def test_coordinator_overrides_the_quorum_with_a_recorded_reason(world, client, post):
    db.session.add(Settings(association_id=world.association.id, experts_per_round=3))
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        sub_id = reviewed(client, post, world)  # 2 of 3
        as_user(client, world.coordinator)
        reason = "Үшінші сарапшы табылмады"
        assert step(client, post, sub_id, "minor", "Түзетіңіз", reason).status_code == 302
        sub = _sub(sub_id)
        assert sub.state == "minor_revision"
        last = db.session.scalars(
            select(Transition).where(Transition.submission_id == sub_id).order_by(Transition.id)
        ).all()[-1]
        assert (last.action, last.override_reason) == ("minor", reason)
        page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
        assert "Decided without all reviews" in page  # on the material's page
        assert f"decided without all reviews: {reason}" in page  # and in its history
        # Zero reviews cannot be overridden.
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        as_user(client, world.author)
        from plugins.expertise.tests.conftest import pdf_file

        post(
            client,
            f"/expertise/s/{sub_id}/resubmit",
            {"note": "v2", "files": [pdf_file("v2.pdf")]},
            content_type="multipart/form-data",
        )
        as_user(client, world.coordinator)
        # After a minor revision the coordinator may check alone: no override needed.
        assert step(client, post, sub_id, "recommend").status_code == 302
        assert _sub(sub_id).transitions[-1].override_reason == ""


def test_override_needs_at_least_one_review(world, client, post):
    from plugins.expertise.tests.conftest import to_review

    with time_machine.travel(T0, tick=False):
        sub_id = to_review(client, post, world)
        resp = step(client, post, sub_id, "recommend", "", "Шұғыл")
        assert resp.status_code == 303 and _sub(sub_id).state == "in_review"


def test_completed_review_earns_configured_hours_in_portfolio_and_certificate(world, client, post):
    db.session.add(Settings(association_id=world.association.id, review_hours=3.5))
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        sub_id = reviewed(client, post, world, experts=[world.expert2])
        review = db.session.scalar(select(Review).where(Review.submission_id == sub_id))
        assert review.hours == 3.5
        cert = db.session.scalar(
            select(Certificate).where(Certificate.source_key == f"expertise:review:{review.id}")
        )
        assert cert.hours == 3.5
        as_user(client, world.expert2)
        rows = read_csv(client.get(f"/u/{world.expert2.id}/portfolio.csv"))
    header, body = rows[0], rows[1:]
    hours = header.index("Hours")
    [row] = [r for r in body if "Бөлшектерді" in r[header.index("Title")]]
    assert row[hours] == "3.5"


def test_default_hours_for_a_review_are_two(world, client, post):
    with time_machine.travel(T0, tick=False):
        reviewed(client, post, world, experts=[world.expert1])
        as_user(client, world.expert1)  # reads in Kazakh
        rows = read_csv(client.get(f"/u/{world.expert1.id}/portfolio.csv"))
    assert rows[0][5] == "Сағат" and rows[1][5] == "2"


def test_coordinator_starts_a_re_review_when_due(world, client, post):
    with time_machine.travel(T0, tick=False):
        sub_id = reviewed(client, post, world)
        as_user(client, world.coordinator)
        assert step(client, post, sub_id, "recommend").status_code == 302
        # Not due yet: no button, and the step is refused.
        page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
        assert 'data-action="rereview"' not in page
        assert step(client, post, sub_id, "rereview").status_code == 303
        assert _sub(sub_id).state == "recommended"
        old_rubric = _sub(sub_id).rubric_id
    # The coordinator changes the rubric meanwhile: a new rubric version.
    later = T0 + dt.timedelta(days=3 * 366)
    with time_machine.travel(later, tick=False):
        as_user(client, world.coordinator)
        resp = post(
            client,
            "/expertise/a/kostanay-math/criteria",
            {"c-title": "ICT", "c-weight": "1", "c-levels": "0\n1\n2\n3"},
        )
        assert resp.status_code == 302
        page = client.get(f"/expertise/s/{sub_id}").get_data(as_text=True)
        assert "due for re-review" in page and 'data-action="rereview"' in page
        # Authors and experts may not start it.
        as_user(client, world.author)
        assert step(client, post, sub_id, "rereview").status_code == 303
        assert _sub(sub_id).state == "recommended"
        as_user(client, world.coordinator)
        assert step(client, post, sub_id, "rereview").status_code == 302
        sub = _sub(sub_id)
        assert (sub.state, sub.round) == ("in_review", 2)
        assert sub.rubric_id != old_rubric
        assert "ICT" in [c.title for c in sub.rubric.criteria]
        assert sub.transitions[-1].action == "rereview"
        # The author keeps the portfolio entry while the material is re-reviewed.
        as_user(client, world.author)
        rows = read_csv(client.get(f"/u/{world.author.id}/portfolio.csv"))
        assert any("Бөлшектерді" in r for row in rows for r in row)
        # The new round is reviewed with the current rubric and needs its own quorum.
        as_user(client, world.coordinator)
        assert assign(client, post, sub_id, world.expert1).status_code == 302
        write_review(client, post, sub_id, world.expert1, recommendation="recommended")
        as_user(client, world.coordinator)
        assert step(client, post, sub_id, "recommend").status_code == 303
        assert (
            step(client, post, sub_id, "recommend", "", "Бір рецензия жеткілікті").status_code
            == 302
        )
        sub = _sub(sub_id)
        assert sub.state == "recommended" and sub.rereview_due > later.date()
