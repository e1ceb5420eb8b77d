"""Mentoring tables (prefix ``mentoring_``).

A programme belongs to an association. People enrol in it as mentors (a profile with
strengths and a capacity) or as novices (a request with needs: the diagnostic). A pair links
one mentor profile and one novice request and moves through the states of
:data:`plugins.mentoring.services.TRANSITIONS`; its plan (goals), meeting log and lesson
observations hang off the pair. Lists of codes (languages, grades, areas) are stored as
comma-separated strings: small, portable between SQLite and PostgreSQL, and only ever read
whole.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.api import (
    Association,
    Category,
    District,
    Language,
    School,
    Subject,
    User,
    db,
    one_of,
    utcnow,
)


class MentorStatus(enum.StrEnum):
    APPROVED = "approved"  # may be matched
    PENDING = "pending"  # waits for a coordinator
    DECLINED = "declined"


class PairState(enum.StrEnum):
    """States of :data:`plugins.mentoring.services.TRANSITIONS`."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ENDED = "ended"  # ended early
    DECLINED = "declined"


class GoalStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"  # achieved
    DROPPED = "dropped"


class MeetingStatus(enum.StrEnum):
    """A meeting is planned (a date and time ahead, with an invitation), then held (an entry
    of the meeting log) or cancelled."""

    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class RequestStatus(enum.StrEnum):
    """A young specialist's request for a particular mentor."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Observed(enum.StrEnum):
    """Whose lesson an observation is of."""

    NOVICE = "novice"
    MENTOR = "mentor"


def split_codes(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def join_codes(values) -> str:
    return ",".join(str(v) for v in values if str(v))


class Programme(db.Model):
    __tablename__ = "mentoring_programme"
    __table_args__ = (one_of("min_category", Category),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(40), default="")  # e.g. "2026-2027"
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    min_category: Mapped[str] = mapped_column(String(20), default=Category.MODERATOR)
    max_mentees: Mapped[int] = mapped_column(Integer, default=2)
    meetings_per_month: Mapped[int] = mapped_column(Integer, default=2)
    observations_required: Mapped[int] = mapped_column(Integer, default=4)
    enrolment_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # the dashboard flags a working pair without a held meeting for this many weeks
    alert_weeks: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    coordinators: Mapped[list[ProgrammeCoordinator]] = relationship(
        cascade="all, delete-orphan", back_populates="programme"
    )

    @property
    def min_category_enum(self) -> Category:
        try:
            return Category(self.min_category)
        except ValueError:
            return Category.NONE


class ProgrammeCoordinator(db.Model):
    """A named coordinator; the association's leaders and coordinators coordinate anyway."""

    __tablename__ = "mentoring_coordinator"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_programme.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    programme: Mapped[Programme] = relationship(back_populates="coordinators")
    user: Mapped[User] = relationship(lazy="joined")


class _Profile:
    """Columns shared by mentor profiles and novice requests (copied from the core profile
    at enrolment: a report shows who the person was in the programme)."""

    grades: Mapped[str]
    school_id: Mapped[int | None]
    district_id: Mapped[int | None]
    category: Mapped[str]

    @property
    def grade_list(self) -> list[int]:
        return [int(g) for g in split_codes(self.grades) if g.isdigit()]

    @property
    def category_enum(self) -> Category:
        try:
            return Category(self.category)
        except ValueError:
            return Category.NONE


class MentorProfile(_Profile, db.Model):
    __tablename__ = "mentoring_mentor"
    __table_args__ = (
        UniqueConstraint("programme_id", "user_id"),
        one_of("category", Category),
        one_of("status", MentorStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_programme.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    subjects: Mapped[str] = mapped_column(String(300), default="")  # core subject ids
    grades: Mapped[str] = mapped_column(String(60), default="")
    languages: Mapped[str] = mapped_column(String(20), default="")
    category: Mapped[str] = mapped_column(String(20), default=Category.NONE)
    experience_years: Mapped[int] = mapped_column(Integer, default=0)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("core_school.id", ondelete="SET NULL"))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_district.id", ondelete="SET NULL")
    )
    strengths: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    availability: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=MentorStatus.APPROVED)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()
    user: Mapped[User] = relationship()
    school: Mapped[School | None] = relationship()
    district: Mapped[District | None] = relationship()

    @property
    def subject_ids(self) -> list[int]:
        return [int(s) for s in split_codes(self.subjects) if s.isdigit()]


class NoviceRequest(_Profile, db.Model):
    __tablename__ = "mentoring_novice"
    __table_args__ = (
        UniqueConstraint("programme_id", "user_id"),
        one_of("language", Language),
        one_of("category", Category),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_programme.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_subject.id", ondelete="SET NULL")
    )
    grades: Mapped[str] = mapped_column(String(60), default="")
    language: Mapped[str] = mapped_column(String(5), default=Language.KK)
    category: Mapped[str] = mapped_column(String(20), default=Category.NONE)
    experience_years: Mapped[int] = mapped_column(Integer, default=0)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("core_school.id", ondelete="SET NULL"))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_district.id", ondelete="SET NULL")
    )
    needs: Mapped[str] = mapped_column(String(300), default="")
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    preferences: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()
    user: Mapped[User] = relationship()
    subject: Mapped[Subject | None] = relationship()
    school: Mapped[School | None] = relationship()
    district: Mapped[District | None] = relationship()


