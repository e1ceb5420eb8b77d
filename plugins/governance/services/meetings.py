"""General meetings: attendance, the quorum, open votes and online ballots, notices, and the
minutes (generated, edited, approved by the chair and the secretary, frozen, a PDF).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.api import (
    Association,
    Membership,
    User,
    certificates,
    db,
    locking,
    notify,
    permissions,
    plugin_gate,
    site_request_context,
    to_local,
    utcnow,
)
from plugins.governance.models import (
    AgendaItem,
    Election,
    GeneralMeeting,
    GovernanceSettings,
    MeetingAttendance,
    Minutes,
    Vote,
)
from plugins.governance.services.elections import (
    close_election,
)
from plugins.governance.services.members import (
    open_petition,
)
from plugins.governance.services.roles import (
    CHOICE_LABELS,
    KIND_LABELS,
    PLUGIN,
    GovernanceError,
    _auth,
    is_chair,
    is_secretary,
    is_voting_member,
    may_manage,
    may_view,
    member_users,
    settings_for,
    voting_ids,
    voting_members_count,
)


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
