"""Inbound mail: a reply sent to a reply address becomes what the issuing plugin makes of it.

Two ways in, one function: :func:`receive` takes a raw message (``qauym mail inbound <
message.eml`` for deployers whose MTA pipes mail to a command; ``qauym mail serve-inbound``
runs an aiosmtpd SMTP server, :class:`InboundHandler`, that calls it for each message).

What :func:`receive` does, as Discourse's reply-by-email does:

1. Mail that no person wrote is dropped without an answer, so no two robots talk to each
   other: ``Auto-Submitted`` other than ``no``, ``Precedence: bulk/junk/list/auto_reply``,
   ``X-Autoreply``/``X-Autorespond``, a bounce (empty envelope sender, ``multipart/report``,
   ``MAILER-DAEMON``/``postmaster``). Mail to no reply address of this site is dropped too.
2. A message already handled (same ``Message-ID``; MTAs retry) is not posted again.
3. Checks: the key exists and has not expired, the ``From`` address is the key's user's
   address, the account is active, the user's rate limit (``INBOUND_PER_HOUR``), the size
   (``INBOUND_MAX_KB``), some text left once quotes are removed.
4. The text: the ``text/plain`` part, else the HTML one turned into text (quoted blocks left
   out), decoded from its charset (UTF-8, KOI8-R, Windows-1251...); then everything from the
   first quote header ("On ... wrote:", "... пишет:", "... жазды:", an Outlook header block,
   "-----Original Message-----"), ``>`` lines, the signature after ``-- `` and "Sent from my
   phone" lines are removed (:func:`reply_text`).
5. The plugin that issued the key gets it through the ``email_reply`` hook, with the files
   that came with it (:func:`message_attachments`), and runs the web form's checks; it answers
   accepted or refused with a reason. An accepted reply whose files were not all kept is
   answered with the names of those left out and why.
6. A refusal is answered with a short email in the user's language saying why, marked
   ``Auto-Submitted: auto-replied`` (RFC 3834), at most :data:`MAX_ANSWERS_PER_HOUR` an hour
   per user, and only to a sender who has an account here (a forged key from a stranger gets
   no answer: no backscatter).

Every message leaves a row in ``core_inbound_mail`` (its outcome), committed here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from core.extensions import db
from core.models import InboundMail, User
from core.plugin_api import MailAttachment
from core.services import notifications, reply_keys
from core.services.urls import site_request_context
from core.timeutil import utcnow

log = logging.getLogger("qauym.inbound")

#: Refusal emails per user and hour, at most (a loop with a broken client stops there).
MAX_ANSWERS_PER_HOUR = 3

_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_ROBOTS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)(\+.*)?@", re.I)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: ``accepted``, ``refused`` (with ``reason``) or ``dropped``."""

    status: str
    reason: str = ""
    url: str = ""
    answered: bool = False


# --- recognising mail no person wrote ------------------------------------------------------


def is_automatic(msg: EmailMessage, mail_from: str | None = None) -> bool:
    """An auto-reply, a bounce or list traffic: never posted, never answered."""
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return True
    if str(msg.get("Precedence", "")).strip().lower() in _AUTO_PRECEDENCE:
        return True
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Response-Suppress"):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    if mail_from is not None and mail_from.strip() in ("", "<>"):
        return True
    sender = parseaddr(str(msg.get("From", "")))[1]
    return bool(_ROBOTS.match(sender)) or bool(_ROBOTS.match(parseaddr(mail_from or "")[1]))


# --- the text of a reply -------------------------------------------------------------------


class _HTMLText(HTMLParser):
    """HTML to plain text: block elements end lines, quoted blocks (``blockquote``, Gmail's
    ``gmail_quote``, Thunderbird's ``moz-cite-prefix``) and scripts or styles are left out."""

    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"}
    SKIP = {"script", "style", "head", "title", "blockquote"}
    QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        skip = tag in self.SKIP or any(c in classes for c in self.QUOTE_CLASSES)
        if tag not in ("br", "hr", "img", "meta", "link", "input"):
            self.stack.append((tag, skip))
            if skip:
                self.skip_depth += 1
        if tag in self.BLOCK:
            self.out.append("\n")
        if tag == "li" and not self.skip_depth:
            self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, skip = self.stack.pop()
            if skip:
                self.skip_depth -= 1
            if open_tag == tag:
                break
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.out).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    return parser.text()


