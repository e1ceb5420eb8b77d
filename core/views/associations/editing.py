"""Creating, editing and deleting associations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.forms import PostForm
from core.forms_associations import (
    AssociationForm,
    cyclogram_text,
)
from core.models import (
    Association,
    JoinPolicy,
    Role,
    User,
)
from core.services import associations as svc
from core.services import audit, permissions
from core.services.associations import association_or_404
from core.timeutil import utcnow
from core.views.associations.common import (
    _apply,
    _fill_choices,
)
from core.views.blueprint import bp


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
        form.cyclogram_kk.data = cyclogram_text(i for i in a.cyclogram if i.language == "kk")
        form.cyclogram_ru.data = cyclogram_text(i for i in a.cyclogram if i.language == "ru")
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
