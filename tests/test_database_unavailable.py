"""A database that is not there: never upgraded (CLI and web) or gone mid-request (web, on a
PostgreSQL cluster of the test's own, stopped and started again)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from core.cli import main
from core.extensions import db
from core.testing import PostgresCluster, _create_tables, _pg_reset, do_login


@pytest.fixture
def empty_app(pg_url, tmp_path):
    """An app on a database that was never upgraded (a SQLite file, or the PostgreSQL test
    database emptied): no tables at all."""
    from core import create_app

    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "PLUGINS": "sample",
            "DATABASE_URL": pg_url or f"sqlite:///{tmp_path / 'never-upgraded.db'}",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if pg_url:
            _pg_reset()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ("plugins", "list"),
        ("plugins", "disable", "sample", "--region", "kostanay"),
        ("jobs", "run"),
    ],
)
def test_commands_on_a_never_upgraded_database_say_so(empty_app, args):
    result = empty_app.test_cli_runner().invoke(main, list(args))
    assert result.exit_code == 1, result.output
    assert "the database has no tables yet: run `qauym db upgrade`" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_db_commands_still_work_on_a_never_upgraded_database(empty_app):
    runner = empty_app.test_cli_runner()
    result = runner.invoke(main, ["db", "current"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "sample" in result.output


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("kk", "Дерекқорда әлі кестелер жоқ"),
        ("ru", "В базе данных ещё нет таблиц"),
        ("en", "The database has no tables yet"),
    ],
)
def test_the_site_on_a_never_upgraded_database_answers_a_translated_503(empty_app, lang, message):
    client = empty_app.test_client()
    for url in ("/associations", "/u/1", "/search?q=мектеп"):
        resp = client.get(url, headers={"Accept-Language": lang})
        assert resp.status_code == 503, url
        page = resp.get_data(as_text=True)
        assert message in page
        assert f'<html lang="{lang}">' in page
        assert "Traceback" not in page


# --- the database goes away mid-request (PostgreSQL) -----------------------------------------


@pytest.fixture
def own_cluster():
    """A PostgreSQL cluster of this test alone: stopping it leaves the shared one alone."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def _pg_ctl(cluster: PostgresCluster, *args: str) -> None:
    from core.testing import _pg_bin

    cluster._run(_pg_bin("pg_ctl"), "-D", cluster.datadir, *args)


@pytest.mark.postgres_only
def test_a_database_gone_mid_request_gives_a_translated_503_and_keeps_nothing_half_written(
    own_cluster, tmp_path, factory
):
    from core import create_app
    from core.models import Association

    url = own_cluster.create_database("qauym_gone")
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "PLUGINS": "",
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": True,
        }
    )
    with app.app_context():
        _create_tables(app)
        region = factory.region("kostanay")
        user = factory.user(locale="ru")
        factory.association(slug="before", region_id=region.id)
        client = app.test_client()
        do_login(client, user)
        assert client.get("/associations").status_code == 200

        # Half a write: a row flushed inside an open transaction, then the server stops.
        db.session.add(Association(slug="half-written", name_kk="Жартылай", region_id=region.id))
        db.session.flush()
        _pg_ctl(own_cluster, "-m", "fast", "-w", "stop")  # commits kept, open work lost

        # The user cannot be loaded now: the language comes from the browser.
        resp = client.get("/associations", headers={"Accept-Language": "ru"})
        assert resp.status_code == 503
        page = resp.get_data(as_text=True)
        assert "Сервис временно недоступен" in page
        assert '<html lang="ru">' in page
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["status"] == "error"

        _pg_ctl(
            own_cluster,
            "-o",
            f"-p {own_cluster.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
            "-w",
            "-l",
            os.path.join(own_cluster.dir, "log"),
            "start",
        )
        assert client.get("/healthz").status_code == 200
        assert client.get("/associations").status_code == 200
        slugs = set(db.session.scalars(select(Association.slug)))
        assert slugs == {"before"}
        db.session.remove()
        db.engine.dispose()


# --- pooled connections the server closed (PostgreSQL, core.services.pool_check) -------------


def _terminate_other_backends() -> int:
    """Close every other connection to this database from the server's side, waiting until
    each is gone; returns how many there were."""
    import psycopg

    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


@pytest.mark.postgres_only
def test_a_pooled_connection_the_server_closed_is_replaced_before_a_request_uses_it(pooled_member):
    app, client = pooled_member
    assert client.get("/associations").status_code == 200  # its connection back in the pool
    with app.app_context():
        assert _terminate_other_backends() >= 1

    # Without a check at checkout this request would meet "terminating connection due to
    # administrator command" (an OperationalError: a 503 page).
    resp = client.get("/associations")
    assert resp.status_code == 200
    assert "/a/kept" in resp.get_data(as_text=True)


@pytest.mark.postgres_only
def test_a_busy_pooled_connection_is_not_pinged_and_an_idle_one_is(pooled_member, monkeypatch):
    from core.services import pool_check

    app, client = pooled_member
    with app.app_context():
        dialect = db.engine.dialect
    pings = []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    assert client.get("/associations").status_code == 200
    assert client.get("/associations").status_code == 200
    assert pings == []  # given back to the pool a moment ago: no round trip to ask

    later = pool_check.time.monotonic() + pool_check.IDLE_PING + 1
    monkeypatch.setattr(pool_check.time, "monotonic", lambda: later)
    assert client.get("/associations").status_code == 200
    assert pings == [1]


@pytest.mark.postgres_only
def test_closed_by_server_tells_a_closed_connection_from_a_notification(app):
    import psycopg

    from core.services.pool_check import closed_by_server

    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with (
        psycopg.connect(url, autocommit=True) as listener,
        psycopg.connect(url, autocommit=True) as other,
    ):
        listener.execute("LISTEN qauym_test")
        assert not closed_by_server(listener)
        other.execute("NOTIFY qauym_test")
        other.execute("SELECT pg_sleep(0.05)")  # the notification reaches the listener's socket
        assert not closed_by_server(listener)  # readable, but only a notification
        pid = listener.info.backend_pid
        other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        assert closed_by_server(listener)
