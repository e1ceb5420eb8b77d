"""Home page, the directory of associations and association pages."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from core.extensions import db
from core.models import Association
from core.views import bp


@bp.get("/")
def index():
    return render_template("core/index.html")


@bp.get("/associations")
def directory():
    rows = db.session.scalars(select(Association).order_by(Association.name_kk)).all()
    return render_template("core/directory.html", associations=rows)


def association_or_404(slug: str) -> Association:
    a = db.session.scalar(select(Association).where(Association.slug == slug))
    if a is None:
        abort(404)
    return a


@bp.get("/a/<slug>")
def association(slug: str):
    a = association_or_404(slug)
    return render_template("core/association.html", association=a)
