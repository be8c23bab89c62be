"""Background jobs (core/jobs.py) and the scheduler (core/scheduler.py): retries with a growing
wait, a bounded number of attempts, a failed attempt leaving nothing behind, each due run queued
exactly once (also by two schedulers at the same moment), and the real database worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from livingmap.core import scheduler
from livingmap.core.jobs import DailyAt, Every, Scheduled, enqueue, enqueue_unless_queued, job
from livingmap.core.models import Dataset, JobRun, ScheduledJob
from livingmap.core.testing import run_queued_task, run_together

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

#: How many more times `flaky` fails before it succeeds (set by each test).
FAILURES_LEFT = {"n": 0}


@job(max_attempts=3, retry_after_seconds=0)
def flaky(slug: str) -> str:
    """Writes a data set, then fails while FAILURES_LEFT says so."""
    Dataset.objects.create(slug=f"{slug}-{FAILURES_LEFT['n']}", name="written by a job")
    if FAILURES_LEFT["n"] > 0:
        FAILURES_LEFT["n"] -= 1
        raise RuntimeError(f"the service is down ({FAILURES_LEFT['n']} more failures)")
    return slug


@job(max_attempts=3, retry_after_seconds=30)
def always_fails() -> None:
    raise ValueError("the mail server refused the message")


@job(max_attempts=1)
def quick(n: int = 0) -> int:
    return n


def _declare(monkeypatch: pytest.MonkeyPatch, *entries: Scheduled) -> None:
    monkeypatch.setattr(scheduler, "declared_schedule", lambda: list(entries))


# -- retries ------------------------------------------------------------------------------------


def test_a_failing_job_is_tried_again_and_then_succeeds(db):
    FAILURES_LEFT["n"] = 2
    first = enqueue(flaky, "retried")
    runs = list(JobRun.objects.filter(task_path=flaky.module_path).order_by("attempt"))
    assert [(r.attempt, r.status) for r in runs] == [
        (1, JobRun.Status.RETRYING),
        (2, JobRun.Status.RETRYING),
        (3, JobRun.Status.SUCCEEDED),
    ]
    assert runs[0].pk == first.pk
    assert "RuntimeError: the service is down (1 more failures)" in runs[0].error
    assert runs[2].result == "retried" and runs[2].error == ""
    # Each failed attempt's writes were rolled back; only the successful one's remain.
    assert list(
        Dataset.objects.filter(slug__startswith="retried-").values_list("slug", flat=True)
    ) == ["retried-0"]


def test_a_job_that_keeps_failing_stops_after_its_attempts_and_is_shown_failed(db):
    enqueue(always_fails)
    runs = list(JobRun.objects.filter(task_path=always_fails.module_path).order_by("attempt"))
    assert [(r.attempt, r.max_attempts, r.status) for r in runs] == [
        (1, 3, JobRun.Status.RETRYING),
        (2, 3, JobRun.Status.RETRYING),
        (3, 3, JobRun.Status.FAILED),
    ]
    assert all("ValueError: the mail server refused the message" in r.error for r in runs)
    # Each attempt's own error, not its predecessors' chained before it.
    assert all(r.error.count("ValueError: the mail server") == 1 for r in runs)
    assert all(r.finished_at is not None for r in runs)


def test_retries_wait_longer_each_time_on_the_database_queue(db, settings):
    """With a queue that can wait (the database backend), attempt n+1 is queued to run
    retry_after_seconds × 2^(n-1) after attempt n failed."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    run = enqueue(always_fails)
    assert run.status == JobRun.Status.QUEUED and run.task_id
    assert DBTaskResult.objects.get(pk=run.task_id).status == "READY"
    # Run the queued attempts as the worker does (one at a time), twice.

    waits = []
    for attempt in (1, 2):
        current = JobRun.objects.get(task_path=always_fails.module_path, attempt=attempt)
        before = timezone.now()
        run_queued_task(current.task_id)
        retry = JobRun.objects.get(task_path=always_fails.module_path, attempt=attempt + 1)
        waits.append(
            (DBTaskResult.objects.get(pk=retry.task_id).run_after - before).total_seconds()
        )
    assert 29 <= waits[0] <= 40 and 59 <= waits[1] <= 70
    assert DBTaskResult.objects.get(pk=run.task_id).status == "FAILED"


