"""Mailing-list mode: subscribing to a board's posts by email, and leaving through the signed
link of every such email (``plugins.forum.mailing_list``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.api import PostForm, db, plugin_gate, safe_next
from plugins.forum import mailing_list
from plugins.forum.models import ForumBoard
from plugins.forum.views.common import _board_or_404, bp


@bp.post("/b/<id:board_id>/mailing-list")
@login_required
def mailing_toggle(board_id: int):
    board = _board_or_404(board_id)
    if not PostForm().validate_on_submit():
        abort(400)
    back = safe_next(request.form.get("next"), url_for("forum.board", board_id=board.id))
    action = request.form.get("action")
    if action == "subscribe":
        if not mailing_list.may_subscribe(current_user, board):
            abort(403)
        mailing_list.subscribe(current_user, board)
        flash(_("Every new post of this board will come to you by email."), "success")
    elif action == "unsubscribe":
        mailing_list.unsubscribe(current_user.id, board.id)
        flash(_("Posts of this board no longer come to you by email."), "success")
    else:
        abort(400)
    db.session.commit()
    return redirect(back)


@bp.route("/mailing-list/unsubscribe/<token>", methods=["GET", "POST"])
def mailing_unsubscribe(token: str):
    """The link of every mailing-list email: GET asks to confirm, POST unsubscribes. The
    signed token names the user and the board, so no login is needed, and it stands for the
    CSRF token: a mail client's one-click POST (RFC 8058) carries no form token (the view is
    exempted from CSRF in ``plugin.register_blueprints``)."""
    data = mailing_list.read_token(token)
    board = db.session.get(ForumBoard, data[1]) if data else None
    if board is None:
        abort(404)
    plugin_gate.abort_unless_enabled("forum", board.association)
    if request.method == "POST":
        mailing_list.unsubscribe(data[0], board.id)
        db.session.commit()
        return render_template("forum/mailing_unsubscribed.html", board=board)
    return render_template("forum/mailing_unsubscribe.html", board=board, token=token)
