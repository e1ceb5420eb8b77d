"""The home page, the directory of associations and an association's page."""

from __future__ import annotations

import math
from typing import Any

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

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
    JoinPolicy,
    JoinRequest,
    Level,
    Membership,
    Region,
    Role,
    Subject,
)
from core.services import associations as svc
from core.services import permissions
from core.services.http_cache import cached_page
from core.services.search import folded_contains
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
    my_requests = db.session.scalars(
        select(JoinRequest)
        .options(joinedload(JoinRequest.association))
        .where(JoinRequest.user_id == current_user.id, JoinRequest.status == svc.PENDING)
        .order_by(JoinRequest.created_at)
    ).all()
    invitations = db.session.scalars(
        select(Invitation)
        .options(joinedload(Invitation.association))
        .where(Invitation.user_id == current_user.id, Invitation.status == svc.PENDING)
        .order_by(Invitation.created_at)
    ).all()
    return render_template(
        "core/index.html",
        memberships=memberships,
        requests=requests,
        invitations=invitations,
        my_requests=my_requests,
    )


def suggested_associations(user) -> list[tuple[Association, Any]]:
    """Associations a new teacher might join, with why: of their school (a school-level
    association hosted by it), of their district, of their subjects in their region or the
    whole republic. Leaves out those they belong to, are invited to or asked to join, and
    those open by invitation only. Best first, then in the reader's alphabet."""
    loc = current_locale()
    mine = set(permissions.memberships_of(user))
    asked = set(
        db.session.scalars(
            select(JoinRequest.association_id).where(
                JoinRequest.user_id == user.id, JoinRequest.status == svc.PENDING
            )
        )
    )
    conditions = []
    if user.district_id:
        conditions.append(Association.district_id == user.district_id)
    subject_ids = [s.id for s in user.subjects]
    if subject_ids:
        conditions.append(
            and_(
                Association.subjects.any(Subject.id.in_(subject_ids)),
                or_(
                    Association.region_id == user.region_id,
                    Association.level.in_([Level.REPUBLIC.value, Level.INTERNATIONAL.value]),
                ),
            )
        )
    school = user.school.name.casefold() if user.school else ""
    if user.region_id:
        conditions.append(
            and_(Association.level == Level.SCHOOL.value, Association.region_id == user.region_id)
        )
    if not conditions:
        return []
    rows = db.session.scalars(
        select(Association)
        .options(selectinload(Association.subjects))
        .where(or_(*conditions), Association.join_policy != JoinPolicy.INVITE.value)
    ).all()
    out = []
    for a in rows:
        if a.id in mine or a.id in asked:
            continue
        is_school = a.level == Level.SCHOOL.value
        if is_school and (not school or a.host_organisation.casefold() != school):
            continue  # a school-level association of another school
        if is_school:
            rank, why = 0, _l("Your school")
        elif user.district_id and a.district_id == user.district_id:
            rank, why = 1, _l("Your district")
        else:
            rank, why = 2, _l("Your subjects")
        out.append((rank, a, why))
    out.sort(key=lambda t: (t[0], sort_key(t[1].name_in(loc), loc)))
    return [(a, why) for _rank, a, why in out[:30]]


@bp.get("/welcome")
@login_required
def welcome():
    """Where a new teacher lands after confirming the email: associations to join."""
    user = current_user._get_current_object()
    return render_template(
        "core/welcome.html",
        suggestions=suggested_associations(user),
        join_form=JoinRequestForm(formdata=None),
    )


@bp.get("/associations")
@cached_page
def directory():
    f = _directory_filters()
    stmt = select(Association)
    if f["q"]:
        # names, abbreviations and topic in both languages, through their folded copy's
        # trigram index (migration core_0090), not a function per row and column
        stmt = stmt.where(folded_contains(Association.search_folded, f["q"]))
    if f["region"]:
        stmt = stmt.join(Region, Region.id == Association.region_id).where(
            Region.code == f["region"]
        )
    if f["level"] == Level.DISTRICT.value:
        # A network of schools of one district is found under its district.
        stmt = stmt.where(
            or_(
                Association.level == Level.DISTRICT.value,
                and_(
                    Association.level == Level.NETWORK.value,
                    Association.district_id.is_not(None),
                ),
            )
        )
    elif f["level"]:
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
