"""The demo: every workflow state, bids on submitted materials, a reviewers' discussion and
meta-reviews, and a published lesson plan with two open reviews, an author's response, its
meta-review and real PDF files with Kazakh text."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from core import demo
from core.extensions import db
from plugins.expertise.models import Bid, DiscussionPost, File, MetaReview, Review, Submission
from plugins.expertise.services import STATES


def test_demo_covers_every_state_with_a_published_reviewed_plan(app, client):
    ctx = demo.build(echo=lambda _msg: None)
    app.extensions["qauym_plugins"].collect("demo_data", ctx=ctx)
    states = set(db.session.scalars(select(Submission.state)))
    assert states == set(STATES)
    published = db.session.scalar(select(Submission).where(Submission.state == "recommended"))
    reviews = db.session.scalars(select(Review).where(Review.submission_id == published.id)).all()
    assert len(reviews) == 2 and any(r.response for r in reviews)
    page = client.get(f"/expertise/s/{published.id}").get_data(as_text=True)
    assert "Бөлшектерді қосу және азайту" in page
    assert all(r.expert.full_name in page for r in reviews)
    assert "Рақмет! Саралау бөлімін толықтырдым" in page
    f = db.session.scalar(select(File).order_by(File.id))
    data = client.get(f"/expertise/file/{f.id}").data
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Бөлшектерді қосу және азайту" in text
    assert "Пропорция" not in client.get("/expertise/library").get_data(as_text=True)


def test_demo_has_bids_a_discussion_and_a_published_meta_review(app, client, login):
    ctx = demo.build(echo=lambda _msg: None)
    app.extensions["qauym_plugins"].collect("demo_data", ctx=ctx)
    experts = {ctx.users["km_expert"].id, ctx.users["km_expert2"].id}
    submitted = db.session.scalar(select(Submission).where(Submission.state == "submitted"))
    bids = db.session.scalars(select(Bid).where(Bid.submission_id == submitted.id)).all()
    assert {b.expert_id for b in bids} == experts
    assert {b.value for b in db.session.scalars(select(Bid))} == {
        "eager",
        "willing",
        "not_willing",
    }
    published = db.session.scalar(select(Submission).where(Submission.state == "recommended"))
    posts = db.session.scalars(
        select(DiscussionPost).where(DiscussionPost.submission_id == published.id)
    ).all()
    coordinator = ctx.users["km_coordinator"]
    assert {p.round for p in posts} == {1}
    assert {p.author_id for p in posts} == experts | {coordinator.id}
    metas = db.session.scalars(select(MetaReview)).all()
    assert {m.submission_id for m in metas} >= {published.id}
    assert {m.author_id for m in metas} == {coordinator.id}
    assert any("существенной доработки" in m.body for m in metas)
    # Everyone reads the published material's meta-review; nobody outside sees the thread.
    page = client.get(f"/expertise/s/{published.id}").get_data(as_text=True)
    assert "Бірлестіктің кітапханасына жариялауға ұсынылады" in page
    assert "Тек саралау бөлімін автор" not in page
    # The coordinator sees the bids and the discussion.
    login(client, coordinator, ctx.password)
    page = client.get("/expertise/a/kostanay-math/bids").get_data(as_text=True)
    assert submitted.title in page and ctx.users["km_expert"].full_name in page
    page = client.get(f"/expertise/s/{published.id}").get_data(as_text=True)
    assert "Тек саралау бөлімін автор" in page
