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


def post_worker_init(worker) -> None:
    """Move everything loaded at start-up (Django, the app's modules, the methodology tables) out of the
    garbage collector's reach: a full collection over those objects cost ~90 ms and was most of the
    uncached rankings' p95 (docs/benchmarks.md, "Unit roll-up"). Objects made per request are collected
    as before."""
    import gc

    gc.freeze()
