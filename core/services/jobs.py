"""Periodic jobs: plugins register them through ``register_jobs``; ``qauym jobs run`` runs
the due ones. Each job's last start is stored, so a deployment can call it from cron every
minute.

Contract:

* a job runs when at least ``Job.every`` has passed since its last start (``force`` ignores
  that); a job is claimed with one conditional UPDATE, so two overlapping ``qauym jobs run``
  (a slow cron tick and the next one) never run the same job at once;
* each job runs in its own transaction: a job that raises is rolled back, its error is
  stored in ``JobRun.last_error`` and the other jobs still run;
* jobs themselves must be idempotent (running one twice in a row repeats no effect): the
  schedule limits how often they run, it does not make them safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app, g
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.models import JobRun
from core.plugin_api import Job
from core.services import inbound_mail, notifications, sessions
from core.services.urls import site_request_context
from core.timeutil import utcnow

log = logging.getLogger("qauym.jobs")


def core_jobs() -> list[Job]:
    return [
        Job("core.send_outbox", lambda now: notifications.send_outbox(now), dt.timedelta(0)),
        Job("core.prune_sessions", lambda now: sessions.prune(now), dt.timedelta(days=1)),
        Job("core.prune_inbound_mail", lambda now: inbound_mail.prune(now), dt.timedelta(days=1)),
    ]


def init_app(app) -> None:
    """Check the plugins' jobs at start-up: a wrong name stops start-up naming the plugin."""
    app.extensions["qauym_plugins"].collect("register_jobs")


def all_jobs() -> list[Job]:
    """Core jobs and those of every enabled plugin; names are unique and start with the
    plugin's name (``forum.digest``)."""
    jobs = core_jobs() + current_app.extensions["qauym_plugins"].items("register_jobs")
    names = [j.name for j in jobs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"Job names must be unique: {sorted(dupes)}")
    return sorted(jobs, key=lambda j: j.name)


def _ensure_row(name: str) -> None:
    if db.session.get(JobRun, name) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(JobRun(name=name))
    except IntegrityError:  # another runner created it just now
        pass
    db.session.commit()


def _claim(job: Job, now: dt.datetime, force: bool) -> bool:
    """Mark ``job`` started at ``now`` if it is due; True when this runner got it."""
    _ensure_row(job.name)
    stmt = update(JobRun).where(JobRun.name == job.name).values(last_started_at=now)
    if not force:
        stmt = stmt.where(
            or_(JobRun.last_started_at.is_(None), JobRun.last_started_at <= now - job.every)
        )
    claimed = db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def _forget_cached_state() -> None:
    """Give each job fresh permission and plugin-switch caches.

    Jobs run in a request context (for ``url_for``) inside the long-lived application context,
    whose ``g`` holds those caches: without this, a job would see memberships and switches as
    they were when an earlier job (or an earlier run in the same process) first read them.
    """
    for key in [k for k in g if k.startswith("_qauym_")]:
        g.pop(key, None)


def run_due(now: dt.datetime | None = None, force: bool = False) -> dict[str, str]:
    """Run each due job once; return {job name: "ran" | "skipped" | "failed: ..."}."""
    now = now or utcnow()
    report: dict[str, str] = {}
    for job in all_jobs():
        if not _claim(job, now, force):
            report[job.name] = "skipped"
            continue
        try:
            with site_request_context():
                _forget_cached_state()
                job.func(now)
            db.session.commit()
            error = ""
            report[job.name] = "ran"
        except Exception as exc:  # noqa: BLE001 - one job failing must not stop the others
            db.session.rollback()
            log.exception("job %s failed", job.name)
            error = repr(exc)[:2000]
            report[job.name] = f"failed: {exc!r}"
        values = {"last_error": error}
        if not error:
            values["last_finished_at"] = utcnow()
        db.session.execute(update(JobRun).where(JobRun.name == job.name).values(**values))
        db.session.commit()
    return report


def last_runs() -> dict[str, JobRun]:
    return {r.name: r for r in db.session.scalars(select(JobRun))}
