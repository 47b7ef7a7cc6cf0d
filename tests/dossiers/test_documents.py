"""Documents received with a dossier: the rules, intake, recording them again, the slip, the index."""

from __future__ import annotations

import pytest

from apps.catalogue.models import ProcedureComponent
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.documents import (
    DocumentIn,
    DocumentProblem,
    DocumentRow,
    check_complete,
    digitization_facts,
    missing_mandatory,
    resolve,
)
from apps.dossiers.models import DossierEvent, EventKind
from apps.statistics import reports

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("test")


def component(position: int, *, mandatory: bool = True, form: str = "original", quantity: int = 1):
    return ProcedureComponent(
        position=position, name=f"Doc {position}", form=form, quantity=quantity, mandatory=mandatory
    )


COMPONENTS = [component(1), component(2, form="copy", quantity=2), component(3, mandatory=False)]


# ---- the rules ----------------------------------------------------------------------------------

RESOLVE_CASES = [
    pytest.param(
        [DocumentIn(component=2)],
        [(1, 2, "Doc 2", "copy", 2)],
        id="a component takes the catalogue's name, form and count",
    ),
    pytest.param(
        [DocumentIn(component=1, form="certified_copy", quantity=3, name="Đơn (bản chứng thực)")],
        [(1, 1, "Đơn (bản chứng thực)", "certified_copy", 3)],
        id="what the applicant actually brought overrides the defaults",
    ),
    pytest.param(
        [DocumentIn(name="  Giấy xác nhận thêm ")],
        [(1, None, "Giấy xác nhận thêm", "original", 1)],
        id="another document, by name",
    ),
]


@pytest.mark.parametrize(("items", "expected"), RESOLVE_CASES)
def test_resolve(items, expected):
    rows = resolve(COMPONENTS, items)
    assert [
        (r.position, r.component.position if r.component else None, r.name, r.form, r.quantity) for r in rows
    ] == (expected)


@pytest.mark.parametrize(
    ("items", "field", "code"),
    [
        ([DocumentIn(component=9)], "documents.0.component", "unknown_component"),
        ([DocumentIn(component=1), DocumentIn(component=1)], "documents.1.component", "duplicate"),
        ([DocumentIn(component=1), DocumentIn(name=" ")], "documents.1.name", "required"),
    ],
)
def test_resolve_refuses(items, field, code):
    with pytest.raises(DocumentProblem) as problem:
        resolve(COMPONENTS, items)
    assert (problem.value.field, problem.value.code) == (field, code)


@pytest.mark.parametrize(
    ("received", "missing", "reason", "refused"),
    [
        ([1, 2], [], "", False),
        ([1, 2, 3], [], "", False),
        ([1], [2], "", True),
        ([1], [2], "Công dân bổ sung bản vẽ sau", False),
        ([3], [1, 2], "   ", True),  # blank is no reason
    ],
)
def test_mandatory_components(received, missing, reason, refused):
    rows = resolve(COMPONENTS, [DocumentIn(component=p) for p in received])
    assert missing_mandatory(COMPONENTS, rows) == missing
    if refused:
        with pytest.raises(DocumentProblem) as problem:
            check_complete(COMPONENTS, rows, reason)
        assert problem.value.code == "missing_mandatory_documents"
        assert "Doc 2" in problem.value.message or "Doc 1" in problem.value.message
    else:
        check_complete(COMPONENTS, rows, reason)


def row(digitized: bool, reused: bool = False) -> DocumentRow:
    return DocumentRow(1, None, "x", "original", 1, digitized, reused)


@pytest.mark.parametrize(
    ("rows", "facts"),
    [
        ([], (False, False)),  # nothing received: not digitized
        ([row(True), row(True)], (True, False)),
        ([row(True), row(False)], (False, False)),  # every document must be digitized
        ([row(False, reused=True)], (False, True)),  # any reuse counts
    ],
)
def test_digitization_facts(rows, facts):
    assert digitization_facts(rows) == facts


# ---- over the API -------------------------------------------------------------------------------


@pytest.fixture
def with_components(procedure):
    version = procedure.versions.get()
    for c in COMPONENTS:
        ProcedureComponent.objects.create(
            version=version,
            position=c.position,
            name=c.name,
            form=c.form,
            quantity=c.quantity,
            mandatory=c.mandatory,
        )
    return procedure


@pytest.fixture
def clerk(users, client_for):
    return client_for(users["clerk_c1"])


def post(client, procedure, **body):
    return client.post(
        "/api/v1/dossiers/",
        {
            "procedure": procedure.code,
            "receiving_unit": "P1.100",
            "received_at": "2026-11-20T09:00:00+07:00",
            **body,
        },
        format="json",
    )


