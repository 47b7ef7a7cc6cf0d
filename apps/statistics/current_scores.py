"""Storing the running periods' scores, so a ranking of this week or month reads a row per child.

A closed period's score is frozen by the nightly snapshot; a running period's moves with every change,
so it was scored live on each read (a province's 170 children: a read of the subtree and its scoring,
70–100 ms at 1M dossiers). Everything such a score reads moves through the drain or moves the
aggregate epoch, so the drain alone keeps the stored rows, in the transaction that recomputes the
roll-up (:func:`rescore`):

- dossiers and petitions dirty (unit, period) pairs: the drain re-scores those units and their
  ancestors right after recomputing their roll-up rows;
- a rebuild, or an edit to the catalogue, the registers, the calendar or the organisation
  (:mod:`.signals`), moves the epoch every row carries, and a new day judges unfinished dossiers anew:
  the rows no longer hold, and the next drain (the beat sweeper runs one every 2 seconds) scores them
  again; the midnight refresh, which rewrites the roll-up judged on the new day, scores every unit
  again in its own transaction;
- a unit without a row (new, or never scored) is scored by the next drain too.

The reader (:func:`apps.statistics.selectors.current_scores`) serves a row only while its judgement
day, methodology revision and epoch still hold and scores live otherwise, so a stored score is never
staler than the roll-up it was computed from.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from apps.organisation.models import PATH_SEPARATOR, Unit
from apps.statistics.models import CurrentScore
from apps.statistics.periods import NAMED_KINDS, Period, containing
from apps.statistics.scores import SubtreeScorer, UnitScore
from apps.statistics.selectors import current_scores, subtree_inputs
from apps.statistics.versions import current_epoch

__all__ = ["rescore", "running_periods"]

logger = logging.getLogger(__name__)


def running_periods(on: dt.date) -> list[Period]:
    """The named periods containing ``on``: the ones whose scores are stored."""
    return [containing(kind, on) for kind in NAMED_KINDS]


def stored_row(result: UnitScore, period: Period, on: dt.date, epoch: int) -> CurrentScore:
    """One unit's score of a running period, as stored (unsaved)."""
    data = result.score.to_dict()
    return CurrentScore(
        unit=result.unit,
        period_kind=period.kind.value,
        period_start=period.start,
        judged_on=period.judged_on(on),
        methodology_version=result.score.methodology_key,
        epoch=epoch,
        total=result.score.total,
        groups={g["code"]: g["points"] for g in data["groups"]},
        dossiers=result.inputs.dossiers_in_period,
        inputs=result.inputs.counts(),
    )


def _write(scorer: SubtreeScorer, units: Iterable[Unit], period: Period, on: dt.date, epoch: int) -> int:
    rows = [stored_row(scorer.unit_score(unit), period, on, epoch) for unit in units]
    CurrentScore.objects.filter(
        period_kind=period.kind.value, period_start=period.start, unit_id__in=[row.unit_id for row in rows]
    ).delete()
    CurrentScore.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _with_ancestors(scorer: SubtreeScorer, unit_ids: set[int]) -> set[int]:
    by_id = {unit.pk: unit for unit in scorer.units}
    found: set[int] = set()
    for unit_id in unit_ids:
        while unit_id is not None and unit_id in by_id and unit_id not in found:
            found.add(unit_id)
            unit_id = by_id[unit_id].parent_id
    return found


def rescore(pairs: Iterable[tuple[int, str, dt.date]], on: dt.date) -> int:
    """Inside the drain's transaction, after the roll-up of ``pairs`` was recomputed (none: the
    sweeper's drain every few seconds): store the running periods' scores of the dirty units and their
    ancestors, and of every unit whose row is missing or no longer holds; drop ended periods' rows.

    Never fails the drain: the aggregates it commits matter more than these rows, which readers do
    without (they score live). A failure is logged, and its rows are left for the next drain.
    """
    try:
        with transaction.atomic():  # a savepoint: a failure here rolls back only the scores
            return _rescore(pairs, on)
    except Exception:
        logger.exception("storing the running periods' scores failed; readers score them live")
        return 0


def _rescore(pairs: Iterable[tuple[int, str, dt.date]], on: dt.date) -> int:
    running = running_periods(on)
    by_key = {(p.kind.value, p.start): p for p in running}
    dirty: dict[Period, set[int]] = defaultdict(set)
    for unit_id, kind, start in pairs:
        if (kind, start) in by_key:
            dirty[by_key[(kind, start)]].add(unit_id)
    root_of = {pk: path.split(PATH_SEPARATOR, 1)[0] for pk, path in Unit.objects.values_list("pk", "path")}
    epoch, roots, written, healed = current_epoch(), {}, 0, False
    for period in running:
        stale = root_of.keys() - set(
            current_scores(period, on, epoch=epoch).values_list("unit_id", flat=True)
        )
        changed = dirty.get(period, set()) & root_of.keys()
        healed = healed or bool(stale)
        by_root: dict[str, set[int]] = defaultdict(set)
        for unit_id in changed | stale:
            by_root[root_of[unit_id]].add(unit_id)
        for code, unit_ids in by_root.items():
            if code not in roots:
                roots[code] = Unit.objects.get(code=code, parent__isnull=True)
            scorer = SubtreeScorer(subtree_inputs(roots[code], period, on, epoch=epoch))
            wanted = _with_ancestors(scorer, changed & unit_ids) | (stale & unit_ids)
            written += _write(scorer, [u for u in scorer.units if u.pk in wanted], period, on, epoch)
    if healed:
        for period in running:
            CurrentScore.objects.filter(period_kind=period.kind.value).exclude(
                period_start=period.start
            ).delete()
    return written
