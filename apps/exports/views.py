"""Export downloads and the pages of large exports' jobs (session auth, console pages).

The views only parse and answer: which rows a table holds is :mod:`apps.exports.tables`, how a file is
written :mod:`apps.exports.writers`, and a job's life :mod:`apps.exports.services`.
"""

from __future__ import annotations

import tempfile

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from apps.console.views import page, signin_required
from apps.core.errors import DomainError
from apps.exports import services, tables, writers
from apps.exports.models import ExportFormat, ExportJob, JobStatus

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def refuse(request: HttpRequest, code: str, message: str, status: int = 400) -> HttpResponse:
    """A 4xx as the console's message page, or as the API's error format for a JSON client."""
    if _wants_json(request):
        return JsonResponse({"code": code, "message": message, "errors": []}, status=status)
    titles = {
        404: gettext("Page not found"),
        410: gettext("This export has expired"),
        409: gettext("This export is not ready yet"),
    }
    title = titles.get(status, gettext("This export cannot be made"))
    return page(request, "console/message.html", {"title": title, "message": message}, status=status)


@signin_required
def download(request: HttpRequest) -> HttpResponse:
    """``?table=&format=`` and the table's filters: the file at once, or a job when it is large."""
    table = request.GET.get("table", "").strip()
    fmt = request.GET.get("format", "").strip().lower() or ExportFormat.CSV
    if fmt not in ExportFormat.values:
        message = gettext("%(format)s is not an export format; use csv or xlsx.") % {"format": repr(fmt)}
        return refuse(request, "unknown_format", message)
    try:
        tables.check_table(table)
        params = tables.table_params(table, request.GET)
        data = tables.build(request.user, table, params)
    except tables.ExportRefused as exc:
        return refuse(request, exc.code, exc.message, exc.status)
    except DomainError as exc:
        return refuse(request, str(exc.code), exc.message)
    if data.estimated_count > services.threshold():
        job = services.create_job(request.user, table, fmt, params, rows_total=data.estimated_count)
        return redirect("exports-job", token=job.token)
    return stream(table, fmt, data)


def stream(table: str, fmt: str, data: tables.TableData) -> HttpResponse:
    """A small export written into the answer as it is read (CSV) or through a temporary file (XLSX)."""
    # Headers in the request's language now: a streamed body is read after the view has returned.
    columns = [tables.Column(c.key, str(c.label), c.kind) for c in data.columns]
    name = services.file_name(table, fmt, data)
    if fmt == ExportFormat.CSV:
        lines = (line.encode("utf-8") for line in writers.csv_lines(columns, data.rows))
        response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[ExportFormat.CSV])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes (and so deletes) it
    writers.write_xlsx(columns, data.rows, target, title=str(tables.TABLES[table][2]))
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=name, content_type=CONTENT_TYPES[ExportFormat.XLSX]
    )


def _own_job(request: HttpRequest, token: str) -> ExportJob | None:
    """The user's own job; anyone else's is "not found", as if it did not exist."""
    return ExportJob.objects.filter(token=token, user=request.user).first()


def _expired(request: HttpRequest) -> HttpResponse:
    message = gettext("Exports are kept for a day. Download it again from the page it came from.")
    return refuse(request, "export_expired", message, status=410)


@signin_required
def job(request: HttpRequest, token: str) -> HttpResponse:
    """A large export's progress (htmx polls the bar) and its download link once written."""
    found = _own_job(request, token)
    if found is None:
        return refuse(request, "not_found", gettext("No such export."), status=404)
    if services.is_expired(found):
        return _expired(request)
    context = services.describe(found)
    if request.htmx:
        return render(request, "exports/_progress.html", context)
    return page(request, "exports/job.html", context)


@signin_required
def job_file(request: HttpRequest, token: str) -> HttpResponse:
    """The finished file, for its owner only, until it expires."""
    found = _own_job(request, token)
    if found is None:
        return refuse(request, "not_found", gettext("No such export."), status=404)
    if services.is_expired(found):
        return _expired(request)
    path = services.job_file(found)
    if path is None:
        if found.status == JobStatus.FAILED:
            message = gettext("This export failed. Ask for it again from the page it came from.")
            return refuse(request, "export_failed", message, status=409)
        return refuse(request, "export_not_ready", gettext("The file is still being written."), status=409)
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=found.download_name or path.name,
        content_type=CONTENT_TYPES.get(found.format, "application/octet-stream"),
    )


@signin_required
def jobs(request: HttpRequest) -> HttpResponse:
    """The user's recent large exports, newest first."""
    mine = list(ExportJob.objects.filter(user=request.user)[:20])
    rows = [services.describe(j) for j in mine]
    return page(request, "exports/jobs.html", {"rows": rows})
