"""Background jobs: declaring them, running them with retries, and their schedules.

One task system for every app (docs/architecture.md, "Background jobs"):

- A job is a function in the app's `tasks.py` decorated with `@job(...)`. It becomes a Django
  task (django-tasks on Django 5.2, `django.tasks` on Django 6), enqueued with
  `enqueue(the_job, ...)` and run by the worker (`livingmap db_worker`).
- Each run of a job is a `JobRun` row: queued, running, succeeded, or failed. A job that raises
  is tried again after a growing delay (`retry_after_seconds` × 2, × 4, …) until it has been
  tried `max_attempts` times; then it stays failed, with its error, for officers to see.
- A job that should run on a schedule is declared as data in its app's `tasks.py`:
  `SCHEDULE = [Scheduled("app.name", the_job, DailyAt(7, 0))]`. The scheduler
  (`livingmap run_scheduler`, core/scheduler.py) finds every installed app's SCHEDULE.

Jobs must be idempotent: a retry, or a run the worker had started when it was stopped, runs
the function again. Arguments and return values must be JSON (numbers, strings, lists, dicts).
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

try:  # Django 6 has the tasks framework built in; Django 5.2 has the django-tasks backport.
    from django.tasks import default_task_backend, task  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import default_task_backend, task  # type: ignore[no-redef]

__all__ = [
    "DailyAt",
    "Every",
    "Scheduled",
    "default_task_backend",
    "enqueue",
    "job",
]

#: How much of an error's traceback a JobRun keeps.
ERROR_CHARS = 4000
#: A run still queued after this long is taken as lost by enqueue_unless_queued.
WAITING_TOO_LONG = timedelta(hours=1)


# -- schedules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Every:
    """Every so many seconds (or minutes, hours); the first run is as soon as the scheduler
    first sees the job."""

    seconds: int = 0
    minutes: int = 0
    hours: int = 0

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.seconds, minutes=self.minutes, hours=self.hours)

    def __post_init__(self) -> None:
        if self.interval.total_seconds() < 1:
            raise ValueError("Every(...) needs an interval of at least one second")

    def first_due(self, now: datetime) -> datetime:
        return now

    def next_after(self, due: datetime, now: datetime) -> datetime:
        """The first due time after `now` in step with `due` (missed runs are not made up)."""
        steps = int((now - due) / self.interval) + 1
        return due + steps * self.interval

    def __str__(self) -> str:
        total = int(self.interval.total_seconds())
        for unit, size in (("hour", 3600), ("minute", 60)):
            if total % size == 0:
                n = total // size
                return f"every {n} {unit}{'s' if n != 1 else ''}"
        return f"every {total} seconds"


@dataclass(frozen=True)
class DailyAt:
    """Once a day at this local time (settings.TIME_ZONE), whatever the clocks did."""

    hour: int
    minute: int = 0

    def __post_init__(self) -> None:
        time(self.hour, self.minute)  # raises ValueError for an impossible time

    def _on(self, day: Any) -> datetime:
        return datetime.combine(
            day, time(self.hour, self.minute), tzinfo=timezone.get_current_timezone()
        )

    def first_due(self, now: datetime) -> datetime:
        local = timezone.localtime(now)
        due = self._on(local.date())
        return due if due >= now else self._on(local.date() + timedelta(days=1))

    def next_after(self, due: datetime, now: datetime) -> datetime:
        day = timezone.localtime(now).date()
        candidate = self._on(day)
        return candidate if candidate > now else self._on(day + timedelta(days=1))

    def __str__(self) -> str:
        return f"daily at {self.hour:02d}:{self.minute:02d}"


@dataclass(frozen=True)
class Scheduled:
    """A job that runs on a schedule: its unique name (`app.what`), the job, when, and the
    keyword arguments it is given."""

    name: str
    job: Any
    schedule: Every | DailyAt
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def task_path(self) -> str:
        return self.job.module_path


# -- running a job ------------------------------------------------------------------------------


def job(
    *,
    max_attempts: int = 3,
    retry_after_seconds: float = 60,
    priority: int = 0,
    queue_name: str = "default",
) -> Callable[[Callable[..., Any]], Any]:
    """Make `fn` a background job: a task whose every attempt is recorded as a JobRun, tried
    again on failure up to `max_attempts` times, `retry_after_seconds` × 2ⁿ apart."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def run(*args: Any, _run: int | None = None, **kwargs: Any) -> Any:
            return _run_attempt(the_task, fn, args, kwargs, _run, max_attempts, retry_after_seconds)

        run.max_attempts = max_attempts  # type: ignore[attr-defined]
        the_task = task(priority=priority, queue_name=queue_name)(run)
        return the_task

    return decorate


