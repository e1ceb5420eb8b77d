"""The library and a material's page run a fixed number of queries, however many materials,
reviews and comments there are (no query per row)."""

from __future__ import annotations

import pytest

from core.extensions import db
from plugins.expertise.models import Comment
from plugins.expertise.tests.conftest import as_user, logout, reviewed, step


def _publish(client, post, world) -> int:
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    step(client, post, sub_id, "recommend")
    return sub_id


def _count(client, count_queries, url: str) -> int:
    with count_queries() as c:
        assert client.get(url).status_code == 200
    return c.count


def test_library_and_material_page_query_counts_do_not_grow(world, client, post, count_queries):
    sub_id = _publish(client, post, world)
    db.session.add(Comment(submission_id=sub_id, author_id=world.coauthor.id, body="first"))
    db.session.commit()
    as_user(client, world.member)
    library_one = _count(client, count_queries, "/expertise/library")
    page_before = _count(client, count_queries, f"/expertise/s/{sub_id}")
    _publish(client, post, world)
    _publish(client, post, world)
    for i in range(4):
        top = Comment(submission_id=sub_id, author_id=world.member.id, body=f"c{i}")
        db.session.add(top)
        db.session.flush()
        db.session.add(
            Comment(submission_id=sub_id, parent_id=top.id, author_id=world.author.id, body="r")
        )
    db.session.commit()
    as_user(client, world.member)
    assert _count(client, count_queries, "/expertise/library") <= library_one
    assert _count(client, count_queries, f"/expertise/s/{sub_id}") <= page_before
    logout(client)
    assert _count(client, count_queries, f"/expertise/s/{sub_id}") <= page_before


@pytest.mark.parametrize("stats", [False, True], ids=["fresh", "analyzed"])
def test_the_library_filter_lists_associations_with_published_materials_by_index(
    world, client, post, factory, stats
):
    """The library's association filter offers the associations with a published material
    (not one whose materials are all drafts), and SQLite finds them by probing each
    association's materials on their index, not by reading every material (the bench's
    2,000 materials made that a tenth of the page). On a fresh database and with the
    statistics ANALYZE wrote for the bench (every material published: the state index
    selects nothing)."""
    import re

    from sqlalchemy import event

    from core.testing import sqlite_plan, sqlite_statistics
    from plugins.expertise.models import Submission

    _publish(client, post, world)
    drafts_only = factory.association(name_kk="Тек жобалары бар бірлестік")
    db.session.add(
        Submission(
            association_id=drafts_only.id,
            author_id=world.author.id,
            title="Жоба",
            material_type="lesson_plan",
            grade_from=5,
            grade_to=6,
            language="kk",
        )
    )
    db.session.commit()
    if stats and db.session.get_bind().dialect.name == "sqlite":
        sqlite_statistics(
            "expertise_submission",
            {
                "ix_expertise_submission_state": "2000 2000",
                "ix_expertise_submission_association_id": "2000 100",
                "ix_expertise_submission_author_id": "2000 1",
                "ix_expertise_submission_published_at": "2000 1",
            },
        )
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):
        if (
            statement.startswith("SELECT core_association.id")
            and "expertise_submission" in statement
        ):
            seen.append((statement, params))

    as_user(client, world.member)
    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        html = client.get("/expertise/library").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    options = re.findall(
        r'<option value="(\d+)"', html.split('id="association"', 1)[1].split("</select>", 1)[0]
    )
    assert options == [str(world.association.id)]
    assert len(seen) == 1
    if db.session.get_bind().dialect.name != "sqlite":
        return
    plan = sqlite_plan(*seen[0])
    reads = [d for d in plan if "expertise_submission" in d]
    assert reads and all(d.startswith("SEARCH expertise_submission USING ") for d in reads), plan
