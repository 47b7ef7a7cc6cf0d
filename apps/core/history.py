"""Append-only history rows: inserted once, never updated or deleted through the ORM."""

from __future__ import annotations

from typing import Any


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