def enqueue(the_job: Any, *args: Any, job_name: str = "", **kwargs: Any) -> Any:
    """Queue a run of `the_job` (recorded as a JobRun); returns the JobRun."""
    from .models import JobRun

    run = JobRun.objects.create(
        job_name=job_name,
        task_path=the_job.module_path,
        max_attempts=the_job.func.max_attempts,
    )
    _send(the_job, run, args, kwargs)
    return run


def enqueue_unless_queued(the_job: Any, *args: Any, **kwargs: Any) -> Any:
    """Queue a run of `the_job` unless one is already waiting to start (for work that any one
    run does whole, like rebuilding aggregates after a change); the JobRun, or None. A run
    waiting longer than WAITING_TOO_LONG is taken as lost (a queue emptied by hand) and does not
    stop a new one."""
    from .models import JobRun

    waiting = JobRun.objects.filter(
        task_path=the_job.module_path,
        status=JobRun.Status.QUEUED,
        due_at__isnull=True,
        enqueued_at__gte=timezone.now() - WAITING_TOO_LONG,
    )
    if waiting.exists():
        return None
    return enqueue(the_job, *args, **kwargs)


def _send(
    the_job: Any, run: Any, args: tuple[Any, ...], kwargs: dict[str, Any], delay: float = 0
) -> None:
    from .models import JobRun

    to_send = the_job
    try:
        if delay > 0 and the_job.get_backend().supports_defer:
            to_send = the_job.using(run_after=timezone.now() + timedelta(seconds=delay))
        result = to_send.enqueue(*args, _run=run.pk, **kwargs)
    except Exception as exc:  # not JSON, or the queue is unreachable: say so on the run
        JobRun.objects.filter(pk=run.pk, status=JobRun.Status.QUEUED).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"Could not be queued: {exc!r}"[:ERROR_CHARS],
        )
        raise
    if JobRun.objects.filter(pk=run.pk, task_id="").update(task_id=str(result.id)[:64]):
        run.task_id = str(result.id)[:64]


def _run_attempt(
    the_task: Any,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    run_id: int | None,
    max_attempts: int,
    retry_after_seconds: float,
) -> Any:
    from .models import JobRun

    run = JobRun.objects.filter(pk=run_id).first() if run_id is not None else None
    if run is None:  # enqueued directly with .enqueue(), not through enqueue()
        run = JobRun.objects.create(task_path=the_task.module_path, max_attempts=max_attempts)
    if run.status == JobRun.Status.SUCCEEDED:
        return run.result  # delivered twice: the work is done
    run.status, run.started_at, run.finished_at = JobRun.Status.RUNNING, timezone.now(), None
    run.save(update_fields=["status", "started_at", "finished_at"])
    failure: Exception | None = None
    try:
        with transaction.atomic():  # a failed attempt leaves none of its writes behind
            value = fn(*args, **kwargs)
    except Exception as exc:
        failure = exc
    if failure is not None:
        # Recorded, and the next attempt queued, outside the except block: a backend that runs
        # the retry at once (the immediate one) would otherwise chain every earlier traceback.
        run.finished_at = timezone.now()
        run.error = "".join(traceback.format_exception(failure))[-ERROR_CHARS:]
        if run.attempt < run.max_attempts:
            run.status = JobRun.Status.RETRYING
            run.save(update_fields=["status", "finished_at", "error"])
            retry = JobRun.objects.create(
                job_name=run.job_name,
                task_path=run.task_path,
                due_at=run.due_at,
                attempt=run.attempt + 1,
                max_attempts=run.max_attempts,
            )
            _send(the_task, retry, args, kwargs, delay=retry_after_seconds * 2 ** (run.attempt - 1))
        else:
            run.status = JobRun.Status.FAILED
            run.save(update_fields=["status", "finished_at", "error"])
        raise failure
    run.status, run.finished_at, run.result, run.error = (
        JobRun.Status.SUCCEEDED,
        timezone.now(),
        value,
        "",
    )
    run.save(update_fields=["status", "finished_at", "result", "error"])
    return value
