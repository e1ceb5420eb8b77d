"""The demo content builds on the core roster and shows each capability."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core import demo
from core.extensions import db
from core.models import Certificate
from plugins.masterclasses.models import Event, Registration


def test_demo_has_the_shyn_cyclogram_a_waitlist_and_a_past_seminar(app, client):
    ctx = demo.build(echo=lambda _msg: None)
    registry = app.extensions["qauym_plugins"]
    registry.collect("demo_data", ctx=ctx)

    shyn = ctx.associations["shyn-network"]
    series = {}
    for ev in db.session.scalars(
        select(Event).where(Event.association_id == shyn.id).order_by(Event.starts_at)
    ):
        series.setdefault(ev.series_id, []).append(ev)
    online, face = sorted(series.values(), key=len, reverse=True)
    assert len(online) >= 18 and len(face) == 5
    assert all(e.starts_at.weekday() == 3 and e.starts_at.hour == 13 for e in online)
    assert {(b.starts_at - a.starts_at).days for a, b in zip(online, online[1:], strict=False)} == {
        14
    }
    for e in face:  # last Friday of the month, 15:00 in Almaty
        assert e.starts_at.weekday() == 4 and (e.starts_at + dt.timedelta(days=7)).month != (
            e.starts_at.month
        )

    mc = db.session.scalar(select(Event).where(Event.form == "masterclass"))
    counts = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == mc.id)
            .group_by(Registration.status)
        ).all()
    )
    assert counts == {"registered": 5, "waitlisted": 3}

    seminar = db.session.scalar(select(Event).where(Event.form == "seminar"))
    assert seminar.status == "held"
    certs = db.session.scalars(
        select(Certificate).where(
            Certificate.source_key.like(f"masterclasses:event:{seminar.id}:%")
        )
    ).all()
    assert len(certs) == 5  # four attendees (present or late) and the host
    assert client.get("/masterclasses/").status_code == 200
    assert client.get(f"/masterclasses/{mc.id}").status_code == 200


def test_demo_cyclogram_events_realise_rows_of_the_shyn_plan(app, client):
    ctx = demo.build(echo=lambda _msg: None)
    demo.build_plans(ctx)
    app.extensions["qauym_plugins"].collect("demo_data", ctx=ctx)
    demo.publish_reports(ctx)

    shyn = ctx.associations["shyn-network"]
    events = db.session.scalars(
        select(Event).where(Event.association_id == shyn.id, Event.series_id.is_not(None))
    ).all()
    assert events and all(ev.plan_row_id is not None for ev in events)
    client.set_cookie("lang", "en")
    html = client.get("/a/shyn-network/plan").get_data(as_text=True)
    assert html.count('class="state-') == 19  # 9 online, 5 face-to-face, 4 walks, 1 meeting
    assert "Онлайн кездесу" in html and "/masterclasses/" in html
    home = client.get("/a/shyn-network").get_data(as_text=True)
    assert "/a/shyn-network/report/" in home
