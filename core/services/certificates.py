"""Certificates: issue a verifiable certificate and render it as a PDF.

``issue()`` is idempotent on ``source_key`` (a plugin's stable key for what the certificate is
for, e.g. ``"masterclasses:event:4:user:9"``), so a plugin may call it every time a page asks,
even from two requests at once. Anyone can check a code at ``/verify/<code>`` without logging
in; codes are matched however they are typed (lower case, spaces, missing dashes). The PDF
embeds DejaVu Sans (shipped in core/fonts), which has every Kazakh letter, and carries a
ToUnicode map so its text can be searched and copied.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.models import Certificate, User
from core.paths import FONTS
from core.services import audit, permissions

FONT_DIR = FONTS
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: nothing to misread
CODE_LENGTH = 12
_NOT_CODE = re.compile(r"[^A-Z0-9]")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(code: str) -> str:
    """The canonical ``XXXX-XXXX-XXXX`` form of a code as someone typed it.

    Case, spaces, dashes and other separators are ignored, so ``"abcd efgh jkmn"`` and
    ``" ABCD-EFGH-JKMN "`` both match. A string that cannot be a code is returned cleaned up
    (it will simply not be found).
    """
    raw = _NOT_CODE.sub("", (code or "").upper())
    if len(raw) == CODE_LENGTH:
        return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    return raw[:40]


def issue(
    *,
    source_key: str,
    recipient: User,
    title: str,
    kind: str,
    hours: float = 0.0,
    issuer: str,
    issued_on: dt.date,
    description: str = "",
    association_id: int | None = None,
) -> Certificate:
    """Return the certificate for ``source_key``, creating it the first time. Caller commits.

    The recipient's name is copied at issue time: a certificate states who it was given to
    then, even if the account is renamed or deleted later. A concurrent call that loses the
    race on the unique ``source_key`` gets the winner's certificate instead of an error.
    """
    cert = db.session.scalar(select(Certificate).where(Certificate.source_key == source_key))
    if cert is not None:
        return cert
    cert = Certificate(
        code=new_code(),
        source_key=source_key,
        recipient_id=recipient.id,
        recipient_name=recipient.full_name,
        title=title[:400],
        kind=kind,
        hours=hours or 0.0,
        issuer=issuer[:300],
        issued_on=issued_on,
        description=description,
        association_id=association_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(cert)
    except IntegrityError:
        existing = db.session.scalar(
            select(Certificate).where(Certificate.source_key == source_key)
        )
        if existing is None:  # the clash was on the (random) code: try once more
            cert.code = new_code()
            with db.session.begin_nested():
                db.session.add(cert)
            return cert
        return existing
    return cert


def by_code(code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.code == normalize_code(code)))


def for_user(user: User, include_revoked: bool = False) -> list[Certificate]:
    """The user's certificates, newest first (revoked ones only when asked)."""
    stmt = select(Certificate).where(Certificate.recipient_id == user.id)
    if not include_revoked:
        stmt = stmt.where(Certificate.revoked.is_(False))
    return list(db.session.scalars(stmt.order_by(Certificate.issued_on.desc(), Certificate.id)))


def may_download(user: Any, cert: Certificate) -> bool:
    """The recipient and site administrators may download the PDF."""
    return permissions.can(user, "certificate.download", cert)


def revoke(cert: Certificate, *, actor: Any, reason: str = "") -> None:
    """Mark a certificate revoked and audit it. Caller commits."""
    if cert.revoked:
        return
    cert.revoked = True
    audit.record(
        "certificate.revoke",
        actor=actor,
        target=cert.code,
        association_id=cert.association_id,
        details={"code": cert.code, "source_key": cert.source_key, "reason": reason[:500]},
    )


def verify_url(cert: Certificate) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("core.verify_certificate", code=cert.code)


def format_hours(hours: float | None) -> str:
    return format_decimal(hours or 0, format="#,##0.##")  # 1,5 in kk and ru


def render_pdf(cert: Certificate, locale: str | None = None) -> bytes:
    """The certificate as an A4 landscape PDF, its labels in ``locale`` (default: the site's).

    A revoked certificate is stamped as such, so a printed copy cannot pass for a valid one.
    """
    with force_locale(locale or current_app.config["DEFAULT_LOCALE"]):
        pdf = FPDF(orientation="L", unit="mm", format="A4")
        pdf.set_title(_("Certificate") + " " + cert.code)
        pdf.set_author(cert.issuer)
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.set_auto_page_break(False)
        pdf.add_page()
        pdf.set_draw_color(30, 90, 140)
        pdf.set_line_width(1.2)
        pdf.rect(10, 10, 277, 190)

        def line(text: str, height: float, size: int, bold: bool = False) -> None:
            pdf.set_font("DejaVu", "B" if bold else "", size)
            pdf.set_x(25)
            pdf.multi_cell(247, height, text, align="C", new_x="LMARGIN", new_y="NEXT")

        pdf.set_y(28)
        line(_("CERTIFICATE"), 14, 30, bold=True)
        line(_("This certifies that"), 10, 14)
        line(cert.recipient_name, 14, 24, bold=True)
        line(cert.title, 8, 14)
        if cert.description:
            line(cert.description, 7, 12)
        pdf.ln(4)
        if cert.hours:
            line(_("Hours: %(hours)s", hours=format_hours(cert.hours)), 9, 14)
        line(_("Date: %(date)s", date=cert.issued_on.strftime("%d.%m.%Y")), 9, 14)
        line(_("Issued by: %(issuer)s", issuer=cert.issuer), 9, 14)
        if cert.revoked:
            pdf.set_text_color(179, 38, 30)
            line(_("REVOKED"), 12, 22, bold=True)
            pdf.set_text_color(0, 0, 0)
        url = verify_url(cert)
        pdf.set_y(170)
        line(_("Verification code: %(code)s", code=cert.code), 7, 11)
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(0, 7, url, align="C", link=url)
        return bytes(pdf.output())
