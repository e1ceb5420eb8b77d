"""Certificates: issue a verifiable certificate and render it as a PDF.

``issue()`` is idempotent on ``source_key`` (a plugin's stable key for what the certificate is
for), so a plugin may call it every time a page asks. Anyone can check a code at
``/verify/<code>`` without logging in. The PDF embeds DejaVu Sans (shipped in core/fonts), which
has every Kazakh letter.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import select

from core.extensions import db
from core.models import Certificate, User

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


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
    """Return the certificate for ``source_key``, creating it the first time. Caller commits."""
    cert = db.session.scalar(select(Certificate).where(Certificate.source_key == source_key))
    if cert is not None:
        return cert
    cert = Certificate(
        code=new_code(),
        source_key=source_key,
        recipient_id=recipient.id,
        recipient_name=recipient.full_name,
        title=title,
        kind=kind,
        hours=hours,
        issuer=issuer,
        issued_on=issued_on,
        description=description,
        association_id=association_id,
    )
    db.session.add(cert)
    db.session.flush()
    return cert


def by_code(code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.code == code.strip().upper()))


def for_user(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.recipient_id == user.id, Certificate.revoked.is_(False))
            .order_by(Certificate.issued_on.desc())
        )
    )


def verify_url(cert: Certificate) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("core.verify_certificate", code=cert.code)


def render_pdf(cert: Certificate, locale: str | None = None) -> bytes:
    """The certificate as an A4 landscape PDF."""
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
        pdf.set_font("DejaVu", "B", 30)
        pdf.set_y(30)
        pdf.cell(0, 14, _("CERTIFICATE"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 14)
        pdf.cell(0, 10, _("This certifies that"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 24)
        pdf.cell(0, 16, cert.recipient_name, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 14)
        pdf.set_x(25)
        pdf.multi_cell(247, 8, cert.title, align="C", new_x="LMARGIN", new_y="NEXT")
        if cert.description:
            pdf.set_x(25)
            pdf.multi_cell(247, 7, cert.description, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        if cert.hours:
            hours = f"{cert.hours:g}"
            pdf.cell(
                0, 9, _("Hours: %(hours)s", hours=hours), align="C", new_x="LMARGIN", new_y="NEXT"
            )
        pdf.cell(
            0,
            9,
            _("Date: %(date)s", date=cert.issued_on.strftime("%d.%m.%Y")),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.cell(
            0,
            9,
            _("Issued by: %(issuer)s", issuer=cert.issuer),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_y(172)
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(
            0,
            7,
            _("Verification code: %(code)s", code=cert.code),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.cell(0, 7, verify_url(cert), align="C", link=verify_url(cert))
        return bytes(pdf.output())
