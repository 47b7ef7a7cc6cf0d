"""The running sums (the rebuild's and the drain's SQL) give exactly the rows of the join that defines
the counts (every dossier compared with every period), on SQLite and on PostgreSQL."""

import datetime as dt
import random

import pytest
from django.db import connection

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Channel, Dossier
from apps.statistics import services as stats
from apps.statistics.counting import select_leaf_rows
from apps.statistics.models import COUNT_FIELDS
from apps.statistics.periods import PeriodKind, containing
from tests.factories import ProcedureVersionFactory
from tests.helpers import vn
from tests.statistics.test_statistics_incremental import random_history

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("running-sums")


def rows(periods, today, unit_ids=None, *, by_join=False) -> list:
    sql, params = select_leaf_rows(periods, today, unit_ids, by_join=by_join)
    assert ("running" in sql) is not by_join  # the named periods' default is the running sums
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(tuple(row) for row in cursor.fetchall())


def assert_same(periods, today, unit_ids=None) -> list:
    running, joined = rows(periods, today, unit_ids), rows(periods, today, unit_ids, by_join=True)
    assert running == joined
    return running


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_random_histories_give_the_joins_rows(calendar, tree, django_capture_on_commit_callbacks, seed):
    rng = random.Random(seed)
    procedures = [
        ProcedureVersionFactory(time_limit=limit, paper_result_required=paper, fee=fee).procedure
        for limit, paper, fee in [(2, True, 20000), (15, False, 0)]
    ]
    random_history(rng, tree, procedures, django_capture_on_commit_callbacks)
    periods = stats.named_periods_between(dt.date(2026, 5, 20), dt.date(2026, 11, 23))
    weeks = [p for p in periods if p.kind == PeriodKind.WEEK]
    subsets = [periods, periods[::7], weeks[3:5], [weeks[2], weeks[-1]]]
    # today: inside the last periods, and weeks before them (periods after today are judged on today)
    for today in (dt.date(2026, 11, 23), dt.date(2026, 8, 5)):
        found = [assert_same(chosen, today) for chosen in subsets]
        assert all(found) and len(found[0]) > len(found[1]) > 0
        assert assert_same(periods, today, [tree["c1"].pk])
        assert assert_same(periods, today, []) == []


# (name, column values written over a received dossier). The dossier is received on 2026-03-10
# (a Tuesday) and due on 2026-03-16 unless a case says otherwise; "today" is 2026-04-15.
EDGE_CASES = [
    ("open, due later than today", {"due_on": dt.date(2026, 4, 20)}),
    ("open, turns overdue inside a week", {}),
    ("open, due the day before today", {"due_on": dt.date(2026, 4, 14)}),
    ("open, due today: still in time", {"due_on": dt.date(2026, 4, 15)}),
    ("open, due before its receipt", {"due_on": dt.date(2026, 3, 1)}),
    ("open, no due date: neither overdue nor in time", {"due_on": None}),
    ("open, second supplement requested", {"supplement_count": 2, "due_on": dt.date(2026, 5, 30)}),
    ("paused before the due instant", {"paused_since": vn(2026, 3, 12, 9)}),
    ("paused after the due instant", {"paused_since": vn(2026, 3, 20, 9)}),
    ("paused, effective due unknown", {"paused_since": vn(2026, 3, 12, 9), "effective_due_at": None}),
    ("ended the day it was received", {"ended_on": dt.date(2026, 3, 10), "timeliness": "early"}),
    ("ended on its due date", {"ended_on": dt.date(2026, 3, 16), "timeliness": "on_time"}),
    ("ended late, a month on", {"ended_on": dt.date(2026, 4, 2), "timeliness": "late"}),
    ("ended late the day it turned overdue", {"ended_on": dt.date(2026, 3, 17), "timeliness": "late"}),
    ("ended with no class", {"ended_on": dt.date(2026, 3, 31), "timeliness": ""}),
    ("ended, dissatisfied, with a petition", {"ended_on": dt.date(2026, 3, 20), "rating": "dissatisfied"}),
    ("open, petition, overdue", {"has_petition": True}),
    ("received after today", {"received_on": dt.date(2026, 4, 17), "due_on": dt.date(2026, 4, 16)}),
    ("open, every flag and an online fee", {
        "channel": Channel.ONLINE, "fee_amount": 5000, "paid_online": True, "fee_data_synced": True,
        "portal_synced": True, "inputs_digitized": True, "data_reused": True, "personal_storage_synced": True,
        "applicant_eid_verified": True, "electronic_result_issued": True,
    }),
    ("received at year end, open", {"received_on": dt.date(2025, 12, 31), "due_on": dt.date(2026, 1, 5)}),
]  # fmt: skip


