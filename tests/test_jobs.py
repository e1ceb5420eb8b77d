"""Periodic jobs: due jobs run once, others wait, a failing job is isolated and recorded,
and running twice in a row repeats no effect (the sample plugin's daily ``sample.tick``)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import hookimpl
from core.cli import main as qauym_cli
from core.extensions import db
from core.models import JobRun, Notification, Region
from core.plugin_api import Job
from core.plugins import PluginError
from core.services import jobs

NOON = dt.datetime(2026, 3, 2, 7, 0)  # 12:00 in Almaty, stored as naive UTC


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


class JobTestPlugin:
    """Registered for one test like an installed plugin named ``jobtest``."""

    def __init__(self) -> None:
        self.counted: list[dt.datetime] = []

    def count(self, now):
        self.counted.append(now)

    def fail(self, now):
        # A half-done write that must be rolled back with the failure.
        db.session.add(Region(code=f"half-{now:%H%M}", name_kk="x", name_ru="x", name_en="x"))
        db.session.flush()
        raise ValueError("the remote register did not answer")

    @hookimpl
    def register_jobs(self):
        return [
            Job("jobtest.count", self.count, dt.timedelta(minutes=10)),
            Job("jobtest.fail", self.fail, dt.timedelta(minutes=10)),
        ]


@pytest.fixture
def jobtest(app):
    plugin = JobTestPlugin()
    pm = app.extensions["qauym_plugins"].pm
    pm.register(plugin, name="jobtest")
    yield plugin
    pm.unregister(name="jobtest")


def pings() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "sample.ping")
    )


def test_due_jobs_run_once_and_others_wait_until_due(jobtest):
    first = jobs.run_due(NOON)
    assert first["jobtest.count"] == "ran"
    assert first["sample.tick"] == "ran"
    assert first["core.send_outbox"] == "ran"

    soon = jobs.run_due(NOON + dt.timedelta(minutes=5))
    assert soon["jobtest.count"] == "skipped"
    assert soon["sample.tick"] == "ran"  # due every minute

    later = jobs.run_due(NOON + dt.timedelta(minutes=10))
    assert later["jobtest.count"] == "ran"
    assert jobtest.counted == [NOON, NOON + dt.timedelta(minutes=10)]

    forced = jobs.run_due(NOON + dt.timedelta(minutes=11), force=True)
    assert forced["jobtest.count"] == "ran"
    assert len(jobtest.counted) == 3
    run = db.session.get(JobRun, "jobtest.count")
    assert run.last_started_at == NOON + dt.timedelta(minutes=11)
    assert run.last_finished_at is not None and run.last_error == ""


def test_a_failing_job_is_rolled_back_recorded_and_does_not_stop_the_others(jobtest, factory):
    factory.user()

    report = jobs.run_due(NOON)

    assert report["jobtest.fail"].startswith("failed: ValueError")
    assert report["jobtest.count"] == "ran" and report["sample.tick"] == "ran"
    assert jobtest.counted == [NOON]
    assert pings() == 1  # the job after the failing one committed its work
    run = db.session.get(JobRun, "jobtest.fail")
    assert "the remote register did not answer" in run.last_error
    assert run.last_finished_at is None
    assert db.session.scalar(select(Region).where(Region.code.like("half-%"))) is None

    # It is retried when due again, not at every call.
    assert jobs.run_due(NOON + dt.timedelta(minutes=1))["jobtest.fail"] == "skipped"
    assert jobs.run_due(NOON + dt.timedelta(minutes=10))["jobtest.fail"].startswith("failed")


def test_running_twice_in_a_row_repeats_no_effect(app, factory):
    factory.user()
    factory.user()

    jobs.run_due(NOON)
    jobs.run_due(NOON)  # same minute: not due
    jobs.run_due(NOON + dt.timedelta(minutes=2))  # due, but today's ping was sent
    jobs.run_due(NOON + dt.timedelta(minutes=3), force=True)
    assert pings() == 2  # one per user

    jobs.run_due(NOON + dt.timedelta(days=1))
    assert pings() == 4


def test_qauym_jobs_run_command(app, factory):
    factory.user()
    runner = app.test_cli_runner()

    out = runner.invoke(qauym_cli, ["jobs", "run"])

    assert out.exit_code == 0, out.output
    assert "sample.tick: ran" in out.output
    assert pings() == 1
    assert "sample.tick: skipped" in runner.invoke(qauym_cli, ["jobs", "run"]).output


def test_job_names_must_carry_the_plugin_prefix(app):
    class Misnamed:
        @hookimpl
        def register_jobs(self):
            return [Job("digest", lambda now: None)]

    pm = app.extensions["qauym_plugins"].pm
    pm.register(Misnamed(), name="misnamed")
    try:
        with pytest.raises(PluginError, match="'misnamed' names 'digest'"):
            jobs.run_due(NOON)
    finally:
        pm.unregister(name="misnamed")


def test_each_job_sees_memberships_as_they_are_now(app, factory):
    """Jobs run inside a request context; per-request caches must not carry over between
    runs (or between jobs of one run)."""
    from core.services import permissions

    association = factory.association()
    user = factory.user()
    seen: list[bool] = []

    class Watcher:
        @hookimpl
        def register_jobs(self):
            return [
                Job(
                    "watcher.check",
                    lambda now: seen.append(permissions.is_member(user, association)),
                )
            ]

    pm = app.extensions["qauym_plugins"].pm
    pm.register(Watcher(), name="watcher")
    try:
        jobs.run_due(NOON)
        factory.member(association, user)
        jobs.run_due(NOON, force=True)
    finally:
        pm.unregister(name="watcher")
    assert seen == [False, True]
