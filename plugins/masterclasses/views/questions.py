"""The hosts' list of registration questions of an event."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.api import db
from plugins.masterclasses import services
from plugins.masterclasses.forms import QuestionForm
from plugins.masterclasses.models import Question
from plugins.masterclasses.views.common import _editable_event, bp

MAX_QUESTIONS = 20


def _page(ev, form, status=200):
    return (
        render_template(
            "masterclasses/questions.html",
            event=ev,
            form=form,
            questions=services.questions_of(ev),
            max_questions=MAX_QUESTIONS,
        ),
        status,
    )


@bp.get("/<id:event_id>/questions")
def questions(event_id: int):
    return _page(_editable_event(event_id), QuestionForm())


@bp.post("/<id:event_id>/questions")
def add_question(event_id: int):
    ev = _editable_event(event_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _page(ev, form, 400)
    count = db.session.scalar(select(func.count(Question.id)).where(Question.event_id == ev.id))
    if count >= MAX_QUESTIONS:
        form.label.errors = [_("At most %(n)s questions.", n=MAX_QUESTIONS)]
        return _page(ev, form, 400)
    options = "\n".join(
        o.strip()[:200] for o in (form.options.data or "").splitlines() if o.strip()
    )
    db.session.add(
        Question(
            event_id=ev.id,
            position=count + 1,
            label=form.label.data.strip(),
            kind=form.kind.data,
            options=options if form.kind.data == "choice" else "",
            required=bool(form.required.data),
        )
    )
    db.session.commit()
    flash(_("The question is added."), "success")
    return redirect(url_for("masterclasses.questions", event_id=ev.id))


@bp.post("/<id:event_id>/questions/<id:question_id>/delete")
def delete_question(event_id: int, question_id: int):
    ev = _editable_event(event_id)
    q = db.session.get(Question, question_id)
    if q is None or q.event_id != ev.id:
        abort(404)
    db.session.delete(q)
    db.session.commit()
    flash(_("The question and its answers are removed."), "success")
    return redirect(url_for("masterclasses.questions", event_id=ev.id))
