"""Pages of the master classes plugin, mounted at ``/masterclasses``."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core.api import (
    Association,
    Membership,
    Region,
    Subject,
    User,
    association_for,
    csv_export,
    date_arg,
    db,
    from_local,
    int_arg,
    month_arg,
    page_arg,
    paginate,
    permissions,
    plugin_gate,
    site_date,
    to_local,
    uploads,
    utcnow,
)
from plugins.masterclasses import services
from plugins.masterclasses.forms import (
    AddParticipantForm,
    CheckinForm,
    EventForm,
    FeedbackForm,
    MaterialForm,
)
from plugins.masterclasses.models import (
    ATTENDED,
    Attendance,
    Event,
    Host,
    Material,
    Registration,
    RegStatus,
    Status,
)

bp = Blueprint("masterclasses", __name__, template_folder="templates", static_folder="static")
PLUGIN = services.PLUGIN
PER_PAGE = 20
LISTED = (Status.PUBLISHED, Status.CLOSED, Status.POSTPONED, Status.CANCELLED, Status.HELD)


def _load_options():
    return (
        joinedload(Event.association),
        selectinload(Event.hosts).joinedload(Host.user),
        selectinload(Event.subjects),
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


def _labels() -> dict[str, Any]:
    return {
        "forms": services.form_choices(),
        "statuses": services.STATUS_LABELS,
        "deliveries": services.DELIVERY_LABELS,
        "attendance_labels": services.ATTENDANCE_LABELS,
        "category_labels": services.CATEGORY_LABELS,
        "visibilities": services.VISIBILITY_LABELS,
    }


@bp.context_processor
def _mc_labels():
    return {"mc": _labels}


# --- listings -----------------------------------------------------------------------------


@bp.get("/")
def index():
    args = request.args
    filters = {
        "form": args.get("form", ""),
        "subject": int_arg("subject"),
        "region": int_arg("region"),
        "association": args.get("association", "").strip(),
        "date": date_arg("date"),
        "delivery": args.get("delivery", ""),
    }
    now = utcnow()
    stmt = (
        select(Event)
        .join(Association, Association.id == Event.association_id)
        .where(services.visible_clause(current_user), Event.status.in_(LISTED))
    )
    if filters["date"]:
        start = from_local(dt.datetime.combine(filters["date"], dt.time()))
        stmt = stmt.where(Event.starts_at >= start, Event.starts_at < start + dt.timedelta(days=1))
    else:
        stmt = stmt.where(Event.ends_at >= now)
    if filters["form"]:
        stmt = stmt.where(Event.form == filters["form"])
    if filters["subject"]:
        stmt = stmt.where(Event.subjects.any(Subject.id == filters["subject"]))
    if filters["region"]:
        stmt = stmt.where(Association.region_id == filters["region"])
    if filters["association"]:
        stmt = stmt.where(Association.slug == filters["association"])
    if filters["delivery"] == "online":
        stmt = stmt.where(Event.delivery.in_(["online", "hybrid"]))
    elif filters["delivery"] == "offline":
        stmt = stmt.where(Event.delivery.in_(["face", "hybrid"]))
    result = paginate(
        stmt.order_by(Event.starts_at, Event.id), page_arg(), PER_PAGE, options=_load_options()
    )
    events, page, pages = result.items, result.page, result.pages
    return render_template(
        "masterclasses/index.html",
        events=events,
        filters=filters,
        page=page,
        pages=pages,
        subjects=db.session.scalars(select(Subject).order_by(Subject.name_kk)).all(),
        regions=db.session.scalars(select(Region).order_by(Region.name_kk)).all(),
        mine=_my_statuses(events),
    )


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


@bp.get("/my")
@login_required
def my_events():
    off = plugin_gate.disabled_association_ids(PLUGIN)
    stmt = (
        select(Event, Registration)
        .join(Registration, Registration.event_id == Event.id)
        .options(*_load_options())
        .where(
            Registration.user_id == current_user.id,
            Registration.status != RegStatus.CANCELLED,
            Event.status != Status.DRAFT,
        )
        .order_by(Event.starts_at.desc())
    )
    if off:
        stmt = stmt.where(Event.association_id.not_in(off))
    rows = db.session.execute(stmt).all()
    hosted_stmt = (
        select(Event)
        .join(Host, Host.event_id == Event.id)
        .options(*_load_options())
        .where(Host.user_id == current_user.id)
        .order_by(Event.starts_at.desc())
    )
    if off:
        hosted_stmt = hosted_stmt.where(Event.association_id.not_in(off))
    now = utcnow()
    return render_template(
        "masterclasses/my.html",
        upcoming=[(e, r) for e, r in rows if e.ends_at >= now],
        past=[(e, r) for e, r in rows if e.ends_at < now],
        hosted=db.session.scalars(hosted_stmt).unique().all(),
        feed_token=services.existing_feed_token(current_user),
    )


@bp.post("/my/feed")
@login_required
def reset_feed():
    """Create the personal calendar link, or replace it (the old one stops working)."""
    had_one = services.existing_feed_token(current_user) is not None
    services.reset_feed_token(current_user)
    if had_one:
        flash(_("Your calendar link has been changed; the old one no longer works."), "success")
    return redirect(url_for("masterclasses.my_events") + "#feed")


@bp.get("/calendar")
def month():
    today = site_date()
    year, mon = month_arg("month") or (today.year, today.month)
    first = dt.date(year, mon, 1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    start = from_local(dt.datetime.combine(first, dt.time()))
    end = from_local(dt.datetime.combine(nxt, dt.time()))
    events = db.session.scalars(
        select(Event)
        .options(joinedload(Event.association))
        .where(
            services.visible_clause(current_user),
            Event.status.in_(LISTED + (Status.ARCHIVED,)),
            Event.starts_at >= start,
            Event.starts_at < end,
        )
        .order_by(Event.starts_at)
    ).all()
    by_day: dict[dt.date, list[Event]] = {}
    for ev in events:
        by_day.setdefault(site_date(ev.starts_at), []).append(ev)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return render_template(
        "masterclasses/calendar.html",
        first=first,
        weeks=weeks,
        by_day=by_day,
        prev=prev,
        nxt=nxt,
        today=today,
    )


@bp.get("/a/<slug>")
def association_events(slug: str):
    association = association_for(PLUGIN, slug)
    stmt = (
        select(Event)
        .options(*_load_options())
        .where(Event.association_id == association.id, services.visible_clause(current_user))
    )
    events = db.session.scalars(stmt.order_by(Event.starts_at.desc())).all()
    now = utcnow()
    return render_template(
        "masterclasses/association.html",
        association=association,
        upcoming=sorted([e for e in events if e.ends_at >= now], key=lambda e: e.starts_at),
        past=[e for e in events if e.ends_at < now],
        may_create=permissions.can(current_user, "masterclasses.create", association),
        may_stats=permissions.can(current_user, "masterclasses.view_stats", association),
        active_tab="masterclasses.association_events",
    )


@bp.get("/a/<slug>/stats")
def association_stats(slug: str):
    association = association_for(PLUGIN, slug)
    permissions.require("masterclasses.view_stats", association)
    rows = db.session.execute(
        select(
            Event.form,
            func.count(func.distinct(Event.id)),
            func.count(Registration.rating),
            func.avg(Registration.rating),
        )
        .select_from(Event)
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(
            Event.association_id == association.id,
            Event.status.in_([Status.HELD, Status.ARCHIVED]),
        )
        .group_by(Event.form)
    ).all()
    attended = dict(
        db.session.execute(
            select(Event.form, func.count(Registration.id))
            .join(Registration, Registration.event_id == Event.id)
            .where(
                Event.association_id == association.id,
                Registration.attendance.in_(ATTENDED),
            )
            .group_by(Event.form)
        ).all()
    )
    stats = [
        {
            "form": form,
            "events": n_events,
            "ratings": n_ratings,
            "avg": float(avg) if avg is not None else None,
            "attended": attended.get(form, 0),
        }
        for form, n_events, n_ratings, avg in rows
    ]
    return render_template(
        "masterclasses/stats.html",
        association=association,
        stats=stats,
        active_tab="masterclasses.association_events",
    )


@bp.get("/a/<slug>/feed.ics")
def association_feed(slug: str):
    association = association_for(PLUGIN, slug)
    events = db.session.scalars(
        select(Event)
        .options(*_load_options())
        .where(
            Event.association_id == association.id,
            Event.visibility == "public",
            Event.status.in_(LISTED + (Status.ARCHIVED,)),
        )
        .order_by(Event.starts_at)
    ).all()
    return _ics_response(services.to_ics(events, association.name), f"{association.slug}.ics")


def _ics_response(body: bytes, filename: str) -> Response:
    resp = Response(body, mimetype="text/calendar")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/feed/<token>.ics")
def personal_feed(token: str):
    user = services.user_by_feed_token(token)
    if user is None or not user.active:
        abort(404)
    off = plugin_gate.disabled_association_ids(PLUGIN)
    stmt = (
        select(Event)
        .join(Registration, Registration.event_id == Event.id)
        .options(*_load_options())
        .where(
            Registration.user_id == user.id,
            Registration.status == RegStatus.REGISTERED,
            Event.status != Status.DRAFT,
        )
        .order_by(Event.starts_at)
    )
    if off:
        stmt = stmt.where(Event.association_id.not_in(off))
    events = db.session.scalars(stmt).all()
    return _ics_response(services.to_ics(events, "Qauym", links_for=user), "qauym.ics")


# --- one event ------------------------------------------------------------------------------


@bp.get("/<id:event_id>")
def event(event_id: int):
    ev = _event_or_404(event_id)
    reg = services.registration_of(ev, current_user)
    now = utcnow()
    ended = services.has_ended(ev, now)
    opens, closes = services.checkin_window(ev)
    siblings = []
    if ev.series_id is not None:
        siblings = db.session.scalars(
            select(Event)
            .where(Event.series_id == ev.series_id, services.visible_clause(current_user))
            .order_by(Event.starts_at)
        ).all()
    cert_role = services.certificate_role(ev, current_user)
    feedback = None
    if reg is not None and reg.attendance in ATTENDED and ended and reg.feedback_at is None:
        feedback = FeedbackForm()
    return render_template(
        "masterclasses/event.html",
        event=ev,
        reg=reg,
        position=services.waitlist_position(reg) if reg else None,
        taken=services.seats_taken(ev.id),
        may_edit=services.can_edit(current_user, ev),
        may_register=services.registration_open(ev, now) and current_user.is_authenticated,
        see_link=services.can_see_link(current_user, ev),
        checkin_form=CheckinForm()
        if reg is not None
        and reg.status == RegStatus.REGISTERED
        and opens <= now <= closes
        and ev.status in (Status.PUBLISHED, Status.CLOSED)
        else None,
        feedback_form=feedback,
        cert_role=cert_role,
        certificate=services.existing_certificate(ev, current_user) if cert_role else None,
        transitions=services.allowed_transitions(ev, now)
        if services.can_edit(current_user, ev)
        else [],
        siblings=siblings,
        ended=ended,
        not_started=ev.starts_at > now,
        material_form=MaterialForm() if services.can_edit(current_user, ev) else None,
    )


@bp.get("/<id:event_id>.ics")
def event_ics(event_id: int):
    ev = _event_or_404(event_id)
    return _ics_response(
        services.to_ics([ev], ev.title, links_for=current_user), f"event-{ev.id}.ics"
    )


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


@bp.route("/a/<slug>/new", methods=["GET", "POST"])
def create(slug: str):
    association = association_for(PLUGIN, slug)
    permissions.require("masterclasses.create", association)
    subjects = _subjects()
    form = EventForm(subjects=subjects)
    if request.method == "GET":
        if permissions.is_member(current_user, association):
            form.host_emails.data = current_user.email
        form.visibility.data = "public"
    hosts = _host_users(form, association) if form.validate_on_submit() else None
    if hosts is not None:
        ev = Event(
            association_id=association.id,
            status=Status.DRAFT.value,
            created_by_id=current_user.id,
            sequence=0,
        )
        ev.association = association
        _apply_form(ev, form, subjects)
        _times_from(form, ev)
        ev.hosts = _hosts_from(form, hosts)
        rule = (form.rrule.data or "").strip()
        if rule:
            made = services.create_series(ev, rule, form.repeat_until.data, form.starts_at.data)
            db.session.commit()
            flash(_("%(n)s occurrences created as drafts.", n=len(made)), "success")
            return redirect(url_for("masterclasses.event", event_id=made[0].id))
        ev.checkin_code = services.new_checkin_code()
        db.session.add(ev)
        db.session.commit()
        flash(_("The event is saved as a draft. Publish it when it is ready."), "success")
        return redirect(url_for("masterclasses.event", event_id=ev.id))
    return render_template(
        "masterclasses/edit.html",
        form=form,
        association=association,
        event=None,
        active_tab="masterclasses.association_events",
    )


@bp.route("/<id:event_id>/edit", methods=["GET", "POST"])
def edit(event_id: int):
    ev = _editable_event(event_id)
    association = ev.association
    subjects = _subjects()
    form = EventForm(subjects=subjects)
    # A series' rule is fixed once its dates exist; edits go to one or the following dates.
    del form.rrule
    del form.repeat_until
    if request.method == "GET":
        _fill_form(form, ev)
    host_users = _host_users(form, association) if form.validate_on_submit() else None
    if host_users is not None:
        old_start = ev.starts_at
        targets = [ev]
        if ev.series_id is not None and form.scope.data == "following":
            targets = services.following_occurrences(ev)
            if ev not in targets:
                targets.insert(0, ev)
        old_capacity = {t.id: t.capacity for t in targets}
        old_starts = {t.id: t.starts_at for t in targets}
        new_start = from_local(form.starts_at.data)
        shift = new_start - old_start
        duration = from_local(form.ends_at.data) - new_start
        hosts = _hosts_from(form, host_users)
        for target in targets:
            _apply_form(target, form, subjects)
            target.hosts = [Host(user_id=h.user_id, name=h.name) for h in hosts]
            target.sequence += 1
            if target is ev:
                _times_from(form, ev)
            else:
                target.starts_at = target.starts_at + shift
                target.ends_at = target.starts_at + duration
        for target in targets:
            if target.starts_at != old_starts[target.id]:
                services.notify_moved(target)
        db.session.commit()
        raised = [
            t.id
            for t in targets
            if old_capacity[t.id] is not None
            and (t.capacity is None or t.capacity > old_capacity[t.id])
        ]
        for tid in raised:
            services.promote(tid)
        flash(_("Changes saved."), "success")
        return redirect(url_for("masterclasses.event", event_id=ev.id))
    return render_template(
        "masterclasses/edit.html",
        form=form,
        association=association,
        event=ev,
        active_tab="masterclasses.association_events",
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

    def local(value):
        return to_local(value).replace(tzinfo=None) if value else None

    form.starts_at.data = local(ev.starts_at)
    form.ends_at.data = local(ev.ends_at)
    form.registration_opens_at.data = local(ev.registration_opens_at)
    form.registration_deadline.data = local(ev.registration_deadline)


@bp.post("/<id:event_id>/status/<action>")
def change_status(event_id: int, action: str):
    """Change the status of the event, or with ``scope=following`` of this occurrence and the
    following ones of its series (each where the change is possible)."""
    ev = _editable_event(event_id)
    targets = [ev]
    if ev.series_id is not None and request.form.get("scope") == "following":
        targets = [
            t for t in services.following_occurrences(ev) if services.can_edit(current_user, t)
        ]
    targets = [t for t in targets if action in services.allowed_transitions(t)]
    if not targets:
        flash(_("This change is not possible now."), "error")
        return redirect(url_for("masterclasses.event", event_id=ev.id))
    for target in targets:
        services.change_status(target, action, current_user)
    db.session.commit()
    if action in ("publish", "reopen"):
        for target in targets:
            services.promote(target.id)
    flash(
        _(
            "Status: %(status)s (%(n)s events).",
            status=services.STATUS_LABELS[targets[0].status],
            n=len(targets),
        ),
        "success",
    )
    return redirect(url_for("masterclasses.event", event_id=ev.id))


@bp.post("/<id:event_id>/register")
@login_required
def register(event_id: int):
    ev = _event_or_404(event_id)
    try:
        status, position = services.register(ev.id, current_user)
    except services.RegistrationClosed:
        flash(_("Registration is not open."), "error")
        return redirect(url_for("masterclasses.event", event_id=event_id))
    if status == RegStatus.REGISTERED:
        flash(_("You are registered."), "success")
    else:
        flash(_("The event is full: you are number %(n)s on the waitlist.", n=position), "success")
    return redirect(url_for("masterclasses.event", event_id=event_id))


@bp.post("/<id:event_id>/cancel")
@login_required
def cancel(event_id: int):
    ev = _event_or_404(event_id)
    if ev.starts_at <= utcnow():
        flash(_("The event has started; the registration can no longer be cancelled."), "error")
        return redirect(url_for("masterclasses.event", event_id=event_id))
    services.cancel(ev.id, current_user.id)
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("masterclasses.event", event_id=event_id))


@bp.post("/<id:event_id>/series/register")
@login_required
def register_series(event_id: int):
    ev = _event_or_404(event_id)
    if ev.series_id is None:
        abort(404)
    now = utcnow()
    upcoming = [
        o
        for o in services.following_occurrences(ev)
        if services.can_view(current_user, o) and services.registration_open(o, now)
    ]
    seats = waits = 0
    for occ in upcoming:
        try:
            status, _pos = services.register(occ.id, current_user)
        except services.RegistrationClosed:
            continue
        if status == RegStatus.REGISTERED:
            seats += 1
        else:
            waits += 1
    flash(
        _(
            "Registered for %(seats)s occurrences; waitlisted for %(waits)s.",
            seats=seats,
            waits=waits,
        ),
        "success",
    )
    return redirect(url_for("masterclasses.event", event_id=event_id))


@bp.post("/<id:event_id>/series/cancel")
@login_required
def cancel_series(event_id: int):
    ev = _event_or_404(event_id)
    if ev.series_id is None:
        abort(404)
    now = utcnow()
    for occ in services.following_occurrences(ev):
        if occ.starts_at > now:
            services.cancel(occ.id, current_user.id)
    flash(_("Your registrations for the following occurrences are cancelled."), "success")
    return redirect(url_for("masterclasses.event", event_id=event_id))


# --- participants, attendance, check-in ---------------------------------------------------


@bp.get("/<id:event_id>/participants")
def participants(event_id: int):
    ev = _editable_event(event_id)
    return render_template(
        "masterclasses/participants.html",
        event=ev,
        registered=services.participants(ev),
        waitlisted=services.participants(ev, RegStatus.WAITLISTED),
        form=AddParticipantForm(),
    )


@bp.post("/<id:event_id>/participants/add")
def add_participant(event_id: int):
    ev = _editable_event(event_id)
    form = AddParticipantForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == form.email.data.strip().lower())
        )
        if user is None or not user.active:
            form.email.errors.append(_("No teacher with this email is registered."))
        else:
            try:
                status, position = services.register(ev.id, user, by_host=True)
            except services.RegistrationClosed:
                flash(_("Registration is not open."), "error")
                return redirect(url_for("masterclasses.participants", event_id=ev.id))
            if status == RegStatus.REGISTERED:
                flash(_("%(name)s is registered.", name=user.full_name), "success")
            else:
                flash(
                    _(
                        "The event is full: %(name)s is number %(n)s on the waitlist.",
                        name=user.full_name,
                        n=position,
                    ),
                    "success",
                )
            return redirect(url_for("masterclasses.participants", event_id=ev.id))
    return (
        render_template(
            "masterclasses/participants.html",
            event=ev,
            registered=services.participants(ev),
            waitlisted=services.participants(ev, RegStatus.WAITLISTED),
            form=form,
        ),
        400,
    )


@bp.post("/<id:event_id>/participants/<id:user_id>/remove")
def remove_participant(event_id: int, user_id: int):
    ev = _editable_event(event_id)
    promoted = services.cancel(ev.id, user_id)
    flash(_("The participant is removed."), "success")
    if promoted:
        flash(
            _(
                "Moved from the waitlist: %(names)s.",
                names=", ".join(r.user.full_name for r in promoted),
            ),
            "success",
        )
    return redirect(url_for("masterclasses.participants", event_id=ev.id))


@bp.get("/<id:event_id>/participants.csv")
def participants_csv(event_id: int):
    ev = _editable_event(event_id)
    header = [_("Name"), _("Email"), _("School"), _("Status"), _("Waitlist"), _("Attendance")]
    regs = db.session.scalars(
        select(Registration)
        .options(joinedload(Registration.user).joinedload(User.school))
        .where(Registration.event_id == ev.id, Registration.status != RegStatus.CANCELLED)
        .order_by(Registration.status, Registration.queue_seq)
    ).all()
    rows = []
    position = 0
    for r in regs:
        waiting = r.status == RegStatus.WAITLISTED
        position += 1 if waiting else 0
        rows.append(
            [
                r.user.full_name,
                r.user.email,
                r.user.school.name if r.user.school else "",
                _("Waitlisted") if waiting else _("Registered"),
                position if waiting else "",
                str(services.ATTENDANCE_LABELS.get(r.attendance, "")) if r.attendance else "",
            ]
        )
    return csv_export.csv_response(f"participants-{ev.id}.csv", header, rows)


@bp.route("/<id:event_id>/attendance", methods=["GET", "POST"])
def attendance(event_id: int):
    ev = _editable_event(event_id)
    regs = services.participants(ev)
    errors = False
    if request.method == "POST":
        allowed = {a.value for a in Attendance}
        updates = {}
        for r in regs:
            value = request.form.get(f"a_{r.id}", "")
            if value and value not in allowed:
                errors = True
            updates[r.id] = value or None
        if not errors:
            for r in regs:
                r.attendance = updates[r.id]
            db.session.commit()
            flash(_("Attendance saved."), "success")
            return redirect(url_for("masterclasses.attendance", event_id=ev.id))
        flash(_("Choose one of the listed marks."), "error")
    return render_template(
        "masterclasses/attendance.html",
        event=ev,
        regs=regs,
        window=services.checkin_window(ev),
    ), (400 if errors else 200)


@bp.post("/<id:event_id>/checkin")
@login_required
def checkin(event_id: int):
    ev = _event_or_404(event_id)
    form = CheckinForm()
    reg = services.registration_of(ev, current_user)
    if not form.validate_on_submit() or reg is None or reg.status != RegStatus.REGISTERED:
        flash(_("Check-in is for registered participants with the host's code."), "error")
        return redirect(url_for("masterclasses.event", event_id=ev.id))
    if services.check_in(ev, reg, form.code.data):
        db.session.commit()
        flash(_("You are checked in."), "success")
    else:
        flash(_("The code is wrong or check-in is not open now."), "error")
    return redirect(url_for("masterclasses.event", event_id=ev.id))


# --- feedback, certificates -----------------------------------------------------------------


@bp.post("/<id:event_id>/feedback")
@login_required
def feedback(event_id: int):
    ev = _event_or_404(event_id)
    reg = services.registration_of(ev, current_user)
    if reg is None or reg.attendance not in ATTENDED or not services.has_ended(ev):
        abort(403)
    form = FeedbackForm()
    if not form.validate_on_submit():
        flash(_("Choose a rating from 1 to 5."), "error")
        return redirect(url_for("masterclasses.event", event_id=ev.id))
    reg.rating = form.rating.data
    reg.reflection = (form.reflection.data or "").strip()
    reg.feedback_at = utcnow()
    db.session.commit()
    flash(_("Thank you for your feedback."), "success")
    return redirect(url_for("masterclasses.event", event_id=ev.id))


@bp.get("/<id:event_id>/feedback")
def feedback_results(event_id: int):
    ev = _editable_event(event_id)
    rows = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == ev.id, Registration.rating.is_not(None))
        .order_by(Registration.feedback_at)
    ).all()
    counts = {i: 0 for i in range(1, 6)}
    for r in rows:
        counts[r.rating] = counts.get(r.rating, 0) + 1
    avg = sum(r.rating for r in rows) / len(rows) if rows else None
    return render_template(
        "masterclasses/feedback.html",
        event=ev,
        count=len(rows),
        avg=avg,
        counts=counts,
        reflections=[r.reflection for r in rows if r.reflection],
    )


@bp.post("/<id:event_id>/certificate")
@login_required
def certificate(event_id: int):
    ev = _event_or_404(event_id)
    if services.certificate_role(ev, current_user) is None:
        abort(403)
    services.issue_certificate(ev, current_user)
    db.session.commit()
    flash(_("Your certificate is ready."), "success")
    return redirect(url_for("masterclasses.event", event_id=ev.id) + "#certificate")


# --- materials ------------------------------------------------------------------------------


@bp.post("/<id:event_id>/materials")
def add_material(event_id: int):
    ev = _editable_event(event_id)
    form = MaterialForm()
    if form.validate_on_submit():
        material = Material(event_id=ev.id, title=form.title.data.strip(), phase=form.phase.data)
        upload = form.file.data
        try:
            if upload and upload.filename:
                stored = uploads.save(upload, subdir="masterclasses")
                material.file_path = stored.path
                material.file_name = stored.original_name
                material.mime = stored.mime
                material.size = stored.size
            else:
                material.url = form.url.data.strip()
        except uploads.UploadError as exc:
            form.file.errors.append(str(exc))
        else:
            db.session.add(material)
            db.session.commit()
            flash(_("Material added."), "success")
            return redirect(url_for("masterclasses.event", event_id=ev.id) + "#materials")
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "error")
    return redirect(url_for("masterclasses.event", event_id=ev.id) + "#materials")


def _material_or_404(material_id: int) -> tuple[Material, Event]:
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    return material, _event_or_404(material.event_id)


@bp.get("/materials/<id:material_id>")
def material(material_id: int):
    m, _ev = _material_or_404(material_id)
    if not m.file_path:
        abort(404)
    return uploads.serve(m.file_path, download_name=m.file_name, mime=m.mime)


@bp.post("/materials/<id:material_id>/delete")
def delete_material(material_id: int):
    m, ev = _material_or_404(material_id)
    permissions.require("masterclasses.edit", ev)
    if m.file_path:
        uploads.delete(m.file_path)
    db.session.delete(m)
    db.session.commit()
    flash(_("Material removed."), "success")
    return redirect(url_for("masterclasses.event", event_id=ev.id) + "#materials")
