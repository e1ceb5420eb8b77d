"""Pages of the expertise plugin, mounted at ``/expertise``.

Every page of an association (or of a submission, which belongs to one) answers 404 when the
plugin is switched off there, and checks the user's right before doing anything else.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.api import (
    Association,
    Certificate,
    Membership,
    Subject,
    User,
    association_for,
    ci_contains,
    db,
    int_arg,
    login_manager,
    notifications,
    page_arg,
    paginate,
    parse_id,
    permissions,
    plugin_gate,
    site_date,
    uploads,
    utcnow,
    year_arg,
)
from plugins.expertise import services as svc
from plugins.expertise.forms import (
    AssignForm,
    CommentForm,
    ConflictForm,
    CriterionForm,
    NoteForm,
    ReasonForm,
    ResponseForm,
    ResubmitForm,
    RubricForm,
    SettingsForm,
    SubmissionForm,
    options,
    review_form,
)
from plugins.expertise.models import (
    Assignment,
    Comment,
    Criterion,
    File,
    Review,
    Submission,
    Transition,
    Version,
)

bp = Blueprint("expertise", __name__, template_folder="templates", static_folder="static")

ALLOWED_FILES = ("pdf", "docx", "pptx", "odt")
PER_PAGE = 20


def _submission(sub_id: int) -> Submission:
    sub = db.session.get(Submission, sub_id)
    if sub is None:
        abort(404)
    plugin_gate.abort_unless_enabled(svc.PLUGIN, sub.association_id)
    return sub


def _assignment(assignment_id: int) -> Assignment:
    a = db.session.get(Assignment, assignment_id)
    if a is None:
        abort(404)
    plugin_gate.abort_unless_enabled(svc.PLUGIN, a.submission.association_id)
    return a


def _deny():
    """Refuse the request: anonymous visitors are sent to log in, others get 403."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)


def _store_files(field) -> list[uploads.StoredFile] | None:
    """Check and store every chosen file; on the first refusal remove the ones already
    stored, put the message on the field and return None (nothing is kept)."""
    stored: list[uploads.StoredFile] = []
    for f in field.data or []:
        if f is None or not getattr(f, "filename", ""):
            continue
        try:
            stored.append(uploads.save(f, subdir="expertise", allowed=ALLOWED_FILES))
        except uploads.UploadError as exc:
            for s in stored:
                uploads.delete(s.path)
            field.errors = [*field.errors, f"{uploads.safe_display_name(f.filename)}: {exc}"]
            return None
    return stored


