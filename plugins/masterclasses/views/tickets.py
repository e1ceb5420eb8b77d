"""Personal check-in: the participant's ticket (code and QR code) and the host's desk, where a
code is typed or a scanned QR code lands."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from core.api import db, utcnow
from plugins.masterclasses import services
from plugins.masterclasses.forms import DeskForm
from plugins.masterclasses.models import Registration, RegStatus
from plugins.masterclasses.views.common import _editable_event, _event_or_404, bp


def _my_ticket(event_id: int):
    ev = _event_or_404(event_id)
    reg = services.registration_of(ev, current_user)
    if reg is None or reg.status != RegStatus.REGISTERED:
        abort(404)
    if not reg.ticket_code:
        services.ensure_ticket_code(reg)
        db.session.commit()
    return ev, reg


def _door_url(event_id: int, code: str) -> str:
    return url_for("masterclasses.desk_code", event_id=event_id, code=code, _external=True)


@bp.get("/<id:event_id>/ticket")
@login_required
def ticket(event_id: int):
    ev, reg = _my_ticket(event_id)
    return render_template(
        "masterclasses/ticket.html",
        event=ev,
        reg=reg,
        code=services.show_code(reg.ticket_code),
    )


@bp.get("/<id:event_id>/ticket.svg")
@login_required
def ticket_qr(event_id: int):
    ev, reg = _my_ticket(event_id)
    body = services.qr_svg(_door_url(ev.id, reg.ticket_code), services.show_code(reg.ticket_code))
    resp = Response(body, mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


def _desk_page(ev, form, found=None, result=None, status=200):
    checked = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == ev.id,
            Registration.status == RegStatus.REGISTERED,
            Registration.checked_in_at.is_not(None),
        )
    )
    return (
        render_template(
            "masterclasses/desk.html",
            event=ev,
            form=form,
            found=found,
            result=result,
            checked=checked or 0,
            taken=services.seats_taken(ev.id),
            window=services.checkin_window(ev),
            show_code=services.show_code,
        ),
        status,
    )


@bp.get("/<id:event_id>/desk")
def desk(event_id: int):
    ev = _editable_event(event_id)
    return _desk_page(ev, DeskForm())


@bp.get("/<id:event_id>/desk/<code>")
def desk_code(event_id: int, code: str):
    """Where a ticket's QR code leads: the host sees whose ticket it is and checks them in
    with one button (a GET never changes anything)."""
    ev = _editable_event(event_id)
    form = DeskForm()
    reg = services.registration_by_code(ev, code)
    if reg is None:
        form.code.data = code[:20]
        form.code.errors = [_("No ticket of this event has this code.")]
        return _desk_page(ev, form, status=404)
    form.code.data = reg.ticket_code
    return _desk_page(ev, form, found=reg)


@bp.post("/<id:event_id>/desk")
def desk_check_in(event_id: int):
    ev = _editable_event(event_id)
    form = DeskForm()
    if not form.validate_on_submit():
        return _desk_page(ev, form, status=400)
    reg = services.registration_by_code(ev, form.code.data)
    if reg is None:
        form.code.errors = [_("No ticket of this event has this code.")]
        return _desk_page(ev, form, status=400)
    result = services.host_check_in(ev, reg, utcnow())
    if result == "done":
        db.session.commit()
        flash(_("%(name)s is checked in.", name=reg.user.full_name), "success")
        return redirect(url_for("masterclasses.desk", event_id=ev.id))
    messages = {
        "already": _("%(name)s is already checked in.", name=reg.user.full_name),
        "closed": _("Check-in is not open now."),
        "not_registered": _("%(name)s has no seat at this event.", name=reg.user.full_name),
    }
    flash(messages[result], "error" if result != "already" else "success")
    return redirect(url_for("masterclasses.desk", event_id=ev.id))
