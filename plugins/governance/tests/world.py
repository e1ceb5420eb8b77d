"""A small governance world: an association with a leader, a secretary, voting members and a
non-voting participant, built through the core test factory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.api import db
from plugins.governance import services as svc
from plugins.governance.models import GeneralMeeting

#: A fixed instant (UTC) the tests reason about: 10:00 in Almaty on 2 March 2026.
NOW = dt.datetime(2026, 3, 2, 5, 0)


@dataclass
class World:
    association: object
    leader: object
    secretary: object
    members: list
    participant: object
    outsider: object
    users: dict = field(default_factory=dict)

    @property
    def voting(self) -> list:
        return [self.leader, self.secretary, *self.members]


def make_world(factory, *, members: int = 4, slug: str = "shyn-network") -> World:
    region = factory.region(code="kostanay")
    association = factory.association(slug=slug, region_id=region.id, name_kk="ШЫҢ желісі")
    leader = factory.member(association, factory.user(full_name="Айгүл Сейітова"), role="leader")
    secretary = factory.member(
        association, factory.user(full_name="Нұрлан Қасымов"), role="secretary"
    )
    people = [
        factory.member(association, factory.user(full_name=f"Мұғалім {i}")) for i in range(members)
    ]
    participant = factory.member(
        association, factory.user(full_name="Зерттеуші Әлия"), role="participant"
    )
    outsider = factory.user(full_name="Бөгде адам", region_id=region.id)
    db.session.commit()
    return World(association, leader, secretary, people, participant, outsider)


def add_meeting(
    w: World,
    *,
    motions=("Жоспарды бекіту",),
    ballot="open",
    starts_at=None,
    deadline=None,
    state="planned",
) -> GeneralMeeting:
    items = [("Есеп", "", "open", None)]
    items += [(f"Мәселе {n}", text, ballot, deadline) for n, text in enumerate(motions, 1)]
    meeting = svc.create_meeting(
        w.association,
        w.secretary,
        items=items,
        title="Жалпы жиналыс",
        kind="regular",
        mode="hybrid",
        starts_at=starts_at or NOW + dt.timedelta(days=20),
        place="Шұңқыркөл мектебі",
        link="https://meet.example.kz/shyn",
    )
    db.session.flush()
    meeting.state = state
    db.session.commit()
    return meeting


def client_for(app, user):
    from core.testing import sign_in_as

    client = app.test_client()
    sign_in_as(client, user)
    return client


def meeting_url(w: World, meeting, tail: str = "") -> str:
    return f"/governance/a/{w.association.slug}/meetings/{meeting.id}{tail}"
