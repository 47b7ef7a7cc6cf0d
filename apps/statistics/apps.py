from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "apps.statistics"
    label = "statistics"
    verbose_name = "Live statistics and index scores"
