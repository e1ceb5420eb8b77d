"""Questions to officials, attachments, search and the digest setting."""

from __future__ import annotations

import datetime as dt
import functools

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select

from core.api import (
    Association,
    association_for,
    db,
    int_arg,
    uploads,
)
from plugins.forum import services as svc
from plugins.forum.forms import (
    SearchForm,
)
from plugins.forum.models import (
    ForumAttachment,
    ForumBoard,
    ForumPrefs,
    ForumTopic,
)
from plugins.forum.views.common import (
    P,
    _day_arg,
    _page,
    _post_or_404,
    _topic_list,
    _url_maker,
    bp,
)


@bp.get("/a/<slug>/addressed")
def addressed(slug: str):
    association = association_for(P, slug)
    status = request.args.get("status", "open")
    stmt = (
        select(ForumTopic)
        .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
        .where(
            ForumTopic.association_id == association.id,
            ForumTopic.addressed_to != "",
            svc.readable_board_filter(current_user),
            svc.live_topic(),
        )
        .order_by(ForumTopic.created_at.desc())
    )
    if status in ("open", "answered", "closed"):
        stmt = stmt.where(ForumTopic.official_status == status)
    topics, page, pages, read = _topic_list(stmt, _page())
    return render_template(
        "forum/addressed.html",
        association=association,
        topics=topics,
        status=status,
        page=page,
        pages=pages,
        read=read,
        active_tab="forum.association",
    )


@bp.get("/to-me")
@login_required
def addressed_to_me():
    """Questions addressed to the reader's account, in every association (open first)."""
    status = request.args.get("status", "open")
    stmt = (
        select(ForumTopic)
        .where(ForumTopic.addressee_id == current_user.id, svc.live_topic())
        .order_by(ForumTopic.created_at.desc())
    )
    if status in ("open", "answered", "closed"):
        stmt = stmt.where(ForumTopic.official_status == status)
    topics, page, pages, read = _topic_list(stmt, _page())
    return render_template(
        "forum/to_me.html", topics=topics, status=status, page=page, pages=pages, read=read
    )


@bp.get("/att/<id:att_id>")
def attachment(att_id: int):
    att = db.session.get(ForumAttachment, att_id)
    if att is None:
        abort(404)
    post, moderator = _post_or_404(att.post_id)
    if not svc.show_body(current_user, post, moderator):
        abort(404)
    return uploads.serve(
        att.path,
        download_name=att.original_name,
        mime=att.mime,
        inline=request.args.get("inline") == "1",
    )


@functools.cache
def _associations_statement():
    """Associations by id (``ids`` bound), in the order of their Kazakh names."""
    return (
        select(Association)
        .where(Association.id.in_(bindparam("ids", expanding=True)))
        .order_by(Association.name_kk)
    )


@bp.get("/search")
def search():
    form = SearchForm(request.args)
    # the associations of the boards the reader may read, from the rows the search itself
    # filters by (one statement for both, resolved once per request)
    ids = sorted({a for _b, a in svc.readable_boards(current_user)})
    associations = db.session.scalars(_associations_statement(), {"ids": ids}).all() if ids else []
    form.association.choices = [("", _("All"))] + [(a.slug, a.name) for a in associations]
    results = []
    query = (form.q.data or "").strip()
    page = _page()
    if query and form.validate():
        assoc = next((a for a in associations if a.slug == form.association.data), None)
        until = _day_arg("until")
        results = svc.search_posts(
            current_user,
            query,
            association_id=assoc.id if assoc else None,
            board_id=int_arg("board"),
            author_id=int_arg("author"),
            since=_day_arg("since"),
            until=until + dt.timedelta(days=1) if until else None,
            limit=20,
            offset=(page - 1) * 20,
        )
    terms = svc.query_terms(query)
    return render_template(
        "forum/search.html",
        form=form,
        results=results,
        query=query,
        page=page,
        # only SEARCH_CANDIDATES matches are ranked: no page lies past them
        more=len(results) == 20 and page * 20 < svc.SEARCH_CANDIDATES,
        limited=getattr(results, "limited", False),
        permalink=_url_maker("forum.permalink"),
        candidates=svc.SEARCH_CANDIDATES,
        snippet=lambda p: svc.highlight(p.body, terms),
        title=lambda p: svc.highlight(p.topic.title, terms, width=200),
        label=lambda p: svc.author_label(current_user, p, False),
    )


@bp.post("/digest")
@login_required
def digest_pref():
    prefs = db.session.get(ForumPrefs, current_user.id)
    if prefs is None:
        prefs = ForumPrefs(user_id=current_user.id)
        db.session.add(prefs)
    prefs.digest = request.form.get("digest") == "1"
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("forum.latest"))
