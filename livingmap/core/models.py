"""Provenance shared by every domain: where data came from, and each import of it; and the
background jobs every app runs (their schedule and each run)."""

from __future__ import annotations

import re
from datetime import date

from django.db import models
from django.utils import timezone


class Dataset(models.Model):
    """A published data set that records in Living Map came from (a file, a register, a feed)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200, blank=True)
    licence = models.CharField(max_length=200, help_text="e.g. Open Government Licence v3.0")
    licence_url = models.URLField(blank=True)
    attribution = models.TextField(blank=True, help_text="The words the licence asks us to show.")
    source_url = models.URLField(blank=True, max_length=500)
    release = models.CharField(max_length=100, blank=True, help_text="Edition or date of release.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def release_label(self) -> str:
        """The release as people read it: an ISO date (2023-04-04) as "4 April 2023", other
        wording ("September 2018", "mid-2024") as given, and nothing as "Not stated"."""
        release = (self.release or "").strip()
        if not release:
            return "Not stated"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", release):
            try:
                day = date.fromisoformat(release)
            except ValueError:
                return release
            return f"{day.day} {day:%B %Y}"
        return release


class ImportEvent(models.Model):
    """One run of an importer, dry or committed, with its data-quality report."""

    class Status(models.TextChoices):
        DRY_RUN = "dry_run", "Dry run (nothing written)"
        COMMITTED = "committed", "Committed"
        FAILED = "failed", "Failed (nothing written)"

    importer = models.CharField(max_length=100)
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=500, help_text="File or URL read.")
    status = models.CharField(max_length=20, choices=Status.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, help_text="Rejected rows with reasons, and warnings.")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["importer", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.importer} {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class ScheduledJob(models.Model):
    """A recurring job an app declares (its `tasks.py` SCHEDULE), and when it runs next.

    The scheduler (`livingmap run_scheduler`, core/scheduler.py) keeps one row per declared job;
    each run it enqueues is a `JobRun`."""

    name = models.CharField(max_length=100, unique=True)
    task_path = models.CharField(max_length=200)
    schedule = models.CharField(max_length=100, help_text="When it runs, in words.")
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JobRun(models.Model):
    """One attempt at a background job (core/jobs.py): queued, running, and how it ended.

    A scheduled run has its job's name and the time it was due; (job, due time, attempt) is
    unique, so two schedulers, or one restarted, never enqueue the same run twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Failed, will be tried again"
        FAILED = "failed", "Failed"

    job_name = models.CharField(max_length=100, blank=True, db_index=True)
    task_path = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    max_attempts = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-enqueued_at", "-id"]
        indexes = [
            models.Index(fields=["task_path", "status"]),
            models.Index(fields=["-enqueued_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["job_name", "due_at", "attempt"],
                condition=models.Q(due_at__isnull=False),
                name="core_jobrun_once_per_due_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_name or self.task_path} attempt {self.attempt} ({self.status})"
