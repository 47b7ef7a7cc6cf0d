"""The reception desk over Django's test client: procedure search, receipt with documents, scope, slip."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.catalogue.models import ComponentForm, ProcedureComponent
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Dossier
from tests.helpers import vn

pytestmark = pytest.mark.django_db


@pytest.fixture
def birth(calendar, procedure):
    """A procedure named with diacritics, with one mandatory and one optional component."""
    version = procedure.versions.get()
    version.name = "Đăng ký khai sinh"
    version.save()
    ProcedureComponent.objects.create(version=version, position=1, name="Tờ khai đăng ký khai sinh")
    ProcedureComponent.objects.create(
        version=version, position=2, name="Giấy chứng sinh", form=ComponentForm.COPY, mandatory=False
    )
    return procedure


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_clerk_starts_at_the_desk_and_a_supervisor_has_none(users):
    assert signed_in(users["clerk_c1"]).get("/")["Location"] == "/console/desk/"
    supervisor = signed_in(users["supervisor_p1"])
    assert supervisor.get("/console/desk/").status_code == 404
    assert "/console/desk/" not in supervisor.get("/console/units/P1/").content.decode()


@pytest.mark.parametrize("text", ["dang ky khai sinh", "KHAI SINH", "Đăng ký", "1.0"])
def test_procedure_search_ignores_diacritics_and_case(users, birth, text):
    html = signed_in(users["clerk_c1"]).get("/console/desk/", {"q": text}).content.decode()
    assert f'href="/console/desk/procedures/{birth.code}/"' in html


def test_procedure_search_finds_nothing_for_other_words(users, birth):
    html = signed_in(users["clerk_c1"]).get("/console/desk/", {"q": "ket hon"}).content.decode()
    assert f"/console/desk/procedures/{birth.code}/" not in html


def test_the_form_shows_the_due_date_before_saving(users, birth):
    html = signed_in(users["clerk_c1"]).get(f"/console/desk/procedures/{birth.code}/").content.decode()
    # Received Mon 23 Nov 2026 10:00 (frozen clock), three working days: due Thursday 26 November.
    assert 'data-testid="due">26/11/2026' in html
    assert 'name="documents" value="1" checked' in html  # mandatory documents start ticked


def test_a_missing_mandatory_document_needs_a_reason(users, birth):
    clerk = signed_in(users["clerk_c1"])
    url = f"/console/desk/procedures/{birth.code}/"
    refused = clerk.post(url, {"applicant_name": "Nguyễn Văn An", "documents": ["2"]})
    assert refused.status_code == 400 and not Dossier.objects.exists()
    received = clerk.post(
        url,
        {
            "applicant_name": "Nguyễn Văn An",
            "documents": ["2"],
            "missing_documents_reason": "Nộp bổ sung sau",
        },
    )
    assert received.status_code == 302
    dossier = Dossier.objects.get()
    assert received["Location"] == f"/console/dossiers/{dossier.code}/"
    assert dossier.missing_documents_reason == "Nộp bổ sung sau"
    assert [d.name for d in dossier.documents.all()] == ["Giấy chứng sinh"]


def test_applicant_checks_are_the_apis(users, birth):
    clerk = signed_in(users["clerk_c1"])
    response = clerk.post(
        f"/console/desk/procedures/{birth.code}/",
        {"applicant_name": "Nguyễn Văn An", "applicant_id_number": "12345", "documents": ["1"]},
    )
    assert response.status_code == 400 and 'id="err-id"' in response.content.decode()
    assert not Dossier.objects.exists()


def test_received_dossier_page_and_slip_within_scope_only(users, birth):
    clerk = signed_in(users["clerk_c1"])
    response = clerk.post(
        f"/console/desk/procedures/{birth.code}/",
        {"applicant_name": "Nguyễn Văn An", "applicant_phone": "0912345678", "documents": ["1", "2"]},
    )
    code = Dossier.objects.get().code
    assert response["Location"] == f"/console/dossiers/{code}/"
    page = clerk.get(response["Location"]).content.decode()
    assert "Tờ khai đăng ký khai sinh" in page and f"/console/dossiers/{code}/slip/" in page
    slip = clerk.get(f"/console/dossiers/{code}/slip/")
    assert slip.status_code == 200 and code in slip.content.decode() and "<svg" in slip.content.decode()
    other = signed_in(users["clerk_c3"])
    assert other.get(f"/console/dossiers/{code}/").status_code == 404
    assert other.get(f"/console/dossiers/{code}/slip/").status_code == 404


def test_the_desk_lists_the_units_open_dossiers_soonest_due_first(users, tree, birth):
    system = Actor.of_system("t")
    fresh = services.receive_dossier(
        procedure=birth, receiving_unit=tree["c1"], actor=system, received_at=vn(2026, 11, 23, 9)
    )
    late = services.receive_dossier(
        procedure=birth, receiving_unit=tree["c1"], actor=system, received_at=vn(2026, 11, 2, 9)
    )
    done = services.receive_dossier(
        procedure=birth, receiving_unit=tree["c1"], actor=system, received_at=vn(2026, 11, 3, 9)
    )
    services.finish(done, actor=system, at=vn(2026, 11, 4, 9))
    elsewhere = services.receive_dossier(procedure=birth, receiving_unit=tree["c3"], actor=system)
    html = signed_in(users["clerk_c1"]).get("/console/desk/").content.decode()
    queue = html[html.index('data-testid="queue"') :]
    assert queue.index(late.code) < queue.index(fresh.code)
    assert done.code not in queue and elsewhere.code not in queue
    assert f'<tr class="overdue">\n      <th scope="row"><a href="/console/dossiers/{late.code}/">' in queue
    assert f'<tr>\n      <th scope="row"><a href="/console/dossiers/{fresh.code}/">' in queue


def test_the_dossier_page_shows_its_history(users, tree, birth):
    clerk = signed_in(users["clerk_c1"])
    clerk.post(f"/console/desk/procedures/{birth.code}/", {"applicant_name": "An", "documents": ["1"]})
    dossier = Dossier.objects.get()
    html = clerk.get(f"/console/dossiers/{dossier.code}/", {"lang": "en"}).content.decode()
    timeline = html[html.index('data-testid="timeline"') :]
    event = dossier.events.get()
    assert event.get_kind_display() in timeline and "(clerk_c1)" in timeline
