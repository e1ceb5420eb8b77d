"""Governance demo content: a past general meeting of the ШЫҢ network with a quorum, two
motions (one adopted, one not) and approved minutes published to everyone; the republican
association with a council in office and a chair election under way."""

from __future__ import annotations

import datetime as dt

from core.api import db, site_date, utcnow
from plugins.governance import services as svc
from plugins.governance.models import Candidate, Election, MeetingAttendance, Office, Tally, Vote


def build(ctx) -> None:
    now = utcnow()
    _shyn_meeting(ctx, now)
    _rep_council_and_election(ctx, now)


def _shyn_meeting(ctx, now: dt.datetime) -> None:
    association = ctx.associations["shyn-network"]
    secretary = ctx.users["shyn_secretary"]
    leader = ctx.users["shyn_leader"]
    when = (now - dt.timedelta(days=30)).replace(hour=10, minute=0, second=0, microsecond=0)
    meeting = svc.create_meeting(
        association,
        secretary,
        items=[
            ("Желінің 2025–2026 оқу жылындағы жұмысы туралы есеп", "", "open", None),
            (
                "Циклограмма",
                "Бетпе-бет кездесулерді екі айда бір рет, айдың соңғы жұмасында өткізу.",
                "open",
                None,
            ),
            (
                "Ортақ әдістемелік күн",
                "Әр мектепте тоқсан сайын ашық сабақтар күнін өткізу.",
                "open",
                None,
            ),
        ],
        title="ШЫҢ желісінің жылдық жалпы жиналысы",
        kind="regular",
        mode="hybrid",
        starts_at=when,
        place="Шұңқыркөл жалпы білім беретін мектебі, мәжіліс залы",
        link="https://meet.qauym.local/shyn-annual",
    )
    db.session.flush()
    meeting.notice_sent_at = when - dt.timedelta(days=14)
    members = ctx.members("shyn-network")
    participant = ctx.users.get("shyn_participant")
    voting = [u for u in members if u is not participant and svc.is_voting_member(u, association)]
    present = voting[: max(svc.quorum_needed(len(voting), svc.settings_for(association)), 6)]
    if participant is not None:
        present.append(participant)
    for u in present:
        db.session.add(
            MeetingAttendance(meeting_id=meeting.id, user_id=u.id, how="secretary", at=when)
        )
    db.session.flush()
    db.session.expire(meeting, ["attendance"])
    svc.open_meeting(meeting, when)
    voters = [u for u in present if u is not participant]
    ballots = {
        2: ["for"] * (len(voters) - 1) + ["against"],  # adopted
        3: ["for", "for", "for", "against", "against"] + ["abstain"] * (len(voters) - 5),
    }
    for item in meeting.items:
        if not item.motion:
            continue
        item.vote_state = "open"
        for u, choice in zip(voters, ballots[item.position], strict=False):
            db.session.add(Vote(item_id=item.id, user_id=u.id, choice=choice, cast_at=when))
        db.session.flush()
        svc.close_vote(item, when)
    meeting.state = "closed"
    meeting.closed_at = when + dt.timedelta(hours=2)
    minutes = svc.ensure_minutes(meeting)
    minutes.public = True
    db.session.flush()
    svc.approve_minutes(minutes, leader, when + dt.timedelta(days=1))
    svc.approve_minutes(minutes, secretary, when + dt.timedelta(days=1, hours=1))
    db.session.commit()
    ctx.log(
        f"governance: shyn-network meeting «{meeting.title}», {len(present)} present, "
        f"minutes {minutes.code}"
    )


def _rep_council_and_election(ctx, now: dt.datetime) -> None:
    association = ctx.associations["rep-math"]
    today = site_date(now)
    start = today - dt.timedelta(days=200)
    members = [u for u in ctx.members("rep-math") if svc.is_voting_member(u, association)]
    chair = ctx.users["rep_leader"]
    db.session.add(
        Office(
            association_id=association.id,
            user_id=chair.id,
            position="chair",
            starts_on=start,
            ends_on=today + dt.timedelta(days=20),
        )
    )
    for u in members:
        db.session.add(
            Office(
                association_id=association.id,
                user_id=u.id,
                position="council",
                starts_on=start,
                ends_on=svc.add_months(start, 12),
            )
        )
    election = Election(
        association_id=association.id,
        position="chair",
        seats=1,
        term_months=12,
        state="voting",
        deadline=now + dt.timedelta(days=10),
        created_by_id=ctx.users["rep_secretary"].id,
    )
    db.session.add(election)
    db.session.flush()
    for key in ("rep_leader", "rep_coordinator"):
        c = Candidate(election_id=election.id, user_id=ctx.users[key].id, state="accepted")
        db.session.add(c)
        db.session.flush()
        db.session.add(Tally(candidate_id=c.id, votes=0))
    db.session.add(
        Candidate(election_id=election.id, user_id=ctx.users["rep_member"].id, state="declined")
    )
    db.session.commit()
    ctx.log(f"governance: rep-math council of {len(members)}, chair election under way")
