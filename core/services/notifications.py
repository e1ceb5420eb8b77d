"""Notifications: an in-app list, and email through an outbox.

``notify()`` is the one entry point. It respects the kind's plugin switch for the association,
the user's preferences per kind, and quiet hours (emails created then wait until the end of
the quiet period). ``send_outbox()`` delivers due emails: the console backend logs them and
marks them sent (the outbox table keeps them); the smtp backend sends through SMTP_*.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.extensions import db
from core.models import Notification, NotificationPreference, OutboxEmail, User
from core.plugin_api import NotificationKind
from core.plugins import plugin_of
from core.services import plugin_gate
from core.timeutil import site_tz, utcnow

log = logging.getLogger("qauym.mail")

CORE_KINDS = [
    NotificationKind("core.join_request", _l("Join requests to associations you run")),
    NotificationKind("core.join_decision", _l("Decisions on your join requests")),
    NotificationKind("core.invitation", _l("Invitations to associations")),
    NotificationKind("core.role_changed", _l("Changes of your role")),
    NotificationKind("core.password_reset", _l("Password reset"), email_default=True),
]


def kinds() -> dict[str, NotificationKind]:
    """Every notification kind of the core and the enabled plugins, by name."""
    out = {k.name: k for k in CORE_KINDS}
    registry = current_app.extensions["qauym_plugins"]
    for batch in registry.hook.notification_kinds():
        for kind in batch or []:
            out[kind.name] = kind
    return out


def _parse_hhmm(value: str) -> dt.time:
    h, m = value.split(":")
    return dt.time(int(h), int(m))


def quiet_until(now_utc: dt.datetime) -> dt.datetime | None:
    """When ``now_utc`` falls in quiet hours, the naive-UTC end of them; otherwise None."""
    start = _parse_hhmm(current_app.config["QUIET_HOURS_START"])
    end = _parse_hhmm(current_app.config["QUIET_HOURS_END"])
    if start == end:
        return None
    local = now_utc.replace(tzinfo=dt.UTC).astimezone(site_tz())
    t = local.time()
    in_quiet = (start <= t or t < end) if start > end else (start <= t < end)
    if not in_quiet:
        return None
    end_day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    end_local = dt.datetime.combine(end_day, end, tzinfo=site_tz())
    return end_local.astimezone(dt.UTC).replace(tzinfo=None)


def preference(user: User, kind: str) -> tuple[bool, bool]:
    """(in_app, email) for the user and kind."""
    pref = db.session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    if pref is not None:
        return pref.in_app, pref.email
    k = kinds().get(kind)
    return True, (k.email_default if k else True)


def _text(value: Any, locale: str | None) -> str:
    """Render a lazy string (or a callable taking no arguments) in the recipient's language."""
    if locale:
        with force_locale(locale):
            return str(value() if callable(value) else value)
    return str(value() if callable(value) else value)


def notify(
    users: User | Iterable[User],
    kind: str,
    title: Any,
    body: Any = "",
    url: str = "",
    association: Any = None,
    *,
    email: bool = True,
    now: dt.datetime | None = None,
) -> list[Notification]:
    """Notify each user. ``title`` and ``body`` may be lazy strings, rendered per recipient's
    language. Adds rows to the session; the caller commits."""
    if kind not in kinds():
        raise KeyError(f"Unknown notification kind {kind!r}: declare it in notification_kinds")
    owner = plugin_of(kind)
    if owner != "core":
        association_id = getattr(association, "id", association)
        if not plugin_gate.is_enabled(owner, association_id):
            return []
    if isinstance(users, User):
        users = [users]
    now = now or utcnow()
    delay = quiet_until(now)
    made: list[Notification] = []
    for user in {u.id: u for u in users}.values():
        if not user.active:
            continue
        in_app, by_email = preference(user, kind)
        t = _text(title, user.locale)
        b = _text(body, user.locale) if body else ""
        if in_app:
            n = Notification(
                user_id=user.id,
                kind=kind,
                title=t[:300],
                body=b,
                url=url,
                association_id=getattr(association, "id", association),
                created_at=now,
            )
            db.session.add(n)
            made.append(n)
        if email and by_email:
            link = (
                (current_app.config["BASE_URL"].rstrip("/") + url) if url.startswith("/") else url
            )
            db.session.add(
                OutboxEmail(
                    user_id=user.id,
                    to=user.email,
                    subject=t[:300],
                    body=(b + ("\n\n" + link if link else "")).strip(),
                    kind=kind,
                    created_at=now,
                    send_after=delay or now,
                )
            )
    return made


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def send_outbox(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Deliver due emails; return how many were sent. Safe to run twice."""
    now = now or utcnow()
    due = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.sent_at.is_(None), OutboxEmail.send_after <= now)
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    backend = current_app.config["MAIL_BACKEND"]
    sent = 0
    for mail in due:
        mail.attempts += 1
        try:
            if backend == "smtp":
                _send_smtp(mail)
            else:
                log.info("email to %s: %s\n%s", mail.to, mail.subject, mail.body)
            mail.sent_at = now
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            mail.last_error = str(exc)[:2000]
            log.warning("email to %s failed: %s", mail.to, exc)
    db.session.commit()
    return sent


def _send_smtp(mail: OutboxEmail) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=30) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls()
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
        smtp.send_message(msg)
