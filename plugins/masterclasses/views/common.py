"""What the master-class page modules share: the blueprint, event lookups with permission checks,
labels.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from flask import (
    Blueprint,
    Response,
    abort,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core.api import (
    Association,
    Membership,
    Subject,
    User,
    db,
    from_local,
    permissions,
    plugin_gate,
    to_local,
    utcnow,
)
from plugins.masterclasses import services
from plugins.masterclasses.forms import (
    EventForm,
)
from plugins.masterclasses.models import (
    Event,
    Host,
    Material,
    Registration,
    Status,
)

# The blueprint's folders are the plugin package's, one level above this views package.
bp = Blueprint(
    "masterclasses",
    __name__,
    root_path=str(Path(__file__).resolve().parent.parent),
    template_folder="templates",
    static_folder="static",
)


PLUGIN = services.PLUGIN


PER_PAGE = 20


LISTED = (Status.PUBLISHED, Status.CLOSED, Status.POSTPONED, Status.CANCELLED, Status.HELD)


def _load_options():
    return (
        joinedload(Event.association),
        selectinload(Event.hosts).joinedload(Host.user),
        selectinload(Event.subjects),
    )


def _list_options():
    """What a list of events shows (``event_item``): the association and the hosts' names.
    Not the subjects, and of a host's account only the name: loading whole accounts and the
    subjects of 20 events cost more than the rest of the list page's queries."""
    return (
        joinedload(Event.association),
        selectinload(Event.hosts).joinedload(Host.user).load_only(User.id, User.full_name),
    )


def _event_or_404(event_id: int) -> Event:
    event = db.session.scalar(
        select(Event)
        .options(*_load_options(), selectinload(Event.materials))
        .where(Event.id == event_id)
    )
    if event is None:
        abort(404)
    plugin_gate.abort_unless_enabled(PLUGIN, event.association_id)
    permissions.require("masterclasses.view", event)
    return event


def _editable_event(event_id: int) -> Event:
    event = _event_or_404(event_id)
    permissions.require("masterclasses.edit", event)
    return event


def _labels() -> SimpleNamespace:
    """The templates' ``mc()``: label tables, read by attribute (``labels.forms``); a
    namespace, so that Jinja's attribute lookup finds them at once (on a dict it fails first,
    for every event of a list)."""
    return SimpleNamespace(
        forms=services.form_choices(),
        statuses=services.STATUS_LABELS,
        deliveries=services.DELIVERY_LABELS,
        attendance_labels=services.ATTENDANCE_LABELS,
        category_labels=services.CATEGORY_LABELS,
        visibilities=services.VISIBILITY_LABELS,
    )


@bp.context_processor
def _mc_labels():
    return {"mc": _labels}


def _my_statuses(events) -> dict[int, str]:
    if not current_user.is_authenticated or not events:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, Registration.status).where(
            Registration.user_id == current_user.id,
            Registration.event_id.in_([e.id for e in events]),
        )
    ).all()
    return {eid: status for eid, status in rows}


def _ics_response(body: bytes, filename: str) -> Response:
    resp = Response(body, mimetype="text/calendar")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _subjects() -> list[Subject]:
    return list(db.session.scalars(select(Subject).order_by(Subject.name_kk)))


def _host_users(form: EventForm, association: Association) -> list[User] | None:
    """The members named by email in the hosts field, or None after adding a field error.

    Hosts are typed as emails rather than picked from a list: an association may have
    thousands of members, too many for a select box on a phone.
    """
    emails = form.host_email_list()
    if not emails:
        return []
    users = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.association_id == association.id,
            User.active.is_(True),
            func.lower(User.email).in_(emails),
        )
    ).all()
    found = {u.email.lower() for u in users}
    missing = [e for e in emails if e not in found]
    if missing:
        form.host_emails.errors = [
            *form.host_emails.errors,
            _("Not members of this association: %(emails)s", emails=", ".join(missing)),
        ]
        return None
    by_email = {u.email.lower(): u for u in users}
    return [by_email[e] for e in emails]


