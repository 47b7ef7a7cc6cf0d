"""Create or extend the default working calendar (idempotent); run at every deployment."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from apps.workcalendar.services import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR, ensure_default_calendar


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  (argparse wants a str, in the active language)
        return _("Create the default working calendar with the announced swaps, or extend its year range.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--first-year", type=int, default=DEFAULT_FIRST_YEAR)
        parser.add_argument("--last-year", type=int, default=DEFAULT_LAST_YEAR)

    def handle(self, *args, first_year: int, last_year: int, **options) -> None:
        calendar = ensure_default_calendar(first_year, last_year)
        self.stdout.write(
            _("The default calendar covers %(first)s-%(last)s (revision %(revision)s).")
            % {"first": calendar.first_year, "last": calendar.last_year, "revision": calendar.revision}
        )
