"""No input gives a 500: every governance POST route with junk, as the secretary and as a
member; ids out of range are 404; the tab is labelled in the reader's language."""

from __future__ import annotations

import pytest

from core.api import db
from plugins.governance.models import Election, Exclusion, Petition
from plugins.governance.tests.world import add_meeting, client_for, make_world

JUNK = [
    {},
    {"choice": "💥", "code": "\x00" * 50, "present": ["x", "-1", "99999999999999999999"]},
    {"candidate": "abc", "choices": ["0", "1e9"], "deadline": "9999-99-99T99:99"},
    {"body": "", "reason": "x" * 10000, "response": "\u202e", "member": "-5"},
    {
        "title": "T",
        "starts_at": "0001-01-01T00:00",
        "mode": "nope",
        "kind": "zzz",
        "items-0-title": "a",
        "items-0-motion": "m",
        "items-0-ballot": "online",
        "items-0-deadline": "1-1-1",
    },
    {"notice_days": "-1", "decision_num": "9", "decision_den": "1", "seats": "0"},
]


@pytest.fixture
def world(app, factory):
    w = make_world(factory)
    m = add_meeting(w, ballot="online")
    e = Election(association_id=w.association.id, position="chair")
    p = Petition(association_id=w.association.id, reason="Себеп")
    ex = Exclusion(
        association_id=w.association.id, user_id=w.members[0].id, member_name="М", reason="С"
    )
    db.session.add_all([e, p, ex])
    db.session.commit()
    return w, m, e, p, ex


def test_junk_posts_never_fail(app, world, post):
    w, m, e, p, ex = world
    item = m.items[1].id
    a = "/governance/a/shyn-network"
    urls = [
        f"{a}/settings",
        f"{a}/meetings/new",
        f"{a}/meetings/{m.id}/attendance",
        f"{a}/meetings/{m.id}/checkin",
        f"{a}/meetings/{m.id}/online",
        f"{a}/meetings/{m.id}/open",
        f"{a}/meetings/{m.id}/notice",
        f"{a}/meetings/{m.id}/close",
        f"{a}/items/{item}/start",
        f"{a}/items/{item}/vote",
        f"{a}/items/{item}/stop",
        f"{a}/meetings/{m.id}/minutes/edit",
        f"{a}/meetings/{m.id}/minutes/approve",
        f"{a}/elections/new",
        f"{a}/elections/{e.id}/nominate",
        f"{a}/elections/{e.id}/start",
        f"{a}/elections/{e.id}/ballot",
        f"{a}/elections/{e.id}/close",
        f"{a}/elections/{e.id}/candidates/1/accept",
        f"{a}/petition/new",
        f"{a}/petition/{p.id}/sign",
        f"{a}/exclusions/new",
        f"{a}/exclusions/{ex.id}/respond",
        f"{a}/exclusions/{ex.id}/open",
        f"{a}/exclusions/{ex.id}/vote",
        f"{a}/exclusions/{ex.id}/decide",
    ]
    for user in (w.secretary, w.members[0], w.participant):
        client = client_for(app, user)
        for url in urls:
            for data in JUNK:
                r = post(client, url, data)
                assert r.status_code < 500, (url, data, r.status_code)


def test_ids_out_of_range_are_not_found(app, world):
    w, *_ = world
    c = client_for(app, w.secretary)
    for url in (
        "/governance/a/shyn-network/meetings/0",
        "/governance/a/shyn-network/meetings/99999999999999999999999",
        "/governance/a/shyn-network/meetings/-1/minutes",
        "/governance/a/shyn-network/elections/abc",
        "/governance/a/nowhere/",
        "/governance/verify/" + "A" * 500,
    ):
        assert c.get(url).status_code == 404, url
    assert c.get("/governance/a/shyn-network/meetings/1?page=x&q=" + "я" * 500).status_code == 200


@pytest.mark.parametrize(("lang", "label"), [("kk", "Басқару"), ("ru", "Управление")])
def test_tab_in_the_readers_language(app, world, lang, label):
    client = app.test_client()
    client.set_cookie("lang", lang)
    assert f">{label}</a>" in client.get("/a/shyn-network").get_data(as_text=True)
