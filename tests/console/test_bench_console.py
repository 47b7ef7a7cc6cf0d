"""``manage.py bench_console``: finds the console's pages, times them, counts queries, judges the target."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.console.management.commands import bench_console
from apps.console.management.commands.bench_console import percentile
from apps.core.actors import Actor
from apps.dossiers import services
from tests.helpers import vn

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(calendar, tree, users, procedure):
    """One dossier received by clerk_c1's commune this month, so every page has something to show."""
    return services.receive_dossier(
        procedure=procedure,
        receiving_unit=tree["c1"],
        actor=Actor.of_user(users["clerk_c1"]),
        received_at=vn(2026, 11, 20, 9),
        applicant_name="Nguyễn Văn An",
    )


def bench(**options) -> str:
    out = io.StringIO()
    call_command("bench_console", stdout=out, supervisor="supervisor_p1", clerk="clerk_c1", **options)
    return out.getvalue()


def result_rows(output: str) -> dict[str, list[str]]:
    """The result table's rows by page label: status, p50, p95, max, queries, PASS/MISS."""
    rows = {}
    for line in output.splitlines():
        match = re.match(
            r"^(\S.*?)\s+(\d{3})\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+(\d+)\s+(PASS|MISS|ERROR)$", line
        )
        if match:
            rows[match.group(1)] = list(match.groups()[1:])
    return rows


def test_every_console_page_is_timed_with_its_queries_and_verdict(received):
    output = bench(requests=3, warmup=1)
    rows = result_rows(output)
    expected = {
        "console-signin",
        "console-home",
        "console-overview [this week]",
        "console-overview [last month]",
        "console-dossiers [late, last month]",
        "console-desk [queue]",
        "console-desk [search]",
        "console-receive",
        "console-dossier",
        "console-slip",
    }
    assert expected <= set(rows)
    # Pages added later are found in the URL configuration and the pages' own export links.
    assert {"console-open [overdue]", "console-what-if [last month]"} <= set(rows)
    assert any(label.startswith("export rankings csv") for label in rows)
    assert rows["console-overview [last month]"][0] == "200"
    assert int(rows["console-overview [last month]"][4]) > 0  # the overview reads the database
    assert int(rows["console-signin"][4]) == 0  # an anonymous sign-in form needs no query
    assert rows["console-home"][0] == "302"  # the supervisor's start page redirects to the overview
    for status, p50, p95, most, _queries, _verdict in rows.values():
        assert status in ("200", "302")
        assert float(p50) <= float(p95) <= float(most)
    # Pages are opened with the data's own parameters, as the right user.
    assert f"(clerk) /console/dossiers/{received.code}/slip/" in output
    assert "/console/units/P1/?period=2026-10" in output
    assert "1 warm-up request(s) per page (excluded), 3 timed" in output
    assert "note: console-signout skipped (an action, not a page)" in output
    passed = sum(row[-1] == "PASS" for row in rows.values())  # timing depends on the machine's load
    assert f"SUMMARY: {passed}/{len(rows)} pages PASS, {len(rows) - passed} MISS or ERROR" in output


def test_an_impossible_target_is_reported_as_a_miss_with_a_profile(received):
    output = bench(requests=2, warmup=0, only="overview [this week]", target_ms=0.001, profile=True)
    rows = result_rows(output)
    assert list(rows) == ["console-overview [this week]"]
    assert rows["console-overview [this week]"][-1] == "MISS"
    assert "SUMMARY: 0/1 pages PASS, 1 MISS or ERROR" in output
    assert "PROFILE console-overview [this week]" in output
    assert "cumulative" in output  # cProfile's table of where the time went


def test_a_missing_user_and_bad_counts_are_refused(received):
    with pytest.raises(CommandError, match="No active user 'nobody'"):
        call_command("bench_console", stdout=io.StringIO(), supervisor="nobody", clerk="clerk_c1")
    with pytest.raises(CommandError, match="--requests must be at least 1"):
        bench(requests=0)


def test_top_up_needs_postgresql(received, monkeypatch):
    monkeypatch.setattr(bench_console, "connection", SimpleNamespace(vendor="sqlite"))
    with pytest.raises(CommandError, match="generates rows inside PostgreSQL"):
        bench(dossiers=10)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 0.5) == 10.0
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 1.0) == 20.0
    assert percentile([7.0], 0.95) == 7.0


def test_an_export_that_would_start_a_job_is_not_requested(received, settings):
    from apps.exports.models import ExportJob

    settings.EXPORTS_ASYNC_THRESHOLD = 0  # every export with a row is "large"
    output = bench(requests=1, warmup=0, only="export")
    assert "a background job, not a stream" in output
    assert not ExportJob.objects.exists()  # no job was started by the benchmark


def test_lazily_loaded_panels_are_found_in_the_page_and_timed_as_htmx_asks(received):
    output = bench(requests=1, warmup=0)
    panels = [label for label in result_rows(output) if label.startswith("console-overview-panel [")]
    assert panels  # the overview's hx-get links name its panels
    assert "note: console-overview-panel skipped" not in output
