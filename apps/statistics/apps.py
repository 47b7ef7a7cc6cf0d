from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "apps.statistics"
    label = "statistics"
    verbose_name = _("Live statistics and index scores")

    def ready(self) -> None:
        from apps.statistics import signals

        signals.connect()
