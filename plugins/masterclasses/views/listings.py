"""Listings and feeds: upcoming events, my events, the month view, an association's events and
figures, calendar (.ics) feeds, one event's page.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from core.api import (
    Association,
    PageQuery,
    Region,
    Subject,
    association_for,
    cached_page,
    date_arg,
    db,
    from_local,
    int_arg,
    month_arg,
    page_arg,
    page_query,
    paginate,
    permissions,
    plugin_gate,
    site_date,
    utcnow,
)
from plugins.masterclasses import services
from plugins.masterclasses.forms import (
    CheckinForm,
    FeedbackForm,
    MaterialForm,
)
from plugins.masterclasses.models import (
    ATTENDED,
    Event,
    Host,
    Registration,
    RegStatus,
    Status,
)
from plugins.masterclasses.views.common import (
    LISTED,
    PER_PAGE,
    PLUGIN,
    _event_or_404,
    _ics_response,
    _list_options,
    _load_options,
    _my_statuses,
    audience_message,
    bp,
)

#: The delivery filter: which deliveries each choice lists.
DELIVERY_FILTERS = {
    "online": ["online", "hybrid"],
    "offline": ["face", "hybrid"],
    "hybrid": ["hybrid"],
}


@functools.cache
def _index_query(
    kind: str,
    shape: frozenset[str],
    *,
    form: bool,
    subject: bool,
    region: bool,
    association: bool,
    date: bool,
    delivery: str,
) -> PageQuery:
    """The list of events for a kind of reader and the filters in use, built once with the
    values bound (``core.api.page_query``): building the statement, with the reader's
    visibility, cost more than running it."""
    # No join with the association unless a filter reads it: the count and the page's ids
    # are then answered from an index alone (see Event.__table_args__).
    stmt = select(Event).where(services.visible_bound(kind, shape), Event.status.in_(LISTED))
    if region or association:
        stmt = stmt.join(Association, Association.id == Event.association_id)
    if date:
        stmt = stmt.where(
            Event.starts_at >= bindparam("day_start"), Event.starts_at < bindparam("day_end")
        )
    else:
        stmt = stmt.where(Event.ends_at >= bindparam("now"))
    if form:
        stmt = stmt.where(Event.form == bindparam("form"))
    if subject:
        stmt = stmt.where(Event.subjects.any(Subject.id == bindparam("subject")))
    if region:
        stmt = stmt.where(Association.region_id == bindparam("region"))
    if association:
        stmt = stmt.where(Association.slug == bindparam("association"))
    if delivery:
        stmt = stmt.where(Event.delivery.in_(DELIVERY_FILTERS[delivery]))
    stmt = stmt.order_by(Event.starts_at, Event.id)
    return page_query(stmt, options=_list_options(), key=Event.id)


@bp.get("/")
@cached_page
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
    kind, params = services.visibility_of(current_user)
    if filters["date"]:
        start = from_local(dt.datetime.combine(filters["date"], dt.time()))
        params.update(day_start=start, day_end=start + dt.timedelta(days=1))
    else:
        params["now"] = utcnow()
    params.update(
        form=filters["form"],
        subject=filters["subject"],
        region=filters["region"],
        association=filters["association"],
    )
    delivery = filters["delivery"] if filters["delivery"] in DELIVERY_FILTERS else ""
    query = _index_query(
        kind,
        services.visible_shape(params),
        **{name: bool(filters[name]) for name in ("form", "subject", "region", "association")},
        date=bool(filters["date"]),
        delivery=delivery,
    )
    result = paginate(query, page_arg(), PER_PAGE, params=params)
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


@bp.get("/my")
@login_required
def my_events():
    off = plugin_gate.disabled_association_ids(PLUGIN)
    stmt = (
        select(Event, Registration)
        .join(Registration, Registration.event_id == Event.id)
        .options(*_list_options())
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
        .options(*_list_options())
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
        .options(*_list_options())
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
        has_questions=bool(services.questions_of(ev)) if reg is None else False,
        audience_note=audience_message(ev, current_user)
        if ev.enforce_audience
        and reg is None
        and current_user.is_authenticated
        and services.audience_gaps(ev, current_user)
        else None,
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