@pytest.mark.parametrize("name, values", EDGE_CASES, ids=[case[0] for case in EDGE_CASES])
def test_edge_cases_give_the_joins_rows(calendar, tree, name, values):
    procedure = ProcedureVersionFactory(time_limit=5, paper_result_required=True).procedure
    dossier = services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 3, 10, 9)
    )
    due = values.get("due_on", dt.date(2026, 3, 16))
    columns = {
        "received_on": dt.date(2026, 3, 10),
        "due_on": due,
        "effective_due_at": vn(due.year, due.month, due.day, 17) if due else None,
        "paused_since": None,
        "supplement_count": 0,
    } | values
    Dossier.objects.filter(pk=dossier.pk).update(**columns)
    periods = stats.named_periods_between(dt.date(2025, 12, 1), dt.date(2026, 5, 10))
    today = dt.date(2026, 4, 15)
    found = assert_same(periods, today)
    assert found  # the dossier counts somewhere
    # And on the scattered periods the drain may ask for: two weeks apart, and the current ones.
    assert_same([containing(PeriodKind.WEEK, dt.date(2026, 3, 9)), containing(PeriodKind.WEEK, today)], today)
    assert_same([containing(kind, today) for kind in PeriodKind if kind != PeriodKind.RANGE], today)


def test_an_open_overdue_dossier_stays_in_every_period_until_today(calendar, tree):
    """A direct check of the running stock, not only agreement with the join."""
    procedure = ProcedureVersionFactory(time_limit=5).procedure
    services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 3, 10, 9)
    )
    Dossier.objects.update(due_on=dt.date(2026, 3, 16), received_on=dt.date(2026, 3, 10))
    months = [containing(PeriodKind.MONTH, dt.date(2026, m, 1)) for m in (2, 3, 4, 5)]
    found = {  # SQLite answers dates as text
        str(row[3]): dict(zip(COUNT_FIELDS, row[4:], strict=True))
        for row in rows(months, dt.date(2026, 5, 6))
    }
    assert sorted(found) == ["2026-03-01", "2026-04-01", "2026-05-01"]
    assert [found[key]["in_period"] for key in sorted(found)] == [1, 1, 1]
    assert [found[key]["received"] for key in sorted(found)] == [1, 0, 0]
    assert [found[key]["open_overdue"] for key in sorted(found)] == [1, 1, 1]
    assert [found[key]["open_in_time"] for key in sorted(found)] == [0, 0, 0]


def test_a_horizon_of_more_than_500_weeks(calendar, tree):
    """Eleven years of weeks make a grid and a day map longer than SQLite's 500 terms of a compound
    SELECT: the literal maps are VALUES lists, which that limit does not cover."""
    procedure = ProcedureVersionFactory(time_limit=5).procedure
    services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 3, 10, 9)
    )
    Dossier.objects.update(received_on=dt.date(2015, 3, 10), due_on=dt.date(2015, 3, 16))
    weeks = [
        p for p in stats.named_periods_between(dt.date(2015, 1, 1), dt.date(2026, 4, 15)) if p.kind == "week"
    ]
    assert len(weeks) > 500
    found = assert_same(weeks, dt.date(2026, 4, 15))
    assert len(found) == len([w for w in weeks if w.end >= dt.date(2015, 3, 10)])
