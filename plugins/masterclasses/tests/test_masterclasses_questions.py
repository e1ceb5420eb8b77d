"""Registration questions (short text, choice; required or not) with answers in the
participants list and the CSV; messages to the participants or the waitlist, logged."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import Notification, OutboxEmail
from plugins.masterclasses.models import Answer, MessageLog, Question, Registration
from plugins.masterclasses.tests.helpers import make_event


def _world(factory, **kw):
    assoc = factory.association(slug="q")
    host = factory.member(assoc, factory.user(locale="kk"))
    ev = make_event(assoc, hosts=[host], **kw)
    return ev, host


def _add_questions(client, post, ev):
    resp = post(
        client,
        f"/masterclasses/{ev.id}/questions",
        {
            "label": "Қай сыныпта сабақ бересіз?",
            "kind": "choice",
            "options": "5–6\n7–9\n10–11",
            "required": "y",
        },
    )
    assert resp.status_code == 302
    post(
        client,
        f"/masterclasses/{ev.id}/questions",
        {"label": "Қандай сұрағыңыз бар?", "kind": "text"},
    )


def test_a_choice_needs_two_options_and_the_error_keeps_the_input(client, factory, login, post):
    ev, host = _world(factory)
    login(client, host)
    resp = post(
        client,
        f"/masterclasses/{ev.id}/questions",
        {"label": "Сынып?", "kind": "choice", "options": "5"},
    )
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'value="Сынып?"' in page and 'class="error"' in page
    assert db.session.scalar(select(Question.id)) is None


def test_answers_are_asked_checked_and_shown_to_the_host(client, factory, login, post):
    ev, host = _world(factory)
    login(client, host)
    _add_questions(client, post, ev)
    client.post("/logout")
    teacher = factory.user(full_name="Айгүл Серікқызы", locale="kk")
    login(client, teacher)
    page = client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    assert f'href="/masterclasses/{ev.id}/register"' in page
    form = client.get(f"/masterclasses/{ev.id}/register").get_data(as_text=True)
    assert "Қай сыныпта сабақ бересіз? *" in form
    q1, q2 = db.session.scalars(select(Question).order_by(Question.position)).all()
    # The required question unanswered, a choice not offered: errors, nothing stored.
    resp = post(client, f"/masterclasses/{ev.id}/register", {f"q_{q2.id}": "Бағалау туралы"})
    assert resp.status_code == 400
    assert 'value="Бағалау туралы"' in resp.get_data(as_text=True)
    resp = post(client, f"/masterclasses/{ev.id}/register", {f"q_{q1.id}": "12"})
    assert resp.status_code == 400
    assert db.session.scalar(select(Registration.id)) is None
    resp = post(
        client,
        f"/masterclasses/{ev.id}/register",
        {f"q_{q1.id}": "7–9", f"q_{q2.id}": "=HYPERLINK(1)"},
    )
    assert resp.status_code == 302
    answers = {a.question_id: a.value for a in db.session.scalars(select(Answer))}
    assert answers == {q1.id: "7–9", q2.id: "=HYPERLINK(1)"}

    client.post("/logout")
    login(client, host)
    page = client.get(f"/masterclasses/{ev.id}/participants").get_data(as_text=True)
    assert "Айгүл Серікқызы" in page and "7–9" in page
    csv = client.get(f"/masterclasses/{ev.id}/participants.csv").data.decode("utf-8-sig")
    header, row = csv.splitlines()[:2]
    assert header.endswith("Қай сыныпта сабақ бересіз?;Қандай сұрағыңыз бар?")
    assert "7–9" in row and "'=HYPERLINK(1)" in row  # a formula typed by a user is defused


def test_questions_are_for_editors_only(client, factory, login, post):
    ev, _host = _world(factory)
    login(client, factory.user())
    assert client.get(f"/masterclasses/{ev.id}/questions").status_code == 403
    resp = post(client, f"/masterclasses/{ev.id}/questions", {"label": "X", "kind": "text"})
    assert resp.status_code == 403
    assert db.session.scalar(select(Question.id)) is None


def test_removing_a_question_of_another_event_is_not_found(client, factory, login, post):
    ev, host = _world(factory)
    other = make_event(ev.association, hosts=[host], title="Басқа")
    login(client, host)
    _add_questions(client, post, other)
    qid = db.session.scalar(select(Question.id))
    resp = post(client, f"/masterclasses/{ev.id}/questions/{qid}/delete")
    assert resp.status_code == 404
    assert post(client, f"/masterclasses/{other.id}/questions/{qid}/delete").status_code == 302
    assert db.session.get(Question, qid) is None


def test_a_message_reaches_the_participants_or_the_waitlist_and_is_logged(
    client, factory, login, post
):
    from plugins.masterclasses import services

    ev, host = _world(factory, capacity=1)
    seated = factory.user(full_name="Орындағы")
    waiting = factory.user(full_name="Күтудегі")
    services.register(ev.id, seated)
    services.register(ev.id, waiting)
    login(client, host)
    resp = post(
        client,
        f"/masterclasses/{ev.id}/participants/message",
        {"audience": "registered", "subject": "Ноутбук алыңыз", "body": "Сабаққа ноутбук керек."},
    )
    assert resp.status_code == 302
    notes = db.session.scalars(select(Notification)).all()
    assert [n.user_id for n in notes if "Ноутбук алыңыз" in n.title] == [seated.id]
    assert db.session.scalar(select(OutboxEmail.to).where(OutboxEmail.to == seated.email))
    post(
        client,
        f"/masterclasses/{ev.id}/participants/message",
        {"audience": "waitlisted", "subject": "Орын босауы мүмкін", "body": "Күте тұрыңыз."},
    )
    logs = db.session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
    assert [(m.audience, m.recipients, m.sender_id) for m in logs] == [
        ("registered", 1, host.id),
        ("waitlisted", 1, host.id),
    ]
    page = client.get(f"/masterclasses/{ev.id}/participants").get_data(as_text=True)
    assert "Ноутбук алыңыз" in page and "Орын босауы мүмкін" in page
    # An empty message is a field error; a participant may not write to everyone.
    resp = post(
        client,
        f"/masterclasses/{ev.id}/participants/message",
        {"audience": "registered", "subject": "", "body": "Мәтін"},
    )
    assert resp.status_code == 400 and 'value=""' not in resp.get_data(as_text=True)[:0]
    client.post("/logout")
    login(client, seated)
    resp = post(
        client,
        f"/masterclasses/{ev.id}/participants/message",
        {"audience": "registered", "subject": "Спам", "body": "Спам"},
    )
    assert resp.status_code == 403
    assert len(db.session.scalars(select(MessageLog)).all()) == 2


def test_the_promotion_email_carries_the_date_time_and_place(client, factory):
    import datetime as dt

    from plugins.masterclasses import services

    assoc = factory.association(slug="promo")
    ev = make_event(
        assoc,
        capacity=1,
        starts_at=dt.datetime(2030, 3, 4, 8, 0),
        venue="№3 мектеп",
        address="Қостанай, Абай к-сі 10",
    )
    first = factory.user()
    second = factory.user(locale="kk")
    services.register(ev.id, first)
    services.register(ev.id, second)
    services.cancel(ev.id, first.id)
    mail = db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.to == second.email, OutboxEmail.kind == "masterclasses.promoted"
        )
    )
    assert mail is not None
    assert "04.03.2030 13:00" in mail.body
    assert "№3 мектеп, Қостанай, Абай к-сі 10" in mail.body
    assert "Орын босап" in mail.body
