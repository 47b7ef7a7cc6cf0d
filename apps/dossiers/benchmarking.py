"""What the dossier hot-path benchmarks measure, one definition each (bench_hot_path, bench_targets).

Issue 11's "lean hot path": list serialization per row, the statements of one ``POST /dossiers/``, the
``?overdue=true`` first page and its plan, the indexes of ``dossiers_dossier``. Nothing here adds
dossiers for good: the timed creates are deleted again (:func:`remove_dossiers`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.accounts.models import Role, User
from apps.catalogue.models import ProcedureVersion
from apps.core.measuring import bench_user, ms_since
from apps.dossiers.api.serializers import DossierListOut, DossierOut, list_rows
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import with_related
from apps.organisation.models import Unit, UnitKind
from casetracker.celery import app as celery_app

PARTIAL_INDEX = "dossier_open_due_idx"
OVERDUE_URL = "/api/v1/dossiers/?overdue=true"  # by due date, the most overdue first
CREATE_URL = "/api/v1/dossiers/"


@dataclass(frozen=True)
class ListTiming:
    """ms per row of a list page: fetch and serialization together, and serialization alone."""

    total: float
    serialization: float


def list_ms_per_row(rows: int, *, lean: bool) -> ListTiming:
    """The newest ``rows`` dossiers written as the list writes them (lean: ``DossierListOut`` over list
    rows) or as it did before (DRF's generic ``DossierOut`` over model instances and their four related
    rows); then the same rows serialized again on their own, already fetched."""
    ordered = Dossier.objects.order_by("-received_at", "-id")
    source, serializer = (list_rows(ordered), DossierListOut) if lean else (with_related(ordered), DossierOut)
    started = time.perf_counter()
    serializer(list(source[:rows]), many=True).data  # noqa: B018  (evaluating .data is the work timed)
    total = ms_since(started) / rows
    loaded = list(source[:rows])
    started = time.perf_counter()
    serializer(loaded, many=True).data  # noqa: B018
    return ListTiming(total=total, serialization=ms_since(started) / rows)


def clerk_unit(province: Unit) -> Unit:
    """Where the benchmark's clerk works: the province's first commune (the province itself if none)."""
    communes = Unit.objects.subtree_of(province).filter(kind=UnitKind.COMMUNE).order_by("code")
    return communes.first() or province


def bench_clerk(unit: Unit) -> User:
    return bench_user("bench-hot-path-clerk", Role.CLERK, unit)


def bench_supervisor(province: Unit) -> User:
    return bench_user("bench-hot-path-supervisor", Role.SUPERVISOR, province)


def api_client(user: User) -> APIClient:
    """A client authenticated without a session or token read, so a request's statements are its own."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def create_body(unit: Unit) -> dict:
    """A receipt at ``unit`` for the first procedure in force, as a counter would send it."""
    version = ProcedureVersion.objects.filter(valid_to__isnull=True).select_related("procedure").first()
    if version is None:
        raise CommandError("No procedure in force: load the procedures fixture first.")
    return {
        "procedure": version.procedure.code,
        "receiving_unit": unit.code,
        "applicant": {"name": "Nguyễn Văn Bình", "phone": "0912345678"},
        "source_system": "",
    }


@contextmanager
def kicks_to_a_broker() -> Iterator[None]:
    """A deployment hands a create's on-commit kicks (the event's follow-up, the statistics drain) to the
    broker; they run in a worker, not in the request. Stubbed so the run needs no broker."""
    previous_eager, previous_send = celery_app.conf.task_always_eager, celery_app.send_task
    celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = False
    celery_app.send_task = lambda *args, **kwargs: None
    try:
        yield
    finally:
        celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = previous_eager
        celery_app.send_task = previous_send


@dataclass(frozen=True)
class CreateTiming:
    ms: float
    statements: int  # BEGIN and COMMIT included
    code: str  # the receipt code the answer gave (the API shows no ids)


def _captured() -> CaptureQueriesContext:
    """A capture of this connection's statements from an empty log: the log is a bounded deque (9,000),
    and a full one would show no new statement at all."""
    reset_queries()
    return CaptureQueriesContext(connection)


def time_create(client: APIClient, body: dict) -> CreateTiming:
    """One ``POST /dossiers/``, timed, its statements counted (call inside :func:`kicks_to_a_broker`)."""
    with _captured() as queries:
        started = time.perf_counter()
        response = client.post(CREATE_URL, body, format="json")
        elapsed = ms_since(started)
    if response.status_code != 201:
        raise CommandError(f"create answered {response.status_code}: {response.content[:300]!r}")
    return CreateTiming(ms=elapsed, statements=len(queries.captured_queries), code=response.json()["code"])


def remove_dossiers(codes: list[str]) -> None:
    """Delete the timed creates (and their history) so a benchmark leaves the data set as it found it;
    their statistics marks stay, and the next drain or rebuild counts without them."""
    Dossier.objects.filter(code__in=codes).delete()


def plan_uses_index(client: Client, url: str, index: str = PARTIAL_INDEX) -> bool:
    """Whether PostgreSQL's plan for any statement of the request that reads ``dossiers_dossier`` uses
    ``index``: the statements captured from the real request, EXPLAINed as sent."""
    with _captured() as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    found = False
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if sql.lstrip().upper().startswith("SELECT") and '"dossiers_dossier"' in sql:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                plan = cursor.fetchone()[0]
                text = plan if isinstance(plan, str) else json.dumps(plan)
                found = found or f'"Index Name": "{index}"' in text
    return found


def dossier_indexes() -> list[tuple[str, list[str]]]:
    """The indexes of ``dossiers_dossier`` as the database has them: (name, columns), by name."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Dossier._meta.db_table)
    # Primary key and unique constraints are indexes too; foreign key and check constraints are not.
    return sorted(
        (name, info["columns"])
        for name, info in found.items()
        if (info["index"] or info["unique"] or info["primary_key"]) and not info["foreign_key"]
    )
