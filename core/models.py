"""Core data model: places, people, associations, memberships, notifications, audit,
certificates, plugin switches and job runs. Times are stored in UTC (naive datetimes
holding UTC); :mod:`core.timeutil` converts them to the site time zone for display."""

from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
from collections.abc import Iterable
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    true,
)
from sqlalchemy import column as sql_column
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.extensions import db
from core.handle_names import column_default
from core.i18n import current_locale
from core.services.text import fold
from core.timeutil import utcnow

_DUMMY_HASH: str | None = None


def one_of(
    column: str,
    values: type[enum.StrEnum],
    *,
    name: str | None = None,
    extra: Iterable[str] = (),
) -> CheckConstraint:
    """``CHECK (column IN (...))`` for a column that holds one member of a closed set.

    Goes in ``__table_args__``; named ``ck_<table>_<name>`` by the naming convention
    (``name`` defaults to the column's). ``extra`` adds values outside the enum (``""`` for
    "not set" where a core enum is reused by a plugin). ``info`` keeps the enum, so the tests
    compare every such constraint, as the migrated database holds it, with the enum's members:
    a new member needs a migration that widens the constraint.
    """
    allowed = [*extra, *(member.value for member in values)]
    assert all("'" not in v for v in allowed), allowed
    return CheckConstraint(
        sql_column(column).in_(allowed),
        name=name or column,
        info={"enum": values, "column": column, "extra": tuple(extra)},
    )


class Localized:
    """Mixin for rows named in Kazakh, Russian and English (``name_kk`` ...)."""

    name_kk: Mapped[str]
    name_ru: Mapped[str]
    name_en: Mapped[str]

    def name_in(self, locale: str) -> str:
        return getattr(self, f"name_{locale}", None) or self.name_kk or self.name_ru

    @property
    def name(self) -> str:
        return self.name_in(current_locale())


class RegionKind(enum.StrEnum):
    REGION = "region"  # oblys
    CITY = "city"  # city of republican significance


class Region(Localized, db.Model):
    __tablename__ = "core_region"
    __table_args__ = (one_of("kind", RegionKind),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default=RegionKind.REGION)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    districts: Mapped[list[District]] = relationship(
        back_populates="region", order_by="District.name_kk"
    )


class District(Localized, db.Model):
    __tablename__ = "core_district"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"), index=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    region: Mapped[Region] = relationship(back_populates="districts")


