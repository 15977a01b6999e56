"""Keeps the processes of one node running: `python -m rectify.supervisor --run NAME=COMMAND …`.

A process that ends (crash, kill, out of memory) is started again after a backoff (1 s, doubling up to
60 s, back to 1 s once it has run a minute), and the others are left alone: a dead worker never takes
the web server down. SIGTERM or Ctrl-C stops every process (SIGTERM, then SIGKILL after --grace s).
Plain Python, no Django: bin/serve uses it; under systemd or Kubernetes run the commands directly.
"""

import argparse
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    backoff: float = 0.0
    restart_at: float | None = None
    restarts: int = field(default=0)


def say(message: str) -> None:
    print(f"[supervisor] {message}", flush=True)


class Supervisor:
    def __init__(
        self,
        children: list[Child],
        *,
        min_backoff: float = 1.0,
        max_backoff: float = 60.0,
        stable_after: float = 60.0,
        grace: float = 10.0,
    ):
        self.children = children
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.stable_after, self.grace = stable_after, grace
        self.stopping = False

    def start(self, child: Child) -> None:
        # A session of its own: Ctrl-C in the terminal reaches the supervisor only, which stops the
        # children in order instead of all of them at once.
        child.process = subprocess.Popen(child.argv, start_new_session=True)  # noqa: S603 (our own commands)
        child.started = time.monotonic()
        child.restart_at = None
        say(f"started {child.name} pid {child.process.pid}")

    def check(self, child: Child) -> None:
        now = time.monotonic()
        if child.process is None:
            if child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self.start(child)
            return
        code = child.process.poll()
        if code is None:
            return
        ran = now - child.started
        child.backoff = (
            self.min_backoff
            if ran >= self.stable_after or not child.backoff
            else min(child.backoff * 2, self.max_backoff)
        )
        child.process, child.restart_at = None, now + child.backoff
        say(f"{child.name} ended with code {code} after {ran:.0f} s; starting it again in {child.backoff:g} s")

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for child in self.children:
            self.start(child)
        while not self.stopping:
            for child in self.children:
                self.check(child)
            time.sleep(0.2)
        self.stop_all()
        return 0

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def stop_all(self) -> None:
        say("stopping")
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for p in running:
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for p in running:
            try:
                p.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        say("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, metavar="NAME=COMMAND")
    parser.add_argument("--min-backoff", type=float, default=1.0)
    parser.add_argument("--max-backoff", type=float, default=60.0)
    parser.add_argument("--grace", type=float, default=10.0)
    args = parser.parse_args(argv)
    children = []
    for spec in args.run:
        name, _, command = spec.partition("=")
        if not name or not command:
            parser.error(f"--run wants NAME=COMMAND, got {spec!r}")
        children.append(Child(name=name, argv=shlex.split(command)))
    return Supervisor(children, min_backoff=args.min_backoff, max_backoff=args.max_backoff, grace=args.grace).run()


if __name__ == "__main__":
    sys.exit(main())