def _apply_form(ev: Event, form: EventForm, subjects: list[Subject]) -> None:
    """Copy the typed fields (not times or hosts) into ``ev``."""
    ev.title = form.title.data.strip()
    ev.form = form.form.data
    ev.description = form.description.data or ""
    ev.target_categories = ",".join(form.categories.data or [])
    ev.min_experience = form.min_experience.data
    ev.max_experience = form.max_experience.data
    ev.delivery = form.delivery.data
    ev.venue = (form.venue.data or "").strip()
    ev.address = (form.address.data or "").strip()
    ev.meeting_url = (form.meeting_url.data or "").strip()
    ev.capacity = form.capacity.data
    ev.credit_hours = form.credit_hours.data or 0.0
    ev.visibility = form.visibility.data
    ev.plan_row_id = int(form.plan_row.data) if form.plan_row.data else None
    ev.shared_checkin = not form.desk_only.data
    ev.enforce_audience = bool(form.enforce_audience.data)
    ev.confirm_hours = form.confirm_hours.data
    chosen = set(form.subjects.data or [])
    ev.subjects = [s for s in subjects if s.id in chosen]
    ev.updated_at = utcnow()


def _hosts_from(form: EventForm, users: list[User]) -> list[Host]:
    return [Host(user_id=u.id) for u in users] + [Host(name=n) for n in form.guest_names()]


def _times_from(form: EventForm, ev: Event) -> None:
    ev.starts_at = from_local(form.starts_at.data)
    ev.ends_at = from_local(form.ends_at.data)
    ev.registration_opens_at = (
        from_local(form.registration_opens_at.data) if form.registration_opens_at.data else None
    )
    ev.registration_deadline = (
        from_local(form.registration_deadline.data) if form.registration_deadline.data else None
    )


def _fill_form(form: EventForm, ev: Event) -> None:
    form.title.data = ev.title
    form.form.data = ev.form
    form.description.data = ev.description
    form.host_emails.data = "\n".join(h.user.email for h in ev.hosts if h.user is not None)
    form.guest_hosts.data = "\n".join(h.name for h in ev.hosts if not h.user_id)
    form.subjects.data = [s.id for s in ev.subjects]
    form.categories.data = ev.categories
    form.min_experience.data = ev.min_experience
    form.max_experience.data = ev.max_experience
    form.delivery.data = ev.delivery
    form.venue.data = ev.venue
    form.address.data = ev.address
    form.meeting_url.data = ev.meeting_url
    form.capacity.data = ev.capacity
    form.credit_hours.data = ev.credit_hours
    form.visibility.data = ev.visibility
    form.desk_only.data = not ev.shared_checkin
    form.enforce_audience.data = ev.enforce_audience
    form.confirm_hours.data = ev.confirm_hours
    form.plan_row.data = str(ev.plan_row_id) if ev.plan_row_id else ""

    def local(value):
        return to_local(value).replace(tzinfo=None) if value else None

    form.starts_at.data = local(ev.starts_at)
    form.ends_at.data = local(ev.ends_at)
    form.registration_opens_at.data = local(ev.registration_opens_at)
    form.registration_deadline.data = local(ev.registration_deadline)


def _material_or_404(material_id: int) -> tuple[Material, Event]:
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    return material, _event_or_404(material.event_id)


def audience_message(ev, user) -> str:
    """Why ``user`` may not register, in words, with what to change in their profile."""
    gaps = services.audience_gaps(ev, user)
    parts = []
    if "category" in gaps:
        parts.append(
            _(
                "it is for the qualification categories: %(list)s",
                list=", ".join(str(services.CATEGORY_LABELS.get(c, c)) for c in ev.categories),
            )
        )
    if "subject" in gaps:
        parts.append(
            _(
                "it is for teachers of: %(list)s",
                list=", ".join(s.name for s in ev.subjects),
            )
        )
    if "experience" in gaps:
        parts.append(_("your teaching experience is outside the range of the event"))
    return _(
        "This event takes only its target audience: %(why)s. If your profile is out of date, "
        "correct your category, subjects or experience there.",
        why="; ".join(parts),
    )
