"""Notifications: an in-app list, and email through an outbox.

``notify()`` is the one entry point for plugins. It respects the kind's plugin switch for the
association, the user's preferences per kind, and quiet hours (emails created then wait until
the end of the quiet period, unless ``urgent=True``). ``send_email()`` queues one mail that
ignores both (a password-reset link). ``send_outbox()`` delivers due emails: the console
backend logs them and marks them sent (the outbox table keeps them); the smtp backend sends
through SMTP_*. A failed delivery stays in the outbox with its error and is retried by the
``core.send_outbox`` job.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from core.extensions import db
from core.models import Notification, NotificationPreference, OutboxEmail, User
from core.plugin_api import NotificationKind
from core.plugins import plugin_of
from core.services import plugin_gate, reply_keys, sessions
from core.timeutil import site_time, site_tz, utcnow

log = logging.getLogger("qauym.mail")

CORE_KINDS = [
    NotificationKind("core.join_request", _l("Join requests to associations you run")),
    NotificationKind("core.join_decision", _l("Decisions on your join requests")),
    NotificationKind("core.invitation", _l("Invitations to associations")),
    NotificationKind("core.role_changed", _l("Changes of your role")),
    NotificationKind("core.password_reset", _l("Password reset"), email_default=True),
]

#: Kinds that ignore preferences: a password-reset link must reach the user.
MANDATORY_KINDS = frozenset({"core.password_reset"})


def init_app(app) -> None:
    """Check the kinds at start-up: a plugin kind without the plugin's prefix (one that would
    take over ``core.password_reset``, say) stops start-up naming the plugin."""
    _kinds(app)


def _kinds(app) -> dict[str, NotificationKind]:
    out = {k.name: k for k in CORE_KINDS}
    for kind in app.extensions["qauym_plugins"].items("notification_kinds"):
        out[kind.name] = kind
    return out


def kinds() -> dict[str, NotificationKind]:
    """Every notification kind of the core and the enabled plugins, by name."""
    return _kinds(current_app)


def quiet_until(now_utc: dt.datetime) -> dt.datetime | None:
    """When ``now_utc`` falls in quiet hours, the naive-UTC end of them; otherwise None."""
    start = site_time(current_app.config["QUIET_HOURS_START"], dt.time(23, 0))
    end = site_time(current_app.config["QUIET_HOURS_END"], dt.time(7, 0))
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
    return preferences_for([user], kind)[user.id]


def preferences_for(users: Iterable[User], kind: str) -> dict[int, tuple[bool, bool]]:
    """(in_app, email) per user id for one kind, in one query. Without a saved row the kind's
    default applies: in-app on, email as the kind declares."""
    users = list(users)
    ids = [u.id for u in users]
    saved = {}
    if ids:
        saved = {
            uid: (in_app, email)
            for uid, in_app, email in db.session.execute(
                select(
                    NotificationPreference.user_id,
                    NotificationPreference.in_app,
                    NotificationPreference.email,
                ).where(
                    NotificationPreference.kind == kind, NotificationPreference.user_id.in_(ids)
                )
            )
        }
    k = kinds().get(kind)
    default = (True, k.email_default if k else True)
    return {uid: saved.get(uid, default) for uid in ids}


def configurable_kinds() -> list[NotificationKind]:
    """Kinds a user may switch on and off, in a stable order (core first, then by name)."""
    return [
        k
        for k in sorted(kinds().values(), key=lambda k: (plugin_of(k.name) != "core", k.name))
        if k.name not in MANDATORY_KINDS
    ]


def all_preferences(user: User, kinds_: Iterable[NotificationKind]) -> dict[str, tuple[bool, bool]]:
    """(in_app, email) per kind name for one user, in one query."""
    saved = {
        p.kind: (p.in_app, p.email)
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    return {k.name: saved.get(k.name, (True, k.email_default)) for k in kinds_}


def save_preferences(user: User, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store (in_app, email) per kind for the user; unknown kinds are ignored. The caller
    commits."""
    known = kinds()
    rows = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, (in_app, email) in choices.items():
        if kind not in known or kind in MANDATORY_KINDS:
            continue
        row = rows.get(kind)
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind)
            db.session.add(row)
        row.in_app, row.email = bool(in_app), bool(email)


# Outer guillemets around a text that already carries its own: a sentence «%(association)s»
# given the name «ШЫҢ» желісі reads ««ШЫҢ» желісі»; the name's own marks are enough.
_DOUBLED = re.compile(r"«([^«»]*«[^«»]*»[^«»]*)»")


def tidy_quotes(text: str) -> str:
    """Drop a pair of « » that only wraps a name already quoted (``««ШЫҢ» желісі»``)."""
    return _DOUBLED.sub(r"\1", text)


