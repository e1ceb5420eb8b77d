"""Two application servers behind nginx, as README.md "Several servers" describes: two gunicorn
processes sharing one PostgreSQL database, one Redis (rate limits), one S3 bucket (uploads,
moto's standalone S3 server) and one secret key, behind Debian's nginx running the site file
rendered from ``deploy/nginx/qauym.conf.template`` (TLS with a throwaway certificate, round
robin). Everything listens on 127.0.0.1 on free ports and is started and stopped here.

The module's tests share the servers and run in order: jobs on both servers' environments at
once, 300 simultaneous registrations for 20 seats, the login limits across both servers, a
plugin switch made on one server seen on the other, a file uploaded through one server
downloaded through the other, and last a backup with ``pg_dump`` restored into a wiped
database. It runs once, in the plain ``make test`` run (not again on PostgreSQL or under
faketime: it always uses its own PostgreSQL).
"""

from __future__ import annotations

import gzip
import http.client
import importlib.util
import io
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import insert, select

from core.testing import PostgresCluster, _free_port, _pg_bin, _stop, _wait_for_port

# One worker runs the whole module, in order (``--dist loadgroup`` in pyproject.toml).
pytestmark = [pytest.mark.multiserver, pytest.mark.xdist_group("multiserver")]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEATS = 20
REGISTRANTS = 300
SECRET = "multiserver-" + "k" * 40
PASSWORD = "password123"


def _render_module():
    spec = importlib.util.spec_from_file_location("qauym_render", ROOT / "deploy/nginx/render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# HTTP on loopback ------------------------------------------------------------------------------


class _TLSConnection(http.client.HTTPSConnection):
    """Connects to 127.0.0.1 (from ``source``) and checks the certificate for ``localhost``."""

    def __init__(self, port: int, context: ssl.SSLContext, source: str) -> None:
        super().__init__("127.0.0.1", port, timeout=120, context=context)
        self._source = source
        self._ctx = context

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), 120, (self._source, 0))
        self.sock = self._ctx.wrap_socket(sock, server_hostname="localhost")


@dataclass
class Browser:
    """A cookie jar talking either to nginx (TLS) or straight to one gunicorn (plain HTTP, with
    the headers nginx would add)."""

    site: Site
    port: int
    tls: bool = True
    source: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes = b"", ctype: str = "", **extra):
        if self.tls:
            conn = _TLSConnection(self.port, self.site.tls_context, self.source)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        origin = self.site.origin
        headers = {"Host": origin.split("//")[1], "Referer": origin + "/"}
        if not self.tls:  # as nginx sets them
            headers.update(
                {
                    "X-Forwarded-For": self.source,
                    "X-Forwarded-Proto": "https",
                    "X-Forwarded-Host": headers["Host"],
                }
            )
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if ctype:
            headers["Content-Type"] = ctype
        headers.update(extra)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        for raw in resp.msg.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        resp.data = data
        return resp

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]):
        body = urlencode(fields).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def post_file(self, path: str, fields: dict[str, str], name: str, filename: str, data: bytes):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for k, v in fields.items():
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
            )
            out.write(v.encode() + b"\r\n")
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n" + f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, out.getvalue(), f"multipart/form-data; boundary={boundary}"
        )

    def csrf(self, path: str) -> str:
        page = self.get(path).data.decode()
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert found, page[:500]
        return found.group(1)


# The servers -----------------------------------------------------------------------------------


