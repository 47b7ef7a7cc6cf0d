"""A PostgreSQL read replica for the statistics and the exports, when one is configured.

``DATABASE_REPLICA_URL`` adds a second database alias, ``replica`` (a streaming-replication standby of
the primary). Two kinds of reads go to it, because they are the heavy ones that tolerate a lag of a few
seconds:

* **Statistics read models**, by model, through :class:`ReplicaRouter`: every ORM read of a model of the
  ``statistics`` app (leaf counts, unit roll-ups, snapshots, and the aggregate versions that key the
  read caches) except its write-side bookkeeping (:data:`PRIMARY_ONLY_MODELS`, the dirty-leaf outbox the
  workers drain). A web process then reads the version and the counts from the same server, so a cached
  result is never keyed by a version newer than the counts it was built from.
* **Exports and other bulk reads of dossiers**, explicitly: ``for_reporting(queryset)`` (or
  :func:`reporting_alias` for raw SQL). Dossier reads are not routed by model, because the API must read
  its own writes (a dossier just created is read back on the primary).

Writes, migrations and every read inside a transaction on the primary stay on ``default`` (a rebuild,
a drain or ``rebuild_statistics --check`` compares what it has just written). Without a replica every
method answers ``default`` (or ``None``, Django's "no opinion") and nothing changes.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet

REPLICA = "replica"
DEFAULT = "default"
REPLICA_APPS = frozenset({"statistics"})
# The outbox of dirty (unit, period) pairs: drained by workers that must see the latest marks.
PRIMARY_ONLY_MODELS = frozenset({"statistics.dirtyleaf"})

Q = TypeVar("Q", bound=QuerySet)


def replica_configured() -> bool:
    """True when settings define the ``replica`` alias (DATABASE_REPLICA_URL, or a test mirror)."""
    return REPLICA in connections.settings


def reads_from_replica(model: type[Model], *, replica: bool, in_transaction: bool) -> bool:
    """The routing rule itself, free of global state so that it is tested directly."""
    if not replica or in_transaction:
        return False
    label = model._meta.label_lower
    return model._meta.app_label in REPLICA_APPS and label not in PRIMARY_ONLY_MODELS


def reporting_alias() -> str:
    """The alias for a bulk read that tolerates replica lag (an export, a report), outside transactions."""
    if replica_configured() and not connections[DEFAULT].in_atomic_block:
        return REPLICA
    return DEFAULT


def for_reporting(queryset: Q) -> Q:
    """``queryset`` read from the replica when there is one (see :func:`reporting_alias`)."""
    return queryset.using(reporting_alias())


class ReplicaRouter:
    """Django database router: statistics reads to ``replica``, everything else to ``default``."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        replica = replica_configured()
        if reads_from_replica(
            model, replica=replica, in_transaction=replica and connections[DEFAULT].in_atomic_block
        ):
            return REPLICA
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Both aliases hold the same data: an object read from the replica may relate to one from default.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # A standby replays the primary's WAL; migrating it directly is impossible and must not be tried.
        return db == DEFAULT
