"""Rankings among peers of one kind, as the national portal ranks them: communes among communes."""

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.organisation.models import UnitKind
from tests.factories import UnitFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
MARCH = "2026-03"


@pytest.fixture
def province(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """P1: c1 on time and online, c4 and c5 on time (a tie), c2 late, the department and a centre."""
    tree["c4"] = UnitFactory(code="P1.102", kind=UnitKind.COMMUNE, parent=tree["p1"])
    tree["c5"] = UnitFactory(code="P1.103", kind=UnitKind.COMMUNE, parent=tree["p1"])
    tree["centre"] = UnitFactory(code="P1.TT", kind=UnitKind.CENTRE, parent=tree["p1"])
    with django_capture_on_commit_callbacks(execute=True):
        for month in (2, 3):
            for unit in ("c1", "c4", "c5", "dept", "centre"):  # finished the next day: on time
                d = services.receive_dossier(
                    procedure=procedure, receiving_unit=tree[unit], actor=S, received_at=vn(2026, month, 3, 9)
                )
                services.finish(d, actor=S, at=vn(2026, month, 4, 9))
            d = services.receive_dossier(  # c1 also receives online and syncs to the portal: first
                procedure=procedure,
                receiving_unit=tree["c1"],
                actor=S,
                received_at=vn(2026, month, 5, 9),
                channel=2,
            )
            services.set_flag(d, Flag.PORTAL_SYNCED, actor=S, at=vn(2026, month, 5, 10))
            services.finish(d, actor=S, at=vn(2026, month, 6, 9))
        late = services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 3, 2, 9)
        )
        services.finish(late, actor=S, at=vn(2026, 3, 20, 9))
    return tree


@pytest.fixture
def supervisor(users, client_for):
    return client_for(users["supervisor_p1"])


def _rankings(client, query: str) -> dict:
    response = client.get(f"/api/v1/units/P1/rankings/?period={MARCH}&{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _competition_ranks_hold(rows: list[dict]) -> None:
    """Each rank is one more than the number of peers with a strictly higher value."""
    for row in rows:
        better = sum(1 for other in rows if float(other["value"]) > float(row["value"]))
        assert row["rank"] == better + 1, row


def test_communes_ranked_among_communes_only(province, supervisor):
    body = _rankings(supervisor, "kind=commune")
    assert body["kind"] == "commune"
    rows = body["rows"]
    assert {r["unit"] for r in rows} == {"P1.100", "P1.101", "P1.102", "P1.103"}
    assert {r["kind"] for r in rows} == {"commune"}
    assert body["summary"]["units"] == 4 and sum(body["summary"]["bands"].values()) == 4
    _competition_ranks_hold(rows)
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    assert rows[-1]["unit"] == "P1.101"  # the late commune is last among communes


def test_tied_communes_share_a_rank_and_the_next_one_is_skipped(province, supervisor):
    rows = _rankings(supervisor, "kind=commune")["rows"]
    assert [(r["unit"], r["rank"]) for r in rows] == [  # competition ranking: 1, 2, 2, 4; ties by code
        ("P1.100", 1),
        ("P1.102", 2),
        ("P1.103", 2),
        ("P1.101", 4),
    ]
    assert rows[1]["total"] == rows[2]["total"] != rows[0]["total"]


def test_each_kind_is_ranked_apart(province, supervisor):
    everyone = _rankings(supervisor, "")
    assert everyone["kind"] is None and everyone["summary"]["units"] == 6
    assert {r["kind"] for r in everyone["rows"]} == {"commune", "department", "centre"}
    departments = _rankings(supervisor, "kind=department")
    assert [(r["unit"], r["rank"]) for r in departments["rows"]] == [("P1.01", 1)]
    centres = _rankings(supervisor, "kind=centre")
    assert [(r["unit"], r["rank"]) for r in centres["rows"]] == [("P1.TT", 1)]
    assert centres["summary"]["first_streak"] == {"unit": "P1.TT", "periods": 12}  # alone: always first
    assert _rankings(supervisor, "kind=ministry")["rows"] == []


def test_previous_ranks_and_group_rankings_stay_among_peers(province, supervisor):
    rows = _rankings(supervisor, "kind=commune")["rows"]
    assert {r["unit"]: r["previous_rank"] for r in rows} == {  # February, among communes too
        "P1.100": 1,
        "P1.102": 2,
        "P1.103": 2,
        "P1.101": 4,  # no dossiers in February: no data scores nothing
    }
    everyone = {r["unit"]: r["previous_rank"] for r in _rankings(supervisor, "")["rows"]}
    assert everyone["P1.101"] == 6  # behind the department and the centre too, when all are ranked
    # c1 has led the communes in February and March; in January all communes tied, so no longer streak.
    assert _rankings(supervisor, "kind=commune")["summary"]["first_streak"] == {
        "unit": "P1.100",
        "periods": 2,
    }
    progress = _rankings(supervisor, "kind=commune&by=TDGQ")["rows"]
    _competition_ranks_hold(progress)
    assert progress[-1]["unit"] == "P1.101" and progress[-1]["value"] == "0.00"


def test_a_score_states_its_rank_among_its_own_kind(province, supervisor):
    response = supervisor.get(f"/api/v1/units/P1.101/score/?period={MARCH}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["siblings"], body["peers"], body["peer_rank"]) == (6, 4, 4)
    communes = {r["unit"]: r["rank"] for r in _rankings(supervisor, "kind=commune")["rows"]}
    for code in communes:
        score = supervisor.get(f"/api/v1/units/{code}/score/?period={MARCH}").json()
        assert score["peer_rank"] == communes[code], code
    centre = supervisor.get(f"/api/v1/units/P1.TT/score/?period={MARCH}").json()
    assert (centre["peers"], centre["peer_rank"]) == (1, 1)
    root = supervisor.get(f"/api/v1/units/P1/score/?period={MARCH}").json()
    assert (root["peers"], root["peer_rank"]) == (1, None)


@pytest.mark.parametrize("kind", ["village", "COMMUNE", "district", ""])
def test_unknown_kind_is_refused_with_the_field(province, supervisor, kind):
    response = supervisor.get(f"/api/v1/units/P1/rankings/?period={MARCH}&kind={kind}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("kind", "invalid_choice")]


def test_streaks_from_the_filed_snapshots_equal_the_live_ones(province, supervisor):
    """Once the nightly task has filed every child's snapshot, the streak is read per period from one
    grouped query (the leader's total against its best rival's); periods older than the task's backfill
    are scored now. A tie in January still ends the communes' streak."""
    from apps.statistics import reports
    from apps.statistics.models import ScoreSnapshot
    from apps.statistics.snapshots import snapshot_closed_periods

    live = {
        q: _rankings(supervisor, q)["summary"]["first_streak"] for q in ("kind=commune", "kind=centre", "")
    }
    assert snapshot_closed_periods() > 0
    reports._SCORERS.clear()
    assert {q: _rankings(supervisor, q)["summary"]["first_streak"] for q in live} == live
    # A snapshot changed to give February's lead among communes to another commune ends the streak there.
    february = ScoreSnapshot.objects.filter(period_kind="month", period_start="2026-02-01")
    leader = february.get(unit__code="P1.100").total
    february.filter(unit__code="P1.103").update(total=leader)
    assert _rankings(supervisor, "kind=commune")["summary"]["first_streak"] == {
        "unit": "P1.100",
        "periods": 1,
    }
