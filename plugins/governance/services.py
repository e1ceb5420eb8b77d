"""Governance rules and state changes: quorum, computed decisions, minutes, elections,
petitions, exclusion. Views and jobs call these; every write that two people could race on
runs under :func:`core.api.locking.run_locked` with the checked rows locked."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from core.api import (
    Association,
    Membership,
    Role,
    User,
    associations,
    certificates,
    db,
    locking,
    notify,
    permissions,
    plugin_gate,
    site_date,
    site_request_context,
    to_local,
    utcnow,
)
from plugins.governance.models import (
    AgendaItem,
    BallotCast,
    Candidate,
    Election,
    Exclusion,
    ExclusionVote,
    GeneralMeeting,
    GovernanceSettings,
    MeetingAttendance,
    Minutes,
    Office,
    Petition,
    Signature,
    Tally,
    Vote,
)

PLUGIN = "governance"

KIND_LABELS = {"regular": _l("Regular"), "extraordinary": _l("Extraordinary")}
MODE_LABELS = {"in_person": _l("In person"), "online": _l("Online"), "hybrid": _l("Hybrid")}
STATE_LABELS = {"planned": _l("Planned"), "open": _l("In progress"), "closed": _l("Closed")}
CHOICE_LABELS = {"for": _l("For"), "against": _l("Against"), "abstain": _l("Abstain")}
HOW_LABELS = {
    "secretary": _l("marked by the secretary"),
    "code": _l("checked in with the code"),
    "online": _l("confirmed online"),
}
POSITION_LABELS = {
    "chair": _l("Chair"),
    "council": _l("Council member"),
    "coordinator": _l("Coordinator of a subject group"),
    "regional_rep": _l("Regional representative"),
}
#: The core role an elected person takes for the term (None: the office only).
POSITION_ROLES = {"chair": Role.LEADER, "coordinator": Role.COORDINATOR}
ELECTION_STATE_LABELS = {
    "nominating": _l("Nominations"),
    "voting": _l("Voting"),
    "closed": _l("Closed"),
}
CANDIDATE_STATE_LABELS = {
    "nominated": _l("waiting for acceptance"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
}
TERM_NOTICE_DAYS = 30


class GovernanceError(Exception):
    """A rule refused the change; the message is shown to the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


# --- roles ------------------------------------------------------------------------------------


def _auth(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_chair(user: Any, association: Association) -> bool:
    return _auth(user) and permissions.has_role(user, association, Role.LEADER)


def is_secretary(user: Any, association: Association) -> bool:
    return _auth(user) and permissions.has_role(user, association, Role.SECRETARY)


def may_manage(user: Any, association: Association) -> bool:
    """Convene and run meetings, elections and proposals: the leader, the secretary, or an
    administrator over the association."""
    if not _auth(user):
        return False
    return permissions.has_role(
        user, association, Role.LEADER, Role.SECRETARY
    ) or permissions.administers(user, association)


def may_view(user: Any, association: Association) -> bool:
    """Meetings, elections and proposals of the association: its members and administrators."""
    return _auth(user) and (
        permissions.is_member(user, association) or permissions.administers(user, association)
    )


def is_voting_member(user: Any, association: Association | int) -> bool:
    """A member who may vote: every role but the non-voting ``participant``."""
    m = permissions.membership(user, association) if _auth(user) else None
    return m is not None and m.role != Role.PARTICIPANT.value


def member_users(association: Association) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.association_id == association.id)
            .order_by(User.full_name)
        )
    )