@contextmanager
def _files_kept_only_on_success(stored: list[uploads.StoredFile]):
    """Stored uploads whose database rows fail to commit are removed from disk again."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        for s in stored:
            uploads.delete(s.path)
        raise


def _attach(version: Version, stored: list[uploads.StoredFile]) -> None:
    for s in stored:
        version.files.append(
            File(
                path=s.path,
                original_name=s.original_name,
                kind=s.kind,
                mime=s.mime,
                size=s.size,
            )
        )


def _subject_choices():
    subjects = db.session.scalars(select(Subject).order_by(Subject.name_kk)).all()
    return options([(0, "—")] + [(s.id, s.name) for s in subjects])


def _coauthor_choices(association: Association, author_id: int):
    rows = db.session.execute(
        select(User.id, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.association_id == association.id, User.id != author_id)
        .order_by(User.full_name)
    ).all()
    return options(rows)


def _fill(sub: Submission, form: SubmissionForm) -> None:
    sub.title = form.title.data.strip()
    sub.material_type = form.material_type.data
    sub.subject_id = form.subject_id.data or None
    sub.grade_from = form.grade_from.data
    sub.grade_to = form.grade_to.data
    sub.language = form.language.data
    sub.abstract = form.abstract.data.strip()
    sub.keywords = ", ".join(k.strip() for k in (form.keywords.data or "").split(",") if k.strip())
    ids = set(form.coauthors.data or [])
    sub.coauthors = list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


# --- library ---------------------------------------------------------------------------------


def _library_query(args, association: Association | None = None):
    stmt = select(Submission).where(Submission.state == "recommended")
    disabled = plugin_gate.disabled_association_ids(svc.PLUGIN)
    if disabled:
        stmt = stmt.where(Submission.association_id.not_in(disabled))
    if association is not None:
        stmt = stmt.where(Submission.association_id == association.id)
    elif int_arg("association"):
        stmt = stmt.where(Submission.association_id == int_arg("association"))
    q = (args.get("q") or "").strip()
    if q:
        stmt = stmt.where(
            or_(
                ci_contains(Submission.title, q),
                ci_contains(Submission.abstract, q),
                ci_contains(Submission.keywords, q),
            )
        )
    if int_arg("subject"):
        stmt = stmt.where(Submission.subject_id == int_arg("subject"))
    grade = int_arg("grade", lo=0, hi=12)
    if grade is not None:
        stmt = stmt.where(Submission.grade_from <= grade, Submission.grade_to >= grade)
    if args.get("type") in svc.MATERIAL_TYPES:
        stmt = stmt.where(Submission.material_type == args["type"])
    if args.get("language") in svc.LANGUAGES:
        stmt = stmt.where(Submission.language == args["language"])
    year = year_arg("year")
    if year:
        stmt = stmt.where(
            Submission.published_at >= dt.datetime(year, 1, 1),
            Submission.published_at < dt.datetime(year + 1, 1, 1),
        )
    return stmt


def _library_page(args, association: Association | None = None):
    stmt = _library_query(args, association)
    result = paginate(
        stmt.order_by(Submission.published_at.desc(), Submission.id.desc()),
        page_arg(),
        PER_PAGE,
        options=(
            selectinload(Submission.author),
            selectinload(Submission.coauthors),
            selectinload(Submission.association),
            selectinload(Submission.subject),
        ),
    )
    return result.items, result.total, result.page, result.pages


@bp.get("/library")
def library():
    rows, total, page, pages = _library_page(request.args)
    disabled = plugin_gate.disabled_association_ids(svc.PLUGIN)
    assoc_ids = select(Submission.association_id).where(Submission.state == "recommended")
    associations = db.session.scalars(
        select(Association).where(Association.id.in_(assoc_ids)).order_by(Association.name_kk)
    ).all()
    return render_template(
        "expertise/library.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        subjects=[(c.value, c.label) for c in _subject_choices()[1:]],
        associations=[a for a in associations if a.id not in disabled],
        today=site_date(),
        svc=svc,
    )


@bp.get("/a/<slug>")
def association_home(slug: str):
    association = association_for(svc.PLUGIN, slug)
    rows, total, page, pages = _library_page(request.args, association)
    mine = queue = invitations = []
    if current_user.is_authenticated:
        mine = db.session.scalars(
            select(Submission)
            .where(
                Submission.association_id == association.id,
                Submission.author_id == current_user.id,
            )
            .order_by(Submission.id.desc())
        ).all()
        invitations = db.session.scalars(
            select(Assignment)
            .join(Submission, Submission.id == Assignment.submission_id)
            .where(
                Submission.association_id == association.id,
                Assignment.expert_id == current_user.id,
                Assignment.status.in_(svc.ACTIVE_ASSIGNMENT),
            )
            .options(selectinload(Assignment.submission))
        ).all()
        if svc.coordinates(current_user, association):
            queue = db.session.scalars(
                select(Submission)
                .where(
                    Submission.association_id == association.id,
                    Submission.state.not_in(
                        ("draft", "recommended", "not_recommended", "withdrawn")
                    ),
                )
                .options(selectinload(Submission.author))
                .order_by(Submission.submitted_at)
            ).all()
    return render_template(
        "expertise/association.html",
        association=association,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        mine=mine,
        queue=queue,
        invitations=invitations,
        today=site_date(),
        svc=svc,
    )


@bp.get("/mine")
@login_required
def mine():
    disabled = plugin_gate.disabled_association_ids(svc.PLUGIN)
    subs = db.session.scalars(
        select(Submission)
        .where(
            or_(
                Submission.author_id == current_user.id,
                Submission.coauthors.any(User.id == current_user.id),
            )
        )
        .options(selectinload(Submission.association))
        .order_by(Submission.id.desc())
    ).all()
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.expert_id == current_user.id)
        .options(selectinload(Assignment.submission).selectinload(Submission.association))
        .order_by(Assignment.id.desc())
    ).all()
    return render_template(
        "expertise/mine.html",
        subs=[s for s in subs if s.association_id not in disabled],
        assignments=[a for a in assignments if a.submission.association_id not in disabled],
        svc=svc,
    )


# --- submitting ------------------------------------------------------------------------------


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
        svc.transition(sub, action, current_user, form.note.data or "")
    except svc.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("expertise.submission", sub_id=sub_id)), 303
    db.session.commit()
    flash(_("Done: %(state)s.", state=svc.STATES[sub.state]), "success")
    return redirect(url_for("expertise.submission", sub_id=sub.id))


# --- the submission page ---------------------------------------------------------------------


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


# --- experts ---------------------------------------------------------------------------------


@bp.route("/s/<id:sub_id>/assign", methods=["GET", "POST"])
def assign(sub_id: int):
    sub = _submission(sub_id)
    permissions.require("expertise.coordinate", sub.association)
    form = AssignForm()
    if form.validate_on_submit():
        expert_id = parse_id(form.expert_id.data)
        expert = db.session.get(User, expert_id) if expert_id else None
        if expert is None:
            abort(400)
        try:
            svc.assign(sub, expert, current_user)
        except svc.WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("expertise.assign", sub_id=sub.id)), 303
        db.session.commit()
        flash(_("%(name)s was invited.", name=expert.full_name), "success")
        return redirect(url_for("expertise.assign", sub_id=sub.id))
    ranked, excluded = svc.suggestions(sub) if sub.state == "in_review" else ([], [])
    current = db.session.scalars(
        select(Assignment)
        .where(Assignment.submission_id == sub.id, Assignment.round == sub.round)
        .options(selectinload(Assignment.expert))
        .order_by(Assignment.id)
    ).all()
    active = sum(1 for a in current if a.status in (*svc.ACTIVE_ASSIGNMENT, "done"))
    return render_template(
        "expertise/assign.html",
        sub=sub,
        association=sub.association,
        ranked=ranked,
        excluded=excluded,
        current=current,
        needed=max(svc.settings_for(sub.association).experts_per_round - active, 0),
        form=form,
        now=utcnow(),
        svc=svc,
    )


@bp.post("/assignment/<id:assignment_id>/<answer>")
def answer(assignment_id: int, answer: str):
    a = _assignment(assignment_id)
    sub = a.submission
    if answer == "remove":
        permissions.require("expertise.coordinate", sub.association)
        if a.status not in (*svc.ACTIVE_ASSIGNMENT, "declined", "expired"):
            abort(409)
        form = ReasonForm()
        if not form.validate_on_submit():
            abort(400)
        a.status = "removed"
        db.session.commit()
        return redirect(url_for("expertise.assign", sub_id=sub.id))
    if answer not in ("accept", "decline"):
        abort(404)
    if not current_user.is_authenticated or a.expert_id != current_user.id:
        _deny()
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.respond(a, current_user, answer == "accept", form.reason.data or "")
    except svc.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
    db.session.commit()
    if answer == "accept":
        flash(_("Thank you. The review is due by %(date)s.", date=site_date(a.due_at)), "success")
        return redirect(url_for("expertise.review", assignment_id=a.id))
    return redirect(url_for("expertise.association_home", slug=sub.association.slug))


@bp.post("/s/<id:sub_id>/conflict")
def conflict(sub_id: int):
    sub = _submission(sub_id)
    mine = svc.active_assignment(current_user, sub)
    if mine is None:
        _deny()
    form = ConflictForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
    svc.declare_conflict(sub, current_user, form.reason.data)
    db.session.commit()
    flash(_("Your conflict of interest was recorded."), "success")
    return redirect(url_for("expertise.association_home", slug=sub.association.slug))


@bp.route("/assignment/<id:assignment_id>/review", methods=["GET", "POST"])
def review(assignment_id: int):
    a = _assignment(assignment_id)
    sub = a.submission
    if not current_user.is_authenticated or a.expert_id != current_user.id:
        _deny()
    if svc.is_author(current_user, sub):
        abort(403)
    if a.status != "accepted" or sub.state != "in_review":
        flash(_("This step is not possible in the current state."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id))
    rubric = sub.rubric
    form = review_form(rubric)
    if form.validate_on_submit():
        scores = [
            (c, form[f"score_{c.id}"].data, form[f"comment_{c.id}"].data or "")
            for c in rubric.criteria
        ]
        try:
            svc.save_review(
                a,
                current_user,
                scores,
                form.recommendation.data,
                form.to_author.data,
                form.confidential.data or "",
            )
        except svc.WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
        db.session.commit()
        flash(_("Your review was submitted. Thank you."), "success")
        return redirect(url_for("expertise.submission", sub_id=sub.id))
    return render_template(
        "expertise/review_form.html",
        sub=sub,
        association=sub.association,
        a=a,
        rubric=rubric,
        form=form,
        svc=svc,
    )


@bp.post("/review/<id:review_id>/response")
def respond_to_review(review_id: int):
    r = db.session.get(Review, review_id)
    if r is None:
        abort(404)
    sub = db.session.get(Submission, r.submission_id)
    plugin_gate.abort_unless_enabled(svc.PLUGIN, sub.association_id)
    if not svc.is_author(current_user, sub) or not svc.can_read_review(current_user, r, sub):
        _deny()
    form = ResponseForm()
    if not form.validate_on_submit():
        flash(_("Write a response first."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
    r.response = form.response.data.strip()
    r.response_at = utcnow()
    notifications.notify(
        r.expert,
        "expertise.response",
        _l("The author responded to your review of “%(title)s”", title=sub.title),
        r.response[:500],
        url_for("expertise.submission", sub_id=sub.id),
        sub.association,
    )
    db.session.commit()
    flash(_("Your response was saved."), "success")
    return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor=f"review-{r.id}"))


# --- comments --------------------------------------------------------------------------------


def _may_comment(sub: Submission) -> bool:
    return sub.state == "recommended" and permissions.is_member(current_user, sub.association)


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


# --- coordinator pages -----------------------------------------------------------------------


@bp.get("/a/<slug>/dashboard")
def dashboard(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    return render_template(
        "expertise/dashboard.html",
        association=association,
        d=svc.dashboard(association, utcnow()),
        svc=svc,
    )


def _criterion_edit_form(c: Criterion) -> CriterionForm:
    """A criterion's edit form filled from the row, its levels one a line (the way they are
    typed and read back by ``_levels``); ``obj`` alone would show the stored list."""
    form = CriterionForm(prefix=f"c{c.id}", obj=c, formdata=None)
    form.levels.data = "\n".join(c.levels)
    return form


def _settings_page(association, form=None, rubric_form=None, criterion_form=None, edited=None):
    """The settings page; a form given here (with its errors and typed values) replaces the
    blank one. ``edited`` is ``(criterion id, form)`` for a refused criterion edit."""
    rubric = svc.default_rubric(association)
    db.session.commit()  # the default rubric, when it was just made
    page = render_template(
        "expertise/settings.html",
        association=association,
        form=form or SettingsForm(obj=svc.settings_for(association)),
        rubric=rubric,
        in_use=svc.rubric_in_use(rubric),
        rubric_form=rubric_form or RubricForm(obj=rubric, prefix="r"),
        criterion_form=criterion_form or CriterionForm(prefix="c"),
        edit_forms={c.id: _criterion_edit_form(c) for c in rubric.criteria}
        | dict([edited] if edited else []),
        edited_id=edited[0] if edited else None,
        svc=svc,
    )
    return page


@bp.route("/a/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    if request.method == "GET":
        return _settings_page(association)
    st = svc.settings_for(association)
    form = SettingsForm()
    if form.validate_on_submit():
        form.populate_obj(st)
        db.session.merge(st)
        db.session.commit()
        svc.forget()
        flash(_("Saved."), "success")
        return redirect(url_for("expertise.settings", slug=slug))
    return _settings_page(association, form=form)


@bp.post("/a/<slug>/rubric")
def edit_rubric(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    form = RubricForm(prefix="r")
    if not form.validate_on_submit():
        return _settings_page(association, rubric_form=form)
    rubric = svc.editable_rubric(association)
    rubric.name = form.name.data.strip()
    if form.scale_max.data != rubric.scale_max:
        rubric.scale_max = form.scale_max.data
        for c in rubric.criteria:
            c.levels = svc.resize_levels(c.levels, rubric.scale_max)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("expertise.settings", slug=slug))


def _levels(form: CriterionForm, scale_max: int) -> list[str] | None:
    levels = [line.strip() for line in (form.levels.data or "").splitlines() if line.strip()]
    if len(levels) != scale_max + 1:
        form.levels.errors = [
            *form.levels.errors,
            _("Give exactly %(n)s levels, one per line.", n=scale_max + 1),
        ]
        return None
    return levels


@bp.post("/a/<slug>/criteria")
def add_criterion(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    form = CriterionForm(prefix="c")
    valid = form.validate_on_submit()
    levels = _levels(form, svc.default_rubric(association).scale_max)
    if not valid or levels is None:
        return _settings_page(association, criterion_form=form)
    rubric = svc.editable_rubric(association)
    rubric.criteria.append(
        Criterion(
            position=max((c.position for c in rubric.criteria), default=-1) + 1,
            title=form.title.data.strip(),
            description=(form.description.data or "").strip(),
            weight=form.weight.data,
            levels=levels,
        )
    )
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("expertise.settings", slug=slug))


def _criterion_of_current(criterion_id: int) -> tuple[Association, Criterion]:
    """The association and criterion from the URL, which must be in its current rubric."""
    c = db.session.get(Criterion, criterion_id)
    if c is None:
        abort(404)
    association = db.session.get(Association, c.rubric.association_id)
    plugin_gate.abort_unless_enabled(svc.PLUGIN, association)
    permissions.require("expertise.coordinate", association)
    if c.rubric_id != svc.default_rubric(association).id:
        abort(409)
    return association, c


def _same_in_editable(association: Association, c: Criterion) -> Criterion:
    rubric = svc.editable_rubric(association)
    return next(x for x in rubric.criteria if x.position == c.position)


@bp.post("/criterion/<id:criterion_id>/edit")
def edit_criterion(criterion_id: int):
    association, c = _criterion_of_current(criterion_id)
    form = CriterionForm(prefix=f"c{c.id}")
    valid = form.validate_on_submit()
    levels = _levels(form, c.rubric.scale_max)
    if not valid or levels is None:
        return _settings_page(association, edited=(c.id, form))
    target = _same_in_editable(association, c)
    target.title = form.title.data.strip()
    target.description = (form.description.data or "").strip()
    target.weight = form.weight.data
    target.levels = levels
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("expertise.settings", slug=association.slug))


@bp.post("/criterion/<id:criterion_id>/delete")
def delete_criterion(criterion_id: int):
    association, c = _criterion_of_current(criterion_id)
    if not NoteForm().validate_on_submit():
        abort(400)
    rubric = svc.editable_rubric(association)
    if len(rubric.criteria) <= 1:
        flash(_("A rubric needs at least one criterion."), "error")
    else:
        rubric.criteria.remove(_same_in_editable(association, c))
        db.session.commit()
    return redirect(url_for("expertise.settings", slug=association.slug))
