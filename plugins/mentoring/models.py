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
    goals: Mapped[list[Goal]] = relationship(
        cascade="all, delete-orphan", order_by="Goal.target_date, Goal.id"
    )
    meetings: Mapped[list[Meeting]] = relationship(
        cascade="all, delete-orphan", order_by="Meeting.held_on.desc(), Meeting.id.desc()"
    )
    observations: Mapped[list[Observation]] = relationship(
        cascade="all, delete-orphan", order_by="Observation.lesson_date.desc(), Observation.id"
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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Meeting(db.Model):
    __tablename__ = "mentoring_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[dt.date] = mapped_column(Date)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    author: Mapped[User | None] = relationship()


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
    author: Mapped[User | None] = relationship()
