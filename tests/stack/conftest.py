"""Real Celery processes for the stack tests: workers and beat against the test database and Redis.

Each process logs to a file (a pipe nobody reads would fill up and block it); the file is shown when a
process fails to start. Every process a test starts is stopped at teardown, killed if it does not stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casetracker.celery import app as celery_app
from tests.helpers import database_url_for_subprocesses, set_eager

ROOT = Path(__file__).resolve().parents[2]
# Captured before any test points this process at another broker (tests/stack/broker.py).
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")


class Stack:
    """Starts ``celery worker`` / ``celery beat`` subprocesses and stops them all at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: list[subprocess.Popen] = []
        self.started = 0

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        self.started += 1
        log = self.logs / f"{self.started:02d}-{name}.log"
        env = {**os.environ, "DATABASE_URL": database_url_for_subprocesses(), "CELERY_BROKER_URL": BROKER_URL}
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "casetracker", *args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        process.log = log  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    def start_worker(self) -> subprocess.Popen:
        """A worker (one process, ``--pool=solo``: ``kill -9`` of it stops the task it runs), once it
        consumes. Readiness is read from its log: a busy solo worker does not answer pings."""
        process = self._spawn(
            "worker",
            ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             f"--hostname=stack-test-{self.started + 1}@%h"],
        )  # fmt: skip
        self._wait_for(process, f"stack-test-{self.started}@", " ready.")
        return process

    @staticmethod
    def _wait_for(process: subprocess.Popen, *parts: str) -> None:
        deadline = time.monotonic() + 60
        while not any(all(p in line for p in parts) for line in process.log.read_text().splitlines()):
            assert process.poll() is None, process.log.read_text()
            assert time.monotonic() < deadline, f"{process.args} did not log {parts} within 60 s"
            time.sleep(0.05)

    def start_beat(self) -> subprocess.Popen:
        """Celery beat with the project's schedule (the sweepers every few seconds), once it runs."""
        schedule = self.logs / f"beat-schedule-{self.started + 1}"
        process = self._spawn("beat", ["beat", "--loglevel=INFO", f"--schedule={schedule}"])
        self._wait_for(process, "beat: Starting...")
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """``kill -9``: no warm shutdown, the running task and its unacknowledged message are abandoned."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _forget_messages() -> None:
    """Queued messages and those a killed worker held (Redis keeps them in ``unacked``): none may run in a
    later test."""
    celery_app.control.purge()
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def stack(tmp_path):
    set_eager(False)
    _forget_messages()
    processes = Stack(tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()
        _forget_messages()
        set_eager(True)


@pytest.fixture
def worker(stack):
    """One running worker."""
    return stack.start_worker()
