"""Messages inside a pair, the monthly pulse check, and a young specialist's request for a
mentor with the coordinator's decision."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.api import PostForm, db
from plugins.mentoring import services as svc
from plugins.mentoring.forms import MentorRequestForm, MessageForm, PulseForm, ReasonForm
from plugins.mentoring.models import MentorProfile, MentorRequest, NoviceRequest, Pulse
from plugins.mentoring.views.common import _coordinated, _mine, _pair, _programme, _render_pair, bp


@bp.route("/pairs/<id:pair_id>/messages", methods=["GET", "POST"])
def messages(pair_id: int):
    pair = _pair(pair_id)
    coordinator = svc.is_coordinator(current_user, pair.programme)
    writable = svc.may_write(current_user, pair, coordinator)
    form = MessageForm()
    if request.method == "POST":
        if not writable:
            abort(403)
        if form.validate_on_submit():
            msg = svc.post_message(pair, current_user, (form.body.data or "").strip())
            db.session.commit()
            flash(_("The message is sent."), "success")
            return redirect(url_for(".messages", pair_id=pair.id, _anchor=f"msg-{msg.id}"))
    return render_template(
        "mentoring/messages.html",
        pair=pair,
        association=pair.programme.association,
        items=svc.messages_of(pair),
        form=form,
        writable=writable,
        active_tab="mentoring.programmes",
        svc=svc,
    )


@bp.post("/pairs/<id:pair_id>/pulse/<id:pulse_id>")
def answer_pulse(pair_id: int, pulse_id: int):
    pair = _pair(pair_id)
    pulse = db.session.get(Pulse, pulse_id)
    if pulse is None or pulse.pair_id != pair.id:
        abort(404)
    if pulse.user_id != current_user.id or pulse.answered_at is not None:
        abort(403)
    form = PulseForm()
    if not form.validate_on_submit():
        return _render_pair(pair, pulse_form=form)
    svc.answer_pulse(pulse, form.score.data, (form.comment.data or "").strip())
    flash(_("Thank you: your answer is saved."), "success")
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="pulse"))


# --- requests for a mentor --------------------------------------------------------------------

REQUEST_ERRORS = {
    "open": lambda: _("You already have a request waiting for the coordinator."),
    "paired": lambda: _("You already have a mentor in this programme."),
    "decided": lambda: _("This request is already decided."),
}


def _request_error(code: str) -> str:
    if code in REQUEST_ERRORS:
        return REQUEST_ERRORS[code]()
    return str(svc.REJECT_REASONS.get(code, code))


@bp.post("/a/<slug>/<id:programme_id>/ask/<id:mentor_id>")
def ask_mentor(slug: str, programme_id: int, mentor_id: int):
    association, programme = _programme(slug, programme_id)
    novice = _mine(programme, NoviceRequest)
    if novice is None:
        abort(403)
    mentor = db.session.get(MentorProfile, mentor_id)
    if mentor is None or mentor.programme_id != programme.id or not svc.requestable(mentor):
        abort(404)
    form = MentorRequestForm()
    back = redirect(url_for(".mentors", slug=slug, programme_id=programme.id))
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(" ".join(e for errs in form.errors.values() for e in errs), "error")
        return back
    try:
        svc.ask_for_mentor(novice, mentor, (form.note.data or "").strip())
    except svc.RequestError as exc:
        flash(_request_error(exc.code), "error")
        return back
    flash(_("Your request is sent to the coordinator."), "success")
    return back


@bp.post("/a/<slug>/<id:programme_id>/requests/<id:request_id>/withdraw")
def withdraw_request(slug: str, programme_id: int, request_id: int):
    association, programme = _programme(slug, programme_id)
    req = db.session.get(MentorRequest, request_id)
    if req is None or req.programme_id != programme.id:
        abort(404)
    if req.novice.user_id != current_user.id:
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        svc.withdraw(req)
        flash(_("Your request is withdrawn."), "success")
    except svc.RequestError as exc:
        flash(_request_error(exc.code), "error")
    return redirect(url_for(".mentors", slug=slug, programme_id=programme.id))


@bp.get("/a/<slug>/<id:programme_id>/requests")
def requests(slug: str, programme_id: int, forms: dict | None = None):
    association, programme = _coordinated(slug, programme_id)
    items = svc.open_requests(programme)
    forms = forms or {}
    return render_template(
        "mentoring/requests.html",
        association=association,
        programme=programme,
        items=items,
        decline_forms={r.id: forms.get(r.id) or ReasonForm(formdata=None) for r in items},
        post_form=PostForm(),
        active_tab="mentoring.programmes",
        svc=svc,
    )


@bp.post("/a/<slug>/<id:programme_id>/requests/<id:request_id>/<decision>")
def decide_request(slug: str, programme_id: int, request_id: int, decision: str):
    association, programme = _coordinated(slug, programme_id)
    if decision not in ("confirm", "decline"):
        abort(404)
    req = db.session.get(MentorRequest, request_id)
    if req is None or req.programme_id != programme.id:
        abort(404)
    form = ReasonForm() if decision == "decline" else PostForm()
    if not form.validate_on_submit():
        if decision == "decline" and "csrf_token" not in form.errors:
            return requests(slug, programme_id, forms={req.id: form})
        abort(400)
    reason = (form.reason.data or "").strip() if decision == "decline" else ""
    try:
        svc.decide_request(req, current_user, decision == "confirm", reason)
    except svc.RequestError as exc:
        db.session.rollback()
        flash(_request_error(exc.code), "error")
        return redirect(url_for(".requests", slug=slug, programme_id=programme.id))
    flash(_("Saved."), "success")
    return redirect(url_for(".requests", slug=slug, programme_id=programme.id))
