"""Who may read and change which dossiers: a matrix of roles × units × operations."""

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from tests.helpers import vn

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossiers(calendar, tree, procedure):
    """One dossier received at commune c1 and handled by the department; one at commune c3 (province 2)."""
    system = Actor.of_system("setup")
    return {
        "c1": services.receive_dossier(
            procedure=procedure,
            receiving_unit=tree["c1"],
            handling_unit=tree["dept"],
            actor=system,
            received_at=vn(2026, 3, 2, 9),
        ),
        "c3": services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c3"], actor=system, received_at=vn(2026, 3, 2, 9)
        ),
    }


# (user, dossier, can read, can act)
MATRIX = [
    ("clerk_c1", "c1", True, True),  # received it
    ("clerk_c2", "c1", False, False),  # another commune of the same province: 404
    ("clerk_c3", "c1", False, False),  # another province: 404
    ("officer_dept", "c1", True, True),  # handles it
    ("supervisor_p1", "c1", True, False),  # reads the whole province, writes nothing
    ("admin_p1", "c1", True, True),
    ("admin_p1", "c3", False, False),
    ("clerk_c3", "c3", True, True),
]


@pytest.mark.parametrize(("user", "dossier", "can_read", "can_act"), MATRIX)
def test_read_and_act(dossiers, users, client_for, user, dossier, can_read, can_act):
    client = client_for(users[user])
    code = dossiers[dossier].code
    detail = client.get(f"/api/v1/dossiers/{code}/")
    assert detail.status_code == (200 if can_read else 404)
    listed = [d["code"] for d in client.get("/api/v1/dossiers/").json()["results"]]
    assert (code in listed) is can_read
    acted = client.post(f"/api/v1/dossiers/{code}/start-processing/", {}, format="json")
    expected = 200 if can_act else (403 if can_read else 404)
    assert acted.status_code == expected, acted.json()
    if expected != 200:
        assert acted.json()["code"] in ("permission_denied", "not_found")


def test_an_officer_cannot_act_on_a_dossier_it_only_received_in_its_subtree(
    dossiers, users, client_for, tree
):
    # The officer of the department handles c1's dossier; make c1's clerk the only receiver of a new one.
    d = services.receive_dossier(
        procedure=dossiers["c1"].procedure,
        receiving_unit=tree["dept"],
        handling_unit=tree["c1"],
        actor=Actor(),
    )
    client = client_for(users["officer_dept"])
    assert client.get(f"/api/v1/dossiers/{d.code}/").status_code == 200
    assert client.post(f"/api/v1/dossiers/{d.code}/finish/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("user", "unit", "status"),
    [
        ("clerk_c1", "P1.100", 201),
        ("clerk_c1", "P1.101", 403),
        ("clerk_c3", "P1.100", 403),
        ("officer_dept", "P1.01", 403),  # officers handle, they do not receive
        ("supervisor_p1", "P1.100", 403),
        ("admin_p1", "P1.101", 201),
    ],
)
def test_who_may_receive_where(calendar, tree, procedure, users, client_for, user, unit, status):
    response = client_for(users[user]).post(
        "/api/v1/dossiers/", {"procedure": procedure.code, "receiving_unit": unit}, format="json"
    )
    assert response.status_code == status, response.json()
    if status == 403:
        assert response.json()["code"] == "unit_out_of_scope"
        assert response.json()["errors"][0]["field"] == "receiving_unit"


def test_anonymous_requests_are_refused(client, dossiers):
    response = client.get("/api/v1/dossiers/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_units_are_scoped_too(tree, users, client_for):
    codes = [u["code"] for u in client_for(users["supervisor_p1"]).get("/api/v1/units/").json()["results"]]
    assert codes == ["P1", "P1.01", "P1.100", "P1.101"]
    assert client_for(users["clerk_c1"]).get("/api/v1/units/P2/").status_code == 404


def test_token_authentication(db, users, client):
    token = client.post("/api/v1/auth/token/", {"username": "clerk_c1", "password": "pass-123456"})
    assert token.status_code == 200
    me = client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert me.json() == {
        "username": "clerk_c1",
        "first_name": "",
        "last_name": "",
        "unit": "P1.100",
        "role": "clerk",
        "role_name": "Cán bộ tiếp nhận (ghi nhận và chuyển xử lý hồ sơ đơn vị tiếp nhận)",
        "is_superuser": False,
    }
    wrong = client.post("/api/v1/auth/token/", {"username": "clerk_c1", "password": "nope"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "validation_error"
