"""One permission service: ``can(user, action, obj)``.

Core actions are defined here; plugins add theirs through the ``register_actions`` hook.
Helpers for roles (``membership``, ``has_role``, ``manages``) are public for plugins.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, has_request_context
from flask_login import current_user
from sqlalchemy import String, bindparam, cast, func, select

from core.extensions import db, login_manager
from core.models import Association, Membership, Region, RegionAdmin, Role, User
from core.plugin_api import Action
from core.services import sessions

MANAGER_ROLES = (Role.LEADER, Role.COORDINATOR)
STAFF_ROLES = (Role.LEADER, Role.COORDINATOR, Role.MODERATOR, Role.SECRETARY)
PLAN_ROLES = (Role.LEADER, Role.COORDINATOR, Role.SECRETARY)


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _cache() -> dict:
    if has_request_context():
        if "_qauym_perm_cache" not in g:
            g._qauym_perm_cache = {}
        return g._qauym_perm_cache
    return {}


@functools.cache
def _memberships_statement():
    # Built once (see core.services.sessions._load_statement): most pages read memberships.
    return select(Membership).where(Membership.user_id == bindparam("user_id"))


def memberships_of(user: Any) -> dict[int, Membership]:
    """The user's memberships by association id (read with the signed-in user, or one query
    per request)."""
    if not _authenticated(user):
        return {}
    cache = _cache()
    key = ("memberships", user.id)
    if key not in cache:
        # Read with the user by the user loader, taken once: after a change in this request
        # (forget) they are read again.
        rows = user.__dict__.pop("loaded_memberships", None)
        if rows is None:
            rows = db.session.scalars(_memberships_statement(), {"user_id": user.id})
        cache[key] = {m.association_id: m for m in rows}
    return cache[key]


def forget(user: Any) -> None:
    """Drop cached memberships after a change in this request."""
    cache = _cache()
    if _authenticated(user):
        cache.pop(("memberships", user.id), None)
        cache.pop(("regions", user.id), None)


def membership(user: Any, association: Association | int) -> Membership | None:
    aid = association if isinstance(association, int) else association.id
    return memberships_of(user).get(aid)


def role_of(user: Any, association: Association | int) -> Role | None:
    m = membership(user, association)
    return Role(m.role) if m else None


def has_role(user: Any, association: Association | int, *roles: Role | str) -> bool:
    r = role_of(user, association)
    return r is not None and r.value in {Role(x).value for x in roles}


def is_member(user: Any, association: Association | int) -> bool:
    return membership(user, association) is not None


def admin_region_ids(user: Any) -> set[int]:
    if not _authenticated(user):
        return set()
    cache = _cache()
    key = ("regions", user.id)
    if key not in cache:
        cache[key] = set(
            db.session.scalars(select(RegionAdmin.region_id).where(RegionAdmin.user_id == user.id))
        )
    return cache[key]


def admin_region_ids_column():
    """The user's administered region ids, comma-separated, as a scalar subquery correlated
    to ``User``, read with the user by :func:`core.services.sessions.load_user`."""
    return (
        select(func.aggregate_strings(cast(RegionAdmin.region_id, String), ","))
        .where(RegionAdmin.user_id == User.id)
        .scalar_subquery()
    )


def _remember_admin_region_ids(user: Any, joined: str | None) -> None:
    if has_request_context():
        _cache()[("regions", user.id)] = {int(x) for x in (joined or "").split(",") if x}


sessions.read_with_user(admin_region_ids_column, _remember_admin_region_ids)


def is_site_admin(user: Any) -> bool:
    return _authenticated(user) and bool(user.is_site_admin)


def is_region_admin(user: Any, region: Region | int | None) -> bool:
    if is_site_admin(user):
        return True
    if region is None:
        return False
    rid = region if isinstance(region, int) else region.id
    return rid in admin_region_ids(user)


def administers(user: Any, association: Association) -> bool:
    """Site admin, or regional admin of the association's region."""
    return is_site_admin(user) or is_region_admin(user, association.region_id)


def manages(user: Any, association: Association) -> bool:
    """Leader or coordinator of the association, or an administrator over it."""
    return administers(user, association) or has_role(user, association, *MANAGER_ROLES)


def moderates(user: Any, association: Association) -> bool:
    return manages(user, association) or has_role(user, association, Role.MODERATOR)


def visible_profiles(viewer: Any, users: Any) -> set[int]:
    """Ids of those ``users`` whose personal details (school, district, category, experience,
    memberships) ``viewer`` may see: themself, a site administrator or a regional administrator
    of the user's region, a member of an association the user belongs to, or, for a teacher who
    made the profile public, any signed-in user. Anonymous visitors see none (the name alone).

    One query for a whole list (member lists, search results, CSV exports)."""
    users = [u for u in users if u is not None]
    if not _authenticated(viewer) or not users:
        return set()
    if is_site_admin(viewer):
        return {u.id for u in users}
    regions = admin_region_ids(viewer)
    out = {u.id for u in users if u.id == viewer.id or u.profile_public or (u.region_id in regions)}
    rest = {u.id for u in users} - out
    mine = set(memberships_of(viewer))
    if rest and mine:
        out |= set(
            db.session.scalars(
                select(Membership.user_id)
                .where(Membership.user_id.in_(rest), Membership.association_id.in_(mine))
                .distinct()
            )
        )
    return out


