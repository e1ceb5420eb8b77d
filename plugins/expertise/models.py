"""Tables of the expertise plugin (all prefixed ``expertise_``).

A submission keeps its metadata; each (re)submission adds a :class:`Version` that owns its
files, and reviews belong to the version they judged, so earlier rounds stay readable.
Review scores copy the criterion's weight and the rubric's scale at the time of review: a
coordinator may edit a rubric later without changing any published total.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.api import (
    Association,
    Category,
    Language,
    Subject,
    User,
    db,
    keep_folded,
    one_of,
    substring_index,
    utcnow,
)


class ReviewerIdentity(enum.StrEnum):
    NAMED = "named"
    ANONYMOUS_UNTIL_DECISION = "anonymous_until_decision"
    ANONYMOUS = "anonymous"


class MaterialType(enum.StrEnum):
    LESSON_PLAN = "lesson_plan"
    MEDIUM_TERM_PLAN = "medium_term_plan"
    METHOD_RECOMMENDATION = "method_recommendation"
    SUMMATIVE_TASKS = "summative_tasks"
    TEACHING_KIT = "teaching_kit"
    AUTHOR_PROGRAMME = "author_programme"
    ELECTIVE_PROGRAMME = "elective_programme"
    DIDACTIC_MATERIALS = "didactic_materials"
    EVENT_SCENARIO = "event_scenario"


class SubmissionState(enum.StrEnum):
    """States of :data:`plugins.expertise.services.TRANSITIONS`."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    RETURNED = "returned"
    IN_REVIEW = "in_review"
    MINOR_REVISION = "minor_revision"
    MAJOR_REVISION = "major_revision"
    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"
    WITHDRAWN = "withdrawn"


class WorkflowAction(enum.StrEnum):
    """Actions of :data:`plugins.expertise.services.TRANSITIONS`."""

    SUBMIT = "submit"
    SCREEN = "screen"
    RETURN = "return"
    ACCEPT = "accept"
    RECOMMEND = "recommend"
    MINOR = "minor"
    MAJOR = "major"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    REREVIEW = "rereview"  # a published material due for re-review opens a new round


class AssignmentStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # no answer in time
    REMOVED = "removed"
    DONE = "done"  # review submitted


class BidValue(enum.StrEnum):
    """An expert's wish to review a material (OpenReview's bids, in three steps)."""

    EAGER = "eager"
    WILLING = "willing"
    NOT_WILLING = "not_willing"


class Recommendation(enum.StrEnum):
    """An expert's recommendation (the names of the states it argues for)."""

    RECOMMENDED = "recommended"
    MINOR_REVISION = "minor_revision"
    MAJOR_REVISION = "major_revision"
    NOT_RECOMMENDED = "not_recommended"


coauthor_table = Table(
    "expertise_coauthor",
    db.metadata,
    Column(
        "submission_id",
        ForeignKey("expertise_submission.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
)


class Settings(db.Model):
    """Per-association review settings; a missing row means the defaults below."""

    __tablename__ = "expertise_settings"
    __table_args__ = (
        one_of("min_category", Category, extra=("",)),
        one_of("reviewer_identity", ReviewerIdentity),
    )
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), primary_key=True
    )
    experts_per_round: Mapped[int] = mapped_column(Integer, default=2)
    # Lowest qualification category (core.models.Category value) that makes a member an
    # expert without the expert role; "" means only the role counts.
    min_category: Mapped[str] = mapped_column(String(20), default="")
    reviewer_identity: Mapped[str] = mapped_column(String(30), default=ReviewerIdentity.NAMED)
    hide_until_decision: Mapped[bool] = mapped_column(Boolean, default=False)
    respond_days: Mapped[int] = mapped_column(Integer, default=5)
    review_days: Mapped[int] = mapped_column(Integer, default=21)
    rereview_years: Mapped[int] = mapped_column(Integer, default=3)
    # Portfolio hours a completed review earns its expert (copied onto the review).
    review_hours: Mapped[float] = mapped_column(Float, default=2.0, server_default="2")
    # Most open assignments (invited or accepted) an expert is given by balanced assignment.
    load_cap: Mapped[int] = mapped_column(Integer, default=3, server_default="3")


class Rubric(db.Model):
    __tablename__ = "expertise_rubric"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    scale_max: Mapped[int] = mapped_column(Integer, default=3)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="rubric", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(db.Model):
    __tablename__ = "expertise_criterion"
    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_rubric.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    # One descriptor per score level, lowest first (len == rubric.scale_max + 1).
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    rubric: Mapped[Rubric] = relationship(back_populates="criteria")


