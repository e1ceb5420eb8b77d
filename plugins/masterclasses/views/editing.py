"""Creating and editing events and series, and their status (publish, cancel, ...)."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from core.api import (
    association_for,
    db,
    from_local,
    permissions,
    row_choices,
    site_date,
)
from plugins.masterclasses import services
from plugins.masterclasses.forms import (
    EventForm,
)
from plugins.masterclasses.models import (
    Event,
    Host,
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
    plan_rows = row_choices(association, around=site_date(ev.starts_at), include=ev.plan_row_id)
    form = EventForm(subjects=subjects, plan_rows=plan_rows)
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