def sees_profile(viewer: Any, user: Any) -> bool:
    """Whether ``viewer`` may see ``user``'s personal details (see :func:`visible_profiles`)."""
    return user is not None and user.id in visible_profiles(viewer, [user])


CORE_ACTIONS: list[Action] = [
    Action("site.admin", "Administer the whole site", lambda u, o: is_site_admin(u)),
    Action(
        "admin.access",
        "Open the admin area (site or regional administrators)",
        lambda u, o: is_site_admin(u) or bool(admin_region_ids(u)),
    ),
    Action("region.admin", "Administer a region", lambda u, o: is_region_admin(u, o)),
    Action(
        "association.create",
        "Create associations",
        lambda u, o: is_site_admin(u) or bool(admin_region_ids(u)),
    ),
    Action("association.edit", "Edit an association and its charter", lambda u, o: manages(u, o)),
    Action(
        "association.view_members",
        "See an association's member list",
        lambda u, o: is_member(u, o) or administers(u, o),
    ),
    Action(
        "association.decide_requests",
        "Approve or decline join requests",
        lambda u, o: manages(u, o),
    ),
    Action("association.invite", "Invite people", lambda u, o: manages(u, o)),
    Action(
        "association.change_roles",
        "Change members' roles",
        lambda u, o: has_role(u, o, Role.LEADER) or administers(u, o),
    ),
    Action(
        "association.join",
        "Join or ask to join",
        lambda u, o: _authenticated(u) and not is_member(u, o),
    ),
    Action("association.leave", "Leave an association", lambda u, o: is_member(u, o)),
    Action(
        "association.switch_plugins",
        "Turn plugins off for an association",
        lambda u, o: administers(u, o),
    ),
    Action(
        "profile.details",
        "See a teacher's school, category, experience and memberships (members of the same "
        "associations, administrators; any signed-in user when the profile is public)",
        lambda u, o: sees_profile(u, o),
    ),
    Action(
        "portfolio.view",
        "See a user's portfolio (owner, site admin, regional admin of the user's region)",
        lambda u, o: _authenticated(u) and (u.id == o.id or is_region_admin(u, o.region_id)),
    ),
    Action(
        "certificate.download",
        "Download a certificate's PDF (its recipient or a site admin)",
        lambda u, o: _authenticated(u) and (is_site_admin(u) or o.recipient_id == u.id),
    ),
    Action("certificate.revoke", "Revoke a certificate", lambda u, o: is_site_admin(u)),
    Action(
        "plan.view",
        "See an activity plan (public unless the association keeps it to members)",
        lambda u, o: (
            o is None
            or not o.members_only
            or is_member(u, o.association_id)
            or administers(u, o.association)
        ),
    ),
    Action(
        "plan.edit",
        "Edit an association's activity plan (leader, coordinator, secretary)",
        lambda u, o: administers(u, o) or has_role(u, o, *PLAN_ROLES),
    ),
    Action(
        "plan.see_people",
        "See who is responsible for plan rows (members)",
        lambda u, o: is_member(u, o) or administers(u, o),
    ),
    Action(
        "report.edit",
        "Write and publish an association's annual report (leader)",
        lambda u, o: administers(u, o) or has_role(u, o, Role.LEADER),
    ),
    Action(
        "report.view",
        "See an annual report (published ones: anyone; drafts: who edits it)",
        lambda u, o: o.status == "published" or can(u, "report.edit", o.association),
    ),
]


def _actions() -> dict[str, Action]:
    return current_app.extensions["qauym_actions"]


def init_app(app) -> None:
    actions = {a.name: a for a in CORE_ACTIONS}
    for action in app.extensions["qauym_plugins"].items("register_actions"):
        actions[action.name] = action
    app.extensions["qauym_actions"] = actions


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Whether ``user`` (maybe anonymous) may do ``action`` on ``obj``. Unknown actions raise.

    Check functions receive anonymous users too and must answer for them.
    """
    try:
        checker: Callable[[Any, Any], bool] = _actions()[action].check
    except KeyError:
        raise KeyError(f"Unknown action {action!r}: register it through register_actions") from None
    return bool(checker(user, obj))


def require(action: str, obj: Any = None) -> None:
    """Abort the request unless the current user may do ``action``: login first, then 403."""
    if can(current_user, action, obj):
        return
    if not _authenticated(current_user):
        abort(login_manager.unauthorized())
    abort(403)


# The user loader checks the server-side session too (one query): see core.services.sessions.
login_manager.user_loader(sessions.load_user)
