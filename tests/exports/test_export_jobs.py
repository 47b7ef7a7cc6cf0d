"""Large exports: a job row in the request, the task (in-process here) writes the file with progress,
its owner downloads it, anyone else gets 404, and a day later it answers 410 and the file is gone."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from apps.exports import services
from apps.exports.models import ExportJob, JobStatus
from tests.exports.conftest import read_csv, signed_in

pytestmark = pytest.mark.django_db

QUERY = {"table": "dossiers", "unit": "P1", "period": "2026-11", "measure": "in_period"}


@pytest.fixture
def small_threshold(settings):
    """Anything above two rows is "large"; progress is noted at every row."""
    settings.EXPORTS_ASYNC_THRESHOLD = 2
    settings.EXPORTS_PROGRESS_EVERY = 1


def test_a_small_export_streams_at_once_without_a_job(activity, users):
    response = signed_in(users["supervisor_p1"]).get("/console/exports/", QUERY)
    assert response.status_code == 200 and response.streaming
    assert len(read_csv(response)) - 1 == 9
    assert not ExportJob.objects.exists()


def test_a_large_export_runs_as_a_job_and_its_owner_downloads_it(
    activity, users, small_threshold, settings, django_capture_on_commit_callbacks
):
    owner = users["supervisor_p1"]
    client = signed_in(owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get("/console/exports/", QUERY)
    assert len(callbacks) == 1  # the task is kicked once the job row is committed
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("exports-job", args=[job.token])
    assert (job.user, job.table, job.format) == (owner, "dossiers", "csv")
    assert job.params == {"unit": "P1", "period": "2026-11", "measure": "in_period"}
    assert job.status == JobStatus.DONE and job.rows_done == job.rows_total == 9
    assert job.expires_at - job.created_at == dt.timedelta(days=1)
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    file_url = reverse("exports-job-file", args=[job.token])
    assert file_url in body and "hx-trigger" not in body  # done: no more polling, a link
    download = client.get(file_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith(
        'attachment; filename="dossiers-P1-2026-11-in_period.csv"'
    )
    rows = read_csv(download)
    assert len(rows) == 10 and rows[0][0] in ("Dossier code", "Mã hồ sơ")
    # The same rows as the streamed download of the same table and filters.
    settings.EXPORTS_ASYNC_THRESHOLD = 50_000
    assert read_csv(client.get("/console/exports/", QUERY)) == rows
    # Only the owner: another supervisor of the same unit gets "not found", for the page and the file.
    from tests.factories import UserFactory

    other = signed_in(UserFactory(username="other_sup", unit=owner.unit, role=owner.role))
    assert other.get(file_url).status_code == 404
    assert other.get(response["Location"]).status_code == 404


def test_progress_is_polled_until_the_file_is_written(activity, users, small_threshold, export_dir):
    client = signed_in(users["supervisor_p1"])
    response = client.get("/console/exports/", {**QUERY, "format": "xlsx"})  # the kick is never sent here
    job = ExportJob.objects.get()
    assert job.status == JobStatus.QUEUED
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<progress" in html and 'hx-trigger="every 1s"' in html
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert 'id="export-progress"' in partial.content.decode() and "<html" not in partial.content.decode()
    file_url = reverse("exports-job-file", args=[job.token])
    assert client.get(file_url).status_code == 409  # not written yet

    seen = []
    real_update = services.ExportJob.objects.filter

    def spy(*args, **kwargs):
        queryset = real_update(*args, **kwargs)
        original = queryset.update

        def update(**values):
            if "rows_done" in values:
                seen.append(values["rows_done"])
            return original(**values)

        queryset.update = update
        return queryset

    services.ExportJob.objects.filter = spy
    try:
        assert services.run_job(job.pk) is True
    finally:
        services.ExportJob.objects.filter = real_update
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.rows_done == job.rows_total == 9
    assert seen[-1] == 9 and seen[1:-1] == sorted(seen[1:-1]) and len(set(seen)) >= 5  # row by row
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial and file_url in partial
    sheet = load_workbook(io.BytesIO(b"".join(client.get(file_url).streaming_content))).active
    assert sheet.max_row == 10
    # Claimed once: a second delivery of the task does nothing.
    assert services.run_job(job.pk) is False


def test_the_sweeper_writes_a_job_whose_kick_was_lost(activity, users, small_threshold, frozen_clock):
    signed_in(users["supervisor_p1"]).get("/console/exports/", QUERY)
    job = ExportJob.objects.get()
    assert services.run_pending_jobs() == 0  # younger than the grace: left to its task
    frozen_clock.shift(dt.timedelta(seconds=10))
    assert services.run_pending_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


def test_a_job_left_running_by_a_dead_worker_is_run_again(activity, users, small_threshold, frozen_clock):
    signed_in(users["supervisor_p1"]).get("/console/exports/", QUERY)
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=job.created_at)
    assert services.run_job(job.pk) is False  # its heartbeat is recent: still someone's
    frozen_clock.shift(dt.timedelta(minutes=6))
    assert services.run_pending_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.rows_done == 9


def test_after_a_day_the_file_answers_410_and_is_deleted(
    activity, users, small_threshold, export_dir, frozen_clock, django_capture_on_commit_callbacks
):
    client = signed_in(users["supervisor_p1"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/console/exports/", QUERY)
    job = ExportJob.objects.get()
    path = export_dir / job.file_path
    assert path.is_file()
    file_url = reverse("exports-job-file", args=[job.token])
    frozen_clock.shift(dt.timedelta(hours=23))
    assert client.get(file_url).status_code == 200
    frozen_clock.shift(dt.timedelta(hours=1, minutes=1))
    expired = client.get(file_url, HTTP_ACCEPT="application/json")
    assert expired.status_code == 410 and expired.json()["code"] == "export_expired"
    assert client.get(response["Location"]).status_code == 410
    assert services.expire_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED and not path.exists() and job.file_path == ""
    assert client.get(file_url).status_code == 410
    assert services.expire_jobs() == 0


def test_a_job_whose_owner_lost_the_unit_fails_with_a_reason(activity, users, small_threshold, tree):
    owner = users["supervisor_p1"]
    signed_in(owner).get("/console/exports/", QUERY)
    job = ExportJob.objects.get()
    owner.unit = tree["p2"]
    owner.save()
    assert services.run_job(job.pk) is True
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "P1" in job.error
    response = signed_in(owner).get(reverse("exports-job-file", args=[job.token]))
    assert response.status_code == 409


def test_my_exports_lists_only_my_jobs(activity, users, small_threshold):
    signed_in(users["supervisor_p1"]).get("/console/exports/", QUERY)
    mine = signed_in(users["supervisor_p1"]).get("/console/exports/jobs/")
    assert mine.status_code == 200 and str(ExportJob.objects.get().token) in mine.content.decode()
    theirs = signed_in(users["admin_p1"]).get("/console/exports/jobs/")
    assert str(ExportJob.objects.get().token) not in theirs.content.decode()


def test_the_beat_schedule_runs_the_sweeper_and_the_expiry(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"exports.run_pending_jobs", "exports.expire_jobs"} <= tasks
    from casetracker.celery import app

    app.loader.import_default_modules()
    assert {"exports.run_pending_jobs", "exports.expire_jobs", "exports.run_export_job"} <= set(app.tasks)
