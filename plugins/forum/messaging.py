"""Private messages: who may write to whom, conversations, the inbox, blocks and reports.

The rules (see ``message_models`` for the shape):

* A member may write to people they share at least one association with (site administrators
  to anyone active): the people they can see in member lists. Nobody else is offered or
  accepted, so a posted id of a stranger is refused like a blocked one.
* At most ``FORUM_MESSAGE_MAX_RECIPIENTS`` (default 10) besides the writer.
* A person who blocked the writer cannot be written to, neither in a new conversation nor by a
  reply in one they share.
* Only participants read a conversation. A reported message is shown, alone, to the
  moderators (moderators, coordinators, leaders) of an association both its author and the
  reporter belong to, and to site administrators.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from core.api import (
    Action,
    Membership,
    Role,
    User,
    db,
    name_matches,
    notify,
    permissions,
    sort_by,
    utcnow,
)
from plugins.forum.message_models import (
    ForumBlock,
    ForumConversation,
    ForumConversationMember,
    ForumMessage,
    ForumMessageReport,
)

MODERATOR_ROLES = (Role.LEADER, Role.COORDINATOR, Role.MODERATOR)
CONVERSATIONS_PER_PAGE = 20


def _auth(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "active", True))


def max_recipients() -> int:
    return int(current_app.config.get("FORUM_MESSAGE_MAX_RECIPIENTS", 10))


# --- who may write to whom -----------------------------------------------------------


def shares_association(a: User, b: User) -> bool:
    other = aliased(Membership)
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Membership.user_id == a.id,
                    other.user_id == b.id,
                    other.association_id == Membership.association_id,
                )
            )
        )
    )


def has_blocked(user: User, other: User) -> bool:
    """Whether ``user`` blocked ``other``."""
    return db.session.get(ForumBlock, (user.id, other.id)) is not None


def blockers_of(writer: User, user_ids: list[int]) -> set[int]:
    """Those of ``user_ids`` who blocked ``writer``."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(ForumBlock.user_id).where(
                ForumBlock.blocked_id == writer.id, ForumBlock.user_id.in_(user_ids)
            )
        )
    )


def may_contact(writer: Any, other: User) -> bool:
    """Whether ``writer`` may start a conversation with ``other``."""
    if not _auth(writer) or other is None or other.id == writer.id or not other.active:
        return False
    if has_blocked(other, writer):
        return False
    return permissions.is_site_admin(writer) or shares_association(writer, other)


def contacts(writer: User, query: str, limit: int = 20, exclude: set[int] = frozenset()):
    """Active people ``writer`` may write to whose name matches ``query`` (sorted in the
    reader's alphabet). Only people of the writer's associations (anyone for a site admin)."""
    query = (query or "").strip()
    if not query:
        return []
    stmt = select(User).where(
        User.active.is_(True),
        User.id != writer.id,
        name_matches(query),
        ~exists().where(ForumBlock.user_id == User.id, ForumBlock.blocked_id == writer.id),
    )
    if exclude:
        stmt = stmt.where(User.id.not_in(list(exclude)))
    if not permissions.is_site_admin(writer):
        mine = select(Membership.association_id).where(Membership.user_id == writer.id)
        stmt = stmt.where(
            exists().where(Membership.user_id == User.id, Membership.association_id.in_(mine))
        )
    people = db.session.scalars(stmt.order_by(User.full_name).limit(limit)).all()
    return people


# --- conversations -------------------------------------------------------------------


def participation(user: Any, conversation_id: int) -> ForumConversationMember | None:
    if not _auth(user):
        return None
    return db.session.get(ForumConversationMember, (conversation_id, user.id))


def start(writer: User, recipients: list[User], subject: str, body: str) -> ForumConversation:
    """A new conversation with its first message; the caller checked ``may_contact``."""
    now = utcnow()
    conv = ForumConversation(
        subject=subject.strip(), created_by_id=writer.id, created_at=now, last_message_at=now
    )
    db.session.add(conv)
    for person in [writer, *recipients]:
        conv.participants.append(ForumConversationMember(user_id=person.id, joined_at=now))
    db.session.flush()
    add_message(conv, writer, body, now=now)
    return conv


