"""Millions of synthetic dossiers and their status history, streamed into PostgreSQL with COPY.

The scale benchmarks (docs/scaling.md) need 1M–10M dossiers; ``INSERT … SELECT generate_series``
(apps/statistics/bench_data.py) manages about 15,000 rows a second with every index maintained row by
row, which is over ten minutes per million. Here Python draws the rows with the same distributions as
that generator (procedure uniform, handling unit skewed towards the first ones, receipt uniform over the
window, 1–10 day limits, 90 % ended when their end is past, the same flag shares), and PostgreSQL
ingests them through ``COPY … FROM STDIN`` while the secondary indexes of the two tables are dropped;
they are recreated from their own saved definitions at the end (in one parallel build each), so the
generator follows whatever indexes the models declare. Foreign keys are consistent by construction
(ids come from the database), so their per-row triggers are skipped where the role allows it.

Each dossier gets the history a normal one has: ``received``, then ``processing``, and when it ended
``finished`` and ``result returned`` (2 to 4 events). The statistics read only the dossier columns.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from apps.catalogue.models import ProcedureVersion
from apps.dossiers.models import Dossier, DossierEvent
from apps.organisation.models import Unit, UnitKind

LOCAL_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh has no daylight saving time
DAY = 86400
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Gia"]
GIVENS = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Long",
          "Mai", "Nam", "Nga", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]  # fmt: skip


@dataclass
class BulkResult:
    """What a run wrote and how long each phase took (seconds)."""

    dossiers: int = 0
    events: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _copy_text(value: object) -> str:
    """One value in COPY's text format (``\\N`` for NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _constant_columns(model: type, generated: list[str]) -> tuple[list[str], list[str]]:
    """The columns this generator does not draw, with the values the model would give them.

    A nullable column or one with a database default is left to the database; any other column must be
    written, with the model's plain default, so a field added later does not break the generator.
    """
    names, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in generated or f.primary_key:
            continue
        if f.null or f.db_default is not NOT_PROVIDED:
            continue
        if f.has_default():
            names.append(f.column)
            values.append(_copy_text(f.get_db_prep_save(f.get_default(), connection)))
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            names.append(f.column)
            values.append(_copy_text(timezone.now().isoformat()))
        else:
            raise RuntimeError(f"{model.__name__}.{f.name} needs a value the bulk generator does not draw.")
    return names, values


DOSSIER_COLUMNS = [
    "id", "code", "source_system", "procedure_id", "procedure_version_id", "receiving_unit_id",
    "handling_unit_id", "channel", "applicant_name", "applicant_name_folded", "applicant_id_number",
    "applicant_phone", "status", "received_at", "received_on", "legal_due_at", "effective_due_at", "due_on",
    "status_changed_at", "supplement_count", "finished_at", "returned_at", "ended_at", "ended_on",
    "timeliness", "processing_minutes", "fee_amount", "paid_online", "fee_data_synced", "portal_synced",
    "inputs_digitized", "data_reused", "personal_storage_synced", "applicant_eid_verified",
    "electronic_result_issued", "result_signed", "rating", "has_petition", "created_by_system", "created_at",
    "updated_at",
]  # fmt: skip
EVENT_COLUMNS = [
    "dossier_id", "kind", "occurred_at", "recorded_at", "from_status", "to_status", "actor_system", "note",
    "data", "dispatched_at",
]  # fmt: skip