def voting_member_users(association: Association) -> list[User]:
    """The members who may vote (every role but ``participant``), in one query."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.association_id == association.id,
                Membership.role != Role.PARTICIPANT.value,
            )
            .order_by(User.full_name)
        )
    )


def voting_members_count(association_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.association_id == association_id,
                Membership.role != Role.PARTICIPANT.value,
            )
        )
        or 0
    )


def voting_ids(association_id: int, user_ids) -> set[int]:
    ids = set(user_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.association_id == association_id,
                Membership.user_id.in_(ids),
                Membership.role != Role.PARTICIPANT.value,
            )
        )
    )


def settings_for(association: Association | int) -> GovernanceSettings:
    aid = getattr(association, "id", association)
    row = db.session.scalar(
        select(GovernanceSettings).where(GovernanceSettings.association_id == aid)
    )
    if row is None:
        row = GovernanceSettings(
            association_id=aid,
            notice_days=14,
            meetings_per_year=1,
            quorum_num=1,
            quorum_den=2,
            decision_num=2,
            decision_den=3,
            petition_num=1,
            petition_den=4,
            chair_term_months=12,
            council_term_months=12,
            council_min=15,
            minutes_public=False,
        )
    return row


# --- meetings and attendance ------------------------------------------------------------------


def new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


def create_meeting(association: Association, actor: User, *, items, **fields) -> GeneralMeeting:
    meeting = GeneralMeeting(
        association_id=association.id,
        created_by_id=actor.id,
        checkin_code=new_code(),
        **fields,
    )
    db.session.add(meeting)
    for pos, (title, motion, ballot, deadline) in enumerate(items, start=1):
        meeting.items.append(
            AgendaItem(
                position=pos,
                title=title,
                motion=motion or "",
                ballot=ballot if motion else "open",
                ballot_deadline=deadline if motion and ballot == "online" else None,
                vote_state="open" if motion and ballot == "online" else "none",
            )
        )
    if meeting.kind == "extraordinary":
        petition = open_petition(association)
        if petition is not None and petition.state == "reached":
            db.session.flush()
            petition.state = "convened"
            petition.meeting_id = meeting.id
    return meeting


@dataclass
class Quorum:
    present: int  # everyone present, non-voting participants included
    present_voting: int
    voting: int  # voting members of the association
    needed: int  # the smallest number of voting members present that makes the quorum
    reached: bool


def quorum_needed(voting: int, settings: GovernanceSettings) -> int:
    """Strictly more than num/den of the voting members."""
    return voting * settings.quorum_num // settings.quorum_den + 1


def quorum_of(meeting: GeneralMeeting) -> Quorum:
    ids = [a.user_id for a in meeting.attendance]
    present_voting = len(voting_ids(meeting.association_id, ids))
    voting = voting_members_count(meeting.association_id)
    needed = quorum_needed(voting, settings_for(meeting.association_id))
    return Quorum(len(ids), present_voting, voting, needed, voting > 0 and present_voting >= needed)


def is_present(meeting: GeneralMeeting, user: Any) -> bool:
    return _auth(user) and any(a.user_id == user.id for a in meeting.attendance)


def mark_present(
    meeting: GeneralMeeting, user_ids, how: str, now: dt.datetime | None = None
) -> int:
    """Add attendance for members of the association not yet marked; returns how many."""
    members = set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.association_id == meeting.association_id,
                Membership.user_id.in_(set(user_ids)),
            )
        )
    )
    have = {a.user_id for a in meeting.attendance}
    added = 0
    for uid in sorted(members - have):
        db.session.add(
            MeetingAttendance(meeting_id=meeting.id, user_id=uid, how=how, at=now or utcnow())
        )
        added += 1
    if added:
        try:
            db.session.flush()
        except IntegrityError:  # someone else marked them at the same moment
            db.session.rollback()
            return 0
    db.session.expire(meeting, ["attendance"])
    return added


def check_in(
    meeting: GeneralMeeting, user: User, code: str, now: dt.datetime | None = None
) -> None:
    if meeting.state == "closed":
        raise GovernanceError(_l("The meeting is closed."))
    if permissions.membership(user, meeting.association_id) is None:
        raise GovernanceError(_l("Only members of the association check in."))
    if re.sub(r"\s", "", code or "").upper() != meeting.checkin_code:
        raise GovernanceError(_l("This is not the meeting's code."))
    mark_present(meeting, [user.id], "code", now)


def confirm_online(meeting: GeneralMeeting, user: User, now: dt.datetime | None = None) -> None:
    if permissions.membership(user, meeting.association_id) is None:
        raise GovernanceError(_l("Only members of the association check in."))
    if meeting.mode == "in_person":
        raise GovernanceError(_l("This meeting is held in person only."))
    if meeting.state != "open":
        raise GovernanceError(_l("Online attendance is confirmed while the meeting is open."))
    mark_present(meeting, [user.id], "online", now)


def open_meeting(meeting: GeneralMeeting, now: dt.datetime | None = None) -> Quorum:
    if meeting.state != "planned":
        raise GovernanceError(_l("The meeting has already been opened."))
    q = quorum_of(meeting)
    meeting.state = "open"
    meeting.opened_at = now or utcnow()
    meeting.quorum_present = q.present_voting
    meeting.quorum_voting = q.voting
    meeting.quorum_reached = q.reached
    return q


def close_meeting(meeting: GeneralMeeting, now: dt.datetime | None = None) -> None:
    if meeting.state != "open":
        raise GovernanceError(_l("Only a meeting in progress can be closed."))
    now = now or utcnow()
    for item in meeting.items:  # the meeting's end closes every vote, online ballots too
        if item.vote_state == "open":
            close_vote(item, now)
    meeting.state = "closed"
    meeting.closed_at = now
    ensure_minutes(meeting)


# --- open votes on motions --------------------------------------------------------------------


def vote_counts(item: AgendaItem) -> dict[str, int]:
    rows = db.session.execute(
        select(Vote.choice, func.count(Vote.id))
        .where(Vote.item_id == item.id)
        .group_by(Vote.choice)
    ).all()
    counts = {"for": 0, "against": 0, "abstain": 0}
    counts.update({c: n for c, n in rows})
    return counts


def decision_passes(votes_for: int, present_voting: int, settings: GovernanceSettings) -> bool:
    """At least decision_num/decision_den of the voting members present vote for."""
    return present_voting > 0 and votes_for * settings.decision_den >= (
        present_voting * settings.decision_num
    )


def present_for_item(item: AgendaItem) -> int:
    """Voting members present for a motion: those at the meeting, plus those who voted online
    without being there."""
    meeting = item.meeting
    present = {a.user_id for a in meeting.attendance}
    online = set(db.session.scalars(select(Vote.user_id).where(Vote.item_id == item.id)))
    return len(voting_ids(meeting.association_id, present | online))


def may_vote(user: Any, item: AgendaItem, now: dt.datetime | None = None) -> bool:
    meeting = item.meeting
    if not item.motion or item.vote_state != "open" or meeting.state == "closed":
        return False
    if not is_voting_member(user, meeting.association_id):
        return False
    if item.ballot == "online":
        return (now or utcnow()) < item.ballot_deadline if item.ballot_deadline else True
    return meeting.state == "open" and is_present(meeting, user)


def my_vote(item: AgendaItem, user: Any) -> str | None:
    if not _auth(user):
        return None
    return db.session.scalar(
        select(Vote.choice).where(Vote.item_id == item.id, Vote.user_id == user.id)
    )


def start_vote(item: AgendaItem) -> None:
    if not item.motion:
        raise GovernanceError(_l("This agenda item has no motion to vote on."))
    if item.meeting.state != "open" or item.vote_state != "none":
        raise GovernanceError(_l("The vote cannot be started now."))
    item.vote_state = "open"


def cast_vote(item_id: int, user: User, choice: str, now: dt.datetime | None = None) -> None:
    """Record ``user``'s vote once, under the write lock (row lock on PostgreSQL)."""
    if choice not in CHOICE_LABELS:
        raise GovernanceError(_l("Choose for, against or abstain."))

    def work():
        item = db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.id == item_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        db.session.refresh(item.meeting)
        if not may_vote(user, item, now):
            raise GovernanceError(_l("You cannot vote on this motion."))
        if my_vote(item, user) is not None:
            raise GovernanceError(_l("You have already voted on this motion."))
        db.session.add(
            Vote(
                item_id=item.id,
                user_id=user.id,
                choice=choice,
                online=item.ballot == "online" and not is_present(item.meeting, user),
                cast_at=now or utcnow(),
            )
        )
        db.session.flush()

    try:
        locking.run_locked(work)
    except IntegrityError:
        db.session.rollback()
        raise GovernanceError(_l("You have already voted on this motion.")) from None


