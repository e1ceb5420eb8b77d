"""Admin area: the dashboard, associations, regional administrators, plugin switches per
region and per association, and the audit log.

A site administrator sees and changes everything; a regional administrator only what belongs
to the regions they administer. Every query below is scoped by :func:`_scope_regions`.
"""

from __future__ import annotations

import math
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from core.collation import sort_key
from core.extensions import db
from core.forms import PostForm
from core.forms_associations import EMPTY, RegionAdminForm, SwitchForm
from core.i18n import current_locale
from core.models import (
    Association,
    AuditLog,
    JoinRequest,
    Membership,
    PluginSwitch,
    Region,
    RegionAdmin,
    User,
)
from core.services import audit, permissions, plugin_gate, sessions
from core.services.associations import association_or_404
from core.services.search import MAX_QUERY, ci_contains
from core.services.urls import safe_next
from core.services.web import page_arg, parse_id
from core.views.blueprint import bp

PER_PAGE = 50


def _scope_regions() -> set[int] | None:
    """Region ids the current user administers; ``None`` means every region (site admin)."""
    if permissions.is_site_admin(current_user):
        return None
    return permissions.admin_region_ids(current_user)


def _regions_in_scope(scope: set[int] | None) -> list[Region]:
    stmt = select(Region)
    if scope is not None:
        stmt = stmt.where(Region.id.in_(scope))
    loc = current_locale()
    return sorted(
        db.session.scalars(stmt), key=lambda r: (r.kind == "city", sort_key(r.name_in(loc), loc))
    )


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


@bp.get("/admin")
def admin():
    permissions.require("admin.access")
    scope = _scope_regions()
    assoc = select(Association.id)
    requests = select(JoinRequest.id).where(JoinRequest.status == "pending")
    if scope is not None:
        assoc = assoc.where(Association.region_id.in_(scope))
        requests = requests.join(Association, Association.id == JoinRequest.association_id).where(
            Association.region_id.in_(scope)
        )
    counts: list[tuple[str, int]] = [
        (_("Associations"), _count(assoc)),
        (
            _("Memberships"),
            _count(select(Membership.id).where(Membership.association_id.in_(assoc))),
        ),
        (_("Pending join requests"), _count(requests)),
    ]
    if scope is None:
        counts[:0] = [
            (_("Users"), _count(select(User.id).where(User.active.is_(True)))),
            (_("Regions and cities"), _count(select(Region.id))),
        ]
        counts.append((_("Regional administrators"), _count(select(RegionAdmin.id))))
    return render_template(
        "core/admin/index.html",
        counts=counts,
        regions=_regions_in_scope(scope),
        site_admin=scope is None,
    )


@bp.get("/admin/associations")
def admin_associations():
    permissions.require("admin.access")
    scope = _scope_regions()
    regions = _regions_in_scope(scope)
    stmt = select(Association)
    if scope is not None:
        stmt = stmt.where(Association.region_id.in_(scope))
    region_code = request.args.get("region", "")
    region = next((r for r in regions if r.code == region_code), None)
    if region is not None:
        stmt = stmt.where(Association.region_id == region.id)
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    if q:
        stmt = stmt.where(
            or_(
                ci_contains(Association.name_kk, q),
                ci_contains(Association.name_ru, q),
                ci_contains(Association.slug, q),
            )
        )
    total = _count(stmt)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page_arg(), pages)
    # In the reader's alphabet, which SQL collations do not know: sort the ids and names of
    # every match (small rows), then load only the page shown.
    loc = current_locale()
    names = db.session.execute(
        stmt.with_only_columns(Association.id, Association.name_kk, Association.name_ru)
    ).all()
    names.sort(key=lambda r: (sort_key((r[2] if loc == "ru" and r[2] else r[1]) or "", loc), r[0]))
    ids = [r[0] for r in names[(page - 1) * PER_PAGE : page * PER_PAGE]]
    by_id = {
        a.id: a
        for a in db.session.scalars(
            select(Association)
            .options(joinedload(Association.region), joinedload(Association.parent))
            .where(Association.id.in_(ids))
        )
    }
    rows = [by_id[i] for i in ids if i in by_id]
    return render_template(
        "core/admin/associations.html",
        rows=rows,
        regions=regions,
        region=region,
        q=q,
        total=total,
        page=page,
        pages=pages,
    )


# Regional administrators ----------------------------------------------------------------------


