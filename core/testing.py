"""Test fixtures for Qauym and its plugins, shipped as a pytest plugin (``pytest_plugins =
["core.testing"]`` in a conftest).

* The database is SQLite in memory by default; ``QAUYM_TEST_DB=postgresql`` runs the same
  tests against a throwaway PostgreSQL cluster started with the machine's ``initdb`` and
  ``pg_ctl`` in a temporary folder on a free port (as the ``postgres`` user when run as root).
* ``make_app(plugins="all", **config)`` builds an app with a fresh schema; ``app`` is the
  default one. A plugin's tests override ``app`` to run with only that plugin enabled.
* ``client``, ``login(client, user)``, and ``factory`` (users, regions, associations, members).
* ``redis_server`` (session): Debian's ``redis-server`` on a free loopback port, no persistence,
  in a temporary folder; ``redis_server.url`` is a ``redis://`` URL for
  ``RATELIMIT_STORAGE_URI``. ``s3_server`` (session): moto's standalone S3-speaking server on a
  free loopback port; ``s3_server.config(bucket)`` gives the ``STORAGE_URL``/``S3_*`` settings.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import glob
import io
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from email import policy
from email.parser import BytesParser
from typing import Any

import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import event, text
from sqlalchemy.pool import StaticPool
from werkzeug.routing.rules import Rule
from werkzeug.security import generate_password_hash

from core.app import create_app
from core.extensions import db
from core.migrations import owned_by
from core.models import Association, Membership, Region, User
from core.services import sessions

# Debian keeps the server binaries in /usr/lib/postgresql/<version>/bin (newest first).
PG_BIN_CANDIDATES = [
    *sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0,
        reverse=True,
    ),
    "/usr/local/bin",
    "/usr/bin",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_on_free_port(make: Callable[[int], Any], attempts: int = 5) -> Any:
    """Start a server object ``make(port)`` (an aiosmtpd controller: ``.start()``) on a free
    loopback port. A port free when chosen may be taken before the server binds it (another
    test's connection, on another xdist worker): then another port is tried."""
    for attempt in range(attempts):
        server = make(_free_port())
        try:
            server.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == attempts - 1:
                raise
            continue
        return server
    raise AssertionError("unreachable")


class SmtpSink:
    """An outgoing SMTP server (aiosmtpd) on loopback that keeps what the site sends, parsed
    (``messages``). ``with SmtpSink() as sink: app.config.update(sink.config)``."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.port = 0  # chosen when started
        self._controller: Any = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 OK"

    @property
    def config(self) -> dict[str, Any]:
        return {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port}

    def __enter__(self) -> SmtpSink:
        self._controller = start_on_free_port(
            lambda port: Controller(self, hostname="127.0.0.1", port=port)
        )
        self.port = self._controller.port
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def _pg_bin(name: str) -> str:
    for d in PG_BIN_CANDIDATES:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL server binaries")
    return found


class PostgresCluster:
    """A PostgreSQL cluster in a temporary folder, stopped and removed at the end."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="qauym-pg-")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.datadir = os.path.join(self.dir, "data")

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # Without libfaketime (the PostgreSQL run of make test goes under it): the server's
        # clock times only its own timeouts and checkpoints; the app never asks it the time.
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}
        subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            _pg_bin("initdb"),
            "-D",
            self.datadir,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.start_server()

    def start_server(self) -> None:
        """Start ``postgres`` on the data folder (made by :meth:`start`, or a copy of one)."""
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            self.datadir,
            "-o",
            opts,
            "-w",
            "-l",
            os.path.join(self.dir, "log"),
            "start",
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(_pg_bin("pg_ctl"), "-D", self.datadir, "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self, name: str) -> str:
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


def _pause(seconds: float) -> None:
    """Sleep without ``time.sleep``, which fails with EINVAL under libfaketime (the
    ``make test-faketime`` runs); a condition wait with a relative timeout works there."""
    threading.Event().wait(seconds)


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, attempts: int = 300) -> None:
    """Until something accepts connections on ``127.0.0.1:port`` (bounded: ``attempts`` tries
    0.1 s apart); fail early when ``proc`` has exited."""
    for _ in range(attempts):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        _pause(0.1)
    raise RuntimeError(f"{what} did not open port {port}")


