from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

ROLES = ("web", "worker", "scheduler")
STOP_GRACE_SECONDS = 15


class Command(BaseCommand):
    help = "Run web, worker and scheduler together; Ctrl-C stops all of them."

    def handle(self, *args: Any, **options: Any) -> None:
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for role in ROLES:
            # Each role in its own session so a terminal Ctrl-C reaches us once and we stop them in order.
            children[role] = subprocess.Popen(  # noqa: S603 - fixed argv, no user input
                [sys.executable, "-m", "hikeshi.cli", role], start_new_session=True
            )
        exit_code = 0
        try:
            while not stopping:
                for role, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(
                            f"hikeshi serve: {role} exited with code {child.returncode}; stopping"
                        )
                        exit_code = 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self._stop_all(children)
        if exit_code:
            raise SystemExit(exit_code)
        self.stdout.write("hikeshi serve: stopped")

    def _stop_all(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
