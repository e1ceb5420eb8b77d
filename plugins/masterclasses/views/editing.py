"""Creating and editing events and series, and their status (publish, cancel, ...)."""

from __future__ import annotations

import datetime as dt

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.api import (
    association_for,
    db,
    from_local,
    permissions,
    row_choices,
    site_date,
    to_local,
    utcnow,
)
from plugins.masterclasses import services
from plugins.masterclasses.forms import (
    RECURRENCE_FIELDS,
    EventForm,
    SeriesRuleForm,
)
from plugins.masterclasses.models import (
    Event,
    Host,
    Series,
    Status,
)
from plugins.masterclasses.views.common import (
    PLUGIN,
    _apply_form,
    _editable_event,
    _fill_form,
    _host_users,
    _hosts_from,
    _subjects,
    _times_from,
    bp,
)


@bp.route("/a/<slug>/new", methods=["GET", "POST"])
def create(slug: str):
    association = association_for(PLUGIN, slug)
    permissions.require("masterclasses.create", association)
    subjects = _subjects()
    form = EventForm(subjects=subjects, plan_rows=row_choices(association))
    if request.method == "GET":
        if permissions.is_member(current_user, association):
            form.host_emails.data = current_user.email
        form.visibility.data = "public"
    hosts = _host_users(form, association) if form.validate_on_submit() else None
    if hosts is not None and form.preview.data:
        hosts = None  # the "preview" button shows the dates and saves nothing
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
        rule = form.rule_text
        if rule:
            made = services.create_series(
                ev,
                rule,
                form.repeat_until.data if form.ends.data != "count" else None,
                form.starts_at.data,
                form.count.data if form.ends.data == "count" else None,
            )
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
    plan_rows = row_choices(association, around=site_date(ev.starts_at), include=ev.plan_row_id)
    form = EventForm(subjects=subjects, plan_rows=plan_rows)
    # A series' rule is fixed once its dates exist; edits go to one or the following dates.
    for name in RECURRENCE_FIELDS:
        delattr(form, name)
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


@bp.route("/<id:event_id>/series/rule", methods=["GET", "POST"])
def series_rule(event_id: int):
    """Change the rule of the event's series from a future date on (the recurrence builder with
    a preview); earlier occurrences and their registrations and attendance stay as they are."""
    ev = _editable_event(event_id)
    if ev.series_id is None:
        abort(404)
    series = db.session.get(Series, ev.series_id)
    now = utcnow()
    now_local = to_local(now).replace(tzinfo=None)
    form = SeriesRuleForm(now_local=now_local)
    upcoming = [o for o in services.following_occurrences(ev) if o.starts_at > now]
    if request.method == "GET":
        form.fill_recurrence(series.rrule)
        first = upcoming[0] if upcoming else ev
        start_local = to_local(first.starts_at).replace(tzinfo=None)
        if start_local <= now_local:
            start_local = start_local.replace(
                year=now_local.year, month=now_local.month, day=now_local.day
            )
            if start_local <= now_local:
                start_local += dt.timedelta(days=1)
        form.starts_from.data = start_local
        form.repeat_until.data = series.until_local
    elif form.validate_on_submit() and not form.preview.data:
        template = upcoming[0] if upcoming else ev
        outcome = services.reschedule(
            series,
            template,
            form.rule_text,
            form.starts_from.data,
            form.repeat_until.data if form.ends.data != "count" else None,
            form.count.data if form.ends.data == "count" else None,
            current_user,
            now,
        )
        db.session.commit()
        flash(
            _(
                "The new rule applies from %(when)s: %(kept)s dates kept, %(moved)s moved, "
                "%(created)s added, %(cancelled)s cancelled.",
                when=form.starts_from.data.strftime("%d.%m.%Y %H:%M"),
                kept=outcome.kept,
                moved=outcome.moved,
                created=outcome.created,
                cancelled=outcome.cancelled + outcome.removed,
            ),
            "success",
        )
        first = db.session.scalar(
            select(Event)
            .where(
                Event.series_id == series.id,
                Event.starts_at >= from_local(form.starts_from.data),
            )
            .order_by(Event.starts_at)
            .limit(1)
        )
        return redirect(url_for("masterclasses.event", event_id=(first or ev).id))
    return render_template(
        "masterclasses/series_rule.html",
        form=form,
        event=ev,
        series=series,
        association=ev.association,
        current_rule=services.describe(series.rrule, series.first_local),
        active_tab="masterclasses.association_events",
    )