def test_a_run_delivered_twice_does_not_run_again(db):
    FAILURES_LEFT["n"] = 0
    run = enqueue(flaky, "once")
    assert Dataset.objects.filter(slug="once-0").count() == 1
    flaky.call("once", _run=run.pk)  # the queue delivers the same run again
    assert Dataset.objects.filter(slug="once-0").count() == 1


def test_enqueue_unless_queued_queues_one_waiting_run(db, settings):
    settings.TASKS = DATABASE_TASKS
    first = enqueue_unless_queued(quick)
    assert first is not None
    assert enqueue_unless_queued(quick) is None
    JobRun.objects.filter(pk=first.pk).update(status=JobRun.Status.RUNNING)
    assert enqueue_unless_queued(quick) is not None  # a change during a run needs another
    # A run queued long ago and never started (its queue emptied by hand) does not block.
    JobRun.objects.filter(task_path=quick.module_path).update(
        status=JobRun.Status.QUEUED, enqueued_at=timezone.now() - timedelta(hours=2)
    )
    assert enqueue_unless_queued(quick) is not None
    assert enqueue_unless_queued(quick) is None


def test_a_job_queued_directly_is_recorded_too(db):
    """`.enqueue()` on the task itself (not through core.jobs.enqueue) still leaves a JobRun."""
    always_fails.enqueue()
    runs = JobRun.objects.filter(task_path=always_fails.module_path).order_by("attempt")
    assert [(r.attempt, r.max_attempts, r.status) for r in runs] == [
        (1, 3, JobRun.Status.RETRYING),
        (2, 3, JobRun.Status.RETRYING),
        (3, 3, JobRun.Status.FAILED),
    ]


def test_a_run_that_cannot_be_queued_says_why(db, settings):
    settings.TASKS = DATABASE_TASKS
    with pytest.raises(TypeError):
        enqueue(quick, n=object())
    run = JobRun.objects.get(task_path=quick.module_path)
    assert run.status == JobRun.Status.FAILED and "Could not be queued" in run.error


def test_job_needs_at_least_one_attempt():
    with pytest.raises(ValueError, match="at least 1"):
        job(max_attempts=0)


# -- the real database worker -----------------------------------------------------------------


