"""Periodic jobs: plugins register them through ``register_jobs``; ``qauym jobs run`` runs
the due ones. Each job's last run is stored, so a deployment can call it from cron every
minute. Jobs themselves must be idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select

from core.extensions import db
from core.models import JobRun
from core.plugin_api import Job
from core.timeutil import utcnow

log = logging.getLogger("qauym.jobs")


def core_jobs() -> list[Job]:
    from core.services import notifications

    return [Job("core.send_outbox", lambda now: notifications.send_outbox(now), dt.timedelta(0))]


def all_jobs() -> list[Job]:
    jobs = core_jobs()
    for batch in current_app.extensions["qauym_plugins"].hook.register_jobs():
        jobs.extend(batch or [])
    names = [j.name for j in jobs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"Job names must be unique: {sorted(dupes)}")
    return sorted(jobs, key=lambda j: j.name)


def run_due(now: dt.datetime | None = None, force: bool = False) -> dict[str, str]:
    """Run each due job once; return {job name: "ran" | "skipped" | "failed: ..."}."""
    now = now or utcnow()
    report: dict[str, str] = {}
    for job in all_jobs():
        run = db.session.get(JobRun, job.name)
        if run is None:
            run = JobRun(name=job.name)
            db.session.add(run)
        if not force and run.last_started_at is not None and now - run.last_started_at < job.every:
            report[job.name] = "skipped"
            continue
        run.last_started_at = now
        db.session.commit()
        try:
            job.func(now)
            db.session.commit()
            run = db.session.get(JobRun, job.name)
            run.last_finished_at = utcnow()
            run.last_error = ""
            report[job.name] = "ran"
        except Exception as exc:  # noqa: BLE001 - one job failing must not stop the others
            db.session.rollback()
            log.exception("job %s failed", job.name)
            run = db.session.get(JobRun, job.name)
            run.last_error = repr(exc)[:2000]
            report[job.name] = f"failed: {exc!r}"
        db.session.commit()
    return report


def last_runs() -> dict[str, JobRun]:
    return {r.name: r for r in db.session.scalars(select(JobRun))}
