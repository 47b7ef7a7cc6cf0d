"""Queue figures (exact medians and 90th percentiles from minute histograms) and staff workload."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.core.actors import Actor
from apps.dossiers import services as dossier_services
from apps.organisation.models import AreaType
from apps.queues import figures
from apps.queues.figures import annualised, merge, observed_days, percentile
from apps.queues.models import QueueTargets
from apps.queues.services import minutes_of
from apps.statistics.periods import parse
from tests.helpers import vn

WEEK = parse("2026-W47")  # Mon 16 – Sun 22 Nov 2026


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([5], 5, 5),
        ([1, 2, 3, 4], 2, 4),  # nearest rank: ceil(0.5·4) = 2nd, ceil(0.9·4) = 4th
        ([2, 2, 7], 2, 7),
        (list(range(1, 11)), 5, 9),
        ([0] * 9 + [30], 0, 0),  # the 9th of 10 values is still 0
        ([0] * 8 + [30, 31], 0, 30),
        ([1, 100], 1, 100),
        ([121, 3, 240, 3, 3], 3, 240),  # no cap: long waits stay exact
    ],
)
def test_percentiles_are_exact_to_the_minute(values, median, p90):
    histogram = merge([{v: values.count(v)} for v in set(values)])
    assert percentile(histogram, 50) == median
    assert percentile(histogram, 90) == p90


def test_merging_histograms_equals_the_histogram_of_the_union():
    a, b = [1, 5, 5, 9], [2, 5, 30]
    split = merge([merge([{v: 1}]) for v in a] + [merge([{v: 1} for v in b])])
    assert split == merge([{v: 1} for v in a + b])
    assert percentile(split, 50) == 5 and percentile(split, 90) == 30


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (900, 15), (901, 16), (7200, 120)]
)
def test_minutes_round_up(seconds, minutes):
    assert minutes_of(seconds) == minutes


@pytest.fixture
def queue(visit, post_event, centre, tree, counters):
    """Six tickets at the centre in week 47, plus tickets that must not count."""
    day = vn(2026, 11, 17, 8, 0)
    m = dt.timedelta(minutes=10)
    visit("A", day, 60, 600, counter=1, staff="an")  # waits 1, handled 10
    visit("B", day + m, 900, 1800, counter=1, staff="an")  # 15 and 30: exactly on target
    visit("C", day + 2 * m, 901, 1801, counter=2, staff="binh")  # 16 and 31: just over
    visit("D", day + 3 * m, 300, None, counter=2, staff="binh")  # no-show after a 5-minute wait
    post_event("E", "issued", day + 4 * m, unit=centre.code)  # still waiting
    visit("F", day + 5 * m, 1200, 1200, counter=1, staff="an")  # 20 and 20
    visit("G", vn(2026, 11, 13, 9), 60, 60)  # the week before


def test_figures_of_the_centre(queue, centre):
    result = figures.queue_figures(centre, WEEK, by="counter")
    total = result["total"]
    assert (total["tickets"], total["served"], total["no_shows"], total["open"]) == (6, 4, 1, 1)
    assert total["no_show_rate"] == Decimal("0.1667")
    # waits 1, 5, 15, 16, 20: median the 3rd, p90 the 5th; 3 of 5 within 15 minutes
    assert total["waiting"] == {
        "count": 5,
        "median_minutes": 15,
        "p90_minutes": 20,
        "target_minutes": 15,
        "within_target": 3,
        "within_target_rate": Decimal("0.6000"),
    }
    # handling 10, 20, 30, 31: median the 2nd, p90 the 4th; 3 of 4 within 30 minutes
    assert total["handling"] == {
        "count": 4,
        "median_minutes": 20,
        "p90_minutes": 31,
        "target_minutes": 30,
        "within_target": 3,
        "within_target_rate": Decimal("0.7500"),
    }
    rows = {row["counter"]: row for row in result["rows"]}
    assert set(rows) == {1, 2, None}  # None: the ticket not called yet
    assert (rows[1]["waiting"]["median_minutes"], rows[1]["waiting"]["p90_minutes"]) == (15, 20)
    assert (rows[2]["waiting"]["median_minutes"], rows[2]["waiting"]["p90_minutes"]) == (5, 16)
    assert (rows[2]["no_shows"], rows[2]["served"]) == (1, 1)
    assert rows[None]["tickets"] == 1 and rows[None]["waiting"]["count"] == 0


def test_rows_by_staff_and_unit_add_up(queue, centre, tree):
    by_staff = {r["staff"]: r for r in figures.queue_figures(centre, WEEK, by="staff")["rows"]}
    assert by_staff["an"]["tickets"] == 3 and by_staff["binh"]["tickets"] == 2
    assert by_staff["an"]["name"] == "An Lê"
    by_unit = figures.queue_figures(tree["p1"], WEEK, by="unit")
    assert [r["unit"] for r in by_unit["rows"]] == ["P1.TT"]
    assert by_unit["total"] == figures.queue_figures(centre, WEEK)["total"]
    assert figures.queue_figures(tree["c1"], WEEK)["total"]["tickets"] == 0  # another subtree


def test_province_targets_change_the_shares(queue, centre, tree):
    QueueTargets.objects.create(unit=tree["p1"], max_wait_minutes=16, max_handling_minutes=20)
    total = figures.queue_figures(centre, WEEK)["total"]
    assert (total["waiting"]["within_target"], total["waiting"]["target_minutes"]) == (4, 16)
    assert (total["handling"]["within_target"], total["handling"]["target_minutes"]) == (2, 20)


# ---- workload ----------------------------------------------------------------------------------


def test_annualisation():
    assert annualised(10, 73) == Decimal("50.0")
    assert annualised(0, 10) == Decimal("0.0")
    assert observed_days(parse("2025"), dt.date(2026, 11, 23)) == 365
    assert observed_days(parse("2026"), dt.date(2026, 11, 23)) == 327  # 1 Jan – 23 Nov
    assert observed_days(parse("2026-W48"), dt.date(2026, 11, 23)) == 1


@pytest.fixture
def year_2025(calendar, tree, centre, staff, users, procedure):
    """2025 (365 days: annualised = counted): area types, staff and dossiers received and finished."""
    for code, area in (("p1", AreaType.URBAN), ("c1", AreaType.RURAL), ("c2", AreaType.DISADVANTAGED)):
        tree[code].area_type = area
        tree[code].save(update_fields=["area_type"])
    clerk = Actor.of_user(users["clerk_c1"])
    for day in (3, 4, 5, 6):
        d = dossier_services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=clerk, received_at=vn(2025, 3, day, 9)
        )
        if day < 6:
            dossier_services.finish(d, actor=clerk, at=vn(2025, 3, day, 15))
    dossier_services.receive_dossier(
        procedure=procedure,
        receiving_unit=tree["c2"],
        actor=Actor.of_system("t"),
        received_at=vn(2025, 5, 5, 9),
    )
    for day in (3, 4):  # received at the centre, handled by the department
        d = dossier_services.receive_dossier(
            procedure=procedure,
            receiving_unit=centre,
            handling_unit=tree["dept"],
            actor=Actor.of_user(staff["an"]),
            received_at=vn(2025, 6, day, 9),
        )
        dossier_services.finish(d, actor=Actor.of_system("t"), at=vn(2025, 6, day + 7, 9))
    dossier_services.receive_dossier(  # 2026: outside the period
        procedure=procedure, receiving_unit=tree["c1"], actor=clerk, received_at=vn(2026, 1, 5, 9)
    )


@pytest.mark.django_db
def test_workload_per_area_type(year_2025, tree):
    result = figures.workload(tree["p1"], parse("2025"), dt.date(2026, 11, 23))
    assert result["observed_days"] == 365
    rows = {r["unit"]: r for r in result["units"]}
    # c1: rural, one clerk, 4 received and 3 finished in the year
    assert rows["P1.100"] == {
        "unit": "P1.100",
        "name": "Unit P1.100",
        "area_type": "rural",
        "staff": 1,
        "received": 4,
        "finished": 3,
        "received_per_staff_per_year": Decimal("4.0"),
        "finished_per_staff_per_year": Decimal("3.0"),
        "target_per_staff_per_year": 1200,
        "received_vs_target": Decimal("0.0033"),
        "finished_vs_target": Decimal("0.0025"),
    }
    assert (rows["P1.101"]["area_type"], rows["P1.101"]["target_per_staff_per_year"]) == (
        "disadvantaged",
        800,
    )
    # The centre and the department inherit the province's "urban"; two clerks share the centre's 2.
    assert (rows["P1.TT"]["area_type"], rows["P1.TT"]["staff"], rows["P1.TT"]["received"]) == ("urban", 2, 2)
    assert rows["P1.TT"]["received_per_staff_per_year"] == Decimal("1.0")
    assert rows["P1.TT"]["target_per_staff_per_year"] == 1600
    assert (rows["P1.01"]["staff"], rows["P1.01"]["finished"]) == (2, 2)  # dossiers belong to the handler
    total = result["total"]
    # Staff: c1 1, c2 1, centre 2, department 2 (officer_dept and dept_officer); supervisors do not count.
    assert (total["staff"], total["received"], total["finished"]) == (6, 7, 5)
    # Staff-weighted target: (1200 + 800 + 2·1600 + 2·1600) / 6
    assert total["target_per_staff_per_year"] == Decimal("1400.0")
    staff = {s["staff"]: s for s in result["staff"]}
    assert (staff["clerk_c1"]["received"], staff["clerk_c1"]["finished"]) == (4, 3)
    assert (staff["an"]["received"], staff["an"]["finished"], staff["binh"]["received"]) == (2, 0, 0)
    assert staff["clerk_c1"]["target_per_year"] == 1200


@pytest.mark.django_db
def test_workload_targets_are_per_province_and_period(year_2025, tree):
    QueueTargets.objects.create(unit=tree["p1"], workload_period="month", dossiers_per_staff_rural=100)
    result = figures.workload(tree["c1"], parse("2025"), dt.date(2026, 11, 23))
    assert result["targets"]["workload_period"] == "month"
    assert result["total"]["target_per_staff_per_year"] == Decimal("1200.0")  # 100 a month
    assert result["total"]["received_vs_target"] == Decimal("0.0033")
    # A unit with no area type on its path has no target to compare with.
    tree["p1"].area_type = ""
    tree["p1"].save(update_fields=["area_type"])
    rows = {r["unit"]: r for r in figures.workload(tree["p1"], parse("2025"), dt.date(2026, 11, 23))["units"]}
    assert rows["P1.TT"]["target_per_staff_per_year"] is None and rows["P1.TT"]["received_vs_target"] is None


@pytest.mark.django_db
def test_open_period_is_annualised_by_the_days_elapsed(calendar, tree, users, procedure):
    clerk = Actor.of_user(users["clerk_c1"])
    for hour in (8, 9, 10):
        dossier_services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=clerk, received_at=vn(2026, 11, 16, hour)
        )
    result = figures.workload(tree["c1"], parse("2026-11"), dt.date(2026, 11, 23))
    assert result["observed_days"] == 23
    # 3 in 23 days → 3 · 365 / 23 = 47.6 a year
    assert result["total"]["received_per_staff_per_year"] == Decimal("47.6")


def nearest_rank(values: list[int], p: int) -> int | None:
    """The definition, on a sorted list: the value at rank ceil(p/100 · n)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, -(-p * len(ordered) // 100)) - 1]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merged_groups_equal_the_definition_on_random_queues(seed, visit, centre, tree):
    """Figures of every counter, staff member and of the whole centre, read off merged histograms, equal
    the nearest-rank percentiles computed directly on the ticket rows of each set."""
    import random

    from apps.queues.models import Ticket

    rng = random.Random(seed)
    start = vn(2026, 11, 16, 7, 30)
    for i in range(rng.randint(20, 60)):
        handling = None if rng.random() < 0.1 else rng.randint(30, 3600)
        visit(
            f"R{i}",
            start + dt.timedelta(minutes=7 * i),
            rng.randint(0, 5400),
            handling,
            counter=rng.choice((1, 2, 3)),
            staff=rng.choice(("an", "binh", "dept_officer")),
        )
    tickets = list(Ticket.objects.filter(issued_on__range=(WEEK.start, WEEK.end)))
    for by, key in (("counter", lambda t: t.counter.number), ("staff", lambda t: t.staff.username)):
        result = figures.queue_figures(tree["p1"], WEEK, by=by)
        groups = {None: tickets}
        for t in tickets:
            groups.setdefault(key(t), []).append(t)
        rows = {r[by]: r for r in result["rows"]} | {None: result["total"]}
        assert set(rows) == set(groups)
        for name, members in groups.items():
            waits = [t.wait_minutes for t in members if t.wait_minutes is not None]
            handled = [t.handling_minutes for t in members if t.handling_minutes is not None]
            row = rows[name]
            assert row["tickets"] == len(members)
            assert row["no_shows"] == sum(t.status == "no_show" for t in members)
            assert (row["waiting"]["median_minutes"], row["waiting"]["p90_minutes"]) == (
                nearest_rank(waits, 50),
                nearest_rank(waits, 90),
            )
            assert (row["handling"]["median_minutes"], row["handling"]["p90_minutes"]) == (
                nearest_rank(handled, 50),
                nearest_rank(handled, 90),
            )
            assert row["waiting"]["within_target"] == sum(w <= 15 for w in waits)
            assert row["handling"]["within_target"] == sum(h <= 30 for h in handled)
