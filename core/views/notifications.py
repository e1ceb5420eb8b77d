"""The in-app notification list and notification preferences."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.extensions import db
from core.forms import PostForm
from core.models import Notification
from core.services import notifications as service
from core.services.urls import safe_link
from core.services.web import page_arg
from core.views.blueprint import bp

PER_PAGE = 20


@bp.get("/notifications")
@login_required
def notifications():
    page = page_arg()
    rows, total = service.page_for(current_user, page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        return redirect(url_for("core.notifications", page=pages))
    return render_template(
        "core/notifications.html",
        items=[(n, safe_link(n.url)) for n in rows],
        page=page,
        pages=pages,
        total=total,
    )


def _back() -> str:
    page = request.form.get("page", "")
    return url_for("core.notifications", page=int(page) if page.isdigit() else None)


@bp.post("/notifications/<id:notification_id>/read")
@login_required
def notification_read(notification_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    service.mark_read(current_user, notification_id)
    db.session.commit()
    if request.form.get("open") and safe_link(note.url):
        return redirect(safe_link(note.url))
    return redirect(_back())


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all():
    if not PostForm().validate_on_submit():
        abort(400)
    changed = service.mark_read(current_user)
    db.session.commit()
    if changed:
        flash(_("All notifications are marked as read."), "success")
    return redirect(_back())


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def notification_prefs():
    kinds = service.configurable_kinds()
    form = PostForm()
    if form.validate_on_submit():
        # Unchecked boxes are not sent, so every shown kind is saved from what is present.
        choices = {
            k.name: (
                request.form.get(f"in_app:{k.name}") == "1",
                request.form.get(f"email:{k.name}") == "1",
            )
            for k in kinds
        }
        service.save_preferences(current_user, choices)
        db.session.commit()
        flash(_("Your notification settings have been saved."), "success")
        return redirect(url_for("core.notification_prefs"))
    if request.method == "POST":
        abort(400)
    prefs = service.all_preferences(current_user, kinds)
    return render_template("core/notification_prefs.html", kinds=kinds, prefs=prefs, form=form)
