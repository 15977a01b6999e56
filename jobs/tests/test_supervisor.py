"""bin/serve's supervisor: a process that dies is started again; the others keep running."""

import os
import re
import signal
import subprocess
import sys
import time

from django.conf import settings

SLEEPER = f"{sys.executable} -c 'import time; time.sleep(120)'"


def _read_until(proc, pattern, seconds=20):
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if m := re.search(pattern, line):
            return m
    raise AssertionError(f"no {pattern!r} in {seen}")


def test_it_restarts_a_crashed_process_without_touching_the_others():
    sup = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "rectify.supervisor",
            "--min-backoff",
            "0.2",
            "--grace",
            "3",
            "--run",
            f"web={SLEEPER}",
            "--run",
            f"worker={SLEEPER}",
        ],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pids = {}
        for _ in range(2):
            m = _read_until(sup, r"started (\w+) pid (\d+)")
            pids[m[1]] = int(m[2])
        os.kill(pids["worker"], signal.SIGKILL)  # the worker dies mid-report
        _read_until(sup, r"worker ended with code -9")
        new_worker = int(_read_until(sup, r"started worker pid (\d+)")[1])
        assert new_worker != pids["worker"]
        os.kill(pids["web"], 0)  # the web server was never touched (raises if it is gone)
        os.kill(new_worker, 0)
        # A process that keeps crashing waits longer each time.
        os.kill(new_worker, signal.SIGKILL)
        assert float(_read_until(sup, r"worker ended .* in ([\d.]+) s")[1]) == 0.4
    finally:
        sup.send_signal(signal.SIGTERM)
        sup.wait(15)
    assert sup.returncode == 0
    for pid in pids.values():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"process {pid} still runs after the supervisor stopped")


def test_it_gives_each_gunicorn_instance_its_own_control_socket_or_none(monkeypatch, tmp_path):
    import runpy

    config = settings.BASE_DIR / "gunicorn.conf.py"
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    plain = runpy.run_path(str(config))
    assert plain["control_socket_disable"] is True and "control_socket" not in plain
    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", str(tmp_path / "node-a.ctl"))
    own = runpy.run_path(str(config))
    assert own["control_socket"] == str(tmp_path / "node-a.ctl") and own["control_socket_mode"] == 0o600
    assert "control_socket_disable" not in own