def add_message(conv: ForumConversation, writer: User, body: str, now=None) -> ForumMessage:
    now = now or utcnow()
    msg = ForumMessage(conversation_id=conv.id, author_id=writer.id, body=body, created_at=now)
    db.session.add(msg)
    conv.last_message_at = now
    db.session.flush()
    me = db.session.get(ForumConversationMember, (conv.id, writer.id))
    if me is not None:
        me.last_read_id = msg.id
    others = [p.user for p in conv.participants if p.user_id != writer.id]
    notify(
        others,
        "forum.message",
        _l("%(name)s: %(subject)s", name=writer.full_name, subject=conv.subject),
        body[:500],
        url_for("forum.conversation", conversation_id=conv.id) + f"#m{msg.id}",
    )
    return msg


def others_blocking(conv: ForumConversation, writer: User) -> list[User]:
    """Participants who blocked ``writer`` (who then cannot write here)."""
    ids = blockers_of(writer, [p.user_id for p in conv.participants if p.user_id != writer.id])
    return [p.user for p in conv.participants if p.user_id in ids]


def mark_read(member: ForumConversationMember) -> None:
    last = db.session.scalar(
        select(func.max(ForumMessage.id)).where(
            ForumMessage.conversation_id == member.conversation_id
        )
    )
    if last and last > member.last_read_id:
        member.last_read_id = last


def _unread_condition(user: User):
    return and_(
        ForumMessage.conversation_id == ForumConversationMember.conversation_id,
        ForumConversationMember.user_id == user.id,
        ForumMessage.id > ForumConversationMember.last_read_id,
        or_(ForumMessage.author_id.is_(None), ForumMessage.author_id != user.id),
    )


def unread_total(user: Any) -> int:
    if not _auth(user):
        return 0
    return (
        db.session.scalar(
            select(func.count(ForumMessage.id)).join(
                ForumConversationMember, _unread_condition(user)
            )
        )
        or 0
    )


def inbox_stmt(user: User):
    return (
        select(ForumConversation)
        .join(
            ForumConversationMember,
            and_(
                ForumConversationMember.conversation_id == ForumConversation.id,
                ForumConversationMember.user_id == user.id,
            ),
        )
        .order_by(ForumConversation.last_message_at.desc(), ForumConversation.id.desc())
    )


INBOX_OPTIONS = (
    selectinload(ForumConversation.participants).selectinload(ForumConversationMember.user),
)


def unread_counts(user: User, conversation_ids: list[int]) -> dict[int, int]:
    if not conversation_ids:
        return {}
    return dict(
        db.session.execute(
            select(ForumMessage.conversation_id, func.count(ForumMessage.id))
            .join(ForumConversationMember, _unread_condition(user))
            .where(ForumMessage.conversation_id.in_(conversation_ids))
            .group_by(ForumMessage.conversation_id)
        ).all()
    )


def messages_of(conv: ForumConversation) -> list[ForumMessage]:
    return db.session.scalars(
        select(ForumMessage)
        .where(ForumMessage.conversation_id == conv.id)
        .options(selectinload(ForumMessage.author))
        .order_by(ForumMessage.id)
    ).all()


# --- blocks --------------------------------------------------------------------------


def block(user: User, other: User) -> None:
    if other.id != user.id and not has_blocked(user, other):
        db.session.add(ForumBlock(user_id=user.id, blocked_id=other.id))


def unblock(user: User, other_id: int) -> None:
    row = db.session.get(ForumBlock, (user.id, other_id))
    if row is not None:
        db.session.delete(row)


def blocked_people(user: User, locale: str) -> list[User]:
    people = db.session.scalars(
        select(User)
        .join(ForumBlock, ForumBlock.blocked_id == User.id)
        .where(ForumBlock.user_id == user.id)
    ).all()
    return sort_by(people, lambda u: u.full_name, locale)


