"""The benchmark database: the ``forum_bench.py`` forum at a given scale, plus associations,
events and library materials, built once and cached.

At ``scale`` 1: 1,000,000 posts in 20,000 topics by 100,000 users (20 associations with 5
boards each, the first board of each public), among them one topic of 40,000 posts and one of
3,000 (the topic pages measured; both on a public board of the first association), 2,000
events (half of them upcoming) and 2,000 recommended library materials. The text comes from
``forum_bench.py``'s Zipf-like Kazakh and Russian vocabulary, so a few words are in a third of
all posts and most are rare.

Speed of the build (scale 1 in a few minutes on 2 cores):
* rows are inserted with SQLAlchemy Core ``executemany`` in large batches inside one
  transaction; each row's values come from a transient ORM object (``_values``), so the
  attribute events that fill derived columns (``search_text``, and whatever a model derives
  later) run exactly as in production without the unit of work;
* on SQLite the FTS5 insert trigger is dropped during the load and the index is filled in one
  statement afterwards (``SQLITE_FTS_REBUILD``); journal and sync are off while building into
  a temporary file, which is renamed into the cache only when complete;
* on PostgreSQL the bulk tables (posts, topics, memberships) are loaded with ``COPY ... FROM
  STDIN`` (psycopg's ``cursor.copy``, ``_insert``): the same rows as ``executemany`` with the
  same Python-side column defaults, without one parsed and planned ``INSERT`` per row; the GIN
  indexes of ``forum_post`` are dropped during the load and built once afterwards; the
  finished cluster's data folder is kept as the cache.

The cache is keyed by scale, seed and a hash of everything that shapes the schema (every
``models.py`` and migration script, and this file), so a schema change rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import forum_bench as fb  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - the bench users' password
PLUGINS = "forum,masterclasses,expertise"
BIG_TOPIC, MID_TOPIC = 40_000, 3_000
EVENTS, MATERIALS = 2_000, 2_000
BATCH = 20_000
#: Part of the cache key: change it whenever ``build`` makes different data.
DATA_VERSION = "2"  # 2: posts have positions and topics and boards their counters


def default_cache_dir() -> Path:
    return Path(os.environ.get("QAUYM_BENCH_CACHE") or Path.home() / ".cache" / "qauym-bench")


def schema_key(dialect: str = "sqlite") -> str:
    """A short hash of the schema revision: the DDL of every table the bench app creates
    (``CREATE TABLE`` and ``CREATE INDEX`` for ``dialect``), the migration revisions present,
    the vocabulary (``forum_bench.py``) and ``DATA_VERSION``. A model edit that does not
    change the schema keeps the cache; a new column or migration rebuilds it."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from core.extensions import db
    from core.migrations import owned_by

    app = make_app("sqlite://")
    owners = {"core", *app.extensions["qauym_plugins"].enabled}
    dia = sqlite.dialect() if dialect == "sqlite" else postgresql.psycopg.dialect()
    h = hashlib.sha256(DATA_VERSION.encode())
    for name in sorted(db.metadata.tables):
        if not owned_by(name, owners):
            continue
        table = db.metadata.tables[name]
        h.update(str(CreateTable(table).compile(dialect=dia)).encode())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            h.update(str(CreateIndex(index).compile(dialect=dia)).encode())
    revisions = [
        *ROOT.glob("core/migrations/versions/*.py"),
        *ROOT.glob("plugins/*/migrations/versions/*.py"),
    ]
    for f in sorted(str(f.relative_to(ROOT)) for f in revisions):
        h.update(f.encode())
    h.update((BENCH / "forum_bench.py").read_bytes())
    return h.hexdigest()[:12]


def app_config(database_url: str) -> dict:
    return {
        "PLUGINS": PLUGINS,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-key",
        "DEFAULT_LOCALE": "kk",
        "BASE_URL": "http://127.0.0.1",
    }


def make_app(database_url: str, **extra):
    from core import create_app

    return create_app({**app_config(database_url), **extra})


def _values(model, **given) -> dict:
    """The column values the ORM would insert for ``model(**given)``: the attribute events
    (e.g. ``search_text`` from ``body``) run on a transient object."""
    obj = model(**given)
    state = obj.__dict__
    return {c.key: state[c.key] for c in model.__table__.columns if c.key in state}


