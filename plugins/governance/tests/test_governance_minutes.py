"""Minutes (хаттама): drafted from the meeting, edited by the secretary, approved by the chair
and the secretary (who and when shown), then frozen; a PDF with Kazakh letters; a public
verification page an anonymous visitor can open."""

from __future__ import annotations

import io

import pypdf
from sqlalchemy import select

from core.api import db
from plugins.governance.models import GeneralMeeting, Minutes
from plugins.governance.tests.world import add_meeting, client_for, make_world, meeting_url


def _held_meeting(app, post, w):
    m = add_meeting(w, motions=("Әдістемелік кеңестің жоспарын бекіту",))
    sec = client_for(app, w.secretary)
    post(
        sec,
        meeting_url(w, m, "/attendance"),
        {"present": [u.id for u in (*w.voting, w.participant)]},
    )
    post(sec, meeting_url(w, m, "/open"))
    item = db.session.get(GeneralMeeting, m.id).items[1]
    post(sec, f"/governance/a/shyn-network/items/{item.id}/start")
    for u in w.voting[:5]:
        post(
            client_for(app, u),
            f"/governance/a/shyn-network/items/{item.id}/vote",
            {"choice": "for"},
        )
    post(
        client_for(app, w.voting[5]),
        f"/governance/a/shyn-network/items/{item.id}/vote",
        {"choice": "against"},
    )
    post(sec, meeting_url(w, m, "/close"))
    db.session.expire_all()
    return m, sec


def test_minutes_are_generated_approved_and_frozen(app, factory, post):
    w = make_world(factory)
    m, sec = _held_meeting(app, post, w)
    minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == m.id))
    body = minutes.body
    assert "Әдістемелік кеңестің жоспарын бекіту" in body
    assert "Зерттеуші Әлия" in body and "Мұғалім 0" in body
    assert "6" in body and "5" in body  # counts
    url = meeting_url(w, m, "/minutes")
    # the secretary edits the draft; members cannot read it yet
    assert client_for(app, w.members[0]).get(url).status_code == 403
    r = post(sec, url + "/edit", {"body": body + "\nҚосымша: ескерту.\n"})
    assert r.status_code == 302
    # a member cannot approve; the chair and the secretary can
    post(client_for(app, w.members[0]), url + "/approve")
    chair = client_for(app, w.leader)
    post(chair, url + "/approve")
    db.session.expire_all()
    minutes = db.session.get(Minutes, minutes.id)
    assert minutes.chair_name == "Айгүл Сейітова" and minutes.frozen_at is None
    post(sec, url + "/approve")
    db.session.expire_all()
    minutes = db.session.get(Minutes, minutes.id)
    assert minutes.secretary_name == "Нұрлан Қасымов"
    assert minutes.frozen_at is not None and minutes.code
    html = client_for(app, w.members[0]).get(url).get_data(as_text=True)
    assert "Айгүл Сейітова" in html and "Нұрлан Қасымов" in html and minutes.code in html
    # frozen: no edits
    frozen_body = minutes.body
    post(sec, url + "/edit", {"body": "Басқа мәтін"})
    db.session.expire_all()
    assert db.session.get(Minutes, minutes.id).body == frozen_body
    assert "Қосымша: ескерту." in frozen_body


def test_an_edit_clears_earlier_approvals(app, factory, post):
    w = make_world(factory)
    m, sec = _held_meeting(app, post, w)
    url = meeting_url(w, m, "/minutes")
    post(client_for(app, w.leader), url + "/approve")
    post(sec, url + "/edit", {"body": "Жаңа мәтін"})
    minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == m.id))
    db.session.refresh(minutes)
    assert minutes.chair_approved_at is None and minutes.body == "Жаңа мәтін"


def test_pdf_has_kazakh_letters_and_anonymous_verification(app, factory, post):
    w = make_world(factory)
    m, sec = _held_meeting(app, post, w)
    url = meeting_url(w, m, "/minutes")
    post(client_for(app, w.leader), url + "/approve")
    post(sec, url + "/approve")
    minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == m.id))
    db.session.refresh(minutes)
    r = client_for(app, w.members[1]).get(url.replace("/minutes", "/minutes.pdf"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.data)).pages)
    for letter in "ӘҚҢӨәқңөұүі":
        assert letter in text, letter
    assert minutes.code in text and "Айгүл Сейітова" in text
    anon = app.test_client()
    page = anon.get(f"/governance/verify/{minutes.code.lower().replace('-', ' ')}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Жалпы жиналыс" in html and "Нұрлан Қасымов" in html
    # members-only minutes: the anonymous visitor verifies but does not read them
    assert anon.get(url).status_code in (302, 401)
    assert anon.get("/governance/verify/ZZZZ-ZZZZ-ZZZZ").status_code == 404
    assert anon.get("/governance/verify/?code=" + minutes.code).status_code == 302


def test_public_minutes_are_readable_by_anyone(app, factory, post):
    w = make_world(factory)
    m, sec = _held_meeting(app, post, w)
    url = meeting_url(w, m, "/minutes")
    minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == m.id))
    post(sec, url + "/edit", {"body": minutes.body, "public": "y"})
    post(client_for(app, w.leader), url + "/approve")
    post(sec, url + "/approve")
    anon = app.test_client()
    assert anon.get(url).status_code == 200
    assert "Жалпы жиналыс" in anon.get("/governance/a/shyn-network/").get_data(as_text=True)
    assert anon.get(meeting_url(w, m)).status_code in (302, 401)  # the meeting page is not
