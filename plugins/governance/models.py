"""Governance tables (prefix ``governance_``).

An association's rules (:class:`GovernanceSettings`, defaults from the draft republican
charter), its general meetings with agenda items (each optionally a motion), attendance, open
votes, the minutes, elections with a secret ballot, offices held, extraordinary-meeting
petitions and exclusion proceedings.

The secret ballot is split in two: :class:`BallotCast` records *who* voted in an election (so
nobody votes twice) and :class:`Tally` holds only how many votes each candidate received. A
tally row has no voter, no time and no order, so no ballot can be linked back to a person.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.api import Association, User, db, utcnow


class GovernanceSettings(db.Model):
    """Per-association rules; a missing row means the charter's defaults."""

    __tablename__ = "governance_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), unique=True
    )
    notice_days: Mapped[int] = mapped_column(Integer, default=14)
    meetings_per_year: Mapped[int] = mapped_column(Integer, default=1)
    # quorum: strictly more than quorum_num/quorum_den of the voting members present
    quorum_num: Mapped[int] = mapped_column(Integer, default=1)
    quorum_den: Mapped[int] = mapped_column(Integer, default=2)
    # decision: at least decision_num/decision_den of the voting members present vote for
    decision_num: Mapped[int] = mapped_column(Integer, default=2)
    decision_den: Mapped[int] = mapped_column(Integer, default=3)
    # extraordinary meeting: at least petition_num/petition_den of the voting members sign
    petition_num: Mapped[int] = mapped_column(Integer, default=1)
    petition_den: Mapped[int] = mapped_column(Integer, default=4)
    chair_term_months: Mapped[int] = mapped_column(Integer, default=12)
    council_term_months: Mapped[int] = mapped_column(Integer, default=12)
    council_min: Mapped[int] = mapped_column(Integer, default=15)
    minutes_public: Mapped[bool] = mapped_column(Boolean, default=False)


class GeneralMeeting(db.Model):
    __tablename__ = "governance_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="regular")  # or extraordinary
    mode: Mapped[str] = mapped_column(String(20), default="in_person")  # online, hybrid
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    place: Mapped[str] = mapped_column(String(300), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default="planned")  # open, closed
    checkin_code: Mapped[str] = mapped_column(String(12))
    notice_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # recorded when the meeting opens
    quorum_present: Mapped[int | None] = mapped_column(Integer)
    quorum_voting: Mapped[int | None] = mapped_column(Integer)
    quorum_reached: Mapped[bool | None] = mapped_column(Boolean)
    plan_row_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    items: Mapped[list[AgendaItem]] = relationship(
        cascade="all, delete-orphan", order_by="AgendaItem.position", back_populates="meeting"
    )
    attendance: Mapped[list[MeetingAttendance]] = relationship(
        cascade="all, delete-orphan", back_populates="meeting"
    )


class AgendaItem(db.Model):
    __tablename__ = "governance_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("governance_meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(300))
    motion: Mapped[str] = mapped_column(Text, default="")  # empty: nothing to vote on
    ballot: Mapped[str] = mapped_column(String(10), default="open")  # or "online"
    ballot_deadline: Mapped[dt.datetime | None] = mapped_column(DateTime)
    vote_state: Mapped[str] = mapped_column(String(10), default="none")  # open, closed
    # computed when the vote closes (services.close_vote), never typed
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstain: Mapped[int | None] = mapped_column(Integer)
    present_voting: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    meeting: Mapped[GeneralMeeting] = relationship(back_populates="items")


class MeetingAttendance(db.Model):
    __tablename__ = "governance_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("governance_meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    how: Mapped[str] = mapped_column(String(12), default="secretary")  # code, online
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    meeting: Mapped[GeneralMeeting] = relationship(back_populates="attendance")
    user: Mapped[User] = relationship()


class Vote(db.Model):
    """An open vote on a motion (for, against, abstain): who voted how is part of the record."""

    __tablename__ = "governance_vote"
    __table_args__ = (UniqueConstraint("item_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("governance_item.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    choice: Mapped[str] = mapped_column(String(10))  # for, against, abstain
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    cast_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Minutes(db.Model):
    """The хаттама of a meeting: generated, edited by the secretary, approved by the chair and
    the secretary, then frozen (``frozen_at``) with a public verification code."""

    __tablename__ = "governance_minutes"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("governance_meeting.id", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    chair_name: Mapped[str] = mapped_column(String(200), default="")
    chair_approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    secretary_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    secretary_name: Mapped[str] = mapped_column(String(200), default="")
    secretary_approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    meeting: Mapped[GeneralMeeting] = relationship()


class Office(db.Model):
    """Who holds an office (chair, council, coordinator, regional representative), until when."""

    __tablename__ = "governance_office"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    position: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")  # subject group, region
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date, index=True)
    election_id: Mapped[int | None] = mapped_column(
        ForeignKey("governance_election.id", ondelete="SET NULL")
    )
    end_notice_sent: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class Election(db.Model):
    __tablename__ = "governance_election"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")
    seats: Mapped[int] = mapped_column(Integer, default=1)
    term_months: Mapped[int] = mapped_column(Integer, default=12)
    state: Mapped[str] = mapped_column(String(12), default="nominating")  # voting, closed
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ballots: Mapped[int | None] = mapped_column(Integer)  # counted when it closes
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    association: Mapped[Association] = relationship()
    candidates: Mapped[list[Candidate]] = relationship(
        cascade="all, delete-orphan", order_by="Candidate.id", back_populates="election"
    )


class Candidate(db.Model):
    __tablename__ = "governance_candidate"
    __table_args__ = (UniqueConstraint("election_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("governance_election.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    nominated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(12), default="nominated")  # accepted, declined
    elected: Mapped[bool] = mapped_column(Boolean, default=False)
    votes: Mapped[int | None] = mapped_column(Integer)  # copied from the tally at closing

    election: Mapped[Election] = relationship(back_populates="candidates")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class BallotCast(db.Model):
    """That a member voted in an election (never how): one row per voter, no time."""

    __tablename__ = "governance_ballot_cast"
    __table_args__ = (UniqueConstraint("election_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("governance_election.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))


class Tally(db.Model):
    """How many secret ballots named a candidate: no voter, no time, no order of ballots."""

    __tablename__ = "governance_tally"
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("governance_candidate.id", ondelete="CASCADE"), primary_key=True
    )
    votes: Mapped[int] = mapped_column(Integer, default=0)


class Petition(db.Model):
    """Members asking for an extraordinary general meeting."""

    __tablename__ = "governance_petition"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="open")  # reached, convened
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reached_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("governance_meeting.id", ondelete="SET NULL")
    )


class Signature(db.Model):
    __tablename__ = "governance_signature"
    __table_args__ = (UniqueConstraint("petition_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("governance_petition.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Exclusion(db.Model):
    """A proposal to exclude a member, decided by the council by simple majority."""

    __tablename__ = "governance_exclusion"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    member_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(12), default="proposed")  # voting, decided
    excluded: Mapped[bool | None] = mapped_column(Boolean)  # computed at the decision
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    council_size: Mapped[int | None] = mapped_column(Integer)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class ExclusionVote(db.Model):
    __tablename__ = "governance_exclusion_vote"
    __table_args__ = (UniqueConstraint("exclusion_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    exclusion_id: Mapped[int] = mapped_column(
        ForeignKey("governance_exclusion.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    choice: Mapped[str] = mapped_column(String(10))  # for (exclude), against
