"""Minutes: reading, editing, approval, the PDF and the public verification page."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.api import (
    PostForm,
    db,
    permissions,
    plugin_gate,
    require,
)
from plugins.governance import services as svc
from plugins.governance.forms import (
    MinutesForm,
)
from plugins.governance.models import (
    GeneralMeeting,
)
from plugins.governance.views.common import (
    PLUGIN,
    _association,
    _csrf_or_400,
    _fail,
    bp,
)

# --- minutes ----------------------------------------------------------------------------------


def _minutes(slug: str, meeting_id: int):
    association = _association(slug)
    meeting = db.session.get(GeneralMeeting, meeting_id)
    if meeting is None or meeting.association_id != association.id:
        abort(404)
    minutes = svc.minutes_of(meeting)
    if minutes is None:
        require("governance.browse", association)
        abort(404)
    require("governance.read_minutes", minutes)
    return association, meeting, minutes


@bp.get("/a/<slug>/meetings/<id:meeting_id>/minutes")
def minutes(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    user = current_user
    return render_template(
        "governance/minutes.html",
        association=association,
        meeting=meeting,
        minutes=minutes,
        may_edit=not minutes.frozen_at and permissions.can(user, "governance.manage", association),
        may_approve=not minutes.frozen_at
        and (
            (svc.is_chair(user, association) and not minutes.chair_approved_at)
            or (svc.is_secretary(user, association) and not minutes.secretary_approved_at)
        ),
        form=PostForm(),
        active_tab="governance.index",
    )


@bp.route("/a/<slug>/meetings/<id:meeting_id>/minutes/edit", methods=["GET", "POST"])
def edit_minutes(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    require("governance.manage", association)
    if minutes.frozen_at:
        flash(_("Approved minutes are frozen and cannot be edited."), "error")
        return redirect(url_for("governance.minutes", slug=slug, meeting_id=meeting.id))
    form = MinutesForm(obj=minutes)
    if form.validate_on_submit():
        svc.edit_minutes(minutes, form.body.data)
        minutes.public = form.public.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("governance.minutes", slug=slug, meeting_id=meeting.id))
    return render_template(
        "governance/minutes_form.html",
        association=association,
        meeting=meeting,
        form=form,
        active_tab="governance.index",
    )


@bp.post("/a/<slug>/meetings/<id:meeting_id>/minutes/approve")
@login_required
def approve_minutes(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    _csrf_or_400()
    back = url_for("governance.minutes", slug=slug, meeting_id=meeting.id)
    try:
        svc.approve_minutes(minutes, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, back)
    db.session.commit()
    flash(_("Approved."), "success")
    return redirect(back)


@bp.get("/a/<slug>/meetings/<id:meeting_id>/minutes.pdf")
def minutes_pdf(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    if not minutes.frozen_at:
        abort(404)
    resp = Response(svc.minutes_pdf(minutes), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="minutes-{meeting.id}.pdf"'
    return resp


@bp.get("/verify/")
def verify_form():
    code = (request.args.get("code") or "").strip()[:40]
    if code:
        return redirect(url_for("governance.verify", code=code))
    return render_template("governance/verify.html", minutes=None, code="")


@bp.get("/verify/<code>")
def verify(code: str):
    minutes = svc.minutes_by_code(code[:40])
    if minutes is not None and not plugin_gate.is_enabled(PLUGIN, minutes.meeting.association_id):
        minutes = None
    status = 200 if minutes else 404
    return (
        render_template(
            "governance/verify.html",
            minutes=minutes,
            code=code[:40],
            readable=minutes is not None and svc.may_read_minutes(current_user, minutes),
        ),
        status,
    )
