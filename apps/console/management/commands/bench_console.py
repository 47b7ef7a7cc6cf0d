"""``manage.py bench_console``: the server time of every web console page (see docs/benchmarks.md).

Requests go through Django's test client in-process (the whole middleware stack, session, templates,
database; no socket and no HTTP server), signed in as the demo supervisor or clerk, so the figure is the
server's own time for a page. The pages are found at run time in ``apps/console/urls.py`` and
``apps/exports/urls.py``: each URL pattern gets parameters from the data (the supervisor's unit, a dossier
and a procedure the clerk can see); a pattern whose parameters only the pages know (the overview's lazily
loaded panels) is requested through the links in the pages already fetched, ``hx-get`` ones with the
``HX-Request`` header htmx sends; the CSV/XLSX downloads linked from the overview and the drill-down are
timed too, except those large enough to start a background job. A pattern the command cannot fill, or a
page that answers neither 2xx nor 3xx, is skipped with a printed note, so pages added later are measured
without changing this file.

Works on SQLite and PostgreSQL. On PostgreSQL ``--dossiers N`` first tops the dossier table up with
synthetic rows (:mod:`apps.statistics.bench_data`) and rebuilds the aggregates: point DATABASE_URL at a
scratch database for that.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import math
import os
import pstats
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, URLPattern, URLResolver, resolve

from apps.accounts.models import User
from apps.catalogue.models import Procedure
from apps.catalogue.rules import version_for
from apps.core.errors import DomainError
from apps.dossiers.models import Dossier
from apps.dossiers.permissions import visible_dossiers
from apps.dossiers.selectors import in_unit_subtree
from apps.scoring.methodology import Methodology
from apps.statistics import reports
from apps.statistics.periods import PeriodKind, containing
from apps.statistics.services import today

#: The issue's targets for a page's p95 server time, in milliseconds.
TARGET_DEMO_MS = 150.0
TARGET_LARGE_MS = 300.0
#: From this many dossiers on, the large-data target applies (the issue states it at 1M dossiers).
LARGE_DATA = 500_000

#: Routes that are actions, not pages: timing a GET of them would sign the client out or switch language.
ACTIONS = {"console-signout", "set_language", "console-dossier-action"}

#: Pages only the counter uses: measured as the clerk (everything else as the supervisor first).
CLERK_PAGES = {"console-desk", "console-receive", "console-dossier", "console-slip"}

#: At most this many linked pages per URL pattern (panels of two overviews, a few export jobs).
LINKED_PER_ROUTE = 12

#: URL modules whose patterns are console pages (a module not installed yet is passed over).
URL_MODULES = ("apps.console.urls", "apps.exports.urls")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@dataclass
class Page:
    """One measured URL: its label, address and the client (user) that opens it."""

    label: str
    url: str
    who: str
    headers: dict[str, str] = field(default_factory=dict)  # HX-Request for a fragment htmx loads
    timings: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    queries: int = 0
    status: int = 0
    size: int = 0


@dataclass
class Fixtures:
    """Values the URL patterns' parameters are filled with, read from the database once."""

    unit: str | None
    dossier: str | None
    procedure: str | None
    month: str
    clients: dict[str, Client]


def walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """(route, name, converters) of every URL pattern, includes flattened."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            converters = getattr(entry.pattern, "converters", {})
            yield prefix + str(entry.pattern), entry.name, converters


class Command(BaseCommand):
    help = (
        "Time every web console page (p50/p95/max server time and query count) against the issue's targets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=30, help="Timed requests per page (default 30).")
        parser.add_argument(
            "--warmup", type=int, default=3, help="Untimed requests per page first (default 3; excluded)."
        )
        parser.add_argument(
            "--supervisor", default="supervisor", help="Supervisor's user name (demo: supervisor)."
        )
        parser.add_argument("--clerk", default="clerk", help="Clerk's user name (demo: clerk).")
        parser.add_argument("--only", default="", help="Measure only pages whose label contains this text.")
        parser.add_argument(
            "--target-ms",
            type=float,
            default=None,
            help=f"p95 target; default {TARGET_DEMO_MS:.0f} ms, {TARGET_LARGE_MS:.0f} ms from "
            f"{LARGE_DATA:,} dossiers on.",
        )
        parser.add_argument(
            "--cold",
            action="store_true",
            help="Clear the in-process score cache before every request (the first request after a change).",
        )
        parser.add_argument(
            "--profile",
            action="store_true",
            help="cProfile every page that misses its target and print where time goes.",
        )
        parser.add_argument(
            "--dossiers",
            type=int,
            default=0,
            help="PostgreSQL only: first top the table up to N dossiers with synthetic rows (a scratch database!).",
        )
        parser.add_argument(
            "--no-exports",
            dest="exports",
            action="store_false",
            help="Leave out the CSV/XLSX downloads linked from the overview and the drill-down.",
        )
        parser.add_argument(
            "--province", default="H44", help="Province for --dossiers and a missing demo (H44)."
        )

    def say(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        if options["requests"] < 1 or options["warmup"] < 0:
            raise CommandError("--requests must be at least 1 and --warmup not negative.")
        self.options = options
        if options["dossiers"]:
            self.top_up(options["dossiers"], options["province"])
        total = Dossier.objects.count()
        target = options["target_ms"] or (TARGET_LARGE_MS if total >= LARGE_DATA else TARGET_DEMO_MS)
        fixtures = self.fixtures()
        pages = self.pages(fixtures)
        self.say(
            f"bench_console: {connection.vendor}, {total:,} dossiers, {len(pages)} pages, "
            f"{options['warmup']} warm-up request(s) per page (excluded), {options['requests']} timed; "
            f"Django test client in-process (no HTTP server); "
            f"{'score cache cleared before each request' if options['cold'] else 'warm caches'}; "
            f"target p95 < {target:.0f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        for index, page in enumerate(pages, start=1):
            self.say(f"  [{index}/{len(pages)}] {page.label} ({page.who}) {page.url}")
            self.measure(page, fixtures.clients[page.who])
        self.report(pages, target)
        if options["profile"]:
            for page in pages:
                if percentile(page.timings, 0.95) >= target and page.status < 500:
                    self.profile(page, fixtures.clients[page.who])

    # -- data ----------------------------------------------------------------------------------------

    def top_up(self, want: int, province_code: str) -> None:
        """Synthetic dossiers up to ``want`` (PostgreSQL), then one rebuild of the aggregates."""
        if connection.vendor != "postgresql":
            raise CommandError(
                "--dossiers generates rows inside PostgreSQL: DATABASE_URL=postgres://… (scratch)."
            )
        from apps.organisation.models import Unit
        from apps.statistics.bench_data import insert_synthetic_dossiers
        from apps.statistics.services import rebuild_all

        if not User.objects.filter(username=self.options["supervisor"]).exists():
            call_command("seed_demo", dossiers=0, province=province_code, stdout=io.StringIO())
        province = Unit.objects.get(code=province_code)
        have = Dossier.objects.count()
        if have >= want:
            self.say(f"{have:,} dossiers already; none generated.")
            return
        first_day = today() - dt.timedelta(days=365)
        started = time.monotonic()
        while have < want:
            batch = min(250_000, want - have)
            insert_synthetic_dossiers(
                province=province, count=batch, first_day=first_day, days=365, seed=(have % 997) / 1000
            )
            have += batch
            self.say(f"  generated {have:,}/{want:,} dossiers ({have / (time.monotonic() - started):,.0f}/s)")
        started = time.monotonic()
        rows = rebuild_all()
        self.say(f"  rebuilt the aggregates: {rows:,} leaf rows in {time.monotonic() - started:.1f} s")

    def _client(self, username: str) -> Client:
        user = User.objects.filter(username=username, is_active=True).select_related("unit").first()
        if user is None:
            raise CommandError(
                f"No active user {username!r}: run `manage.py seed_demo` first (or pass the name)."
            )
        client = Client(HTTP_HOST=self._host(), raise_request_exception=False)
        client.force_login(user)
        client.bench_user = user  # type: ignore[attr-defined]
        return client

    @staticmethod
    def _host() -> str:
        """A host name the settings accept (the test client's ``testserver`` usually is not)."""
        for host in settings.ALLOWED_HOSTS:
            if host and host != "*" and not host.startswith("."):
                return host
        return "127.0.0.1"

    def fixtures(self) -> Fixtures:
        clients = {
            "supervisor": self._client(self.options["supervisor"]),
            "clerk": self._client(self.options["clerk"]),
            "visitor": Client(HTTP_HOST=self._host(), raise_request_exception=False),
        }
        supervisor, clerk = clients["supervisor"].bench_user, clients["clerk"].bench_user
        # A dossier the clerk's unit received, with its history (demo rows, not synthetic ones without events).
        mine = visible_dossiers(clerk)
        if clerk.unit_id is not None:
            mine = in_unit_subtree(mine, clerk.unit)
        dossier = (
            mine.exclude(source_system="bench").order_by("-received_at", "-id").first()
            or mine.order_by("-id").first()
        )
        procedure = None
        candidates = [dossier.procedure] if dossier else []
        candidates += list(Procedure.objects.order_by("code")[:50])
        for candidate in candidates:
            try:
                if version_for(candidate, today()) is not None:
                    procedure = candidate.code
                    break
            except DomainError:
                continue
        return Fixtures(
            unit=supervisor.unit.code if supervisor.unit_id else None,
            dossier=dossier.code if dossier else None,
            procedure=procedure,
            # The last complete month: a supervisor's monthly view with a whole month of data behind it.
            month=containing(PeriodKind.MONTH, today()).previous().key,
            clients=clients,
        )

    # -- pages ---------------------------------------------------------------------------------------

    def pages(self, fx: Fixtures) -> list[Page]:
        """Every console page from the URL configuration, with parameters and query-string variants,
        then the export downloads linked from the overview and the drill-down list."""
        patterns = []
        for module in URL_MODULES:
            try:
                patterns += [(module, *entry) for entry in walk(import_module(module).urlpatterns)]
            except ImportError:
                self.say(f"  note: {module} not found; its pages are not measured")
        # Which value a parameter takes is read from the path segment before it (units/<code>/ …).
        by_segment = {"units": fx.unit, "dossiers": fx.dossier, "procedures": fx.procedure}
        month = f"period={fx.month}"
        indicator = Methodology.for_date(today()).indicators[0].code  # a what-if target on a real indicator
        variants = {
            "console-overview": [("this week", ""), ("last month", f"?{month}")],
            "console-dossiers": [("late, last month", f"?measure=late&{month}")],
            "console-desk": [("queue", ""), ("search", "?q=khai sinh")],
            "console-open": [("overdue", "?state=overdue"), ("due soon", "?state=due_soon")],
            "console-what-if": [
                ("last month", f"?{month}"),
                ("last month, a target", f"?{month}&target_{indicator}=100"),
            ],
            "exports-download": [],  # needs a table and its filters: taken from the pages' own links below
        }
        found: list[Page] = []
        exports: dict[str, str] = {}
        unfilled: dict[str, tuple[str, list[str]]] = {}  # name -> (route, parameters without a value)
        opened_pages: list[tuple[str, str, str]] = []  # (label, user, HTML) to find links to the rest in
        for _module, route, name, converters in patterns:
            label = name or route
            if name in ACTIONS:
                self.say(f"  note: {label} skipped (an action, not a page)")
                continue
            path, missing = "/" + route, []
            for param in converters:
                match = re.search(r"([\w-]+)/<(?:\w+:)?" + param + ">", path)
                value = by_segment.get(match.group(1)) if match else None
                if value is None:
                    missing.append(param)
                    continue
                path = re.sub(r"<(?:\w+:)?" + param + ">", value, path)
            if missing:
                unfilled[label] = (route, missing)
                continue
            if name == "console-signin":
                found.append(Page(label, path, "visitor"))
                continue
            for suffix, query in variants.get(name, [("", "")]):
                page_label = f"{label} [{suffix}]" if suffix else label
                opened = self._open(name, path + query, fx)
                if opened is None and not query:  # a newer page may want a period: try last month
                    query, page_label = f"?{month}", f"{label} [last month]"
                    opened = self._open(name, path + query, fx)
                if opened is None:
                    continue
                who, html = opened
                found.append(Page(page_label, path + query, who))
                opened_pages.append((page_label, who, html))
                if name in ("console-overview", "console-dossiers") and "month" in page_label:
                    for href in re.findall(r'href="([^"]*/exports/\?[^"]*table=[^"]*)"', html):
                        link = unescape(href)
                        table = parse_qs(urlsplit(link).query).get("table", ["?"])[0]
                        fmt = parse_qs(urlsplit(link).query).get("format", ["csv"])[0]
                        exports.setdefault(f"export {table} {fmt} [{page_label.split(' ')[0]}]", link)
        found += self._linked(unfilled, opened_pages, fx)
        if self.options["exports"]:
            found += self._exports(exports, fx)
        elif exports:
            self.say(f"  note: {len(exports)} export downloads left out (--no-exports)")
        return [p for p in found if not self.options["only"] or self.options["only"] in p.label]

    def _linked(
        self, unfilled: dict[str, tuple[str, list[str]]], opened: list[tuple[str, str, str]], fx: Fixtures
    ) -> list[Page]:
        """Pages whose parameters only the pages themselves know (an overview's lazily loaded panels, a
        job's page): the links to them in the HTML already fetched, as the browser would request them."""
        pages: dict[str, Page] = {}
        for source, who, html in opened:
            suffix = source.split("[", 1)[1].rstrip("]") if "[" in source else source
            for attribute, raw in re.findall(r'\b(href|hx-get)="([^"]+)"', html):
                link = unescape(raw)
                if not link.startswith("/"):
                    continue
                try:
                    match = resolve(urlsplit(link).path)
                except Resolver404:
                    continue
                if match.url_name not in unfilled:
                    continue
                if sum(label.startswith(f"{match.url_name} [") for label in pages) >= LINKED_PER_ROUTE:
                    continue
                values = ", ".join(str(match.kwargs[p]) for p in unfilled[match.url_name][1])
                label = f"{match.url_name} [{values}; {suffix}]"
                headers = {"HX-Request": "true"} if attribute == "hx-get" else {}
                if label not in pages and self._open(match.url_name, link, fx, headers, only=who):
                    pages[label] = Page(label, link, who, headers)
        for name, (route, missing) in unfilled.items():
            if not any(label.startswith(f"{name} [") for label in pages):
                self.say(f"  note: {name} skipped (cannot fill {', '.join(missing)} in {route!r})")
        return list(pages.values())

    def _exports(self, links: dict[str, str], fx: Fixtures) -> list[Page]:
        """The downloads that stream at once; a large one (answered by a job page) is not timed."""
        pages = []
        for label, url in links.items():
            rows = self._export_rows(url, fx.clients["supervisor"].bench_user)
            if rows is None:
                continue
            response = fx.clients["supervisor"].get(url)
            self._consume(response)
            if response.status_code == 200:
                pages.append(Page(label, url, "supervisor"))
            else:
                self.say(
                    f"  note: {label} skipped ({url} answered {response.status_code}: a job, not a stream)"
                )
        return pages

    def _export_rows(self, url: str, user: User) -> int | None:
        """The export's row estimate if it streams at once, else None with a note: asking for a large
        one would start a job (run in this process when Celery is eager), which is no page to time."""
        from django.http import QueryDict

        try:
            from apps.exports import services as export_services
            from apps.exports import tables

            query = QueryDict(urlsplit(url).query)
            table = query.get("table", "")
            data = tables.build(user, table, tables.table_params(table, query))
            rows, limit = data.estimated_count, export_services.threshold()
        except Exception as exc:  # whatever the exports app answers, this one is not timed
            self.say(f"  note: {url} skipped (its size could not be estimated: {exc!r})")
            return None
        if rows > limit:
            self.say(f"  note: {url} skipped ({rows:,} rows > {limit:,}: a background job, not a stream)")
            return None
        return rows

    def _open(
        self, name: str | None, url: str, fx: Fixtures, headers: dict[str, str] | None = None, only: str = ""
    ) -> tuple[str, str] | None:
        """The first user the page answers with a page (not a refusal) for, with its HTML; None with a note."""
        order = ["clerk", "supervisor"] if name in CLERK_PAGES else ["supervisor", "clerk"]
        answers = []
        for who in [only] if only else order:
            response = fx.clients[who].get(url, headers=headers or {})
            if getattr(response, "streaming", False):
                self._consume(response)
                body = ""
            else:
                body = response.content.decode("utf-8", "replace")
            if response.status_code < 400 and not self._to_signin(response):
                return who, body
            answers.append(f"{who} {response.status_code}")
        self.say(f"  note: {name or url} skipped ({url} answered {', '.join(answers)})")
        return None

    @staticmethod
    def _to_signin(response: Any) -> bool:
        return response.status_code in (301, 302) and "/signin/" in response.get("Location", "")

    @staticmethod
    def _consume(response: Any) -> int:
        """Read the whole body (a streamed export is only done once its last chunk is produced)."""
        if getattr(response, "streaming", False):
            return sum(len(chunk) for chunk in response.streaming_content)
        return len(response.content)

    # -- measuring -----------------------------------------------------------------------------------

    def _get(self, client: Client, url: str, headers: dict[str, str] | None = None) -> tuple[int, int]:
        if self.options["cold"]:
            reports._SCORERS.clear()
        response = client.get(url, headers=headers or {})
        return response.status_code, self._consume(response)

    def measure(self, page: Page, client: Client) -> None:
        for _ in range(self.options["warmup"]):
            self._get(client, page.url, page.headers)
        for _ in range(self.options["requests"]):
            started, cpu = time.perf_counter(), time.process_time()
            page.status, page.size = self._get(client, page.url, page.headers)
            page.timings.append((time.perf_counter() - started) * 1000)
            page.cpu.append((time.process_time() - cpu) * 1000)
        with CaptureQueriesContext(connection) as captured:  # one more request, untimed: counting slows it
            self._get(client, page.url, page.headers)
        page.queries = len(captured)

    def report(self, pages: list[Page], target: float) -> None:
        width = max([len(p.label) for p in pages] + [4])
        self.say()
        self.say(
            f"{'page':<{width}}  status  p50 ms  p95 ms  max ms  cpu p50  queries  result (p95 < {target:.0f} ms)"
        )
        missed = 0
        for page in pages:
            p50, p95 = percentile(page.timings, 0.5), percentile(page.timings, 0.95)
            result = "PASS" if p95 < target else "MISS"
            if page.status >= 500:
                result = "ERROR"  # a page that broke during the run is no pass whatever its time
            missed += result != "PASS"
            self.say(
                f"{page.label:<{width}}  {page.status:>6}  {p50:>6.1f}  {p95:>6.1f}  {max(page.timings):>6.1f}"
                f"  {percentile(page.cpu, 0.5):>7.1f}  {page.queries:>7}  {result}"
            )
        self.say(
            f"SUMMARY: {len(pages) - missed}/{len(pages)} pages PASS, {missed} MISS or ERROR "
            f"(p95 < {target:.0f} ms; {TARGET_DEMO_MS:.0f} ms on the demo data, {TARGET_LARGE_MS:.0f} ms at "
            f"1M dossiers), {self.options['requests']} timed requests per page; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (cpu = this process only: Python, templates, "
            f"SQLite; PostgreSQL's own work is not in it)"
        )

    def profile(self, page: Page, client: Client) -> None:
        """Where a slow page's time goes: cProfile over ten requests; the project's own functions by
        cumulative time (which view, panel or template), then every function by its own time."""
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            self._get(client, page.url, page.headers)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(r"/apps/|/casetracker/", 30)
        stats.sort_stats("tottime").print_stats(15)
        base = str(settings.BASE_DIR) + "/"
        self.say(f"\nPROFILE {page.label} ({page.url}), 10 requests:")
        self.say(out.getvalue().replace(base, ""))
