"""A pair's state machine, hours and the mentor's certificate."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    Membership,
    User,
    certificates,
    db,
    notifications,
    permissions,
    site_date,
    utcnow,
)
from plugins.mentoring.models import (
    MentorProfile,
    NoviceRequest,
    Pair,
    PairState,
    Programme,
)
from plugins.mentoring.services.matching_service import (
    _begin_write_transaction,
)
from plugins.mentoring.services.roles import (
    TRANSITIONS,
    TransitionError,
    is_coordinator,
    side_of,
)


def waiting_for_answer(user: User) -> list[Pair]:
    """Proposed pairs in which ``user`` has not yet accepted or declined their side."""
    pairs = db.session.scalars(
        select(Pair)
        .join(MentorProfile, MentorProfile.id == Pair.mentor_id)
        .join(NoviceRequest, NoviceRequest.id == Pair.novice_id)
        .where(
            Pair.state == PairState.PROPOSED,
            ((MentorProfile.user_id == user.id) & Pair.mentor_accepted_at.is_(None))
            | ((NoviceRequest.user_id == user.id) & Pair.novice_accepted_at.is_(None)),
        )
        .options(
            selectinload(Pair.mentor).selectinload(MentorProfile.user),
            selectinload(Pair.novice).selectinload(NoviceRequest.user),
            selectinload(Pair.programme),
        )
        .order_by(Pair.created_at)
    )
    return list(pairs)


def allowed_actions(user: Any, pair: Pair) -> list[str]:
    return [a for a in TRANSITIONS if may_do(user, pair, a)]


def may_do(user: Any, pair: Pair, action: str) -> bool:
    t = TRANSITIONS[action]
    if pair.state not in t.sources:
        return False
    side = side_of(user, pair)
    if t.who == "self":
        if side == "mentor":
            return pair.mentor_accepted_at is None
        if side == "novice":
            return pair.novice_accepted_at is None
        return False
    if t.who == "party":
        return side is not None
    if t.who == "mentor_or_coordinator":
        return side == "mentor" or is_coordinator(user, pair.programme)
    return side is not None or is_coordinator(user, pair.programme)


def transition(pair: Pair, action: str, user: User, reason: str = "") -> None:
    """Apply ``action`` for ``user``, notify the others, and commit.

    Raises :class:`TransitionError` when the pair is not in a source state of the action or the
    user may not do it (a novice cannot accept for the mentor, a coordinator for either).
    Completing a pair issues the mentor's certificate (idempotent by source key).

    The pair's row is locked and re-read first, so that the mentor and the novice accepting
    at the same moment cannot both miss the other's acceptance and leave the pair proposed.
    """
    if action not in TRANSITIONS:
        raise TransitionError(action)
    pair_id = pair.id
    _begin_write_transaction()
    pair = db.session.scalar(
        select(Pair)
        .where(Pair.id == pair_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if pair is None or not may_do(user, pair, action):
        db.session.rollback()
        raise TransitionError(action)
    t = TRANSITIONS[action]
    if t.needs_reason and not reason.strip():
        db.session.rollback()
        raise TransitionError(action)
    now = utcnow()
    if action == "accept":
        if side_of(user, pair) == "mentor":
            pair.mentor_accepted_at = now
        else:
            pair.novice_accepted_at = now
        if pair.mentor_accepted_at and pair.novice_accepted_at:
            pair.state = PairState.ACTIVE
            pair.started_at = now
    else:
        pair.state = t.target
        if t.target in (PairState.COMPLETED, PairState.ENDED, PairState.DECLINED):
            pair.finished_at = now
        if reason:
            pair.end_reason = reason.strip()[:2000]
    if pair.state == PairState.COMPLETED:
        mentor_certificate(pair)
    coordinators = programme_coordinators(pair.programme)
    others = {u.id: u for u in [pair.mentor.user, pair.novice.user, *coordinators]}
    others.pop(user.id, None)
    notifications.notify(
        list(others.values()),
        "mentoring.pair_update",
        _pair_update_title(action, pair),
        reason,
        url=url_for("mentoring.pair", pair_id=pair.id),
        association=pair.programme.association,
    )
    db.session.commit()


def _pair_update_title(action: str, pair: Pair):
    mentor, novice = pair.mentor.user.full_name, pair.novice.user.full_name
    if action == "accept" and pair.state == PairState.ACTIVE:
        return lambda: _(
            "Mentoring pair %(mentor)s – %(novice)s is active", mentor=mentor, novice=novice
        )
    titles = {
        "accept": lambda: _(
            "Proposal accepted: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "decline": lambda: _(
            "Proposal declined: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "pause": lambda: _(
            "Mentoring paused: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "resume": lambda: _(
            "Mentoring resumed: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "complete": lambda: _(
            "Mentoring completed: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "end": lambda: _(
            "Mentoring ended early: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
    }
    return titles[action]


def programme_coordinators(programme: Programme) -> list[User]:
    """Everyone who coordinates: named coordinators and the association's leaders and
    coordinators (administrators are not notified)."""
    rows = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.association_id == programme.association_id,
            Membership.role.in_([r.value for r in permissions.MANAGER_ROLES]),
        )
    ).all()
    people = {u.id: u for u in rows}
    for c in programme.coordinators:
        people[c.user_id] = c.user
    return list(people.values())


def meeting_hours(pair: Pair) -> float:
    return round(sum(m.duration_minutes for m in pair.meetings) / 60.0, 2)


def find_mentor_certificate(pair: Pair):
    """The certificate issued when the pair was completed, if any (never creates one)."""
    from core.api import Certificate

    return db.session.scalar(
        select(Certificate).where(Certificate.source_key == f"mentoring:pair:{pair.id}:mentor")
    )


def mentor_certificate(pair: Pair):
    """The mentor's certificate for a completed pair (created once, then found again)."""
    programme = pair.programme
    association: Association = programme.association
    return certificates.issue(
        source_key=f"mentoring:pair:{pair.id}:mentor",
        recipient=pair.mentor.user,
        title=_(
            "Mentoring of a young specialist, %(novice)s, in the programme «%(programme)s»",
            novice=pair.novice.user.full_name,
            programme=programme.name,
        ),
        kind="mentoring.mentor",
        hours=meeting_hours(pair),
        issuer=association.name,
        issued_on=site_date(pair.finished_at),
        association_id=association.id,
    )
