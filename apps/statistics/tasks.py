"""Celery tasks keeping the statistics current: thin wrappers over the services."""

from celery import shared_task

from apps.statistics import services


@shared_task(name="statistics.drain_dirty_leaves", ignore_result=True)
def drain_dirty_leaves() -> int:
    from apps.statistics.tracking import release_debounce_slot

    release_debounce_slot()
    return services.drain_dirty()


@shared_task(name="statistics.rebuild_all", ignore_result=True)
def rebuild_all() -> int:
    return services.rebuild_all()


@shared_task(name="statistics.refresh_current_periods", ignore_result=True)
def refresh_current_periods() -> int:
    """At midnight unfinished dossiers are judged on a new day: recompute every unit's current periods."""
    return services.refresh_current_periods()


@shared_task(name="statistics.snapshot_closed_periods", ignore_result=True)
def snapshot_closed_periods() -> int:
    from apps.statistics.reports import snapshot_closed_periods as snapshot

    return snapshot()
