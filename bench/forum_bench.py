"""Measure the forum's topic page, board page and search against a bare Flask+Jinja page.

    .venv/bin/python bench/forum_bench.py [--scale 0.05] [--requests 200] [--db PATH] [--reuse]

The full target is ``--scale 1``: 1,000,000 posts in 20,000 topics by 100,000 users (20
associations with 5 boards each; 50 posts a topic on average, lengths varying). Building it
takes a while and about 1.5 GB of SQLite; the default ``--scale 0.05`` (50,000 posts, 1,000
topics, 5,000 users) builds and runs in about a minute on a small machine. ``--reuse`` keeps and
reuses the database file between runs (``--db``), so the large forum is built once.

Rows are bulk-inserted with SQLAlchemy Core (the FTS5 index is kept in sync by its triggers,
as in production). Requests go through the WSGI app with Flask's test client, logged in as a
member of the first association, one at a time. The reference is a bare Flask app rendering,
with one Jinja template and no database, the same amount of content (20 posts with names,
dates and Markdown-rendered bodies; 30 topic rows; 20 search results) in the same process and
run. Printed per page: requests per second, p50 and p95 latency, and the ratio to the bare
page. Nothing here asserts a time: this is measurement, not a test.

Text is drawn from a Zipf-like vocabulary (domain words in Kazakh and Russian first, then
pseudo-words), and search queries use words of middling frequency, alone or with a common
domain word. Ranking cost grows with the number of matching posts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, render_template_string  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

WORDS = (  # noqa: SIM905 - a sentence is easier to read and edit than a list
    "сабақ жоспар оқушы бағалау критерий дескриптор әдістемелік хат мұғалім мектеп тоқсан "
    "бөлім тапсырма жиынтық қалыптастырушы кері байланыс сынып пән математика физика "
    "урок план ученик оценивание критерий дескриптор методическое письмо учитель школа "
    "четверть раздел задание суммативное формативное обратная связь класс предмет"
).split()

SYLLABLES = [
    "ба",
    "қа",
    "та",
    "ме",
    "ло",
    "ру",
    "сы",
    "ны",
    "ға",
    "ке",
    "ді",
    "ор",
    "ан",
    "ұл",
    "ір",
    "ма",
    "по",
    "ви",
    "ст",
    "ен",
    "жа",
    "шы",
    "қо",
    "лі",
    "зе",
    "ра",
    "ко",
    "ни",
]

TARGET = {"posts": 1_000_000, "topics": 20_000, "users": 100_000}


def vocabulary(rng: random.Random, size: int = 8000) -> tuple[list[str], list[float]]:
    """Domain words first, then pseudo-words; Zipf-like cumulative weights (1/rank), so a
    few words are everywhere and most are rare, as in real text."""
    words = list(dict.fromkeys(WORDS))
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    cum, total = [], 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 5)
        cum.append(total)
    return words, cum


ASSOCIATIONS = 20
BOARDS_PER_ASSOCIATION = 5

BARE_TOPIC = """<!doctype html><html><head><title>{{ title }}</title></head><body><main>
<h1>{{ title }}</h1>{% for p in posts %}<article class="post" id="p{{ p.id }}">
<div class="post-head"><a href="/u/{{ p.author_id }}"><strong>{{ p.author }}</strong></a>
<a href="/p/{{ p.id }}">#{{ p.number }} · {{ p.created }}</a></div>
<div class="body">{{ p.html }}</div>
<form method="post" action="/react/{{ p.id }}"><button>Thanks</button></form></article>
{% endfor %}</main></body></html>"""

BARE_LIST = """<!doctype html><html><head><title>{{ title }}</title></head><body><main>
<h1>{{ title }}</h1><ul>{% for t in rows %}<li><a href="/t/{{ t.id }}">{{ t.title }}</a>
<span>{{ t.author }} · {{ t.replies }} · {{ t.when }}</span><p>{{ t.snippet }}</p></li>
{% endfor %}</ul></main></body></html>"""


VOCAB: tuple[list[str], list[float]] = ([], [])


def sentence(rng: random.Random, n: int) -> str:
    words, cum = VOCAB if VOCAB[0] else (WORDS, None)
    return " ".join(rng.choices(words, cum_weights=cum, k=n)).capitalize() + "."


def body(rng: random.Random) -> str:
    parts = [sentence(rng, rng.randint(6, 18)) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.2:
        parts.append("**" + sentence(rng, 4) + "**")
    if rng.random() < 0.1:
        parts.insert(0, "> " + sentence(rng, 8))
    return "\n\n".join(parts)


def make_app(db_path: Path):
    from core import create_app

    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(db_path.parent / "instance"))
    return create_app(
        {
            "PLUGINS": "forum",
            "DATABASE_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "DEFAULT_LOCALE": "kk",
        }
    )


def build(app, scale: float, seed: int) -> None:
    from core.extensions import db
    from core.models import Association, Membership, Region, User
    from core.services.markdown import VERSION, render
    from core.services.text import fold, normalise
    from plugins.forum.models import ForumBoard, ForumPost, ForumTopic

    rng = random.Random(seed)
    n_users = max(50, int(TARGET["users"] * scale))
    n_topics = max(20, int(TARGET["topics"] * scale))
    n_posts = max(n_topics * 2, int(TARGET["posts"] * scale))
    t0 = time.perf_counter()
    with app.app_context():
        db.create_all()
        region = Region(code="bench", name_kk="Облыс", name_ru="Область", name_en="Region")
        db.session.add(region)
        db.session.flush()
        db.session.execute(
            insert(Association),
            [
                {
                    "slug": f"bench-{i}",
                    "name_kk": f"Бірлестік {i}",
                    "name_ru": f"Объединение {i}",
                    "region_id": region.id,
                    "rules": "Сыпайы болыңыз.",
                }
                for i in range(ASSOCIATIONS)
            ],
        )
        assoc_ids = db.session.scalars(select(Association.id).order_by(Association.id)).all()
        pw = generate_password_hash("bench-password", method="scrypt")
        for start in range(0, n_users, 20_000):
            db.session.execute(
                insert(User),
                [
                    {
                        "email": f"u{i}@bench.kz",
                        "password_hash": pw,
                        "full_name": name,
                        "name_folded": fold(name),
                    }
                    for i in range(start, min(n_users, start + 20_000))
                    for name in [
                        f"{rng.choice(['Айгүл', 'Марат', 'Дана', 'Ержан', 'Ольга'])} "
                        f"{rng.choice(['Серікова', 'Оспанов', 'Ахметова', 'Ким'])} {i}"
                    ]
                ],
            )
        user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
        db.session.execute(
            insert(Membership),
            [
                {"association_id": assoc_ids[i % ASSOCIATIONS], "user_id": u}
                for i, u in enumerate(user_ids)
            ],
        )
        db.session.execute(
            insert(ForumBoard),
            [
                {
                    "association_id": a,
                    "name": f"Бөлім {a}-{b}",
                    "position": b,
                    "visibility": "public" if b == 0 else "members",
                }
                for a in assoc_ids
                for b in range(BOARDS_PER_ASSOCIATION)
            ],
        )
        boards = db.session.execute(select(ForumBoard.id, ForumBoard.association_id)).all()
        base = dt.datetime(2026, 1, 1)
        # Topic sizes vary (a few long threads, many short ones) around the average.
        weights = [rng.paretovariate(1.5) for _ in range(n_topics)]
        total = sum(weights)
        sizes = [max(1, int(w / total * n_posts)) for w in weights]
        topic_rows = []
        for i in range(n_topics):
            board_id, assoc_id = boards[i % len(boards)]
            topic_rows.append(
                {
                    "board_id": board_id,
                    "association_id": assoc_id,
                    "author_id": rng.choice(user_ids),
                    "title": (title := sentence(rng, rng.randint(3, 9))),
                    "search_text": normalise(title),
                    "kind": "question" if i % 4 == 0 else "discussion",
                    "created_at": base + dt.timedelta(minutes=i),
                    "highest_number": sizes[i],
                    "visible_number": sizes[i],
                    "reply_count": sizes[i] - 1,
                    "last_post_at": base + dt.timedelta(minutes=i),
                    "last_poster_id": rng.choice(user_ids),
                }
            )
        for start in range(0, n_topics, 5000):
            db.session.execute(insert(ForumTopic), topic_rows[start : start + 5000])
        topic_ids = db.session.scalars(select(ForumTopic.id).order_by(ForumTopic.id)).all()
        db.session.commit()
        batch: list[dict] = []
        made = 0
        for tid, size in zip(topic_ids, sizes, strict=True):
            for n in range(1, size + 1):
                batch.append(
                    {
                        "topic_id": tid,
                        "number": n,
                        "author_id": rng.choice(user_ids),
                        "body": (text_ := body(rng)),
                        "search_text": normalise(text_),
                        # stored HTML as the forum cooks it (core.services.markdown)
                        "body_html": str(render(text_)),
                        "cooked_version": VERSION,
                        "created_at": base + dt.timedelta(minutes=tid, seconds=n),
                    }
                )
            if len(batch) >= 20_000:
                db.session.execute(insert(ForumPost), batch)
                db.session.commit()
                made += len(batch)
                batch = []
                print(f"  {made:,} posts…", end="\r", flush=True)
        if batch:
            db.session.execute(insert(ForumPost), batch)
            made += len(batch)
        db.session.commit()
        from plugins.forum import counters

        counters.repair()  # positions and counters, as ``qauym forum repair``
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(
        f"built {len(user_ids):,} users, {n_topics:,} topics, {made:,} posts "
        f"in {time.perf_counter() - t0:.0f} s"
    )


def measure(client, urls: list[str], n: int) -> dict:
    lat = []
    for i in range(n):
        t = time.perf_counter()
        resp = client.get(urls[i % len(urls)])
        lat.append(time.perf_counter() - t)
        if resp.status_code != 200:
            raise SystemExit(f"{urls[i % len(urls)]} answered {resp.status_code}")
    lat.sort()
    return {
        "rps": n / sum(lat),
        "p50": statistics.median(lat) * 1000,
        "p95": lat[int(0.95 * (len(lat) - 1))] * 1000,
    }


def bare_app(posts: list[dict], rows: list[dict], results: list[dict]) -> Flask:
    from core.services.markdown import render

    bare = Flask("bare")
    rendered = [dict(p, html=render(p["body"])) for p in posts]

    @bare.get("/topic")
    def topic():
        # Markdown is rendered per request, as the forum does.
        return render_template_string(
            BARE_TOPIC, title="Тақырып", posts=[dict(p, html=render(p["body"])) for p in rendered]
        )

    @bare.get("/board")
    def board():
        return render_template_string(BARE_LIST, title="Бөлім", rows=rows)

    @bare.get("/search")
    def search():
        return render_template_string(BARE_LIST, title="Іздеу", rows=results)

    return bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05, help="1 = the full target")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to build or reuse")
    parser.add_argument("--reuse", action="store_true", help="reuse --db if it exists")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    words, cum = vocabulary(random.Random(args.seed))
    VOCAB[0].extend(words)
    VOCAB[1].extend(cum)

    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    db_path = args.db or workdir / "forum-bench.db"
    if db_path.exists() and not args.reuse:
        db_path.unlink()
    app = make_app(db_path)
    if not (args.reuse and db_path.exists() and db_path.stat().st_size > 0):
        build(app, args.scale, args.seed)
    elif args.reuse:
        with app.app_context():
            from core.extensions import db

            db.create_all()

    from core.extensions import db
    from core.models import Membership, User
    from plugins.forum.models import ForumBoard, ForumPost, ForumTopic

    rng = random.Random(args.seed + 1)
    with app.app_context():
        viewer = db.session.scalar(select(User).join(Membership).order_by(User.id).limit(1))
        aid = db.session.scalar(
            select(Membership.association_id).where(Membership.user_id == viewer.id)
        )
        board_ids = db.session.scalars(
            select(ForumBoard.id).where(ForumBoard.association_id == aid)
        ).all()
        topics = db.session.execute(
            select(ForumTopic.id, ForumTopic.highest_number)
            .where(ForumTopic.board_id.in_(board_ids))
            .order_by(ForumTopic.highest_number.desc())
        ).all()
        n_posts = db.session.scalar(select(func.count(ForumPost.id)))
        sample_posts = db.session.execute(
            select(
                ForumPost.id,
                ForumPost.number,
                ForumPost.body,
                ForumPost.author_id,
                ForumPost.created_at,
                User.full_name,
            )
            .join(User, User.id == ForumPost.author_id)
            .where(ForumPost.topic_id == topics[0].id)
            .order_by(ForumPost.number)
            .limit(20)
        ).all()
        email = viewer.email
    print(f"database: {db_path} ({db_path.stat().st_size / 1e6:.0f} MB, {n_posts:,} posts)")

    client = app.test_client()
    resp = client.post("/login", data={"email": email, "password": "bench-password"})
    if resp.status_code != 302:
        raise SystemExit("bench login failed")
    # Topic pages: the first page and a page in the middle of long threads.
    topic_urls = []
    for tid, highest in topics[: max(10, len(topics) // 4)]:
        pages = max(1, (highest + 19) // 20)
        topic_urls.append(f"/forum/t/{tid}?page={rng.randint(1, pages)}")
    rng.shuffle(topic_urls)
    board_urls = [f"/forum/b/{b}?page={rng.randint(1, 3)}" for b in board_ids]
    # Words of middling frequency; the second word of a pair is a common domain word.
    middle = VOCAB[0][30:1500]
    search_urls = [f"/forum/search?q={rng.choice(middle)}" for _ in range(25)] + [
        f"/forum/search?q={rng.choice(middle)}+{rng.choice(WORDS)}" for _ in range(25)
    ]

    posts = [
        {
            "id": p.id,
            "number": p.number,
            "body": p.body,
            "author_id": p.author_id,
            "author": p.full_name,
            "created": p.created_at.strftime("%d.%m.%Y %H:%M"),
        }
        for p in sample_posts
    ]
    rows = [
        {
            "id": i,
            "title": sentence(rng, 6),
            "author": "Айгүл Серікова",
            "replies": i,
            "when": "01.09.2026",
            "snippet": "",
        }
        for i in range(30)
    ]
    results = [dict(r, snippet=sentence(rng, 30)) for r in rows[:20]]
    bare = bare_app(posts, rows, results).test_client()

    # Warm up both apps (template compilation, SQLite page cache).
    measure(client, topic_urls[:5] + board_urls[:3] + search_urls[:3], 11)
    measure(bare, ["/topic", "/board", "/search"], 9)
    n = args.requests
    cases = [
        ("topic page", topic_urls, "/topic"),
        ("board page", board_urls, "/board"),
        ("search", search_urls, "/search"),
    ]
    print(f"\n{n} requests each, one at a time, through the WSGI app (Flask test client)")
    print(
        f"{'page':<12} {'forum rps':>10} {'p50 ms':>8} {'p95 ms':>8} | "
        f"{'bare rps':>9} {'p50 ms':>8} {'p95 ms':>8} | {'rps ratio':>9} {'p50 ratio':>9}"
    )
    for name, urls, bare_url in cases:
        f = measure(client, urls, n)
        b = measure(bare, [bare_url], n)
        print(
            f"{name:<12} {f['rps']:>10.1f} {f['p50']:>8.2f} {f['p95']:>8.2f} | "
            f"{b['rps']:>9.1f} {b['p50']:>8.2f} {b['p95']:>8.2f} | "
            f"{b['rps'] / f['rps']:>8.1f}x {f['p50'] / b['p50']:>8.1f}x"
        )
    print("\nratio = how many times slower the forum page is than the bare page of the same size")
    if args.db is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
