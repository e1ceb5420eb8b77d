"""The demo hook builds both programmes on the core roster, and the pages show them."""

from __future__ import annotations

from sqlalchemy import select

from core import demo
from core.extensions import db
from core.models import Certificate
from plugins.mentoring.models import Pair, Programme
from plugins.mentoring.plugin import demo_data


def test_demo_programmes(app, login):
    ctx = demo.build(echo=lambda _msg: None)
    demo_data(ctx=ctx)
    programmes = db.session.scalars(select(Programme).order_by(Programme.id)).all()
    assert [p.association.slug for p in programmes] == ["damu-ma", "young-teachers-almaty"]
    states = sorted(p.state for p in db.session.scalars(select(Pair)))
    assert states == ["active", "active", "completed", "proposed"]
    cert = db.session.scalar(select(Certificate).where(Certificate.kind == "mentoring.mentor"))
    assert cert.recipient_id == ctx.users["yta_expert"].id and cert.hours == 2.5

    client = app.test_client()
    login(client, ctx.users["damu_coordinator"], password=ctx.password)
    page = client.get(f"/mentoring/a/damu-ma/{programmes[0].id}/").get_data(as_text=True)
    assert "Алина Сергеева" in page.split('class="card front"')[1].split("</section>")[0]
    report = client.get(f"/mentoring/a/damu-ma/{programmes[0].id}/report.csv")
    assert "Гүлжан Мұсина" in report.get_data(as_text=True)