class _Clock:
    """Epoch seconds to COPY timestamps and local dates, memoised per day (the hot loop's main cost)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def day(self, index: int) -> str:
        text = self._days.get(index)
        if text is None:
            text = self._days[index] = (dt.date(1970, 1, 1) + dt.timedelta(days=index)).isoformat()
        return text

    def stamp(self, epoch: int) -> str:
        seconds = epoch % DAY
        return (
            f"{self.day(epoch // DAY)} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}+00"
        )

    def local_date(self, epoch: int) -> str:
        return self.day((epoch + LOCAL_OFFSET) // DAY)


def _names(rng: random.Random) -> list[tuple[str, str]]:
    from apps.dossiers.applicant import fold

    names = {f"{s} {m} {g}" for s in SURNAMES for m in MIDDLES for g in GIVENS}
    return [(name, fold(name)) for name in sorted(names)]


def generate_rows(
    *, count: int, first_id: int, tag: str, units: list[int], versions: list[tuple[int, int, int]],
    start: int, days: int, now: int, seed: int,
) -> Iterator[tuple[str, list[str]]]:  # fmt: skip
    """Yield (dossier line, its event lines) in COPY text format, one per dossier.

    The distributions are those of apps/statistics/bench_data.py, so results compare with its runs.
    """
    rng = random.Random(seed)
    rnd = rng.random
    clock = _Clock()
    stamp, local_date = clock.stamp, clock.local_date
    names = _names(rng)
    n_names = len(names)
    nv, nu = len(versions), len(units)
    span = days * DAY
    now_text = stamp(now)
    for n in range(count):
        dossier_id = first_id + n
        procedure_id, version_id, fee = versions[int(rnd() * nv)]
        unit = units[int(rnd() ** 2 * nu)]
        received = start + int(rnd() * span)
        limit_days = 1 + int(rnd() * 10)
        r_end, r_speed, r_flags, r_chan, r_who = rnd(), rnd(), rnd(), rnd(), rnd()
        due = received + limit_days * DAY
        end = received + int(limit_days * (0.2 + r_speed * 1.1) * DAY)
        ended = r_end < 0.9 and end <= now
        channel = 2 if r_chan < 0.6 else (1 if r_chan < 0.97 else 3)
        name, folded = names[int(r_who * n_names)]
        id_number = f"0{int(r_who * 1e11):011d}" if r_who < 0.7 else ""
        phone = f"09{int(r_who * 1e8):08d}" if r_who > 0.4 else ""
        received_s, due_s = stamp(received), stamp(due)
        due_on = local_date(due)
        if ended:
            end_s = stamp(end)
            ended_on = local_date(end)
            if end > due:
                timeliness = "late"
            elif ended_on < due_on:
                timeliness = "early"
            else:
                timeliness = "on_time"
            minutes = str(int(limit_days * 480 * (0.2 + r_speed)))
            status = "10"
        else:
            end_s = ended_on = minutes = "\\N"
            timeliness = ""
            status = "4"
        processing_s = stamp(min(received + 600 + int(r_speed * 3000), now))
        line = "\t".join(
            (
                str(dossier_id), f"BULK-{tag}-{n}", "bulk", str(procedure_id), str(version_id), str(unit),
                str(unit), str(channel), name, folded, id_number, phone, status, received_s,
                local_date(received), due_s, due_s, due_on, end_s if ended else processing_s, "0", end_s,
                end_s, end_s, ended_on, timeliness, minutes, str(fee),
                "t" if r_flags < 0.8 else "f", "t" if r_flags < 0.9 else "f", "t" if r_flags < 0.97 else "f",
                "t" if r_flags < 0.92 else "f", "t" if r_flags < 0.3 else "f", "t" if r_flags < 0.4 else "f",
                "t" if r_flags < 0.7 else "f", "t" if ended and r_flags < 0.85 else "f",
                "t" if ended and r_flags < 0.8 else "f", "dissatisfied" if r_flags > 0.985 else "", "f",
                "bulk", now_text, now_text,
            )
        )  # fmt: skip
        d = str(dossier_id)
        events = [
            f"{d}\treceived\t{received_s}\t{received_s}\t\\N\t2\tbulk\t\t{{}}\t{received_s}",
            f"{d}\tstatus_changed\t{processing_s}\t{processing_s}\t2\t4\tbulk\t\t{{}}\t{processing_s}",
        ]
        if ended:
            events.append(f"{d}\tstatus_changed\t{end_s}\t{end_s}\t4\t9\tbulk\t\t{{}}\t{end_s}")
            events.append(f"{d}\tstatus_changed\t{end_s}\t{end_s}\t9\t10\tbulk\t\t{{}}\t{end_s}")
        yield line, events


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that back no constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY c.relname
            """,
            [table],
        )
        return list(cursor.fetchall())


