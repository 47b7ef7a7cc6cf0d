#!/usr/bin/env python3
"""Send issue 7's hostile requests to a running server and print ``method path | status | code | field``.

For trying a deployment as an attacker would (gunicorn, ``DEBUG=false``); the suite holds the same cases
as tests (tests/api/test_hostile_input.py). Only ever point it at a server of your own on 127.0.0.1.

    STAFF_TOKEN=… API_KEY=… scripts/reliability/probe_hostile.py http://127.0.0.1:8000 \
        --unit H44 --commune H44.100 --procedure 1.004873

Exit status 1 if any answer is a 5xx.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request
from urllib.parse import quote


def _cursor(text: str) -> str:
    return quote(base64.b64encode(text.encode()).decode())


def cases(unit: str, commune: str, procedure: str) -> list[tuple[str, str, str | None, str]]:
    """(method, path, body, who) — ``who`` is ``staff`` or ``machine``."""

    def dossier(**extra: object) -> str:
        return json.dumps({"procedure": procedure, "receiving_unit": commune, **extra})

    def ingest(**extra: object) -> str:
        item = {"external_id": "PROBE-1", "procedure": procedure, "receiving_unit": commune,
                "received_at": "2026-11-20T09:00:00+07:00", **extra}  # fmt: skip
        return json.dumps({"mode": "all_or_nothing", "items": [item]})

    deep = "[" * 1000 + "]" * 1000
    u = f"/api/v1/units/{unit}"
    return [
        ("GET", "/api/v1/dossiers/%00/", None, "machine"),
        ("GET", "/api/v1/dossiers/?code=%00", None, "machine"),
        ("GET", "/api/v1/dossiers/?external_id=A%00B", None, "machine"),
        ("GET", f"{u}%00/score/", None, "machine"),
        ("POST", "/api/v1/dossiers/", dossier(applicant_name="A\u0000B"), "staff"),
        ("POST", "/api/v1/dossiers/", dossier(code="X\u0000"), "staff"),
        ("POST", "/api/v1/ingest/", ingest(external_id="E\u0000"), "machine"),
        ("GET", "/api/v1/dossiers/?due_to=2026-01-01T00:00:00%2B16:00", None, "machine"),
        ("POST", "/api/v1/dossiers/", dossier(received_at="2026-01-01T00:00:00+16:00"), "staff"),
        ("POST", "/api/v1/ingest/", ingest(received_at="0001-01-01T00:00:00+07:00"), "machine"),
        ("GET", f"{u}/score/?period=2026-01-01..9999-12-31", None, "machine"),
        ("GET", "/api/v1/dossiers/?received_to=9999-12-31", None, "machine"),
        ("GET", "/api/v1/dossiers/?cursor=garbage!", None, "machine"),
        ("GET", f"/api/v1/dossiers/?cursor={_cursor('p=not-a-date')}", None, "machine"),
        ("GET", f"/api/v1/dossiers/?cursor={_cursor('p=2026-01-01 00:00:00+16:00')}", None, "machine"),
        ("GET", f"/api/v1/dossiers/?cursor={_cursor('p=%00')}", None, "machine"),
        ("GET", f"{u}/score/?period=2021", None, "machine"),
        ("GET", f"{u}/rankings/?period=2021", None, "machine"),
        ("GET", f"{u}/trend/?kind=year&count=53", None, "machine"),
        ("GET", f"{u}/rankings/?bands=NaN", None, "machine"),
        ("GET", f"{u}/rankings/?bands=Infinity", None, "machine"),
        ("GET", f"{u}/what-if/?target=CLGQ:NaN", None, "machine"),
        ("POST", "/api/v1/dossiers/", deep, "staff"),
        ("POST", "/api/v1/ingest/", deep, "machine"),
        ("POST", "/api/v1/integrations/clients/", deep, "staff"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--unit", default="H44")
    parser.add_argument("--commune", default="H44.100")
    parser.add_argument("--procedure", default="1.004873")
    args = parser.parse_args()
    auth = {"staff": f"Token {os.environ['STAFF_TOKEN']}", "machine": f"Api-Key {os.environ['API_KEY']}"}
    worst = 0
    for method, path, body, who in cases(args.unit, args.commune, args.procedure):
        request = urllib.request.Request(
            args.base + path,
            body.encode() if body else None,
            {"Authorization": auth[who], "Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        errors = data.get("errors") if isinstance(data, dict) else None
        code = data.get("code", "") if isinstance(data, dict) else ""
        field = errors[0].get("field") if errors else None
        worst = max(worst, status)
        shown = path if body is None else f"{path} body={body[:50]!r}"
        print(f"{method} {shown} | {status} | {code} | {field}")
    print(f"highest status: {worst}")
    return 1 if worst >= 500 else 0


if __name__ == "__main__":
    sys.exit(main())
