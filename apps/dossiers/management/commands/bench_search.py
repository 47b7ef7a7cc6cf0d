"""Benchmark of the counter's applicant search at province scale (see docs/benchmarks.md).

Fills a scratch PostgreSQL database with synthetic dossiers (source_system "bench"), gives each a
Vietnamese applicant name and its folded form, then times ``GET /api/v1/dossiers/?applicant=…`` as the
province's supervisor: first with the folded-name index, then, in a transaction rolled back afterwards,
without it. Both runs use the same queries, so the ratio is measured, not assumed.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.dossiers.applicant import fold
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import applicant_name_matches, in_unit_subtree
from apps.organisation.models import Unit
from apps.statistics.bench_data import insert_synthetic_dossiers
from apps.workcalendar.services import ensure_default_calendar

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
            "Dương", "Lý", "Đinh", "Lương", "Đoàn", "Trịnh"]  # fmt: skip
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu", "Kim", "Công", "Bảo", "Gia",
           "Đình", "Anh"]  # fmt: skip
GIVENS = ["An", "Anh", "Bình", "Chi", "Cường", "Dũng", "Duyên", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
          "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngân", "Nhung", "Phong", "Phúc",
          "Phương", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Trung", "Tú", "Tuấn", "Vân",
          "Việt", "Yến"]  # fmt: skip
INDEX = "dossier_applicant_fold_idx"


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Command(BaseCommand):
    help = "Time the folded applicant-name search over N dossiers, with and without its index (PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dossiers", type=int, default=1_000_000)
        parser.add_argument("--queries", type=int, default=200, help="Searches timed with the index.")
        parser.add_argument("--unindexed-queries", type=int, default=20, help="Searches timed without it.")
        parser.add_argument("--province", default="H44")
        parser.add_argument("--batch", type=int, default=200_000)

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Run this on PostgreSQL: DATABASE_URL=postgres://… (a scratch database).")
        self._ensure_data(options)
        client = self._client(options["province"])
        rng = random.Random(5)
        queries = [self._query(rng) for _ in range(options["queries"])]
        client.get("/api/v1/dossiers/", {"applicant": queries[0]})  # warm the connection and caches
        province = Unit.objects.get(code=options["province"])
        indexed = self._time(client, queries)
        indexed_sql = self._time_query(province, queries)
        few = queries[: options["unindexed_queries"]]
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {INDEX}")
            plain = self._time(client, few)
            plain_sql = self._time_query(province, few)
            transaction.set_rollback(True)  # the index comes back
        total = Dossier.objects.count()
        self.stdout.write(
            f"dossiers: {total:,}; {len(indexed)} searches with the index, {len(plain)} without"
        )
        rows = (
            ("API, index", indexed),
            ("API, no index", plain),
            ("query, index", indexed_sql),
            ("query, no index", plain_sql),
        )
        for label, samples in rows:
            p50, p95 = statistics.median(samples), _percentile(samples, 0.95)
            self.stdout.write(f"  {label:16s} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms")
        for label, slow, fast in (("API", plain, indexed), ("query", plain_sql, indexed_sql)):
            ratio = statistics.median(slow) / statistics.median(fast)
            self.stdout.write(f"  {label}: median without ÷ with the index {ratio:.1f}×")
        self.stdout.write("  target: p95 < 50 ms with the index")

    def _ensure_data(self, options: dict) -> None:
        if not Unit.objects.exists():
            call_command("loaddata", "units", "procedures", verbosity=0)
        ensure_default_calendar(2024, timezone.localdate().year + 1)
        province = Unit.objects.get(code=options["province"])
        have, want = Dossier.objects.count(), options["dossiers"]
        started = time.monotonic()
        while have < want:
            batch = min(options["batch"], want - have)
            insert_synthetic_dossiers(
                province=province,
                count=batch,
                first_day=timezone.localdate() - dt.timedelta(days=365),
                days=365,
                seed=(have % 997) / 1000,
            )
            have += batch
            self.stdout.write(f"  {have:,}/{want:,} dossiers ({time.monotonic() - started:.0f} s)")
        self._name_applicants()

    def _name_applicants(self) -> None:
        """Names drawn per row from the lists above (folded in Python once per list, joined in SQL)."""
        lists = [SURNAMES, MIDDLES, GIVENS]
        params = []
        for names in lists:
            params += [names, [fold(n) for n in names]]
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH pick AS (
                    SELECT id,
                           1 + (hashtext(id::text || 's') & 2147483647) %% cardinality(%s::text[]) AS s,
                           1 + (hashtext(id::text || 'm') & 2147483647) %% cardinality(%s::text[]) AS m,
                           1 + (hashtext(id::text || 'g') & 2147483647) %% cardinality(%s::text[]) AS g
                    FROM dossiers_dossier WHERE applicant_name_folded = ''
                )
                UPDATE dossiers_dossier d
                SET applicant_name = (%s::text[])[p.s] || ' ' || (%s::text[])[p.m] || ' ' || (%s::text[])[p.g],
                    applicant_name_folded = (%s::text[])[p.s] || ' ' || (%s::text[])[p.m] || ' ' || (%s::text[])[p.g]
                FROM pick p WHERE d.id = p.id
                """,
                [SURNAMES, MIDDLES, GIVENS, params[0], params[2], params[4], params[1], params[3], params[5]],
            )
            named = cursor.rowcount
            cursor.execute("ANALYZE dossiers_dossier")
        if named:
            self.stdout.write(f"  named {named:,} applicants in {time.monotonic() - started:.0f} s")

    def _client(self, province: str) -> Client:
        user, _ = User.objects.get_or_create(
            username="bench-search",
            defaults={"role": Role.SUPERVISOR, "unit": Unit.objects.get(code=province)},
        )
        client = Client()
        client.force_login(user)
        return client

    @staticmethod
    def _query(rng: random.Random) -> str:
        """What a clerk types: surname, middle name and the start of the given name, without accents."""
        given = fold(rng.choice(GIVENS))
        return (
            f"{fold(rng.choice(SURNAMES))} {fold(rng.choice(MIDDLES))} {given[: rng.randint(1, len(given))]}"
        )

    @staticmethod
    def _time_query(province: Unit, queries: list[str]) -> list[float]:
        """The first page's query alone (scope, filter, newest first, 50 rows), without serialisation."""
        samples = []
        for query in queries:
            started = time.perf_counter()
            page = (
                in_unit_subtree(Dossier.objects.all(), province)
                .filter(applicant_name_matches(query))
                .order_by("-received_at", "-id")
                .values_list("id", "code", "applicant_name")[:50]
            )
            list(page)
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    @staticmethod
    def _time(client: Client, queries: list[str]) -> list[float]:
        samples = []
        for query in queries:
            started = time.perf_counter()
            response = client.get("/api/v1/dossiers/", {"applicant": query})
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(
                    f"search {query!r} answered {response.status_code}: {response.content[:200]!r}"
                )
        return samples