@pytest.mark.no_demo
@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_a_queued_job_retries_it_and_records_both(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    FAILURES_LEFT["n"] = 1
    run = enqueue(flaky, "worker")
    assert JobRun.objects.get(pk=run.pk).status == JobRun.Status.QUEUED  # only queued so far
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    runs = list(JobRun.objects.filter(task_path=flaky.module_path).order_by("attempt"))
    assert [(r.attempt, r.status) for r in runs] == [
        (1, JobRun.Status.RETRYING),
        (2, JobRun.Status.SUCCEEDED),
    ]
    tasks = {r.attempt: DBTaskResult.objects.get(pk=r.task_id) for r in runs}
    assert tasks[1].status == "FAILED" and "the service is down" in tasks[1].traceback
    assert tasks[2].status == "SUCCESSFUL" and tasks[2].return_value == "worker"
    assert list(
        Dataset.objects.filter(slug__startswith="worker-").values_list("slug", flat=True)
    ) == ["worker-0"]


# -- the scheduler ------------------------------------------------------------------------------


def test_the_scheduler_queues_a_due_job_exactly_once(db, monkeypatch):
    _declare(monkeypatch, Scheduled("test.quick", quick, Every(minutes=10), {"n": 7}))
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert [r.job_name for r in scheduler.run_due_jobs(now=now)] == ["test.quick"]
    assert scheduler.run_due_jobs(now=now) == []  # a second scheduler, or a restart
    assert scheduler.run_due_jobs(now=now + timedelta(minutes=9)) == []
    row = ScheduledJob.objects.get(name="test.quick")
    assert row.next_run_at == now + timedelta(minutes=10) and row.schedule == "every 10 minutes"
    run = JobRun.objects.get(job_name="test.quick")
    assert (run.due_at, run.status, run.result) == (now, JobRun.Status.SUCCEEDED, 7)
    # Missed runs are not made up: an hour late, it runs once and keeps its rhythm.
    later = now + timedelta(minutes=65)
    assert len(scheduler.run_due_jobs(now=later)) == 1
    row.refresh_from_db()
    assert row.next_run_at == now + timedelta(minutes=70)
    assert JobRun.objects.filter(job_name="test.quick").count() == 2
    # Declared no more: no longer shown as coming; its runs stay in the log.
    _declare(monkeypatch)
    assert scheduler.run_due_jobs(now=later) == []
    assert not ScheduledJob.objects.filter(name="test.quick").exists()
    assert JobRun.objects.filter(job_name="test.quick").count() == 2


def test_the_same_due_run_cannot_be_recorded_twice(db):
    """The database itself refuses a second run of a job for the same due time."""
    from django.db import IntegrityError, transaction

    due = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    JobRun.objects.create(job_name="test.quick", task_path="x", due_at=due)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(job_name="test.quick", task_path="x", due_at=due)
    JobRun.objects.create(job_name="test.quick", task_path="x", due_at=due, attempt=2)
    JobRun.objects.create(task_path="x")  # unscheduled runs have no due time
    JobRun.objects.create(task_path="x")


@pytest.mark.postgres
@pytest.mark.no_demo
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_moment_queue_a_due_job_once(monkeypatch):
    _declare(monkeypatch, Scheduled("test.quick", quick, Every(hours=1)))
    now = timezone.now()
    for round_ in range(3):
        results = run_together(4, lambda i: scheduler.run_due_jobs(now=now))
        errors = [r for r in results if isinstance(r, Exception)]
        assert not errors, errors
        assert sum(len(r) for r in results) == (1 if round_ == 0 else 0)
    assert JobRun.objects.filter(job_name="test.quick").count() == 1
    assert ScheduledJob.objects.filter(name="test.quick").count() == 1


def test_a_job_that_cannot_be_queued_is_recorded_as_failed(db, monkeypatch, settings):
    settings.TASKS = DATABASE_TASKS
    _declare(monkeypatch, Scheduled("test.quick", quick, Every(hours=1), {"n": object()}))
    (run,) = scheduler.run_due_jobs(now=timezone.now())
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED and "Could not be queued" in run.error


def test_every_app_declares_its_jobs_in_its_tasks_module():
    names = {entry.name: entry for entry in scheduler.declared_schedule()}
    assert {
        "core.heartbeat",
        "core.prune_job_runs",
        "accounts.review_reminders",
        "insights.nightly_rebuild",
    } <= set(names)
    assert names["insights.nightly_rebuild"].kwargs == {"only_if_stale": False}
    assert str(names["accounts.review_reminders"].schedule) == "daily at 07:00"


def test_daily_at_is_local_time_across_the_clocks_changing(settings):
    settings.TIME_ZONE = "Europe/London"
    daily = DailyAt(7, 0)
    # British Summer Time starts on 29 March 2026: 07:00 is 07:00 UTC before, 06:00 UTC after.
    before = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    due = daily.next_after(datetime(2026, 3, 28, 7, 0, tzinfo=UTC), before)
    assert due == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert daily.first_due(datetime(2026, 3, 29, 5, 59, tzinfo=UTC)) == due
    assert daily.next_after(due, due + timedelta(hours=1)) == datetime(
        2026, 3, 30, 6, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        DailyAt(25, 0)
    with pytest.raises(ValueError):
        Every(seconds=0)


def test_run_scheduler_once(db, monkeypatch):
    from io import StringIO

    _declare(monkeypatch, Scheduled("test.quick", quick, Every(minutes=5)))
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "Queued test.quick" in out.getvalue()
    assert JobRun.objects.get(job_name="test.quick").status == JobRun.Status.SUCCEEDED