class School(db.Model):
    __tablename__ = "core_school"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    region_id: Mapped[int] = mapped_column(ForeignKey("core_region.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("core_district.id"), index=True)
    region: Mapped[Region] = relationship()
    district: Mapped[District | None] = relationship()


class Subject(Localized, db.Model):
    __tablename__ = "core_subject"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


user_subject = Table(
    "core_user_subject",
    db.metadata,
    Column("user_id", ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("core_subject.id", ondelete="CASCADE"), primary_key=True),
)

association_subject = Table(
    "core_association_subject",
    db.metadata,
    Column(
        "association_id", ForeignKey("core_association.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("subject_id", ForeignKey("core_subject.id", ondelete="CASCADE"), primary_key=True),
)


class Category(enum.StrEnum):
    """Qualification categories of teachers in Kazakhstan, lowest first."""

    NONE = "none"  # no category yet (young specialist, non-teacher)
    PEDAGOG = "pedagog"
    MODERATOR = "moderator"
    EXPERT = "expert"
    RESEARCHER = "researcher"
    MASTER = "master"

    @property
    def rank(self) -> int:
        return list(Category).index(self)


class Language(enum.StrEnum):
    """Languages of instruction (of a material, of a teacher's classes)."""

    KK = "kk"
    RU = "ru"
    EN = "en"


def _handle_default(context) -> str:
    return column_default(context)


class User(UserMixin, db.Model):
    __tablename__ = "core_user"
    __table_args__ = (one_of("category", Category),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    full_name: Mapped[str] = mapped_column(String(200))
    # ``full_name`` folded (core.services.text.fold: lower case in every alphabet, ё as е),
    # kept by the "set" event below. Name searches (the site search's people, contacts,
    # mention suggestions) match it with a plain ``LIKE``: at 100,000 users a Python
    # lower-casing function called per row made the site search's people take 170 ms.
    name_folded: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # How members mention this user (``@handle``): lower-case Latin letters, digits and "_",
    # 3 to 30 characters, unique. Given from the name on insert when not set
    # (core.services.handles.column_default), changed on the profile form.
    handle: Mapped[str] = mapped_column(
        String(30), unique=True, index=True, default=_handle_default
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("core_district.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("core_school.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), default=Category.NONE)
    experience_years: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str | None] = mapped_column(String(5))
    is_site_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # False only for an account registered through the site whose owner has not yet opened
    # the confirmation link: it cannot log in (see core.views.auth.register).
    email_confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # School, district, category, experience and memberships are shown to members of the
    # same associations and administrators; True shows them to every signed-in user too
    # (anonymous visitors see the name alone either way): core.services.permissions.
    profile_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    region: Mapped[Region | None] = relationship()
    district: Mapped[District | None] = relationship()
    school: Mapped[School | None] = relationship()
    subjects: Mapped[list[Subject]] = relationship(secondary=user_subject)
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The server-side session (:class:`UserSession`) this object was loaded for or logged in
    # with, and that session's secret token; set by :mod:`core.services.sessions`, never
    # stored on this row.
    current_session = None
    session_token = None
    # The user's memberships read in the same statement (the user loader's outer join), for
    # ``core.services.permissions.memberships_of`` to take once instead of a statement.
    loaded_memberships = None

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session and the remember-me cookie: ``"<id>:<token>"``
        names one revocable :class:`UserSession` (see :mod:`core.services.sessions`)."""
        if not self.session_token:
            raise RuntimeError("log users in with core.services.sessions.login()")
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def check_dummy_password(password: str) -> bool:
        """Do the work of :meth:`check_password` when no account matches (always False), so a
        login answers in the same time whether or not the email exists."""
        global _DUMMY_HASH
        if _DUMMY_HASH is None:
            # Same method and parameters as set_password.
            _DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method="scrypt")
        check_password_hash(_DUMMY_HASH, password)
        return False

    @property
    def category_enum(self) -> Category:
        try:
            return Category(self.category)
        except ValueError:
            return Category.NONE


def keep_folded(target: Any, *sources: Any) -> None:
    """Keep the text column ``target`` holding the ``sources`` columns of the same model
    folded (``core.services.text.fold``: lower case in every alphabet, ё as е), joined by
    line breaks, whenever one of them is set, on new and on loaded objects alike. Such a
    column is searched by ``forms_match([target], query, folded=True)``: a plain ``LIKE`` in
    the database's own loop instead of a Python function lower-casing every row (the site
    search read 2,000 events in 12 ms that way, at the bench's national scale).

    Values written around the ORM (a bulk ``insert()``, an ``update()`` statement) must set
    ``target`` themselves; ``folded_text`` gives the value."""
    keys = [s.key for s in sources]

    def listener(key: str):
        def on_set(obj, value, oldvalue, initiator):
            parts = [value if k == key else getattr(obj, k) for k in keys]
            setattr(obj, target.key, folded_text(*parts))

        return on_set

    for source in sources:
        event.listen(source, "set", listener(source.key))


def folded_text(*values: str | None) -> str:
    """What :func:`keep_folded` stores for these values: each folded, joined by line breaks
    (a word does not run from one column into the next)."""
    return "\n".join(fold(v) for v in values if v)


keep_folded(User.name_folded, User.full_name)


#: Folded text columns with an index for substring searches: the column -> the index's base
#: name (:func:`substring_index`). ``core.services.search`` reads it to query the index.
SUBSTRING_INDEXES: dict[Any, str] = {}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def substring_index_ddl(table: str, column: str, name: str, dialect: str) -> list[str]:
    """The statements that index ``table.column`` for substring searches on ``dialect``
    (see :func:`substring_index`): for SQLite the FTS5 table ``{name}_fts`` and the triggers
    ``{name}_fts_ai``/``_au``/``_ad`` that keep it, for PostgreSQL the pg_trgm extension
    and the GIN index ``ix_{name}_trgm``. The names come from the models, never from input;
    anything but a plain identifier is refused."""
    for ident in (table, column, name):
        if not _IDENTIFIER.fullmatch(ident):
            raise ValueError(f"not a plain SQL identifier: {ident!r}")
    if dialect == "sqlite":
        fts = f"{name}_fts"
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
            f"{column}, tokenize='trigram', detail='full')",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608 (identifiers checked above)
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {column} ON {table} "  # noqa: S608 (identifiers checked above)
            f"BEGIN UPDATE {fts} SET {column} = new.{column} WHERE rowid = new.id; END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608 (identifiers checked above)
            f"DELETE FROM {fts} WHERE rowid = old.id; END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE INDEX IF NOT EXISTS ix_{name}_trgm ON {table} "
            f"USING gin ({column} gin_trgm_ops)",
        ]
    return []


def substring_index(column: Any, name: str) -> None:
    """Index a folded text column (``keep_folded``, ``User.name_folded``) for substring
    searches (``LIKE '%айгүл%'``), which no B-tree serves: at the bench's national scale
    reading every one of 100,000 names took 30-60 ms a pattern, and 2,000 event descriptions
    6-8 ms. ``forms_match([column], query, folded=True)`` (and ``name_contains``) then find
    rows through the index.

    On SQLite an FTS5 table with the trigram tokenizer (rowid = the row's integer ``id``)
    kept by triggers, queried with ``MATCH``; on PostgreSQL a GIN index of pg_trgm, which
    the planner uses for the same ``LIKE`` by itself. Both find only patterns of three
    characters or more; shorter ones read every row as before. Created here with the table
    for ``create_all`` (:func:`substring_index_ddl`); a migration creates them for a
    migrated database with the same statements, frozen in the migration, and fills the FTS
    table with the rows already there. Autogenerate leaves them be (``core.migrations``). A
    migration that rebuilds the table on SQLite (``batch_alter_table`` with ``recreate``)
    drops the triggers and must create them again: test that they exist at the head of the
    migrations, as ``tests/test_search_names.py`` does.
    """
    col = column.expression
    table = col.table
    SUBSTRING_INDEXES[col] = name
    for dialect in ("sqlite", "postgresql"):
        for stmt in substring_index_ddl(table.name, col.name, name, dialect):
            event.listen(table, "after_create", DDL(stmt).execute_if(dialect=dialect))
    event.listen(
        table,
        "before_drop",
        DDL(f"DROP TABLE IF EXISTS {name}_fts").execute_if(dialect="sqlite"),
    )


#: The users' names (the site search's people, contacts, mention suggestions, member lists).
substring_index(User.name_folded, "core_user_name")


class UserSession(db.Model):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so
    the table cannot be used to sign in. Revoking a row ends that browser's session and its
    remember-me cookie."""

    __tablename__ = "core_user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RegionAdmin(db.Model):
    """A regional administrator: the deployer's staff for one region."""

    __tablename__ = "core_region_admin"
    __table_args__ = (UniqueConstraint("user_id", "region_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("core_region.id", ondelete="CASCADE"))
    user: Mapped[User] = relationship()
    region: Mapped[Region] = relationship()


class Level(enum.StrEnum):
    SCHOOL = "school"
    DISTRICT = "district"
    CITY = "city"
    REGION = "region"
    REPUBLIC = "republic"
    NETWORK = "network"
    INTERNATIONAL = "international"


class AssociationKind(enum.StrEnum):
    METHODOLOGICAL = "methodological"
    SUBJECT = "subject"
    ASSOCIATION_OF_ASSOCIATIONS = "federation"
    CLUB = "club"
    NETWORK = "network"
    CREATIVE_GROUP = "creative_group"
    WORKSHOP = "workshop"
    BEST_PRACTICE_SCHOOL = "best_practice_school"
    SUBJECT_CYCLE_COMMISSION = "cycle_commission"
    CREATIVE_LAB = "creative_lab"
    YOUNG_TEACHERS = "young_teachers"


class JoinPolicy(enum.StrEnum):
    OPEN = "open"
    REQUEST = "request"
    INVITE = "invite"


class LegalStatus(enum.StrEnum):
    INFORMAL = "informal"
    REGISTERED = "registered"  # a registered legal entity


class Lifespan(enum.StrEnum):
    SHORT_TERM = "short-term"
    LONG_TERM = "long-term"
    PERMANENT = "permanent"


class Role(enum.StrEnum):
    """Roles inside an association, most powerful first."""

    LEADER = "leader"
    COORDINATOR = "coordinator"
    MODERATOR = "moderator"
    SECRETARY = "secretary"
    EXPERT = "expert"
    MEMBER = "member"
    PARTICIPANT = "participant"  # non-voting


class RequestStatus(enum.StrEnum):
    """A request to join an association."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"  # withdrawn by the teacher


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CharterLanguage(enum.StrEnum):
    """The languages an association's charter is written in."""

    KK = "kk"
    RU = "ru"


CHARTER_LANGUAGES = ("kk", "ru")
# The charter's sections, in their order on the page; each is a ``<name>_kk`` and a
# ``<name>_ru`` column of Association.
CHARTER_FIELDS = ("topic", "priority", "problem", "goals", "tasks", "expected_results", "rules")


class Association(db.Model):
    __tablename__ = "core_association"
    __table_args__ = (
        one_of("kind", AssociationKind),
        one_of("level", Level),
        one_of("legal_status", LegalStatus),
        one_of("lifespan", Lifespan),
        one_of("join_policy", JoinPolicy),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300), default="")
    abbr_kk: Mapped[str] = mapped_column(String(40), default="")
    abbr_ru: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(30), default=AssociationKind.SUBJECT)
    level: Mapped[str] = mapped_column(String(20), default=Level.SCHOOL, index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("core_district.id"))
    host_organisation: Mapped[str] = mapped_column(String(300), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("core_association.id"), index=True)
    legal_status: Mapped[str] = mapped_column(String(20), default=LegalStatus.INFORMAL)
    lifespan: Mapped[str] = mapped_column(String(20), default=Lifespan.PERMANENT)
    join_policy: Mapped[str] = mapped_column(String(10), default=JoinPolicy.REQUEST)
    contacts: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Charter: each section in Kazakh and in Russian (CHARTER_FIELDS; see charter_text)
    topic_kk: Mapped[str] = mapped_column(Text, default="")
    topic_ru: Mapped[str] = mapped_column(Text, default="")
    priority_kk: Mapped[str] = mapped_column(Text, default="")
    priority_ru: Mapped[str] = mapped_column(Text, default="")
    problem_kk: Mapped[str] = mapped_column(Text, default="")
    problem_ru: Mapped[str] = mapped_column(Text, default="")
    goals_kk: Mapped[str] = mapped_column(Text, default="")
    goals_ru: Mapped[str] = mapped_column(Text, default="")
    tasks_kk: Mapped[str] = mapped_column(Text, default="")
    tasks_ru: Mapped[str] = mapped_column(Text, default="")
    expected_results_kk: Mapped[str] = mapped_column(Text, default="")
    expected_results_ru: Mapped[str] = mapped_column(Text, default="")
    rules_kk: Mapped[str] = mapped_column(Text, default="")
    rules_ru: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    # Names, abbreviations and topic in both languages, folded (``keep_folded``, below): what
    # the site search matches, through a trigram index (``substring_index``).
    search_folded: Mapped[str] = mapped_column(Text, default="", server_default="")

    region: Mapped[Region | None] = relationship()
    district: Mapped[District | None] = relationship()
    parent: Mapped[Association | None] = relationship(
        remote_side="Association.id", back_populates="children"
    )
    children: Mapped[list[Association]] = relationship(
        back_populates="parent", order_by="Association.name_kk"
    )
    subjects: Mapped[list[Subject]] = relationship(secondary=association_subject)
    cyclogram: Mapped[list[CyclogramItem]] = relationship(
        order_by="CyclogramItem.position", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="association", cascade="all, delete-orphan"
    )

    def name_in(self, locale: str) -> str:
        if locale == "ru" and self.name_ru:
            return self.name_ru
        return self.name_kk or self.name_ru

    @property
    def name(self) -> str:
        return self.name_in(current_locale())

    @property
    def abbr(self) -> str:
        return (self.abbr_ru if current_locale() == "ru" else self.abbr_kk) or self.abbr_kk

    def charter_text(self, field: str, language: str) -> tuple[str, str]:
        """One charter section (a name of :data:`CHARTER_FIELDS`) in ``language`` ("kk" or
        "ru"), or in the other language when that one is empty: ``(text, its language)``."""
        language = language if language in CHARTER_LANGUAGES else "kk"
        for lang in (language, *(x for x in CHARTER_LANGUAGES if x != language)):
            text = getattr(self, f"{field}_{lang}") or ""
            if text.strip():
                return text, lang
        return "", language

    def cyclogram_in(self, language: str) -> tuple[list[CyclogramItem], str]:
        """The cyclogram's items in ``language``, or the other language's when it has none."""
        language = language if language in CHARTER_LANGUAGES else "kk"
        for lang in (language, *(x for x in CHARTER_LANGUAGES if x != language)):
            items = [i for i in self.cyclogram if i.language == lang]
            if items:
                return items, lang
        return [], language

    def charter_languages(self) -> set[str]:
        """The languages in which some part of the charter is written."""
        out = {i.language for i in self.cyclogram}
        for field in CHARTER_FIELDS:
            for lang in CHARTER_LANGUAGES:
                if (getattr(self, f"{field}_{lang}") or "").strip():
                    out.add(lang)
        return out

    def ancestors(self) -> list[Association]:
        """Parents from the nearest up, guarding against cycles."""
        out: list[Association] = []
        node = self.parent
        while node is not None and node not in out and node is not self:
            out.append(node)
            node = node.parent
        return out


#: The site search's associations: names, abbreviations and topic in Kazakh and Russian.
keep_folded(
    Association.search_folded,
    Association.name_kk,
    Association.name_ru,
    Association.abbr_kk,
    Association.abbr_ru,
    Association.topic_kk,
    Association.topic_ru,
)
substring_index(Association.search_folded, "core_association_search")


class CyclogramItem(db.Model):
    """One recurring activity of an association's cyclogram, in plain words, in one language
    (each language has its own list)."""

    __tablename__ = "core_cyclogram_item"
    __table_args__ = (one_of("language", CharterLanguage),)
    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(2), default="kk", server_default="kk")
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    activity: Mapped[str] = mapped_column(String(300))
    frequency: Mapped[str] = mapped_column(String(200), default="")


class Membership(db.Model):
    __tablename__ = "core_membership"
    __table_args__ = (UniqueConstraint("association_id", "user_id"), one_of("role", Role))
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.MEMBER)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    association: Mapped[Association] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class JoinRequest(db.Model):
    __tablename__ = "core_join_request"
    __table_args__ = (one_of("status", RequestStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.PENDING)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    association: Mapped[Association] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Invitation(db.Model):
    __tablename__ = "core_invitation"
    __table_args__ = (one_of("role", Role), one_of("status", InvitationStatus))
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    role: Mapped[str] = mapped_column(String(20), default=Role.MEMBER)
    status: Mapped[str] = mapped_column(String(12), default=InvitationStatus.PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    association: Mapped[Association] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Notification(db.Model):
    __tablename__ = "core_notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_association.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class NotificationPreference(db.Model):
    __tablename__ = "core_notification_pref"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(80))
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxEmail(db.Model):
    __tablename__ = "core_outbox_email"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    send_after: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: Extra headers of the message ({"Reply-To": ..., "List-Unsubscribe": ...}).
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    #: An HTML alternative of ``body`` (already sanitised by the sender); empty for text only.
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Files sent with the message: ``[{"filename", "mimetype", "data" (base64)}]``, small ones
    #: only (a calendar invitation, a short document): see ``notifications.MAX_ATTACHMENTS``.
    attachments: Mapped[list[dict[str, str]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )


class ReplyKey(db.Model):
    """The random key of a reply address ``<prefix>+<key>@<REPLY_DOMAIN>``: it names the user
    the address was given to, the plugin that issued it and that plugin's target (a topic,
    say), and it expires. Generic on purpose: any plugin's email may carry one, and the
    inbound-mail service hands a message to the plugin named here (``core.services.
    inbound_mail``)."""

    __tablename__ = "core_reply_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    plugin: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user: Mapped[User] = relationship()


class InboundMail(db.Model):
    """One message received for a reply address, and what became of it: the Message-ID keeps
    a message delivered twice from being posted twice, the rows per user give the rate limit
    and cap the refusal emails (no mail loop)."""

    __tablename__ = "core_inbound_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300), default="", index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[str] = mapped_column(String(20))  # accepted, refused, dropped
    reason: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class PluginSwitch(db.Model):
    """A plugin turned off (or back on) for a region or for an association and its subtree."""

    __tablename__ = "core_plugin_switch"
    __table_args__ = (UniqueConstraint("plugin", "region_id", "association_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(60), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id", ondelete="CASCADE"))
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE")
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    region: Mapped[Region | None] = relationship()
    association: Mapped[Association | None] = relationship()
    changed_by: Mapped[User | None] = relationship()


class AuditLog(db.Model):
    __tablename__ = "core_audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("core_region.id"))
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_association.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[User | None] = relationship()


class Certificate(db.Model):
    __tablename__ = "core_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    source_key: Mapped[str] = mapped_column(
        String(200), unique=True
    )  # e.g. "masterclasses:event:4:user:9"
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True
    )
    recipient_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(400))  # what for
    kind: Mapped[str] = mapped_column(String(80))  # e.g. "masterclasses.attendance"
    description: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    issued_on: Mapped[dt.date] = mapped_column(db.Date)
    issuer: Mapped[str] = mapped_column(String(300))
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_association.id", ondelete="SET NULL")
    )
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class JobRun(db.Model):
    __tablename__ = "core_job_run"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")


class ActivityForm(enum.StrEnum):
    """The forms of activity an association plans (domain.md, "Forms of activity")."""

    MASTER_CLASS = "master_class"
    SEMINAR = "seminar"
    WEBINAR = "webinar"
    VIDEO_CONFERENCE = "video_conference"
    ROUND_TABLE = "round_table"
    CONFERENCE = "conference"
    FORUM = "forum"
    COACHING = "coaching"
    LESSON_STUDY = "lesson_study"
    LEARNING_WALK = "learning_walk"
    NETWORK_MEETING = "network_meeting"
    WORKSHOP = "workshop"
    FESTIVAL = "festival"
    MARATHON = "marathon"
    CONTEST = "contest"
    CONSULTATION = "consultation"
    TRAINING = "training"
    EXHIBITION = "exhibition"
    GENERAL_MEETING = "general_meeting"


class Plan(db.Model):
    """An association's activity plan for one school year (``year`` is the starting year:
    2026 is 2026-27). Public like the charter unless ``members_only``."""

    __tablename__ = "core_plan"
    __table_args__ = (UniqueConstraint("association_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    members_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    association: Mapped[Association] = relationship()
    rows: Mapped[list[PlanRow]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="[PlanRow.number, PlanRow.id]",
    )


class PlanRow(db.Model):
    """One row of an activity plan. ``month`` (1-12) or ``on_date`` says when; the year
    follows from the plan's school year."""

    __tablename__ = "core_plan_row"
    __table_args__ = (one_of("form", ActivityForm),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("core_plan.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=0)
    topic: Mapped[str] = mapped_column(String(300))
    form: Mapped[str] = mapped_column(String(30))
    goal: Mapped[str] = mapped_column(Text, default="")
    expected_result: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    participants: Mapped[str] = mapped_column(Text, default="")  # participants and venue
    month: Mapped[int | None] = mapped_column(Integer)
    on_date: Mapped[dt.date | None] = mapped_column(db.Date)
    responsible_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    plan: Mapped[Plan] = relationship(back_populates="rows")
    responsible: Mapped[User | None] = relationship()


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"  # figures computed live, seen by the leader only
    PUBLISHED = "published"  # figures frozen, public


class AnnualReport(db.Model):
    """An association's public report for a school year: a draft (figures computed live) or
    published (figures frozen in ``snapshot``, one rendering per language)."""

    __tablename__ = "core_annual_report"
    __table_args__ = (UniqueConstraint("association_id", "year"), one_of("status", ReportStatus))
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    foreword: Mapped[str] = mapped_column(Text, default="")
    include_children: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.DRAFT)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    association: Mapped[Association] = relationship()
