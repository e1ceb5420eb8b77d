"""Submitting and revising materials, the workflow steps, a material's page, files and community
comments.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    Certificate,
    association_for,
    db,
    notifications,
    permissions,
    plugin_gate,
    site_date,
    uploads,
)
from plugins.expertise import services as svc
from plugins.expertise.forms import (
    CommentForm,
    ConflictForm,
    DiscussionForm,
    MetaReviewForm,
    NoteForm,
    ReasonForm,
    ResponseForm,
    ResubmitForm,
    SubmissionForm,
)
from plugins.expertise.models import (
    Assignment,
    Comment,
    File,
    Review,
    Submission,
    Transition,
    Version,
)
from plugins.expertise.views.common import (
    _attach,
    _coauthor_choices,
    _deny,
    _files_kept_only_on_success,
    _fill,
    _may_comment,
    _store_files,
    _subject_choices,
    _submission,
    bp,
)


@bp.route("/a/<slug>/submit", methods=["GET", "POST"])
def submit(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.submit", association)
    form = SubmissionForm()
    form.subject_id.choices = _subject_choices()
    form.coauthors.choices = _coauthor_choices(association, current_user.id)
    if form.validate_on_submit():
        stored = _store_files(form.files)
        if stored is not None and not stored:
            form.files.errors = [*form.files.errors, _("Attach at least one file.")]
        elif stored is not None:
            with _files_kept_only_on_success(stored):
                sub = Submission(
                    association_id=association.id, author_id=current_user.id, state="draft"
                )
                _fill(sub, form)
                version = Version(number=1, note="")
                _attach(version, stored)
                sub.versions.append(version)
                db.session.add(sub)
                db.session.flush()
                if request.form.get("send"):
                    svc.transition(sub, "submit", current_user)
                db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("expertise.submission", sub_id=sub.id))
    return render_template(
        "expertise/submit.html", association=association, form=form, sub=None, svc=svc
    )


@bp.route("/s/<id:sub_id>/edit", methods=["GET", "POST"])
def edit(sub_id: int):
    sub = _submission(sub_id)
    if not svc.is_author(current_user, sub):
        _deny()
    if sub.state not in ("draft", "returned"):
        abort(409)
    form = SubmissionForm(obj=sub if request.method == "GET" else None)
    if request.method == "GET":
        form.coauthors.data = [u.id for u in sub.coauthors]
        form.subject_id.data = sub.subject_id or 0
    form.subject_id.choices = _subject_choices()
    form.coauthors.choices = _coauthor_choices(sub.association, sub.author_id)
    if form.validate_on_submit():
        stored = _store_files(form.files)
        if stored is not None:
            with _files_kept_only_on_success(stored):
                _fill(sub, form)
                _attach(sub.latest, stored)
                db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("expertise.submission", sub_id=sub.id))
    return render_template(
        "expertise/submit.html", association=sub.association, form=form, sub=sub, svc=svc
    )


@bp.route("/s/<id:sub_id>/resubmit", methods=["GET", "POST"])
def resubmit(sub_id: int):
    sub = _submission(sub_id)
    if not svc.is_author(current_user, sub):
        _deny()
    if (sub.state, "resubmit") not in svc.TRANSITIONS:
        abort(409)
    form = ResubmitForm()
    if form.validate_on_submit():
        stored = _store_files(form.files)
        if stored is not None and not stored:
            form.files.errors = [*form.files.errors, _("Attach at least one file.")]
        elif stored is not None:
            with _files_kept_only_on_success(stored):
                version = Version(number=sub.latest.number + 1, note=form.note.data.strip())
                _attach(version, stored)
                sub.versions.append(version)
                db.session.flush()
                svc.transition(sub, "resubmit", current_user, form.note.data)
                db.session.commit()
            flash(_("The new version was submitted."), "success")
            return redirect(url_for("expertise.submission", sub_id=sub.id))
    return render_template("expertise/resubmit.html", sub=sub, form=form, svc=svc)


@bp.post("/s/<id:sub_id>/step/<action>")
def step(sub_id: int, action: str):
    sub = _submission(sub_id)
    if not svc.can_view(current_user, sub):
        _deny()
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.transition(
            sub, action, current_user, form.note.data or "", override=form.override.data or ""
        )
    except svc.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("expertise.submission", sub_id=sub_id)), 303
    db.session.commit()
    flash(_("Done: %(state)s.", state=svc.STATES[sub.state]), "success")
    return redirect(url_for("expertise.submission", sub_id=sub.id))


@bp.get("/s/<id:sub_id>")
def submission(sub_id: int):
    sub = _submission(sub_id)
    if not svc.can_view(current_user, sub):
        _deny()
    coord = svc.coordinates(current_user, sub.association)
    versions = db.session.scalars(
        select(Version)
        .where(Version.submission_id == sub.id)
        .options(selectinload(Version.files))
        .order_by(Version.number.desc())
    ).all()
    reviews = db.session.scalars(
        select(Review)
        .where(Review.submission_id == sub.id)
        .options(
            selectinload(Review.scores), selectinload(Review.expert), selectinload(Review.version)
        )
        .order_by(Review.round.desc(), Review.id)
    ).all()
    visible = [r for r in reviews if svc.can_read_review(current_user, r, sub)]
    numbers: dict[int, int] = {}
    for r in sorted(reviews, key=lambda r: (r.round, r.id)):
        numbers[r.id] = sum(1 for x in reviews if x.round == r.round and x.id <= r.id)
    assignments = []
    if coord:
        assignments = db.session.scalars(
            select(Assignment)
            .where(Assignment.submission_id == sub.id)
            .options(selectinload(Assignment.expert))
            .order_by(Assignment.round.desc(), Assignment.id)
        ).all()
    mine = svc.active_assignment(current_user, sub)
    comments = []
    if sub.state == "recommended":
        comments = db.session.scalars(
            select(Comment)
            .where(Comment.submission_id == sub.id)
            .options(selectinload(Comment.author))
            .order_by(Comment.id)
        ).all()
    my_certificates = []
    if current_user.is_authenticated:
        keys = [f"expertise:material:{sub.id}:user:{current_user.id}"] + [
            f"expertise:review:{r.id}" for r in reviews if r.expert_id == current_user.id
        ]
        my_certificates = db.session.scalars(
            select(Certificate).where(
                Certificate.source_key.in_(keys),
                Certificate.recipient_id == current_user.id,
                Certificate.revoked.is_(False),
            )
        ).all()
    history = db.session.scalars(
        select(Transition)
        .where(Transition.submission_id == sub.id)
        .options(selectinload(Transition.actor))
        .order_by(Transition.id.desc())
    ).all()
    return render_template(
        "expertise/submission.html",
        sub=sub,
        history=history,
        override=next((t for t in history if t.override_reason), None),
        my_certificates=my_certificates,
        association=sub.association,
        versions=versions,
        reviews=visible,
        numbers=numbers,
        assignments=assignments,
        mine=mine,
        coord=coord,
        is_author=svc.is_author(current_user, sub),
        actions=svc.allowed_actions(current_user, sub),
        comments=comments,
        means=svc.criterion_means(sub) if sub.state == "recommended" else [],
        note_form=NoteForm(),
        response_form=ResponseForm(),
        comment_form=CommentForm(),
        conflict_form=ConflictForm(),
        reason_form=ReasonForm(),
        may_comment=_may_comment(sub),
        discussion=svc.discussion(current_user, sub),
        metas=svc.meta_reviews(current_user, sub),
        may_write_meta=svc.may_write_meta(current_user, sub),
        discussion_form=DiscussionForm(),
        meta_form=MetaReviewForm(),
        moderates=permissions.moderates(current_user, sub.association),
        today=site_date(),
        svc=svc,
    )


@bp.get("/file/<id:file_id>")
def download(file_id: int):
    f = db.session.get(File, file_id)
    if f is None:
        abort(404)
    sub = f.version.submission
    plugin_gate.abort_unless_enabled(svc.PLUGIN, sub.association_id)
    if not svc.can_view(current_user, sub):
        _deny()
    f.downloads = File.downloads + 1
    db.session.commit()
    return uploads.serve(f.path, download_name=f.original_name, mime=f.mime)


@bp.post("/file/<id:file_id>/delete")
def delete_file(file_id: int):
    """Authors may remove a file of a draft (or of a submission returned to them); files of a
    version that went to review stay, as its reviews refer to them."""
    f = db.session.get(File, file_id)
    if f is None:
        abort(404)
    sub = f.version.submission
    plugin_gate.abort_unless_enabled(svc.PLUGIN, sub.association_id)
    if not svc.is_author(current_user, sub):
        _deny()
    if sub.state not in ("draft", "returned") or f.version_id != sub.latest.id:
        abort(409)
    if not NoteForm().validate_on_submit():
        abort(400)
    path = f.path
    db.session.delete(f)
    db.session.commit()
    uploads.delete(path)
    return redirect(url_for("expertise.edit", sub_id=sub.id))


@bp.post("/s/<id:sub_id>/comment")
def comment(sub_id: int):
    sub = _submission(sub_id)
    if not _may_comment(sub):
        _deny()
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Write a comment first."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
    parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.submission_id != sub.id:
            abort(400)
        parent_id = parent.parent_id or parent.id  # replies stay one level deep
    c = Comment(
        submission_id=sub.id, parent_id=parent_id, author_id=current_user.id, body=form.body.data
    )
    db.session.add(c)
    notifications.notify(
        [u for u in [sub.author, *sub.coauthors] if u.id != current_user.id],
        "expertise.comment",
        _l("New comment on “%(title)s”", title=sub.title),
        form.body.data[:500],
        url_for("expertise.submission", sub_id=sub.id),
        sub.association,
    )
    db.session.commit()
    return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor="comments"))


@bp.post("/comment/<id:comment_id>/hide")
def hide_comment(comment_id: int):
    c = db.session.get(Comment, comment_id)
    if c is None:
        abort(404)
    sub = _submission(c.submission_id)
    permissions.require("expertise.moderate", sub.association)
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    c.hidden = not c.hidden
    c.hidden_by_id = current_user.id if c.hidden else None
    db.session.commit()
    return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor="comments"))
