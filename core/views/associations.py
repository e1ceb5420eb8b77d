"""Home page, the directory of associations, association pages, membership and charter.

Membership rules live in :mod:`core.services.associations`; these views check permissions,
validate forms, call one service function and commit once.
"""

from __future__ import annotations

import math
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from core.extensions import db
from core.forms import PostForm
from core.forms_associations import (
    EMPTY,
    KIND_LABELS,
    LEGAL_LABELS,
    LEVEL_LABELS,
    LIFESPAN_LABELS,
    POLICY_LABELS,
    AssociationForm,
    DeclineForm,
    InviteForm,
    JoinRequestForm,
    RoleForm,
    cyclogram_text,
    label,
    parse_cyclogram,
)
from core.i18n import current_locale
from core.models import (
    Association,
    CyclogramItem,
    District,
    Invitation,
    JoinPolicy,
    JoinRequest,
    Membership,
    Region,
    Role,
    Subject,
    User,
)
from core.services import associations as svc
from core.services import audit, permissions
from core.services.associations import association_or_404, subtree
from core.services.search import MAX_QUERY, ci_contains
from core.services.web import page_arg
from core.timeutil import utcnow
from core.views.blueprint import bp

DIRECTORY_PER_PAGE = 20
MEMBERS_PER_PAGE = 50


@bp.app_context_processor
def _association_labels() -> dict[str, Any]:
    return {
        "level_label": lambda v: label(LEVEL_LABELS, v),
        "kind_label": lambda v: label(KIND_LABELS, v),
        "legal_label": lambda v: label(LEGAL_LABELS, v),
        "lifespan_label": lambda v: label(LIFESPAN_LABELS, v),
        "policy_label": lambda v: label(POLICY_LABELS, v),
        "role_label": lambda v: label({r.value: t for r, t in svc.ROLE_LABELS.items()}, v),
        "pending_request_count": _pending_request_count,
    }


def _pending_request_count(association: Association) -> int:
    """For the "Join requests" tab, which only leaders, coordinators and admins see."""
    return (
        db.session.scalar(
            select(func.count(JoinRequest.id)).where(
                JoinRequest.association_id == association.id,
                JoinRequest.status == svc.PENDING,
            )
        )
        or 0
    )


# Home -----------------------------------------------------------------------------------------


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("core/index.html")
    memberships = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.association))
        .join(Association, Association.id == Membership.association_id)
        .where(Membership.user_id == current_user.id)
        .order_by(Association.name_kk)
    ).all()
    managed = [
        m.association_id
        for m in memberships
        if m.role in (Role.LEADER.value, Role.COORDINATOR.value)
    ]
    requests = []
    if managed:
        requests = db.session.scalars(
            select(JoinRequest)
            .options(joinedload(JoinRequest.user), joinedload(JoinRequest.association))
            .where(JoinRequest.association_id.in_(managed), JoinRequest.status == svc.PENDING)
            .order_by(JoinRequest.created_at)
            .limit(50)
        ).all()
    invitations = db.session.scalars(
        select(Invitation)
        .options(joinedload(Invitation.association))
        .where(Invitation.user_id == current_user.id, Invitation.status == svc.PENDING)
        .order_by(Invitation.created_at)
    ).all()
    return render_template(
        "core/index.html", memberships=memberships, requests=requests, invitations=invitations
    )


# Directory ------------------------------------------------------------------------------------


def _directory_filters() -> dict[str, str]:
    args = request.args
    return {
        "q": args.get("q", "").strip()[:MAX_QUERY],
        "region": args.get("region", "").strip(),
        "level": args.get("level", "") if args.get("level") in LEVEL_LABELS else "",
        "kind": args.get("kind", "") if args.get("kind") in KIND_LABELS else "",
        "subject": args.get("subject", "").strip(),
    }


@bp.get("/associations")
def directory():
    f = _directory_filters()
    stmt = select(Association)
    if f["q"]:
        stmt = stmt.where(
            or_(
                *(
                    ci_contains(col, f["q"])
                    for col in (
                        Association.name_kk,
                        Association.name_ru,
                        Association.abbr_kk,
                        Association.abbr_ru,
                        Association.topic,
                    )
                )
            )
        )
    if f["region"]:
        stmt = stmt.join(Region, Region.id == Association.region_id).where(
            Region.code == f["region"]
        )
    if f["level"]:
        stmt = stmt.where(Association.level == f["level"])
    if f["kind"]:
        stmt = stmt.where(Association.kind == f["kind"])
    if f["subject"]:
        stmt = stmt.where(Association.subjects.any(Subject.code == f["subject"]))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / DIRECTORY_PER_PAGE))
    page = min(page_arg(), pages)
    order = Association.name_ru if current_locale() == "ru" else Association.name_kk
    rows = db.session.scalars(
        stmt.options(joinedload(Association.region), joinedload(Association.district))
        .order_by(order, Association.id)
        .limit(DIRECTORY_PER_PAGE)
        .offset((page - 1) * DIRECTORY_PER_PAGE)
    ).all()
    regions = db.session.scalars(select(Region).order_by(Region.kind, Region.name_kk)).all()
    subjects = db.session.scalars(select(Subject).order_by(Subject.name_kk)).all()
    return render_template(
        "core/directory.html",
        associations=rows,
        total=total,
        page=page,
        pages=pages,
        filters=f,
        regions=regions,
        subjects=subjects,
        levels=LEVEL_LABELS,
        kinds=KIND_LABELS,
    )


