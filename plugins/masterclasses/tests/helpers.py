"""Builders shared by the master classes tests."""

from __future__ import annotations

import datetime as dt

from core.extensions import db
from core.timeutil import utcnow
from plugins.masterclasses.models import Event, Host


def make_event(association, *, hosts=(), start_in=dt.timedelta(days=3), hours=2, **kw) -> Event:
    """A published event of ``association`` starting ``start_in`` from now (UTC)."""
    start = kw.pop("starts_at", None) or (utcnow() + start_in).replace(microsecond=0)
    ev = Event(
        association_id=association.id,
        title=kw.pop("title", "Шеберлік сыныбы: формативті бағалау"),
        form=kw.pop("form", "masterclass"),
        starts_at=start,
        ends_at=kw.pop("ends_at", start + dt.timedelta(hours=hours)),
        status=kw.pop("status", "published"),
        delivery=kw.pop("delivery", "face"),
        venue=kw.pop("venue", "№3 мектеп"),
        checkin_code=kw.pop("checkin_code", "ABC234"),
        credit_hours=kw.pop("credit_hours", 2.0),
        **kw,
    )
    ev.hosts = [Host(user_id=h.id) if hasattr(h, "id") else Host(name=h) for h in hosts]
    db.session.add(ev)
    db.session.commit()
    return ev


def series_form(**over) -> dict:
    """The new-event form of a weekly seminar series from Monday 11 January 2027, 15:00
    Almaty time, until 28 February; ``over`` changes or adds fields."""
    data = {
        "title": "Әдістемелік семинар",
        "form": "seminar",
        "delivery": "face",
        "venue": "№3 мектеп",
        "starts_at": "2027-01-11T15:00",
        "ends_at": "2027-01-11T16:30",
        "visibility": "public",
        "repeat": "WEEKLY",
        "interval": "1",
        "ends": "until",
        "repeat_until": "2027-02-28",
    }
    data.update(over)
    return data


def event_form(**over) -> dict:
    """The fields of the new-event and edit forms for a hybrid master class on 14 January
    2027, 18:00 Almaty time; ``over`` changes or adds fields."""
    data = {
        "title": "Формативті бағалау / Формативное оценивание",
        "form": "masterclass",
        "description": "**Маңызды** <script>alert(1)</script>",
        "delivery": "hybrid",
        "venue": "№3 мектеп",
        "address": "Қостанай, Абай к-сі 1",
        "meeting_url": "https://meet.example.kz/abc",
        "starts_at": "2027-01-14T18:00",
        "ends_at": "2027-01-14T19:30",
        "registration_deadline": "2027-01-13T12:00",
        "capacity": "25",
        "credit_hours": "1.5",
        "visibility": "public",
        "guest_hosts": "Айгүл Сәрсенова",
        "scope": "one",
    }
    data.update(over)
    return data
