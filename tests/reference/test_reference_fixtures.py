"""The reference fixtures (unit tree, procedure catalogue) and the admin screens that edit them."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from apps.catalogue.models import Field, Procedure, ProcedureVersion
from apps.organisation.models import Unit, UnitKind
from apps.organisation.services import create_unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
UNITS_JSON = FIXTURES / "units.json"
PROCEDURES_JSON = FIXTURES / "procedures.json"
TODAY = dt.date(2026, 11, 23)
BEFORE_MERGER = dt.date(2025, 6, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference_data() -> None:
    call_command("loaddata", str(UNITS_JSON), str(PROCEDURES_JSON), verbosity=0)


# --- the files themselves -------------------------------------------------------------------------


@pytest.mark.parametrize("path", [UNITS_JSON, PROCEDURES_JSON], ids=["units", "procedures"])
def test_fixture_pks_are_explicit_and_dense_per_model(path: Path) -> None:
    rows = json.loads(path.read_text(encoding="utf-8"))
    pks = defaultdict(list)
    for row in rows:
        pks[row["model"]].append(row["pk"])
    for model, values in pks.items():
        assert values == list(range(1, len(values) + 1)), model


# --- units ----------------------------------------------------------------------------------------


def test_thirty_four_provinces_and_some_ministries(reference_data) -> None:
    provinces = Unit.objects.filter(kind=UnitKind.PROVINCE)
    assert provinces.count() == 34
    assert set(provinces.values_list("depth", flat=True)) == {0}
    assert not provinces.filter(parent__isnull=False).exists()
    assert provinces.get(code="H05").name == "Tỉnh Bắc Ninh"
    assert provinces.get(code="H44").name == "Tỉnh Phú Thọ"
    assert Unit.objects.filter(kind=UnitKind.MINISTRY, parent__isnull=True).count() >= 2


def test_phu_tho_in_full(reference_data) -> None:
    h44 = Unit.objects.get(code="H44")
    children = Unit.objects.filter(parent=h44)
    departments = children.filter(kind=UnitKind.DEPARTMENT)
    communes = children.filter(kind=UnitKind.COMMUNE)
    assert departments.count() >= 15
    assert communes.count() >= 140
    assert children.filter(kind=UnitKind.CENTRE).count() == 1
    # communes hang from the province, never from a department
    assert not Unit.objects.filter(parent__kind=UnitKind.DEPARTMENT).exists()
    assert set(departments.values_list("depth", flat=True)) == {1}
    assert all(code.startswith("H44.") for code in children.values_list("code", flat=True))
    assert Unit.objects.subtree_of(h44).count() == children.count() + 1
    names = list(communes.values_list("name", flat=True))
    assert len(set(names)) == len(names)


# Province-level agencies beside the 15 departments that receive dossiers and that the national portal
# scores; their real names are not recorded here, so the fixture names them by code.
OTHER_PROVINCE_AGENCIES = [f"H44.{n}" for n in (19, 20, 22, 23, 41, 42, 43, 44, 45, 46)]


@pytest.mark.parametrize("code", OTHER_PROVINCE_AGENCIES)
def test_phu_tho_other_province_level_agencies_are_scored_as_departments(reference_data, code: str) -> None:
    unit = Unit.objects.get(code=code)
    assert (unit.kind, unit.parent.code, unit.path, unit.depth) == (
        UnitKind.DEPARTMENT,
        "H44",
        f"H44/{code}/",
        1,
    )
    assert unit.is_active and unit.name


def test_codes_are_unique(reference_data) -> None:
    codes = list(Unit.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    assert len(codes) == len(json.loads(UNITS_JSON.read_text(encoding="utf-8")))


def test_stored_paths_and_depths_are_what_save_unit_computes(reference_data) -> None:
    units = {unit.pk: unit for unit in Unit.objects.all()}
    expected: dict[int, str] = {}

    def path_of(unit: Unit) -> str:
        if unit.pk not in expected:
            prefix = path_of(units[unit.parent_id]) if unit.parent_id else ""
            expected[unit.pk] = prefix + unit.code + "/"
        return expected[unit.pk]

    for unit in units.values():
        assert unit.path == path_of(unit), unit.code
        assert unit.depth == unit.path.count("/") - 1, unit.code


# --- procedures -----------------------------------------------------------------------------------


def test_catalogue_size(reference_data) -> None:
    assert Field.objects.count() >= 10
    assert 45 <= Procedure.objects.count() <= 60
    assert not Procedure.objects.filter(versions__isnull=True).exists()


@pytest.mark.parametrize("day", [TODAY, BEFORE_MERGER], ids=str)
def test_every_procedure_has_exactly_one_version_on(reference_data, day: dt.date) -> None:
    for procedure in Procedure.objects.all():
        assert procedure.versions.valid_on(day).count() == 1, (procedure.code, day)
        assert procedure.version_on(day) is not None


def test_versions_of_one_procedure_do_not_overlap(reference_data) -> None:
    by_procedure = defaultdict(list)
    for version in ProcedureVersion.objects.order_by("procedure_id", "valid_from"):
        by_procedure[version.procedure_id].append(version)
    for versions in by_procedure.values():
        for earlier, later in pairwise(versions):
            assert earlier.valid_to is not None
            assert earlier.valid_to < later.valid_from
            assert earlier.valid_to == later.valid_from - dt.timedelta(days=1)
        assert versions[-1].valid_to is None


def test_second_versions_start_in_2026_and_change_limit_or_fee(reference_data) -> None:
    later = ProcedureVersion.objects.filter(valid_from=dt.date(2026, 1, 1))
    assert later.count() >= 5
    for version in later:
        previous = version.procedure.version_on(dt.date(2025, 12, 31))
        assert (previous.time_limit, previous.online_time_limit, previous.fee) != (
            version.time_limit,
            version.online_time_limit,
            version.fee,
        )


def test_catalogue_variety(reference_data) -> None:
    versions = list(ProcedureVersion.objects.all())
    current = [version for version in versions if version.valid_to is None]
    with_fee = sum(version.fee > 0 for version in current)
    assert 0.5 <= with_fee / len(current) <= 0.7
    assert {version.level for version in versions} == {"province", "commune"}
    assert {version.time_unit for version in versions} == {
        "working_days",
        "working_hours",
        "calendar_days",
        "same_day",
        "half_day",
    }
    assert {version.online_level for version in versions} == {"none", "partial", "full"}
    assert {"citizen", "business"} <= {version.audience for version in versions}
    assert any(version.paper_result_required for version in versions)
    assert any(version.online_time_limit is not None for version in versions)
    for version in versions:
        if version.online_time_limit is not None:
            assert version.online_time_limit < version.time_limit


# --- unit admin: moves keep descendants' paths right ----------------------------------------------


def test_admin_save_model_moves_a_subtree(reference_data, admin_user) -> None:
    department = Unit.objects.get(code="H44.07")
    team = create_unit(
        code="H44.07.01", name="Phòng Quản lý xây dựng", kind=UnitKind.DEPARTMENT, parent=department
    )
    desk = create_unit(code="H44.07.01.A", name="Bộ phận tiếp nhận", kind=UnitKind.CENTRE, parent=team)
    assert desk.path == "H44/H44.07/H44.07.01/H44.07.01.A/"

    request = RequestFactory().post("/admin/")
    request.user = admin_user
    unit_admin = admin.site._registry[Unit]
    team.parent = Unit.objects.get(code="H44.TTHCC")
    unit_admin.save_model(request, team, form=None, change=True)

    desk.refresh_from_db()
    team.refresh_from_db()
    assert team.path == "H44/H44.TTHCC/H44.07.01/"
    assert team.depth == 2
    assert desk.path == "H44/H44.TTHCC/H44.07.01/H44.07.01.A/"
    assert desk.depth == 3
    department.refresh_from_db()
    assert department.path == "H44/H44.07/"


def _unit_post_data(unit: Unit, **changes) -> dict:
    data = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent_id or "",
        "is_active": "on" if unit.is_active else "",
    }
    data.update(changes)
    return data


def test_admin_change_view_moves_a_subtree_through_save_unit(reference_data, client, admin_user) -> None:
    client.force_login(admin_user)
    department = Unit.objects.get(code="H44.07")
    child = create_unit(code="H44.07.01", name="Phòng Hạ tầng", kind=UnitKind.DEPARTMENT, parent=department)
    h05 = Unit.objects.get(code="H05")
    url = reverse("admin:organisation_unit_change", args=[department.pk])

    response = client.post(url, _unit_post_data(department, parent=h05.pk))
    assert response.status_code == 302
    department.refresh_from_db()
    child.refresh_from_db()
    assert (department.path, department.depth) == ("H05/H44.07/", 1)
    assert (child.path, child.depth) == ("H05/H44.07/H44.07.01/", 2)


def test_admin_change_view_edits_in_place_and_renames_code(reference_data, client, admin_user) -> None:
    client.force_login(admin_user)
    department = Unit.objects.get(code="H44.07")
    child = create_unit(code="H44.07.01", name="Phòng Hạ tầng", kind=UnitKind.DEPARTMENT, parent=department)
    url = reverse("admin:organisation_unit_change", args=[department.pk])

    response = client.post(url, _unit_post_data(department, name="Sở Xây dựng tỉnh Phú Thọ"))
    assert response.status_code == 302
    response = client.post(url, _unit_post_data(Unit.objects.get(pk=department.pk), code="H44.17"))
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.path == "H44/H44.17/H44.07.01/"


def test_admin_refuses_moving_a_unit_under_its_descendant(reference_data, client, admin_user) -> None:
    client.force_login(admin_user)
    department = Unit.objects.get(code="H44.07")
    child = create_unit(code="H44.07.01", name="Phòng Hạ tầng", kind=UnitKind.DEPARTMENT, parent=department)
    url = reverse("admin:organisation_unit_change", args=[department.pk])
    response = client.post(url, _unit_post_data(department, parent=child.pk))
    assert response.status_code == 200
    assert "Không thể chuyển đơn vị vào chính nó" in response.content.decode()
    department.refresh_from_db()
    assert department.path == "H44/H44.07/"


def test_admin_add_view_creates_unit_with_path(reference_data, client, admin_user) -> None:
    client.force_login(admin_user)
    h44 = Unit.objects.get(code="H44")
    data = {
        "code": "H44.16",
        "name": "Sở Ví dụ",
        "kind": UnitKind.DEPARTMENT,
        "parent": h44.pk,
        "is_active": "on",
    }
    response = client.post(reverse("admin:organisation_unit_add"), data)
    assert response.status_code == 302
    created = Unit.objects.get(code="H44.16")
    assert (created.path, created.depth) == ("H44/H44.16/", 1)


# --- admin pages render ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("admin:organisation_unit_changelist", ""),
        ("admin:organisation_unit_changelist", "?kind__exact=commune&q=Xã"),
        ("admin:catalogue_field_changelist", ""),
        ("admin:catalogue_procedure_changelist", "?q=khai+sinh"),
        ("admin:catalogue_procedureversion_changelist", ""),
        ("admin:catalogue_procedureversion_changelist", "?level__exact=commune&time_unit__exact=same_day"),
        ("admin:catalogue_procedureversion_changelist", "?online_level__exact=full&field__id__exact=1&q=1.0"),
        ("admin:accounts_user_changelist", ""),
        ("admin:accounts_user_changelist", "?role__exact=clerk&unit__kind=commune&q=H44"),
        ("admin:organisation_unit_add", ""),
        ("admin:catalogue_procedureversion_add", ""),
        ("admin:accounts_user_add", ""),
        ("admin:catalogue_onlineoffering_changelist", "?level__exact=full&q=H44"),
        ("admin:catalogue_onlineoffering_add", ""),
        ("admin:catalogue_publicationdecision_changelist", "?q=1.0"),
        ("admin:catalogue_publicationdecision_add", ""),
    ],
)
def test_admin_pages_render(reference_data, client, admin_user, url_name: str, query: str) -> None:
    client.force_login(admin_user)
    response = client.get(reverse(url_name) + query)
    assert response.status_code == 200


def test_admin_change_pages_render(reference_data, client, admin_user, django_user_model) -> None:
    client.force_login(admin_user)
    clerk = django_user_model.objects.create_user(
        username="clerk1", password="x-unused-x", unit=Unit.objects.get(code="H44.100"), role="clerk"
    )
    procedure = Procedure.objects.get(code="1.012801")  # has two versions (inline)
    pages = [
        reverse("admin:organisation_unit_change", args=[Unit.objects.get(code="H44").pk]),
        reverse("admin:catalogue_procedure_change", args=[procedure.pk]),
        reverse("admin:catalogue_procedureversion_change", args=[procedure.versions.first().pk]),
        reverse("admin:accounts_user_change", args=[clerk.pk]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
    listing = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "clerk1" in listing
    assert "H44.100" in listing


def test_unit_autocomplete_for_user_form(reference_data, client, admin_user) -> None:
    client.force_login(admin_user)
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "Việt Trì", "app_label": "accounts", "model_name": "user", "field_name": "unit"},
    )
    assert response.status_code == 200
    assert any("Việt Trì" in item["text"] for item in response.json()["results"])


def test_procedure_version_admin_refuses_overlap(reference_data, client, admin_user) -> None:
    client.force_login(admin_user)
    current = Procedure.objects.get(code="2.000815").version_on(TODAY)
    data = {
        "procedure": current.procedure_id,
        "valid_from": "2026-06-01",
        "valid_to": "",
        "name": current.name,
        "field": current.field_id,
        "level": current.level,
        "audience": current.audience,
        "time_limit": "1",
        "time_unit": "same_day",
        "online_time_limit": "",
        "fee": "0",
        "online_level": "full",
        # the components inline: one document
        "components-TOTAL_FORMS": "1",
        "components-INITIAL_FORMS": "0",
        "components-0-position": "1",
        "components-0-name": "Tờ khai theo mẫu",
        "components-0-form": "original",
        "components-0-quantity": "1",
        "components-0-mandatory": "on",
    }
    response = client.post(reverse("admin:catalogue_procedureversion_add"), data)
    assert response.status_code == 200
    assert "Trùng thời gian với phiên bản áp dụng từ" in response.content.decode()

    current.valid_to = dt.date(2026, 5, 31)
    current.save()
    response = client.post(reverse("admin:catalogue_procedureversion_add"), data)
    assert response.status_code == 302
    new = ProcedureVersion.objects.get(procedure=current.procedure, valid_from=dt.date(2026, 6, 1))
    assert (new.fee, new.online_level) == (0, "full")
    assert [(c.position, c.name, c.mandatory) for c in new.components.all()] == [
        (1, "Tờ khai theo mẫu", True)
    ]


def test_save_unit_refuses_a_move_under_its_own_descendant(reference_data) -> None:
    from apps.core.errors import DomainError
    from apps.organisation.services import save_unit

    department = Unit.objects.get(code="H44.07")
    child = create_unit(code="H44.07.01", name="Phòng", kind=UnitKind.DEPARTMENT, parent=department)
    department.parent = child
    with pytest.raises(DomainError):
        save_unit(department)
