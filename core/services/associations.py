"""Membership operations: join, ask to join, decide, invite, answer, leave, change a role.

Views, the demo builder and plugins use these instead of writing ``Membership`` rows, so that
the rules hold everywhere:

* the join policy decides how one gets in (open: at once; request: a leader or coordinator
  approves; invite: only through an invitation);
* an association never loses its last leader (leaving or demotion is refused until someone
  else is leader);
* ``Association.member_count`` and ``last_activity_at`` follow every change;
* role changes are written to the audit log and the member is notified.

Each function checks the rule, changes the session and raises :class:`MembershipError` (with a
message for the user) before changing anything when a rule is broken. The caller commits, so a
view validates, calls one of these and commits once: nothing half-written is stored.
Permissions (who may approve, invite, change roles) are the caller's business
(:func:`core.services.permissions.require`); these functions only enforce the rules that hold
whoever acts.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.models import (
    Association,
    Invitation,
    InvitationStatus,
    JoinPolicy,
    JoinRequest,
    Membership,
    RequestStatus,
    Role,
    User,
)
from core.services import audit, notifications, permissions, plugin_gate
from core.timeutil import utcnow

# Thin aliases kept for the views (``svc.PENDING``...); new code uses the enums.
PENDING = RequestStatus.PENDING
APPROVED = RequestStatus.APPROVED
DECLINED = RequestStatus.DECLINED
CANCELLED = RequestStatus.CANCELLED


class MembershipError(Exception):
    """A membership rule forbids the operation; ``str(error)`` is shown to the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def membership_of(association: Association, user: User) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(
            Membership.association_id == association.id, Membership.user_id == user.id
        )
    )