def _text(value: Any, locale: str | None) -> str:
    """Render a lazy string (or a callable taking no arguments) in ``locale``."""
    with force_locale(locale or current_app.config["DEFAULT_LOCALE"]):
        return tidy_quotes(str(value() if callable(value) else value))


def _absolute(url: str) -> str:
    if url.startswith("/"):
        return current_app.config["BASE_URL"].rstrip("/") + url
    return url


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
    urgent: bool = False,
    reply_to: str = "",
    html: Any = "",
    attachments: Iterable[Attachment] = (),
) -> list[Notification]:
    """Notify each user; return the in-app notifications made.

    ``title`` and ``body`` may be lazy strings: each is rendered in the recipient's language
    (their setting, else the site default). A plugin's kind produces nothing where the plugin
    is switched off for ``association``. Preferences decide in-app and email per user, except
    for :data:`MANDATORY_KINDS`. An email created in quiet hours waits for their end unless
    ``urgent``. With ``reply_to`` (a target of the kind's plugin, such as ``"topic:12"``) and
    ``REPLY_DOMAIN`` set, each email carries a ``Reply-To`` reply address bound to its
    recipient; mail sent back to it reaches the plugin's ``email_reply`` hook. ``html`` (a
    string or lazy string, rendered in each recipient's language like ``body``; the caller
    sanitises it) is sent as an HTML alternative of the text, and ``attachments``
    (``(filename, mimetype, bytes)``, see :func:`pack_attachments`) go with every email. Adds
    rows to the session; the caller commits.
    """
    if kind not in kinds():
        raise KeyError(f"Unknown notification kind {kind!r}: declare it in notification_kinds")
    association_id = getattr(association, "id", association)
    owner = plugin_of(kind)
    if owner != "core" and not plugin_gate.is_enabled(owner, association_id):
        return []
    if isinstance(users, User):
        users = [users]
    recipients = [u for u in {u.id: u for u in users}.values() if u.active]
    now = now or utcnow()
    send_after = now if urgent else (quiet_until(now) or now)
    if kind in MANDATORY_KINDS:
        prefs = {u.id: (True, True) for u in recipients}
    else:
        prefs = preferences_for(recipients, kind)
    files = pack_attachments(attachments)
    made: list[Notification] = []
    replies = {}
    if reply_to and email:
        mailed = [u for u in recipients if prefs[u.id][1]]
        replies = reply_keys.issue_many(mailed, owner, reply_to, now)
    for user in recipients:
        in_app, by_email = prefs[user.id]
        t = _text(title, user.locale)[:300]
        b = _text(body, user.locale) if body else ""
        if in_app:
            n = Notification(
                user_id=user.id,
                kind=kind,
                title=t,
                body=b,
                url=url,
                association_id=association_id,
                created_at=now,
            )
            db.session.add(n)
            made.append(n)
        if email and by_email:
            link = _absolute(url)
            headers = {"Reply-To": replies[user.id]} if user.id in replies else {}
            body_text = (b + ("\n\n" + link if link else "")).strip()
            if headers:
                body_text += "\n\n" + _text(REPLY_HINT, user.locale)
            db.session.add(
                OutboxEmail(
                    user_id=user.id,
                    to=user.email,
                    subject=t,
                    body=body_text,
                    kind=kind,
                    created_at=now,
                    send_after=send_after,
                    headers=headers,
                    html=_text(html, user.locale) if html else "",
                    attachments=files,
                )
            )
    return made


REPLY_HINT = _l("You can answer by replying to this email.")

#: One file sent with an email: its name, its MIME type (parameters allowed, as in
#: ``"text/calendar; method=REQUEST"``) and its content.
Attachment = tuple[str, str, bytes]

#: The outbox keeps attachments in the database until the mail is sent, so only small files
#: travel this way (a calendar invitation is about 1 KB); bigger ones are linked instead.
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 256 * 1024


def pack_attachments(attachments: Iterable[Attachment]) -> list[dict[str, str]]:
    """The outbox form of ``attachments``; a ValueError for too many or too large files (a
    programming error of the sender, not a user's mistake)."""
    packed = []
    total = 0
    for filename, mimetype, data in attachments:
        if "/" not in mimetype.split(";", 1)[0]:
            raise ValueError(f"not a MIME type: {mimetype!r}")
        total += len(data)
        packed.append(
            {
                "filename": filename,
                "mimetype": mimetype,
                "data": base64.b64encode(data).decode("ascii"),
            }
        )
    if len(packed) > MAX_ATTACHMENTS or total > MAX_ATTACHMENT_BYTES:
        raise ValueError("attachments too many or too large for the outbox: link them instead")
    return packed


def _reply_headers(user: User, plugin: str, target: str, now: dt.datetime) -> dict[str, str]:
    if not target:
        return {}
    address = reply_keys.issue(user, plugin, target, now)
    return {"Reply-To": address} if address else {}


