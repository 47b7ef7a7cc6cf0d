"""Writes made through a client's service account are recorded as the client (``actor_system``).

The dossier services take an :class:`~apps.core.actors.Actor` built from ``request.user``; for a machine
client that is its service account. Just before such a row is inserted, the account is replaced by the
client's name, so the history says ``system:<client>`` and no staff user appears to have done it.
Only rows whose related user object is already in memory are looked at: this never queries.
"""

from __future__ import annotations

from django.db.models.signals import pre_save


def _client_of_cached(instance, field: str):
    user = instance._state.fields_cache.get(field)
    if user is None:
        return None
    return user._state.fields_cache.get("machine_client")


def _event_actor(sender, instance, **kwargs) -> None:
    if instance.pk is not None:
        return
    client = _client_of_cached(instance, "actor_user")
    if client is not None:
        instance.actor_user = None
        instance.actor_system = client.name


def _dossier_creator(sender, instance, **kwargs) -> None:
    if not instance._state.adding:
        return
    client = _client_of_cached(instance, "created_by")
    if client is not None:
        instance.created_by = None
        instance.created_by_system = client.name
        if not instance.source_system and instance.external_id is None:
            instance.source_system = client.name


def connect() -> None:
    from apps.dossiers.models import Dossier, DossierEvent

    pre_save.connect(_event_actor, sender=DossierEvent, dispatch_uid="integrations-event-actor")
    pre_save.connect(_dossier_creator, sender=Dossier, dispatch_uid="integrations-dossier-creator")