def _stop(proc: subprocess.Popen, attempts: int = 200) -> None:
    """Terminate ``proc`` and reap it; killed if it is still there after 20 s (bounded, and
    without ``Popen.wait(timeout=...)``, which sleeps with ``time.sleep``)."""
    if proc.poll() is None:
        proc.terminate()
        for _ in range(attempts):
            if proc.poll() is not None:
                return
            _pause(0.1)
        proc.kill()
        proc.wait()


class RedisServer:
    """Debian's ``redis-server`` on a free loopback port, with no persistence, in a temporary
    folder; stopped and removed at the end."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="qauym-redis-")
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(exe):
            raise RuntimeError("redis-server not found: run `make system-deps`")
        log = open(os.path.join(self.dir, "log"), "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # Without libfaketime (make test-faketime): redis-server's event loop does not
            # start under it, and its own clock only times key expiry.
            env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"},
        )
        log.close()
        _wait_for_port(self.port, self.proc, "redis-server")

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushall()

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class S3Server:
    """moto's standalone server (an S3-speaking HTTP server) on a free loopback port."""

    ACCESS_KEY = "qauym-test"
    SECRET_KEY = "qauym-test-secret"
    REGION = "us-east-1"

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="qauym-s3-")
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(os.path.join(self.dir, "log"), "wb")  # noqa: SIM115 - closed with the process
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.ACCESS_KEY}
        env["AWS_SECRET_ACCESS_KEY"] = self.SECRET_KEY
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.dir,
        )
        log.close()
        _wait_for_port(self.port, self.proc, "moto server")

    def config(self, bucket: str, prefix: str = "uploads") -> dict[str, str]:
        """Qauym settings (without ``QAUYM_``) that store files in ``bucket`` (created here)."""
        self.client().create_bucket(Bucket=bucket)
        return {
            "STORAGE_URL": f"s3://{bucket}/{prefix}",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_ACCESS_KEY": self.ACCESS_KEY,
            "S3_SECRET_KEY": self.SECRET_KEY,
            "S3_REGION": self.REGION,
        }

    def client(self):
        # Only for the tests that use S3, as in core.services.storage.
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.ACCESS_KEY,
            aws_secret_access_key=self.SECRET_KEY,
            region_name=self.REGION,
        )

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_db_kind() -> str:
    return os.environ.get("QAUYM_TEST_DB", "sqlite").lower()


def pytest_runtest_setup(item) -> None:
    """``@pytest.mark.postgres_only`` tests run only with ``QAUYM_TEST_DB=postgresql``."""
    if item.get_closest_marker("postgres_only") and test_db_kind() not in (
        "postgresql",
        "postgres",
    ):
        pytest.skip("needs PostgreSQL (QAUYM_TEST_DB=postgresql)")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster | None]:
    if test_db_kind() not in ("postgresql", "postgres"):
        yield None
        return
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster, worker_id: str = "master") -> str | None:
    if pg_cluster is None:
        return None
    return pg_cluster.create_database(f"qauym_test_{os.getpid()}")


