"""``manage.py unlock_signin --username clerk`` (or ``--address 203.0.113.7``): lift a sign-in lock early.

The throttle's counters live in the cache (``CACHE_URL``); run this with the same settings as the web
processes, or it clears another cache.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts import throttling


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  (argparse wants a str, in the active language)
        return _("Forget the failed sign-ins of a user name and/or a client address.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help=gettext_lazy("User name whose failures to forget."))
        parser.add_argument(
            "--address", help=gettext_lazy("Client address whose failures to forget (IPv6: its /64).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username, address = options["username"], options["address"]
        if not username and not address:
            raise CommandError(_("Give --username, --address or both."))
        throttling.unlock(username=username, address=address)
        if username and address:
            done = _("Sign-in failures forgotten for user name %(username)s and address %(address)s.")
        elif username:
            done = _("Sign-in failures forgotten for user name %(username)s.")
        else:
            done = _("Sign-in failures forgotten for address %(address)s.")
        self.stdout.write(done % {"username": repr(username), "address": address})
