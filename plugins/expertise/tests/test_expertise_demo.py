"""The demo: every workflow state, and a published lesson plan with two open reviews, an
author's response and real PDF files with Kazakh text."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from core import demo
from core.extensions import db
from plugins.expertise.models import File, Review, Submission
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
