"""The officers' background jobs page: each scheduled job's last and next run, its last result
and failures, and recent runs with their errors; officers only, and only past two-factor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from livingmap.core import scheduler
from livingmap.core.jobs import Every, Scheduled, job
from livingmap.core.models import JobRun

from .conftest import make_user, sign_in

URL = "/officers/background-jobs/"


@job(max_attempts=2, retry_after_seconds=0)
def refuses() -> None:
    raise ConnectionRefusedError("the mail server at smtp.example.org refused us")


@job(max_attempts=1)
def fine() -> str:
    return "done"


@pytest.fixture
def jobs_ran(db, monkeypatch):
    entries = [
        Scheduled("test.refuses", refuses, Every(hours=1)),
        Scheduled("test.fine", fine, Every(minutes=5)),
    ]
    monkeypatch.setattr(scheduler, "declared_schedule", lambda: entries)
    scheduler.run_due_jobs(now=datetime(2026, 6, 1, 12, 0, tzinfo=UTC))


def test_the_url_is_the_officers_page():
    assert reverse("officer_jobs") == URL


def test_officers_see_each_job_its_runs_and_its_failures(client, jobs_ran):
    sign_in(client, make_user("officer@example.org", groups=("officer",)))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("test.refuses", "test.fine"):
        assert f'<th scope="row" class="govuk-table__header">{name}</th>' in page
    assert "every 1 hour" in page and "every 5 minutes" in page
    jobs = {j.name: j for j in response.context["jobs"]}
    assert jobs["test.refuses"].failures == 2  # both attempts
    assert jobs["test.refuses"].last_run.status == JobRun.Status.FAILED
    assert jobs["test.fine"].failures == 0
    assert jobs["test.fine"].last_run.status == JobRun.Status.SUCCEEDED
    # Next runs: an hour and five minutes after the due time.
    assert "1 Jun 2026 14:00" in page  # 13:00 UTC in British Summer Time
    assert "1 Jun 2026 13:05" in page
    # The failed attempts, with their error, among the recent runs.
    assert page.count("govuk-tag--red") >= 1 and "govuk-tag--orange" in page
    assert "ConnectionRefusedError: the mail server at smtp.example.org refused us" in page
    assert "1 of 2" in page and "2 of 2" in page


def test_the_page_is_refused_to_everyone_but_officers(client, jobs_ran):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("account_login") in response.url
    for user in (
        make_user("resident@example.org"),
        make_user("connector@example.org", groups=("connector",)),
    ):
        sign_in(client, user)
        response = client.get(URL)
        assert response.status_code == 403
        assert "smtp.example.org" not in response.content.decode()


def test_an_officer_without_the_second_factor_is_sent_to_it_first(client, jobs_ran, settings):
    settings.LIVINGMAP_REQUIRE_2FA = True
    client.force_login(make_user("officer@example.org", groups=("officer",)))
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_two_factor"))
    assert "smtp.example.org" not in response.content.decode()


def test_the_page_says_when_no_job_has_been_seen(client, db):
    sign_in(client, make_user("officer@example.org", groups=("officer",)))
    page = client.get(URL).content.decode()
    assert "No scheduled job has been seen yet" in page


def test_officers_find_the_page_from_their_account(client, db):
    sign_in(client, make_user("officer@example.org", groups=("officer",)))
    assert URL in client.get(reverse("account_home")).content.decode()
    sign_in(client, make_user("resident@example.org"))
    assert URL not in client.get(reverse("account_home")).content.decode()
