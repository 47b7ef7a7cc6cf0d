"""A large export as a row: written in the request, picked up by a task, swept if its kick is lost.

The job is its own outbox record (see :mod:`apps.core.outbox`): a ``queued`` job owes a file. The task
sent on commit only makes it happen sooner; a broker outage or a dead worker delays the file, and the
beat sweeper (:func:`apps.exports.services.run_pending_jobs`) writes it, never losing the request.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired")


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")


class ExportJob(models.Model):
    """One export too large to stream in the request: its table and filters, progress, file and expiry."""

    #: Public id in URLs: job numbers would tell how many exports others asked for.
    token = models.UUIDField(verbose_name=_("token"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("user")
    )
    table = models.CharField(_("table"), max_length=32)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    language = models.CharField(
        _("language"), max_length=8, default="vi", help_text=_("The column headers' language.")
    )
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows expected"), default=0)
    file_path = models.CharField(
        _("file"), max_length=500, blank=True, default="", help_text=_("Relative to EXPORTS_DIR.")
    )
    download_name = models.CharField(_("file name"), max_length=200, blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    #: Moves with every progress step: a running job whose heartbeat stopped lost its worker.
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="export_job_status_created")]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")

    def __str__(self) -> str:
        return f"{self.table}.{self.format} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED)
