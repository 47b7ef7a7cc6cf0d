"""Celery tasks: thin wrappers around :mod:`apps.exports.services`."""

from celery import shared_task

from apps.exports import services
from casetracker.celery import RecoverableTask


@shared_task(name="exports.run_export_job", ignore_result=True, base=RecoverableTask)
def run_export_job(job_id: int) -> bool:
    """Sent on commit as a kick; if it is lost, :func:`run_pending_export_jobs` writes the file."""
    return services.run_job(job_id)


@shared_task(name="exports.run_pending_jobs", ignore_result=True, base=RecoverableTask)
def run_pending_export_jobs() -> int:
    """Beat sweeper: jobs queued without a kick, or left running by a worker that died."""
    return services.run_pending_jobs()


@shared_task(name="exports.expire_jobs", ignore_result=True, base=RecoverableTask)
def expire_export_jobs() -> int:
    """Beat: files older than a day are deleted and their jobs marked expired."""
    return services.expire_jobs()