@dataclass
class Site:
    dir: Path
    pg: PostgresCluster
    db_name: str
    env: dict[str, str]
    ports: list[int]
    nginx_port: int
    tls_context: ssl.SSLContext
    config: dict
    procs: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    app: object = None
    ids: dict = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.nginx_port}"

    def browser(self, server: int | None = None, source: str = "127.0.0.1") -> Browser:
        """Through nginx (``server=None``) or straight to application server 0 or 1."""
        if server is None:
            return Browser(self, self.nginx_port, True, source)
        return Browser(self, self.ports[server], False, source)

    def start_servers(self) -> None:
        self.procs = []
        for n, port in enumerate(self.ports):
            log = open(self.dir / f"gunicorn{n}.log", "ab")  # noqa: SIM115
            self.procs.append(
                subprocess.Popen(
                    [
                        str(BIN / "gunicorn"),
                        "-w",
                        "1",
                        "-b",
                        f"127.0.0.1:{port}",
                        "--access-logfile",
                        str(self.dir / f"access{n}.log"),
                        "core:create_app()",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            log.close()
        for port, proc in zip(self.ports, self.procs, strict=True):
            _wait_for_port(port, proc, "gunicorn")
            resp = Browser(self, port, tls=False).get("/healthz")
            assert resp.status == 200, resp.data

    def stop_servers(self) -> None:
        for proc in self.procs:
            _stop(proc)

    def qauym(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN / "qauym"), *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def psql(self, sql: str, db: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.pg.port} user=postgres dbname={db}", autocommit=True
        ) as conn:
            conn.execute(sql)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _nginx_conf(folder: Path, site_conf: str) -> Path:
    (folder / "site.conf").write_text(site_conf)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    tmp = folder / "tmp"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    # Test-only: which application server answered each request.
    log_format upstream '$remote_addr "$request" $status $upstream_addr';
    access_log {folder}/access.log upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {folder}/site.conf;
}}
"""
    )
    return conf


def _nginx() -> str:
    for candidate in ("/usr/sbin/nginx", "/usr/bin/nginx"):
        if os.path.exists(candidate):
            return candidate
    raise RuntimeError("nginx not found: run `make system-deps`")


def _seed(site: Site) -> None:
    """Users, a region with an association and a master class with 20 seats (through the
    models, as the app would write them)."""
    from core import create_app
    from core.extensions import db
    from core.models import OutboxEmail, User, UserSession
    from core.services import sessions
    from core.testing import Factory
    from core.timeutil import utcnow
    from plugins.masterclasses.tests.helpers import make_event

    app = create_app(site.config)
    site.app = app
    with app.app_context():
        f = Factory()
        region = f.region("ms-region")
        assoc = f.association("ms-assoc", region_id=region.id)
        admin = f.user("admin@example.kz", is_site_admin=True, email_confirmed=True)
        f.user("victim@example.kz", email_confirmed=True)
        event = make_event(assoc, hosts=[admin], capacity=SEATS, title="Formative assessment")
        db.session.execute(
            insert(User),
            [
                {"email": f"t{i}@example.kz", "password_hash": "!", "full_name": f"Teacher {i}"}
                for i in range(REGISTRANTS)
            ],
        )
        db.session.commit()
        ids = list(db.session.scalars(select(User.id).where(User.email.like("t%@example.kz"))))
        signer = app.session_interface.get_signing_serializer(app)
        csrf_signer = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")
        rows, cookies = [], {}
        # A real server-side session for each, as sessions.new_session opens them (in one
        # insert), signed into the cookie Flask-Login reads, with a CSRF token in it.
        for uid in [admin.id, *ids]:
            token, raw = secrets.token_urlsafe(32), secrets.token_hex(20)
            now = utcnow()
            rows.append(
                {
                    "user_id": uid,
                    "token_hash": sessions.token_hash(token),
                    "created_at": now,
                    "last_seen_at": now,
                    "user_agent": "",
                }
            )
            value = signer.dumps({"_user_id": f"{uid}:{token}", "_fresh": True, "csrf_token": raw})
            cookies[uid] = (value, csrf_signer.dumps(raw))
        db.session.execute(insert(UserSession), rows)
        db.session.execute(
            insert(OutboxEmail),
            [
                {"to": f"t{i}@example.kz", "subject": "Hello", "body": "b", "send_after": now}
                for i in range(50)
            ],
        )
        db.session.commit()
        site.ids = {
            "region": region.id,
            "event": event.id,
            "admin": cookies[admin.id],
            "teachers": [(uid, *cookies[uid]) for uid in ids],
        }
        db.session.remove()


@pytest.fixture(scope="module")
def site(tmp_path_factory, redis_server, s3_server) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("multiserver")
    pg = PostgresCluster()
    pg.start()
    started: list[subprocess.Popen] = []
    site = None
    try:
        url = pg.create_database("qauym_multiserver")
        storage = s3_server.config(f"multiserver-{uuid.uuid4().hex[:12]}", prefix="files")
        nginx_port = _free_port()
        config = {
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "RATELIMIT_STORAGE_URI": redis_server.url,
            "PROXY_FIX": "1",
            "BASE_URL": f"https://localhost:{nginx_port}",
            "PLUGINS": "forum,masterclasses,expertise,mentoring",
            "DEFAULT_LOCALE": "en",
            "LOGIN_RATE_LIMIT": "4 per hour",
            "LOGIN_ACCOUNT_RATE_LIMIT": "4 per hour",
            "MAX_UPLOAD_MB": "2",
            # nginx compresses (as README says for this set-up); the page cache uses the
            # rate limits' Redis.
            "GZIP": "false",
            **storage,
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("QAUYM_")}
        env.update({f"QAUYM_{k}": v for k, v in config.items()})
        env["QAUYM_INSTANCE_PATH"] = str(folder / "instance")
        env["QAUYM_CONFIG"] = str(folder / "no-such-file.cfg")
        cert, key = _self_signed(folder)
        context = ssl.create_default_context(cafile=str(cert))
        site = Site(
            dir=folder,
            pg=pg,
            db_name="qauym_multiserver",
            env=env,
            ports=[_free_port(), _free_port()],
            nginx_port=nginx_port,
            tls_context=context,
            config={**config, "PROXY_FIX": 1, "MAX_UPLOAD_MB": 2},
        )
        upgrade = site.qauym("db", "upgrade")
        out, _ = upgrade.communicate(timeout=300)
        assert upgrade.returncode == 0, out
        redis_server.flush()
        _seed(site)
        site.start_servers()
        render = _render_module()
        conf = _nginx_conf(
            folder,
            render.render(
                server_name="localhost",
                upstreams=[f"127.0.0.1:{p}" for p in site.ports],
                tls_certificate=str(cert),
                tls_certificate_key=str(key),
                root=str(ROOT),
                max_upload_mb=2,
                http_port=_free_port(),
                https_port=nginx_port,
                listen_address="127.0.0.1",
            ),
        )
        nginx = subprocess.Popen(
            [_nginx(), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)]
            + ["-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "nginx.out", "wb"),  # noqa: SIM115
        )
        started.append(nginx)
        site.nginx = nginx
        _wait_for_port(nginx_port, nginx, "nginx")
        yield site
    finally:
        for proc in started:
            _stop(proc)
        if site is not None:
            site.stop_servers()
        pg.stop()


def upstreams_of(site: Site, needle: str) -> set[str]:
    """The application servers nginx sent requests matching ``needle`` to."""
    lines = (site.dir / "access.log").read_text().splitlines()
    return {line.rsplit(" ", 1)[1] for line in lines if needle in line}


# The tests ------------------------------------------------------------------------------------


def test_jobs_run_on_both_servers_at_once_run_each_due_job_once(site):
    from core.extensions import db
    from core.models import JobRun, OutboxEmail
    from core.services import jobs

    with site.app.app_context():
        every = {j.name: j.every for j in jobs.all_jobs()}
    runners = [site.qauym("jobs", "run"), site.qauym("jobs", "run")]
    outputs = [r.communicate(timeout=300)[0] for r in runners]
    assert all(r.returncode == 0 for r in runners), outputs

    reports = [
        dict(line.split(": ", 1) for line in out.splitlines() if ": " in line) for out in outputs
    ]
    for name, interval in every.items():
        results = [r.get(name) for r in reports]
        assert all(res in ("ran", "skipped") for res in results), (name, results)
        if interval.total_seconds() > 0:
            assert results.count("ran") == 1, (name, results)
        else:  # a job due at every tick (the outbox) may run on both, one after the other
            assert "ran" in results, (name, results)
    with site.app.app_context():
        rows = {r.name: r for r in db.session.scalars(select(JobRun))}
        assert set(rows) == set(every)
        assert all(r.last_started_at is not None and not r.last_error for r in rows.values())
        # Whether one runner or both sent the outbox, each email went out exactly once.
        outbox = db.session.scalars(select(OutboxEmail)).all()
        assert len(outbox) == 50
        assert all(m.sent_at is not None and m.attempts == 1 for m in outbox)
        db.session.remove()


def test_300_simultaneous_registrations_through_nginx_fill_20_seats_and_queue_the_rest(site):
    from core.extensions import db
    from plugins.masterclasses.models import Registration

    event_id = site.ids["event"]
    teachers = site.ids["teachers"]
    barrier = threading.Barrier(len(teachers), timeout=120)
    statuses: dict[int, int] = {}
    errors: list[str] = []

    def register(uid: int, cookie: str, token: str) -> None:
        try:
            browser = site.browser()
            browser.cookies["session"] = cookie
            barrier.wait()
            resp = browser.post(f"/masterclasses/{event_id}/register", {"csrf_token": token})
            statuses[uid] = resp.status
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=register, args=t) for t in teachers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert len(statuses) == REGISTRANTS and set(statuses.values()) == {302}
    assert len(upstreams_of(site, f"/masterclasses/{event_id}/register")) == 2  # both served

    with site.app.app_context():
        regs = db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event_id)
            .order_by(Registration.queue_seq)
        ).all()
        assert len(regs) == REGISTRANTS and len({r.user_id for r in regs}) == REGISTRANTS
        seated = [r for r in regs if r.status == "registered"]
        waiting = [r for r in regs if r.status == "waitlisted"]
        assert len(seated) == SEATS and len(waiting) == REGISTRANTS - SEATS
        queue = [r.queue_seq for r in waiting]
        assert None not in queue and len(set(queue)) == len(queue)
        first_waiting, gives_up = waiting[0].user_id, seated[0].user_id
        db.session.remove()

    # A seat given up on one server goes to the first of the waitlist, seen on the other.
    cookies = {uid: (cookie, token) for uid, cookie, token in teachers}
    leaving = site.browser(1)
    leaving.cookies["session"], token = cookies[gives_up]
    assert leaving.post(f"/masterclasses/{event_id}/cancel", {"csrf_token": token}).status == 302
    promoted = site.browser(0)
    promoted.cookies["session"] = cookies[first_waiting][0]
    page = promoted.get(f"/masterclasses/{event_id}").data.decode()
    with site.app.app_context():
        now = dict(
            db.session.execute(
                select(Registration.user_id, Registration.status).where(
                    Registration.event_id == event_id
                )
            ).all()
        )
        db.session.remove()
    assert now[first_waiting] == "registered" and now[gives_up] == "cancelled"
    assert list(now.values()).count("registered") == SEATS
    assert "Formative assessment" in page


def _login(browser: Browser, token: str, email: str):
    return browser.post("/login", {"csrf_token": token, "email": email, "password": "wrong-one"})


def test_login_limits_count_across_both_servers(site):
    # Per address: 4 attempts an hour from 127.0.0.2, whichever server takes them.
    one = site.browser(source="127.0.0.2")
    token = one.csrf("/login")
    answers = [_login(one, token, f"nobody{n}@example.kz").status for n in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    assert len(upstreams_of(site, '127.0.0.2 "POST /login')) == 2

    # Per account: 4 failed attempts an hour, from five different addresses.
    browsers = [site.browser(source=f"127.0.0.{n}") for n in range(10, 15)]
    tokens = [b.csrf("/login") for b in browsers]
    answers = [
        _login(b, t, "victim@example.kz").status for b, t in zip(browsers, tokens, strict=True)
    ]
    assert answers == [200, 200, 200, 200, 429]
    served = set()
    for n in range(10, 15):
        served |= upstreams_of(site, f'127.0.0.{n} "POST /login')
    assert len(served) == 2
    # Someone else, from an address of the attack, still may try.
    assert _login(browsers[0], tokens[0], "other@example.kz").status == 200


def test_a_plugin_switched_off_on_one_server_is_off_on_the_other_at_the_next_request(site):
    event = f"/masterclasses/{site.ids['event']}"
    cookie, token = site.ids["admin"]
    a, b = site.browser(0), site.browser(1)
    a.cookies["session"] = b.cookies["session"] = cookie
    assert b.get(event).status == 200

    off = {"csrf_token": token, "switch": "masterclasses:0", "region": str(site.ids["region"])}
    assert a.post("/admin/plugins/switch", off).status == 302
    assert b.get(event).status == 404

    on = {**off, "switch": "masterclasses:1"}
    assert b.post("/admin/plugins/switch", on).status == 302
    assert a.get(event).status == 200


def test_visitor_pages_are_shared_and_dropped_at_a_write_on_either_server(site):
    a, b = site.browser(0), site.browser(1)
    a.get("/masterclasses/")
    kept = b.get("/masterclasses/")
    # Kept in Redis by server 0, served by server 1.
    assert kept.status == 200 and kept.getheader("X-Qauym-Cache") == "hit"
    assert kept.getheader("ETag").startswith('W/"')

    cookie, token = site.ids["admin"]
    admin = site.browser(0)
    admin.cookies["session"] = cookie
    off = {"csrf_token": token, "switch": "masterclasses:0", "region": str(site.ids["region"])}
    assert admin.post("/admin/plugins/switch", off).status == 302
    assert admin.post("/admin/plugins/switch", {**off, "switch": "masterclasses:1"}).status == 302
    fresh = b.get("/masterclasses/")
    assert fresh.status == 200 and fresh.getheader("X-Qauym-Cache") is None


def test_a_file_uploaded_through_one_server_downloads_through_the_other(site):
    from core.extensions import db
    from plugins.masterclasses.models import Material

    cookie, token = site.ids["admin"]
    a, b = site.browser(0), site.browser(1)
    a.cookies["session"] = b.cookies["session"] = cookie
    pdf = b"%PDF-1.4\n" + os.urandom(200_000)
    fields = {"csrf_token": token, "title": "Slides", "phase": "before"}
    resp = a.post_file(
        f"/masterclasses/{site.ids['event']}/materials", fields, "file", "Slides.pdf", pdf
    )
    assert resp.status == 302
    with site.app.app_context():
        material = db.session.scalars(select(Material).where(Material.title == "Slides")).one()
        material_id, key = material.id, material.file_path
        db.session.remove()

    got = b.get(f"/masterclasses/materials/{material_id}")
    assert got.status == 200 and got.data == pdf
    assert got.getheader("Content-Disposition").startswith("attachment;")
    assert got.getheader("X-Content-Type-Options") == "nosniff"
    assert "sandbox" in got.getheader("Content-Security-Policy")
    # Kept in the bucket, on neither server's disk.
    assert not list((site.dir / "instance").rglob("*.pdf"))
    via_nginx = site.browser()
    via_nginx.cookies["session"] = cookie
    assert via_nginx.get(f"/masterclasses/materials/{material_id}").data == pdf
    assert key.startswith("masterclasses/")


def test_static_files_come_from_nginx_with_gzip(site):
    browser = site.browser()
    css = browser.request("GET", "/static/qauym.css", **{"Accept-Encoding": "gzip"})
    assert css.status == 200 and css.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(css.data) == (ROOT / "core/static/qauym.css").read_bytes()
    plugin_css = browser.get("/forum/static/forum.css")
    assert plugin_css.data == (ROOT / "plugins/forum/static/forum.css").read_bytes()
    # Served from disk: no request for them reached an application server.
    assert upstreams_of(site, "/static/") == {"-"}
    # The pages' one stylesheet is made by the application (core/stylesheets.py) and passes
    # through nginx, which gzips it (the servers run with QAUYM_GZIP=false); kept a year.
    page = browser.get("/login").data.decode()
    (bundle,) = re.findall(r'<link rel="stylesheet" href="(/bundle/[0-9a-f]{16}\.css)"', page)
    packed = browser.request("GET", bundle, **{"Accept-Encoding": "gzip"})
    assert packed.status == 200 and packed.getheader("Content-Encoding") == "gzip"
    assert packed.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert b".topic-row" in gzip.decompress(packed.data)


def test_backup_and_restore_into_a_wiped_database(site):
    from core.extensions import db
    from plugins.masterclasses.models import Registration

    dump = site.dir / "qauym.dump"
    pg = ["-h", "127.0.0.1", "-p", str(site.pg.port), "-U", "postgres"]
    subprocess.run([_pg_bin("pg_dump"), *pg, "-Fc", "-f", str(dump), site.db_name], check=True)

    site.stop_servers()
    site.psql(f'DROP DATABASE "{site.db_name}" WITH (FORCE)')
    site.psql(f'CREATE DATABASE "{site.db_name}"')
    wiped = site.browser()
    assert wiped.get("/healthz").status == 502  # nothing behind nginx while restoring
    subprocess.run(
        [_pg_bin("pg_restore"), *pg, "-d", site.db_name, "--no-owner", str(dump)], check=True
    )
    site.start_servers()

    cookie, _token = site.ids["admin"]
    for server in (0, 1):
        browser = site.browser(server)
        browser.cookies["session"] = cookie  # sessions are rows in the database too
        page = browser.get(f"/masterclasses/{site.ids['event']}")
        assert page.status == 200 and "Formative assessment" in page.data.decode()
    with site.app.app_context():
        db.engine.dispose()
        count = len(db.session.scalars(select(Registration)).all())
        db.session.remove()
    assert count == REGISTRANTS
