"""Background jobs of the core app: a heartbeat that shows the worker runs, and pruning the
log of job runs. See core/jobs.py for how jobs are declared."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .jobs import DailyAt, Every, Scheduled, job


@job(max_attempts=1)
def heartbeat() -> str:
    """Does nothing but say when it ran: its last run on the jobs page is when the worker and
    the scheduler were last seen working."""
    return timezone.now().isoformat()


@job(max_attempts=3)
def prune_job_runs() -> dict[str, int]:
    """Forget finished job runs (and the database queue's finished tasks) older than
    LIVINGMAP_JOB_HISTORY_DAYS."""
    from django.apps import apps

    from .models import JobRun

    cutoff = timezone.now() - timedelta(days=settings.LIVINGMAP_JOB_HISTORY_DAYS)
    finished = (JobRun.Status.SUCCEEDED, JobRun.Status.FAILED, JobRun.Status.RETRYING)
    runs, _ = JobRun.objects.filter(status__in=finished, enqueued_at__lt=cutoff).delete()
    tasks = 0
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        tasks, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    return {"job_runs": runs, "tasks": tasks}


SCHEDULE = [
    Scheduled("core.heartbeat", heartbeat, Every(minutes=5)),
    Scheduled("core.prune_job_runs", prune_job_runs, DailyAt(3, 15)),
]
