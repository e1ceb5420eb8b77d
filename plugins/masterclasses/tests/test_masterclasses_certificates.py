"""Certificates for attendees and hosts (PDF through the core service), portfolio entries and
search results."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import select

from core.extensions import db
from core.models import Certificate
from core.services import portfolio
from plugins.masterclasses import services
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event

KAZAKH_NAME = "Зуһра Сәулеқызы Шаңырақ-Төлегенова Ағайұлы Күміс"


def _held_event(factory, **kw):
    assoc = factory.association(name_kk="Қостанай математиктері")
    host = factory.member(assoc, role="member")
    ev = make_event(
        assoc,
        hosts=[host],
        start_in=-dt.timedelta(days=2),
        status="held",
        title="Функционалдық сауаттылық",
        form="seminar",
        credit_hours=3,
        **kw,
    )
    return assoc, host, ev


def _mark(ev, user, mark):
    services.register(ev.id, user, by_host=True)
    reg = db.session.scalar(
        select(Registration).where(Registration.event_id == ev.id, Registration.user_id == user.id)
    )
    reg.attendance = mark
    db.session.commit()


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_attendee_gets_a_pdf_with_every_kazakh_letter(client, factory, login, post):
    _assoc, host, ev = _held_event(factory)
    teacher = factory.user(full_name=KAZAKH_NAME)
    _mark(ev, teacher, "present")
    login(client, teacher)
    assert "/certificate" in client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    resp = post(client, f"/masterclasses/{ev.id}/certificate")
    assert resp.status_code == 302
    cert = db.session.scalar(select(Certificate))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f'href="/certificates/{cert.code}.pdf"' in page
    assert cert.source_key == f"masterclasses:event:{ev.id}:user:{teacher.id}"
    assert cert.hours == 3 and cert.kind == "masterclasses.attended"

    pdf = client.get(f"/certificates/{cert.code}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(_pdf_text(pdf.data).split())
    for letter in "әғқңөұүһі":
        assert letter in KAZAKH_NAME and letter in text
    assert KAZAKH_NAME in text
    assert "Функционалдық сауаттылық" in text
    assert host.full_name in text and "Қостанай математиктері" in text
    assert cert.code in text and f"/verify/{cert.code}" in text

    post(client, f"/masterclasses/{ev.id}/certificate")
    assert db.session.scalars(select(Certificate.code)).all() == [cert.code]  # issued once
    verify = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert KAZAKH_NAME in verify


def test_certificates_only_for_attendees_and_hosts_after_the_event(client, factory, login, post):
    assoc, host, ev = _held_event(factory)
    absent, excused, late, stranger = (factory.user() for _ in range(4))
    _mark(ev, absent, "absent")
    _mark(ev, excused, "excused")
    _mark(ev, late, "late")
    future = make_event(assoc, hosts=[host])

    for user in (absent, excused, stranger):
        login(client, user)
        assert post(client, f"/masterclasses/{ev.id}/certificate").status_code == 403
        post(client, "/logout")
    login(client, late)
    assert post(client, f"/masterclasses/{ev.id}/certificate").status_code == 302
    post(client, "/logout")
    login(client, host)
    assert post(client, f"/masterclasses/{ev.id}/certificate").status_code == 302
    assert post(client, f"/masterclasses/{future.id}/certificate").status_code == 403
    kinds = dict(db.session.execute(select(Certificate.recipient_id, Certificate.kind)).all())
    assert kinds == {late.id: "masterclasses.attended", host.id: "masterclasses.hosted"}


def test_portfolio_has_hours_attended_and_hosted(client, factory, login, post):
    _assoc, host, ev = _held_event(factory)
    teacher = factory.user()
    _mark(ev, teacher, "present")
    entries = portfolio.entries(teacher)
    assert [(e.kind, e.hours, e.source) for e in entries] == [("attended", 3.0, "masterclasses")]
    assert [(e.kind, e.hours) for e in portfolio.entries(host)] == [("hosted", 3.0)]
    login(client, teacher)
    post(client, f"/masterclasses/{ev.id}/certificate")
    (entry,) = portfolio.entries(teacher)
    assert entry.certificate_code == db.session.scalar(select(Certificate.code))
    page = client.get(f"/u/{teacher.id}/portfolio").get_data(as_text=True)
    assert "Функционалдық сауаттылық" in page


def test_search_finds_events_the_user_may_see(client, factory, login):
    assoc = factory.association()
    make_event(assoc, title="Критериалды бағалау шеберлік сыныбы")
    make_event(assoc, title="Критериалды бағалау: ішкі кеңес", visibility="members")
    page = client.get("/search?q=критериалды").get_data(as_text=True)
    assert "шеберлік сыныбы" in page and "ішкі кеңес" not in page
    login(client, factory.member(assoc))
    page = client.get("/search?q=критериалды").get_data(as_text=True)
    assert "шеберлік сыныбы" in page and "ішкі кеңес" in page
    # then a member of another association (the reader's visibility is built once, their
    # associations bound at each search)
    client.post("/logout")
    login(client, factory.member(factory.association()))
    page = client.get("/search?q=критериалды").get_data(as_text=True)
    assert "шеберлік сыныбы" in page and "ішкі кеңес" not in page


def test_search_matches_the_forms_of_the_words(client, factory):
    assoc = factory.association()
    make_event(assoc, title="Критериалды бағалау шеберлік сыныбы")
    make_event(assoc, title="Открытые уроки математики")
    for q, title in [
        ("бағалаудың", "шеберлік сыныбы"),
        ("сыныптар", "шеберлік сыныбы"),
        ("урок", "уроки математики"),
        ("уроков", "уроки математики"),
    ]:
        page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert title in page.replace("<mark>", "").replace("</mark>", ""), q
    page = client.get("/search?q=уроков").get_data(as_text=True)
    assert "шеберлік" not in page and "Открытые <mark>уроки</mark>" in page