def _region_admins_page(form: RegionAdminForm, status: int = 200):
    rows = db.session.scalars(
        select(RegionAdmin)
        .options(joinedload(RegionAdmin.user), joinedload(RegionAdmin.region))
        .join(Region, Region.id == RegionAdmin.region_id)
        .join(User, User.id == RegionAdmin.user_id)
    ).all()
    loc = current_locale()
    rows = sorted(
        rows, key=lambda r: (sort_key(r.region.name_in(loc), loc), sort_key(r.user.full_name, loc))
    )
    return render_template(
        "core/admin/region_admins.html", form=form, rows=rows, post_form=PostForm()
    ), status


def _region_choices(form: RegionAdminForm) -> None:
    form.region.choices = [EMPTY] + [SelectChoice(r.id, r.name) for r in _regions_in_scope(None)]


@bp.route("/admin/region-admins", methods=["GET", "POST"])
def region_admins():
    permissions.require("site.admin")
    form = RegionAdminForm()
    _region_choices(form)
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        region = db.session.get(Region, form.region.data)
        if user is None or not user.active:
            form.email.errors.append(_("No registered user has this email."))
        elif region is None:
            form.region.errors.append(_("Choose a region."))
        elif db.session.scalar(
            select(RegionAdmin.id).where(
                RegionAdmin.user_id == user.id, RegionAdmin.region_id == region.id
            )
        ):
            form.email.errors.append(_("This person already administers this region."))
        else:
            db.session.add(RegionAdmin(user_id=user.id, region_id=region.id))
            audit.record(
                "region_admin.add",
                actor=current_user,
                target=user.email,
                region_id=region.id,
                details={"user_id": user.id},
            )
            db.session.commit()
            flash(
                _(
                    "%(name)s now administers %(region)s.",
                    name=user.full_name,
                    region=region.name,
                ),
                "success",
            )
            return redirect(url_for("core.region_admins"))
    return _region_admins_page(form, 400 if request.method == "POST" else 200)


@bp.post("/admin/region-admins/<id:row_id>/remove")
def remove_region_admin(row_id: int):
    permissions.require("site.admin")
    if not PostForm().validate_on_submit():
        abort(400)
    row = db.session.get(RegionAdmin, row_id)
    if row is None:
        abort(404)
    user, region = row.user, row.region
    audit.record(
        "region_admin.remove",
        actor=current_user,
        target=user.email,
        region_id=region.id,
        details={"user_id": user.id},
    )
    db.session.delete(row)
    db.session.commit()
    flash(
        _(
            "%(name)s no longer administers %(region)s.",
            name=user.full_name,
            region=region.name,
        ),
        "success",
    )
    return redirect(url_for("core.region_admins"))


# Users ----------------------------------------------------------------------------------------


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/admin/users/<id:user_id>")
def admin_user(user_id: int):
    permissions.require("site.admin")
    user = _user_or_404(user_id)
    return render_template("core/admin/user.html", user=user, sessions=sessions.live_sessions(user))


@bp.post("/admin/users/<id:user_id>/sessions/end")
def end_user_sessions(user_id: int):
    """Log a user out everywhere (a lost phone, a shared computer, a suspected break-in)."""
    permissions.require("site.admin")
    if not PostForm().validate_on_submit():
        abort(400)
    user = _user_or_404(user_id)
    # An administrator ending their own sessions keeps the one they are using.
    keep = sessions.current(current_user) if user.id == current_user.id else None
    ended = sessions.revoke_all(user, keep=keep)
    audit.record(
        "user.sessions_end",
        actor=current_user,
        target=user.email,
        region_id=user.region_id,
        details={"user_id": user.id, "ended": ended},
    )
    db.session.commit()
    flash(_("Sessions of %(name)s ended: %(count)d.", name=user.full_name, count=ended), "success")
    return redirect(url_for("core.admin_user", user_id=user.id))


# Plugin switches ------------------------------------------------------------------------------


def _plugins() -> tuple[list[dict[str, Any]], list[str]]:
    """Plugins running in this deployment (name, version, description) and the names of
    those installed but left out by the deployment's allow-list."""
    registry = current_app.extensions["qauym_plugins"]
    running = []
    for name in sorted(registry.enabled):
        info = registry.info.get(name)
        running.append(
            {
                "name": name,
                "version": getattr(info, "version", ""),
                "description": getattr(info, "description", ""),
                "label": str(getattr(info, "description", "") or name),
            }
        )
    idle = sorted(set(registry.installed) - set(registry.enabled))
    return running, idle


