"""Bids and balanced assignment: experts bid on materials awaiting review; the coordinator
gets an optimal proposal for every material in review that still needs experts
(:mod:`plugins.expertise.matching`), adjusts it, and confirms it through :func:`assign`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core.api import Association, User, db, sort_by, utcnow
from plugins.expertise.matching import affinity, solve
from plugins.expertise.models import (
    Assignment,
    AssignmentStatus,
    Bid,
    BidValue,
    Conflict,
    Review,
    Submission,
    SubmissionState,
)
from plugins.expertise.services.access import is_author
from plugins.expertise.services.experts import (
    assign,
    conflict_reason,
    expert_candidates,
    is_expert,
)
from plugins.expertise.services.rubric import ACTIVE_ASSIGNMENT, WorkflowError, settings_for

BIDS: dict[str, Any] = {
    BidValue.EAGER: _l("Eager to review"),
    BidValue.WILLING: _l("Willing to review"),
    BidValue.NOT_WILLING: _l("Not willing to review"),
}

#: Names of the affinity parts as the preview shows them.
PARTS: dict[str, Any] = {
    "subject": _l("subject"),
    "language": _l("language"),
    "grades": _l("grades"),
    "eager": _l("bid: eager"),
    "willing": _l("bid: willing"),
}

#: Materials experts may bid on: submitted, being screened or in review.
AWAITING = (SubmissionState.SUBMITTED, SubmissionState.SCREENING, SubmissionState.IN_REVIEW)


def bid_materials(association: Association, user: User) -> list[tuple[Submission, str, Any]]:
    """Materials awaiting review that ``user`` did not write: (material, bid, conflict)."""
    subs = db.session.scalars(
        select(Submission)
        .where(Submission.association_id == association.id, Submission.state.in_(AWAITING))
        .options(
            selectinload(Submission.author),
            selectinload(Submission.coauthors),
            selectinload(Submission.subject),
        )
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    subs = [s for s in subs if user.id not in s.author_ids]
    ids = [s.id for s in subs]
    bids = (
        dict(
            db.session.execute(
                select(Bid.submission_id, Bid.value).where(
                    Bid.expert_id == user.id, Bid.submission_id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    declared = (
        set(
            db.session.scalars(
                select(Conflict.submission_id).where(
                    Conflict.expert_id == user.id, Conflict.submission_id.in_(ids)
                )
            )
        )
        if ids
        else set()
    )
    return [
        (s, bids.get(s.id, ""), conflict_reason(user, s, {user.id} if s.id in declared else set()))
        for s in subs
    ]


def set_bid(sub: Submission, user: User, value: str) -> None:
    """Record (or with ``""`` withdraw) ``user``'s bid on ``sub``."""
    if not is_expert(user, sub.association):
        raise WorkflowError(_l("Only experts of the association may bid."))
    if is_author(user, sub):
        raise WorkflowError(_l("Authors cannot review their own material."))
    if sub.state not in AWAITING:
        raise WorkflowError(_l("This material no longer awaits review."))
    if value and value not in BIDS:
        raise WorkflowError(_l("Choose one of the offered answers."))
    bid = db.session.scalar(
        select(Bid).where(Bid.submission_id == sub.id, Bid.expert_id == user.id)
    )
    if not value:
        if bid is not None:
            db.session.delete(bid)
        return
    if bid is None:
        db.session.add(Bid(submission_id=sub.id, expert_id=user.id, value=value))
    else:
        bid.value = value
        bid.updated_at = utcnow()


def bids_for(sub: Submission) -> list[Bid]:
    """Every bid on ``sub`` (for the coordinators), eager first."""
    order = {BidValue.EAGER: 0, BidValue.WILLING: 1, BidValue.NOT_WILLING: 2}
    rows = db.session.scalars(
        select(Bid).where(Bid.submission_id == sub.id).options(selectinload(Bid.expert))
    ).all()
    return sorted(rows, key=lambda b: (order.get(b.value, 3), b.expert.full_name))


@dataclass
class Candidate:
    expert: User
    points: int
    parts: tuple[str, ...]
    load: int
    bid: str


@dataclass
class Row:
    sub: Submission
    need: int
    proposed: list[Candidate] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)  # every allowed expert
    short: Any = None  # a message when the need cannot be met