def close_vote(item: AgendaItem, now: dt.datetime | None = None) -> None:
    """Count the votes and compute the decision; nobody types a result."""
    if item.vote_state != "open":
        raise GovernanceError(_l("This vote is not open."))
    counts = vote_counts(item)
    item.votes_for = counts["for"]
    item.votes_against = counts["against"]
    item.votes_abstain = counts["abstain"]
    item.present_voting = present_for_item(item)
    item.passed = decision_passes(
        item.votes_for, item.present_voting, settings_for(item.meeting.association_id)
    )
    item.vote_state = "closed"


def close_due_ballots(now: dt.datetime) -> int:
    with site_request_context():
        return _close_due_ballots(now)


def _close_due_ballots(now: dt.datetime) -> int:
    """Job: close online ballots whose deadline has passed."""
    items = db.session.scalars(
        select(AgendaItem).where(
            AgendaItem.vote_state == "open",
            AgendaItem.ballot == "online",
            AgendaItem.ballot_deadline <= now,
        )
    ).all()
    for item in items:
        close_vote(item, now)
    elections = db.session.scalars(
        select(Election).where(Election.state == "voting", Election.deadline <= now)
    ).all()
    for election in elections:
        close_election(election, None, now)
    db.session.commit()
    return len(items) + len(elections)


# --- notices ----------------------------------------------------------------------------------


def meeting_url(meeting: GeneralMeeting) -> str:
    return url_for("governance.meeting", slug=meeting.association.slug, meeting_id=meeting.id)


def send_notices(now: dt.datetime) -> int:
    with site_request_context():
        return _send_notices(now)