def _decoded(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        raw = part.get_payload(decode=True) or b""
        for charset in ("utf-8", "cp1251"):
            try:
                return raw.decode(charset)
            except UnicodeDecodeError:
                continue
        return raw.decode("utf-8", "replace")


def message_text(msg: EmailMessage) -> str:
    """The message's text: its plain part, else its HTML part as text."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        return html_to_text(text)
    return text


#: Inline images smaller than this are left out of a reply's attachments. Mail clients put
#: the logos and icons of a signature (and senders' tracking pixels) inline into every
#: message; they are a few hundred bytes to a couple of KB, while an image a teacher pastes on
#: purpose (a photo of the board, a screenshot) is tens of KB or more. Keeping them would add
#: the same logo to every post, and refusing them would answer every reply with "logo.png was
#: not attached". An image sent as an attachment (not inline) is kept whatever its size.
SIGNATURE_IMAGE_BYTES = 2048


def message_attachments(msg: EmailMessage) -> list[MailAttachment]:
    """The files that came with a message: every non-multipart part with a file name (an
    attachment, or an inline part such as an image pasted into the text) except the text
    chosen as the reply, outside forwarded messages (``message/*`` parts are one file, not
    opened). Inline images under :data:`SIGNATURE_IMAGE_BYTES` are left out (see there)."""
    body = msg.get_body(preferencelist=("plain", "html"))
    found: list[MailAttachment] = []

    def walk(part: EmailMessage) -> None:
        forwarded = part.get_content_maintype() == "message"
        if part.is_multipart() and not forwarded:
            for sub in part.iter_parts():
                walk(sub)
            return
        if part is body:
            return
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if forwarded:
            name = name or "message.eml"
            inner = part.get_payload()
            data = (inner[0] if isinstance(inner, list) and inner else part).as_bytes()
        elif not name and disposition != "attachment":
            return  # a text or HTML alternative, or an unnamed embedded part
        else:
            data = part.get_payload(decode=True) or b""
        inline = disposition == "inline" or (disposition is None and bool(part["Content-ID"]))
        if inline and part.get_content_maintype() == "image" and len(data) < SIGNATURE_IMAGE_BYTES:
            return
        found.append(
            MailAttachment(
                filename=str(name or "attachment")[:255],
                content_type=part.get_content_type(),
                data=data,
                inline=inline,
            )
        )

    walk(msg)
    return found


_QUOTE_HEADERS = [
    re.compile(
        r"^-{2,}\s*(original message|forwarded message|исходное сообщение|"
        r"пересылаемое сообщение|бастапқы хат)",
        re.I,
    ),
    re.compile(r"^(on|le|am)\s.{4,300}\s(wrote|a écrit|schrieb)\s*:\s*$", re.I),
    re.compile(r"^.{0,300}(пишет|написал|написала|написал\(а\)|жазды|жазған)\s*:\s*$", re.I),
    re.compile(r"^_{8,}\s*$"),
    # Mail.ru and others: "Суббота, 28 ноября 2026, 10:15 +05:00 от Qauym <noreply@...>:"
    re.compile(r"^.{0,300}\d.{0,300}[\w.+-]+@[\w-]+(\.[\w-]+)+>?\)?\s*:\s*$"),
]
_HEADER_BLOCK = re.compile(r"^\*?(from|от|кімнен|sent|отправлено|date|дата)\s*:\*?\s", re.I)
_PHONE_SIGNATURE = re.compile(
    r"^(sent from|get outlook|отправлено (с|из)|отправлено с моего|"
    r"\S+\s+жіберілді\s*$|.{0,60}құрылғысынан жіберілді)",
    re.I,
)


def reply_text(text: str) -> str:
    """The new part of a reply: quotes, quote headers, signature and phone lines removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        pair = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if any(p.match(stripped) or p.match(pair) for p in _QUOTE_HEADERS):
            break
        if _HEADER_BLOCK.match(stripped):
            following = [ln.strip() for ln in lines[i + 1 : i + 4]]
            if sum(bool(_HEADER_BLOCK.match(ln)) for ln in following) >= 1:
                break
        if line.rstrip() in ("--", "-- ", "—"):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and (not kept[-1].strip() or _PHONE_SIGNATURE.match(kept[-1].strip())):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


# --- receiving -----------------------------------------------------------------------------

REASONS = {
    "unknown": _l("This reply address is not known. Please reply on the site."),
    "expired": _l("This reply address has expired. Please reply on the site."),
    "sender": _l("The message did not come from the email address of the account it was sent to."),
    "inactive": _l("Your account is not active."),
    "rate": _l("You sent too many replies by email in the last hour. Please try again later."),
    "size": _l("The message is too large."),
    "empty": _l("No text was found in your message above the quoted part."),
    "failed": _l("Your reply could not be posted. Please reply on the site."),
}


def _keys_in(msg: EmailMessage, rcpt_tos: list[str]) -> list[str]:
    pattern = reply_keys.address_pattern()
    candidates = list(rcpt_tos)
    for header in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        candidates += [a for _, a in getaddresses([str(v) for v in msg.get_all(header, [])])]
    keys = []
    for address in candidates:
        m = pattern.match(address.strip().strip("<>"))
        if m and m.group(1) not in keys:
            keys.append(m.group(1))
    return keys


def _user_by_email(address: str) -> User | None:
    if not address:
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == address.lower()))


def _count(user_id: int, since: dt.datetime, **where: Any) -> int:
    stmt = select(func.count(InboundMail.id)).where(
        InboundMail.user_id == user_id, InboundMail.created_at >= since
    )
    for name, value in where.items():
        stmt = stmt.where(getattr(InboundMail, name) == value)
    return db.session.scalar(stmt) or 0


def receive(
    raw: bytes,
    *,
    mail_from: str | None = None,
    rcpt_tos: list[str] | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Handle one raw message (bytes as received); commit and return its :class:`Outcome`.

    ``mail_from`` and ``rcpt_tos`` are the SMTP envelope when known (the SMTP server passes
    them; a piped message may have none: its headers are read instead). Refusal emails are
    queued in the outbox and delivered at once."""
    now = now or utcnow()
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = str(msg.get("Message-ID", "")).strip()[:300]
    sender = parseaddr(str(msg.get("From", "")))[1].strip()
    record = InboundMail(message_id=message_id, sender=sender[:254], created_at=now)

    def done(outcome: Outcome, user: User | None = None, answer: Any = None) -> Outcome:
        record.status, record.reason = outcome.status, outcome.reason[:300]
        record.url, record.answered = outcome.url[:500], answer is not None
        record.user_id = getattr(user, "id", None)
        db.session.add(record)
        db.session.commit()
        log.info("inbound %s from %s: %s %s", message_id, sender, outcome.status, outcome.reason)
        if answer is not None:
            notifications.send_outbox(now=now, ids=[answer.id])
        return outcome

    if is_automatic(msg, mail_from):
        return done(Outcome("dropped", "automatic"))
    keys = _keys_in(msg, rcpt_tos or [])
    if not reply_keys.enabled() or not keys:
        return done(Outcome("dropped", "no reply address"))
    if message_id and db.session.scalar(
        select(InboundMail.id).where(
            InboundMail.message_id == message_id, InboundMail.status != "dropped"
        )
    ):
        return done(Outcome("dropped", "duplicate"))
    sender_user = _user_by_email(sender)

    def refuse(code: str, user: User | None, reason: Any = None) -> Outcome:
        db.session.rollback()  # nothing the plugin added stays
        if reason is not None:
            with force_locale("en"):
                code = f"{code}: {reason}"
        answer = _answer(sender_user, reason or REASONS[code], msg, now)
        return done(
            Outcome("refused", code, answered=answer is not None), user or sender_user, answer
        )

    key = reply_keys.find(keys[0])
    if key is None:
        return refuse("unknown", None)
    user = key.user
    if key.expires_at <= now:
        return refuse("expired", user)
    if user.email.lower() != sender.lower():
        return refuse("sender", None)
    if not user.active:
        return done(Outcome("refused", "inactive"), user)
    cfg = current_app.config
    if _count(user.id, now - dt.timedelta(hours=1), status="accepted") >= int(
        cfg["INBOUND_PER_HOUR"]
    ):
        return refuse("rate", user)
    if len(raw) > int(cfg["INBOUND_MAX_KB"]) * 1024:
        return refuse("size", user)
    text = reply_text(message_text(msg))
    if not text:
        return refuse("empty", user)
    registry = current_app.extensions["qauym_plugins"]
    with site_request_context():
        results = registry.items(
            "email_reply",
            plugins=[key.plugin],
            target=key.target,
            user=user,
            text=text,
            now=now,
            attachments=message_attachments(msg),
        )
    result = results[0] if results else None
    if result is None:
        return refuse("failed", user)
    if not result.accepted:
        return refuse("refused", user, result.reason or REASONS["failed"])
    answer = None
    if result.refused_files:
        db.session.flush()
        answer = _files_answer(user, result, msg, now)
    return done(Outcome("accepted", url=result.url, answered=answer is not None), user, answer)


REFUSAL_SUBJECT = _l("Your reply by email was not posted")
FILES_SUBJECT = _l("Some files of your reply by email were not attached")


def _answer(user: User | None, reason: Any, msg: EmailMessage, now: dt.datetime) -> Any:
    """Queue an email telling ``user`` why their message was refused (unless they had enough
    such answers this hour); the outbox row, or None."""
    return _auto_answer(user, REFUSAL_SUBJECT, lambda: [str(reason)], msg, now)


def _files_answer(user: User, result: Any, msg: EmailMessage, now: dt.datetime) -> Any:
    """Queue an email telling ``user`` that their reply was posted without some of its files,
    naming each with its reason (capped as refusals are); the outbox row, or None."""
    url = result.url or ""
    if url.startswith("/"):
        url = current_app.config["BASE_URL"].rstrip("/") + url

    def lines() -> list[str]:
        out = [str(_l("Your reply was posted: %(link)s", link=url)), ""] if url else []
        out.append(str(_l("These files were not attached:")))
        out += [f"- {name}: {reason}" for name, reason in result.refused_files]
        return out

    return _auto_answer(user, FILES_SUBJECT, lines, msg, now)


def _auto_answer(user: User | None, subject: Any, lines, msg: EmailMessage, now: dt.datetime):
    """An automatic answer to ``msg`` (``lines()`` is called in the user's language), marked
    ``Auto-Submitted: auto-replied``, at most :data:`MAX_ANSWERS_PER_HOUR` an hour per user."""
    if user is None or not user.active:
        return None
    if _count(user.id, now - dt.timedelta(hours=1), answered=True) >= MAX_ANSWERS_PER_HOUR:
        return None
    original_subject = str(msg.get("Subject", ""))[:200]

    def body() -> str:
        out = [*lines(), ""]
        if original_subject:
            out.append(str(_l("Your message: %(subject)s", subject=original_subject)))
        out.append(str(_l("This is an automatic answer.")))
        return "\n".join(out)

    headers = {"Auto-Submitted": "auto-replied"}
    original = str(msg.get("Message-ID", "")).strip()
    if original:
        headers["In-Reply-To"] = original
        headers["References"] = original
    mail = notifications.send_email(
        user, subject, body, kind="core.email_reply", now=now, headers=headers
    )
    db.session.flush()
    return mail


def prune(now: dt.datetime | None = None, keep_days: int = 90) -> int:
    """Delete reply keys expired for a while and inbound records older than ``keep_days``
    (the ``core.prune_inbound_mail`` job; idempotent). Returns how many rows went."""
    now = now or utcnow()
    gone = reply_keys.purge(now)
    old = delete(InboundMail).where(InboundMail.created_at < now - dt.timedelta(days=keep_days))
    return gone + (db.session.execute(old).rowcount or 0)


# --- the SMTP server -----------------------------------------------------------------------


class InboundHandler:
    """An aiosmtpd handler: accepts recipients that are reply addresses of this site (others
    get ``550``), and hands each message to :func:`receive` inside an app context."""

    def __init__(self, app) -> None:
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self.app.app_context():
            ok = reply_keys.enabled() and reply_keys.address_pattern().match(address)
        if not ok:
            return "550 5.1.1 No such reply address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content or envelope.content
        try:
            with self.app.app_context():
                receive(raw, mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos))
        except Exception:  # noqa: BLE001 - the sender's MTA will retry on a 4xx
            log.exception("inbound message failed")
            with self.app.app_context():
                db.session.rollback()
            return "451 4.3.0 Temporary failure, try again later"
        return "250 OK"


def controller(app, host: str, port: int):
    """An aiosmtpd ``Controller`` (a server in its own thread) for ``app``; call ``start()``."""
    from aiosmtpd.controller import Controller  # only the SMTP server needs aiosmtpd

    return Controller(
        InboundHandler(app),
        hostname=host,
        port=port,
        data_size_limit=int(app.config["INBOUND_MAX_KB"]) * 1024 + 64 * 1024,
        decode_data=False,
    )
