"""bench/run.py keeps working (so the speed table in README.md can be reproduced): the data
build at a tiny scale, the in-process part (every page answers 200, its size, its SQL
statements, the raw full-text query), the bare page of the same size, wrk's output read back
and the table printed. No servers, no wrk, no times asserted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import bare_app  # noqa: E402
import data  # noqa: E402
import run  # noqa: E402

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8000/forum/t/1
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.50ms    3.10ms  40.00ms   80.00%
    Req/Sec   640.00     20.00   700.00     70.00%
  Latency Distribution
     50%   11.80ms
     75%   13.00ms
     90%   15.20ms
     99%    1.20s
  1280 requests in 2.00s, 25.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    639.51
Transfer/sec:     12.50MB
p95_us 18250
"""


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench")
    url = data.sqlite_database(0.002, workdir, cache=workdir / "cache", log=lambda *a: None)
    return url, data.read_meta(url)


def test_data_build(bench_db):
    url, meta = bench_db
    assert meta["posts"] >= meta["big_posts"] + meta["mid_posts"]
    assert meta["big_posts"] > meta["mid_posts"] >= 61  # first, middle and last pages differ
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        big = conn.execute(
            text("SELECT count(*) FROM forum_post WHERE topic_id = :t"), {"t": meta["big_topic"]}
        ).scalar_one()
        empty = conn.execute(
            text("SELECT count(*) FROM forum_post WHERE search_text = ''")
        ).scalar_one()
        indexed = conn.execute(text("SELECT count(*) FROM forum_post_fts")).scalar_one()
        events = conn.execute(text("SELECT count(*) FROM masterclasses_event")).scalar_one()
        # The counters the app keeps: without them a topic page is empty (a bench that
        # measured pages without posts for a while).
        counted, positions = conn.execute(
            text(
                "SELECT t.approved_count, (SELECT count(*) FROM forum_post p "
                "WHERE p.topic_id = t.id AND p.position = p.number) "
                "FROM forum_topic t WHERE t.id = :t"
            ),
            {"t": meta["big_topic"]},
        ).one()
        board_posts = conn.execute(
            text("SELECT sum(post_count) FROM forum_board"),
        ).scalar_one()
    engine.dispose()
    assert counted == positions == meta["big_posts"]
    assert board_posts == meta["posts"]
    assert big == meta["big_posts"]
    assert empty == 0  # search_text filled as the ORM would
    assert indexed == meta["posts"]  # the FTS index rebuilt after the load
    assert events == meta["events"]
    for kind in ("rare", "middling", "third"):
        assert meta["words"][kind]["matches"] >= 20
    assert (
        meta["words"]["rare"]["matches"]
        < meta["words"]["middling"]["matches"]
        < meta["words"]["third"]["matches"]
    )


def test_cache_is_reused(tmp_path, bench_db):
    url, _meta = bench_db
    cache = Path(url.removeprefix("sqlite:///")).parent / "cache"
    logged = []
    (tmp_path / "w").mkdir()
    data.sqlite_database(0.002, tmp_path / "w", cache=cache, log=logged.append)
    assert logged and logged[0].startswith("reusing")


def test_in_process_part_and_table(bench_db):
    url, meta = bench_db
    pages = run.pages_for(meta)
    names = {p.name for p in pages}
    assert len(pages) == 2 * (6 + 5 + 6)  # anonymous and member for each
    assert any("middle page" in n for n in names)
    run.measure_in_process(url, meta, pages, log=lambda *a: None)
    for page in pages:
        assert page.bytes > 1000, page
        # Anonymous pages may come from the page cache (no SQL at all) on the counted request.
        assert page.sql > 0 or not page.member, page
    searches = [p for p in pages if p.group == "search"]
    assert all(p.raw_p95 is not None for p in searches)
    # A member sees more than an anonymous visitor (the session is used).
    topic = [p for p in pages if p.group == "topic"]
    assert topic[1].member and topic[1].bytes > topic[0].bytes
    # Each topic page shows its 20 posts (the last page what is left), anonymous and member.
    app = data.make_app(url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    for page in topic:
        client = app.test_client()
        if page.member:
            client.post("/login", data={"email": meta["member_email"], "password": data.PASSWORD})
        html = client.get(page.url).get_data(as_text=True)
        shown = html.count('<article class="post')
        assert shown == 20 or ("last" in page.name and 0 < shown <= 20), (page, shown)

    result = run.parse_wrk(WRK_OUTPUT)
    assert result == {
        "rps": 639.51,
        "p95": 18.25,
        "p50": 11.8,
        "p99": 1200.0,
        "non2xx": 3,
        "timeouts": 0,
    }
    for page in pages:
        page.qauym = dict(result)
        page.bare = dict(result, rps=1279.02)
    text = run.table(pages)
    assert "50%" in text and "3 non-2xx" in text
    md = run.table(pages, markdown=True)
    lines = md.splitlines()
    assert lines[0].startswith("| page | who | bytes | SQL | req/s")
    assert len(lines) == len(pages) + 2
    assert all(line.count("|") == len(run.HEADER) + 1 for line in lines)


def test_bare_page_has_the_same_size():
    spec = {"small": 3000, "big": 41_234, "tiny": 900}
    client = bare_app.create(spec).test_client()
    for key, size in spec.items():
        resp = client.get(f"/p/{key}")
        assert resp.status_code == 200
        assert len(resp.data) == size


def test_wrk_failure_is_an_error():
    with pytest.raises(run.BenchError):
        run.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_postgresql_cache_is_reused(tmp_path):
    """A cached PostgreSQL data folder starts again (as root too: the server, run as user
    postgres, must be able to write its log in the new cluster's folder) and holds the data."""
    from sqlalchemy import create_engine, text

    cache = tmp_path / "cache"
    for expected in ("building", "reusing"):
        logged: list[str] = []
        cluster, url = data.postgres_database(0.002, cache, log=logged.append)
        try:
            assert any(line.startswith(expected) for line in logged), logged
            engine = create_engine(url)
            with engine.connect() as conn:
                posts = conn.execute(text("SELECT count(*) FROM forum_post")).scalar_one()
            engine.dispose()
            assert posts == data.read_meta(url)["posts"]
        finally:
            cluster.stop()