def _copy_plan(table, keys) -> list | None:
    """For ``COPY``: each column written, with where its value comes from: the row's own
    value, or the column's Python-side default as ``executemany`` would apply it (a scalar,
    or a function of no arguments called per row). ``None`` when a default needs SQLAlchemy's
    execution context (e.g. ``User.handle`` from the name): such a table is inserted as
    before."""
    plan = []
    for c in table.columns:
        if c.key in keys:
            plan.append((c.key, None))
        elif c.default is not None and not c.primary_key:
            d = c.default
            if d.is_scalar:
                plan.append((c.key, lambda v=d.arg: v))
            elif d.is_callable:
                try:
                    d.arg(None)
                except (AttributeError, TypeError):
                    return None
                plan.append((c.key, lambda f=d.arg: f(None)))
            else:
                return None
    return plan


def _insert(model, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table: ``COPY`` on
    PostgreSQL where :func:`_copy_plan` allows it, ``executemany`` otherwise."""
    import enum

    from sqlalchemy import insert

    from core.extensions import db

    if not rows:
        return
    conn = db.session.connection()
    plan = _copy_plan(model.__table__, rows[0].keys()) if conn.dialect.name != "sqlite" else None
    if plan is None:
        db.session.execute(insert(model), rows)
        return

    def cell(v):
        return v.value if isinstance(v, enum.Enum) else v

    names = ", ".join(f'"{key}"' for key, _ in plan)
    raw = conn.connection.driver_connection
    sql = f'COPY "{model.__table__.name}" ({names}) FROM STDIN'
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row([cell(row[key]) if make is None else cell(make()) for key, make in plan])


def _post_values_function(model) -> Callable[..., dict]:
    """``_values`` for posts, without the ORM when the only column derived from ``body`` is
    ``search_text`` (``normalise(body)``): a million transient objects would cost minutes. If a
    model derives more (e.g. stored HTML), every post goes through ``_values``."""
    from core.api import normalise

    probe = {"topic_id": 1, "number": 1, "author_id": 1, "body": "Сабақ **жоспары**."}
    derived = set(_values(model, **probe)) - set(probe)
    if derived == {"search_text"} and _values(model, **probe)["search_text"] == normalise(
        probe["body"]
    ):
        return lambda **v: {**v, "search_text": normalise(v["body"])}
    return lambda **v: _values(model, **v)


def _sizes(rng: random.Random, n_topics: int, n_posts: int, big: int, mid: int) -> list[int]:
    """Posts per topic: the big and the middle topic first, the rest Pareto-distributed
    (a few long threads, many short ones) so that the total is ``n_posts``."""
    rest = n_posts - big - mid
    weights = [rng.paretovariate(1.5) for _ in range(n_topics - 2)]
    total = sum(weights)
    sizes = [max(1, int(w / total * rest)) for w in weights]
    # Long tails above the middle topic would blur "a 3,000-post topic"; cap them below it.
    sizes = [min(s, mid - 1) for s in sizes]
    missing = rest - sum(sizes)
    i = 0
    while missing > 0:
        add = min(missing, mid - 1 - sizes[i % len(sizes)])
        if add > 0:
            sizes[i % len(sizes)] += add
            missing -= add
        i += 1
        if i > 10 * len(sizes):
            break
    return [big, mid, *sizes]


def build(database_url: str, scale: float, seed: int = 1, log: Callable = print) -> dict:
    """Fill an empty database at ``database_url``; return the bench's facts (also stored in
    the table ``bench_meta``)."""
    from sqlalchemy import insert, select, text
    from werkzeug.security import generate_password_hash

    from core.extensions import db
    from core.migrations import owned_by
    from core.models import Association, Membership, Region, User

    app = make_app(database_url)
    from plugins.expertise.models import Submission
    from plugins.forum.models import ForumBoard, ForumPost, ForumTopic
    from plugins.masterclasses.models import Event

    rng = random.Random(seed)
    words, cum = fb.vocabulary(random.Random(seed))
    fb.VOCAB[0][:] = words
    fb.VOCAB[1][:] = cum
    n_users = max(60, int(fb.TARGET["users"] * scale))
    n_topics = max(40, int(fb.TARGET["topics"] * scale))
    n_posts = max(n_topics * 3, int(fb.TARGET["posts"] * scale))
    big = max(90, round(BIG_TOPIC * scale))
    mid = max(61, round(MID_TOPIC * scale))
    if big <= mid:
        big = mid * 3
    n_posts = max(n_posts, big + mid + n_topics)
    n_events = max(20, int(EVENTS * scale))
    n_materials = max(30, int(MATERIALS * scale))
    t0 = time.perf_counter()
    with app.app_context():
        dialect = db.engine.dialect.name
        owners = {"core", *app.extensions["qauym_plugins"].enabled}
        tables = [t for name, t in db.metadata.tables.items() if owned_by(name, owners)]
        db.metadata.create_all(db.engine, tables=tables)
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_meta (key VARCHAR(40) PRIMARY KEY, value TEXT)"))
        conn = db.session.connection()
        if dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA journal_mode=OFF")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'forum_post' AND sql LIKE '%AFTER INSERT%'"
            ).all()
            for name, _sql in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        else:
            triggers = conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'forum_post' "
                    "AND indexdef ILIKE :gin"
                ),
                {"gin": "%USING gin%"},
            ).all()
            for name, _sql in triggers:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')

        region = Region(code="bench", name_kk="Облыс", name_ru="Область", name_en="Region")
        db.session.add(region)
        db.session.flush()
        per_assoc = Counter(i % fb.ASSOCIATIONS for i in range(n_users))
        db.session.execute(
            insert(Association),
            [
                _values(
                    Association,
                    slug=f"bench-{i}",
                    name_kk=f"Бірлестік {i}",
                    name_ru=f"Объединение {i}",
                    region_id=region.id,
                    description=fb.sentence(rng, 30),
                    rules_kk="Сыпайы болыңыз.",
                    member_count=per_assoc[i],
                )
                for i in range(fb.ASSOCIATIONS)
            ],
        )
        assoc_ids = db.session.scalars(select(Association.id).order_by(Association.id)).all()
        pw = generate_password_hash(PASSWORD, method="scrypt")
        first = ["Айгүл", "Марат", "Дана", "Ержан", "Ольга", "Нұрлан", "Сәуле"]
        last = ["Серікова", "Оспанов", "Ахметова", "Ким", "Жұмабаев"]
        for start in range(0, n_users, BATCH):
            db.session.execute(
                insert(User),
                [
                    _values(
                        User,
                        email=f"u{i}@bench.kz",
                        password_hash=pw,
                        full_name=f"{rng.choice(first)} {rng.choice(last)} {i}",
                    )
                    for i in range(start, min(n_users, start + BATCH))
                ],
            )
        user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
        for start in range(0, n_users, BATCH):
            _insert(
                Membership,
                [
                    _values(Membership, association_id=assoc_ids[i % fb.ASSOCIATIONS], user_id=u)
                    for i, u in enumerate(user_ids[start : start + BATCH], start)
                ],
            )
        db.session.execute(
            insert(ForumBoard),
            [
                _values(
                    ForumBoard,
                    association_id=a,
                    name=f"Бөлім {a}-{b}",
                    position=b,
                    visibility="public" if b == 0 else "members",
                )
                for a in assoc_ids
                for b in range(fb.BOARDS_PER_ASSOCIATION)
            ],
        )
        boards = db.session.execute(
            select(ForumBoard.id, ForumBoard.association_id).order_by(ForumBoard.id)
        ).all()
        base = dt.datetime(2026, 1, 1)
        sizes = _sizes(rng, n_topics, n_posts, big, mid)
        topic_rows = []
        for i, size in enumerate(sizes):
            board_id, assoc_id = boards[0] if i < 2 else boards[i % len(boards)]
            topic_rows.append(
                _values(
                    ForumTopic,
                    board_id=board_id,
                    association_id=assoc_id,
                    author_id=rng.choice(user_ids),
                    title=fb.sentence(rng, rng.randint(3, 9))[:190],
                    kind="question" if i % 4 == 0 else "discussion",
                    created_at=base + dt.timedelta(minutes=i),
                    highest_number=size,
                    visible_number=size,
                    reply_count=size - 1,
                    last_post_at=base + dt.timedelta(minutes=i, seconds=size),
                    last_poster_id=rng.choice(user_ids),
                )
            )
        for start in range(0, len(topic_rows), BATCH):
            _insert(ForumTopic, topic_rows[start : start + BATCH])
        topic_ids = db.session.scalars(select(ForumTopic.id).order_by(ForumTopic.id)).all()
        log(f"  {n_users:,} users, {len(topic_ids):,} topics ({time.perf_counter() - t0:.0f} s)")

        post_values = _post_values_function(ForumPost)
        batch: list[dict] = []
        made = 0
        for tid, size in zip(topic_ids, sizes, strict=True):
            for n in range(1, size + 1):
                batch.append(
                    post_values(
                        topic_id=tid,
                        number=n,
                        position=n,
                        author_id=rng.choice(user_ids),
                        body=fb.body(rng),
                        created_at=base + dt.timedelta(minutes=tid, seconds=n),
                    )
                )
                if len(batch) >= BATCH:
                    _insert(ForumPost, batch)
                    made += len(batch)
                    batch = []
                    if made % 100_000 == 0:
                        log(f"  {made:,} posts ({time.perf_counter() - t0:.0f} s)")
        if batch:
            _insert(ForumPost, batch)
            made += len(batch)
        log(f"  {made:,} posts ({time.perf_counter() - t0:.0f} s)")
        # The counters the app keeps in every write (positions, approved and reply counts,
        # last posts of topics and boards), computed as ``qauym forum repair`` does: without
        # them a topic page shows no posts at all (its approved count is 0).
        from plugins.forum.counters import REPAIR_SQL

        for stmt in REPAIR_SQL:
            db.session.execute(text(stmt))
        log(f"  counters ({time.perf_counter() - t0:.0f} s)")

        # Events (masterclasses): half held, half upcoming (from 2030, so they stay upcoming).
        forms = ["master_class", "seminar", "webinar", "round_table", "conference"]
        event_rows = []
        for i in range(n_events):
            upcoming = i % 2 == 0
            start = (dt.datetime(2030, 1, 1) if upcoming else dt.datetime(2025, 1, 1)) + (
                dt.timedelta(hours=7 * i)
            )
            event_rows.append(
                _values(
                    Event,
                    association_id=assoc_ids[i % fb.ASSOCIATIONS],
                    title=fb.sentence(rng, rng.randint(4, 8))[:290],
                    form=forms[i % len(forms)],
                    description=fb.body(rng),
                    delivery="online" if i % 3 == 0 else "face",
                    venue="Мектеп № 12" if i % 3 else "",
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=2),
                    capacity=30 if i % 4 else None,
                    visibility="public",
                    status="published" if upcoming else "held",
                    created_by_id=user_ids[i % len(user_ids)],
                )
            )
        db.session.execute(insert(Event), event_rows)
        types = ["lesson_plan", "medium_term_plan", "method_recommendation", "summative_tasks"]
        db.session.execute(
            insert(Submission),
            [
                _values(
                    Submission,
                    association_id=assoc_ids[i % fb.ASSOCIATIONS],
                    author_id=user_ids[(i * 7) % len(user_ids)],
                    title=fb.sentence(rng, rng.randint(4, 9))[:290],
                    material_type=types[i % len(types)],
                    grade_from=1 + i % 6,
                    grade_to=6 + i % 6,
                    language="kk" if i % 3 else "ru",
                    abstract=fb.body(rng),
                    keywords=", ".join(rng.sample(fb.WORDS, 3)),
                    state="recommended",
                    round=1,
                    created_at=dt.datetime(2025, 1, 1) + dt.timedelta(hours=5 * i),
                    submitted_at=dt.datetime(2025, 1, 2) + dt.timedelta(hours=5 * i),
                    decided_at=dt.datetime(2025, 1, 9) + dt.timedelta(hours=5 * i),
                    published_at=dt.datetime(2025, 1, 9) + dt.timedelta(hours=5 * i),
                )
                for i in range(n_materials)
            ],
        )

        conn = db.session.connection()
        if dialect == "sqlite":
            from plugins.forum import models as fm

            for stmt in getattr(fm, "SQLITE_FTS_REBUILD", []):
                conn.exec_driver_sql(stmt)
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)
        else:
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)
        log(f"  search index ({time.perf_counter() - t0:.0f} s)")

        meta = {
            "scale": scale,
            "seed": seed,
            "users": n_users,
            "topics": len(topic_ids),
            "posts": made,
            "big_topic": topic_ids[0],
            "big_posts": big,
            "mid_topic": topic_ids[1],
            "mid_posts": mid,
            "board": boards[0][0],
            "association": "bench-0",
            "member_email": "u0@bench.kz",
            "events": n_events,
            "materials": n_materials,
        }
        meta["words"] = pick_words(db, dialect, words, made)
        db.session.execute(
            text("INSERT INTO bench_meta (key, value) VALUES ('meta', :v)"),
            {"v": json.dumps(meta, ensure_ascii=False)},
        )
        db.session.commit()
        conn = db.session.connection()
        if dialect == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        db.session.commit()
        if dialect != "sqlite":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()
    log(
        f"built {n_users:,} users, {len(topic_ids):,} topics, {made:,} posts, "
        f"{n_events:,} events, {n_materials:,} materials in {time.perf_counter() - t0:.0f} s"
    )
    return meta


def match_count(db, dialect: str, word: str) -> int:
    """Posts matching ``word`` the way the forum searches it (every form of it)."""
    from sqlalchemy import text

    from core.api import query_forms

    groups = query_forms(word)
    if not groups:
        return 0
    if dialect == "sqlite":
        expr = " AND ".join("(" + " OR ".join(f'"{f}"' for f in g) + ")" for g in groups)
        sql = "SELECT count(*) FROM forum_post_fts WHERE forum_post_fts MATCH :q"
    else:
        expr = " & ".join("(" + " | ".join(g) + ")" for g in groups)
        sql = "SELECT count(*) FROM forum_post WHERE search_tsv @@ to_tsquery('simple', :q)"
    return db.session.execute(text(sql), {"q": expr}).scalar_one()


def pick_words(db, dialect: str, words: list[str], n_posts: int) -> dict:
    """A rare word (about 0.005% of posts, at least 25), a middling one (about 3%, like the
    29,250 matches of issue 13) and one in a third of all posts, measured on the index."""
    targets = {"rare": max(25, n_posts * 0.00005), "middling": n_posts * 0.03, "third": n_posts / 3}
    # The vocabulary is Zipf-like (weight 1/(rank+5)); a post has about 25 words.
    h = sum(1 / (r + 5) for r in range(len(words)))
    out = {}
    for name, want in targets.items():
        p = want / n_posts
        best = None
        for rank in range(len(words)):
            share = 1 - (1 - (1 / (rank + 5)) / h) ** 25
            if share <= p or rank == len(words) - 1:
                candidates = words[max(0, rank - 6) : rank + 6]
                break
        for w in candidates:
            if len(w) < 3:
                continue
            got = match_count(db, dialect, w)
            if got >= 20 and (best is None or abs(got - want) < abs(best[1] - want)):
                best = (w, got)
        out[name] = {"word": best[0], "matches": best[1]} if best else None
    return out


def read_meta(database_url: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return json.loads(
                conn.execute(text("SELECT value FROM bench_meta WHERE key = 'meta'")).scalar_one()
            )
    finally:
        engine.dispose()


def _scale_name(scale: float) -> str:
    return f"{scale:g}".replace(".", "_")


# --- SQLite ----------------------------------------------------------------------------


def sqlite_database(scale: float, workdir: Path, cache: Path | None, log=print, seed=1):
    """A SQLite file for this run (a copy of the cached one, built first when missing)."""
    cache_file = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        cache_file = cache / f"sqlite-s{_scale_name(scale)}-seed{seed}-{schema_key()}.db"
    target = workdir / "bench.db"
    if cache_file is not None and cache_file.exists():
        log(f"reusing {cache_file}")
    else:
        building = (cache_file or target).with_suffix(".building")
        building.unlink(missing_ok=True)
        log(f"building the scale {scale:g} database (SQLite)…")
        build(f"sqlite:///{building}", scale, seed, log)
        sqlite3.connect(building).close()
        if cache_file is None:
            building.rename(target)
            return f"sqlite:///{target}"
        building.rename(cache_file)
    shutil.copyfile(cache_file, target)
    return f"sqlite:///{target}"


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_cluster_class():
    from core.testing import PostgresCluster, _pg_bin

    class BenchCluster(PostgresCluster):
        """The tests' throwaway cluster (core.testing), optionally started on a copy of a
        cached data folder instead of a fresh ``initdb``."""

        def start_existing(self) -> None:
            if self.as_root:  # as start() does: the server (user postgres) writes its log here
                shutil.chown(self.dir, "postgres", "postgres")
            self.start_server()

        def stop_clean(self) -> None:
            self._run(_pg_bin("pg_ctl"), "-D", self.datadir, "-m", "fast", "-w", "stop")

    return BenchCluster


def _copy_tree(src: Path, dst: Path) -> None:
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)


def postgres_database(scale: float, cache: Path | None, log=print, seed=1):
    """(cluster, URL): a throwaway PostgreSQL cluster holding the bench database, started on a
    copy of the cached data folder when there is one. ``cluster.stop()`` removes it."""
    cls = _pg_cluster_class()
    cluster = cls()
    cached = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        cached = cache / f"pg-s{_scale_name(scale)}-seed{seed}-{schema_key('postgresql')}"
    if cached is not None and cached.exists():
        log(f"reusing {cached}")
        try:
            _copy_tree(cached, Path(cluster.datadir))
            cluster.start_existing()
        except BaseException:
            cluster.stop()
            raise
        return cluster, f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/bench"
    try:
        cluster.start()
        url = cluster.create_database("bench")
        log(f"building the scale {scale:g} database (PostgreSQL)…")
        build(url, scale, seed, log)
        if cached is not None:
            cluster.stop_clean()
            tmp = cached.with_name(cached.name + ".building")
            shutil.rmtree(tmp, ignore_errors=True)
            _copy_tree(Path(cluster.datadir), tmp)
            tmp.rename(cached)
            cluster.start_existing()
    except BaseException:
        cluster.stop()
        raise
    return cluster, url