def _send_notices(now: dt.datetime) -> int:
    """Job: the notice with the agenda, ``notice_days`` before the meeting (once)."""
    meetings = db.session.scalars(
        select(GeneralMeeting).where(
            GeneralMeeting.notice_sent_at.is_(None),
            GeneralMeeting.state == "planned",
            GeneralMeeting.starts_at > now,
        )
    ).all()
    sent = 0
    for meeting in meetings:
        if not plugin_gate.is_enabled(PLUGIN, meeting.association_id):
            continue
        days = settings_for(meeting.association_id).notice_days
        if meeting.starts_at - dt.timedelta(days=days) > now:
            continue
        send_notice(meeting, now)
        sent += 1
    db.session.commit()
    return sent


def send_notice(meeting: GeneralMeeting, now: dt.datetime | None = None) -> None:
    when = to_local(meeting.starts_at).strftime("%d.%m.%Y %H:%M")
    agenda = [f"{i.position}. {i.title}" for i in meeting.items]
    where = meeting.place or meeting.link

    def title():
        return _("General meeting on %(when)s: %(title)s", when=when, title=meeting.title)

    def body():
        lines = [_("Agenda:"), *agenda]
        if where:
            lines.append(_("Place: %(place)s", place=where))
        return "\n".join(lines)

    notify(
        member_users(meeting.association),
        "governance.notice",
        title,
        body,
        meeting_url(meeting),
        meeting.association,
        now=now,
    )
    meeting.notice_sent_at = now or utcnow()


# --- minutes ----------------------------------------------------------------------------------


def generate_minutes_text(meeting: GeneralMeeting) -> str:
    q_present = meeting.quorum_present
    q_voting = meeting.quorum_voting
    if q_present is None:
        q = quorum_of(meeting)
        q_present, q_voting = q.present_voting, q.voting
    present = sorted(meeting.attendance, key=lambda a: a.user.full_name)
    voting = voting_ids(meeting.association_id, [a.user_id for a in present])
    lines = [
        f"# {meeting.title}",
        "",
        _(
            "%(kind)s general meeting, %(when)s.",
            kind=KIND_LABELS[meeting.kind],
            when=to_local(meeting.starts_at).strftime("%d.%m.%Y %H:%M"),
        ),
    ]
    if meeting.place or meeting.link:
        lines.append(_("Place: %(place)s", place=meeting.place or meeting.link))
    lines += ["", "## " + _("Agenda"), ""]
    lines += [f"{i.position}. {i.title}" for i in meeting.items]
    lines += ["", "## " + _("Attendance and quorum"), ""]
    lines.append(
        _(
            "Present: %(present)s voting members of %(voting)s; quorum %(state)s.",
            present=q_present,
            voting=q_voting,
            state=_("reached") if meeting.quorum_reached else _("not reached"),
        )
    )
    lines.append("")
    for a in present:
        note = "" if a.user_id in voting else " (" + _("non-voting") + ")"
        lines.append(f"- {a.user.full_name}{note}")
    lines += ["", "## " + _("Decisions"), ""]
    for item in meeting.items:
        lines.append(f"### {item.position}. {item.title}")
        if not item.motion:
            lines += [_("Discussed; no vote."), ""]
            continue
        lines.append(_("Motion: %(motion)s", motion=item.motion))
        if item.vote_state != "closed":
            lines += [_("Not voted on."), ""]
            continue
        lines.append(
            _(
                "For: %(for)s, against: %(against)s, abstained: %(abstain)s, "
                "voting members present: %(present)s.",
                **{"for": item.votes_for, "against": item.votes_against},
                abstain=item.votes_abstain,
                present=item.present_voting,
            )
        )
        lines += [_("Decision: adopted.") if item.passed else _("Decision: not adopted."), ""]
    return "\n".join(lines).strip() + "\n"


def ensure_minutes(meeting: GeneralMeeting) -> Minutes:
    minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))
    if minutes is None:
        minutes = Minutes(
            meeting_id=meeting.id,
            body=generate_minutes_text(meeting),
            public=settings_for(meeting.association_id).minutes_public,
        )
        db.session.add(minutes)
    return minutes


def minutes_of(meeting: GeneralMeeting) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def edit_minutes(minutes: Minutes, body: str, now: dt.datetime | None = None) -> None:
    """A new text needs new approvals: an edit clears them."""
    if minutes.frozen_at:
        raise GovernanceError(_l("Approved minutes are frozen and cannot be edited."))
    minutes.body = body
    minutes.edited_at = now or utcnow()
    minutes.chair_id = minutes.secretary_id = None
    minutes.chair_approved_at = minutes.secretary_approved_at = None
    minutes.chair_name = minutes.secretary_name = ""