def managers(association: Association) -> list[User]:
    """Leaders and coordinators of the association (who decide requests)."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.association_id == association.id,
                Membership.role.in_([Role.LEADER.value, Role.COORDINATOR.value]),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def leader_count(association: Association) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.association_id == association.id,
                Membership.role == Role.LEADER.value,
            )
        )
        or 0
    )


def pending_request(association: Association, user: User) -> JoinRequest | None:
    return db.session.scalar(
        select(JoinRequest).where(
            JoinRequest.association_id == association.id,
            JoinRequest.user_id == user.id,
            JoinRequest.status == RequestStatus.PENDING,
        )
    )


def pending_invitation(association: Association, user: User) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(
            Invitation.association_id == association.id,
            Invitation.user_id == user.id,
            Invitation.status == InvitationStatus.PENDING,
        )
    )


def _touch(association: Association) -> None:
    """Recount members (a count, not +1/-1, so the number heals itself) and mark activity."""
    db.session.flush()
    association.member_count = (
        db.session.scalar(
            select(func.count(Membership.id)).where(Membership.association_id == association.id)
        )
        or 0
    )
    association.last_activity_at = utcnow()


def _page(association: Association) -> str:
    return url_for("core.association", slug=association.slug)


def add_member(association: Association, user: User, role: Role | str = Role.MEMBER) -> Membership:
    """Make ``user`` a member with ``role``, whatever the join policy (used after a decision,
    an invitation, when creating an association, and by the demo builder)."""
    role = Role(role)
    if membership_of(association, user) is not None:
        raise MembershipError(_l("This person is already a member."))
    m = Membership(association_id=association.id, user_id=user.id, role=role.value)
    db.session.add(m)
    # Whatever brought the user in settles their other open requests and invitations here.
    for row in db.session.scalars(
        select(JoinRequest).where(
            JoinRequest.association_id == association.id,
            JoinRequest.user_id == user.id,
            JoinRequest.status == RequestStatus.PENDING,
        )
    ):
        row.status = RequestStatus.APPROVED
        row.decided_at = utcnow()
    for row in db.session.scalars(
        select(Invitation).where(
            Invitation.association_id == association.id,
            Invitation.user_id == user.id,
            Invitation.status == InvitationStatus.PENDING,
        )
    ):
        row.status = InvitationStatus.ACCEPTED
    _touch(association)
    permissions.forget(user)
    return m


def join(association: Association, user: User) -> Membership:
    """Join an open association at once."""
    if association.join_policy != JoinPolicy.OPEN.value:
        raise MembershipError(_l("This association does not take members without a decision."))
    return add_member(association, user, Role.MEMBER)


def request_to_join(association: Association, user: User, message: str = "") -> JoinRequest:
    """Ask to join an association that takes members by request; its leaders and
    coordinators are notified."""
    if membership_of(association, user) is not None:
        raise MembershipError(_l("You are already a member."))
    if association.join_policy == JoinPolicy.INVITE.value:
        raise MembershipError(_l("This association takes members by invitation only."))
    if association.join_policy != JoinPolicy.REQUEST.value:
        raise MembershipError(_l("This association does not take join requests."))
    if pending_request(association, user) is not None:
        raise MembershipError(_l("Your request is already waiting for a decision."))
    req = JoinRequest(association_id=association.id, user_id=user.id, message=message.strip())
    db.session.add(req)
    notifications.notify(
        managers(association),
        "core.join_request",
        lambda: _(
            "%(name)s asks to join %(association)s",
            name=user.full_name,
            association=association.name,
        ),
        message.strip(),
        url_for("core.join_requests", slug=association.slug),
        association,
    )
    return req


def cancel_request(association: Association, user: User) -> None:
    req = pending_request(association, user)
    if req is None:
        raise MembershipError(_l("There is no request to cancel."))
    req.status = RequestStatus.CANCELLED
    req.decided_at = utcnow()


def _pending(req: JoinRequest) -> None:
    if req.status != RequestStatus.PENDING:
        raise MembershipError(_l("This request has already been decided."))


def approve(req: JoinRequest, actor: User) -> Membership:
    """Accept a pending request: the applicant becomes a member and is notified."""
    _pending(req)
    association, applicant = req.association, req.user
    if membership_of(association, applicant) is not None:
        raise MembershipError(_l("This person is already a member."))
    m = add_member(association, applicant, Role.MEMBER)
    req.status = RequestStatus.APPROVED
    req.decided_by_id = actor.id
    req.decided_at = utcnow()
    notifications.notify(
        applicant,
        "core.join_decision",
        lambda: _("You are now a member of %(association)s", association=association.name),
        "",
        _page(association),
        association,
    )
    return m


def decline(req: JoinRequest, actor: User, reason: str) -> None:
    """Refuse a pending request with a reason, which the applicant receives."""
    _pending(req)
    reason = reason.strip()
    if not reason:
        raise MembershipError(_l("Give a reason: the applicant will read it."))
    req.status = RequestStatus.DECLINED
    req.reason = reason
    req.decided_by_id = actor.id
    req.decided_at = utcnow()
    notifications.notify(
        req.user,
        "core.join_decision",
        lambda: _(
            "Your request to join %(association)s was declined",
            association=req.association.name,
        ),
        reason,
        _page(req.association),
        req.association,
    )


def invite(association: Association, user: User, role: Role | str, actor: User) -> Invitation:
    """Invite an existing user with a role; they are notified and accept or decline."""
    role = Role(role)
    if membership_of(association, user) is not None:
        raise MembershipError(_l("This person is already a member."))
    if pending_invitation(association, user) is not None:
        raise MembershipError(_l("This person has already been invited."))
    inv = Invitation(
        association_id=association.id, user_id=user.id, invited_by_id=actor.id, role=role.value
    )
    db.session.add(inv)
    notifications.notify(
        user,
        "core.invitation",
        lambda: _(
            "%(name)s invites you to %(association)s as %(role)s",
            name=actor.full_name,
            association=association.name,
            role=ROLE_LABELS[role],
        ),
        "",
        _page(association),
        association,
    )
    return inv


def accept_invitation(inv: Invitation, user: User) -> Membership:
    if inv.user_id != user.id or inv.status != InvitationStatus.PENDING:
        raise MembershipError(_l("This invitation is no longer open."))
    return add_member(inv.association, user, inv.role)


def decline_invitation(inv: Invitation, user: User) -> None:
    if inv.user_id != user.id or inv.status != InvitationStatus.PENDING:
        raise MembershipError(_l("This invitation is no longer open."))
    inv.status = InvitationStatus.DECLINED


def _is_last_leader(m: Membership) -> bool:
    return m.role == Role.LEADER.value and leader_count(m.association) <= 1


def leave(association: Association, user: User) -> None:
    m = membership_of(association, user)
    if m is None:
        raise MembershipError(_l("You are not a member."))
    if _is_last_leader(m):
        raise MembershipError(
            _l(
                "You are the only leader: make another member leader before you leave, "
                "so the association is not left without one."
            )
        )
    db.session.delete(m)
    _touch(association)
    permissions.forget(user)


def change_role(m: Membership, role: Role | str, actor: User) -> bool:
    """Give a member another role; audited, and the member is notified. Returns False when the
    role was already that one (nothing is recorded)."""
    role = Role(role)
    old = m.role
    if old == role.value:
        return False
    if old == Role.LEADER.value and _is_last_leader(m):
        raise MembershipError(
            _l("The last leader cannot be given another role: make someone else leader first.")
        )
    association = m.association
    m.role = role.value
    association.last_activity_at = utcnow()
    audit.record(
        "association.role_change",
        actor=actor,
        target=f"{association.slug}: {m.user.email}",
        region_id=association.region_id,
        association_id=association.id,
        details={"user_id": m.user_id, "from": old, "to": role.value},
    )
    notifications.notify(
        m.user,
        "core.role_changed",
        lambda: _(
            "Your role in %(association)s is now: %(role)s",
            association=association.name,
            role=ROLE_LABELS[role],
        ),
        "",
        _page(association),
        association,
    )
    permissions.forget(m.user)
    return True


ROLE_LABELS: dict[Role, Any] = {
    Role.LEADER: _l("leader (chair)"),
    Role.COORDINATOR: _l("coordinator"),
    Role.MODERATOR: _l("moderator"),
    Role.SECRETARY: _l("secretary"),
    Role.EXPERT: _l("expert"),
    Role.MEMBER: _l("member"),
    Role.PARTICIPANT: _l("participant (non-voting)"),
}


def assignable_roles(actor: Any, association: Association) -> list[Role]:
    """Roles ``actor`` may give (by invitation or change): leaders and administrators any;
    coordinators any role below coordinator."""
    if permissions.can(actor, "association.change_roles", association):
        return list(Role)
    return [r for r in Role if r not in (Role.LEADER, Role.COORDINATOR)]


def descendant_ids(association_id: int) -> set[int]:
    """Ids of every association below ``association_id`` (not itself), cycle-safe."""
    children: dict[int | None, list[int]] = {}
    for aid, parent in db.session.execute(select(Association.id, Association.parent_id)):
        children.setdefault(parent, []).append(aid)
    out: set[int] = set()
    stack = list(children.get(association_id, []))
    while stack:
        aid = stack.pop()
        if aid in out or aid == association_id:
            continue
        out.add(aid)
        stack.extend(children.get(aid, []))
    return out


def delete_association(association: Association, actor: User) -> None:
    """Delete an association (audited). Its children move up to its parent."""
    for child in list(association.children):
        child.parent = association.parent
    audit.record(
        "association.delete",
        actor=actor,
        target=association.slug,
        region_id=association.region_id,
        details={"slug": association.slug, "name": association.name_kk, "id": association.id},
    )
    db.session.delete(association)


# Lookup -----------------------------------------------------------------------------------

#: How deep :func:`subtree` follows children (so a bad cycle in the data cannot loop).
MAX_TREE_DEPTH = 12


@functools.cache
def _by_slug_statement():
    # Built once (see core.services.sessions._load_statement): every association page and
    # every plugin page about an association starts here.
    return (
        select(Association)
        .options(joinedload(Association.region), joinedload(Association.district))
        .where(Association.slug == bindparam("slug"))
    )


def association_or_404(slug: str) -> Association:
    """The association with this slug, or a 404 (plugins: use :func:`association_for`)."""
    a = db.session.scalar(_by_slug_statement(), {"slug": slug})
    if a is None:
        abort(404)
    return a


@functools.cache
def _subtree_statement():
    # Built once: an association's page shows its tree on every visit, and building this
    # recursive statement cost more than running it.
    tree = (
        select(Association.id, literal(1).label("depth"))
        .where(Association.parent_id == bindparam("root_id"))
        .cte("tree", recursive=True)
    )
    tree = tree.union_all(
        select(Association.id, tree.c.depth + 1)
        .join(tree, Association.parent_id == tree.c.id)
        .where(tree.c.depth < MAX_TREE_DEPTH)
    )
    return (
        select(Association)
        .where(Association.id.in_(select(tree.c.id)))
        .order_by(Association.name_kk)
    )


def subtree(association: Association) -> list[dict[str, Any]]:
    """The associations below this one as nested ``{"a": Association, "children": [...]}``,
    read with one recursive query (depth-limited, so a bad cycle cannot loop)."""
    rows = db.session.scalars(_subtree_statement(), {"root_id": association.id}).all()
    nodes = {a.id: {"a": a, "children": []} for a in rows}
    roots = []
    for a in rows:
        if a.parent_id == association.id:
            roots.append(nodes[a.id])
        elif a.parent_id in nodes:
            nodes[a.parent_id]["children"].append(nodes[a.id])
    return roots


def association_for(plugin: str, slug: str) -> Association:
    """The association a plugin page is about: a 404 when no such association exists or
    when ``plugin`` is switched off for it (as if the page did not exist)."""
    association = association_or_404(slug)
    plugin_gate.abort_unless_enabled(plugin, association)
    return association


def exclude_member(association: Association, user: User, actor: User, reason: str) -> None:
    """Remove ``user`` from ``association`` by a decision (of the council, say); audited.

    The last leader cannot be excluded (make someone else leader first), so an association is
    never left without one. The caller commits.
    """
    m = membership_of(association, user)
    if m is None:
        raise MembershipError(_l("This person is not a member."))
    if _is_last_leader(m):
        raise MembershipError(
            _l("The last leader cannot be excluded: make someone else leader first.")
        )
    audit.record(
        "association.exclude",
        actor=actor,
        target=f"{association.slug}: {user.email}",
        region_id=association.region_id,
        association_id=association.id,
        details={"user_id": user.id, "role": m.role, "reason": str(reason)[:500]},
    )
    db.session.delete(m)
    _touch(association)
    permissions.forget(user)
