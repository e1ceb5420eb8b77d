"""Bids, balanced assignment (preview and confirmation), the reviewers' discussion and the
coordinator's meta-review.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.api import association_for, db, parse_id, permissions
from plugins.expertise import services as svc
from plugins.expertise.forms import (
    BalanceForm,
    BidForm,
    DiscussionForm,
    MetaReviewForm,
    options,
)
from plugins.expertise.views.common import _deny, _submission, bp

#: The largest value of an ``Integer`` id column on PostgreSQL.
INT32_MAX = 2**31 - 1


def _locale() -> str:
    return str(get_locale() or "kk")


def _bid_form(value: str = "") -> BidForm:
    form = BidForm(formdata=None)
    form.value.choices = options([("", _("No bid")), *svc.BIDS.items()])
    form.value.data = value
    return form


@bp.route("/a/<slug>/bids", methods=["GET", "POST"])
def bids(slug: str):
    """Materials awaiting review, each with the expert's bid as a small form."""
    association = association_for(svc.PLUGIN, slug)
    if not current_user.is_authenticated:
        _deny()
    expert = svc.is_expert(current_user, association)
    coord = svc.coordinates(current_user, association)
    if not expert and not coord:
        abort(403)
    if request.method == "POST":
        if not expert:
            abort(403)
        sub_id = parse_id(request.form.get("sub_id"))
        if sub_id is None:
            abort(400)
        if sub_id > INT32_MAX:  # beyond the column: no such material (PostgreSQL refuses it)
            abort(404)
        sub = _submission(sub_id)
        if sub.association_id != association.id:
            abort(404)
        form = BidForm()
        form.value.choices = options([("", ""), *svc.BIDS.items()])
        if not form.validate_on_submit():
            flash(_("Choose one of the offered answers."), "error")
            return redirect(url_for("expertise.bids", slug=slug)), 303
        try:
            svc.set_bid(sub, current_user, form.value.data or "")
        except svc.WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("expertise.bids", slug=slug)), 303
        db.session.commit()
        flash(_("Your bid was saved."), "success")
        return redirect(url_for("expertise.bids", slug=slug, _anchor=f"bid-{sub.id}"))
    rows = [
        (s, value, conflict, _bid_form(value))
        for s, value, conflict in svc.bid_materials(association, current_user)
    ]
    all_bids = {}
    if coord:
        for row in rows:
            all_bids[row[0].id] = svc.bids_for(row[0])
    return render_template(
        "expertise/bids.html",
        association=association,
        rows=rows,
        expert=expert,
        all_bids=all_bids,
        svc=svc,
    )


def _chosen(proposal) -> dict[int, list[int]]:
    """The experts posted per material (``x-<id>``, one select per place; "" is nobody)."""
    out: dict[int, list[int]] = {}
    for row in proposal.rows:
        ids = []
        for value in request.form.getlist(f"x-{row.sub.id}"):
            if not value:
                continue
            eid = parse_id(value)
            if eid is None:
                abort(400)
            ids.append(eid)
        out[row.sub.id] = ids
    return out


@bp.route("/a/<slug>/balance", methods=["GET", "POST"])
def balance(slug: str):
    """Balanced assignment: the proposal, adjustable, then invitations on confirmation."""
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    form = BalanceForm()
    proposal = svc.propose(association, current_user, _locale())
    chosen = {r.sub.id: [c.expert.id for c in r.proposed] for r in proposal.rows}
    errors: list = []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = _chosen(proposal)
        sent, errors = svc.confirm(association, current_user, chosen, _locale())
        if not errors:
            db.session.commit()
            flash(_("Invitations sent: %(n)s.", n=sent), "success")
            return redirect(url_for("expertise.balance", slug=slug))
    return render_template(
        "expertise/balance.html",
        association=association,
        proposal=proposal,
        chosen=chosen,
        errors=errors,
        form=form,
        svc=svc,
    ), (200 if not errors else 422)


@bp.post("/s/<id:sub_id>/discussion")
def discuss(sub_id: int):
    sub = _submission(sub_id)
    if sub.round not in svc.discussion_rounds(current_user, sub):
        _deny()
    form = DiscussionForm()
    if not form.validate_on_submit():
        flash(_("Write a message first."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor="discussion")), 303
    svc.post_discussion(sub, current_user, form.body.data)
    db.session.commit()
    return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor="discussion"))


@bp.post("/s/<id:sub_id>/meta-review")
def meta_review(sub_id: int):
    sub = _submission(sub_id)
    if not svc.may_write_meta(current_user, sub):
        _deny()
    form = MetaReviewForm()
    if not form.validate_on_submit():
        flash(_("Write a message first."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor="meta")), 303
    svc.save_meta(sub, current_user, form.body.data)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor="meta"))