# --- reports -------------------------------------------------------------------------


def shared_moderator_association_ids(reporter_id: int | None, author_id: int | None) -> set[int]:
    if reporter_id is None or author_id is None:
        return set()
    other = aliased(Membership)
    return set(
        db.session.scalars(
            select(Membership.association_id).where(
                Membership.user_id == reporter_id,
                other.user_id == author_id,
                other.association_id == Membership.association_id,
            )
        )
    )


def report_moderators(report: ForumMessageReport) -> list[User]:
    """Who hears of a report: moderators of an association both people belong to, else the
    site administrators."""
    ids = shared_moderator_association_ids(report.reporter_id, report.message.author_id)
    people: list[User] = []
    if ids:
        people = list(
            db.session.scalars(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.association_id.in_(ids),
                    Membership.role.in_([r.value for r in MODERATOR_ROLES]),
                    User.active.is_(True),
                )
                .distinct()
            )
        )
    if not people:
        people = list(
            db.session.scalars(
                select(User).where(User.is_site_admin.is_(True), User.active.is_(True))
            )
        )
    return [u for u in people if u.id not in (report.reporter_id, report.message.author_id)]


def can_review_report(user: Any, report: ForumMessageReport) -> bool:
    if not _auth(user):
        return False
    if permissions.is_site_admin(user):
        return True
    if user.id == report.message.author_id:
        return False  # nobody judges a report of their own message
    ids = shared_moderator_association_ids(report.reporter_id, report.message.author_id)
    return any(permissions.has_role(user, aid, *MODERATOR_ROLES) for aid in ids)


def reports_stmt(user: User):
    """Open reports ``user`` may review (SQL mirror of ``can_review_report``)."""
    stmt = (
        select(ForumMessageReport)
        .join(ForumMessage, ForumMessage.id == ForumMessageReport.message_id)
        .where(ForumMessageReport.resolved_at.is_(None))
        .order_by(ForumMessageReport.created_at.desc(), ForumMessageReport.id.desc())
    )
    if permissions.is_site_admin(user):
        return stmt
    rep, auth, mod = aliased(Membership), aliased(Membership), aliased(Membership)
    shared = (
        exists()
        .where(
            rep.user_id == ForumMessageReport.reporter_id,
            auth.user_id == ForumMessage.author_id,
            auth.association_id == rep.association_id,
            mod.association_id == rep.association_id,
            mod.user_id == user.id,
            mod.role.in_([r.value for r in MODERATOR_ROLES]),
        )
        .correlate(ForumMessageReport, ForumMessage)
    )
    return stmt.where(shared, ForumMessage.author_id != user.id)


def open_report_count(user: Any) -> int:
    if not _auth(user):
        return 0
    return db.session.scalar(select(func.count()).select_from(reports_stmt(user).subquery())) or 0


def report(message: ForumMessage, reporter: User, reason: str, note: str) -> ForumMessageReport:
    row = ForumMessageReport(
        message_id=message.id, reporter_id=reporter.id, reason=reason, note=note.strip()
    )
    db.session.add(row)
    db.session.flush()
    notify(
        report_moderators(row),
        "forum.message_report",
        _l("A private message was reported"),
        note.strip()[:300],
        url_for("forum.message_reports"),
    )
    return row


def actions() -> list[Action]:
    return [
        Action(
            "forum.send_message",
            _l("Write private messages to people of one's associations"),
            lambda u, other: _auth(u) if other is None else may_contact(u, other),
        ),
        Action(
            "forum.read_conversation",
            _l("Read a private conversation (its participants only)"),
            lambda u, conv: participation(u, conv.id) is not None,
        ),
        Action(
            "forum.review_message_report",
            _l("See a reported private message (moderators of a shared association)"),
            lambda u, report: can_review_report(u, report),
        ),
    ]