@dataclass
class Proposal:
    rows: list[Row]
    cap: int
    loads: dict[int, int]
    skipped: list[Submission]  # materials the coordinator wrote: another one handles them

    @property
    def pairs(self) -> int:
        return sum(len(r.proposed) for r in self.rows)


def batch(association: Association, actor: User) -> tuple[list[Submission], list[Submission]]:
    """Materials in review here, and those of them ``actor`` wrote (left out)."""
    subs = db.session.scalars(
        select(Submission)
        .where(
            Submission.association_id == association.id,
            Submission.state == SubmissionState.IN_REVIEW,
        )
        .options(
            selectinload(Submission.author),
            selectinload(Submission.coauthors),
            selectinload(Submission.subject),
        )
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    mine = [s for s in subs if actor.id in s.author_ids]
    return [s for s in subs if actor.id not in s.author_ids], mine


def propose(association: Association, actor: User, locale: str = "kk") -> Proposal:
    """The optimal proposal for every material in review that still needs experts."""
    st = settings_for(association)
    subs, skipped = batch(association, actor)
    experts = sort_by(expert_candidates(association), lambda u: u.full_name, locale)
    ids = [u.id for u in experts]
    loads: dict[int, int] = {}
    if ids:
        loads = dict(
            db.session.execute(
                select(Assignment.expert_id, func.count(Assignment.id))
                .where(Assignment.expert_id.in_(ids), Assignment.status.in_(ACTIVE_ASSIGNMENT))
                .group_by(Assignment.expert_id)
            ).all()
        )
    sub_ids = [s.id for s in subs]
    in_round: set[tuple[int, int]] = set()
    bids: dict[tuple[int, int], str] = {}
    declared: dict[int, set[int]] = {}
    if sub_ids:
        for sid, eid, rnd in db.session.execute(
            select(Assignment.submission_id, Assignment.expert_id, Assignment.round).where(
                Assignment.submission_id.in_(sub_ids),
                Assignment.status.in_((*ACTIVE_ASSIGNMENT, AssignmentStatus.DONE)),
            )
        ):
            in_round.add((sid, eid, rnd))
        for sid, eid, value in db.session.execute(
            select(Bid.submission_id, Bid.expert_id, Bid.value).where(
                Bid.submission_id.in_(sub_ids)
            )
        ):
            bids[(sid, eid)] = value
        for sid, eid in db.session.execute(
            select(Conflict.submission_id, Conflict.expert_id).where(
                Conflict.submission_id.in_(sub_ids)
            )
        ):
            declared.setdefault(sid, set()).add(eid)
    history = _history(ids)
    demand: dict[int, int] = {}
    scores: dict[tuple[int, int], int] = {}
    parts: dict[tuple[int, int], tuple[str, ...]] = {}
    excluded: dict[int, dict[str, int]] = {}
    for s in subs:
        active = sum(1 for (sid, _, rnd) in in_round if sid == s.id and rnd == s.round)
        demand[s.id] = max(st.experts_per_round - active, 0)
        why = excluded.setdefault(s.id, {"conflict": 0, "not_willing": 0, "full": 0})
        for u in experts:
            if (s.id, u.id, s.round) in in_round:
                continue
            if conflict_reason(u, s, declared.get(s.id, set())) is not None:
                why["conflict"] += 1
                continue
            bid = bids.get((s.id, u.id))
            if bid == BidValue.NOT_WILLING:
                why["not_willing"] += 1
                continue
            if loads.get(u.id, 0) >= st.load_cap:
                why["full"] += 1
            langs, grades = history.get(u.id, (set(), []))
            points, names = affinity(
                subject=s.subject_id is not None and any(x.id == s.subject_id for x in u.subjects),
                language=u.locale == s.language or s.language in langs,
                grades=any(lo <= s.grade_to and s.grade_from <= hi for lo, hi in grades),
                bid=bid,
            )
            scores[(s.id, u.id)] = points
            parts[(s.id, u.id)] = names
    free = {u.id: max(st.load_cap - loads.get(u.id, 0), 0) for u in experts}
    solution = solve(demand, free, scores, loads)
    by_id = {u.id: u for u in experts}
    rows = []
    for s in subs:
        if demand[s.id] == 0:
            continue

        def cand(eid: int, s=s) -> Candidate:
            return Candidate(
                by_id[eid],
                scores[(s.id, eid)],
                parts[(s.id, eid)],
                loads.get(eid, 0),
                bids.get((s.id, eid), ""),
            )

        row = Row(s, demand[s.id])
        row.proposed = sorted(
            (cand(e) for (m, e) in solution.pairs if m == s.id),
            key=lambda c: (-c.points, c.expert.full_name),
        )
        row.candidates = [cand(u.id) for u in experts if (s.id, u.id) in scores]
        if s.id in solution.short:
            why = excluded[s.id]
            row.short = _l(
                "“%(title)s” still needs %(n)s of %(k)s experts: %(conflict)s excluded for a "
                "conflict of interest, %(unwilling)s not willing, %(full)s at the load cap of "
                "%(cap)s.",
                title=s.title,
                n=solution.short[s.id],
                k=demand[s.id],
                conflict=why["conflict"],
                unwilling=why["not_willing"],
                full=why["full"],
                cap=st.load_cap,
            )
        rows.append(row)
    return Proposal(rows, st.load_cap, loads, skipped)


def _history(ids: list[int]) -> dict[int, tuple[set[str], list[tuple[int, int]]]]:
    """Per expert: languages of materials reviewed, grade ranges written or reviewed."""
    out: dict[int, tuple[set[str], list[tuple[int, int]]]] = {}
    if not ids:
        return out
    for eid, lang, lo, hi in db.session.execute(
        select(Review.expert_id, Submission.language, Submission.grade_from, Submission.grade_to)
        .join(Submission, Submission.id == Review.submission_id)
        .where(Review.expert_id.in_(ids))
    ):
        langs, grades = out.setdefault(eid, (set(), []))
        langs.add(lang)
        grades.append((lo, hi))
    for eid, lo, hi in db.session.execute(
        select(Submission.author_id, Submission.grade_from, Submission.grade_to).where(
            Submission.author_id.in_(ids),
            or_(Submission.published_at.is_not(None), Submission.round > 0),
        )
    ):
        out.setdefault(eid, (set(), []))[1].append((lo, hi))
    return out


def confirm(
    association: Association, actor: User, chosen: dict[int, list[int]], locale: str = "kk"
) -> tuple[int, list[Any]]:
    """Invite the chosen experts (material id -> expert ids) through :func:`assign`.

    Every choice is checked before anything is written: the expert must be one the proposal
    allowed for the material, not chosen twice for it, and within the load cap counting the
    new invitations. Returns (invitations sent, errors); with errors nothing is written.
    """
    proposal = propose(association, actor, locale)
    rows = {r.sub.id: r for r in proposal.rows}
    errors: list[Any] = []
    new: dict[int, int] = {}
    names: dict[int, str] = {}
    for sid, eids in chosen.items():
        row = rows.get(sid)
        if row is None:
            if eids:
                errors.append(_l("A material of the proposal no longer needs experts."))
            continue
        allowed = {c.expert.id: c.expert for c in row.candidates}
        if len(eids) > row.need:
            errors.append(
                _l("“%(title)s” needs only %(n)s experts.", title=row.sub.title, n=row.need)
            )
        if len(set(eids)) != len(eids):
            errors.append(_l("An expert is chosen twice for “%(title)s”.", title=row.sub.title))
        for eid in eids:
            if eid not in allowed:
                errors.append(
                    _l("An expert chosen for “%(title)s” may not review it.", title=row.sub.title)
                )
                continue
            new[eid] = new.get(eid, 0) + 1
            names[eid] = allowed[eid].full_name
    for eid, n in new.items():
        total = proposal.loads.get(eid, 0) + n
        if total > proposal.cap:
            errors.append(
                _l(
                    "%(name)s would have %(n)s open assignments, more than the cap of %(cap)s.",
                    name=names[eid],
                    n=total,
                    cap=proposal.cap,
                )
            )
    if errors:
        return 0, errors
    sent = 0
    experts = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(new))))}
    try:
        for sid, eids in chosen.items():
            for eid in dict.fromkeys(eids):
                assign(rows[sid].sub, experts[eid], actor)
                sent += 1
    except WorkflowError as exc:
        db.session.rollback()
        return 0, [exc.args[0] if exc.args else str(exc)]
    return sent, []
