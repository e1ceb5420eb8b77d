"""Hook implementations of the forum plugin (the ``forum`` entry point's target)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from core import hookimpl
from core.api import (
    Action,
    Job,
    NavItem,
    NotificationKind,
    PluginInfo,
    ReportFigure,
    ReportSection,
    SearchResult,
    SlotContent,
    Tab,
    User,
    db,
    from_local,
    notifications,
    permissions,
    plugin_gate,
    site_time,
    to_local,
)
from plugins.forum import (
    activity,
    counters,
    drafts,
    email_replies,
    mailing_list,
    message_models,  # noqa: F401 - registers the tables
    messaging,
    models,  # noqa: F401 - registers the tables
)
from plugins.forum import services as svc
from plugins.forum.models import BoardVisibility, ForumBoard, ForumPost, ForumPrefs, ForumTopic


@hookimpl
def plugin_info():
    return PluginInfo(description=_l("Forum"))


@hookimpl
def register_blueprints(app):
    from plugins.forum.views import bp, mailing

    # The unsubscribe link's signed token stands for the CSRF token (RFC 8058 one-click).
    app.extensions["csrf"].exempt(mailing.mailing_unsubscribe)
    return [bp]


def _board_of(obj):
    return obj if isinstance(obj, ForumBoard) else obj.board


@hookimpl
def register_actions():
    return [
        Action(
            "forum.read",
            _l("Read a forum board"),
            lambda u, board: svc.can_read_board(u, board),
        ),
        Action(
            "forum.post",
            _l("Start topics on a board (members not banned from it)"),
            lambda u, board: svc.can_post_board(u, board),
        ),
        Action("forum.reply", _l("Reply in a topic"), lambda u, topic: svc.can_reply(u, topic)),
        Action("forum.edit", _l("Edit or delete a post"), lambda u, p: svc.can_edit_post(u, p)),
        Action(
            "forum.accept",
            _l("Accept an answer to a question"),
            lambda u, topic: svc.can_accept(u, topic),
        ),
        Action(
            "forum.flag",
            _l("Flag a post for the moderators"),
            lambda u, p: bool(getattr(u, "is_authenticated", False)) and p.author_id != u.id,
        ),
        Action(
            "forum.moderate",
            _l("Moderate the forum of an association"),
            lambda u, obj: svc.can_moderate(u, obj),
        ),
        Action(
            "forum.manage_boards",
            _l("Create, edit and order boards"),
            lambda u, a: svc.can_moderate(u, a),
        ),
        Action(
            "forum.view_log",
            _l("Read the forum's moderation log"),
            # The association's moderators read the log of their own work, as managers do.
            lambda u, a: (
                bool(getattr(u, "is_authenticated", False)) and permissions.moderates(u, a)
            ),
        ),
        *messaging.actions(),
    ]


@hookimpl
def nav_items(user):
    # The site-wide list stays reachable, but teachers of a region where the forum is switched
    # off are not invited to it from every page.
    if getattr(user, "is_authenticated", False) and not plugin_gate.is_enabled_for_region(
        "forum", user.region_id
    ):
        return []
    items = [NavItem("forum.latest", _l("Forum"), order=30)]
    if getattr(user, "is_authenticated", False):
        items.append(NavItem("forum.messages", _l("Messages"), order=31))
    return items


@hookimpl
def association_tabs(association, user):
    return [Tab("forum.association", _l("Forum"), order=20, url_kwargs={"slug": association.slug})]


@hookimpl
def notification_kinds():
    return [
        NotificationKind("forum.reply", _l("Forum: replies in topics you watch")),
        NotificationKind("forum.new_topic", _l("Forum: new topics on boards you watch")),
        NotificationKind("forum.mention", _l("Forum: mentions of you")),
        NotificationKind("forum.accepted", _l("Forum: your answer was accepted")),
        NotificationKind("forum.addressed", _l("Forum: questions addressed to you")),
        NotificationKind(
            "forum.official_status", _l("Forum: the status of your questions to officials")
        ),
        NotificationKind("forum.flag_result", _l("Forum: decisions on your flags"), False),
        NotificationKind("forum.moderation", _l("Forum: approval of your messages")),
        NotificationKind(
            "forum.moderation_work", _l("Forum: messages waiting for approval and new flags")
        ),
        NotificationKind("forum.digest", _l("Forum: daily digest"), True),
        NotificationKind("forum.message", _l("Private messages to you")),
        NotificationKind("forum.bookmark_reminder", _l("Forum: reminders of your bookmarks")),
        NotificationKind(
            "forum.message_report", _l("Private messages reported to you as a moderator")
        ),
    ]


@hookimpl
def register_commands(cli):
    @cli.group("forum")
    def forum_group():
        """Forum maintenance."""

    @forum_group.command("reindex")
    def reindex_command():
        """Recompute the search text of every post and topic (after the normaliser changed)."""

        click.echo(f"forum: search text recomputed, {svc.reindex()} rows changed")

    @forum_group.command("recook")
    @click.option("--all", "all_rows", is_flag=True, help="Every post, not only stale ones.")
    def recook_command(all_rows):
        """Render the stored HTML of posts again (after the Markdown renderer or sanitiser
        changed: posts cooked by an older ``markdown.VERSION``, or all with --all)."""

        click.echo(f"forum: {svc.recook(all_rows=all_rows)} posts rendered")

    @forum_group.command("repair")
    def repair_command():
        """Recompute post positions and the topic and board counters from the posts."""

        counters.repair()
        db.session.commit()
        click.echo("forum: positions and counters recomputed")


@hookimpl
def search(query, user, limit):
    terms = svc.query_terms(query)
    out = []
    for post, score in svc.search_posts(user, query, limit=limit):
        out.append(
            SearchResult(
                title=post.topic.title,
                url=url_for("forum.permalink", post_id=post.id),
                snippet=svc.snippet_text(post.body, terms),
                kind=_l("Forum post"),
                score=1.0 + min(score, 10.0) / 10.0 + (0.2 if terms else 0),
                association_id=post.topic.association_id,
                date=post.created_at,
            )
        )
    return out


DIGEST_TIME = dt.time(7, 0)


def digest(now: dt.datetime) -> None:
    """Once a site day, each user who asked for it gets one notification listing the new
    topics of the last 24 hours on boards they may read.

    "A day" is the site's day (Asia/Almaty), not the UTC date: the digest goes out at the
    first run after ``FORUM_DIGEST_TIME`` (site time, default 07:00, when quiet hours end) and
    ``last_digest_on`` holds the site date it went out for, so reruns that day are no-ops.
    """
    send_at = site_time(current_app.config.get("FORUM_DIGEST_TIME", ""), DIGEST_TIME)
    local = to_local(now)
    if local.time() < send_at:
        return
    today = local.date()
    since = now - dt.timedelta(days=1)
    subscribers = db.session.scalars(
        select(ForumPrefs).where(
            ForumPrefs.digest.is_(True),
            (ForumPrefs.last_digest_on.is_(None)) | (ForumPrefs.last_digest_on < today),
        )
    ).all()
    for prefs in subscribers:
        user = db.session.get(User, prefs.user_id)
        prefs.last_digest_on = today
        if user is None or not user.active:
            continue
        topics = db.session.scalars(
            select(ForumTopic)
            .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
            .where(
                svc.readable_board_filter(user),
                ForumBoard.association_id.in_(list(permissions.memberships_of(user))),
                ForumTopic.created_at >= since,
                svc.live_topic(),
            )
            .order_by(ForumTopic.created_at.desc())
            .limit(20)
        ).all()
        if not topics:
            continue
        links = [(t.title, _absolute(url_for("forum.topic", topic_id=t.id))) for t in topics]
        # A digest covers many topics, so (as in Discourse) it carries no reply address: a
        # reply could not say which topic it answers. Each topic comes with its absolute link
        # instead, and the email says that replies go through those links.
        notifications.notify(
            user,
            "forum.digest",
            _l("Forum digest: %(n)s new topics", n=len(topics)),
            _digest_body(links),
            url_for("forum.latest"),
            now=now,
        )


def _absolute(url: str) -> str:
    if url.startswith("/"):
        return current_app.config["BASE_URL"].rstrip("/") + url
    return url


def _digest_body(items: list[tuple[str, str]]):
    """The digest's text, built in the recipient's language (``notify`` calls it there)."""

    def render() -> str:
        lines = [f"• {title}\n  {link}" for title, link in items]
        hint = _("To answer, open a topic by its link: replies to this email are not posted.")
        return "\n".join([*lines, "", hint])

    return render


@hookimpl
def register_jobs():
    return [
        Job("forum.digest", digest, dt.timedelta(hours=1)),
        Job("forum.bookmark_reminders", drafts.due_reminders, dt.timedelta(minutes=5)),
    ]


@hookimpl
def demo_data(ctx):
    from plugins.forum.demo import build

    build(ctx)


@hookimpl
def user_deleted(user):
    from plugins.forum.message_models import ForumBlock, ForumBookmark, ForumDraft
    from plugins.forum.models import ForumBan, ForumPrefs, ForumWatch

    for model in (ForumWatch, ForumPrefs, ForumBan, ForumDraft, ForumBookmark, ForumBlock):
        db.session.execute(model.__table__.delete().where(model.user_id == user.id))
    table = ForumTopic.__table__
    db.session.execute(
        table.update().where(table.c.addressee_id == user.id).values(addressee_id=None)
    )


@hookimpl
def annual_report(association, association_ids, start, end):
    """Discussions of the period: topics started, messages written and how many people wrote
    (all boards, counted only); titles only of topics on public boards."""
    since = from_local(dt.datetime.combine(start, dt.time()))
    until = from_local(dt.datetime.combine(end, dt.time()))
    topics = ForumTopic.association_id.in_(association_ids)
    live = (svc.live_topic(),)
    started = db.session.scalar(
        select(func.count(ForumTopic.id)).where(
            topics, *live, ForumTopic.created_at >= since, ForumTopic.created_at < until
        )
    )
    posts, writers = db.session.execute(
        select(func.count(ForumPost.id), func.count(func.distinct(ForumPost.author_id)))
        .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
        .where(
            topics,
            *live,
            ForumPost.approved.is_(True),
            ForumPost.deleted_at.is_(None),
            ForumPost.created_at >= since,
            ForumPost.created_at < until,
        )
    ).one()
    public = db.session.scalars(
        select(ForumTopic.title)
        .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
        .where(
            topics,
            *live,
            ForumBoard.visibility == BoardVisibility.PUBLIC,
            ForumTopic.created_at >= since,
            ForumTopic.created_at < until,
        )
        .order_by(ForumTopic.created_at)
        .limit(12)
    ).all()
    return [
        ReportSection(
            title=_l("Discussions"),
            figures=(
                ReportFigure(_l("Topics started"), started or 0),
                ReportFigure(_l("Messages written"), posts or 0),
                ReportFigure(_l("People who wrote"), writers or 0),
            ),
            highlights=tuple(public),
            order=40,
        )
    ]


@hookimpl
def email_reply(target, user, text, now, attachments):
    return email_replies.handle(target, user, text, now, attachments)


@hookimpl
def template_slot(slot, context):
    """Private messages: unread ones on the home page; "write a message" and "block" on a
    profile the reader may write to. The member's recent topics and replies (those the
    reader may read) on the profile."""
    user = context.get("user")
    auth = getattr(user, "is_authenticated", False)
    if slot == "home.widgets" and auth:
        unread = messaging.unread_total(user)
        if not unread:
            return None
        html = render_template("forum/messages/_home_widget.html", unread=unread)
        return SlotContent(Markup(html), order=35)  # noqa: S704 - rendered by Jinja, autoescaped
    if slot == "profile.sections":
        other = context.get("profile_user")
        if other is None:
            return None
        may = blocked = False
        if auth and other.id != user.id:
            may = messaging.may_contact(user, other)
            blocked = messaging.has_blocked(user, other)
        recent = activity.recent(other, user)
        if not recent and not may and not blocked:
            return None
        html = render_template(
            "forum/_profile_activity.html", other=other, may=may, blocked=blocked, recent=recent
        )
        return SlotContent(Markup(html), order=80)  # noqa: S704 - rendered by Jinja, autoescaped
    if slot == "notifications.preferences":
        html = render_template(
            "forum/_mailing_prefs.html",
            subscribed=mailing_list.boards_of(user),
            offered=mailing_list.offered_boards(user),
        )
        return SlotContent(Markup(html), order=50)  # noqa: S704 - rendered by Jinja, autoescaped
    return None
