"""Exports too large for a request: the job row, the task's work, the sweeper and the expiry.

A job is created in the request with what it must export (table, filters, format, language) and is
its own outbox record: the task kicked on commit writes the file sooner, :func:`run_pending_jobs`
(beat) writes the ones whose kick was lost or whose worker died, and :func:`expire_jobs` removes files
a day old. Each job's table is run again by the task with the job owner's scope, through the same
table functions as a direct download (:mod:`apps.exports.tables`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from apps.accounts.models import User
from apps.exports import tables, writers
from apps.exports.models import ExportFormat, ExportJob, JobStatus

logger = logging.getLogger(__name__)

#: A queued job younger than this is left to the task sent on commit.
SWEEP_GRACE = dt.timedelta(seconds=5)
#: A running job whose progress has not moved for this long lost its worker and is run again.
STALE_AFTER = dt.timedelta(minutes=5)


def threshold() -> int:
    """Above this many rows an export runs as a job (``EXPORTS_ASYNC_THRESHOLD``, default 50,000)."""
    return int(getattr(settings, "EXPORTS_ASYNC_THRESHOLD", 50_000))


def export_dir() -> Path:
    return Path(settings.EXPORTS_DIR)


def lifetime() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "EXPORTS_LIFETIME_HOURS", 24)))


def progress_every() -> int:
    return max(1, int(getattr(settings, "EXPORTS_PROGRESS_EVERY", 1000)))


def file_name(table: str, fmt: str, data: tables.TableData) -> str:
    """``rankings-P1-2026-11.csv``: the table and its filters, in characters every system accepts."""
    parts = [table, *data.name_parts]
    safe = "-".join(
        "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "_" for ch in p) for p in parts if p
    )
    return f"{safe}.{fmt}"


def create_job(user: User, table: str, fmt: str, params: dict[str, str], *, rows_total: int) -> ExportJob:
    """Record the job, then kick its task once the row is committed (the sweeper covers a lost kick)."""
    from apps.exports.tasks import run_export_job

    now = timezone.now()
    job = ExportJob.objects.create(
        user=user,
        table=table,
        params=params,
        format=fmt,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        rows_total=rows_total,
        created_at=now,
        expires_at=now + lifetime(),
    )
    transaction.on_commit(lambda: run_export_job.delay(job.pk))
    logger.info("export job %s queued: %s.%s, about %s rows", job.pk, table, fmt, rows_total)
    return job


def _claim(job_id: int, now: dt.datetime) -> bool:
    """Take the job: queued, or running with a stopped heartbeat. One caller wins (Celery may deliver
    twice, and the sweeper may race the task)."""
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    claimed = (
        ExportJob.objects.filter(claimable, pk=job_id, expires_at__gt=now)
        .update(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, rows_done=0)
    )  # fmt: skip
    return bool(claimed)


def run_job(job_id: int) -> bool:
    """Write the job's file, noting progress every ``EXPORTS_PROGRESS_EVERY`` rows; False if not claimed."""
    if not _claim(job_id, timezone.now()):
        return False
    job = ExportJob.objects.select_related("user", "user__unit").get(pk=job_id)
    directory = export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{job.token}.{job.format}"
    partial = directory / f"{job.token}.{job.format}.part"

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done, heartbeat_at=timezone.now())

    try:
        with translation.override(job.language):
            data = tables.build(job.user, job.table, job.params)
            ExportJob.objects.filter(pk=job.pk).update(rows_total=data.estimated_count)
            title = str(tables.TABLES[job.table][2])
            with open(partial, "wb") as target:
                if job.format == ExportFormat.CSV:
                    done = writers.write_csv(
                        data.columns, data.rows, target, progress=progress, every=progress_every()
                    )
                else:
                    done = writers.write_xlsx(
                        data.columns,
                        data.rows,
                        target,
                        title=title,
                        progress=progress,
                        every=progress_every(),
                    )
        os.replace(partial, final)
    except tables.ExportRefused as refused:  # the owner's scope or the data changed since the request
        partial.unlink(missing_ok=True)
        _fail(job, refused.message)
        return True
    except Exception as exc:
        partial.unlink(missing_ok=True)
        logger.exception("export job %s failed", job.pk)
        _fail(job, f"{type(exc).__name__}: {exc}")
        return True
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        rows_done=done,
        rows_total=done,
        file_path=final.name,
        download_name=file_name(job.table, job.format, data),
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    logger.info("export job %s done: %s rows", job.pk, done)
    return True


def _fail(job: ExportJob, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def run_pending_jobs(*, now: dt.datetime | None = None, limit: int = 5) -> int:
    """Beat sweeper: queued jobs whose kick was lost, running ones whose worker died, oldest first."""
    now = now or timezone.now()
    pending = Q(status=JobStatus.QUEUED, created_at__lt=now - SWEEP_GRACE) | Q(
        status=JobStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    ids = list(
        ExportJob.objects.filter(pending, expires_at__gt=now)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(run_job(pk) for pk in ids)


def expire_jobs(*, now: dt.datetime | None = None) -> int:
    """Delete the files of jobs past their expiry and mark them expired (beat, hourly)."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).exclude(status=JobStatus.EXPIRED):
        remove_file(job)
        ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.EXPIRED, file_path="")
        expired += 1
    if expired:
        logger.info("expired %s export jobs", expired)
    return expired


def remove_file(job: ExportJob) -> None:
    if job.file_path:
        (export_dir() / job.file_path).unlink(missing_ok=True)
    (export_dir() / f"{job.token}.{job.format}.part").unlink(missing_ok=True)


def is_expired(job: ExportJob, now: dt.datetime | None = None) -> bool:
    return job.status == JobStatus.EXPIRED or job.expires_at <= (now or timezone.now())


def job_file(job: ExportJob) -> Path | None:
    """The finished file, if it is still there."""
    if job.status != JobStatus.DONE or not job.file_path:
        return None
    path = export_dir() / job.file_path
    return path if path.is_file() else None


def describe(job: ExportJob) -> dict[str, Any]:
    return {"title": tables.TABLES.get(job.table, (None, (), job.table))[2], "job": job}
