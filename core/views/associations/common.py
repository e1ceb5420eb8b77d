"""What the association page modules share: labels, counts and form helpers."""

from __future__ import annotations

import functools
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from core.collation import sort_by, sort_key
from core.extensions import db
from core.forms_associations import (
    CHARTER_SECTIONS,
    EMPTY,
    KIND_LABELS,
    LEGAL_LABELS,
    LEVEL_LABELS,
    LIFESPAN_LABELS,
    POLICY_LABELS,
    AssociationForm,
    DeclineForm,
    JoinRequestForm,
    label,
    parse_cyclogram,
)
from core.i18n import current_locale
from core.models import (
    CHARTER_FIELDS,
    CHARTER_LANGUAGES,
    Association,
    CyclogramItem,
    District,
    JoinRequest,
    Region,
    Subject,
    User,
)
from core.services import associations as svc
from core.services import permissions
from core.services.associations import subtree
from core.services.search import MAX_QUERY
from core.services.urls import safe_next
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


def _directory_filters() -> dict[str, str]:
    args = request.args
    return {
        "q": args.get("q", "").strip()[:MAX_QUERY],
        "region": args.get("region", "").strip(),
        "level": args.get("level", "") if args.get("level") in LEVEL_LABELS else "",
        "kind": args.get("kind", "") if args.get("kind") in KIND_LABELS else "",
        "subject": args.get("subject", "").strip(),
    }


@functools.cache
def _page_statement():
    # Built once (see core.services.sessions._load_statement). The subjects and the cyclogram
    # load lazily when the page shows them: on SQLite a lazy load of one association's
    # collection took under half the time of a selectinload (0.2 against 0.45 ms).
    return (
        select(Association)
        .options(
            joinedload(Association.region),
            joinedload(Association.district),
            joinedload(Association.parent),
        )
        .where(Association.slug == bindparam("slug"))
    )


def _association_page(slug: str, join_form: JoinRequestForm, status: int = 200):
    a = db.session.scalar(_page_statement(), {"slug": slug})
    if a is None:
        abort(404)
    ctx: dict[str, Any] = {"membership": None, "join_request": None, "invitation": None}
    if current_user.is_authenticated:
        ctx["membership"] = permissions.membership(current_user, a)
        if ctx["membership"] is None:
            ctx["join_request"] = svc.pending_request(a, current_user)
            ctx["invitation"] = svc.pending_invitation(a, current_user)
    ctx.update(_charter(a))
    return render_template(
        "core/association.html", association=a, tree=subtree(a), join_form=join_form, **ctx
    ), status


def _charter(a: Association) -> dict[str, Any]:
    """The charter in the reader's language (``?lang_text=kk|ru`` chooses the other one), each
    section falling back to the other language when it is empty in this one."""
    wanted = request.args.get("lang_text", "")
    if wanted not in CHARTER_LANGUAGES:
        wanted = current_locale() if current_locale() in CHARTER_LANGUAGES else "kk"
    sections = []
    for name, title, *_rest in CHARTER_SECTIONS:
        text, lang = a.charter_text(name, wanted)
        if text:
            sections.append((title, text, lang))
    items, items_lang = a.cyclogram_in(wanted)
    other = "ru" if wanted == "kk" else "kk"
    return {
        "charter_lang": wanted,
        "charter_sections": sections,
        "cyclogram_items": items,
        "cyclogram_lang": items_lang,
        # Offered only when both languages hold some text (else the link shows the same).
        "charter_other": other if {wanted, other} <= a.charter_languages() else None,
    }


def _back(a: Association):
    """After joining, leaving or withdrawing: the page the form came from (a posted ``next``
    on this site, e.g. the welcome page), else the association's page."""
    return redirect(safe_next(request.form.get("next"), url_for("core.association", slug=a.slug)))


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
        loc = current_locale()
        regions = sort_by(regions, lambda r: r.name_in(loc), loc)
        form.region.choices = [EMPTY] + [SelectChoice(r.id, r.name) for r in regions]
        region_ids = {r.id for r in regions}
        districts = db.session.scalars(
            select(District)
            .options(joinedload(District.region))
            .where(District.region_id.in_(region_ids))
            .order_by(District.region_id, District.name_kk)
        ).all()
        region_rank = {r.id: i for i, r in enumerate(regions)}
        districts = sorted(
            districts,
            key=lambda d: (region_rank.get(d.region_id, 0), sort_key(d.name_in(loc), loc)),
        )
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
    loc = current_locale()
    ru = loc == "ru"
    labels = [
        (pid, (nru if ru and nru else nkk) + (f" ({abbr})" if abbr else ""))
        for pid, nkk, nru, abbr in parents
    ]
    form.parent.choices = [EMPTY] + [
        SelectChoice(pid, label) for pid, label in sort_by(labels, lambda p: p[1], loc)
    ]


def _subject_choices() -> list[SelectChoice]:
    loc = current_locale()
    subjects = db.session.scalars(select(Subject)).all()
    return [SelectChoice(s.id, s.name) for s in sort_by(subjects, lambda s: s.name_in(loc), loc)]


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
    *(f"{name}_{lang}" for name in CHARTER_FIELDS for lang in CHARTER_LANGUAGES),
]


def _apply(form: AssociationForm, a: Association) -> None:
    for name in FIELDS:
        value = getattr(form, name).data
        # A text field left out of the posted form is empty, not NULL.
        setattr(a, name, value.strip() if isinstance(value, str) else (value or ""))
    if "region" in form:
        a.region_id = form.region.data
        a.district_id = form.district.data
    if "parent" in form:
        a.parent_id = form.parent.data
    wanted = set(form.subjects.data or [])
    a.subjects = list(db.session.scalars(select(Subject).where(Subject.id.in_(wanted))))
    items = []
    for lang in CHARTER_LANGUAGES:
        rows, _errors = parse_cyclogram(getattr(form, f"cyclogram_{lang}").data or "")
        items += [
            CyclogramItem(position=i, activity=act, frequency=freq, language=lang)
            for i, (act, freq) in enumerate(rows)
        ]
    a.cyclogram = items