def send_email(
    user: User,
    subject: Any,
    body: Any,
    *,
    kind: str = "",
    now: dt.datetime | None = None,
    reply_to: str = "",
    headers: dict[str, str] | None = None,
    quiet: bool = False,
    html: Any = "",
    attachments: Iterable[Attachment] = (),
) -> OutboxEmail:
    """Queue one email to ``user`` that is due at once (quiet hours and preferences do not
    apply: use it for mail the user asked for, such as a password-reset link). Texts are
    rendered in the user's language (``body`` may be a callable taking no arguments, called in
    it). ``quiet=True`` lets the email wait for the end of quiet hours. ``reply_to`` (a target
    of the plugin owning ``kind``) adds a reply address as :func:`notify` does; ``headers``
    adds others (``List-Unsubscribe``...); ``html`` and ``attachments`` as in :func:`notify`.
    Adds the row to the session; the caller commits,
    then may call ``send_outbox(ids=[mail.id])`` to deliver it without waiting for the job."""
    now = now or utcnow()
    extra = dict(headers or {})
    if reply_to:
        extra.update(_reply_headers(user, plugin_of(kind), reply_to, now))
    mail = OutboxEmail(
        user_id=user.id,
        to=user.email,
        subject=_text(subject, user.locale)[:300],
        body=_text(body, user.locale),
        kind=kind,
        created_at=now,
        send_after=(quiet_until(now) or now) if quiet else now,
        headers=extra,
        html=_text(html, user.locale) if html else "",
        attachments=pack_attachments(attachments),
    )
    db.session.add(mail)
    return mail


def unread_count_column():
    """The number of the user's unread notifications as a scalar subquery correlated to
    ``User``: :func:`core.services.sessions.load_user` reads it with the user (one statement
    fewer on every page a member opens)."""
    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def _remember_unread_count(user: User, n: Any) -> None:
    if has_request_context():
        request.environ.setdefault("qauym.unread", {})[user.id] = int(n or 0)


sessions.read_with_user(unread_count_column, _remember_unread_count)


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread; counted once per request (the header
    and the page both show it)."""
    # Kept on the request, not on ``g``: tests run several requests in one app context.
    cache = request.environ.setdefault("qauym.unread", {}) if has_request_context() else {}
    if user.id not in cache:
        cache[user.id] = (
            db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.user_id == user.id, Notification.read_at.is_(None)
                )
            )
            or 0
        )
    return cache[user.id]


def page_for(user: User, page: int, per_page: int = 20) -> tuple[list[Notification], int]:
    """One page of the user's notifications, unread first, newest first; and the total."""
    total = (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user.id)
        )
        or 0
    )
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(
            case((Notification.read_at.is_(None), 0), else_=1),
            Notification.created_at.desc(),
            Notification.id.desc(),
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def mark_read(
    user: User, notification_id: int | None = None, now: dt.datetime | None = None
) -> int:
    """Mark one of the user's notifications (or all of them) read; return how many changed.
    Other users' notifications are never touched. The caller commits."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    if has_request_context():
        request.environ.pop("qauym.unread", None)
    return db.session.execute(stmt).rowcount or 0


def send_outbox(
    now: dt.datetime | None = None, limit: int = 200, ids: Iterable[int] | None = None
) -> int:
    """Deliver due emails (only those in ``ids`` when given); return how many were sent.

    Safe to run twice, and at once on several servers: a sent email is never sent again, and
    the emails being sent are row-locked until the commit, so a concurrent sender skips them
    (``SKIP LOCKED`` on PostgreSQL; SQLite runs one writer at a time anyway)."""
    now = now or utcnow()
    query = select(OutboxEmail).where(OutboxEmail.sent_at.is_(None), OutboxEmail.send_after <= now)
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(list(ids)))
    query = query.order_by(OutboxEmail.id).limit(limit).with_for_update(skip_locked=True)
    due = db.session.scalars(query).all()
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


def _mail_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "qauym.local"


def _send_smtp(mail: OutboxEmail) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(domain=_mail_domain(cfg["MAIL_FROM"]))
    # RFC 3834: vacation responders do not answer automatic mail (no reply lands in a topic).
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (mail.headers or {}).items():
        if name.lower() in ("from", "to", "subject", "message-id"):
            continue
        del msg[name]
        msg[name] = value
    msg.set_content(mail.body)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    for att in mail.attachments or []:
        mimetype, _, rest = att["mimetype"].partition(";")
        maintype, _, subtype = mimetype.strip().partition("/")
        params = {}
        for part in rest.split(";"):
            name, sep, value = part.partition("=")
            if sep:
                params[name.strip()] = value.strip().strip('"')
        msg.add_attachment(
            base64.b64decode(att["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=att["filename"],
            params=params,
        )
    with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=30) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls()
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
        smtp.send_message(msg)