def _skip_foreign_key_triggers(cursor) -> bool:
    """Skip per-row foreign-key checks for this session when the role may (superuser); else keep them."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET session_replication_role = replica")
        return True
    return False


SIZED_TABLES = ("dossiers_dossier", "dossiers_dossierevent", "statistics_")


def table_sizes(prefixes: tuple[str, ...] = SIZED_TABLES) -> dict[str, int]:
    """pg_total_relation_size (heap, TOAST, indexes) of each table named, or starting with a prefix ending in _."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_total_relation_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
              AND c.relname LIKE ANY (%s)
            ORDER BY c.relname
            """,
            [[p.replace("_", "\\_") + ("%" if p.endswith("_") else "") for p in prefixes]],
        )
        return dict(cursor.fetchall())


def generate(
    *, province: Unit, count: int, days: int, batch: int = 500_000, seed: int = 1,
    drop_indexes: bool = True, say: Callable[[str], None] = print,
) -> BulkResult:  # fmt: skip
    """Append ``count`` dossiers received over the ``days`` before now, handled in the province."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The bulk generator streams COPY into PostgreSQL; point DATABASE_URL at one.")
    units = list(
        Unit.objects.subtree_of(province)
        .filter(kind__in=[UnitKind.COMMUNE, UnitKind.DEPARTMENT])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    versions = [
        (p, v, int(fee))
        for p, v, fee in ProcedureVersion.objects.filter(valid_to__isnull=True)
        .order_by("pk")
        .values_list("procedure_id", "pk", "fee")
    ]
    if not units or not versions:
        raise RuntimeError("Load the units and procedures fixtures first.")
    result = BulkResult()
    dossier_table, event_table = Dossier._meta.db_table, DossierEvent._meta.db_table
    extra_d, extra_d_values = _constant_columns(Dossier, DOSSIER_COLUMNS)
    extra_e, extra_e_values = _constant_columns(DossierEvent, EVENT_COLUMNS)
    suffix_d = "".join("\t" + v for v in extra_d_values)
    suffix_e = "".join("\t" + v for v in extra_e_values)
    copy_d = f"COPY {dossier_table} ({', '.join(DOSSIER_COLUMNS + extra_d)}) FROM STDIN"
    copy_e = f"COPY {event_table} ({', '.join(EVENT_COLUMNS + extra_e)}) FROM STDIN"
    now = int(timezone.now().timestamp())
    start = now - days * DAY
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {dossier_table}")
        first_id = cursor.fetchone()[0] + 1
    tag = f"{seed}-{first_id}"
    saved = []
    if drop_indexes:
        saved = _secondary_indexes(dossier_table) + _secondary_indexes(event_table)
    started = time.monotonic()
    try:
        if saved:
            say(f"dropping {len(saved)} secondary indexes for the load: {', '.join(n for n, _ in saved)}")
            with connection.cursor() as cursor:
                for name, _ in saved:
                    cursor.execute(f'DROP INDEX "{name}"')
        rows = generate_rows(
            count=count, first_id=first_id, tag=tag, units=units, versions=versions,
            start=start, days=days, now=now, seed=seed,
        )  # fmt: skip
        done = 0
        while done < count:
            size = min(batch, count - done)
            with transaction.atomic(), connection.cursor() as cursor:
                checks_skipped = _skip_foreign_key_triggers(cursor)
                events: list[str] = []
                with cursor.copy(copy_d) as copy:
                    chunk: list[str] = []
                    for _ in range(size):
                        line, history = next(rows)
                        chunk.append(line + suffix_d)
                        events.extend(history)
                        if len(chunk) >= 5000:
                            copy.write("\n".join(chunk) + "\n")
                            chunk.clear()
                    if chunk:
                        copy.write("\n".join(chunk) + "\n")
                with cursor.copy(copy_e) as copy:
                    for i in range(0, len(events), 20000):
                        copy.write("".join(e + suffix_e + "\n" for e in events[i : i + 20000]))
                if checks_skipped:
                    cursor.execute("SET session_replication_role = origin")
            done += size
            result.events += len(events)
            elapsed = time.monotonic() - started
            say(
                f"  {done:,}/{count:,} dossiers, {result.events:,} events in {elapsed:,.0f} s "
                f"({done / max(elapsed, 1e-9):,.0f} dossiers/s)"
            )
        result.dossiers = done
        result.timings["copy"] = time.monotonic() - started
    finally:
        if saved:
            phase = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '1GB'")
                cursor.execute("SET max_parallel_maintenance_workers = 2")
                for name, definition in saved:
                    one = time.monotonic()
                    cursor.execute(definition)
                    say(f"  index {name} rebuilt in {time.monotonic() - one:.1f} s")
                cursor.execute("RESET maintenance_work_mem")
                cursor.execute("RESET max_parallel_maintenance_workers")
            result.timings["indexes"] = time.monotonic() - phase
    with connection.cursor() as cursor:
        sequence = f"pg_get_serial_sequence('{dossier_table}', 'id')"
        cursor.execute(f"SELECT setval({sequence}, max(id)) FROM {dossier_table}")
        phase = time.monotonic()
        # Fresh pages: VACUUM sets the visibility map (index-only scans) where a transaction allows it.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        cursor.execute(f"{verb} {dossier_table}")
        cursor.execute(f"{verb} {event_table}")
        result.timings["analyze"] = time.monotonic() - phase
    return result