class Submission(db.Model):
    __tablename__ = "expertise_submission"
    __table_args__ = (
        one_of("material_type", MaterialType),
        one_of("language", Language),
        one_of("state", SubmissionState),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    material_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("core_subject.id"))
    grade_from: Mapped[int] = mapped_column(Integer)
    grade_to: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(5))
    abstract: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(String(300), default="")
    # Title, abstract and keywords folded, kept by ``core.api.keep_folded``: what the library
    # and the site search match with a plain LIKE (``services.library_match``).
    search_folded: Mapped[str] = mapped_column(Text, default="", server_default="")
    state: Mapped[str] = mapped_column(String(30), default=SubmissionState.DRAFT, index=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("expertise_rubric.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    rereview_due: Mapped[dt.date | None] = mapped_column(Date)

    association: Mapped[Association] = relationship()
    author: Mapped[User] = relationship()
    subject: Mapped[Subject | None] = relationship()
    rubric: Mapped[Rubric | None] = relationship()
    coauthors: Mapped[list[User]] = relationship(secondary=coauthor_table)
    versions: Mapped[list[Version]] = relationship(
        back_populates="submission", order_by="Version.number", cascade="all, delete-orphan"
    )
    transitions: Mapped[list[Transition]] = relationship(
        order_by="Transition.id", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    @property
    def author_ids(self) -> set[int]:
        return {self.author_id, *(u.id for u in self.coauthors)}


keep_folded(Submission.search_folded, Submission.title, Submission.abstract, Submission.keywords)
# found by any part of three letters or more without reading every material (expertise_0040)
substring_index(Submission.search_folded, "expertise_submission_search")


class Version(db.Model):
    __tablename__ = "expertise_version"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submission: Mapped[Submission] = relationship(back_populates="versions")
    files: Mapped[list[File]] = relationship(
        back_populates="version", order_by="File.id", cascade="all, delete-orphan"
    )


class File(db.Model):
    __tablename__ = "expertise_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_version.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(300))
    original_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    mime: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[Version] = relationship(back_populates="files")


class Transition(db.Model):
    """One step of the workflow: who moved the submission from which state to which, and why."""

    __tablename__ = "expertise_transition"
    __table_args__ = (
        one_of("action", WorkflowAction),
        one_of("from_state", SubmissionState),
        one_of("to_state", SubmissionState),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    round: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    # Why a coordinator decided with fewer reviews than the association's quorum ("" if not).
    override_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[User | None] = relationship()


class Assignment(db.Model):
    """An expert invited to review one round of a submission."""

    __tablename__ = "expertise_assignment"
    __table_args__ = (one_of("status", AssignmentStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_version.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    expert_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(12), default=AssignmentStatus.INVITED, index=True)
    invited_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    respond_by: Mapped[dt.datetime] = mapped_column(DateTime)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    late_notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    submission: Mapped[Submission] = relationship()
    version: Mapped[Version] = relationship()
    expert: Mapped[User] = relationship(foreign_keys=[expert_id])
    review: Mapped[Review | None] = relationship(back_populates="assignment", uselist=False)


class Review(db.Model):
    __tablename__ = "expertise_review"
    __table_args__ = (one_of("recommendation", Recommendation),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_assignment.id", ondelete="CASCADE"), unique=True
    )
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_version.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    expert_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("expertise_rubric.id"))
    recommendation: Mapped[str] = mapped_column(String(30))
    to_author: Mapped[str] = mapped_column(Text, default="")
    confidential: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[float] = mapped_column(Float)  # percentage, computed from the scores
    # Portfolio hours earned, copied from the settings when the review was submitted.
    hours: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    response: Mapped[str] = mapped_column(Text, default="")
    response_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    expert: Mapped[User] = relationship()
    version: Mapped[Version] = relationship()
    scores: Mapped[list[Score]] = relationship(
        back_populates="review", order_by="Score.position", cascade="all, delete-orphan"
    )


class Score(db.Model):
    __tablename__ = "expertise_score"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_review.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int | None] = mapped_column(
        ForeignKey("expertise_criterion.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    weight: Mapped[float] = mapped_column(Float)
    scale_max: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    review: Mapped[Review] = relationship(back_populates="scores")


class Conflict(db.Model):
    """A conflict of interest an expert declared for a submission."""

    __tablename__ = "expertise_conflict"
    __table_args__ = (UniqueConstraint("submission_id", "expert_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Comment(db.Model):
    """A member's comment on a published material; replies go one level deep."""

    __tablename__ = "expertise_comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("expertise_comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class Bid(db.Model):
    """An expert's bid on a material awaiting review; one per expert and material."""

    __tablename__ = "expertise_bid"
    __table_args__ = (UniqueConstraint("submission_id", "expert_id"), one_of("value", BidValue))
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expert: Mapped[User] = relationship()


class DiscussionPost(db.Model):
    """A message in the discussion among the experts and coordinators of one review round."""

    __tablename__ = "expertise_discussion_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    author: Mapped[User | None] = relationship()


class MetaReview(db.Model):
    """The coordinator's summary of a round that explains the decision (one per round)."""

    __tablename__ = "expertise_meta_review"
    __table_args__ = (UniqueConstraint("submission_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_submission.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    author: Mapped[User | None] = relationship()