@bp.get("/admin/plugins")
def admin_plugins():
    permissions.require("admin.access")
    scope = _scope_regions()
    regions = _regions_in_scope(scope)
    running, idle = _plugins()
    state = {
        (p["name"], r.id): plugin_gate.is_enabled_for_region(p["name"], r.id)
        for p in running
        for r in regions
    }
    assoc_switches = select(PluginSwitch).where(PluginSwitch.association_id.is_not(None))
    if scope is not None:
        assoc_switches = assoc_switches.join(
            Association, Association.id == PluginSwitch.association_id
        ).where(Association.region_id.in_(scope))
    overrides = db.session.scalars(
        assoc_switches.options(joinedload(PluginSwitch.association)).order_by(
            PluginSwitch.plugin, PluginSwitch.association_id
        )
    ).all()
    return render_template(
        "core/admin/plugins.html",
        plugins=running,
        labels={p["name"]: p["label"] for p in running},
        idle=idle,
        regions=regions,
        state=state,
        overrides=overrides,
        form=SwitchForm(formdata=None),
    )


def _valid_switch(form: SwitchForm) -> str | None:
    if not form.validate_on_submit():
        return None
    name = form.plugin
    if name not in current_app.extensions["qauym_plugins"].enabled:
        abort(404)
    return name


@bp.post("/admin/plugins/switch")
def switch_region_plugin():
    permissions.require("admin.access")
    form = SwitchForm()
    name = _valid_switch(form)
    region_id = parse_id(form.region.data)
    if name is None or region_id is None:
        abort(400)
    region = db.session.get(Region, region_id)
    if region is None:
        abort(404)
    permissions.require("region.admin", region)
    enabled = form.enabled
    plugin_gate.set_switch(name, enabled, actor=current_user, region_id=region.id)
    flash(
        _("%(plugin)s is now on in %(region)s.", plugin=name, region=region.name)
        if enabled
        else _("%(plugin)s is now off in %(region)s.", plugin=name, region=region.name),
        "success",
    )
    return redirect(safe_next(form.next.data) if form.next.data else url_for("core.admin_plugins"))


@bp.get("/admin/a/<slug>")
def association_admin(slug: str):
    a = association_or_404(slug)
    permissions.require("association.switch_plugins", a)
    running, _idle = _plugins()
    own = {
        s.plugin: s.enabled
        for s in db.session.scalars(select(PluginSwitch).where(PluginSwitch.association_id == a.id))
    }
    rows = [
        {
            **p,
            "effective": plugin_gate.is_enabled(p["name"], a),
            "own": own.get(p["name"]),
            "region": plugin_gate.is_enabled_for_region(p["name"], a.region_id),
        }
        for p in running
    ]
    return render_template(
        "core/admin/association.html",
        association=a,
        rows=rows,
        form=SwitchForm(formdata=None),
    )


@bp.post("/admin/a/<slug>/plugins")
def switch_association_plugin(slug: str):
    a = association_or_404(slug)
    permissions.require("association.switch_plugins", a)
    form = SwitchForm()
    name = _valid_switch(form)
    if name is None:
        abort(400)
    enabled = form.enabled
    plugin_gate.set_switch(name, enabled, actor=current_user, association_id=a.id)
    flash(
        _("%(plugin)s is now on here and below.", plugin=name)
        if enabled
        else _("%(plugin)s is now off here and below.", plugin=name),
        "success",
    )
    return redirect(url_for("core.association_admin", slug=a.slug))


# Audit log ------------------------------------------------------------------------------------


@bp.get("/admin/audit")
def audit_log():
    permissions.require("admin.access")
    scope = _scope_regions()
    stmt = select(AuditLog)
    if scope is not None:
        stmt = stmt.where(
            or_(
                AuditLog.region_id.in_(scope),
                AuditLog.association_id.in_(
                    select(Association.id).where(Association.region_id.in_(scope))
                ),
            )
        )
    action = request.args.get("action", "").strip()[:80]
    if action:
        stmt = stmt.where(AuditLog.action == action)
    total = _count(stmt)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page_arg(), pages)
    rows = db.session.scalars(
        stmt.options(joinedload(AuditLog.actor))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    region_names = {r.id: r.name for r in _regions_in_scope(scope)}
    labels = {p["name"]: p["label"] for p in _plugins()[0]}
    return render_template(
        "core/admin/audit.html",
        describe=lambda e: audit.describe(e, lambda n: labels.get(n, n)),
        detail_text=audit.detail_text,
        actions=audit.known_actions(),
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        action=action,
        region_names=region_names,
    )
