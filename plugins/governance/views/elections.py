"""Elections with a secret ballot, extraordinary-meeting petitions and exclusion."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from core.api import (
    PostForm,
    User,
    db,
    from_local,
    permissions,
    require,
    utcnow,
)
from plugins.governance import services as svc
from plugins.governance.forms import (
    BallotForm,
    ElectionForm,
    ExclusionForm,
    ExclusionVoteForm,
    NominateForm,
    PetitionForm,
    ResponseForm,
    StartVotingForm,
)
from plugins.governance.models import (
    Candidate,
    Election,
    Exclusion,
    Petition,
)
from plugins.governance.views.common import (
    _association,
    _csrf_or_400,
    _election,
    _exclusion,
    _fail,
    _voting_member_choices,
    bp,
)

# --- elections --------------------------------------------------------------------------------


@bp.route("/a/<slug>/elections/new", methods=["GET", "POST"])
def new_election(slug: str):
    association = _association(slug)
    require("governance.manage", association)
    form = ElectionForm()
    if request.method == "GET":
        s = svc.settings_for(association)
        form.term_months.data = s.chair_term_months
    if form.validate_on_submit():
        election = Election(
            association_id=association.id,
            position=form.position.data,
            label=(form.label.data or "").strip(),
            seats=form.seats.data,
            term_months=form.term_months.data,
            created_by_id=current_user.id,
        )
        db.session.add(election)
        db.session.commit()
        return redirect(url_for("governance.election", slug=slug, election_id=election.id))
    return render_template(
        "governance/election_form.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


@bp.get("/a/<slug>/elections/<id:election_id>")
def election(slug: str, election_id: int):
    association, election = _election(slug, election_id)
    nominate_form = NominateForm()
    nominate_form.candidate.choices = _voting_member_choices(association)
    ballot_form = BallotForm()
    ballot_form.choices.choices = [
        SelectChoice(c.id, c.user.full_name) for c in election.candidates if c.state == "accepted"
    ]
    return render_template(
        "governance/election.html",
        association=association,
        election=election,
        manager=permissions.can(current_user, "governance.manage", association),
        voting_member=svc.is_voting_member(current_user, association),
        nominate_form=nominate_form,
        ballot_form=ballot_form,
        start_form=StartVotingForm(),
        may_cast=svc.may_cast(current_user, election),
        has_cast=svc.has_cast(election, current_user),
        form=PostForm(),
        svc=svc,
        active_tab="governance.index",
    )


def _election_back(election: Election) -> str:
    return url_for("governance.election", slug=election.association.slug, election_id=election.id)


@bp.post("/a/<slug>/elections/<id:election_id>/nominate")
@login_required
def nominate(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.vote")
    form = NominateForm()
    form.candidate.choices = _voting_member_choices(association)
    if not form.validate_on_submit():
        flash(_("Choose a voting member."), "error")
        return redirect(_election_back(election))
    try:
        svc.nominate(election, db.session.get(User, form.candidate.data), current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


ANSWER_RULE = (
    "/a/<slug>/elections/<id:election_id>/candidates/<id:candidate_id>"
    "/<any(accept, decline):answer>"
)


@bp.post(ANSWER_RULE)
@login_required
def answer(slug: str, election_id: int, candidate_id: int, answer: str):
    association, election = _election(slug, election_id)
    _csrf_or_400()
    c = db.session.get(Candidate, candidate_id)
    if c is None or c.election_id != election.id:
        abort(404)
    try:
        svc.answer_nomination(c, current_user, answer == "accept")
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


@bp.post("/a/<slug>/elections/<id:election_id>/start")
def start_election(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.manage")
    form = StartVotingForm()
    if not form.validate_on_submit():
        flash(_("Check the deadline."), "error")
        return redirect(_election_back(election))
    deadline = from_local(form.deadline.data) if form.deadline.data else None
    if deadline is not None and deadline <= utcnow():
        flash(_("The deadline must be in the future."), "error")
        return redirect(_election_back(election))
    try:
        svc.start_election_voting(election, deadline)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


@bp.post("/a/<slug>/elections/<id:election_id>/ballot")
@login_required
def ballot(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.vote")
    form = BallotForm()
    form.choices.choices = [
        SelectChoice(c.id, c.user.full_name) for c in election.candidates if c.state == "accepted"
    ]
    if not form.validate_on_submit():
        flash(_("Choose among the candidates."), "error")
        return redirect(_election_back(election))
    try:
        svc.cast_ballot(election.id, current_user, form.choices.data)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    flash(_("Your secret ballot is counted."), "success")
    return redirect(_election_back(election))


@bp.post("/a/<slug>/elections/<id:election_id>/close")
def close_election(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.manage")
    _csrf_or_400()
    try:
        svc.close_election(election, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


# --- petitions --------------------------------------------------------------------------------


@bp.route("/a/<slug>/petition/new", methods=["GET", "POST"])
def new_petition(slug: str):
    association = _association(slug)
    require("governance.vote", association)
    existing = svc.open_petition(association)
    if existing is not None:
        return redirect(url_for("governance.index", slug=slug) + "#petition")
    form = PetitionForm()
    if form.validate_on_submit():
        petition = Petition(
            association_id=association.id,
            reason=form.reason.data.strip(),
            created_by_id=current_user.id,
        )
        db.session.add(petition)
        db.session.commit()
        try:
            svc.sign_petition(petition.id, current_user)
        except svc.GovernanceError as exc:
            return _fail(exc, url_for("governance.index", slug=slug))
        return redirect(url_for("governance.index", slug=slug) + "#petition")
    return render_template(
        "governance/petition_form.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


@bp.post("/a/<slug>/petition/<id:petition_id>/sign")
@login_required
def sign(slug: str, petition_id: int):
    association = _association(slug)
    require("governance.vote", association)
    _csrf_or_400()
    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.association_id != association.id:
        abort(404)
    back = url_for("governance.index", slug=slug) + "#petition"
    try:
        svc.sign_petition(petition.id, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, back)
    flash(_("You have signed the petition."), "success")
    return redirect(back)


# --- exclusion --------------------------------------------------------------------------------


@bp.route("/a/<slug>/exclusions/new", methods=["GET", "POST"])
def new_exclusion(slug: str):
    association = _association(slug)
    require("governance.manage", association)
    form = ExclusionForm()
    form.member.choices = [
        SelectChoice(u.id, u.full_name)
        for u in svc.member_users(association)
        if u.id != current_user.id
    ]
    if form.validate_on_submit():
        try:
            ex = svc.propose_exclusion(
                association,
                db.session.get(User, form.member.data),
                current_user,
                form.reason.data.strip(),
            )
        except svc.GovernanceError as exc:
            db.session.rollback()
            form.member.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("governance.exclusion", slug=slug, exclusion_id=ex.id))
    return render_template(
        "governance/exclusion_form.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


@bp.get("/a/<slug>/exclusions/<id:exclusion_id>")
def exclusion(slug: str, exclusion_id: int):
    association, ex = _exclusion(slug, exclusion_id)
    return render_template(
        "governance/exclusion.html",
        association=association,
        ex=ex,
        manager=permissions.can(current_user, "governance.manage", association),
        is_member_concerned=current_user.is_authenticated and ex.user_id == current_user.id,
        may_vote=svc.may_vote_exclusion(current_user, ex),
        council_size=len(svc.council_ids(association)),
        response_form=ResponseForm(),
        vote_form=ExclusionVoteForm(),
        form=PostForm(),
        active_tab="governance.index",
    )


def _ex_back(slug: str, ex: Exclusion) -> str:
    return url_for("governance.exclusion", slug=slug, exclusion_id=ex.id)


@bp.post("/a/<slug>/exclusions/<id:exclusion_id>/respond")
@login_required
def respond(slug: str, exclusion_id: int):
    association, ex = _exclusion(slug, exclusion_id)
    form = ResponseForm()
    if not form.validate_on_submit():
        flash(_("Write your response."), "error")
        return redirect(_ex_back(slug, ex))
    try:
        svc.respond_exclusion(ex, current_user, form.response.data.strip())
    except svc.GovernanceError as exc:
        return _fail(exc, _ex_back(slug, ex))
    db.session.commit()
    return redirect(_ex_back(slug, ex))


@bp.post("/a/<slug>/exclusions/<id:exclusion_id>/<any(open, decide):step>")
def exclusion_step(slug: str, exclusion_id: int, step: str):
    association, ex = _exclusion(slug, exclusion_id)
    require("governance.manage", association)
    _csrf_or_400()
    try:
        if step == "open":
            svc.open_exclusion_vote(ex)
        else:
            svc.decide_exclusion(ex, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, _ex_back(slug, ex))
    db.session.commit()
    return redirect(_ex_back(slug, ex))


@bp.post("/a/<slug>/exclusions/<id:exclusion_id>/vote")
@login_required
def exclusion_vote(slug: str, exclusion_id: int):
    association, ex = _exclusion(slug, exclusion_id)
    form = ExclusionVoteForm()
    if not form.validate_on_submit():
        flash(_("Choose for or against."), "error")
        return redirect(_ex_back(slug, ex))
    try:
        svc.vote_exclusion(ex.id, current_user, form.choice.data)
    except svc.GovernanceError as exc:
        return _fail(exc, _ex_back(slug, ex))
    flash(_("Your vote is recorded."), "success")
    return redirect(_ex_back(slug, ex))
