"""Master classes realise rows of the core's activity plan and count in the annual report."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from core.extensions import db
from core.models import Plan, PlanRow
from core.services import plugin_gate
from core.testing import sign_in_as
from plugins.masterclasses.models import Event, Registration

from .helpers import make_event

# 20 January 2027, noon in Almaty.
JAN_20 = dt.datetime(2027, 1, 20, 7, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def setup(factory):
    a = factory.association(slug="shyn", name_kk="ШЫҢ желісі")
    leader = factory.member(a, factory.user(full_name="Әсел Жетекші"), "leader")
    plan = Plan(association_id=a.id, year=2026)
    row = PlanRow(plan=plan, number=1, topic="Шеберлік сыныбы", form="master_class", month=1)
    other = PlanRow(plan=plan, number=2, topic="Семинар", form="seminar", month=12)
    db.session.add_all([plan, row, other])
    db.session.commit()
    return {"a": a, "leader": leader, "row": row, "other": other}


def _form(**over):
    data = {
        "title": "Формативті бағалау",
        "form": "masterclass",
        "delivery": "face",
        "venue": "№3 мектеп",
        "starts_at": "2027-01-14T18:00",
        "ends_at": "2027-01-14T20:00",
        "credit_hours": "2",
        "visibility": "public",
        "guest_hosts": "Айгүл Сәрсенова",
        "scope": "one",
        "plan_row": "",
    }
    data.update(over)
    return data


def test_event_form_links_a_plan_row_and_the_plan_shows_it_done(client, post, setup, factory):
    s = setup
    with time_machine.travel(JAN_20, tick=False):
        sign_in_as(client, s["leader"])
        page = client.get("/masterclasses/a/shyn/new").get_data(as_text=True)
        assert "Row of the activity plan" in page and "1. Шеберлік сыныбы (January 2027)" in page
        # a row of another association's plan is refused
        stranger = factory.association(slug="other")
        foreign = PlanRow(
            plan=Plan(association_id=stranger.id, year=2026), topic="x", form="seminar"
        )
        db.session.add(foreign)
        db.session.commit()
        resp = post(client, "/masterclasses/a/shyn/new", _form(plan_row=str(foreign.id)))
        assert resp.status_code in (200, 400) and db.session.scalar(select(Event)) is None
        resp = post(client, "/masterclasses/a/shyn/new", _form(plan_row=str(s["row"].id)))
        assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
        ev = db.session.scalar(select(Event))
        assert ev.plan_row_id == s["row"].id
        edit = client.get(f"/masterclasses/{ev.id}/edit").get_data(as_text=True)
        assert f'<option selected value="{s["row"].id}">' in edit
        # a draft realises nothing yet
        assert "Формативті бағалау" not in client.get("/a/shyn/plan/2026").get_data(as_text=True)
        ev.status = "published"
        db.session.commit()
        html = client.get("/a/shyn/plan/2026").get_data(as_text=True)
        row_html = html.split(f'id="row-{s["row"].id}"', 1)[1].split("</tr>", 1)[0]
        assert "Формативті бағалау" in row_html and "overdue" not in row_html
        member = factory.member(s["a"], factory.user(), "member")
        db.session.add(
            Registration(
                event_id=ev.id, user_id=member.id, status="registered", attendance="present"
            )
        )
        db.session.commit()
        html = client.get("/a/shyn/plan/2026").get_data(as_text=True)
        row_html = html.split(f'id="row-{s["row"].id}"', 1)[1].split("</tr>", 1)[0]
        assert "done" in row_html and f'href="/masterclasses/{ev.id}"' in row_html
        other_html = html.split(f'id="row-{s["other"].id}"', 1)[1].split("</tr>", 1)[0]
        assert "overdue" in other_html


def _figures(html):
    import re

    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))


def test_annual_report_counts_events_held_hours_and_people(client, setup, factory):
    s = setup
    a = s["a"]
    people = [factory.member(a, factory.user(), "member") for _ in range(3)]
    held = make_event(a, starts_at=dt.datetime(2026, 10, 5, 12, 0), status="held", credit_hours=2.0)
    ended = make_event(
        a,
        starts_at=dt.datetime(2026, 11, 5, 12, 0),
        credit_hours=1.5,
        title="Members only",
        visibility="members",
    )
    make_event(a, starts_at=dt.datetime(2026, 12, 5, 12, 0), status="cancelled")
    make_event(a, starts_at=dt.datetime(2026, 12, 6, 12, 0))  # ended, nobody marked present
    make_event(a, starts_at=dt.datetime(2025, 10, 5, 12, 0), status="held")  # last year
    for ev, who in ((held, people[:2]), (ended, people[1:])):
        for p in who:
            db.session.add(
                Registration(
                    event_id=ev.id, user_id=p.id, status="registered", attendance="present"
                )
            )
    db.session.commit()
    with time_machine.travel(JAN_20, tick=False):
        sign_in_as(client, s["leader"])
        html = client.get("/a/shyn/report/2026").get_data(as_text=True)
        figures = _figures(html)
        assert figures["Events held"] == "2"
        assert figures["Hours of events held"] == "3.5"
        assert figures["Participants (different people)"] == "3"
        assert "Шеберлік сыныбы: формативті бағалау" in html and "Members only" not in html

        client.set_cookie("lang", "kk")
        assert "<dd>3,5</dd>" in client.get("/a/shyn/report/2026").get_data(as_text=True)

        plugin_gate.set_switch("masterclasses", False, actor=None, association_id=a.id)
        db.session.commit()
        client.set_cookie("lang", "en")
        html = client.get("/a/shyn/report/2026").get_data(as_text=True)
        assert "Events held" not in html