class Pair(db.Model):
    __tablename__ = "mentoring_pair"
    __table_args__ = (one_of("state", PairState),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_programme.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_mentor.id", ondelete="CASCADE"), index=True
    )
    novice_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_novice.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12), default=PairState.PROPOSED, index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    mentor_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    novice_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str] = mapped_column(Text, default="")

    programme: Mapped[Programme] = relationship()
    mentor: Mapped[MentorProfile] = relationship()
    novice: Mapped[NoviceRequest] = relationship()
    all_goals: Mapped[list[Goal]] = relationship(cascade="all, delete-orphan")
    goals: Mapped[list[Goal]] = relationship(
        primaryjoin="and_(Goal.pair_id == Pair.id, Goal.deleted_at.is_(None))",
        viewonly=True,
        order_by="Goal.target_date, Goal.id",
    )
    all_meetings: Mapped[list[Meeting]] = relationship(cascade="all, delete-orphan")
    #: the meeting log: meetings held, not deleted
    meetings: Mapped[list[Meeting]] = relationship(
        primaryjoin="and_(Meeting.pair_id == Pair.id, Meeting.status == 'held', "
        "Meeting.deleted_at.is_(None))",
        viewonly=True,
        order_by="Meeting.held_on.desc(), Meeting.id.desc()",
    )
    #: meetings planned ahead (not yet recorded as held, not cancelled)
    planned_meetings: Mapped[list[Meeting]] = relationship(
        primaryjoin="and_(Meeting.pair_id == Pair.id, Meeting.status == 'planned', "
        "Meeting.deleted_at.is_(None))",
        viewonly=True,
        order_by="Meeting.starts_at, Meeting.id",
    )
    all_observations: Mapped[list[Observation]] = relationship(cascade="all, delete-orphan")
    observations: Mapped[list[Observation]] = relationship(
        primaryjoin="and_(Observation.pair_id == Pair.id, Observation.deleted_at.is_(None))",
        viewonly=True,
        order_by="Observation.lesson_date.desc(), Observation.id",
    )


class Goal(db.Model):
    __tablename__ = "mentoring_goal"
    __table_args__ = (one_of("status", GoalStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    need: Mapped[str] = mapped_column(String(40), default="")  # an area code, or ""
    target_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=GoalStatus.PLANNED)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Meeting(db.Model):
    """A meeting of a pair: planned ahead (``starts_at``, a place or a link, an invitation
    whose ``sequence`` grows with every change) and then held (an entry of the log, on
    ``held_on``), or entered in the log straight away. ``held_on`` of a planned meeting is
    its planned site day."""

    __tablename__ = "mentoring_meeting"
    __table_args__ = (one_of("status", MeetingStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(
        String(10), default=MeetingStatus.HELD, server_default="held", index=True
    )
    held_on: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # naive UTC, when planned
    place: Mapped[str] = mapped_column(String(300), default="", server_default="")
    link: Mapped[str] = mapped_column(String(500), default="", server_default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    author: Mapped[User | None] = relationship()
    pair: Mapped[Pair] = relationship(viewonly=True)

    @property
    def ends_at(self) -> dt.datetime | None:
        if self.starts_at is None:
            return None
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class Observation(db.Model):
    __tablename__ = "mentoring_observation"
    __table_args__ = (one_of("observed", Observed),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    observed: Mapped[str] = mapped_column(String(10))  # an Observed
    lesson_date: Mapped[dt.date] = mapped_column(Date)
    class_name: Mapped[str] = mapped_column(String(40), default="")
    lesson_topic: Mapped[str] = mapped_column(String(300))
    focus: Mapped[str] = mapped_column(String(300), default="")  # area codes
    went_well: Mapped[str] = mapped_column(Text)
    to_improve: Mapped[str] = mapped_column(Text)
    actions: Mapped[str] = mapped_column(Text, default="")
    reflection: Mapped[str] = mapped_column(Text, default="")
    reflected_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    author: Mapped[User | None] = relationship()


class Change(db.Model):
    """One edit or deletion of a meeting, goal or observation: who, when, and each changed
    field's old and new value (``changes``: a JSON object ``{field: [old, new]}``)."""

    __tablename__ = "mentoring_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # meeting, goal, observation (open set)
    object_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # edit, delete, plan, hold, cancel
    changes: Mapped[str] = mapped_column(Text, default="{}")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    author: Mapped[User | None] = relationship()


class Message(db.Model):
    """A message inside a pair: read by the pair and the programme's coordinators."""

    __tablename__ = "mentoring_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    author: Mapped[User | None] = relationship()


class MentorRequest(db.Model):
    """A young specialist asks for one mentor from the suggestions; a coordinator confirms
    (the pair is proposed through the usual path) or declines with a reason."""

    __tablename__ = "mentoring_request"
    __table_args__ = (one_of("status", RequestStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_programme.id", ondelete="CASCADE"), index=True
    )
    novice_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_novice.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_mentor.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.OPEN, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    pair_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()
    novice: Mapped[NoviceRequest] = relationship()
    mentor: Mapped[MentorProfile] = relationship()


class Pulse(db.Model):
    """A monthly pulse check: one row per pair, person and site month (``YYYY-MM``), made
    when asked; ``score`` (1-5) and ``comment`` once answered."""

    __tablename__ = "mentoring_pulse"
    __table_args__ = (UniqueConstraint("pair_id", "user_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    user: Mapped[User] = relationship()
