"""Forms of activity and who may see, create and edit an event."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, TypeVar

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, false, or_, select

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    db,
    permissions,
    plugin_gate,
)
from plugins.masterclasses.models import (
    Attendance,
    Delivery,
    Event,
    Host,
    Status,
    Visibility,
)

PLUGIN = "masterclasses"


T = TypeVar("T")


FORMS: dict[str, Any] = {
    "masterclass": _l("Master class"),
    "seminar": _l("Seminar"),
    "webinar": _l("Webinar"),
    "round_table": _l("Round table"),
    "coaching": _l("Coaching session"),
    "lesson_study": _l("Lesson Study session"),
    "learning_walk": _l("Learning walk"),
    "network_meeting": _l("Network meeting"),
    "conference": _l("Conference"),
    "workshop": _l("Workshop"),
}


STATUS_LABELS: dict[str, Any] = {
    Status.DRAFT: _l("Draft"),
    Status.PUBLISHED: _l("Published"),
    Status.CLOSED: _l("Registration closed"),
    Status.HELD: _l("Held"),
    Status.ARCHIVED: _l("Archived"),
    Status.CANCELLED: _l("Cancelled"),
    Status.POSTPONED: _l("Postponed"),
}


DELIVERY_LABELS: dict[str, Any] = {
    Delivery.FACE: _l("Face-to-face"),
    Delivery.ONLINE: _l("Online"),
    Delivery.HYBRID: _l("Hybrid"),
}


VISIBILITY_LABELS: dict[str, Any] = {
    Visibility.PUBLIC: _l("Everyone"),
    Visibility.MEMBERS: _l("Members of the association"),
    Visibility.SUBTREE: _l("Members of the association and of the associations within it"),
}


ATTENDANCE_LABELS: dict[str, Any] = {
    Attendance.PRESENT: _l("Present"),
    Attendance.LATE: _l("Late"),
    Attendance.EXCUSED: _l("Excused"),
    Attendance.ABSENT: _l("Absent"),
}


#: Allowed status changes: action -> (states it applies to, resulting state).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": ((Status.DRAFT, Status.POSTPONED), Status.PUBLISHED),
    "close": ((Status.PUBLISHED,), Status.CLOSED),
    "reopen": ((Status.CLOSED,), Status.PUBLISHED),
    "held": ((Status.PUBLISHED, Status.CLOSED), Status.HELD),
    "archive": ((Status.HELD,), Status.ARCHIVED),
    "cancel": ((Status.DRAFT, Status.PUBLISHED, Status.CLOSED, Status.POSTPONED), Status.CANCELLED),
    "postpone": ((Status.PUBLISHED, Status.CLOSED), Status.POSTPONED),
}


#: Participants may check in with the host's code from this long before the start.
CHECKIN_EARLY = dt.timedelta(minutes=30)


#: Checking in later than this after the start counts as "late".
LATE_AFTER = dt.timedelta(minutes=10)


MAX_OCCURRENCES = 120


def form_choices() -> dict[str, Any]:
    """Built-in forms plus ``MASTERCLASSES_EXTRA_FORMS`` (a dict code -> label, or a list of
    ``"code=Label"`` strings) from the deployment's config."""
    out = dict(FORMS)
    extra = current_app.config.get("MASTERCLASSES_EXTRA_FORMS") or {}
    if isinstance(extra, dict):
        out.update({str(k): v for k, v in extra.items()})
    else:
        for item in extra:
            code, _sep, label = str(item).partition("=")
            out[code.strip()] = label.strip() or code.strip()
    return out


def form_label(code: str) -> str:
    return str(form_choices().get(code, code))


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _parents() -> dict[int, int | None]:
    if has_request_context() and "_mc_parents" in g:
        return g._mc_parents
    rows = db.session.execute(select(Association.id, Association.parent_id)).all()
    out = {aid: parent for aid, parent in rows}
    if has_request_context():
        g._mc_parents = out
    return out


def ancestors_or_self(ids: Iterable[int]) -> set[int]:
    parents = _parents()
    out: set[int] = set()
    for aid in ids:
        node: int | None = aid
        while node is not None and node not in out:
            out.add(node)
            node = parents.get(node)
    return out


def _managed_ids(user: Any) -> set[int]:
    manager_roles = {r.value for r in permissions.MANAGER_ROLES}
    return {aid for aid, m in permissions.memberships_of(user).items() if m.role in manager_roles}


