"""A large export through the real stack: the request records the job, a Celery worker process (Redis
broker, PostgreSQL) writes the file, and the owner downloads it."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from apps.core.actors import Actor
from apps.dossiers import services
from apps.exports import services as exports
from apps.exports.models import ExportJob, JobStatus

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def test_a_worker_writes_a_large_export_and_its_owner_downloads_it(
    worker, settings, calendar, tree, procedure, users
):
    settings.EXPORTS_ASYNC_THRESHOLD = 2
    for _ in range(5):
        services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=Actor.of_system("t"))
    client = Client()
    client.force_login(users["clerk_c1"])
    response = client.get("/console/exports/", {"table": "desk_queue", "format": "csv"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    deadline = time.monotonic() + 30
    while job.status != JobStatus.DONE and time.monotonic() < deadline:
        assert job.status in (JobStatus.QUEUED, JobStatus.RUNNING), job.error
        time.sleep(0.2)
        job.refresh_from_db()
    try:
        assert job.status == JobStatus.DONE and job.rows_done == job.rows_total == 5
        download = client.get(f"/console/exports/jobs/{job.token}/file/")
        assert download.status_code == 200
        lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
        assert len(lines) == 6
    finally:
        exports.remove_file(job)
