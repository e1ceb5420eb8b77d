"""Site search, portfolios and certificates (my list, PDF download, public verification,
revocation by a site administrator)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import TextAreaField
from wtforms.validators import Length

from core.extensions import db
from core.forms import QauymForm
from core.i18n import current_locale
from core.models import User
from core.services import certificates, csv_export, permissions, portfolio
from core.services import search as search_service
from core.views.blueprint import bp


@bp.get("/search")
def search():
    q = request.args.get("q", "").strip()[: search_service.MAX_QUERY]
    groups = search_service.site_search(q, current_user)
    return render_template(
        "core/search.html",
        q=q,
        groups=groups,
        too_short=bool(q) and len(q) < search_service.MIN_QUERY,
        min_query=search_service.MIN_QUERY,
        highlight=search_service.highlight,
    )


# Certificates -------------------------------------------------------------------------------


class RevokeForm(QauymForm):
    reason = TextAreaField(
        _l("Reason (kept in the audit log)"), validators=[Length(max=500)], default=""
    )


def _certificate_or_404(code: str):
    cert = certificates.by_code(code)
    if cert is None:
        abort(404)
    return cert


@bp.get("/certificates")
@login_required
def my_certificates():
    rows = certificates.for_user(current_user, include_revoked=True)
    return render_template("core/certificates.html", certificates=rows)


@bp.get("/certificates/<code>.pdf")
def certificate_pdf(code: str):
    cert = _certificate_or_404(code)
    permissions.require("certificate.download", cert)
    pdf = certificates.render_pdf(cert, locale=current_locale())
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="certificate-{cert.code}.pdf"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/verify")
def verify_certificate_form():
    code = certificates.normalize_code(request.args.get("code", ""))
    if code:
        return redirect(url_for("core.verify_certificate", code=code))
    return render_template("core/verify.html", cert=None, code="", form=None)


@bp.get("/verify/<code>")
def verify_certificate(code: str):
    cert = certificates.by_code(code)
    if cert is None:
        return render_template("core/verify.html", cert=None, code=code, form=None), 404
    if code != cert.code:  # typed in lower case or with spaces: show the canonical address
        return redirect(url_for("core.verify_certificate", code=cert.code))
    form = RevokeForm() if permissions.can(current_user, "certificate.revoke", cert) else None
    return render_template("core/verify.html", cert=cert, code=cert.code, form=form)


@bp.post("/verify/<code>/revoke")
def revoke_certificate(code: str):
    cert = _certificate_or_404(code)
    permissions.require("certificate.revoke", cert)
    form = RevokeForm()
    if not form.validate_on_submit():
        return render_template("core/verify.html", cert=cert, code=cert.code, form=form), 400
    if not cert.revoked:
        certificates.revoke(cert, actor=current_user, reason=form.reason.data or "")
        db.session.commit()
        flash(_("The certificate has been revoked."), "success")
    return redirect(url_for("core.verify_certificate", code=cert.code))


# Portfolio ----------------------------------------------------------------------------------


def _portfolio_owner(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        abort(404)
    permissions.require("portfolio.view", user)
    return user


@bp.get("/u/<id:user_id>/portfolio")
def portfolio_page(user_id: int):
    user = _portfolio_owner(user_id)
    return render_template(
        "core/portfolio.html", profile_user=user, portfolio=portfolio.summary(user)
    )


@bp.get("/u/<id:user_id>/portfolio.csv")
def portfolio_csv(user_id: int):
    user = _portfolio_owner(user_id)
    header, rows = portfolio.csv_table(user, portfolio.entries(user))
    return csv_export.csv_response(f"portfolio-{user.id}.csv", header, rows)
