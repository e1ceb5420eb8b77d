"""Qauym's speed, measured as a new deployer would: gunicorn -w 2 and wrk against a bare
Flask + Jinja page of the same size (the ceiling), one server under load at a time, each
page on both servers in turn.

    .venv/bin/python bench/run.py --scale 1 --db sqlite|postgresql [--pages topic board ...]
        [--duration 10] [--connections 8] [--markdown] [--cache DIR] [--no-cache]

Steps (see bench/README.md):
1. the database (``bench/data.py``): built at ``--scale`` or copied from the cache (SQLite
   file or PostgreSQL data folder, keyed by scale and a hash of models and migrations); on
   PostgreSQL inside a throwaway PostgreSQL cluster on loopback (the tests' ``core.testing``);
2. in-process, with the app's test client: every page answered 200, its size, and its SQL
   statements counted with SQLAlchemy's ``before_cursor_execute`` event (the second request,
   so caches warmed by the first count as they would in production); for the search words,
   the p95 of the raw full-text query returning the same 20 rows;
3. ``gunicorn -w 2`` with Qauym and ``gunicorn -w 2`` with ``bench/bare_app.py`` (a page of
   the same byte size for each); a member logs in over HTTP (CSRF token from the form) and
   ``wrk --latency`` drives each page on Qauym, anonymous and with the member's cookie, then
   its bare twin at once (only the driven server works), so that a drift of the machine
   moves both;
4. the table: page, bytes, SQL per page, req/s, p50, p99, % of the ceiling (and for searches
   Qauym's p95 beside the raw query's).

Exits non-zero when a page does not answer 200, a server does not start or wrk fails. It never
judges the times: that is for the reader.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for p in (str(ROOT), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

import data  # noqa: E402

GROUPS = ("topic", "board", "association", "directory", "events", "library", "search")


class BenchError(SystemExit):
    """A failure that makes the run meaningless (exit status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(1)
        self.message = message


@dataclass
class Page:
    key: str  # unique, used as the bare app's path
    name: str
    group: str
    url: str
    member: bool
    word: str = ""
    bytes: int = 0
    sql: int = 0
    raw_p95: float | None = None  # ms, searches only
    failed: str = ""
    qauym: dict = field(default_factory=dict)
    bare: dict = field(default_factory=dict)


def pages_for(meta: dict, groups: tuple[str, ...] = GROUPS) -> list[Page]:
    out: list[Page] = []
    per = 20

    def add(name, group, url, word=""):
        for member in (False, True):
            who = "member" if member else "anon"
            key = re.sub(r"[^a-z0-9]+", "-", f"{name}-{who}".lower()).strip("-")
            out.append(Page(key, name, group, url, member, word))

    if "topic" in groups:
        for label, tid, n in (
            (f"{meta['big_posts']:,}-post topic", meta["big_topic"], meta["big_posts"]),
            (f"{meta['mid_posts']:,}-post topic", meta["mid_topic"], meta["mid_posts"]),
        ):
            last = (n + per - 1) // per
            for where, page in (("first", 1), ("middle", (last + 1) // 2), ("last", last)):
                add(f"{label}, {where} page", "topic", f"/forum/t/{tid}?page={page}")
    if "board" in groups:
        add("board", "board", f"/forum/b/{meta['board']}")
    if "association" in groups:
        add("association", "association", f"/a/{meta['association']}")
    if "directory" in groups:
        add("directory", "directory", "/associations")
    if "events" in groups:
        add("event list", "events", "/masterclasses/")
    if "library" in groups:
        add("library", "library", "/expertise/library")
    if "search" in groups:
        for kind, info in (meta.get("words") or {}).items():
            if not info:
                continue
            q = urllib.parse.quote(info["word"])
            label = f"{kind} word ({info['matches']:,} posts)"
            add(f"forum search, {label}", "search", f"/forum/search?q={q}", info["word"])
            add(f"site search, {label}", "search", f"/search?q={q}", info["word"])
    return out


# --- in-process: sizes, SQL statements, raw full-text queries ---------------------------


def measure_in_process(database_url: str, meta: dict, pages: list[Page], log=print) -> None:
    from sqlalchemy import event

    from core.extensions import db

    app = data.make_app(database_url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    anon, member = app.test_client(), app.test_client()
    resp = member.post("/login", data={"email": meta["member_email"], "password": data.PASSWORD})
    if resp.status_code != 302:
        raise BenchError(f"in-process login failed ({resp.status_code})")
    statements: list[str] = []

    def count(conn, cursor, statement, *a):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for page in pages:
            client = member if page.member else anon
            client.get(page.url)  # warm: templates, caches, the member's session
            statements.clear()
            resp = client.get(page.url)
            if resp.status_code != 200:
                raise BenchError(f"{page.url} answered {resp.status_code} in-process")
            page.sql = len(statements)
            page.bytes = len(resp.data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    words = {p.word for p in pages if p.word}
    if words:
        with app.app_context():
            raw = {w: raw_query_p95(w) for w in sorted(words)}
        for p in pages:
            if p.word:
                p.raw_p95 = raw[p.word]
    log(f"in-process: {len(pages)} pages answered 200")


def raw_query_p95(word: str, runs: int = 40) -> float:
    """The p95 (ms) of the bare full-text query for ``word``: the index alone, its ranking,
    the 20 best rows (ids and bodies), nothing else. Same forms and ranking as the forum
    (``core.api.query_forms``; bm25 on SQLite, ts_rank on PostgreSQL)."""
    from sqlalchemy import text

    from core.api import query_forms
    from core.extensions import db

    groups = query_forms(word)
    if db.engine.dialect.name == "sqlite":
        q = " AND ".join("(" + " OR ".join(f'"{f}"' for f in g) + ")" for g in groups)
        sql = text(
            "SELECT p.id, p.body FROM forum_post p JOIN (SELECT rowid AS id, "
            "bm25(forum_post_fts, 3.0, 1.0) AS rank FROM forum_post_fts "
            "WHERE forum_post_fts MATCH :q ORDER BY rank LIMIT 20) f ON f.id = p.id "
            "ORDER BY f.rank"
        )
    else:
        q = " & ".join("(" + " | ".join(g) + ")" for g in groups)
        sql = text(
            # the stored vector the forum's search reads (forum_0070), not to_tsvector again
            "SELECT id, body FROM forum_post WHERE search_tsv @@ to_tsquery('simple', :q) "
            "ORDER BY ts_rank(search_tsv, to_tsquery('simple', :q)) DESC, id DESC LIMIT 20"
        )
    times: list[float] = []
    start = time.perf_counter()
    for i in range(runs + 2):
        t = time.perf_counter()
        db.session.execute(sql, {"q": q}).all()
        if i >= 2:
            times.append((time.perf_counter() - t) * 1000)
            # A slow query (a word in a third of a million posts): enough runs for a p95 in
            # about 30 s rather than minutes.
            if len(times) >= 8 and time.perf_counter() - start > 30:
                break
    db.session.rollback()
    times.sort()
    return times[min(len(times) - 1, int(0.95 * len(times)))]


# --- servers and wrk -------------------------------------------------------------------


def ensure_wrk(log=print) -> str:
    """wrk, installed from Debian (apt-get) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it from Debian (apt-get install wrk)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, capture_output=True)
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            raise BenchError("could not install wrk with apt-get")
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is not on PATH after apt-get install wrk")
    return found


class Server:
    """``gunicorn -w 2`` on a free loopback port; stopped on exit."""

    def __init__(self, app_spec: str, env: dict, workdir: Path, name: str, extra=()) -> None:
        from core.testing import _free_port

        self.port = _free_port()
        self.name = name
        self.log = workdir / f"{name}.log"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [
            str(gunicorn if gunicorn.exists() else "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "2048",
            # A slow page (a search at a million posts on a busy machine) must be measured,
            # not killed by gunicorn's default 30 s worker timeout.
            "--timeout",
            "300",
            *extra,
            app_spec,
        ]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait(self) -> None:
        from core.testing import _wait_for_port

        try:
            _wait_for_port(self.port, self.proc, f"gunicorn ({self.name})", attempts=600)
            for _ in range(100):  # both workers booted (the port opens with the master)
                status, _h, _b = http_get(self.port, "/healthz")
                if status == 200:
                    return
                time.sleep(0.2)
        except RuntimeError as exc:
            raise BenchError(f"{exc}; log: {self.log}\n{self.log.read_text()[-2000:]}") from exc
        raise BenchError(f"gunicorn ({self.name}) does not answer /healthz; log: {self.log}")

    def stop(self) -> None:
        from core.testing import _stop

        _stop(self.proc)


def http_get(port: int, path: str, headers: dict | None = None, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    except OSError:
        return 0, [], b""
    finally:
        conn.close()


def _cookies(headers, jar: dict) -> None:
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            k, _, v = pair.partition("=")
            jar[k.strip()] = v.strip()


def http_login(port: int, email: str) -> str:
    """Log in over HTTP as a browser does (the form's CSRF token, the session cookie);
    return the Cookie header of the logged-in session."""
    jar: dict[str, str] = {}
    status, headers, body = http_get(port, "/login")
    _cookies(headers, jar)
    m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', body
    )
    if status != 200 or not m:
        raise BenchError(f"GET /login answered {status} without a CSRF token")
    form = urllib.parse.urlencode(
        {"csrf_token": m.group(1).decode(), "email": email, "password": data.PASSWORD}
    )
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, headers, _ = http_get(
        port,
        "/login",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        method="POST",
        body=form,
    )
    _cookies(headers, jar)
    if status != 302:
        raise BenchError(f"POST /login answered {status}, not a redirect")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNIT[m.group(2)]


def parse_wrk(out: str) -> dict:
    """req/s, p50, p99 (ms) and the count of errors from ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if not (rps and p50 and p99):
        raise BenchError(f"cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", out)
    p95 = re.search(r"^p95_us (\d+)", out, re.M)
    return {
        "rps": float(rps.group(1)),
        "p95": int(p95.group(1)) / 1000 if p95 else None,
        "p50": _ms(p50.group(1)),
        "p99": _ms(p99.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "timeouts": int(errors.group(1)) if errors else 0,
    }


def run_wrk(wrk: str, url: str, args, cookie: str | None = None) -> dict:
    cmd = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    cmd += ["--timeout", "30s", "-s", str(BENCH / "p95.lua")]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    r = subprocess.run([*cmd, url], capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError(f"wrk failed on {url}: {r.stderr or r.stdout}")
    return parse_wrk(r.stdout)


def drive(database_url, meta, pages, args, workdir, wrk, log=print) -> None:
    """Both servers started, then each page driven on Qauym and at once on its bare twin:
    only the server being driven works (the other's workers wait on their sockets), and each
    share of the ceiling compares two measurements seconds apart. Measured a whole table
    apart, as before, a drift of the machine (the bare page ran 460-860 req/s from run to
    run) moved a share by ten points."""
    env = {
        **os.environ,
        "QAUYM_INSTANCE_PATH": str(workdir / "instance"),
        **{f"QAUYM_{k}": str(v) for k, v in data.app_config(database_url).items()},
    }
    spec_file = workdir / "bare-spec.json"
    spec_file.write_text(json.dumps({p.key: p.bytes for p in pages}))
    bare_env = {**os.environ, "BENCH_BARE_SPEC": str(spec_file)}
    qauym = Server("core:create_app()", env, workdir, "qauym")
    extra = ("--pythonpath", str(BENCH))
    bare = Server("bare_app:create()", bare_env, workdir, "bare", extra=extra)
    try:
        qauym.wait()
        bare.wait()
        cookie = http_login(qauym.port, meta["member_email"])
        for page in pages:
            status, _h, body = http_get(bare.port, f"/p/{page.key}")
            if status != 200 or len(body) != page.bytes:
                raise BenchError(f"bare /p/{page.key}: {status}, {len(body)} != {page.bytes} B")
            headers = {"Cookie": cookie} if page.member else {}
            status, _h, body = http_get(qauym.port, page.url, headers)
            if status != 200:
                # Recorded in the table (and the exit status), the other pages still measured.
                page.failed = f"answered {status or 'nothing'} through gunicorn"
                log(f"  qauym {page.key}: {page.failed}")
                continue
            page.qauym = run_wrk(wrk, f"http://127.0.0.1:{qauym.port}{page.url}", args,
                                 cookie if page.member else None)  # fmt: skip
            page.bare = run_wrk(wrk, f"http://127.0.0.1:{bare.port}/p/{page.key}", args)
            log(
                f"  {page.key}: qauym {page.qauym['rps']:.1f} req/s, "
                f"bare {page.bare['rps']:.1f} req/s"
            )
    finally:
        qauym.stop()
        bare.stop()


# --- the table -------------------------------------------------------------------------

HEADER = ["page", "who", "bytes", "SQL", "req/s", "p50 ms", "p99 ms", "% of ceiling", "search"]


def rows(pages: list[Page]) -> list[list[str]]:
    out = []
    for p in pages:
        q, b = p.qauym, p.bare
        share = f"{100 * q['rps'] / b['rps']:.0f}%" if q and b and b.get("rps") else "–"
        search = ""
        if p.raw_p95 is not None:
            search = f"raw p95 {p.raw_p95:.1f} ms"
            if q and q["rps"] and q.get("p95") is not None:
                ratio = q["p95"] / p.raw_p95
                search = f"p95 {q['p95']:.0f} ms = {ratio:.1f}x raw {p.raw_p95:.1f} ms"
        errors = ""
        if p.failed:
            errors = f"failed: {p.failed}"
        elif q and not q["rps"]:
            errors = " (no request finished: raise --duration)"
        elif q and (q.get("non2xx") or q.get("timeouts")):
            errors = f" ({q.get('non2xx', 0)} non-2xx, {q.get('timeouts', 0)} timeouts)"
        out.append(
            [
                p.name,
                "member" if p.member else "anonymous",
                f"{p.bytes:,}",
                str(p.sql),
                f"{q['rps']:.1f}{errors}" if q else (errors or "–"),
                f"{q['p50']:.1f}" if q else "–",
                f"{q['p99']:.1f}" if q else "–",
                share,
                search,
            ]
        )
    return out


def table(pages: list[Page], markdown: bool = False) -> str:
    body = rows(pages)
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---"] * len(HEADER)) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(HEADER)]
    fmt = "  ".join(f"{{:{'<' if i < 2 or i == 8 else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*HEADER), *(fmt.format(*r) for r in body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000,000 posts")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pages", nargs="*", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--cache", type=Path, default=data.default_cache_dir())
    parser.add_argument("--no-cache", action="store_true", help="build afresh, keep nothing")
    parser.add_argument("--no-wrk", action="store_true", help="in-process part only")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    cache = None if args.no_cache else args.cache
    workdir = Path(tempfile.mkdtemp(prefix="qauym-bench-"))
    cluster = None
    t0 = time.perf_counter()
    try:
        wrk = None if args.no_wrk else ensure_wrk()
        if args.db == "sqlite":
            url = data.sqlite_database(args.scale, workdir, cache, seed=args.seed)
        else:
            cluster, url = data.postgres_database(args.scale, cache, seed=args.seed)
        meta = data.read_meta(url)
        print(
            f"database: {args.db}, scale {args.scale:g}: {meta['posts']:,} posts, "
            f"{meta['topics']:,} topics, {meta['users']:,} users "
            f"(ready after {time.perf_counter() - t0:.0f} s)"
        )
        pages = pages_for(meta, tuple(args.pages))
        measure_in_process(url, meta, pages)
        if wrk:
            print(f"wrk: {args.connections} connections, {args.duration} s a page, one server")
            drive(url, meta, pages, args, workdir, wrk)
        print()
        print(table(pages, markdown=args.markdown))
        print(f"\n(total {time.perf_counter() - t0:.0f} s)")
        failed = [p for p in pages if p.failed]
        if failed:
            print(f"bench failed: {len(failed)} pages did not answer 200", file=sys.stderr)
            return 1
        return 0
    except BenchError as exc:
        print(f"bench failed: {exc.message}", file=sys.stderr)
        return 1
    finally:
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