# One association ------------------------------------------------------------------------------


@bp.get("/a/<slug>")
def association(slug: str):
    return _association_page(slug, JoinRequestForm(formdata=None))


def _association_page(slug: str, join_form: JoinRequestForm, status: int = 200):
    a = db.session.scalar(
        select(Association)
        .options(
            joinedload(Association.region),
            joinedload(Association.district),
            joinedload(Association.parent),
            selectinload(Association.subjects),
            selectinload(Association.cyclogram),
        )
        .where(Association.slug == slug)
    )
    if a is None:
        abort(404)
    ctx: dict[str, Any] = {"membership": None, "join_request": None, "invitation": None}
    if current_user.is_authenticated:
        ctx["membership"] = permissions.membership(current_user, a)
        if ctx["membership"] is None:
            ctx["join_request"] = svc.pending_request(a, current_user)
            ctx["invitation"] = svc.pending_invitation(a, current_user)
    return render_template(
        "core/association.html", association=a, tree=subtree(a), join_form=join_form, **ctx
    ), status


def _back(a: Association):
    return redirect(url_for("core.association", slug=a.slug))


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


# Members and roles ----------------------------------------------------------------------------


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
        stmt = stmt.where(ci_contains(User.full_name, q))
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


# Join requests and invitations ----------------------------------------------------------------


def _requests_page(a: Association, decline_forms: dict[int, DeclineForm] | None = None):
    pending = db.session.scalars(
        select(JoinRequest)
        .options(joinedload(JoinRequest.user).joinedload(User.school))
        .where(JoinRequest.association_id == a.id, JoinRequest.status == svc.PENDING)
        .order_by(JoinRequest.created_at, JoinRequest.id)
    ).all()
    decided = db.session.scalars(
        select(JoinRequest)
        .options(joinedload(JoinRequest.user))
        .where(
            JoinRequest.association_id == a.id,
            JoinRequest.status.in_([svc.APPROVED, svc.DECLINED]),
        )
        .order_by(JoinRequest.decided_at.desc(), JoinRequest.id.desc())
        .limit(20)
    ).all()
    forms = {r.id: DeclineForm(formdata=None) for r in pending}
    forms.update(decline_forms or {})
    return render_template(
        "core/association_requests.html",
        association=a,
        pending=pending,
        decided=decided,
        decline_forms=forms,
    )


def _request_or_404(a: Association, request_id: int) -> JoinRequest:
    req = db.session.get(JoinRequest, request_id)
    if req is None or req.association_id != a.id:
        abort(404)
    return req


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


# Create, edit, delete -------------------------------------------------------------------------


def _fill_choices(form: AssociationForm, a: Association | None, admin: bool) -> None:
    """Choices the actor may pick; also what validation checks against."""
    form.subjects.choices = _subject_choices()
    if a is not None:
        # A stored value this version does not list stays selectable, so that saving the
        # form never changes it silently.
        for name in ("kind", "level", "legal_status", "lifespan", "join_policy"):
            value = getattr(a, name)
            field = getattr(form, name)
            if value and value not in {c.value for c in field.choices}:
                field.choices = [*field.choices, SelectChoice(value, value)]
    if admin:
        if permissions.is_site_admin(current_user):
            regions = db.session.scalars(select(Region).order_by(Region.name_kk)).all()
        else:
            allowed = permissions.admin_region_ids(current_user)
            form.region_required = True
            regions = db.session.scalars(
                select(Region).where(Region.id.in_(allowed)).order_by(Region.name_kk)
            ).all()
        form.region.choices = [EMPTY] + [SelectChoice(r.id, r.name) for r in regions]
        region_ids = {r.id for r in regions}
        districts = db.session.scalars(
            select(District)
            .options(joinedload(District.region))
            .where(District.region_id.in_(region_ids))
            .order_by(District.region_id, District.name_kk)
        ).all()
        form.district.choices = [EMPTY] + [
            SelectChoice(d.id, d.name, optgroup=d.region.name) for d in districts
        ]
        form.district_regions = {d.id: d.region_id for d in districts}
    else:
        # Place in the tree and region decide which administrators and plugin switches
        # apply, so only administrators move an association.
        del form.region
        del form.district
        del form.parent
        form.district_regions = {}
        form.forbidden_parents = set()
        return
    forbidden = set()
    if a is not None:
        forbidden = {a.id} | svc.descendant_ids(a.id)
    form.forbidden_parents = forbidden
    parent_query = select(
        Association.id, Association.name_kk, Association.name_ru, Association.abbr_kk
    ).order_by(Association.name_kk)
    if forbidden:
        parent_query = parent_query.where(Association.id.not_in(forbidden))
    parents = db.session.execute(parent_query).all()
    ru = current_locale() == "ru"
    form.parent.choices = [EMPTY] + [
        SelectChoice(pid, (nru if ru and nru else nkk) + (f" ({abbr})" if abbr else ""))
        for pid, nkk, nru, abbr in parents
    ]


