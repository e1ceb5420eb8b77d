"""The home page, the directory of associations and an association's page."""

from __future__ import annotations

import math

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.forms_associations import (
    KIND_LABELS,
    LEVEL_LABELS,
    JoinRequestForm,
)
from core.i18n import current_locale
from core.models import (
    Association,
    Invitation,
    JoinRequest,
    Membership,
    Region,
    Role,
    Subject,
)
from core.services import associations as svc
from core.services.search import ci_contains
from core.services.web import page_arg
from core.views.associations.common import (
    DIRECTORY_PER_PAGE,
    _association_page,
    _directory_filters,
)
from core.views.blueprint import bp


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


@bp.get("/a/<slug>")
def association(slug: str):
    return _association_page(slug, JoinRequestForm(formdata=None))
