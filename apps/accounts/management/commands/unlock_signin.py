"""``manage.py unlock_signin --username clerk`` (or ``--address 203.0.113.7``): lift a sign-in lock early.

The throttle's counters live in the cache (``CACHE_URL``); run this with the same settings as the web
processes, or it clears another cache.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts import throttling


class Command(BaseCommand):
    help = "Forget the failed sign-ins of a user name and/or a client address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="User name whose failures to forget.")
        parser.add_argument("--address", help="Client address whose failures to forget (IPv6: its /64).")

    def handle(self, *args: Any, **options: Any) -> None:
        username, address = options["username"], options["address"]
        if not username and not address:
            raise CommandError("Give --username, --address or both.")
        throttling.unlock(username=username, address=address)
        done = [f"user name {username!r}" if username else "", f"address {address}" if address else ""]
        self.stdout.write(f"Sign-in failures forgotten for {' and '.join(d for d in done if d)}.")
