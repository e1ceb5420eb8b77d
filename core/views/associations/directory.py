"""The home page, the directory of associations and an association's page."""

from __future__ import annotations

import math

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from core.collation import sort_by, sort_key
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
from core.services.http_cache import cached_page
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
    ).all()
    loc = current_locale()
    memberships = sort_by(memberships, lambda m: m.association.name_in(loc), loc)
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
@cached_page
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
    # Ordered in the reader's alphabet, which SQL collations do not know: sort the ids
    # and names of every match (small rows), then load only the page shown.
    loc = current_locale()
    named = db.session.execute(
        stmt.with_only_columns(Association.id, Association.name_kk, Association.name_ru)
    ).all()
    named.sort(
        key=lambda row: (sort_key((row[2] if loc == "ru" and row[2] else row[1]), loc), row[0])
    )
    start = (page - 1) * DIRECTORY_PER_PAGE
    page_ids = [row[0] for row in named[start : start + DIRECTORY_PER_PAGE]]
    loaded = {
        a.id: a
        for a in db.session.scalars(
            select(Association)
            .options(joinedload(Association.region), joinedload(Association.district))
            .where(Association.id.in_(page_ids))
        ).unique()
    }
    rows = [loaded[i] for i in page_ids if i in loaded]
    regions = db.session.scalars(select(Region)).all()
    regions = sorted(regions, key=lambda r: (r.kind, sort_key(r.name_in(loc), loc)))
    subjects = sort_by(db.session.scalars(select(Subject)).all(), lambda s: s.name_in(loc), loc)
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
@cached_page
def association(slug: str):
    return _association_page(slug, JoinRequestForm(formdata=None))
