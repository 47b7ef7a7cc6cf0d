"""Synthetic dossier rows for the statistics benchmarks, generated inside PostgreSQL.

The benchmarks need a million rows or more spread over a province and a year; generating them through
the services would take the better part of an hour, and the aggregates only read the stored columns.
So the rows are produced by one INSERT … SELECT over ``generate_series``: plausible channels, flags,
fees, due dates and end times, with timeliness consistent with those columns. No events are written.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from apps.catalogue.models import ProcedureVersion
from apps.organisation.models import Unit, UnitKind


def insert_synthetic_dossiers(
    *, province: Unit, count: int, first_day: dt.date, days: int, seed: float
) -> int:
    """Insert ``count`` dossiers handled across the province's departments and communes."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The synthetic data generator runs on PostgreSQL only.")
    units = list(
        Unit.objects.subtree_of(province)
        .filter(kind__in=[UnitKind.COMMUNE, UnitKind.DEPARTMENT])
        .values_list("pk", flat=True)
    )
    versions = list(
        ProcedureVersion.objects.filter(valid_to__isnull=True).values_list("procedure_id", "pk", "fee")
    )
    if not units or not versions:
        raise RuntimeError("Load the units and procedures fixtures first.")
    procedure_ids = [v[0] for v in versions]
    version_ids = [v[1] for v in versions]
    fees = [int(v[2]) for v in versions]
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)
    sql = """
WITH base AS (
    SELECT g,
           1 + floor(random() * %(nv)s)::int AS pick,
           %(units)s::bigint[] AS units,
           %(start)s::timestamptz + random() * (%(days)s * interval '1 day') AS received_at,
           (1 + floor(random() * 10))::int AS limit_days,
           random() AS r_end, random() AS r_speed, random() AS r_flags, random() AS r_chan,
           1 + floor(power(random(), 2) * %(nu)s)::int AS unit_pick
    FROM generate_series(1, %(count)s) AS g
), shaped AS (
    SELECT b.*,
           b.received_at + b.limit_days * interval '1 day' AS due_at,
           b.received_at + (b.limit_days * (0.2 + b.r_speed * 1.1)) * interval '1 day' AS end_at
    FROM base b
)
INSERT INTO dossiers_dossier (
    code, source_system, procedure_id, procedure_version_id, receiving_unit_id, handling_unit_id,
    channel, applicant_name, status, received_at, received_on, legal_due_at, effective_due_at, due_on,
    status_changed_at, supplement_count, finished_at, ended_at, ended_on, timeliness, processing_minutes,
    fee_amount, paid_online, fee_data_synced, portal_synced, inputs_digitized, data_reused,
    personal_storage_synced, applicant_eid_verified, electronic_result_issued, result_signed, rating,
    has_petition, created_by_system, created_at, updated_at
)
SELECT 'BENCH-' || %(seed_tag)s || '-' || s.g, 'bench',
       (%(procedures)s::bigint[])[s.pick], (%(versions)s::bigint[])[s.pick],
       s.units[s.unit_pick], s.units[s.unit_pick],
       CASE WHEN s.r_chan < 0.6 THEN 2 WHEN s.r_chan < 0.97 THEN 1 ELSE 3 END, '',
       CASE WHEN s.r_end < 0.9 AND s.end_at <= now() THEN 10 ELSE 4 END,
       s.received_at, (s.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, s.due_at, s.due_at,
       (s.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, s.received_at, 0,
       e.ended_at, e.ended_at, (e.ended_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
       CASE WHEN e.ended_at IS NULL THEN ''
            WHEN e.ended_at > s.due_at THEN 'late'
            WHEN (e.ended_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                 < (s.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date THEN 'early'
            ELSE 'on_time' END,
       CASE WHEN e.ended_at IS NULL THEN NULL ELSE (s.limit_days * 480 * (0.2 + s.r_speed))::int END,
       (%(fees)s::bigint[])[s.pick], s.r_flags < 0.8, s.r_flags < 0.9, s.r_flags < 0.97, s.r_flags < 0.92,
       s.r_flags < 0.3, s.r_flags < 0.4, s.r_flags < 0.7, e.ended_at IS NOT NULL AND s.r_flags < 0.85,
       e.ended_at IS NOT NULL AND s.r_flags < 0.8, CASE WHEN s.r_flags > 0.985 THEN 'dissatisfied' ELSE '' END,
       false, 'bench', now(), now()
FROM shaped s
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.r_end < 0.9 AND s.end_at <= now() THEN s.end_at END AS ended_at
) e
"""
    params = {
        "nv": len(version_ids),
        "nu": len(units),
        "units": units,
        "start": start,
        "days": days,
        "count": count,
        "procedures": procedure_ids,
        "versions": version_ids,
        "fees": fees,
        "seed_tag": f"{seed:.6f}".replace(".", ""),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(sql, params)
        inserted = cursor.rowcount
        cursor.execute("ANALYZE dossiers_dossier")
    return inserted
