"""On time and late by child unit, procedure and field, by name: "which communes are late this month?"."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from apps.organisation.models import UnitKind
from apps.statistics.breakdowns import ORDERINGS, sort_rows, versions_in_force
from tests.factories import FieldFactory, ProcedureFactory, ProcedureVersionFactory, UnitFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
MARCH = "2026-03"


@pytest.fixture
def renamed(db):
    """A land procedure renamed on 1 March 2026: March shows the new name, February the old one."""
    procedure = ProcedureFactory(code="9.900001")
    land = FieldFactory(code="LAND", name="Đất đai")
    ProcedureVersionFactory(
        procedure=procedure,
        field=land,
        name="Old name",
        valid_to=dt.date(2026, 2, 28),
        valid_from=dt.date(2024, 1, 1),
    )
    ProcedureVersionFactory(
        procedure=procedure, field=land, name="Đăng ký đất đai", valid_from=dt.date(2026, 3, 1)
    )
    return procedure


@pytest.fixture
def civil(db):
    justice = FieldFactory(code="JUSTICE", name="Hộ tịch")
    return ProcedureVersionFactory(field=justice, name="Đăng ký khai sinh").procedure


@pytest.fixture
def march(calendar, tree, renamed, civil, django_capture_on_commit_callbacks):
    """c1 (P1.100) on time, c2 (P1.101) late, the department one dossier in time, c3 in P2 elsewhere."""
    tree["c1"].name, tree["c2"].name = "Xã An Bình", "Xã Bình Minh"
    tree["c1"].save(update_fields=["name"])
    tree["c2"].save(update_fields=["name"])
    tree["centre"] = UnitFactory(
        code="P1.TT", name="Trung tâm PVHCC", kind=UnitKind.CENTRE, parent=tree["p1"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4):  # c1: three land dossiers, finished the next day
            d = services.receive_dossier(
                procedure=renamed, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 3, day, 9)
            )
            services.finish(d, actor=S, at=vn(2026, 3, day + 1, 9))
        late = services.receive_dossier(  # c2: a civil dossier finished late, one land dossier overdue
            procedure=civil, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 3, 2, 9)
        )
        services.finish(late, actor=S, at=vn(2026, 3, 20, 9))
        services.receive_dossier(
            procedure=renamed, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 3, 3, 9)
        )
        services.receive_dossier(  # the department: one civil dossier, received on the last day, in time
            procedure=civil, receiving_unit=tree["dept"], actor=S, received_at=vn(2026, 3, 31, 9)
        )
        services.receive_dossier(
            procedure=renamed, receiving_unit=tree["c3"], actor=S, received_at=vn(2026, 3, 2, 9)
        )
    return tree


@pytest.fixture
def supervisor(users, client_for):
    return client_for(users["supervisor_p1"])


def _get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def test_child_units_by_name_with_the_late_commune_first(march, supervisor):
    rows = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit&ordering=rate")
    assert [(r["key"], r["name"], r["kind"]) for r in rows] == [
        ("P1.101", "Xã Bình Minh", "commune"),  # rate 0: worst first
        ("P1.01", "Unit P1.01", "department"),  # 1 of 1 in time: ties with c1, then by code
        ("P1.100", "Xã An Bình", "commune"),
        ("P1.TT", "Trung tâm PVHCC", "centre"),  # no dossiers: no rate, last
    ]
    c2, dept, c1, centre = rows
    assert (c2["in_period"], c2["on_time"], c2["late"], c2["ended_late"], c2["open_overdue"]) == (
        2,
        0,
        2,
        1,
        1,
    )
    assert c2["rate"] == "0.0000"
    assert (c1["in_period"], c1["on_time"], c1["late"], c1["rate"]) == (3, 3, 0, "1.0000")
    assert (dept["in_period"], dept["open_in_time"], dept["rate"]) == (1, 1, "1.0000")
    assert (centre["in_period"], centre["rate"], centre["average_working_days"]) == (0, None, None)
    # The rows add up to the province's own figures (its children hold all its dossiers here).
    score = _get(supervisor, f"/api/v1/units/P1/score/?period={MARCH}")
    assert sum(r["in_period"] for r in rows) == score["inputs"]["dossiers_in_period"] == 6
    assert sum(r["on_time"] for r in rows) == score["inputs"]["dossiers_on_time"] == 4


def test_child_units_filtered_by_kind_and_sorted(march, supervisor):
    communes = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit&kind=commune")
    assert [r["key"] for r in communes] == ["P1.100", "P1.101"]  # default: most dossiers first
    best = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit&kind=commune&ordering=-rate")
    assert [r["key"] for r in best] == ["P1.100", "P1.101"]
    most_late = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit&ordering=-late")
    assert most_late[0]["key"] == "P1.101" and most_late[0]["late"] == 2
    by_name = _get(
        supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit&kind=commune&ordering=-name"
    )
    assert [r["name"] for r in by_name] == ["Xã Bình Minh", "Xã An Bình"]
    centres = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit&kind=centre")
    assert [r["key"] for r in centres] == ["P1.TT"]


def test_a_child_row_holds_its_whole_subtree(march, supervisor, civil, django_capture_on_commit_callbacks):
    office = UnitFactory(code="P1.01.A", name="Văn phòng", kind=UnitKind.DEPARTMENT, parent=march["dept"])
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_dossier(
            procedure=civil, receiving_unit=office, actor=S, received_at=vn(2026, 3, 2, 9)
        )  # open and overdue at the end of March
    rows = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit&kind=department")
    assert [(r["key"], r["in_period"], r["open_overdue"], r["rate"]) for r in rows] == [
        ("P1.01", 2, 1, "0.5000")
    ]
    inside = _get(supervisor, f"/api/v1/units/P1.01/on-time/?period={MARCH}&by=unit")
    assert [(r["key"], r["name"], r["in_period"]) for r in inside] == [("P1.01.A", "Văn phòng", 1)]


def test_a_commune_has_no_children_rows(march, users, client_for):
    clerk = client_for(users["clerk_c2"])
    assert _get(clerk, f"/api/v1/units/P1.101/on-time/?period={MARCH}&by=unit") == []


def test_procedures_by_the_name_of_the_version_in_force(march, supervisor, renamed, civil):
    rows = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=procedure")
    assert [(r["key"], r["name"], r["kind"], r["in_period"]) for r in rows] == [
        (renamed.code, "Đăng ký đất đai", None, 4),
        (civil.code, "Đăng ký khai sinh", None, 2),
    ]
    land, birth = rows
    assert (land["on_time"], land["late"], land["rate"]) == (3, 1, "0.7500")
    assert (birth["on_time"], birth["late"], birth["rate"]) == (1, 1, "0.5000")
    worst = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=procedure&ordering=rate")
    assert [r["key"] for r in worst] == [civil.code, renamed.code]


def test_procedure_renamed_later_keeps_the_name_of_its_period(
    calendar, tree, renamed, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_dossier(
            procedure=renamed, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 2, 10, 9)
        )
    rows = _get(supervisor, "/api/v1/units/P1/on-time/?period=2026-02&by=procedure")
    assert [(r["key"], r["name"]) for r in rows] == [(renamed.code, "Old name")]


def test_fields_by_name_and_only_the_kind_asked(march, supervisor):
    rows = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=field")
    assert [(r["key"], r["name"], r["in_period"]) for r in rows] == [
        ("LAND", "Đất đai", 4),
        ("JUSTICE", "Hộ tịch", 2),
    ]
    communes_only = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=field&kind=commune")
    justice = next(r for r in communes_only if r["key"] == "JUSTICE")
    assert (justice["in_period"], justice["late"]) == (1, 1)  # the department's dossier is left out
    departments = _get(supervisor, f"/api/v1/units/P1/on-time/?period={MARCH}&by=procedure&kind=department")
    assert [(r["name"], r["in_period"], r["on_time"]) for r in departments] == [("Đăng ký khai sinh", 1, 1)]


@pytest.mark.parametrize(
    ("query", "field"),
    [("by=district", "by"), ("by=unit&kind=village", "kind"), ("by=unit&ordering=worst", "ordering")],
)
def test_bad_breakdown_queries_name_the_field(march, supervisor, query, field):
    response = supervisor.get(f"/api/v1/units/P1/on-time/?period={MARCH}&{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == [field]


def test_sorting_keeps_ties_by_key_and_missing_values_last():
    def row(key, rate, late):
        from fractions import Fraction

        exact = None if rate is None else Fraction(rate)
        return {"key": key, "name": key, "rate": rate, "_exact_rate": exact, "late": late, "in_period": 1}

    rows = [row("c", "1/2", 1), row("a", None, 0), row("b", "1/2", 3), row("d", "1/3", 2)]
    assert [r["key"] for r in sort_rows(rows, "rate")] == ["d", "b", "c", "a"]
    assert [r["key"] for r in sort_rows(rows, "-rate")] == ["b", "c", "d", "a"]
    assert [r["key"] for r in sort_rows(rows, "-late")] == ["b", "d", "c", "a"]
    assert all("_exact_rate" not in r for r in sort_rows(rows, "key"))
    assert "rate" in ORDERINGS and "-rate" in ORDERINGS


def test_rate_sorts_on_the_exact_fraction_not_the_rounded_one():
    from fractions import Fraction

    close = [
        {"key": "a", "rate": Decimal("0.6667"), "_exact_rate": Fraction(2, 3)},
        {"key": "b", "rate": Decimal("0.6667"), "_exact_rate": Fraction(6667, 10000)},
    ]
    assert [r["key"] for r in sort_rows(close, "rate")] == ["a", "b"]  # 2/3 < 0.6667


def test_withdrawn_procedure_keeps_its_last_name(db):
    withdrawn = ProcedureVersionFactory(name="Withdrawn", valid_to=dt.date(2026, 3, 10)).procedure
    future = ProcedureVersionFactory(name="Not yet", valid_from=dt.date(2026, 4, 1)).procedure
    names = versions_in_force([withdrawn.pk, future.pk], dt.date(2026, 3, 31))
    assert names[withdrawn.pk]["name"] == "Withdrawn"
    assert names[future.pk]["name"] == "Not yet"
    assert versions_in_force([], dt.date(2026, 3, 31)) == {}
