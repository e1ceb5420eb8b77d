"""Petitions for an extraordinary meeting, exclusion of a member, and a deleted account."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from core.api import (
    Association,
    User,
    associations,
    db,
    locking,
    notify,
    permissions,
    utcnow,
)
from plugins.governance.models import (
    BallotCast,
    Candidate,
    Exclusion,
    ExclusionVote,
    MeetingAttendance,
    Office,
    Petition,
    Signature,
    Vote,
)
from plugins.governance.services.elections import (
    council_ids,
)
from plugins.governance.services.roles import (
    GovernanceError,
    _auth,
    is_voting_member,
    settings_for,
    voting_ids,
    voting_members_count,
)


def open_petition(association: Association) -> Petition | None:
    return db.session.scalar(
        select(Petition)
        .where(Petition.association_id == association.id, Petition.state.in_(("open", "reached")))
        .order_by(Petition.id.desc())
    )


def signatures(petition: Petition) -> int:
    ids = db.session.scalars(select(Signature.user_id).where(Signature.petition_id == petition.id))
    return len(voting_ids(petition.association_id, ids))


def petition_needed(association: Association) -> int:
    s = settings_for(association)
    voting = voting_members_count(association.id)
    return max(1, -(-voting * s.petition_num // s.petition_den))  # ceil


def has_signed(petition: Petition, user: Any) -> bool:
    return _auth(user) and (
        db.session.scalar(
            select(Signature.id).where(
                Signature.petition_id == petition.id, Signature.user_id == user.id
            )
        )
        is not None
    )


def sign_petition(petition_id: int, user: User, now: dt.datetime | None = None) -> None:
    def work():
        petition = db.session.scalars(
            select(Petition)
            .where(Petition.id == petition_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        association = db.session.get(Association, petition.association_id)
        if petition.state not in ("open", "reached"):
            raise GovernanceError(_l("This petition is closed."))
        if not is_voting_member(user, association):
            raise GovernanceError(_l("Only voting members sign a petition."))
        if has_signed(petition, user):
            raise GovernanceError(_l("You have already signed."))
        db.session.add(
            Signature(petition_id=petition.id, user_id=user.id, signed_at=now or utcnow())
        )
        db.session.flush()
        if petition.state == "open" and signatures(petition) >= petition_needed(association):
            petition.state = "reached"
            petition.reached_at = now or utcnow()
            council = [db.session.get(User, uid) for uid in council_ids(association)]
            notify(
                {u.id: u for u in [*associations.managers(association), *council]}.values(),
                "governance.petition",
                lambda: _("A quarter of the members ask for an extraordinary general meeting"),
                petition.reason,
                url_for("governance.index", slug=association.slug),
                association,
                now=now,
            )

    try:
        locking.run_locked(work)
    except IntegrityError:
        db.session.rollback()
        raise GovernanceError(_l("You have already signed.")) from None


def exclusion_url(ex: Exclusion) -> str:
    association = db.session.get(Association, ex.association_id)
    return url_for("governance.exclusion", slug=association.slug, exclusion_id=ex.id)


def propose_exclusion(
    association: Association, member: User, actor: User, reason: str
) -> Exclusion:
    if permissions.membership(member, association) is None:
        raise GovernanceError(_l("This person is not a member."))
    ex = Exclusion(
        association_id=association.id,
        user_id=member.id,
        member_name=member.full_name,
        reason=reason,
        proposed_by_id=actor.id,
    )
    db.session.add(ex)
    db.session.flush()
    notify(
        member,
        "governance.exclusion",
        lambda: _(
            "Your exclusion from %(association)s is proposed: you may respond",
            association=association.name,
        ),
        reason,
        exclusion_url(ex),
        association,
    )
    return ex


def respond_exclusion(ex: Exclusion, user: User, text: str, now: dt.datetime | None = None) -> None:
    if ex.user_id != user.id or ex.state != "proposed":
        raise GovernanceError(_l("You can respond before the council votes."))
    ex.response = text
    ex.responded_at = now or utcnow()


def open_exclusion_vote(ex: Exclusion) -> None:
    if ex.state != "proposed":
        raise GovernanceError(_l("The council's vote has already started."))
    ex.state = "voting"
    association = db.session.get(Association, ex.association_id)
    notify(
        [db.session.get(User, uid) for uid in council_ids(association)],
        "governance.exclusion",
        lambda: _("The council votes on excluding %(name)s", name=ex.member_name),
        "",
        exclusion_url(ex),
        association,
    )


def may_vote_exclusion(user: Any, ex: Exclusion) -> bool:
    association = db.session.get(Association, ex.association_id)
    return (
        ex.state == "voting"
        and _auth(user)
        and user.id in council_ids(association)
        and (user.id != ex.user_id)
    )


def vote_exclusion(ex_id: int, user: User, choice: str) -> None:
    if choice not in ("for", "against"):
        raise GovernanceError(_l("Choose for or against."))

    def work():
        ex = db.session.scalars(
            select(Exclusion)
            .where(Exclusion.id == ex_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if not may_vote_exclusion(user, ex):
            raise GovernanceError(_l("You cannot vote on this proposal."))
        done = db.session.scalar(
            select(ExclusionVote.id).where(
                ExclusionVote.exclusion_id == ex.id, ExclusionVote.user_id == user.id
            )
        )
        if done is not None:
            raise GovernanceError(_l("You have already voted on this proposal."))
        db.session.add(ExclusionVote(exclusion_id=ex.id, user_id=user.id, choice=choice))
        db.session.flush()

    try:
        locking.run_locked(work)
    except IntegrityError:
        db.session.rollback()
        raise GovernanceError(_l("You have already voted on this proposal.")) from None


def decide_exclusion(ex: Exclusion, actor: User, now: dt.datetime | None = None) -> None:
    """Simple majority of the council: more than half of its members vote to exclude."""
    if ex.state != "voting":
        raise GovernanceError(_l("The council's vote is not open."))
    association = db.session.get(Association, ex.association_id)
    council = council_ids(association) - ({ex.user_id} if ex.user_id else set())
    rows = db.session.execute(
        select(ExclusionVote.choice, func.count(ExclusionVote.id))
        .where(ExclusionVote.exclusion_id == ex.id, ExclusionVote.user_id.in_(council))
        .group_by(ExclusionVote.choice)
    ).all()
    counts = dict(rows)
    ex.votes_for = counts.get("for", 0)
    ex.votes_against = counts.get("against", 0)
    ex.council_size = len(council)
    ex.excluded = ex.votes_for * 2 > len(council)
    ex.state = "decided"
    ex.decided_at = now or utcnow()
    member = db.session.get(User, ex.user_id) if ex.user_id else None
    if member is not None:
        if ex.excluded:
            try:
                associations.exclude_member(association, member, actor, ex.reason)
            except associations.MembershipError as exc:
                raise GovernanceError(exc.message) from None
        notify(
            member,
            "governance.exclusion",
            (
                lambda: _(
                    "The council decided to exclude you from %(association)s",
                    association=association.name,
                )
            )
            if ex.excluded
            else (
                lambda: _(
                    "The council decided not to exclude you from %(association)s",
                    association=association.name,
                )
            ),
            "",
            "",
            association,
        )


def forget_user(user: User) -> None:
    for model in (MeetingAttendance, Vote, Signature, ExclusionVote, Candidate, BallotCast, Office):
        db.session.execute(delete(model).where(model.user_id == user.id))
