"""Registration questions of an event (short text or a choice, required or not), their answers,
and messages from the hosts to the participants or the waitlist (in-app and email through the
core's notifications, which keep quiet hours and preferences; every message is logged)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.api import db, notifications
from plugins.masterclasses.models import (
    Answer,
    Event,
    MessageLog,
    Question,
    Registration,
    RegStatus,
)
from plugins.masterclasses.services.registration import event_path, participants

MAX_ANSWER = 500


def questions_of(event: Event) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.event_id == event.id)
            .order_by(Question.position, Question.id)
        )
    )


def read_answers(questions: list[Question], form) -> tuple[dict[int, str], dict[int, str]]:
    """The posted answers (``q_<id>``) and the errors per question id."""
    values: dict[int, str] = {}
    errors: dict[int, str] = {}
    for q in questions:
        raw = " ".join((form.get(f"q_{q.id}") or "").split())[:MAX_ANSWER]
        values[q.id] = raw
        if not raw:
            if q.required:
                errors[q.id] = str(_l("Please answer this question."))
        elif q.kind == "choice" and raw not in q.option_list:
            errors[q.id] = str(_l("Choose one of the listed answers."))
    return values, errors


def save_answers(reg: Registration, values: dict[int, str]) -> None:
    """Store ``values`` for ``reg`` (replacing earlier answers). Caller commits."""
    existing = {
        a.question_id: a
        for a in db.session.scalars(select(Answer).where(Answer.registration_id == reg.id))
    }
    for qid, value in values.items():
        answer = existing.get(qid)
        if answer is None:
            db.session.add(Answer(registration_id=reg.id, question_id=qid, value=value))
        else:
            answer.value = value


def answers_by_registration(event: Event) -> dict[int, dict[int, str]]:
    """{registration id: {question id: answer}} for the event, in one query."""
    rows = db.session.execute(
        select(Answer.registration_id, Answer.question_id, Answer.value)
        .join(Registration, Registration.id == Answer.registration_id)
        .where(Registration.event_id == event.id)
    ).all()
    out: dict[int, dict[int, str]] = {}
    for reg_id, qid, value in rows:
        out.setdefault(reg_id, {})[qid] = value
    return out


def send_message(event: Event, sender, audience: str, subject: str, body: str) -> MessageLog:
    """Notify the registered participants (or the waitlist) of ``event``; log it. Caller
    commits."""
    status = RegStatus.WAITLISTED if audience == "waitlisted" else RegStatus.REGISTERED
    users = [r.user for r in participants(event, status) if r.user.active]
    if users:
        notifications.notify(
            users,
            "masterclasses.message",
            _l("%(title)s: %(subject)s", title=event.title, subject=subject),
            body,
            event_path(event),
            event.association,
        )
    log = MessageLog(
        event_id=event.id,
        sender_id=sender.id,
        audience=status.value,
        subject=subject,
        body=body,
        recipients=len(users),
    )
    db.session.add(log)
    return log


def message_log(event: Event) -> list[MessageLog]:
    return list(
        db.session.scalars(
            select(MessageLog)
            .where(MessageLog.event_id == event.id)
            .order_by(MessageLog.sent_at.desc(), MessageLog.id.desc())
        )
    )
