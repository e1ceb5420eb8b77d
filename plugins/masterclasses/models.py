"""Tables of the master classes plugin (prefix ``masterclasses_``). Times are naive UTC."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.api import (
    Association,
    Subject,
    User,
    db,
    keep_folded,
    one_of,
    substring_index,
    utcnow,
)


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"  # registration closed
    HELD = "held"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


class Delivery(enum.StrEnum):
    FACE = "face"
    ONLINE = "online"
    HYBRID = "hybrid"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"  # members of the association
    SUBTREE = "subtree"  # members of the association or of any association below it


class RegStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Attendance(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


class Phase(enum.StrEnum):
    """When a material is for."""

    BEFORE = "before"
    AFTER = "after"


#: Attendance that counts as having taken part (certificate, portfolio hours, feedback).
ATTENDED = (Attendance.PRESENT.value, Attendance.LATE.value)

event_subject = Table(
    "masterclasses_event_subject",
    db.metadata,
    Column("event_id", ForeignKey("masterclasses_event.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("core_subject.id", ondelete="CASCADE"), primary_key=True),
)


class Series(db.Model):
    """A recurrence rule whose occurrences are materialised as events up to ``until``."""

    __tablename__ = "masterclasses_series"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    rrule: Mapped[str] = mapped_column(String(300))
    # First occurrence and the horizon, in the site time zone (the rule is local: 18:00 stays
    # 18:00 in every month).
    first_local: Mapped[dt.datetime] = mapped_column(DateTime)
    until_local: Mapped[dt.date] = mapped_column(db.Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Event(db.Model):
    __tablename__ = "masterclasses_event"
    __table_args__ = (
        one_of("delivery", Delivery),
        one_of("visibility", Visibility),
        one_of("status", Status),
        # The event list (events not yet ended that a user may see, by start) counts them
        # and finds the ids of its page from these indexes alone, then loads the page's rows
        # by id (core.api.paginate with ``key``): whichever the planner takes, the ordered
        # walk of ``listed`` or the range of ``upcoming`` and a sort, it reads no row of a
        # past event, and past events only accumulate. With only an index on starts_at the
        # page read the whole row of every past event before the first upcoming one
        # (masterclasses_0050; at 1,000 past and 1,000 upcoming events the count took 2.3 ms
        # and the page 1.2 ms, now 0.1 and 0.2 ms and 0.2 ms for the rows).
        Index(
            "ix_masterclasses_event_listed",
            "starts_at",
            "id",
            "ends_at",
            "status",
            "visibility",
            "association_id",
        ),
        Index(
            "ix_masterclasses_event_upcoming",
            "ends_at",
            "status",
            "visibility",
            "association_id",
            "starts_at",
            "id",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("masterclasses_series.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    form: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    # Title and description folded, kept by ``core.api.keep_folded``: what the site search
    # matches with a plain LIKE (``services.search_events``).
    search_folded: Mapped[str] = mapped_column(Text, default="", server_default="")
    target_categories: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    min_experience: Mapped[int | None] = mapped_column(Integer)
    max_experience: Mapped[int | None] = mapped_column(Integer)
    delivery: Mapped[str] = mapped_column(String(10), default=Delivery.FACE)
    venue: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)  # ix_masterclasses_event_listed
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    registration_opens_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    registration_deadline: Mapped[dt.datetime | None] = mapped_column(DateTime)
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    credit_hours: Mapped[float] = mapped_column(Float, default=0.0)
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.PUBLIC)
    # No index of its own: seven values, and SQLite without statistics took such an index for
    # a selective one (the event list read every listed event's row by it).
    status: Mapped[str] = mapped_column(String(12), default=Status.DRAFT)
    checkin_code: Mapped[str] = mapped_column(String(12), default="")
    # Participants may check themselves in with the shared code (else only the host checks
    # people in, by their personal ticket codes).
    shared_checkin: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Registration only for the target audience (categories, subjects) when set.
    enforce_audience: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A promoted waitlister must confirm within this many hours, else the seat passes on
    # (None: the seat is simply given, as before).
    confirm_hours: Mapped[int | None] = mapped_column(Integer)
    # The row of the association's activity plan this event realises (optional).
    plan_row_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_plan_row.id", ondelete="SET NULL"), index=True
    )
    # RFC 5545 SEQUENCE: raised on every change calendar clients should pick up.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    series: Mapped[Series | None] = relationship()
    subjects: Mapped[list[Subject]] = relationship(secondary=event_subject)
    hosts: Mapped[list[Host]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Host.id"
    )
    materials: Mapped[list[Material]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Material.id"
    )

    @property
    def categories(self) -> list[str]:
        return [c for c in self.target_categories.split(",") if c]

    @property
    def online(self) -> bool:
        return self.delivery in (Delivery.ONLINE.value, Delivery.HYBRID.value)

    @property
    def in_person(self) -> bool:
        return self.delivery in (Delivery.FACE.value, Delivery.HYBRID.value)

    @property
    def host_names(self) -> list[str]:
        return [h.display_name for h in self.hosts]


keep_folded(Event.search_folded, Event.title, Event.description)
# found by any part of three letters or more without reading every event (masterclasses_0040)
substring_index(Event.search_folded, "masterclasses_event_search")


class Host(db.Model):
    """A presenter: a registered user, or a guest known only by name."""

    __tablename__ = "masterclasses_host"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_event.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    event: Mapped[Event] = relationship(back_populates="hosts")
    user: Mapped[User | None] = relationship()

    @property
    def display_name(self) -> str:
        return self.user.full_name if self.user is not None else self.name


class Registration(db.Model):
    """One person's place at one event: a seat, a place in the waitlist, or cancelled.

    ``queue_seq`` orders the waitlist; it is taken while the event row is locked, so it is
    the order in which registrations were committed.
    """

    __tablename__ = "masterclasses_registration"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        one_of("status", RegStatus),
        one_of("attendance", Attendance),  # NULL: not recorded yet
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_event.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    queue_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    attendance: Mapped[str | None] = mapped_column(String(10))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The personal code on the participant's ticket (and in its QR code); only the host's
    # check-in page accepts it.
    ticket_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # A seat offered from the waitlist, held until this instant unless confirmed.
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    reflection: Mapped[str] = mapped_column(Text, default="")
    feedback_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship()


class Material(db.Model):
    __tablename__ = "masterclasses_material"
    __table_args__ = (one_of("phase", Phase),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_event.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[str] = mapped_column(String(10), default=Phase.BEFORE)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500), default="")
    file_path: Mapped[str] = mapped_column(String(300), default="")
    file_name: Mapped[str] = mapped_column(String(200), default="")
    mime: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    event: Mapped[Event] = relationship(back_populates="materials")


class ReminderSent(db.Model):
    """A reminder already sent: the reminders job never sends the same one twice."""

    __tablename__ = "masterclasses_reminder_sent"
    __table_args__ = (UniqueConstraint("event_id", "user_id", "minutes_before"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_event.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    minutes_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FeedToken(db.Model):
    """The secret in a user's personal calendar feed URL."""

    __tablename__ = "masterclasses_feed_token"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class QuestionKind(enum.StrEnum):
    TEXT = "text"  # a short text
    CHOICE = "choice"  # one of the listed options


class Question(db.Model):
    """A question asked at registration for one event (as Indico's registration form fields
    and pretix's questions)."""

    __tablename__ = "masterclasses_question"
    __table_args__ = (one_of("kind", QuestionKind),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_event.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10), default=QuestionKind.TEXT)
    options: Mapped[str] = mapped_column(Text, default="")  # one per line, for a choice
    required: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def option_list(self) -> list[str]:
        return [o.strip() for o in self.options.splitlines() if o.strip()]


class Answer(db.Model):
    __tablename__ = "masterclasses_answer"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_registration.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_question.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(500), default="")


class MessageLog(db.Model):
    """A message a host sent to the event's participants or waitlist: who, what, to how many."""

    __tablename__ = "masterclasses_message_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("masterclasses_event.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(12))  # registered | waitlisted
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sender: Mapped[User | None] = relationship()
