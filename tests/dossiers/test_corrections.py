"""Corrections: descriptive fields with their history event, and receipt facts recomputing the due date."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.catalogue.models import TimeUnit
from apps.core.actors import Actor
from apps.core.errors import ConflictError, DomainError, ErrorCode
from apps.dossiers import services
from apps.dossiers.models import Channel, DossierEvent, EventKind
from apps.dossiers.timeliness import Timeliness
from apps.statistics.models import DirtyLeaf
from tests.factories import ProcedureVersionFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
CLERK = Actor.of_system("test-clerk")


@pytest.fixture
def dossier(calendar, tree, procedure):
    return services.receive_dossier(
        procedure=procedure,
        receiving_unit=tree["c1"],
        actor=CLERK,
        received_at=vn(2026, 3, 2, 9),  # Mon; 3 working days → due Thu 5 Mar 09:00
        applicant={
            "applicant_name": "Nguyễn Văn Ân",
            "applicant_id_number": "001099012389",
            "applicant_phone": "0912345678",
        },
    )


def last_event(dossier) -> DossierEvent:
    return DossierEvent.objects.filter(dossier=dossier).order_by("-id").first()


def test_a_received_dossier_keeps_its_applicant_and_folded_name(dossier):
    dossier.refresh_from_db()
    assert dossier.applicant_name == "Nguyễn Văn Ân"
    assert dossier.applicant_name_folded == "nguyen van an"
    assert dossier.applicant_id_number == "001099012389"


def test_correction_records_who_when_each_old_and_new_value_and_the_reason(dossier, users):
    clerk = Actor.of_user(users["clerk_c1"])
    services.correct_dossier(
        dossier,
        actor=clerk,
        reason="Typo in the name; phone given by the applicant",
        applicant={"applicant_name": "Nguyễn Văn An", "applicant_phone": "0987654321"},
        fee_amount=Decimal(0),
        notes="Called back on 3 March",
        at=vn(2026, 3, 3, 10),
    )
    dossier.refresh_from_db()
    assert dossier.applicant_name == "Nguyễn Văn An"
    assert dossier.applicant_name_folded == "nguyen van an"
    assert dossier.applicant_phone == "0987654321"
    assert dossier.fee_amount == 0 and dossier.notes == "Called back on 3 March"
    event = last_event(dossier)
    assert event.kind == EventKind.CORRECTED
    assert event.actor_user == users["clerk_c1"]
    assert event.occurred_at == vn(2026, 3, 3, 10)
    assert event.note == "Typo in the name; phone given by the applicant"
    assert event.data == {
        "reason": "Typo in the name; phone given by the applicant",
        "changes": {
            "applicant.name": {"old": "Nguyễn Văn Ân", "new": "Nguyễn Văn An"},
            "applicant.phone": {"old": "0912345678", "new": "0987654321"},
            "fee_amount": {"old": "50000", "new": "0"},
            "notes": {"old": "", "new": "Called back on 3 March"},
        },
    }


def test_a_correction_that_changes_nothing_records_nothing(dossier):
    before = DossierEvent.objects.filter(dossier=dossier).count()
    services.correct_dossier(dossier, actor=CLERK, reason="same", applicant={"applicant_phone": "0912345678"})
    assert DossierEvent.objects.filter(dossier=dossier).count() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_needs_a_reason(dossier, reason):
    with pytest.raises(DomainError) as caught:
        services.correct_dossier(dossier, actor=CLERK, reason=reason, notes="x")
    assert caught.value.field == "reason"


def test_a_person_cannot_get_a_tax_code_by_correction(dossier):
    with pytest.raises(DomainError) as caught:
        services.correct_dossier(
            dossier, actor=CLERK, reason="x", applicant={"applicant_tax_code": "0101234567"}
        )
    assert caught.value.field == "applicant.tax_code"
    services.correct_dossier(
        dossier,
        actor=CLERK,
        reason="It is a company",
        applicant={"applicant_kind": "organisation", "applicant_tax_code": "0101234567"},
    )
    dossier.refresh_from_db()
    assert dossier.applicant_kind == "organisation" and dossier.applicant_tax_code == "0101234567"


def test_correcting_the_receipt_time_recomputes_the_due_dates(dossier):
    assert dossier.legal_due_at == vn(2026, 3, 5, 9)
    services.correct_receipt(dossier, actor=CLERK, reason="Clock of the kiosk was a day early",
                             received_at=vn(2026, 3, 3, 9))  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.received_at == vn(2026, 3, 3, 9)
    assert dossier.received_on == dt.date(2026, 3, 3)
    assert dossier.status_changed_at == vn(2026, 3, 3, 9)
    assert dossier.legal_due_at == dossier.effective_due_at == vn(2026, 3, 6, 9)
    assert dossier.due_on == dt.date(2026, 3, 6)
    event = last_event(dossier)
    assert event.kind == EventKind.RECEIPT_CORRECTED
    assert event.data["reason"] == "Clock of the kiosk was a day early"
    assert event.data["changes"] == {
        "received_at": {"old": "2026-03-02T09:00:00+07:00", "new": "2026-03-03T09:00:00+07:00"},
        "legal_due_at": {"old": "2026-03-05T09:00:00+07:00", "new": "2026-03-06T09:00:00+07:00"},
        "effective_due_at": {"old": "2026-03-05T09:00:00+07:00", "new": "2026-03-06T09:00:00+07:00"},
    }


def test_correcting_the_procedure_and_channel_uses_their_time_limit(dossier, tree):
    longer = ProcedureVersionFactory(
        time_limit=Decimal(10), online_time_limit=Decimal(5), time_unit=TimeUnit.WORKING_DAYS
    ).procedure
    services.correct_receipt(dossier, actor=CLERK, reason="Wrong procedure picked", procedure=longer)
    dossier.refresh_from_db()
    assert dossier.procedure == longer
    assert dossier.procedure_version.procedure == longer
    assert dossier.legal_due_at == vn(2026, 3, 16, 9)  # 10 working days from Mon 2 Mar
    services.correct_receipt(dossier, actor=CLERK, reason="It came online", channel=Channel.ONLINE)
    dossier.refresh_from_db()
    assert dossier.legal_due_at == vn(2026, 3, 9, 9)  # the online limit: 5 working days


def test_a_finished_dossier_is_classified_again(dossier):
    services.finish(dossier, actor=CLERK, at=vn(2026, 3, 5, 10))  # an hour past the due time
    dossier.refresh_from_db()
    assert dossier.timeliness == Timeliness.LATE
    services.correct_receipt(
        dossier, actor=CLERK, reason="Received on Tuesday", received_at=vn(2026, 3, 3, 9)
    )
    dossier.refresh_from_db()
    assert dossier.timeliness == Timeliness.EARLY  # due Fri 6 Mar, finished Thu 5 Mar
    assert last_event(dossier).data["changes"]["timeliness"] == {"old": "late", "new": "early"}


def test_the_receipt_cannot_move_past_the_next_step(dossier):
    services.start_processing(dossier, actor=CLERK, at=vn(2026, 3, 2, 14))
    with pytest.raises(DomainError) as caught:
        services.correct_receipt(dossier, actor=CLERK, reason="x", received_at=vn(2026, 3, 2, 15))
    assert caught.value.code == ErrorCode.EVENT_BEFORE_PREVIOUS and caught.value.field == "received_at"


def test_a_registered_dossier_has_no_receipt_to_correct(calendar, tree, procedure):
    registered = services.register_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=CLERK, registered_at=vn(2026, 3, 2, 9)
    )
    with pytest.raises(ConflictError) as caught:
        services.correct_receipt(registered, actor=CLERK, reason="x", channel=Channel.COUNTER)
    assert caught.value.code == ErrorCode.NOT_RECEIVED


def test_moving_the_receipt_marks_the_old_and_the_new_periods_dirty(calendar, tree, procedure):
    dossier = services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=CLERK, received_at=vn(2026, 2, 27, 9)
    )
    DirtyLeaf.objects.all().delete()
    services.correct_receipt(dossier, actor=CLERK, reason="Received on Monday", received_at=vn(2026, 3, 2, 9))
    marked = set(
        DirtyLeaf.objects.filter(unit=tree["c1"], period_kind="month").values_list("period_start", flat=True)
    )
    assert {dt.date(2026, 2, 1), dt.date(2026, 3, 1)} <= marked


def test_the_migration_folds_the_names_of_existing_dossiers(dossier, calendar, tree, procedure):
    import importlib

    from django.apps import apps

    from apps.dossiers.models import Dossier

    migration = importlib.import_module("apps.dossiers.migrations.0005_applicant_and_corrections")
    nameless = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=CLERK)
    Dossier.objects.update(applicant_name_folded="")  # as the rows were before the column existed
    migration.fill_folded_names(apps, None)
    assert Dossier.objects.get(pk=dossier.pk).applicant_name_folded == "nguyen van an"
    assert Dossier.objects.get(pk=nameless.pk).applicant_name_folded == ""
