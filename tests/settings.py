"""The project's settings as the test suite runs them: DEBUG on, as in development.

``DEBUG`` defaults to off (production), which requires ``SECRET_KEY`` and sends every plain-HTTP
request to HTTPS. The suite is a development run: it sets ``DEBUG=true`` in the environment before the
settings are read, so processes the tests start (workers, parallel writers) inherit it. The production
defaults are tested in subprocesses with their own environment (tests/test_production_settings.py).
pytest-django still runs the tests themselves with ``settings.DEBUG = False``.
"""

import os

os.environ["DEBUG"] = "true"

from casetracker.settings import *  # noqa: F403
