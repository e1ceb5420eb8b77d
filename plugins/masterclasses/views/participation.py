"""Taking part: registration and the waitlist, series registration, the host's participants list
and CSV, attendance and check-in, feedback, certificates and materials.
"""

from __future__ import annotations

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
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core.api import (
    User,
    csv_export,
    db,
    permissions,
    uploads,
    utcnow,
)
from plugins.masterclasses import services
from plugins.masterclasses.forms import (
    AddParticipantForm,
    CheckinForm,
    FeedbackForm,
    MaterialForm,
    MessageForm,
)
from plugins.masterclasses.models import (
    ATTENDED,
    Attendance,
    Material,
    Registration,
    RegStatus,
)
from plugins.masterclasses.views.common import (
    _editable_event,
    _event_or_404,
    _material_or_404,
    audience_message,
    bp,
)


def _questions_page(ev, questions, values, errors, status=200):
    return (
        render_template(
            "masterclasses/register.html",
            event=ev,
            questions=questions,
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.get("/<id:event_id>/register")
@login_required
def register_form(event_id: int):
    """The event's registration questions, asked before the seat is taken."""
    ev = _event_or_404(event_id)
    questions = services.questions_of(ev)
    if not questions:
        return redirect(url_for("masterclasses.event", event_id=ev.id))
    return _questions_page(ev, questions, {}, {})


@bp.post("/<id:event_id>/register")
@login_required
def register(event_id: int):
    ev = _event_or_404(event_id)
    questions = services.questions_of(ev)
    values, errors = services.read_answers(questions, request.form)
    if errors:
        return _questions_page(ev, questions, values, errors, 400)
    before = services.registration_of(ev, current_user)
    had_seat = before is not None and before.status == RegStatus.REGISTERED
    try:
        status, position = services.register(ev.id, current_user)
    except services.NotInAudience:
        flash(audience_message(ev, current_user), "error")
        return redirect(url_for("masterclasses.event", event_id=event_id))
    except services.RegistrationClosed:
        flash(_("Registration is not open."), "error")
        return redirect(url_for("masterclasses.event", event_id=event_id))
    if questions:
        reg = services.registration_of(ev, current_user)
        if reg is not None:
            services.save_answers(reg, values)
            db.session.commit()
    if status == RegStatus.REGISTERED and had_seat:
        flash(_("You are registered."), "success")  # a repeated form: no second email
    elif status == RegStatus.REGISTERED:
        services.send_confirmation(current_user, [ev])
        db.session.commit()
        flash(_("You are registered."), "success")
    else:
        flash(_("The event is full: you are number %(n)s on the waitlist.", n=position), "success")
    return redirect(url_for("masterclasses.event", event_id=event_id))


@bp.post("/<id:event_id>/confirm")
@login_required
def confirm_seat(event_id: int):
    ev = _event_or_404(event_id)
    if services.confirm_offer(ev.id, current_user.id):
        flash(_("Your seat is confirmed."), "success")
    else:
        flash(_("There is no seat offer to confirm now."), "error")
    return redirect(url_for("masterclasses.event", event_id=ev.id))


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
    seated = []
    already: set[int] = set()
    waits = 0
    for occ in upcoming:
        before = services.registration_of(occ, current_user)
        had_seat = before is not None and before.status == RegStatus.REGISTERED
        try:
            status, _pos = services.register(occ.id, current_user)
        except services.RegistrationClosed:
            continue
        if status == RegStatus.REGISTERED:
            seated.append(occ)
            if had_seat:
                already.add(occ.id)
        else:
            waits += 1
    seats = len(seated)
    new_seats = [o for o in seated if o.id not in already]
    if new_seats:
        # One email, one calendar, for the dates newly taken (not those already held).
        services.send_confirmation(current_user, new_seats)
        db.session.commit()
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


def _participants_context(ev, message_form=None) -> dict:
    return {
        "event": ev,
        "registered": services.participants(ev),
        "waitlisted": services.participants(ev, RegStatus.WAITLISTED),
        "questions": services.questions_of(ev),
        "answers": services.answers_by_registration(ev),
        "message_form": message_form or MessageForm(),
        "messages": services.message_log(ev),
    }


@bp.post("/<id:event_id>/participants/message")
def message_participants(event_id: int):
    ev = _editable_event(event_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return (
            render_template(
                "masterclasses/participants.html",
                **_participants_context(ev, form),
                form=AddParticipantForm(),
            ),
            400,
        )
    log = services.send_message(
        ev, current_user, form.audience.data, form.subject.data.strip(), form.body.data.strip()
    )
    db.session.commit()
    flash(_("The message is sent to %(n)s people.", n=log.recipients), "success")
    return redirect(url_for("masterclasses.participants", event_id=ev.id) + "#messages")


@bp.get("/<id:event_id>/participants")
def participants(event_id: int):
    ev = _editable_event(event_id)
    return render_template(
        "masterclasses/participants.html",
        **_participants_context(ev),
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
            before = services.registration_of(ev, user)
            had_seat = before is not None and before.status == RegStatus.REGISTERED
            try:
                status, position = services.register(ev.id, user, by_host=True)
            except services.RegistrationClosed:
                flash(_("Registration is not open."), "error")
                return redirect(url_for("masterclasses.participants", event_id=ev.id))
            if status == RegStatus.REGISTERED:
                # The teacher learns of the seat a host gave them, with the calendar, as when
                # they register themselves; not for a held event (an attendance record).
                if not had_seat and ev.starts_at > utcnow():
                    services.send_confirmation(user, [ev])
                    db.session.commit()
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
            **_participants_context(ev),
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
    questions = services.questions_of(ev)
    answers = services.answers_by_registration(ev)
    header = [_("Name"), _("Email"), _("School"), _("Status"), _("Waitlist"), _("Attendance")]
    header += [q.label for q in questions]
    regs = db.session.scalars(
        select(Registration)
        .options(joinedload(Registration.user).joinedload(User.school))
        .where(Registration.event_id == ev.id, Registration.status != RegStatus.CANCELLED)
        .order_by(Registration.status, Registration.queue_seq)
    ).all()
    rows = []
    position = 0
    visible = permissions.visible_profiles(current_user, [r.user for r in regs])
    for r in regs:
        waiting = r.status == RegStatus.WAITLISTED
        position += 1 if waiting else 0
        rows.append(
            [
                r.user.full_name,
                r.user.email,
                r.user.school.name if r.user.school and r.user_id in visible else "",
                _("Waitlisted") if waiting else _("Registered"),
                position if waiting else "",
                str(services.ATTENDANCE_LABELS.get(r.attendance, "")) if r.attendance else "",
                *[answers.get(r.id, {}).get(q.id, "") for q in questions],
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
