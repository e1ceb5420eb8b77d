"""Membership: joining, requests, invitations, leaving, the member list and roles."""

from __future__ import annotations

import math

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from core.extensions import db
from core.forms import PostForm
from core.forms_associations import (
    DeclineForm,
    InviteForm,
    JoinRequestForm,
    RoleForm,
)
from core.models import (
    Invitation,
    JoinPolicy,
    Membership,
    Role,
    User,
)
from core.services import associations as svc
from core.services import permissions
from core.services.associations import association_or_404
from core.services.search import MAX_QUERY, name_contains
from core.services.web import page_arg
from core.views.associations.common import (
    MEMBERS_PER_PAGE,
    _association_page,
    _back,
    _request_or_404,
    _requests_page,
)
from core.views.blueprint import bp


@bp.post("/a/<slug>/join")
def join(slug: str):
    a = association_or_404(slug)
    permissions.require("association.join", a)
    form = JoinRequestForm()
    if not form.validate_on_submit():
        return _association_page(slug, form, 400)
    try:
        if a.join_policy == JoinPolicy.OPEN.value:
            svc.join(a, current_user)
            message = _("Welcome! You are now a member.")
        else:
            svc.request_to_join(a, current_user, form.message.data or "")
            message = _("Your request has been sent to the leaders.")
    except svc.MembershipError as e:
        db.session.rollback()
        flash(str(e), "error")
        return _back(a)
    db.session.commit()
    flash(message, "success")
    return _back(a)


@bp.post("/a/<slug>/join/cancel")
@login_required
def cancel_join_request(slug: str):
    a = association_or_404(slug)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        svc.cancel_request(a, current_user)
    except svc.MembershipError as e:
        flash(str(e), "error")
        return _back(a)
    db.session.commit()
    flash(_("Your request has been withdrawn."), "success")
    return _back(a)


@bp.post("/a/<slug>/leave")
def leave(slug: str):
    a = association_or_404(slug)
    permissions.require("association.leave", a)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        svc.leave(a, current_user)
    except svc.MembershipError as e:
        db.session.rollback()
        flash(str(e), "error")
        return _back(a)
    db.session.commit()
    flash(_("You have left the association."), "success")
    return _back(a)


@bp.post("/a/<slug>/invitation/<answer>")
@login_required
def answer_invitation(slug: str, answer: str):
    a = association_or_404(slug)
    if answer not in ("accept", "decline") or not PostForm().validate_on_submit():
        abort(400)
    inv = svc.pending_invitation(a, current_user)
    if inv is None:
        flash(_("This invitation is no longer open."), "error")
        return _back(a)
    try:
        if answer == "accept":
            svc.accept_invitation(inv, current_user)
            message = _("Welcome! You are now a member.")
        else:
            svc.decline_invitation(inv, current_user)
            message = _("You have declined the invitation.")
    except svc.MembershipError as e:
        db.session.rollback()
        flash(str(e), "error")
        return _back(a)
    db.session.commit()
    flash(message, "success")
    return _back(a)


@bp.get("/a/<slug>/members")
def members(slug: str):
    a = association_or_404(slug)
    permissions.require("association.view_members", a)
    role = request.args.get("role", "")
    role = role if role in {r.value for r in Role} else ""
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    stmt = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.association_id == a.id)
    )
    if role:
        stmt = stmt.where(Membership.role == role)
    if q:
        stmt = stmt.where(name_contains(q))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / MEMBERS_PER_PAGE))
    page = min(page_arg(), pages)
    role_rank = case({r.value: i for i, r in enumerate(Role)}, value=Membership.role, else_=99)
    rows = db.session.scalars(
        stmt.options(
            joinedload(Membership.user).joinedload(User.school),
            joinedload(Membership.user).joinedload(User.region),
        )
        .order_by(role_rank, User.full_name, User.id)
        .limit(MEMBERS_PER_PAGE)
        .offset((page - 1) * MEMBERS_PER_PAGE)
    ).all()
    can_change = permissions.can(current_user, "association.change_roles", a)
    return render_template(
        "core/association_members.html",
        association=a,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        role=role,
        q=q,
        roles=list(Role),
        visible=permissions.visible_profiles(current_user, [m.user for m in rows]),
        role_forms={m.user_id: RoleForm(role=m.role, formdata=None) for m in rows}
        if can_change
        else {},
        assignable=svc.assignable_roles(current_user, a) if can_change else [],
    )


@bp.post("/a/<slug>/members/<id:user_id>/role")
def change_role(slug: str, user_id: int):
    a = association_or_404(slug)
    permissions.require("association.change_roles", a)
    m = db.session.scalar(
        select(Membership).where(Membership.association_id == a.id, Membership.user_id == user_id)
    )
    if m is None:
        abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role from the list."), "error")
        return redirect(url_for("core.members", slug=a.slug))
    try:
        changed = svc.change_role(m, form.role.data, current_user)
    except svc.MembershipError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("core.members", slug=a.slug))
    db.session.commit()
    if changed:
        flash(
            _(
                "%(name)s is now %(role)s.",
                name=m.user.full_name,
                role=svc.ROLE_LABELS[Role(m.role)],
            ),
            "success",
        )
    return redirect(url_for("core.members", slug=a.slug))


@bp.get("/a/<slug>/requests")
def join_requests(slug: str):
    a = association_or_404(slug)
    permissions.require("association.decide_requests", a)
    return _requests_page(a)


@bp.post("/a/<slug>/requests/<id:request_id>/approve")
def approve_request(slug: str, request_id: int):
    a = association_or_404(slug)
    permissions.require("association.decide_requests", a)
    req = _request_or_404(a, request_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        svc.approve(req, current_user)
    except svc.MembershipError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("core.join_requests", slug=a.slug))
    db.session.commit()
    flash(_("%(name)s is now a member.", name=req.user.full_name), "success")
    return redirect(url_for("core.join_requests", slug=a.slug))


@bp.post("/a/<slug>/requests/<id:request_id>/decline")
def decline_request(slug: str, request_id: int):
    a = association_or_404(slug)
    permissions.require("association.decide_requests", a)
    req = _request_or_404(a, request_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _requests_page(a, {req.id: form}), 400
    try:
        svc.decline(req, current_user, form.reason.data)
    except svc.MembershipError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("core.join_requests", slug=a.slug))
    db.session.commit()
    flash(_("The request has been declined."), "success")
    return redirect(url_for("core.join_requests", slug=a.slug))


@bp.route("/a/<slug>/invite", methods=["GET", "POST"])
def invite(slug: str):
    a = association_or_404(slug)
    permissions.require("association.invite", a)
    form = InviteForm()
    assignable = svc.assignable_roles(current_user, a)
    form.role.choices = [SelectChoice(r.value, svc.ROLE_LABELS[r]) for r in assignable]
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == email, User.active.is_(True))
        )
        if user is None:
            form.email.errors.append(_("No registered user has this email."))
        else:
            try:
                svc.invite(a, user, form.role.data, current_user)
            except svc.MembershipError as e:
                db.session.rollback()
                form.email.errors.append(str(e))
            else:
                db.session.commit()
                flash(_("%(name)s has been invited.", name=user.full_name), "success")
                return redirect(url_for("core.invite", slug=a.slug))
    pending = db.session.scalars(
        select(Invitation)
        .options(joinedload(Invitation.user))
        .where(Invitation.association_id == a.id, Invitation.status == svc.PENDING)
        .order_by(Invitation.created_at.desc())
    ).all()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "core/association_invite.html", association=a, form=form, pending=pending
    ), status