def _subject_choices() -> list[SelectChoice]:
    return [
        SelectChoice(s.id, s.name)
        for s in db.session.scalars(select(Subject).order_by(Subject.name_kk))
    ]


FIELDS = [
    "name_kk",
    "name_ru",
    "abbr_kk",
    "abbr_ru",
    "kind",
    "level",
    "host_organisation",
    "legal_status",
    "lifespan",
    "join_policy",
    "contacts",
    "description",
    "topic",
    "priority",
    "problem",
    "goals",
    "tasks",
    "expected_results",
    "rules",
]


def _apply(form: AssociationForm, a: Association) -> None:
    for name in FIELDS:
        value = getattr(form, name).data
        setattr(a, name, value.strip() if isinstance(value, str) else value)
    if "region" in form:
        a.region_id = form.region.data
        a.district_id = form.district.data
    if "parent" in form:
        a.parent_id = form.parent.data
    wanted = set(form.subjects.data or [])
    a.subjects = list(db.session.scalars(select(Subject).where(Subject.id.in_(wanted))))
    rows, _errors = parse_cyclogram(form.cyclogram.data or "")
    a.cyclogram = [
        CyclogramItem(position=i, activity=act, frequency=freq)
        for i, (act, freq) in enumerate(rows)
    ]


@bp.route("/associations/new", methods=["GET", "POST"])
def create_association():
    permissions.require("association.create")
    form = AssociationForm()
    _fill_choices(form, None, admin=True)
    if request.method == "GET":
        form.join_policy.data = JoinPolicy.REQUEST.value
        form.lifespan.data = "permanent"
    if form.validate_on_submit():
        slug = form.slug.data.strip()
        leader = None
        if form.leader_email.data:
            leader = db.session.scalar(
                select(User).where(
                    func.lower(User.email) == form.leader_email.data.strip().lower(),
                    User.active.is_(True),
                )
            )
            if leader is None:
                form.leader_email.errors.append(_("No registered user has this email."))
        if db.session.scalar(select(Association.id).where(Association.slug == slug)):
            form.slug.errors.append(_("This address is already taken."))
        if not form.errors:
            a = Association(slug=slug, member_count=0)
            _apply(form, a)
            db.session.add(a)
            db.session.flush()
            if leader is not None:
                svc.add_member(a, leader, Role.LEADER)
            audit.record(
                "association.create",
                actor=current_user,
                target=a.slug,
                region_id=a.region_id,
                association_id=a.id,
                details={"leader_id": leader.id} if leader else None,
            )
            db.session.commit()
            flash(_("The association has been created."), "success")
            return redirect(url_for("core.association", slug=a.slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "core/association_edit.html", form=form, association=None, creating=True
    ), status


@bp.route("/a/<slug>/edit", methods=["GET", "POST"])
def edit_association(slug: str):
    a = association_or_404(slug)
    permissions.require("association.edit", a)
    is_admin = permissions.administers(current_user, a)
    form = AssociationForm(obj=a if request.method == "GET" else None)
    del form.slug
    del form.leader_email
    _fill_choices(form, a, admin=is_admin)
    if request.method == "GET":
        form.subjects.data = [s.id for s in a.subjects]
        form.cyclogram.data = cyclogram_text(a.cyclogram)
        if is_admin:
            form.parent.data = a.parent_id
            form.region.data = a.region_id
            form.district.data = a.district_id
    if form.validate_on_submit():
        _apply(form, a)
        a.last_activity_at = utcnow()
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("core.association", slug=a.slug))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "core/association_edit.html", form=form, association=a, creating=False
    ), status


@bp.route("/a/<slug>/delete", methods=["GET", "POST"])
def delete_association(slug: str):
    a = association_or_404(slug)
    permissions.require("site.admin")
    form = PostForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        name = a.name
        svc.delete_association(a, current_user)
        try:
            db.session.commit()
        except IntegrityError:
            # A plugin still holds rows that point at the association (no core hook lets
            # plugins clean up yet): keep everything and say so.
            db.session.rollback()
            flash(
                _("The association still has content in some sections; it was not deleted."),
                "error",
            )
            return redirect(url_for("core.delete_association", slug=slug))
        flash(_("“%(name)s” has been deleted.", name=name), "success")
        return redirect(url_for("core.directory"))
    return render_template("core/association_delete.html", association=a, form=form)
