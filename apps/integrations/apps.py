from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = _("External systems: API keys, bulk ingest, webhooks")

    def ready(self) -> None:
        from apps.integrations import auth, signals  # noqa: F401  (auth registers its OpenAPI scheme)

        signals.connect()
