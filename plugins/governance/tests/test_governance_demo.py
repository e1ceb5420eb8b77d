"""The demo builds: a past meeting of shyn-network with a quorum, two motions and approved
minutes; rep-math with a council and an election under way."""

from __future__ import annotations

from sqlalchemy import select

from core import demo
from core.api import db
from plugins.governance.models import Election, GeneralMeeting, Minutes, Office
from plugins.governance.plugin import demo_data


def test_demo_data(app):
    ctx = demo.build(echo=lambda _msg: None)
    demo_data(ctx=ctx)
    meeting = db.session.scalar(select(GeneralMeeting))
    assert meeting.association.slug == "shyn-network"
    assert meeting.quorum_reached and meeting.state == "closed"
    motions = [i for i in meeting.items if i.motion]
    assert [i.passed for i in motions] == [True, False]
    minutes = db.session.scalar(select(Minutes))
    assert minutes.frozen_at and minutes.code and minutes.public
    assert minutes.chair_name and minutes.secretary_name
    election = db.session.scalar(select(Election))
    assert election.state == "voting" and election.association.slug == "rep-math"
    assert db.session.scalars(select(Office).where(Office.position == "council")).all()
    client = app.test_client()
    assert client.get(f"/governance/verify/{minutes.code}").status_code == 200
    assert (
        client.get(f"/governance/a/shyn-network/meetings/{meeting.id}/minutes").status_code == 200
    )
    assert "Сәуле Бекова" in client.get("/governance/a/rep-math/").get_data(as_text=True)