@pytest.fixture
def make_app(pg_url, tmp_path) -> Iterator[Callable[..., Any]]:
    """Build apps with fresh schemas: ``make_app(plugins="forum", file_db=False, **config)``.

    ``file_db=True`` gives SQLite a file (needed by tests with threads) instead of memory.
    """
    made: list[Any] = []

    def _make(plugins: str = "all", file_db: bool = False, **config: Any):
        cfg: dict[str, Any] = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "PLUGINS": plugins,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "BASE_URL": "http://localhost",
            "SERVER_NAME": None,
        }
        if pg_url:
            cfg["DATABASE_URL"] = pg_url
        elif file_db:
            cfg["DATABASE_URL"] = f"sqlite:///{tmp_path / f'test{len(made)}.db'}"
        else:
            cfg["DATABASE_URL"] = "sqlite://"
            cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {
                "poolclass": StaticPool,
                "connect_args": {"check_same_thread": False},
            }
        cfg.update(config)
        os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
        app = create_app(cfg)
        app.jinja_env.bytecode_cache = _TEMPLATE_CODES
        with app.app_context():
            url = app.config["DATABASE_URL"]
            if pg_url and url == pg_url:
                _pg_fresh_schema(app)
            elif url == "sqlite://":
                _sqlite_fresh_schema(app)
            else:
                if pg_url:
                    _pg_reset()
                _create_tables(app)
            if url.startswith("sqlite"):
                engine = db.engine
                event.listen(engine, "connect", _sqlite_pragmas)
                with engine.connect() as conn:
                    conn.execute(text("PRAGMA foreign_keys=ON"))
        made.append(app)
        return app

    yield _make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _app_tables(app) -> list:
    """The tables of the core and of the app's enabled plugins only.

    ``db.metadata`` is shared by every app in the process, so it also holds the models of
    plugins that an earlier test loaded; a plugin left out of this app must not get its tables
    created (nor fail the set-up with its dialect-specific DDL).
    """
    owners = {"core", *app.extensions["qauym_plugins"].enabled}
    return [t for name, t in db.metadata.tables.items() if owned_by(name, owners)]


def _create_tables(app) -> None:
    """Create the tables of the core and of the app's enabled plugins only."""
    db.metadata.create_all(db.engine, tables=_app_tables(app))


# Every test builds its own app, and two costs of that are the same for each one: Werkzeug
# compiles a Python function per URL rule and endpoint (some 270 rules, two builders each),
# and Jinja compiles every template the test renders. Both are pure functions of their
# inputs, so the tests keep them across apps: the builders by the rule's parsed form, the
# templates in a bytecode cache keyed (by Jinja) by name and source checksum. The running
# platform builds one app and does not need either.
_BUILDERS: dict[tuple, Any] = {}
_compile_builder = Rule._compile_builder


def _cached_compile_builder(self, append_unknown: bool = True):
    defaults = self.defaults or {}
    key = (
        append_unknown,
        self.rule,
        tuple(self._trace),
        tuple(sorted((k, repr(v), type(self._converters.get(k))) for k, v in defaults.items())),
    )
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = _compile_builder(self, append_unknown)
    return builder


Rule._compile_builder = _cached_compile_builder