def test_intake_refuses_a_missing_mandatory_document_unless_the_clerk_says_why(
    calendar, with_components, clerk
):
    refused = post(clerk, with_components, documents=[{"component": 1}])
    assert refused.status_code == 400, refused.content
    error = refused.json()["errors"][0]
    assert (refused.json()["code"], error["field"]) == ("missing_mandatory_documents", "documents")
    assert not DossierEvent.objects.exists()  # nothing written

    accepted = post(
        clerk,
        with_components,
        documents=[{"component": 1, "digitized": True}, {"name": "Ảnh chân dung", "form": "original"}],
        missing_documents_reason="Công dân bổ sung bản vẽ trong tuần",
    )
    assert accepted.status_code == 201, accepted.content
    body = accepted.json()
    assert [(d["position"], d["component"], d["name"], d["mandatory"]) for d in body["documents"]] == [
        (1, 1, "Doc 1", True),
        (2, None, "Ảnh chân dung", None),
    ]
    assert body["missing_documents_reason"] == "Công dân bổ sung bản vẽ trong tuần"
    assert body["inputs_digitized"] is False  # the photo was not scanned

    slip = clerk.get(f"/api/v1/dossiers/{body['code']}/slip/?lang=en").content.decode()
    assert "Doc 1" in slip and "Ảnh chân dung" in slip and "Công dân bổ sung bản vẽ trong tuần" in slip


def test_documents_are_optional_for_systems_that_send_none(calendar, with_components, clerk):
    response = post(clerk, with_components)
    assert response.status_code == 201 and response.json()["documents"] == []


def test_registration_does_not_take_documents(calendar, with_components, clerk):
    response = post(clerk, with_components, status=1, documents=[{"component": 1}])
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "documents")


@pytest.mark.parametrize(
    ("documents", "field", "code"),
    [
        ([{"component": 7}], "documents.0.component", "unknown_component"),
        ([{"component": 1, "form": "photocopy"}], "documents.0.form", "invalid_choice"),
        ([{"component": 1, "quantity": 0}], "documents.0.quantity", "min_value"),
        ("all of them", "documents", "not_a_list"),
    ],
)
def test_bad_documents_name_their_field(calendar, with_components, clerk, documents, field, code):
    response = post(clerk, with_components, documents=documents)
    assert response.status_code == 400, response.content
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in response.json()["errors"]
    ]


def test_scanning_later_makes_the_dossier_digitized_and_moves_the_index(
    calendar, tree, with_components, clerk, users, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        code = post(clerk, with_components, documents=[{"component": 1}, {"component": 2}]).json()["code"]
    supervisor = client_for(users["supervisor_p1"])
    period = "2026-11"

    def digitized() -> int:
        return supervisor.get(f"/api/v1/units/P1.100/score/?period={period}").json()["inputs"][
            "dossiers_digitized"
        ]

    assert digitized() == 0
    refused = clerk.post(f"/api/v1/dossiers/{code}/flags/", {"flag": "inputs_digitized"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "flag_from_documents")

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(
            f"/api/v1/dossiers/{code}/documents/",
            {
                "documents": [{"component": 1, "digitized": True}, {"component": 2, "digitized": True}],
                "reason": "Đã scan tại quầy",
            },
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["inputs_digitized"] is True
    recorded = DossierEvent.objects.get(dossier__code=code, kind=EventKind.DOCUMENTS_RECORDED)
    assert recorded.data["reason"] == "Đã scan tại quầy"
    assert [d["digitized"] for d in recorded.data["before"]] == [False, False]
    assert [d["digitized"] for d in recorded.data["after"]] == [True, True]
    flag = DossierEvent.objects.get(dossier__code=code, kind=EventKind.FLAG_SET)
    assert flag.data == {"flag": "inputs_digitized", "value": True}
    reports._SCORERS.clear()
    assert digitized() == 1

    again = clerk.post(
        f"/api/v1/dossiers/{code}/documents/",
        {"documents": [{"component": 1, "digitized": True}], "reason": "bỏ bản vẽ"},
        format="json",
    )
    assert (again.status_code, again.json()["code"]) == (400, "missing_mandatory_documents")


def test_recording_documents_needs_write_scope_and_a_reason(
    calendar, with_components, clerk, users, client_for
):
    code = post(clerk, with_components, documents=[{"component": 1}, {"component": 2}]).json()["code"]
    body = {"documents": [{"component": 1}, {"component": 2}], "reason": "x"}
    assert (
        client_for(users["clerk_c3"])
        .post(f"/api/v1/dossiers/{code}/documents/", body, format="json")
        .status_code
        == 404
    )
    assert (
        client_for(users["supervisor_p1"])
        .post(f"/api/v1/dossiers/{code}/documents/", body, format="json")
        .status_code
        == 403
    )
    no_reason = clerk.post(f"/api/v1/dossiers/{code}/documents/", {**body, "reason": ""}, format="json")
    assert (no_reason.status_code, no_reason.json()["errors"][0]["field"]) == (400, "reason")


def test_the_services_record_documents_for_every_caller(calendar, tree, with_components):
    dossier = services.receive_dossier(
        procedure=with_components,
        receiving_unit=tree["c1"],
        actor=SYSTEM,
        documents=[DocumentIn(component=1, reused=True), DocumentIn(component=2)],
    )
    assert dossier.data_reused is True and dossier.inputs_digitized is False
    assert list(dossier.documents.values_list("position", flat=True)) == [1, 2]
