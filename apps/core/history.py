"""Append-only history rows: inserted once, never updated or deleted through the ORM."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _


class AppendOnlyError(Exception):
    pass


class AppendOnly:
    """Mixin for a history model. Its follow-up tasks update bookkeeping columns with ``QuerySet.update``."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:  # type: ignore[attr-defined]
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)  # type: ignore[misc]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


def event_name(owner: object, kind: str, occurred_at: dt.datetime) -> str:
    """How a history row names itself on the admin's pages: its owner, what happened and when (local)."""
    when = f"{timezone.localtime(occurred_at):%Y-%m-%d %H:%M}"
    return _("%(owner)s %(kind)s at %(time)s") % {"owner": owner, "kind": kind, "time": when}