class _MemoryBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self._codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._codes[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODES = _MemoryBytecodeCache()


# A fresh schema for every test, without paying for ``create_all`` each time (it compiles
# and runs some 250 DDL statements: about a second per test on this machine). The first test
# with a given set of tables builds it; later ones get a copy (SQLite) or the same tables
# emptied (PostgreSQL). The key is the set of table names: plugins and the sample plugin of
# tests/plugin_site add to the shared metadata, never change a table already in it.
_SQLITE_TEMPLATES: dict[frozenset[str], Any] = {}


def _sqlite_fresh_schema(app) -> None:
    """Fill the app's in-memory SQLite database (one connection: ``StaticPool``) from a
    template built once per set of tables, with SQLite's online backup (page by page, so
    FTS5 tables and triggers come along)."""
    tables = _app_tables(app)
    key = frozenset(t.name for t in tables)
    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        template = _SQLITE_TEMPLATES.get(key)
        if template is None:
            db.metadata.create_all(db.engine, tables=tables)
            template = sqlite3.connect(":memory:", check_same_thread=False)
            conn.backup(template)
            _SQLITE_TEMPLATES[key] = template
        else:
            template.backup(conn)
    finally:
        raw.close()


_PG_SCHEMA: dict[str, Any] = {"key": None}


def _pg_fresh_schema(app) -> None:
    """Empty the test database's tables when they are the ones this app needs (one
    ``TRUNCATE ... RESTART IDENTITY``, so ids start at 1 again); otherwise drop the schema
    and create it. ``_pg_reset`` (used by tests that build the schema with migrations)
    forgets what is there, and the table names are compared before each reuse."""
    tables = _app_tables(app)
    key = frozenset(t.name for t in tables)
    db.session.remove()
    if _PG_SCHEMA["key"] == key:
        with db.engine.begin() as conn:
            present = set(
                conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            )
            if present == key:
                names = ", ".join(f'"{name}"' for name in sorted(key))
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                return
    _pg_reset()
    db.metadata.create_all(db.engine, tables=tables)
    _PG_SCHEMA["key"] = key


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@contextlib.contextmanager
def migrated_app(pg_url: str | None, tmp_path, plugins: str = "") -> Iterator[Any]:
    """An app whose database only migrations build (the suite's PostgreSQL when it runs on
    it, else a SQLite file in ``tmp_path``), empty, inside its app context: a migration test
    upgrades or downgrades to the revision it starts from, writes its old rows, and upgrades."""
    url = pg_url or f"sqlite:///{tmp_path / 'migrated.db'}"
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLUGINS": plugins, "DATABASE_URL": url})
    with app.app_context():
        if pg_url:
            _pg_reset()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def substring_index_parts(name: str) -> set[str]:
    """What the database holds now of the substring index ``name``
    (``core.models.substring_index``): on SQLite the FTS5 table ``{name}_fts``, its shadow
    tables and its triggers; on PostgreSQL the index ``ix_{name}_trgm``. A migration test
    compares it with :func:`substring_index_complete` at the head (no later migration that
    rebuilt the table lost a trigger) and with the empty set after the downgrade."""
    if db.session.get_bind().dialect.name == "sqlite":
        stmt = "SELECT name FROM sqlite_master WHERE substr(name, 1, length(:p)) = :p"
        prefix = f"{name}_fts"
    else:
        stmt = "SELECT indexname FROM pg_indexes WHERE substr(indexname, 1, length(:p)) = :p"
        prefix = f"ix_{name}"
    return set(db.session.scalars(text(stmt), {"p": prefix}))


def substring_index_complete(name: str) -> set[str]:
    """The parts of :func:`substring_index_parts` that must all be there."""
    if db.session.get_bind().dialect.name == "sqlite":
        return {f"{name}_fts"} | {f"{name}_fts_{k}" for k in ("ai", "au", "ad")}
    return {f"ix_{name}_trgm"}


def sqlite_statistics(table: str, stats: dict[str, str]) -> None:
    """Give SQLite's planner the statistics ANALYZE wrote for ``table`` on a large database
    (``{index: "rows rows-per-key ..."}``, as ``sqlite_stat1`` holds them), so that a plan
    test on a few rows chooses as the planner does at the bench's scale. SQLite only."""
    db.session.execute(text("ANALYZE"))
    db.session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = :t"), {"t": table})
    for index, stat in stats.items():
        db.session.execute(
            text("INSERT INTO sqlite_stat1 VALUES (:t, :i, :s)"),
            {"t": table, "i": index, "s": stat},
        )
    db.session.commit()
    db.session.connection().connection.driver_connection.execute("ANALYZE sqlite_schema")


def sqlite_plan(statement: str, params) -> list[str]:
    """The detail lines of SQLite's ``EXPLAIN QUERY PLAN`` for a statement as it was sent
    (text and parameters, e.g. from a ``before_cursor_execute`` listener)."""
    raw = db.session.connection().connection.driver_connection
    return [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, params)]


def _pg_reset() -> None:
    """Drop everything in the test database's public schema."""
    _PG_SCHEMA["key"] = None
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def app(make_app):
    """The app with every installed plugin. Plugin test modules override this fixture."""
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    """Fetch a page and read the CSRF token the session now holds."""
    client.get(path)
    with client.session_transaction() as sess:
        token = sess.get("csrf_token")
    if token is None:
        raise AssertionError("no CSRF token in session")
    s = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wtf-csrf-token")
    return s.dumps(token)


class Poster:
    """``client.post`` with the CSRF token added: ``post(client, url, data)``."""

    def __call__(self, client, url: str, data: dict | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(client))
        return client.post(url, data=data, **kw)


@pytest.fixture
def post() -> Poster:
    return Poster()


