"""Notifications, search, profiles, portfolio and certificate verification."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.extensions import db
from core.models import User
from core.services import certificates
from core.services import search as search_service
from core.views import bp


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    results = search_service.site_search(q, current_user)
    return render_template("core/search.html", q=q, results=results)


@bp.get("/notifications")
@login_required
def notifications():
    return render_template("core/notifications.html")


@bp.get("/u/<int:user_id>")
def profile(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        abort(404)
    return render_template("core/profile.html", profile_user=user)


@bp.get("/verify")
def verify_certificate_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("core.verify_certificate", code=code))
    return render_template("core/verify.html", cert=None, code="")


@bp.get("/verify/<code>")
def verify_certificate(code: str):
    cert = certificates.by_code(code)
    return render_template("core/verify.html", cert=cert, code=code), (200 if cert else 404)
