"""The scheduler: enqueue each declared job (an app's `tasks.py` SCHEDULE) when it is due.

`run_due_jobs()` is one pass; `livingmap run_scheduler` calls it every few seconds. Each due run
is recorded as a JobRun that is unique per (job, due time, attempt), created in the same
transaction as the task is queued (the database backend's queue is a table in the same
database), so two schedulers, or one restarted half-way, never enqueue a run twice. Runs missed
while nothing was scheduling are not made up: the job runs once, then keeps its rhythm.
"""

from __future__ import annotations

import logging
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from .jobs import Scheduled, _send
from .models import JobRun, ScheduledJob

logger = logging.getLogger(__name__)


def declared_schedule() -> list[Scheduled]:
    """Every installed app's SCHEDULE (a list of `Scheduled` in its `tasks.py`), in app order."""
    entries: list[Scheduled] = []
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "tasks"):
            continue
        module = import_module(f"{config.name}.tasks")
        entries.extend(getattr(module, "SCHEDULE", []))
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Scheduled job names must be unique: {', '.join(duplicates)}")
    return entries


def run_due_jobs(*, now: datetime | None = None) -> list[JobRun]:
    """Enqueue every declared job that is due; the runs this call queued."""
    now = now or timezone.now()
    queued: list[JobRun] = []
    declared = declared_schedule()
    # A job no longer declared (its app removed it) is no longer shown as coming; its runs stay.
    ScheduledJob.objects.exclude(name__in=[e.name for e in declared]).delete()
    for entry in declared:
        row, _ = ScheduledJob.objects.get_or_create(
            name=entry.name,
            defaults={
                "task_path": entry.task_path,
                "schedule": str(entry.schedule),
                "next_run_at": entry.schedule.first_due(now),
            },
        )
        if row.task_path != entry.task_path or row.schedule != str(entry.schedule):
            # The declaration changed: follow it from now on.
            row.task_path, row.schedule = entry.task_path, str(entry.schedule)
            row.next_run_at = entry.schedule.first_due(now)
            row.save(update_fields=["task_path", "schedule", "next_run_at"])
        if row.next_run_at is None or row.next_run_at > now:
            continue
        run = _enqueue_once(entry, row, now)
        if run is not None:
            queued.append(run)
    return queued


def _enqueue_once(entry: Scheduled, row: ScheduledJob, now: datetime) -> JobRun | None:
    due = row.next_run_at
    assert due is not None
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job_name=entry.name,
                task_path=entry.task_path,
                due_at=due,
                max_attempts=entry.job.func.max_attempts,
            )
            ScheduledJob.objects.filter(pk=row.pk).update(
                next_run_at=entry.schedule.next_after(due, now), last_enqueued_at=now
            )
    except IntegrityError:
        logger.info("%s due %s was already queued by another scheduler", entry.name, due)
        return None
    # Sent once the run is recorded: with the database backend this could share the
    # transaction, but another backend (Redis) could not take part in it, and then a run that
    # was queued but whose record was rolled back would run twice.
    try:
        _send(entry.job, run, (), dict(entry.kwargs))
    except Exception:  # recorded on the run by _send; the other jobs still go
        logger.exception("could not queue %s", entry.name)
    return run
