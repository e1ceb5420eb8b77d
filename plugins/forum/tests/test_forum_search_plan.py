"""Search ranks only what it can show: the full-text index orders and cuts the matches
(``LIMIT``) before any join or permission filter. The query plans are read back from the
database (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN) and fail if ranking sorts or
joins every match."""

from __future__ import annotations

import json

from sqlalchemy import text

from core.extensions import db
from plugins.forum import services as svc
from plugins.forum.tests.forumkit import topic, world


def _statement(user, query: str):
    dialect = db.session.get_bind().dialect.name
    groups = svc.query_forms(query)
    tsquery = svc._pg_tsquery(groups) if dialect != "sqlite" else ""
    stmt = svc._search_statement(dialect, groups, tsquery, 20 * svc.SEARCH_WINDOWS[0])
    stmt = stmt.where(svc.ForumTopic.board_id.in_(svc.readable_board_ids(user))).limit(20)
    return stmt.compile(db.engine, compile_kwargs={"literal_binds": True})


def test_search_plan_ranks_in_the_index_before_joining(app, factory):
    w = world(factory)
    topic(w.public, w.member, title="Сабақ жоспары", body="Сабақ жоспары туралы")
    sql = str(_statement(w.member, "сабақ"))
    if db.session.get_bind().dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        nodes = {r[0]: (r[1], r[3]) for r in rows}

        def ancestors(node_id):
            while node_id in nodes:
                node_id = nodes[node_id][0]
                if node_id in nodes:
                    yield nodes[node_id][1]

        fts = [i for i, (_, d) in nodes.items() if "forum_post_fts VIRTUAL TABLE" in d]
        assert fts, rows
        # the FTS scan runs in its own subquery (materialised with its LIMIT), not flattened
        # into the join where all matches would be joined and sorted
        assert any(a.startswith(("MATERIALIZE", "CO-ROUTINE")) for a in ancestors(fts[0])), rows
        # FTS5 consumes ORDER BY rank itself: no temporary B-tree sorts the matches
        sub = nodes[fts[0]][0]
        assert not any(parent == sub and "TEMP B-TREE" in d for parent, d in nodes.values()), rows
        # posts and topics are looked up by key for the few ranked rows only
        details = [d for _, d in nodes.values()]
        assert not any(d.startswith("SCAN forum_post") and "fts" not in d for d in details), rows
    else:
        plan = db.session.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar()
        plan = plan if isinstance(plan, list) else json.loads(plan)

        def paths(node, trail=()):
            trail = (*trail, node)
            yield trail
            for child in node.get("Plans", []):
                yield from paths(child, trail)

        gin = [
            t
            for t in paths(plan[0]["Plan"])
            if t[-1].get("Index Name") == "ix_forum_post_search_tsv"
        ]
        assert gin, plan
        for trail in gin:
            kinds = [n["Node Type"] for n in trail]
            # between the join with topics and the GIN scan there is a Limit: the matches
            # are ranked and cut before they are joined
            joins = [
                i for i, k in enumerate(kinds) if k in ("Nested Loop", "Hash Join", "Merge Join")
            ]
            assert joins, kinds
            assert "Limit" in kinds[joins[0] :], kinds