def is_host(user: Any, event: Event) -> bool:
    return _authenticated(user) and any(h.user_id == user.id for h in event.hosts)


def can_edit(user: Any, event: Event) -> bool:
    """Hosts, leaders and coordinators of the association, and administrators over it."""
    if not _authenticated(user):
        return False
    return is_host(user, event) or permissions.manages(user, event.association)


def can_view(user: Any, event: Event) -> bool:
    if can_edit(user, event):
        return True
    if event.status == Status.DRAFT:
        return False
    if event.visibility == Visibility.PUBLIC:
        return True
    if not _authenticated(user):
        return False
    if permissions.administers(user, event.association):
        return True
    mine = set(permissions.memberships_of(user))
    if event.visibility == Visibility.MEMBERS:
        return event.association_id in mine
    return event.association_id in ancestors_or_self(mine)


def visible_clause(user: Any):
    """A WHERE clause for events ``user`` may see (the SQL twin of :func:`can_view`), in
    associations where the plugin is on."""
    kind, values = visibility_of(user)
    return _visible(kind, values)


def visibility_of(user: Any) -> tuple[str, dict[str, Any]]:
    """The kind of reader ("admin", "visitor" or "member") and the values of the bound
    parameters of :func:`visible_bound` for them."""
    values: dict[str, Any] = {"mc_off": sorted(plugin_gate.disabled_association_ids(PLUGIN))}
    if permissions.is_site_admin(user):
        return "admin", values
    if not _authenticated(user):
        return "visitor", values
    mine = set(permissions.memberships_of(user))
    values.update(
        mc_user=user.id,
        mc_managed=sorted(_managed_ids(user)),
        mc_regions=sorted(permissions.admin_region_ids(user)),
        mc_mine=sorted(mine),
        mc_ancestors=sorted(ancestors_or_self(mine)),
    )
    return "member", values


def visible_shape(values: dict[str, Any]) -> frozenset[str]:
    """Which lists of :func:`visibility_of`'s values are not empty (a key of
    :func:`visible_bound`)."""
    return frozenset(name for name, value in values.items() if isinstance(value, list) and value)


@functools.cache
def visible_bound(kind: str, shape: frozenset[str]):
    """:func:`visible_clause` for a kind of reader (:func:`visibility_of`) whose non-empty
    lists are ``shape`` (:func:`visible_shape`), built once with bound parameters, for a list
    a page runs on every visit (``core.api.page_query``). An empty list is left out of the
    statement, not bound as an empty set: SQLite then tested every row against an empty
    subquery (the library, with ``NOT IN`` such a set, went from 6.0 to 7.3 ms)."""
    names = ("mc_off", "mc_user", "mc_managed", "mc_regions", "mc_mine", "mc_ancestors")
    values = {
        n: bindparam(n) if n == "mc_user" else bindparam(n, expanding=True) if n in shape else []
        for n in names
    }
    return _visible(kind, values)


def _visible(kind: str, v: dict[str, Any]):
    # An empty list is left out of the statement.
    def among(column, name: str):
        return column.in_(v[name]) if _given(v[name]) else false()

    gate = ~among(Event.association_id, "mc_off")
    if kind == "admin":
        return gate
    public = and_(Event.visibility == Visibility.PUBLIC, Event.status != Status.DRAFT)
    if kind == "visitor":
        return and_(gate, public)
    hosted = select(Host.event_id).where(Host.user_id == v["mc_user"])
    administered = select(Association.id).where(among(Association.region_id, "mc_regions"))
    editor = or_(
        among(Event.association_id, "mc_managed"),
        Event.id.in_(hosted),
        Event.association_id.in_(administered) if _given(v["mc_regions"]) else false(),
    )
    member = and_(
        Event.status != Status.DRAFT,
        or_(
            and_(Event.visibility == Visibility.MEMBERS, among(Event.association_id, "mc_mine")),
            and_(
                Event.visibility == Visibility.SUBTREE,
                among(Event.association_id, "mc_ancestors"),
            ),
        ),
    )
    return and_(gate, or_(public, member, editor))


def _given(value: Any) -> bool:
    """A non-empty list, or a bound parameter standing for one."""
    return not isinstance(value, list) or bool(value)


def may_create(user: Any, association: Association) -> bool:
    return _authenticated(user) and permissions.manages(user, association)