def approve_minutes(minutes: Minutes, user: User, now: dt.datetime | None = None) -> None:
    association = minutes.meeting.association
    now = now or utcnow()
    if minutes.frozen_at:
        raise GovernanceError(_l("The minutes are already approved."))
    if is_chair(user, association):
        minutes.chair_id, minutes.chair_name, minutes.chair_approved_at = (
            user.id,
            user.full_name,
            now,
        )
    elif is_secretary(user, association):
        minutes.secretary_id, minutes.secretary_name, minutes.secretary_approved_at = (
            user.id,
            user.full_name,
            now,
        )
    else:
        raise GovernanceError(_l("Only the chair and the secretary approve the minutes."))
    if minutes.chair_approved_at and minutes.secretary_approved_at:
        minutes.frozen_at = now
        minutes.code = certificates.new_code()


def minutes_by_code(code: str) -> Minutes | None:
    normal = certificates.normalize_code(code)
    return db.session.scalar(
        select(Minutes).where(Minutes.code == normal, Minutes.frozen_at.is_not(None))
    )


def may_read_minutes(user: Any, minutes: Minutes) -> bool:
    association = minutes.meeting.association
    if may_manage(user, association):
        return True
    if not minutes.frozen_at:
        return False
    return minutes.public or may_view(user, association)


def _pdf_line(text: str) -> tuple[str, int, bool]:
    if text.startswith("### "):
        return text[4:], 12, True
    if text.startswith("## "):
        return text[3:], 13, True
    if text.startswith("# "):
        return text[2:], 16, True
    return text.replace("**", ""), 11, False


