"""The admin reads in Vietnamese first, English on request: its sections, records, fields and messages.

The admin builds its forms, columns and filters from the models' ``verbose_name`` and ``help_text``; a
field left without them shows its English attribute name (``applicant id number``) to a Vietnamese
administrator. The English texts stay the attribute names, so the API's schema (generated in English)
carries no title it did not have.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.utils import translation

from apps.core.actors import Actor
from apps.dossiers import services

pytestmark = pytest.mark.django_db

OUR_APPS = [config for config in apps.get_app_configs() if config.name.startswith("apps.")]
# Ours only: Django's own (users, groups) come translated; knox's token model has no translatable name.
OUR_ADMIN_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_config.name.startswith("apps.")),
    key=lambda m: m._meta.label,
)


@pytest.mark.parametrize("model", OUR_ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_every_model_in_the_admin_has_a_vietnamese_name(model):
    with translation.override("en"):
        english = (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
    with translation.override("vi"):
        vietnamese = (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
    assert english[0] != vietnamese[0] and english[1] != vietnamese[1], (model, english, vietnamese)


@pytest.mark.parametrize("config", OUR_APPS, ids=lambda c: c.label)
def test_every_app_has_a_vietnamese_name(config):
    with translation.override("en"):
        english = str(config.verbose_name)
    with translation.override("vi"):
        assert str(config.verbose_name) != english, config.label


def test_the_admin_index_reads_in_vietnamese_then_english(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Danh mục thủ tục hành chính" in page and "Phiên bản thủ tục" in page and "Lịch làm việc" in page
    english = admin_client.get("/admin/?lang=en", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Procedure catalogue" in english and "Procedure versions" in english


def _admin_models() -> list[type[models.Model]]:
    """The project's models with an admin screen, and those edited inline on one."""
    found: list[type[models.Model]] = []
    for model in OUR_ADMIN_MODELS:
        for shown in (model, *(inline.model for inline in admin.site._registry[model].inlines)):
            if shown not in found:
                found.append(shown)
    return found


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.get_fields()
        if not field.auto_created and (field.concrete or isinstance(field, models.ManyToManyField))
    ]


def _in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


def test_every_admin_field_has_a_vietnamese_label_and_help():
    shown = _admin_models()
    assert len(shown) >= 20
    unlabelled, unexplained = [], []
    for model in shown:
        for field in _fields(model):
            where = f"{model._meta.label}.{field.name}"
            if _in("vi", field.verbose_name) == _in("en", field.verbose_name):
                unlabelled.append(where)
            if field.help_text and _in("vi", field.help_text) == _in("en", field.help_text):
                unexplained.append(where)
    assert unlabelled == [] and unexplained == []


@pytest.mark.parametrize(
    ("label", "english", "vietnamese"),
    [
        ("dossiers.Dossier.code", "code", "mã hồ sơ"),
        ("queues.Ticket.number", "number", "số phiếu"),
        ("catalogue.PublicationDecision.number", "number", "số quyết định"),
        ("dossiers.Dossier.applicant_id_number", "applicant id number", "số định danh người nộp"),
    ],
)
def test_a_shared_attribute_name_reads_as_its_own_model_means_it(label, english, vietnamese):
    app, model, name = label.split(".")
    field = apps.get_model(app, model)._meta.get_field(name)
    assert _in("en", field.verbose_name) == english
    assert _in("vi", field.verbose_name) == vietnamese


def test_the_dossier_change_page_reads_in_vietnamese(admin_client, calendar, tree, procedure):
    dossier = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=Actor())
    page = admin_client.get(f"/admin/dossiers/dossier/{dossier.pk}/change/", HTTP_ACCEPT_LANGUAGE="vi")
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Đơn vị tiếp nhận", "Hình thức nộp", "Số định danh người nộp", "Mã hồ sơ in trên giấy"):
        assert label in text
    assert "Applicant id number" not in text and "Receipt code printed on the slip." not in text


def test_the_calendar_screens_read_in_vietnamese(admin_client, calendar):
    change = admin_client.get(f"/admin/workcalendar/calendar/{calendar.pk}/change/").content.decode()
    assert "Giờ làm việc" in change and "Giờ chốt nhận trong ngày" in change
    assert "Office hours" not in change
    days = admin_client.get("/admin/workcalendar/calendarday/").content.decode()
    assert "Số thứ tự ngày làm việc" in days and ">Thứ<" in days.replace(" ", "")
    english = admin_client.get("/admin/workcalendar/calendarday/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Seq<" in english.replace(" ", "") and "Số thứ tự ngày làm việc" not in english


def test_records_name_themselves_in_the_active_language(calendar, tree, procedure):
    """What the admin's breadcrumbs, titles and links show: a history row's kind and a version's start."""
    dossier = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=Actor())
    event = dossier.events.order_by("pk").first()
    version = dossier.procedure_version
    with translation.override("vi"):
        assert str(version) == f"{procedure.code} từ {version.valid_from}"
        assert f" {event.get_kind_display()} lúc " in str(event)
        assert str(event.get_kind_display()) != event.kind
    with translation.override("en"):
        assert str(version) == f"{procedure.code} from {version.valid_from}"
        assert f"{dossier.pk} {event.get_kind_display()} at " in str(event)