def do_login(client, user, password: str = "password123") -> None:
    resp = client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def sign_in_as(client, user) -> None:
    """Act as ``user`` on ``client`` without the login form: a real server-side session is
    opened and its id written into the client's session, as Flask-Login's login does. For
    suites that switch between many people (the form's scrypt check is slow on purpose, and
    logging in is tested in the core)."""
    row, token = sessions.new_session(user)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{token}"
        session["_fresh"] = True
        session.pop("_id", None)


@pytest.fixture
def login():
    return do_login


class Factory:
    """Makes rows for tests; each call commits."""

    def __init__(self) -> None:
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def region(self, code: str | None = None, **kw):
        n = self._next()
        code = code or f"region{n}"
        r = Region(
            code=code,
            name_kk=kw.pop("name_kk", f"Облыс {n}"),
            name_ru=kw.pop("name_ru", f"Область {n}"),
            name_en=kw.pop("name_en", f"Region {n}"),
            **kw,
        )
        db.session.add(r)
        db.session.commit()
        return r

    def user(self, email: str | None = None, password: str = "password123", **kw):
        n = self._next()
        u = User(
            email=email or f"user{n}@example.kz",
            full_name=kw.pop("full_name", f"Мұғалім {n}"),
            **kw,
        )
        # A cheap hash keeps test set-up fast; accounts made through the app use scrypt
        # (tested in tests/test_accounts*.py) and check_password reads either.
        u.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
        db.session.add(u)
        db.session.commit()
        return u

    def association(self, slug: str | None = None, **kw):
        n = self._next()
        a = Association(
            slug=slug or f"assoc-{n}",
            name_kk=kw.pop("name_kk", f"Бірлестік {n}"),
            name_ru=kw.pop("name_ru", f"Объединение {n}"),
            **kw,
        )
        db.session.add(a)
        db.session.commit()
        return a

    def member(self, association, user=None, role: str = "member"):
        user = user or self.user()
        m = Membership(association_id=association.id, user_id=user.id, role=role)
        db.session.add(m)
        association.member_count = (association.member_count or 0) + 1
        db.session.commit()
        return user


@pytest.fixture
def factory() -> Factory:
    return Factory()


class QueryCounter:
    """Counts SQL statements run while active: ``with count_queries() as c: ...; c.count``."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _on(self, conn, cursor, statement, *a) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)


@pytest.fixture
def pooled_member(make_app, factory):
    """``(app, client)``: an app with no plugin holding one association (slug ``kept``,
    name_kk ``Бастапқы``) and a signed-in member's client, whose requests take their
    connection from the pool and give it back. No application context is held open between
    requests (the ``app`` fixture holds one, and then no request ends its transaction), and
    the member's pages do not come from the anonymous page cache. Routes may still be added
    to ``app`` before the first request."""
    app = make_app(plugins="")
    client = app.test_client()
    with app.app_context():
        factory.association(slug="kept", name_kk="Бастапқы")
        sign_in_as(client, factory.user())
        db.session.commit()
        db.session.remove()
    return app, client


@pytest.fixture
def still_page_keys(monkeypatch) -> None:
    """Hold the clock the anonymous page cache's keys roll over by (a test that expects a
    second visit to be a hit must not see the key change between the two)."""
    from core.services import http_cache  # the app is built by then; keeps import order

    monkeypatch.setattr(http_cache, "_clock", lambda: 1_800_000_000.0)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(db.engine)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


#: Cell texts a spreadsheet would run as formulas (OWASP CSV injection), for export tests.
CSV_FORMULA_PAYLOADS = [
    '=HYPERLINK("http://x")',
    "=cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-2+3",
    "+1",
    "\t=1",
    "\r=1",
]


def read_csv(resp) -> list[list[str]]:
    """The rows of a CSV download, read the way the exports are written (BOM, ``;``)."""
    assert resp.status_code == 200, resp.status_code
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))


def assert_formulas_neutralised(rows: list[list[str]], payload: str, expected: int) -> None:
    """``payload`` typed into ``expected`` user fields reaches the file only as ``'payload``,
    and no cell at all would start a formula."""
    cells = [cell for row in rows for cell in row]
    assert cells.count("'" + payload) == expected, (payload, rows)
    assert payload not in cells
    risky = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert not risky, risky
