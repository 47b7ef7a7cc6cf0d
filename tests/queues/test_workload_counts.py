"""The workload's counts, read from indexes, equal a straightforward count of the rows, on random histories.

``figures.workload`` counts received and finished dossiers per unit and each staff user's receipts and
finishes with queries shaped for index-only scans (apps/dossiers/models.py: dossier_recv_unit_idx,
dossier_finished_idx, event_actor_received_idx, event_actor_finished_idx). Here the same numbers are
counted in Python from every dossier and event, by the definitions in the module's docstring, for
weeks, a month, a quarter and a free range; on PostgreSQL the queries are checked to be ones those
indexes can answer on their own.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Dossier, DossierEvent, EventKind
from apps.dossiers.status import NOT_COUNTED, Status
from apps.organisation.models import Unit
from apps.queues import figures
from apps.statistics.periods import parse
from tests.helpers import VN, vn

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # the frozen clock's day (tests/helpers.FROZEN_NOW)
LATEST = vn(2026, 11, 23, 9, 0)  # nothing may happen after the frozen "now"
PERIODS = ["2026-W43", "2026-W44", "2026-W46", "2026-10", "2026-Q4", "2026-10-05..2026-11-17"]


def _at(rng: random.Random, first: dt.datetime, days: int) -> dt.datetime:
    """An instant in business time, often close to a local midnight, where local and UTC days differ."""
    day = first + dt.timedelta(days=rng.randrange(days))
    hour = rng.choice([0, 0, 6, 9, 14, 17, 23, 23])
    return min(day.replace(hour=hour, minute=rng.randrange(60)), LATEST)


@pytest.fixture
def history(calendar, tree, users, procedure, django_capture_on_commit_callbacks):
    """Seventy dossiers received, handled and ended at random by staff, a supervisor and systems."""
    rng = random.Random(20261123)
    people = [Actor.of_user(users[name]) for name in ("clerk_c1", "clerk_c2", "officer_dept", "clerk_c3")]
    actors = [*people, *people, Actor.of_user(users["supervisor_p1"]), Actor.of_system("portal")]
    p1_units = [tree["c1"], tree["c2"], tree["dept"]]
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(70):
            p1 = n % 7 != 0
            receiving = rng.choice(p1_units) if p1 else tree["c3"]
            handling = rng.choice(p1_units) if p1 else tree["c3"]
            at = _at(rng, vn(2026, 9, 25), 58)
            if n % 11 == 0:  # registered online: never counted unless accepted
                dossier = services.register_dossier(
                    procedure=procedure, receiving_unit=receiving, handling_unit=handling,
                    actor=rng.choice(actors), registered_at=at,
                )  # fmt: skip
                if n % 2:
                    services.refuse_at_intake(dossier, actor=rng.choice(actors), at=at)
                    continue
                at = min(at + dt.timedelta(hours=rng.randrange(1, 30)), LATEST)
                dossier = services.accept_registered_dossier(dossier, actor=rng.choice(actors), at=at)
            else:
                dossier = services.receive_dossier(
                    procedure=procedure, receiving_unit=receiving, handling_unit=handling,
                    actor=rng.choice(actors), received_at=at,
                )  # fmt: skip
            end = at + dt.timedelta(hours=rng.randrange(1, 24 * 20))
            outcome = rng.random()
            if end > LATEST or outcome < 0.15:
                continue  # still open
            if outcome < 0.25:
                services.stop(dossier, actor=rng.choice(actors), at=end)
            elif outcome < 0.3:
                services.withdraw(dossier, actor=rng.choice(actors), at=end)
            else:
                dossier = services.finish(dossier, actor=rng.choice(actors), at=end)
                returned = end + dt.timedelta(hours=rng.randrange(1, 72))
                if outcome > 0.6 and returned <= LATEST:
                    services.return_result(dossier, actor=rng.choice(actors), at=returned)


def _straight_counts(root: Unit, period) -> tuple[Counter, Counter, Counter, Counter]:
    """Received and finished per unit, and per user, counted row by row in Python."""
    subtree = set(Unit.objects.subtree_of(root).values_list("pk", flat=True))
    received, finished, user_received, user_finished = Counter(), Counter(), Counter(), Counter()
    for d in Dossier.objects.all():
        if (
            d.receiving_unit_id in subtree
            and d.status not in NOT_COUNTED
            and d.received_on is not None
            and period.start <= d.received_on <= period.end
        ):
            received[d.receiving_unit_id] += 1
        if (
            d.handling_unit_id in subtree
            and d.finished_at is not None
            and period.start <= d.ended_on <= period.end
        ):
            finished[d.handling_unit_id] += 1
    for e in DossierEvent.objects.filter(actor_user__isnull=False):
        if period.start <= e.occurred_at.astimezone(VN).date() <= period.end:
            user_received[e.actor_user_id] += e.kind == EventKind.RECEIVED
            user_finished[e.actor_user_id] += e.to_status == Status.FINISHED
    return received, finished, user_received, user_finished


@pytest.mark.parametrize("root", ["p1", "c1", "dept", "p2"])
def test_workload_equals_a_straightforward_count(history, tree, users, root):
    compared = 0
    for key in PERIODS:
        period = parse(key)
        result = figures.workload(tree[root], period, TODAY)
        received, finished, user_received, user_finished = _straight_counts(tree[root], period)
        by_code = {u.code: u.pk for u in Unit.objects.all()}
        rows = {by_code[row["unit"]]: (row["received"], row["finished"]) for row in result["units"]}
        for pk in set(received) | set(finished):
            assert pk in rows, (key, pk)
        assert rows == {pk: (received[pk], finished[pk]) for pk in rows}, key
        assert (result["total"]["received"], result["total"]["finished"]) == (
            sum(received.values()),
            sum(finished.values()),
        ), key
        by_name = {u.username: u.pk for u in users.values()}
        staff = {row["staff"]: (row["received"], row["finished"]) for row in result["staff"]}
        assert staff == {name: (user_received[by_name[name]], user_finished[by_name[name]]) for name in staff}
        compared += sum(received.values()) + sum(finished.values()) + sum(user_received.values())
    if root == "p1":
        assert compared > 100  # the periods hold enough of the history for the comparison to compare


@pytest.mark.postgres
def test_each_count_can_be_answered_from_its_index_alone(history, tree):
    """With every other way of reading priced out, each count is an index-only scan of its index: the
    queries keep the shape (columns read, partial conditions) the indexes were made for. (On a few test
    rows the planner would rightly pick anything; no other index holds all the columns a count reads.)"""
    with CaptureQueriesContext(connection) as captured:
        figures.workload(tree["p1"], parse("2026-10"), TODAY)
    wanted = {
        "dossier_recv_unit_idx": '"receiving_unit_id", COUNT(*)',
        "dossier_finished_idx": '"handling_unit_id", COUNT(*)',
        "event_actor_received_idx": "= 'received'",
        "event_actor_finished_idx": '"to_status" = 9',
    }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # index-only scans stay allowed
        for index, marker in wanted.items():
            sql = next(
                q["sql"] for q in captured.captured_queries if marker in q["sql"] and "COUNT(*)" in q["sql"]
            )
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"Index Only Scan using {index}" in plan, plan
