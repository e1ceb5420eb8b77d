"""The governance blueprint and what its pages share: finding the association (404 when
missing or the plugin is off there), the object in it, and the permission."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, url_for
from wtforms.fields.choices import SelectChoice

from core.api import (
    PostForm,
    association_for,
    db,
    require,
)
from plugins.governance import services as svc
from plugins.governance.models import (
    AgendaItem,
    Election,
    Exclusion,
    GeneralMeeting,
)

bp = Blueprint(
    "governance",
    __name__,
    root_path=str(Path(__file__).resolve().parent.parent),  # the package: templates/, static/
    template_folder="templates",
    static_folder="static",
)

PLUGIN = "governance"
ATTENDANCE_CHOICES = 100  # members offered at once to the secretary (search by name for more)
PRESENT_PER_PAGE = 100


def _association(slug: str):
    return association_for(PLUGIN, slug)


def _meeting(slug: str, meeting_id: int, action: str = "governance.browse"):
    association = _association(slug)
    meeting = db.session.get(GeneralMeeting, meeting_id)
    if meeting is None or meeting.association_id != association.id:
        abort(404)
    require(action, association)
    return association, meeting


def _item(slug: str, item_id: int, action: str = "governance.browse"):
    association = _association(slug)
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting.association_id != association.id:
        abort(404)
    require(action, association)
    return association, item


def _election(slug: str, election_id: int, action: str = "governance.browse"):
    association = _association(slug)
    election = db.session.get(Election, election_id)
    if election is None or election.association_id != association.id:
        abort(404)
    require(action, association)
    return association, election


def _exclusion(slug: str, exclusion_id: int):
    association = _association(slug)
    ex = db.session.get(Exclusion, exclusion_id)
    if ex is None or ex.association_id != association.id:
        abort(404)
    require("governance.view_exclusion", ex)
    return association, ex


def _fail(exc: svc.GovernanceError, target: str):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(target)


def _csrf_or_400() -> None:
    if not PostForm().validate_on_submit():
        abort(400)


def _voting_member_choices(association) -> list[SelectChoice]:
    return [SelectChoice(u.id, u.full_name) for u in svc.voting_member_users(association)]


def _back(meeting: GeneralMeeting) -> str:
    return url_for("governance.meeting", slug=meeting.association.slug, meeting_id=meeting.id)
