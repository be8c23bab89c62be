"""Reads of the core app: the background jobs officers see (their schedule and recent runs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import JobRun, ScheduledJob

#: Failures counted on the jobs page: those of the last so many days.
FAILURE_WINDOW_DAYS = 7


@dataclass
class ScheduledJobSummary:
    name: str
    schedule: str
    next_run_at: datetime | None
    last_run: JobRun | None
    failures: int


def scheduled_jobs(*, now: datetime | None = None) -> list[ScheduledJobSummary]:
    """Each job the scheduler knows, with its next run, its last run and how it ended, and how
    many of its attempts failed in the last FAILURE_WINDOW_DAYS days."""
    now = now or timezone.now()
    since = now - timedelta(days=FAILURE_WINDOW_DAYS)
    failing = (JobRun.Status.FAILED, JobRun.Status.RETRYING)
    rows = list(ScheduledJob.objects.order_by("name"))
    failures = dict(
        JobRun.objects.filter(
            job_name__in=[r.name for r in rows], status__in=failing, enqueued_at__gte=since
        )
        .values_list("job_name")
        .annotate(n=Count("id"))
    )
    summaries = []
    for row in rows:
        last = (
            JobRun.objects.filter(job_name=row.name)
            .exclude(status=JobRun.Status.QUEUED)
            .order_by("-started_at", "-id")
            .first()
        )
        summaries.append(
            ScheduledJobSummary(
                name=row.name,
                schedule=row.schedule,
                next_run_at=row.next_run_at,
                last_run=last,
                failures=failures.get(row.name, 0),
            )
        )
    return summaries


def recent_job_runs(*, limit: int = 50, failed_only: bool = False) -> list[JobRun]:
    """The latest attempts at any job, newest first (a bounded list: the table is a log)."""
    runs = JobRun.objects.order_by("-enqueued_at", "-id")
    if failed_only:
        runs = runs.filter(Q(status=JobRun.Status.FAILED) | Q(status=JobRun.Status.RETRYING))
    return list(runs[:limit])
