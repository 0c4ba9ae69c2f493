"""`hikeshi serve` as `make run` starts it: a production web server, a worker and the scheduler,
all stopped by one Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # only 127.0.0.1
                return str(response.read().decode())
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {timeout} s")


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.slow
def test_serve_starts_all_roles_and_ctrl_c_stops_them(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIKESHI_")}
    env.update({"HIKESHI_DATA_DIR": str(tmp_path), "HIKESHI_PORT": str(port), "HIKESHI_WEB_WORKERS": "1"})
    subprocess.run([sys.executable, "-m", "hikeshi.cli", "migrate", "-v", "0"], env=env, check=True)
    serve = subprocess.Popen(
        [sys.executable, "-m", "hikeshi.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = wait_for(f"http://127.0.0.1:{port}/accounts/login/")
        assert '<html lang="ja">' in page and "ログイン" in page
        roles = children_of(serve.pid)
        assert len(roles) == 3
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=40) == 0
        time.sleep(0.5)
        assert not any(Path(f"/proc/{pid}").exists() for pid in roles), "a role outlived Ctrl-C"
    finally:
        if serve.poll() is None:
            serve.kill()
