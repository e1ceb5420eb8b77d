"""Messages inside a pair, a young specialist's request for a mentor, and the monthly pulse
checks with the coordinator's flags for pairs that struggle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import (
    User,
    db,
    locking,
    notifications,
    plugin_gate,
    site_date,
    site_request_context,
    utcnow,
)
from plugins.mentoring.models import (
    MentorProfile,
    MentorRequest,
    MentorStatus,
    Message,
    NoviceRequest,
    Pair,
    PairState,
    Programme,
    Pulse,
    RequestStatus,
)
from plugins.mentoring.services.matching_service import confirm
from plugins.mentoring.services.pairs import programme_coordinators
from plugins.mentoring.services.roles import OPEN_STATES, side_of

# --- messages ---------------------------------------------------------------------------------


def messages_of(pair: Pair) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.pair_id == pair.id)
            .options(selectinload(Message.author))
            .order_by(Message.created_at, Message.id)
        )
    )


def message_count(pair: Pair) -> int:
    return db.session.scalar(select(func.count(Message.id)).where(Message.pair_id == pair.id)) or 0


def post_message(pair: Pair, user: User, body: str) -> Message:
    """Save a message; the pair's other side is notified (both sides when a coordinator
    writes). Coordinators read the thread without being told of every message."""
    msg = Message(pair_id=pair.id, author_id=user.id, body=body)
    db.session.add(msg)
    db.session.flush()
    others = [u for u in (pair.mentor.user, pair.novice.user) if u.id != user.id]
    name = user.full_name
    notifications.notify(
        others,
        "mentoring.message",
        lambda: _("New message from %(name)s in your mentoring pair", name=name),
        body[:300],
        url=url_for("mentoring.messages", pair_id=pair.id, _anchor=f"msg-{msg.id}"),
        association=pair.programme.association,
    )
    return msg


def may_write(user: Any, pair: Pair, coordinator: bool) -> bool:
    return pair.state in (*OPEN_STATES,) and (side_of(user, pair) is not None or coordinator)


# --- a young specialist asks for a mentor -----------------------------------------------------


class RequestError(Exception):
    """The request cannot be made or decided now (``code`` says why)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def open_request(novice: NoviceRequest) -> MentorRequest | None:
    return db.session.scalar(
        select(MentorRequest).where(
            MentorRequest.novice_id == novice.id, MentorRequest.status == RequestStatus.OPEN
        )
    )


def requests_of(novice: NoviceRequest) -> list[MentorRequest]:
    return list(
        db.session.scalars(
            select(MentorRequest)
            .where(MentorRequest.novice_id == novice.id)
            .options(selectinload(MentorRequest.mentor).selectinload(MentorProfile.user))
            .order_by(MentorRequest.created_at.desc(), MentorRequest.id.desc())
        )
    )


def open_requests(programme: Programme) -> list[MentorRequest]:
    return list(
        db.session.scalars(
            select(MentorRequest)
            .where(
                MentorRequest.programme_id == programme.id,
                MentorRequest.status == RequestStatus.OPEN,
            )
            .options(
                selectinload(MentorRequest.mentor).selectinload(MentorProfile.user),
                selectinload(MentorRequest.novice).selectinload(NoviceRequest.user),
            )
            .order_by(MentorRequest.created_at, MentorRequest.id)
        )
    )


def ask_for_mentor(novice: NoviceRequest, mentor: MentorProfile, note: str) -> MentorRequest:
    """One open request per young specialist and programme, checked under the write lock
    (two tabs posting at once make one request)."""
    programme = novice.programme
    novice_id, mentor_id = novice.id, mentor.id

    def work():
        locked = db.session.scalar(
            select(NoviceRequest).where(NoviceRequest.id == novice_id).with_for_update()
        )
        if open_request(locked) is not None:
            raise RequestError("open")
        taken = db.session.scalar(
            select(Pair.id).where(Pair.novice_id == novice_id, Pair.state.in_(OPEN_STATES))
        )
        if taken:
            raise RequestError("paired")
        req = MentorRequest(
            programme_id=programme.id, novice_id=novice_id, mentor_id=mentor_id, note=note
        )
        db.session.add(req)
        db.session.flush()
        name = locked.user.full_name
        mentor_name = db.session.get(MentorProfile, mentor_id).user.full_name
        notifications.notify(
            programme_coordinators(programme),
            "mentoring.request",
            lambda: _(
                "%(novice)s asks for %(mentor)s as a mentor", novice=name, mentor=mentor_name
            ),
            note,
            url=url_for(
                "mentoring.requests",
                slug=programme.association.slug,
                programme_id=programme.id,
                _anchor=f"req-{req.id}",
            ),
            association=programme.association,
        )
        return req

    try:
        return locking.run_locked(work)
    except RequestError:
        db.session.rollback()
        raise


