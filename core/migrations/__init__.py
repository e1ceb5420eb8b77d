"""Alembic migrations of the core (branch ``core``); see ``env.py`` for the layout."""

from __future__ import annotations


def is_fts_table(name: str) -> bool:
    """A SQLite FTS5 virtual table (``*_fts``) or one of its shadow tables (``*_fts_data``...).

    Plugins create them with raw DDL in their migrations; models do not describe them, so
    autogenerate must not see them.
    """
    return name.endswith("_fts") or "_fts_" in name


def is_search_vector(column) -> bool:
    """A PostgreSQL full-text column: type ``tsvector``, named ``*_tsv`` (``search_tsv``).

    Plugins add them with raw DDL on PostgreSQL only (SQLite has FTS5 tables instead), after
    the table is created and in their migrations; models do not describe them, so
    autogenerate must not propose to drop them, nor their indexes. Any other column the
    models lack is still reported.
    """
    from sqlalchemy.dialects.postgresql import TSVECTOR

    return (column.name or "").endswith("_tsv") and isinstance(column.type, TSVECTOR)


def is_trigram_index(name: str | None) -> bool:
    """A PostgreSQL pg_trgm index (``ix_*_trgm``), made by raw DDL as the models cannot say
    ``gin_trgm_ops`` for PostgreSQL alone (``core.models.substring_index``)."""
    return bool(name) and name.startswith("ix_") and name.endswith("_trgm")


def owned_by(name: str, owners: set[str] | frozenset[str]) -> bool:
    """Whether table ``name`` carries the prefix of one of ``owners`` (``core``, plugin names)."""
    return any(name.startswith(f"{owner}_") for owner in owners)


def include_object_for(owners: set[str] | frozenset[str]):
    """Alembic ``include_object`` that compares only what ``owners`` own, FTS tables, search
    vector columns (:func:`is_search_vector`) and trigram indexes (:func:`is_trigram_index`)
    aside.

    ``owners`` is ``{"core", *enabled plugin names}``. With ``QAUYM_PLUGINS=forum`` the
    database still holds the other installed plugins' tables (their branches ran); leaving
    them out keeps autogenerate from proposing to drop them in the forum's revision.
    """

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table":
            table_name = name
        else:
            table_name = getattr(getattr(obj, "table", None), "name", None)
        if not table_name:
            return True
        if is_fts_table(table_name):
            return False
        # a search vector the database has and the models do not describe, and an index
        # over nothing but such columns
        if reflected and compare_to is None:
            if type_ == "column" and is_search_vector(obj):
                return False
            if type_ == "index" and obj.columns and all(map(is_search_vector, obj.columns)):
                return False
            if type_ == "index" and is_trigram_index(name):
                return False
        return owned_by(table_name, owners)

    return include_object
