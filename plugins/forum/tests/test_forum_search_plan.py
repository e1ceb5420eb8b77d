"""Search ranks only what it can show: the full-text index gives the newest matches a reader
may see, cut at ``SEARCH_CANDIDATES``, and only those are ranked (bm25 / ts_rank). The query
plans are read back from the database (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)
and fail if ranking reads or sorts every match."""

from __future__ import annotations

import json
import re

import pytest
from flask import g
from sqlalchemy import text

from core.extensions import db
from plugins.forum import services as svc
from plugins.forum.tests.forumkit import topic, world

# FTS5's xBestIndex flags, shown in the plan as "VIRTUAL TABLE INDEX <flags>:<constraints>"
FTS5_ORDER_RANK, FTS5_ORDER_ROWID, FTS5_ORDER_DESC = 0x20, 0x40, 0x80


def _statement(user, query: str, walk: bool = False):
    """The statement search_posts runs (built once, its values bound), with the values of
    ``user`` searching ``query`` rendered in, as search_posts runs it."""
    dialect = db.session.get_bind().dialect.name
    groups = svc.query_forms(query)
    match = svc._pg_tsquery(groups) if dialect != "sqlite" else svc._fts_match(groups)
    stmt = svc._bound_search_statement(dialect, (), walk, False).params(
        match=match,
        boards=svc.readable_board_ids(user),
        window=svc.SEARCH_CANDIDATES,
        limit=20,
        offset=0,
    )
    return stmt.compile(db.engine, compile_kwargs={"literal_binds": True})


def test_search_plan_ranks_only_the_newest_candidates(app, factory):
    w = world(factory)
    topic(w.public, w.member, title="Сабақ жоспары", body="Сабақ жоспары туралы")
    sql = str(_statement(w.member, "сабақ"))
    if db.session.get_bind().dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        nodes = {r[0]: (r[1], r[3]) for r in rows}
        fts = [(i, d) for i, (_, d) in nodes.items() if "forum_post_fts VIRTUAL TABLE" in d]
        assert len(fts) == 1, rows
        fts_id, detail = fts[0]
        flags = int(re.search(r"INDEX (\d+):", detail).group(1))
        # FTS5 walks the matches newest first itself and the LIMIT stops the walk; ordering
        # by rank would make it score every match first
        assert flags & FTS5_ORDER_ROWID and flags & FTS5_ORDER_DESC, rows
        assert not flags & FTS5_ORDER_RANK, rows
        # nothing sorts the candidates before the cut: no temporary B-tree beside the scan
        sub = nodes[fts_id][0]
        assert not any(p == sub and "TEMP B-TREE" in d for p, d in nodes.values()), rows
        # the FTS table is the outer loop of its subquery (materialised with its LIMIT); each
        # match's post and topic are looked up by key, never scanned nor listed beforehand
        details = [d for _, d in nodes.values()]
        assert not any(re.match(r"SCAN forum_post\b(?!_fts)", d) for d in details), rows
        assert not any(re.match(r"(SCAN|SEARCH) forum_topic USING INDEX", d) for d in details)
        assert not any("LIST SUBQUERY" in d for d in details), rows
        # the page of ranked candidates is the outer loop of the whole statement: each hit's
        # post, topic and author looked up by key, twenty times, not once per candidate
        # (joining the topic's board and association made SQLite build all topics' join
        # first and scan it for every hit: 2 s at 1M posts)
        outer = [
            d
            for parent, d in nodes.values()
            if parent == 0 and not d.startswith(("MATERIALIZE", "CO-ROUTINE", "USE TEMP"))
        ]
        assert outer[0] == "SCAN page", rows
        assert all(d.startswith("SEARCH") for d in outer[1:]), rows
        assert not any(d.startswith("MATERIALIZE (join") for d in details), rows
        assert any(d.startswith(("MATERIALIZE", "CO-ROUTINE")) for d in details), rows
    else:
        plan = db.session.execute(text("EXPLAIN (VERBOSE, FORMAT JSON) " + sql)).scalar()
        plan = plan if isinstance(plan, list) else json.loads(plan)

        def paths(node, trail=()):
            trail = (*trail, node)
            yield trail
            for child in node.get("Plans", []):
                yield from paths(child, trail)

        def matches(node) -> bool:  # a scan that finds matches (GIN or a filter with @@)
            conds = [node.get(k) for k in ("Filter", "Index Cond", "Recheck Cond")]
            return "@@" in json.dumps(conds)

        checked = 0
        for trail in paths(plan[0]["Plan"]):
            if not matches(trail[-1]):
                continue
            kinds = [n["Node Type"] for n in trail]
            for i, node in enumerate(trail):
                if "ts_rank" in json.dumps(node.get("Output")):
                    # between a node computing ts_rank and a scan finding matches below it
                    # there is a Limit: only the cut candidates are ranked
                    checked += 1
                    assert "Limit" in kinds[i + 1 :], kinds
        assert checked, plan