def withdraw(req: MentorRequest) -> None:
    if req.status != RequestStatus.OPEN:
        raise RequestError("decided")
    req.status = RequestStatus.WITHDRAWN
    req.decided_at = utcnow()
    db.session.commit()


def decide_request(req: MentorRequest, user: User, approve: bool, reason: str = "") -> None:
    """Confirm (the pair is proposed through :func:`confirm`, the capacity check included)
    or decline with a reason the young specialist reads. Raises :class:`RequestError`."""
    if req.status != RequestStatus.OPEN:
        raise RequestError("decided")
    programme = req.programme
    novice_user = req.novice.user
    mentor_name = req.mentor.user.full_name
    url = url_for("mentoring.mentors", slug=programme.association.slug, programme_id=programme.id)
    if approve:
        result = confirm(programme, [(req.novice_id, req.mentor_id)], user)
        if not result.created:
            code = result.rejected[0][2] if result.rejected else "taken"
            raise RequestError(code)
        req = db.session.get(MentorRequest, req.id)
        req.status = RequestStatus.CONFIRMED
        req.pair_id = result.created[0].id
        title = lambda: _("Your request is confirmed: %(mentor)s", mentor=mentor_name)  # noqa: E731
        body = ""
        url = url_for("mentoring.pair", pair_id=req.pair_id)
    else:
        req.status = RequestStatus.DECLINED
        req.reason = reason
        title = lambda: _("Your request for %(mentor)s is declined", mentor=mentor_name)  # noqa: E731
        body = reason
    req.decided_by_id = user.id
    req.decided_at = utcnow()
    notifications.notify(
        novice_user,
        "mentoring.request",
        title,
        body,
        url=url,
        association=programme.association,
    )
    db.session.commit()


REQUEST_STATUS_LABELS: dict[str, Any] = {
    RequestStatus.OPEN: _l("waiting for the coordinator"),
    RequestStatus.CONFIRMED: _l("confirmed"),
    RequestStatus.DECLINED: _l("declined"),
    RequestStatus.WITHDRAWN: _l("withdrawn"),
}


def requestable(mentor: MentorProfile) -> bool:
    return mentor.status == MentorStatus.APPROVED


# --- pulse checks -----------------------------------------------------------------------------

#: a score at or below this flags the pair
LOW_SCORE = 2
#: an unanswered pulse check flags the pair this long after it was asked
ANSWER_WITHIN = dt.timedelta(days=7)


def month_of(now: dt.datetime) -> str:
    return site_date(now).strftime("%Y-%m")


def ask_pulse(now: dt.datetime) -> int:
    """Once per site month (idempotent: one row per pair, person and month): ask both sides
    of every active pair how it is going. Returns how many people were asked."""
    month = month_of(now)
    pairs = db.session.scalars(
        select(Pair)
        .where(Pair.state == PairState.ACTIVE)
        .options(
            selectinload(Pair.mentor).selectinload(MentorProfile.user),
            selectinload(Pair.novice).selectinload(NoviceRequest.user),
            selectinload(Pair.programme).selectinload(Programme.association),
        )
    ).all()
    if not pairs:
        return 0
    have = {
        (p.pair_id, p.user_id)
        for p in db.session.scalars(
            select(Pulse).where(Pulse.month == month, Pulse.pair_id.in_([p.id for p in pairs]))
        )
    }
    asked = 0
    with site_request_context():
        for pair in pairs:
            if not plugin_gate.is_enabled("mentoring", pair.programme.association_id):
                continue
            for person in (pair.mentor.user, pair.novice.user):
                if (pair.id, person.id) in have:
                    continue
                db.session.add(Pulse(pair_id=pair.id, user_id=person.id, month=month, asked_at=now))
                notifications.notify(
                    person,
                    "mentoring.pulse",
                    lambda: _("How is your mentoring going? One question for this month"),
                    "",
                    url=url_for("mentoring.pair", pair_id=pair.id, _anchor="pulse"),
                    association=pair.programme.association,
                    email=True,
                    now=now,
                )
                asked += 1
    try:
        db.session.commit()
    except Exception:  # another runner asked the same people first: the unique row holds
        db.session.rollback()
        return 0
    return asked


