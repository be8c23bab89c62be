"""Admin for provenance: the data sets records came from, and the history of imports.

Import events are a log: officers read them (with their data-quality report) but never add or
change one; only an import writes them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .models import Dataset, ImportEvent, JobRun, ScheduledJob

#: Rows of a report's rejected and warning lists shown on an import event's page.
REPORT_ROWS_SHOWN = 200


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "slug", "publisher", "licence", "release")
    list_filter = ("licence",)
    search_fields = ("name", "slug", "publisher")
    prepopulated_fields = {"slug": ("name",)}


def _problem_table(title: str, rows: list[dict[str, str]], total: int) -> SafeString:
    if not total:
        return format_html("<h4>{}: none</h4>", title)
    shown = rows[:REPORT_ROWS_SHOWN]
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td></tr>",
        ((r.get("row", ""), r.get("reason", "")) for r in shown),
    )
    more = total - len(shown)
    note = format_html("<p>… and {} more not shown.</p>", more) if more > 0 else ""
    return format_html(
        "<h4>{} ({})</h4><table><thead><tr><th>Row</th><th>Reason</th></tr></thead>"
        "<tbody>{}</tbody></table>{}",
        title,
        total,
        body,
        note,
    )


@admin.register(ImportEvent)
class ImportEventAdmin(admin.ModelAdmin):
    list_display = (
        "importer",
        "started_at",
        "status",
        "dataset",
        "read",
        "created",
        "updated",
        "unchanged",
        "rejected",
    )
    list_filter = ("status", "importer")
    search_fields = ("importer", "source")
    list_select_related = ("dataset",)
    show_full_result_count = False
    fields = (
        "importer",
        "dataset",
        "source",
        "status",
        "started_at",
        "finished_at",
        ("read", "created", "updated", "unchanged", "rejected"),
        "data_quality_report",
    )
    readonly_fields = (
        *fields[:6],
        "read",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "data_quality_report",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Data-quality report")
    def data_quality_report(self, event: ImportEvent) -> SafeString:
        report = event.report or {}
        error = report.get("error") or ""
        skipped = report.get("skipped", 0)
        rejected_rows = report.get("rejected_rows") or []
        warning_rows = report.get("warning_rows") or []
        return format_html(
            "{}<p>Rows passed over as not for this import: {}.</p>{}{}",
            format_html("<p><strong>The import failed:</strong> {}</p>", error) if error else "",
            skipped,
            _problem_table(
                "Rejected rows", rejected_rows, report.get("rejected", len(rejected_rows))
            ),
            _problem_table("Warnings", warning_rows, report.get("warnings", len(warning_rows))),
        )


class _ReadOnlyLog(admin.ModelAdmin):
    """Written only by the scheduler and the worker: read here, never added or changed."""

    show_full_result_count = False  # the run log can be long: no COUNT(*) of all of it
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledJob)
class ScheduledJobAdmin(_ReadOnlyLog):
    list_display = ("name", "schedule", "next_run_at", "last_enqueued_at")


@admin.register(JobRun)
class JobRunAdmin(_ReadOnlyLog):
    list_display = ("__str__", "status", "enqueued_at", "started_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("job_name", "task_path")
