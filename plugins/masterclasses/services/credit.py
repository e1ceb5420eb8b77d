"""Certificates and portfolio credit, search and the home page's upcoming events."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Certificate,
    User,
    certificates,
    db,
    forms_match,
    plugin_gate,
    to_local,
    utcnow,
)
from plugins.masterclasses.models import (
    ATTENDED,
    Event,
    Registration,
    RegStatus,
    Status,
)
from plugins.masterclasses.services.access import (
    PLUGIN,
    _authenticated,
    form_label,
    is_host,
    visibility_of,
    visible_bound,
    visible_shape,
)
from plugins.masterclasses.services.registration import (
    has_ended,
    registration_of,
)


def source_key(event: Event, user: User) -> str:
    return f"masterclasses:event:{event.id}:user:{user.id}"


def certificate_role(event: Event, user: Any) -> str | None:
    """``"hosted"`` or ``"attended"`` when ``user`` earns a certificate for ``event``."""
    if not _authenticated(user) or not has_ended(event):
        return None
    if is_host(user, event):
        return "hosted"
    reg = registration_of(event, user)
    if reg is not None and reg.status == RegStatus.REGISTERED and reg.attendance in ATTENDED:
        return "attended"
    return None


def existing_certificate(event: Event, user: User) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.source_key == source_key(event, user), Certificate.revoked.is_(False)
        )
    )


def issue_certificate(event: Event, user: User):
    """The certificate of ``user`` for ``event`` (created once). Caller checked the role."""
    role = certificate_role(event, user)
    if role is None:
        raise PermissionError
    local = to_local(event.starts_at)
    hosts = ", ".join(event.host_names)
    if role == "hosted":
        title = _l(
            "for hosting the %(form)s «%(title)s»",
            form=form_label(event.form).lower(),
            title=event.title,
        )
    else:
        title = _l(
            "for taking part in the %(form)s «%(title)s»",
            form=form_label(event.form).lower(),
            title=event.title,
        )
    description = _l(
        "%(form)s, %(date)s. Host: %(hosts)s. %(association)s",
        form=form_label(event.form),
        date=local.strftime("%d.%m.%Y"),
        hosts=hosts or "-",
        association=event.association.name,
    )
    return certificates.issue(
        source_key=source_key(event, user),
        recipient=user,
        title=str(title),
        kind=f"masterclasses.{role}",
        hours=event.credit_hours,
        issuer=event.association.name,
        issued_on=local.date(),
        description=str(description),
        association_id=event.association_id,
    )


def search_events(query: str, user: Any, limit: int) -> list[Event]:
    """Events ``user`` may see whose title or description contains each of ``query``'s
    words in one of its forms (``core.api.forms_match`` over the folded copy of both)."""
    listed = (
        Status.PUBLISHED,
        Status.CLOSED,
        Status.POSTPONED,
        Status.CANCELLED,
        Status.HELD,
        Status.ARCHIVED,
    )
    # the reader's visibility built once, its values bound (visible_bound); the words still
    # make their own condition
    kind, params = visibility_of(user)
    return list(
        db.session.scalars(
            select(Event)
            .options(joinedload(Event.association))
            .where(
                visible_bound(kind, visible_shape(params)),
                Event.status.in_(listed),
                forms_match([Event.search_folded], query, folded=True),
            )
            .order_by(Event.starts_at.desc())
            .limit(limit),
            params,
        )
    )


def upcoming_for(user: Any, limit: int = 3) -> list[Event]:
    """The next events ``user`` has a seat at, where the plugin is on."""
    off = plugin_gate.disabled_association_ids(PLUGIN)
    stmt = (
        select(Event)
        .join(Registration, Registration.event_id == Event.id)
        .options(joinedload(Event.association))
        .where(
            Registration.user_id == user.id,
            Registration.status == RegStatus.REGISTERED,
            Event.status.in_([Status.PUBLISHED, Status.CLOSED]),
            Event.ends_at >= utcnow(),
        )
        .order_by(Event.starts_at)
        .limit(limit)
    )
    if off:
        stmt = stmt.where(Event.association_id.not_in(off))
    return list(db.session.scalars(stmt))
