"""What the expertise page modules share: the blueprint, lookups with permission checks, list
helpers.
"""

from __future__ import annotations

import datetime as dt
import functools
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from core.api import (
    Association,
    Membership,
    PageQuery,
    Subject,
    User,
    db,
    from_local,
    int_arg,
    login_manager,
    page_arg,
    page_query,
    paginate,
    permissions,
    plugin_gate,
    uploads,
    year_arg,
)
from plugins.expertise import services as svc
from plugins.expertise.forms import (
    CriterionForm,
    RubricForm,
    SettingsForm,
    SubmissionForm,
    options,
)
from plugins.expertise.models import (
    Assignment,
    Criterion,
    File,
    Submission,
    Version,
)

# The blueprint's folders are the plugin package's, one level above this views package.
bp = Blueprint(
    "expertise",
    __name__,
    root_path=str(Path(__file__).resolve().parent.parent),
    template_folder="templates",
    static_folder="static",
)


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


def _library_filters(args, association: Association | None = None) -> dict[str, Any]:
    """The library's filters from the query string (a bad value is no filter) and the
    switched-off associations, as the values of :func:`_library_statement`'s parameters."""
    year = year_arg("year")
    values: dict[str, Any] = {
        "off": sorted(plugin_gate.disabled_association_ids(svc.PLUGIN)),
        "association_id": association.id if association is not None else int_arg("association"),
        "subject_id": int_arg("subject"),
        "grade": int_arg("grade", lo=0, hi=12),
        "material_type": args.get("type") if args.get("type") in svc.MATERIAL_TYPES else None,
        "language": args.get("language") if args.get("language") in svc.LANGUAGES else None,
        "year_start": None,
        "year_end": None,
    }
    if year:
        # The year as the site counts it: 1 January 00:00 in Almaty is 19:00 UTC the day before.
        values.update(
            year_start=from_local(dt.datetime(year, 1, 1)),
            year_end=from_local(dt.datetime(year + 1, 1, 1)),
        )
    return values


def _library_statement(used: frozenset[str], q: str = ""):
    """Published materials, newest first, filtered by the filters in ``used`` (names of
    :func:`_library_filters`' values, bound) and by the words of ``q``."""
    stmt = select(Submission).where(Submission.state == "recommended")
    if "off" in used:
        stmt = stmt.where(Submission.association_id.not_in(bindparam("off", expanding=True)))
    if "association_id" in used:
        stmt = stmt.where(Submission.association_id == bindparam("association_id"))
    if q:
        stmt = stmt.where(svc.library_match(q))
    if "subject_id" in used:
        stmt = stmt.where(Submission.subject_id == bindparam("subject_id"))
    if "grade" in used:
        stmt = stmt.where(
            Submission.grade_from <= bindparam("grade"), Submission.grade_to >= bindparam("grade")
        )
    if "material_type" in used:
        stmt = stmt.where(Submission.material_type == bindparam("material_type"))
    if "language" in used:
        stmt = stmt.where(Submission.language == bindparam("language"))
    if "year_start" in used:
        stmt = stmt.where(
            Submission.published_at >= bindparam("year_start"),
            Submission.published_at < bindparam("year_end"),
        )
    return stmt.order_by(Submission.published_at.desc(), Submission.id.desc())


def _library_options():
    # What a library row shows: the author's and co-authors' names, the association and the
    # subject. The one-to-one parts joined into the page's statement, and of the accounts
    # only the names: three statements fewer than a selectin load of each.
    return (
        joinedload(Submission.author).load_only(User.id, User.full_name),
        selectinload(Submission.coauthors).load_only(User.id, User.full_name),
        joinedload(Submission.association),
        joinedload(Submission.subject),
    )


@functools.cache
def _library_list(used: frozenset[str]) -> PageQuery:
    """The library without a search, built once for each set of filters in use
    (``core.api.page_query``: building it cost as much as running it)."""
    return page_query(_library_statement(used), options=_library_options())


def _library_page(args, association: Association | None = None):
    values = _library_filters(args, association)
    # (grade 0 is a filter; subject and association 0 are the forms' "any")
    used = frozenset(k for k, v in values.items() if (v if k != "grade" else v is not None))
    q = (args.get("q") or "").strip()
    # A search's words are part of its statement: built for this visit.
    query = (
        page_query(_library_statement(used, q), options=_library_options())
        if q
        else _library_list(used)
    )
    result = paginate(query, page_arg(), PER_PAGE, params=values)
    return result.items, result.total, result.page, result.pages


def _may_comment(sub: Submission) -> bool:
    return sub.state == "recommended" and permissions.is_member(current_user, sub.association)


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


def _levels(form: CriterionForm, scale_max: int) -> list[str] | None:
    levels = [line.strip() for line in (form.levels.data or "").splitlines() if line.strip()]
    if len(levels) != scale_max + 1:
        form.levels.errors = [
            *form.levels.errors,
            _("Give exactly %(n)s levels, one per line.", n=scale_max + 1),
        ]
        return None
    return levels


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
