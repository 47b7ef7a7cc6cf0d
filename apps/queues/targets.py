"""Which targets apply to a unit: its province's settings (or the defaults) and the unit's area type.

Provinces set the targets (Decision-level guidance: at most 15 minutes of waiting and 30 of handling per
visit; 1,600 / 1,200 / 800 dossiers per staff member in urban / rural / disadvantaged areas). The source
gives no period for the workload target; it is read as yearly unless the province says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.organisation.models import PATH_SEPARATOR, AreaType, Unit
from apps.queues.models import PERIODS_PER_YEAR, QueueTargets, WorkloadPeriod

DEFAULTS = QueueTargets()  # the field defaults, never saved


@dataclass(frozen=True)
class Targets:
    max_wait_minutes: int
    max_handling_minutes: int
    workload_period: str
    per_staff: dict[str, int]  # area type -> dossiers per staff member per workload period

    def per_staff_per_year(self, area_type: str) -> int | None:
        """The workload target of an area type expressed per year; None without an area type."""
        per_period = self.per_staff.get(area_type)
        if per_period is None:
            return None
        return per_period * PERIODS_PER_YEAR[WorkloadPeriod(self.workload_period)]


def _from_row(row: QueueTargets) -> Targets:
    return Targets(
        max_wait_minutes=row.max_wait_minutes,
        max_handling_minutes=row.max_handling_minutes,
        workload_period=row.workload_period,
        per_staff={
            AreaType.URBAN: row.dossiers_per_staff_urban,
            AreaType.RURAL: row.dossiers_per_staff_rural,
            AreaType.DISADVANTAGED: row.dossiers_per_staff_disadvantaged,
        },
    )


def targets_for(unit: Unit) -> Targets:
    """The targets of the unit's province (its top-level unit), or the defaults."""
    row = QueueTargets.objects.filter(unit__code=unit.root_code, unit__parent__isnull=True).first()
    return _from_row(row or DEFAULTS)


def targets_by_root(units: list[Unit]) -> dict[str, Targets]:
    """Targets of every province the units belong to, in one query."""
    roots = {u.root_code for u in units}
    rows = {t.unit.code: t for t in QueueTargets.objects.select_related("unit").filter(unit__code__in=roots)}
    return {code: _from_row(rows.get(code, DEFAULTS)) for code in roots}


def effective_area_types(units: list[Unit]) -> dict[int, str]:
    """Each unit's area type: its own, else its nearest ancestor's; "" when none on the path has one."""
    codes = {code for u in units for code in u.path.split(PATH_SEPARATOR) if code}
    own = dict(Unit.objects.filter(code__in=codes).exclude(area_type="").values_list("code", "area_type"))
    result = {}
    for unit in units:
        chain = [c for c in unit.path.split(PATH_SEPARATOR) if c]
        result[unit.pk] = next((own[c] for c in reversed(chain) if c in own), "")
    return result
