"""The admin names its sections and records in Vietnamese first, English on request."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation

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