def my_open_pulse(pair: Pair, user: Any) -> Pulse | None:
    if side_of(user, pair) is None:
        return None
    return db.session.scalar(
        select(Pulse)
        .where(Pulse.pair_id == pair.id, Pulse.user_id == user.id, Pulse.answered_at.is_(None))
        .order_by(Pulse.month.desc())
    )


def pulses_of(pair: Pair) -> list[Pulse]:
    return list(
        db.session.scalars(
            select(Pulse)
            .where(Pulse.pair_id == pair.id)
            .options(selectinload(Pulse.user))
            .order_by(Pulse.month.desc(), Pulse.id)
        )
    )


@dataclass
class Flag:
    pair: Pair
    rule: str  # low_score, no_answer, no_meeting
    text: str


def struggling(programme: Programme, pairs: list[Pair], now: dt.datetime | None = None):
    """The working pairs that need a coordinator, each with the rule that flagged it:
    a pulse score of :data:`LOW_SCORE` or less in the latest month answered; a pulse check
    left unanswered for :data:`ANSWER_WITHIN`; no meeting held for the programme's
    ``alert_weeks`` weeks (counted from the pair's start when there is none)."""
    now = now or utcnow()
    today = site_date(now)
    working = [p for p in pairs if p.state == PairState.ACTIVE]
    if not working:
        return []
    rows = db.session.scalars(
        select(Pulse)
        .where(Pulse.pair_id.in_([p.id for p in working]))
        .options(selectinload(Pulse.user))
        .order_by(Pulse.month.desc())
    ).all()
    by_pair: dict[int, list[Pulse]] = {}
    for r in rows:
        by_pair.setdefault(r.pair_id, []).append(r)
    flags: list[Flag] = []
    weeks = programme.alert_weeks or 4
    for pair in working:
        answered = [r for r in by_pair.get(pair.id, []) if r.score is not None]
        if answered:
            latest = answered[0].month
            for r in answered:
                if r.month == latest and r.score <= LOW_SCORE:
                    flags.append(
                        Flag(
                            pair,
                            "low_score",
                            _(
                                "%(name)s rated %(month)s %(score)s of 5 (%(limit)s or less "
                                "flags a pair)",
                                name=r.user.full_name,
                                month=r.month,
                                score=r.score,
                                limit=LOW_SCORE,
                            ),
                        )
                    )
        for r in by_pair.get(pair.id, []):
            if r.answered_at is None and now - r.asked_at >= ANSWER_WITHIN:
                flags.append(
                    Flag(
                        pair,
                        "no_answer",
                        _(
                            "%(name)s has not answered the pulse check of %(month)s for "
                            "%(days)s days",
                            name=r.user.full_name,
                            month=r.month,
                            days=(now - r.asked_at).days,
                        ),
                    )
                )
        held = [m.held_on for m in pair.meetings if m.held_on <= today]
        since = max(held) if held else site_date(pair.started_at or pair.created_at)
        gap = (today - since).days // 7
        if gap >= weeks:
            text = (
                _(
                    "No meeting for %(n)s weeks (last on %(date)s; the programme expects one "
                    "at least every %(weeks)s weeks)",
                    n=gap,
                    date=since.strftime("%d.%m.%Y"),
                    weeks=weeks,
                )
                if held
                else _(
                    "No meeting in %(n)s weeks since the pair began (the programme expects one "
                    "at least every %(weeks)s weeks)",
                    n=gap,
                    weeks=weeks,
                )
            )
            flags.append(Flag(pair, "no_meeting", text))
    return flags


def answer_pulse(pulse: Pulse, score: int, comment: str) -> None:
    pulse.score = score
    pulse.comment = comment
    pulse.answered_at = utcnow()
    db.session.commit()