@pytest.mark.parametrize("walk", [False, True], ids=["bitmap", "walk"])
def test_postgresql_search_reads_the_stored_vectors(app, factory, walk):
    """PostgreSQL: matching, rechecks and ranking read ``search_tsv`` (forum_0070), whether
    the matches come from the GIN bitmap or from walking the primary key (a common word);
    computing ``to_tsvector`` again for a row (~35 us each) anywhere in the plan, be it to
    recheck a lossy bitmap's pages, to filter or to rank, fails. Ranking stays above the
    cut."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan (SQLite searches with FTS5)")
    w = world(factory)
    topic(w.public, w.member, title="Сабақ жоспары", body="Сабақ жоспары туралы")
    db.session.commit()
    sql = str(_statement(w.member, "сабақ жоспары", walk=walk))
    if walk:  # the shape a walk needs: the posts' matches in primary-key order
        assert re.search(r"ORDER BY forum_post\.id DESC", sql), sql
    plan = db.session.execute(text("EXPLAIN (VERBOSE, FORMAT JSON) " + sql)).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    dumped = json.dumps(plan, ensure_ascii=False)
    assert "to_tsvector" not in dumped, dumped
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    keys = ("Filter", "Index Cond", "Recheck Cond")
    conds = [json.dumps([n.get(k) for k in keys]) for n in nodes]
    # both the posts' and the topics' matches are found on the stored columns
    assert any("forum_post" in c and "search_tsv @@" in c for c in conds), dumped
    assert any("forum_topic" in c and "search_tsv @@" in c for c in conds), dumped
    outputs = [json.dumps(n.get("Output")) for n in nodes]
    ranked = [o for o in outputs if "ts_rank" in o]
    assert ranked and all("search_tsv" in r for r in ranked), ranked


def test_postgresql_walks_the_key_only_for_a_common_word(app, factory, monkeypatch):
    """PostgreSQL: the choice between the GIN bitmap and the primary-key walk comes from the
    stored column's statistics, and both ways give the same hits."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan choice (SQLite searches with FTS5)")
    w = world(factory)
    t = topic(w.public, w.member, title="Жиналыс", body="Жиналыс күн тәртібі")
    for n in range(60):
        svc.add_post(t, w.member, f"Жиналыс хаттамасы {n}" + (" сирек сөз" if n == 7 else ""))
    db.session.commit()
    groups = svc.query_forms("жиналыс")
    assert not svc._pg_walk_newest(groups, 1.0, 10)  # no statistics yet: the bitmap
    db.session.execute(text("ANALYZE forum_post"))
    g.pop("_forum_cache")  # as a new request: the statistics are read once per request
    assert svc._pg_walk_newest(groups, 1.0, 10)  # in every post
    assert not svc._pg_walk_newest(groups, 1.0, 1000)  # too few posts to be worth it
    assert not svc._pg_walk_newest(svc.query_forms("сирек"), 1.0, 10)  # in one post

    seen = {}
    for walk in (False, True):
        monkeypatch.setattr(svc, "_pg_walk_newest", lambda *a, walk=walk: walk)
        hits = svc.search_posts(w.member, "жиналыс хаттамасы", limit=100)
        seen[walk] = [(p.id, round(score, 6)) for p, score in hits]
    assert len(seen[False]) == 60
    assert seen[True] == seen[False]


def test_postgresql_reads_a_middling_word_above_a_floor_first(
    app, factory, monkeypatch, count_queries
):
    """PostgreSQL: a word read from the GIN bitmap is read above a floor of post ids first
    (its bitmap intersected with the primary key's range, so only the newest matches' rows
    are read), and again without it when fewer than the window of readable matches lie
    above: the hits are always those of a search without a floor."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's bitmap (SQLite searches with FTS5)")
    w = world(factory)
    t = topic(w.public, w.member, title="Жиналыс", body="Жиналыс күн тәртібі")
    posts = [svc.add_post(t, w.member, f"Жиналыс хаттамасы {n}") for n in range(60)]
    db.session.commit()
    db.session.execute(text("ANALYZE forum_post"))
    top = max(p.id for p in posts)
    groups = svc.query_forms("жиналыс")
    # in every post, read by everyone: twice the window above the newest id
    assert svc._pg_floor(groups, 1.0, 10) == top - 20
    assert svc._pg_floor(groups, 1.0, 20) is None  # half the posts or more: no floor
    assert svc._pg_floor(svc.query_forms("сирек"), 1.0, 10) is None  # no statistics
    monkeypatch.setattr(svc, "SEARCH_CANDIDATES", 10)
    monkeypatch.setattr(svc, "_pg_walk_newest", lambda *a: False)

    def search(floor):
        monkeypatch.setattr(svc, "_pg_floor", lambda *a: floor)
        with count_queries() as counter:
            hits = svc.search_posts(w.member, "жиналыс хаттамасы", limit=5, offset=3)
        searches = [s for s in counter.statements if "ts_rank" in s]
        return [(p.id, round(s, 6)) for p, s in hits], searches, hits.limited

    plain, searches, limited = search(None)
    assert len(plain) == 5 and len(searches) == 1 and limited
    assert "forum_post.id >" not in searches[0]
    # 30 matches above the floor: enough, one statement
    hits, searches, limited = search(top - 30)
    assert hits == plain and limited
    assert len(searches) == 1 and "forum_post.id >" in searches[0]
    # 5 above: not enough, read again without the floor
    hits, searches, limited = search(top - 5)
    assert hits == plain and limited
    assert len(searches) == 2 and "forum_post.id >" not in searches[1]

    # the plan reads the posts' matches from the key's range (at scale, the GIN bitmap
    # intersected with it), with the settings the search statement runs under
    stmt = svc._search_statement(
        "postgresql",
        svc._pg_tsquery(groups),
        [svc.ForumPost.approved.is_(True)],
        [svc.ForumTopic.board_id.in_(svc.readable_board_ids(w.member))],
        10,
        floor=top - 30,
    )
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    plan = json.dumps(db.session.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar())
    db.session.rollback()
    assert f'"Index Cond": "(id > {top - 30})"' in plan, plan


def test_postgresql_connections_compile_nothing_just_in_time(app):
    """Qauym's statements are short: PostgreSQL's JIT compilation cost a search more time
    than it saved (45-56 ms of a 200 ms search at a million posts)."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's setting")
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
