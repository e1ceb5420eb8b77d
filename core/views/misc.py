"""Search, portfolio and certificates (download and public verification)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from core.services import certificates
from core.services import search as search_service
from core.views import bp


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    results = search_service.site_search(q, current_user)
    return render_template("core/search.html", q=q, results=results)


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
