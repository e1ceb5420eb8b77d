"""Who is who in an association's governance, and its rules."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.api import (
    Association,
    Membership,
    Role,
    User,
    db,
    permissions,
)
from plugins.governance.models import (
    GovernanceSettings,
)

PLUGIN = "governance"


KIND_LABELS = {"regular": _l("Regular"), "extraordinary": _l("Extraordinary")}


MODE_LABELS = {"in_person": _l("In person"), "online": _l("Online"), "hybrid": _l("Hybrid")}


STATE_LABELS = {"planned": _l("Planned"), "open": _l("In progress"), "closed": _l("Closed")}


CHOICE_LABELS = {"for": _l("For"), "against": _l("Against"), "abstain": _l("Abstain")}


HOW_LABELS = {
    "secretary": _l("marked by the secretary"),
    "code": _l("checked in with the code"),
    "online": _l("confirmed online"),
}


POSITION_LABELS = {
    "chair": _l("Chair"),
    "council": _l("Council member"),
    "coordinator": _l("Coordinator of a subject group"),
    "regional_rep": _l("Regional representative"),
}


#: The core role an elected person takes for the term (None: the office only).
POSITION_ROLES = {"chair": Role.LEADER, "coordinator": Role.COORDINATOR}


ELECTION_STATE_LABELS = {
    "nominating": _l("Nominations"),
    "voting": _l("Voting"),
    "closed": _l("Closed"),
}


CANDIDATE_STATE_LABELS = {
    "nominated": _l("waiting for acceptance"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
}


TERM_NOTICE_DAYS = 30


class GovernanceError(Exception):
    """A rule refused the change; the message is shown to the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _auth(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_chair(user: Any, association: Association) -> bool:
    return _auth(user) and permissions.has_role(user, association, Role.LEADER)


def is_secretary(user: Any, association: Association) -> bool:
    return _auth(user) and permissions.has_role(user, association, Role.SECRETARY)


def may_manage(user: Any, association: Association) -> bool:
    """Convene and run meetings, elections and proposals: the leader, the secretary, or an
    administrator over the association."""
    if not _auth(user):
        return False
    return permissions.has_role(
        user, association, Role.LEADER, Role.SECRETARY
    ) or permissions.administers(user, association)


def may_view(user: Any, association: Association) -> bool:
    """Meetings, elections and proposals of the association: its members and administrators."""
    return _auth(user) and (
        permissions.is_member(user, association) or permissions.administers(user, association)
    )


def is_voting_member(user: Any, association: Association | int) -> bool:
    """A member who may vote: every role but the non-voting ``participant``."""
    m = permissions.membership(user, association) if _auth(user) else None
    return m is not None and m.role != Role.PARTICIPANT.value


def member_users(association: Association) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.association_id == association.id)
            .order_by(User.full_name)
        )
    )


def voting_member_users(association: Association) -> list[User]:
    """The members who may vote (every role but ``participant``), in one query."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.association_id == association.id,
                Membership.role != Role.PARTICIPANT.value,
            )
            .order_by(User.full_name)
        )
    )


def voting_members_count(association_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.association_id == association_id,
                Membership.role != Role.PARTICIPANT.value,
            )
        )
        or 0
    )


def voting_ids(association_id: int, user_ids) -> set[int]:
    ids = set(user_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.association_id == association_id,
                Membership.user_id.in_(ids),
                Membership.role != Role.PARTICIPANT.value,
            )
        )
    )


def settings_for(association: Association | int) -> GovernanceSettings:
    aid = getattr(association, "id", association)
    row = db.session.scalar(
        select(GovernanceSettings).where(GovernanceSettings.association_id == aid)
    )
    if row is None:
        row = GovernanceSettings(
            association_id=aid,
            notice_days=14,
            meetings_per_year=1,
            quorum_num=1,
            quorum_den=2,
            decision_num=2,
            decision_den=3,
            petition_num=1,
            petition_den=4,
            chair_term_months=12,
            council_term_months=12,
            council_min=15,
            minutes_public=False,
        )
    return row