def minutes_pdf(minutes: Minutes) -> bytes:
    from fpdf import FPDF

    font_dir = certificates.FONT_DIR
    meeting = minutes.meeting
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_title(_("Minutes") + " " + meeting.title)
    pdf.add_font("DejaVu", "", str(font_dir / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(font_dir / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, meeting.association.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, _("MINUTES"), align="C", new_x="LMARGIN", new_y="NEXT")
    for raw in minutes.body.splitlines():
        text, size, bold = _pdf_line(raw.rstrip())
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.5, text or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    for label, name, at in (
        (_("Chair"), minutes.chair_name, minutes.chair_approved_at),
        (_("Secretary"), minutes.secretary_name, minutes.secretary_approved_at),
    ):
        when = to_local(at).strftime("%d.%m.%Y %H:%M") if at else ""
        pdf.multi_cell(
            0,
            6,
            _("%(label)s: %(name)s, approved %(when)s", label=label, name=name, when=when),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if minutes.code:
        url = url_for("governance.verify", code=minutes.code, _external=True)
        pdf.ln(2)
        pdf.multi_cell(
            0,
            6,
            _("Verification code: %(code)s", code=minutes.code),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.cell(0, 6, url, link=url)
    return bytes(pdf.output())


# --- offices and elections --------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_offices(association: Association | int, today: dt.date | None = None) -> list[Office]:
    aid = getattr(association, "id", association)
    today = today or site_date()
    return list(
        db.session.scalars(
            select(Office)
            .where(Office.association_id == aid, Office.ends_on >= today, Office.starts_on <= today)
            .order_by(Office.position, Office.ends_on)
        )
    )


def council_ids(association: Association) -> set[int]:
    """Who decides exclusions: the council in office; without one, the leaders."""
    today = site_date()
    ids = set(
        db.session.scalars(
            select(Office.user_id)
            .join(
                Membership,
                (Membership.user_id == Office.user_id)
                & (Membership.association_id == Office.association_id),
            )
            .where(
                Office.association_id == association.id,
                Office.position == "council",
                Office.starts_on <= today,
                Office.ends_on >= today,
            )
        )
    )
    if ids:
        return ids
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.association_id == association.id,
                Membership.role == Role.LEADER.value,
            )
        )
    )


def nominate(election: Election, candidate: User, actor: User) -> Candidate:
    if election.state != "nominating":
        raise GovernanceError(_l("Nominations are closed."))
    if not is_voting_member(candidate, election.association_id):
        raise GovernanceError(_l("Only a voting member can be a candidate."))
    exists = db.session.scalar(
        select(Candidate).where(
            Candidate.election_id == election.id, Candidate.user_id == candidate.id
        )
    )
    if exists is not None:
        raise GovernanceError(_l("This member is already nominated."))
    c = Candidate(
        election_id=election.id,
        user_id=candidate.id,
        nominated_by_id=actor.id,
        state="accepted" if candidate.id == actor.id else "nominated",
    )
    db.session.add(c)
    db.session.flush()
    if candidate.id != actor.id:
        notify(
            candidate,
            "governance.election",
            lambda: _(
                "You are nominated for %(position)s: please accept or decline",
                position=POSITION_LABELS[election.position],
            ),
            "",
            election_url(election),
            election.association,
        )
    return c


def election_url(election: Election) -> str:
    return url_for("governance.election", slug=election.association.slug, election_id=election.id)


def answer_nomination(c: Candidate, user: User, accept: bool) -> None:
    if c.user_id != user.id or c.election.state != "nominating":
        raise GovernanceError(_l("This nomination cannot be answered now."))
    c.state = "accepted" if accept else "declined"


def start_election_voting(election: Election, deadline: dt.datetime | None) -> None:
    accepted = [c for c in election.candidates if c.state == "accepted"]
    if election.state != "nominating":
        raise GovernanceError(_l("The voting has already started."))
    if not accepted:
        raise GovernanceError(_l("There is no accepted candidate yet."))
    election.state = "voting"
    election.deadline = deadline
    for c in accepted:
        db.session.add(Tally(candidate_id=c.id, votes=0))
    notify(
        voting_member_users(election.association),
        "governance.election",
        lambda: _("Secret ballot open: %(position)s", position=POSITION_LABELS[election.position]),
        "",
        election_url(election),
        election.association,
    )


def has_cast(election: Election, user: Any) -> bool:
    return _auth(user) and (
        db.session.scalar(
            select(BallotCast.id).where(
                BallotCast.election_id == election.id, BallotCast.user_id == user.id
            )
        )
        is not None
    )


def may_cast(user: Any, election: Election, now: dt.datetime | None = None) -> bool:
    if election.state != "voting" or not is_voting_member(user, election.association_id):
        return False
    return election.deadline is None or (now or utcnow()) < election.deadline


def cast_ballot(
    election_id: int, user: User, candidate_ids, now: dt.datetime | None = None
) -> None:
    """A secret ballot: mark that ``user`` voted, add one to each chosen candidate's tally.
    Nothing written links the two."""
    chosen = {int(c) for c in candidate_ids}

    def work():
        election = db.session.scalars(
            select(Election)
            .where(Election.id == election_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if not may_cast(user, election, now):
            raise GovernanceError(_l("You cannot vote in this election."))
        allowed = {c.id for c in election.candidates if c.state == "accepted"}
        if not chosen <= allowed:
            raise GovernanceError(_l("Choose among the candidates."))
        if len(chosen) > election.seats:
            raise GovernanceError(_l("Choose at most %(n)s candidates.", n=election.seats))
        if has_cast(election, user):
            raise GovernanceError(_l("You have already voted in this election."))
        db.session.add(BallotCast(election_id=election.id, user_id=user.id))
        db.session.flush()
        if chosen:
            db.session.execute(
                update(Tally).where(Tally.candidate_id.in_(chosen)).values(votes=Tally.votes + 1)
            )

    try:
        locking.run_locked(work)
    except IntegrityError:
        db.session.rollback()
        raise GovernanceError(_l("You have already voted in this election.")) from None


def close_election(election: Election, actor: User | None, now: dt.datetime | None = None) -> None:
    """Count the tallies; the most voted take the seats and the office for the term (and the
    core role that goes with it)."""
    if election.state != "voting":
        raise GovernanceError(_l("The election is not in its voting stage."))
    now = now or utcnow()
    tallies = dict(
        db.session.execute(
            select(Tally.candidate_id, Tally.votes).where(
                Tally.candidate_id.in_([c.id for c in election.candidates])
            )
        ).all()
    )
    election.ballots = (
        db.session.scalar(
            select(func.count(BallotCast.id)).where(BallotCast.election_id == election.id)
        )
        or 0
    )
    ranked = sorted(
        (c for c in election.candidates if c.state == "accepted"),
        key=lambda c: (-tallies.get(c.id, 0), c.user.full_name),
    )
    today = site_date(now)
    ends = add_months(today, election.term_months)
    for c in ranked:
        c.votes = tallies.get(c.id, 0)
    for c in ranked[: election.seats]:
        if not c.votes:
            continue
        c.elected = True
        db.session.add(
            Office(
                association_id=election.association_id,
                user_id=c.user_id,
                position=election.position,
                label=election.label,
                starts_on=today,
                ends_on=ends,
                election_id=election.id,
            )
        )
        role = POSITION_ROLES.get(election.position)
        m = permissions.membership(c.user, election.association)
        if role is not None and m is not None:
            current = Role(m.role)
            if list(Role).index(current) > list(Role).index(role):  # never demote by electing
                associations.change_role(m, role, actor or c.user)
    elected = {c.user_id for c in ranked if c.elected}
    if elected:
        _hand_over(election, elected, today, actor)
    election.state = "closed"
    election.closed_at = now


def _hand_over(election: Election, elected: set[int], today: dt.date, actor: User | None) -> None:
    """The newly elected replace the holders of the same office: their terms end yesterday,
    and a holder who is not re-elected gives back the role that came with the office (the new
    chair is leader already, so the association keeps a leader)."""
    previous = db.session.scalars(
        select(Office).where(
            Office.association_id == election.association_id,
            Office.position == election.position,
            Office.label == election.label,
            Office.ends_on >= today,
            (Office.election_id != election.id) | Office.election_id.is_(None),
        )
    ).all()
    role = POSITION_ROLES.get(election.position)
    for office in previous:
        office.ends_on = today - dt.timedelta(days=1)
        if office.user_id in elected:
            continue
        m = permissions.membership(office.user, election.association)
        if role is not None and m is not None and m.role == role.value:
            with contextlib.suppress(associations.MembershipError):  # the last leader stays
                associations.change_role(m, Role.MEMBER, actor or office.user)


def term_end_notices(now: dt.datetime) -> int:
    with site_request_context():
        return _term_end_notices(now)


def _term_end_notices(now: dt.datetime) -> int:
    """Job: tell the holder and the leaders a month before an office's term ends (once)."""
    today = site_date(now)
    offices = db.session.scalars(
        select(Office).where(
            Office.end_notice_sent.is_(False),
            Office.ends_on <= today + dt.timedelta(days=TERM_NOTICE_DAYS),
            Office.ends_on >= today,
        )
    ).all()
    for office in offices:
        association = db.session.get(Association, office.association_id)
        if not plugin_gate.is_enabled(PLUGIN, association):
            continue
        leaders = associations.managers(association)
        notify(
            [office.user, *leaders],
            "governance.term",
            lambda office=office: _(
                "The term of %(name)s as %(position)s ends on %(date)s",
                name=office.user.full_name,
                position=POSITION_LABELS[office.position],
                date=office.ends_on.strftime("%d.%m.%Y"),
            ),
            "",
            url_for("governance.index", slug=association.slug),
            association,
            now=now,
        )
        office.end_notice_sent = True
    db.session.commit()
    return len(offices)


# --- petitions for an extraordinary meeting ---------------------------------------------------


def open_petition(association: Association) -> Petition | None:
    return db.session.scalar(
        select(Petition)
        .where(Petition.association_id == association.id, Petition.state.in_(("open", "reached")))
        .order_by(Petition.id.desc())
    )


def signatures(petition: Petition) -> int:
    ids = db.session.scalars(select(Signature.user_id).where(Signature.petition_id == petition.id))
    return len(voting_ids(petition.association_id, ids))


def petition_needed(association: Association) -> int:
    s = settings_for(association)
    voting = voting_members_count(association.id)
    return max(1, -(-voting * s.petition_num // s.petition_den))  # ceil


def has_signed(petition: Petition, user: Any) -> bool:
    return _auth(user) and (
        db.session.scalar(
            select(Signature.id).where(
                Signature.petition_id == petition.id, Signature.user_id == user.id
            )
        )
        is not None
    )


def sign_petition(petition_id: int, user: User, now: dt.datetime | None = None) -> None:
    def work():
        petition = db.session.scalars(
            select(Petition)
            .where(Petition.id == petition_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        association = db.session.get(Association, petition.association_id)
        if petition.state not in ("open", "reached"):
            raise GovernanceError(_l("This petition is closed."))
        if not is_voting_member(user, association):
            raise GovernanceError(_l("Only voting members sign a petition."))
        if has_signed(petition, user):
            raise GovernanceError(_l("You have already signed."))
        db.session.add(
            Signature(petition_id=petition.id, user_id=user.id, signed_at=now or utcnow())
        )
        db.session.flush()
        if petition.state == "open" and signatures(petition) >= petition_needed(association):
            petition.state = "reached"
            petition.reached_at = now or utcnow()
            council = [db.session.get(User, uid) for uid in council_ids(association)]
            notify(
                {u.id: u for u in [*associations.managers(association), *council]}.values(),
                "governance.petition",
                lambda: _("A quarter of the members ask for an extraordinary general meeting"),
                petition.reason,
                url_for("governance.index", slug=association.slug),
                association,
                now=now,
            )

    try:
        locking.run_locked(work)
    except IntegrityError:
        db.session.rollback()
        raise GovernanceError(_l("You have already signed.")) from None


# --- exclusion --------------------------------------------------------------------------------


def exclusion_url(ex: Exclusion) -> str:
    association = db.session.get(Association, ex.association_id)
    return url_for("governance.exclusion", slug=association.slug, exclusion_id=ex.id)


def propose_exclusion(
    association: Association, member: User, actor: User, reason: str
) -> Exclusion:
    if permissions.membership(member, association) is None:
        raise GovernanceError(_l("This person is not a member."))
    ex = Exclusion(
        association_id=association.id,
        user_id=member.id,
        member_name=member.full_name,
        reason=reason,
        proposed_by_id=actor.id,
    )
    db.session.add(ex)
    db.session.flush()
    notify(
        member,
        "governance.exclusion",
        lambda: _(
            "Your exclusion from %(association)s is proposed: you may respond",
            association=association.name,
        ),
        reason,
        exclusion_url(ex),
        association,
    )
    return ex


def respond_exclusion(ex: Exclusion, user: User, text: str, now: dt.datetime | None = None) -> None:
    if ex.user_id != user.id or ex.state != "proposed":
        raise GovernanceError(_l("You can respond before the council votes."))
    ex.response = text
    ex.responded_at = now or utcnow()


def open_exclusion_vote(ex: Exclusion) -> None:
    if ex.state != "proposed":
        raise GovernanceError(_l("The council's vote has already started."))
    ex.state = "voting"
    association = db.session.get(Association, ex.association_id)
    notify(
        [db.session.get(User, uid) for uid in council_ids(association)],
        "governance.exclusion",
        lambda: _("The council votes on excluding %(name)s", name=ex.member_name),
        "",
        exclusion_url(ex),
        association,
    )


def may_vote_exclusion(user: Any, ex: Exclusion) -> bool:
    association = db.session.get(Association, ex.association_id)
    return (
        ex.state == "voting"
        and _auth(user)
        and user.id in council_ids(association)
        and (user.id != ex.user_id)
    )


def vote_exclusion(ex_id: int, user: User, choice: str) -> None:
    if choice not in ("for", "against"):
        raise GovernanceError(_l("Choose for or against."))

    def work():
        ex = db.session.scalars(
            select(Exclusion)
            .where(Exclusion.id == ex_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if not may_vote_exclusion(user, ex):
            raise GovernanceError(_l("You cannot vote on this proposal."))
        done = db.session.scalar(
            select(ExclusionVote.id).where(
                ExclusionVote.exclusion_id == ex.id, ExclusionVote.user_id == user.id
            )
        )
        if done is not None:
            raise GovernanceError(_l("You have already voted on this proposal."))
        db.session.add(ExclusionVote(exclusion_id=ex.id, user_id=user.id, choice=choice))
        db.session.flush()

    try:
        locking.run_locked(work)
    except IntegrityError:
        db.session.rollback()
        raise GovernanceError(_l("You have already voted on this proposal.")) from None


def decide_exclusion(ex: Exclusion, actor: User, now: dt.datetime | None = None) -> None:
    """Simple majority of the council: more than half of its members vote to exclude."""
    if ex.state != "voting":
        raise GovernanceError(_l("The council's vote is not open."))
    association = db.session.get(Association, ex.association_id)
    council = council_ids(association) - ({ex.user_id} if ex.user_id else set())
    rows = db.session.execute(
        select(ExclusionVote.choice, func.count(ExclusionVote.id))
        .where(ExclusionVote.exclusion_id == ex.id, ExclusionVote.user_id.in_(council))
        .group_by(ExclusionVote.choice)
    ).all()
    counts = dict(rows)
    ex.votes_for = counts.get("for", 0)
    ex.votes_against = counts.get("against", 0)
    ex.council_size = len(council)
    ex.excluded = ex.votes_for * 2 > len(council)
    ex.state = "decided"
    ex.decided_at = now or utcnow()
    member = db.session.get(User, ex.user_id) if ex.user_id else None
    if member is not None:
        if ex.excluded:
            try:
                associations.exclude_member(association, member, actor, ex.reason)
            except associations.MembershipError as exc:
                raise GovernanceError(exc.message) from None
        notify(
            member,
            "governance.exclusion",
            (
                lambda: _(
                    "The council decided to exclude you from %(association)s",
                    association=association.name,
                )
            )
            if ex.excluded
            else (
                lambda: _(
                    "The council decided not to exclude you from %(association)s",
                    association=association.name,
                )
            ),
            "",
            "",
            association,
        )


def forget_user(user: User) -> None:
    for model in (MeetingAttendance, Vote, Signature, ExclusionVote, Candidate, BallotCast, Office):
        db.session.execute(delete(model).where(model.user_id == user.id))
