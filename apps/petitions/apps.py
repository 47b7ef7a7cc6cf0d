from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "apps.petitions"
    label = "petitions"
    verbose_name = "Petitions (PAKN)"
