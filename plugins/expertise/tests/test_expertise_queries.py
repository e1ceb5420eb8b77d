"""The library and a material's page run a fixed number of queries, however many materials,
reviews and comments there are (no query per row)."""

from __future__ import annotations

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
