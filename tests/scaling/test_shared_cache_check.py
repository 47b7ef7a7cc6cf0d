"""``check --deploy`` warns when limits and cached facts would be counted per process (apps/core/checks.py)."""

from __future__ import annotations

from tests.test_production_settings import PRODUCTION, _run


def test_deploy_check_warns_about_a_per_process_cache():
    settings = {k: v for k, v in PRODUCTION.items() if k != "CACHE_URL"}
    run = _run(["manage.py", "check", "--deploy"], **settings, CACHE_URL="")
    assert "core.W001" in run.stdout + run.stderr
    assert "CACHE_URL" in run.stdout + run.stderr


def test_deploy_check_is_quiet_about_the_cache_with_redis():
    run = _run(["manage.py", "check", "--deploy"], **PRODUCTION)
    assert "core.W001" not in run.stdout + run.stderr
