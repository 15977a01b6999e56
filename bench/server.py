"""Start the site under gunicorn with production settings on a free loopback port, for one benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict, workers: int = 3, threads: int = 2):
        self.port = free_port()
        self.env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "0"}
        self.env.pop("PYTEST_VERSION", None)
        self.workers, self.threads = workers, threads
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.proc = subprocess.Popen(
            [
                str(gunicorn),
                "rectify.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--access-logfile",
                "/dev/null",
                "--error-logfile",
                "-",
                "--log-level",
                "warning",
                "--timeout",
                "120",
            ],  # fmt: skip
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=10)
                return self
            except urllib.error.HTTPError as e:
                self.__exit__()
                raise RuntimeError(f"gunicorn answers {e.code}: " + self.proc.stderr.read().decode()[-3000:])
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn failed: " + self.proc.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
