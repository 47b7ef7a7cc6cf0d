"""gunicorn reads this file from the working directory: `gunicorn casetracker.wsgi --bind …` needs no more.

One access line per request on stdout, in the same key=value style as the application's log (stderr),
with the request id the app returns in `X-Request-ID`: `grep request_id=<id>` finds both.
"""

accesslog = "-"
access_log_format = (
    'client=%(h)s method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s duration_ms=%(M)s '
    "request_id=%({x-request-id}o)s"
)
# A request running longer than this is killed with its worker; IDEMPOTENCY_LEASE_SECONDS must be larger.
timeout = 30
