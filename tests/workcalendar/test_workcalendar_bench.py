"""The benchmark command runs end to end on a small mix and reports both implementations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_bench_deadlines_small_run():
    out = StringIO()
    call_command("bench_deadlines", n=2000, sample=200, repeat=1, stdout=out)
    text = out.getvalue()
    assert "200/200 sample due dates identical to the baseline" in text
    summary = text.strip().splitlines()[-1]
    assert summary.startswith("SUMMARY n=2,000:") and "x faster" in summary
