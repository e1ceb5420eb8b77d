"""Offices and elections: nominations, secret ballots, results, terms and their notices."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.api import (
    Association,
    Membership,
    Role,
    User,
    associations,
    db,
    locking,
    notify,
    permissions,
    plugin_gate,
    site_date,
    site_request_context,
    utcnow,
)
from plugins.governance.models import (
    BallotCast,
    Candidate,
    Election,
    Office,
    Tally,
)
from plugins.governance.services.roles import (
    PLUGIN,
    POSITION_LABELS,
    POSITION_ROLES,
    TERM_NOTICE_DAYS,
    GovernanceError,
    _auth,
    is_voting_member,
    voting_member_users,
)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_offices(association: Association | int, today: dt.date | None = None) -> list[Office]:
    aid = getattr(association, "id", association)
    today = today or site_date()
    return list(
        db.session.scalars(
            select(Office)
            .where(Office.association_id == aid, Office.ends_on >= today, Office.starts_on <= today)
            .order_by(Office.position, Office.ends_on)
        )
    )


def council_ids(association: Association) -> set[int]:
    """Who decides exclusions: the council in office; without one, the leaders."""
    today = site_date()
    ids = set(
        db.session.scalars(
            select(Office.user_id)
            .join(
                Membership,
                (Membership.user_id == Office.user_id)
                & (Membership.association_id == Office.association_id),
            )
            .where(
                Office.association_id == association.id,
                Office.position == "council",
                Office.starts_on <= today,
                Office.ends_on >= today,
            )
        )
    )
    if ids:
        return ids
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.association_id == association.id,
                Membership.role == Role.LEADER.value,
            )
        )
    )


def nominate(election: Election, candidate: User, actor: User) -> Candidate:
    if election.state != "nominating":
        raise GovernanceError(_l("Nominations are closed."))
    if not is_voting_member(candidate, election.association_id):
        raise GovernanceError(_l("Only a voting member can be a candidate."))
    exists = db.session.scalar(
        select(Candidate).where(
            Candidate.election_id == election.id, Candidate.user_id == candidate.id
        )
    )
    if exists is not None:
        raise GovernanceError(_l("This member is already nominated."))
    c = Candidate(
        election_id=election.id,
        user_id=candidate.id,
        nominated_by_id=actor.id,
        state="accepted" if candidate.id == actor.id else "nominated",
    )
    db.session.add(c)
    db.session.flush()
    if candidate.id != actor.id:
        notify(
            candidate,
            "governance.election",
            lambda: _(
                "You are nominated for %(position)s: please accept or decline",
                position=POSITION_LABELS[election.position],
            ),
            "",
            election_url(election),
            election.association,
        )
    return c


def election_url(election: Election) -> str:
    return url_for("governance.election", slug=election.association.slug, election_id=election.id)


def answer_nomination(c: Candidate, user: User, accept: bool) -> None:
    if c.user_id != user.id or c.election.state != "nominating":
        raise GovernanceError(_l("This nomination cannot be answered now."))
    c.state = "accepted" if accept else "declined"


def start_election_voting(election: Election, deadline: dt.datetime | None) -> None:
    accepted = [c for c in election.candidates if c.state == "accepted"]
    if election.state != "nominating":
        raise GovernanceError(_l("The voting has already started."))
    if not accepted:
        raise GovernanceError(_l("There is no accepted candidate yet."))
    election.state = "voting"
    election.deadline = deadline
    for c in accepted:
        db.session.add(Tally(candidate_id=c.id, votes=0))
    notify(
        voting_member_users(election.association),
        "governance.election",
        lambda: _("Secret ballot open: %(position)s", position=POSITION_LABELS[election.position]),
        "",
        election_url(election),
        election.association,
    )


def has_cast(election: Election, user: Any) -> bool:
    return _auth(user) and (
        db.session.scalar(
            select(BallotCast.id).where(
                BallotCast.election_id == election.id, BallotCast.user_id == user.id
            )
        )
        is not None
    )


def may_cast(user: Any, election: Election, now: dt.datetime | None = None) -> bool:
    if election.state != "voting" or not is_voting_member(user, election.association_id):
        return False
    return election.deadline is None or (now or utcnow()) < election.deadline


def cast_ballot(
    election_id: int, user: User, candidate_ids, now: dt.datetime | None = None
) -> None:
    """A secret ballot: mark that ``user`` voted, add one to each chosen candidate's tally.
    Nothing written links the two."""
    chosen = {int(c) for c in candidate_ids}

    def work():
        election = db.session.scalars(
            select(Election)
            .where(Election.id == election_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if not may_cast(user, election, now):
            raise GovernanceError(_l("You cannot vote in this election."))
        allowed = {c.id for c in election.candidates if c.state == "accepted"}
        if not chosen <= allowed:
            raise GovernanceError(_l("Choose among the candidates."))
        if len(chosen) > election.seats:
            raise GovernanceError(_l("Choose at most %(n)s candidates.", n=election.seats))
        if has_cast(election, user):
            raise GovernanceError(_l("You have already voted in this election."))
        db.session.add(BallotCast(election_id=election.id, user_id=user.id))
        db.session.flush()
        if chosen:
            db.session.execute(
                update(Tally).where(Tally.candidate_id.in_(chosen)).values(votes=Tally.votes + 1)
            )

    try:
        locking.run_locked(work)
    except IntegrityError:
        db.session.rollback()
        raise GovernanceError(_l("You have already voted in this election.")) from None


def close_election(election: Election, actor: User | None, now: dt.datetime | None = None) -> None:
    """Count the tallies; the most voted take the seats and the office for the term (and the
    core role that goes with it)."""
    if election.state != "voting":
        raise GovernanceError(_l("The election is not in its voting stage."))
    now = now or utcnow()
    tallies = dict(
        db.session.execute(
            select(Tally.candidate_id, Tally.votes).where(
                Tally.candidate_id.in_([c.id for c in election.candidates])
            )
        ).all()
    )
    election.ballots = (
        db.session.scalar(
            select(func.count(BallotCast.id)).where(BallotCast.election_id == election.id)
        )
        or 0
    )
    ranked = sorted(
        (c for c in election.candidates if c.state == "accepted"),
        key=lambda c: (-tallies.get(c.id, 0), c.user.full_name),
    )
    today = site_date(now)
    ends = add_months(today, election.term_months)
    for c in ranked:
        c.votes = tallies.get(c.id, 0)
    for c in ranked[: election.seats]:
        if not c.votes:
            continue
        c.elected = True
        db.session.add(
            Office(
                association_id=election.association_id,
                user_id=c.user_id,
                position=election.position,
                label=election.label,
                starts_on=today,
                ends_on=ends,
                election_id=election.id,
            )
        )
        role = POSITION_ROLES.get(election.position)
        m = permissions.membership(c.user, election.association)
        if role is not None and m is not None:
            current = Role(m.role)
            if list(Role).index(current) > list(Role).index(role):  # never demote by electing
                associations.change_role(m, role, actor or c.user)
    elected = {c.user_id for c in ranked if c.elected}
    if elected:
        _hand_over(election, elected, today, actor)
    election.state = "closed"
    election.closed_at = now


def _hand_over(election: Election, elected: set[int], today: dt.date, actor: User | None) -> None:
    """The newly elected replace the holders of the same office: their terms end yesterday,
    and a holder who is not re-elected gives back the role that came with the office (the new
    chair is leader already, so the association keeps a leader)."""
    previous = db.session.scalars(
        select(Office).where(
            Office.association_id == election.association_id,
            Office.position == election.position,
            Office.label == election.label,
            Office.ends_on >= today,
            (Office.election_id != election.id) | Office.election_id.is_(None),
        )
    ).all()
    role = POSITION_ROLES.get(election.position)
    for office in previous:
        office.ends_on = today - dt.timedelta(days=1)
        if office.user_id in elected:
            continue
        m = permissions.membership(office.user, election.association)
        if role is not None and m is not None and m.role == role.value:
            with contextlib.suppress(associations.MembershipError):  # the last leader stays
                associations.change_role(m, Role.MEMBER, actor or office.user)


def term_end_notices(now: dt.datetime) -> int:
    with site_request_context():
        return _term_end_notices(now)


def _term_end_notices(now: dt.datetime) -> int:
    """Job: tell the holder and the leaders a month before an office's term ends (once)."""
    today = site_date(now)
    offices = db.session.scalars(
        select(Office).where(
            Office.end_notice_sent.is_(False),
            Office.ends_on <= today + dt.timedelta(days=TERM_NOTICE_DAYS),
            Office.ends_on >= today,
        )
    ).all()
    for office in offices:
        association = db.session.get(Association, office.association_id)
        if not plugin_gate.is_enabled(PLUGIN, association):
            continue
        leaders = associations.managers(association)
        notify(
            [office.user, *leaders],
            "governance.term",
            lambda office=office: _(
                "The term of %(name)s as %(position)s ends on %(date)s",
                name=office.user.full_name,
                position=POSITION_LABELS[office.position],
                date=office.ends_on.strftime("%d.%m.%Y"),
            ),
            "",
            url_for("governance.index", slug=association.slug),
            association,
            now=now,
        )
        office.end_notice_sent = True
    db.session.commit()
    return len(offices)
