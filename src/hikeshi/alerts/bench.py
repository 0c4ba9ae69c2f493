"""``hikeshi bench alert-latency``: from posts pushed to the API until the alert reaches a person.

End to end in the embedded default (SQLite database and SQLite broker in a fresh data directory):
``hikeshi web`` takes ``POST /api/v1/ingest``, ``hikeshi worker`` runs the detection stage that raises the
alert and delivers its notifications to a webhook receiver and an SMTP server (aiosmtpd) that this process
runs on 127.0.0.1. Each trial uses its own organisation, so each push starts a new story; the latency of a
trial is from just before the push request until the message has arrived at the receiver.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

STORY = [
    "サンプル食品の幕の内弁当にビニール片が入ってた。異物混入って最悪、許せない",
    "サンプル食品の弁当の異物混入、写真見たけどひどすぎる。食中毒が心配",
    "サンプル食品また異物混入?管理どうなってるの。最悪",
    "サンプル食品の弁当、ビニール片の件ニュースになってる。ひどい対応",
]
POSTS_PER_TRIAL = 12
TARGET_P99_SECONDS = 10.0


@dataclass
class Arrivals:
    """First arrival time (monotonic) of a message per organisation slug, per receiver."""

    webhook: dict[str, float] = field(default_factory=dict)
    email: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, text: str) -> None:
        now = time.monotonic()
        for slug in set(re.findall(r"/o/([a-z0-9-]+)/alerts/", text)):
            with self.lock:
                getattr(self, kind).setdefault(slug, now)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _webhook_receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrivals.note("webhook", body.decode("utf-8", "replace"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Mailbox:
    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        part = message.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
        self.arrivals.note("email", str(text))
        return "250 OK"


@contextmanager
def _processes(commands: list[list[str]], env: dict[str, str], log_dir: str) -> Iterator[None]:
    started = []
    try:
        for command in commands:
            log = open(os.path.join(log_dir, f"{command[-1]}.log"), "wb")  # noqa: SIM115 - closed below
            started.append(
                (
                    subprocess.Popen(  # noqa: S603 - fixed argv (this Python, hikeshi.cli), no user input
                        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    ),
                    log,
                )
            )
        yield
    finally:
        for process, _log in started:
            # The main process only: it stops its own children (gunicorn workers, the Celery pool) cleanly.
            if process.poll() is None:
                process.terminate()
        for process, log in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def _setup(trials: int, webhook_url: str) -> dict[str, str]:
    """Organisations with a watch rule, a webhook and an e-mail channel, no quiet hours; returns slug -> token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    from hikeshi.alerts.channel_actions import do_add_channel
    from hikeshi.alerts.models import AlertSettings
    from hikeshi.api.actions import do_create_token
    from hikeshi.monitoring.actions import do_add_watch_rule
    from hikeshi.tenancy.actions import do_create_organization
    from hikeshi.tenancy.models import Role

    tokens = {}
    for index in range(trials + 1):
        slug = f"bench-{index}"
        org = do_create_organization(slug, f"ベンチ {index}")
        do_add_watch_rule(
            org, name="サンプル食品", terms=[{"name": "サンプル食品", "variants": []}], exclusions=[]
        )
        # The bench runs at any hour: quiet hours would hold 警戒 until the morning.
        AlertSettings.objects.filter(organization=org).update(quiet_start=None, quiet_end=None)
        do_add_channel(org, name="webhook", kind="webhook", config={"url": webhook_url})
        do_add_channel(org, name="mail", kind="email", config={"to": "risk@example.com"})
        _token, secret = do_create_token(org, name="bench", role=Role.ORG_ADMIN, created_by=None)
        tokens[slug] = secret
    connections.close_all()
    return tokens


def _posts(slug: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {
            "id": f"{slug}-{i}",
            "text": f"{STORY[i % len(STORY)]} #{i}",
            "url": f"https://news.example.jp/{slug}/{i}",
            "author": f"user{i}",
            "created_at": now,
            "source": "news",
            "reposts": 40 * i,
            "author_followers": 2000,
        }
        for i in range(POSTS_PER_TRIAL)
    ]


def _wait_web(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("hikeshi web did not answer /healthz in time")


def _trial(
    base: str, slug: str, token: str, arrivals: Arrivals, timeout: float
) -> tuple[float, float, float] | None:
    """(webhook, e-mail, push request) seconds from the start of the push, or None when nothing arrived."""
    started = time.monotonic()
    response = httpx.post(
        f"{base}/api/v1/ingest",
        json={"posts": _posts(slug), "source": "bench"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
    )
    response.raise_for_status()
    pushed = time.monotonic() - started
    while time.monotonic() - started < timeout:
        with arrivals.lock:
            hook, mail = arrivals.webhook.get(slug), arrivals.email.get(slug)
        if hook is not None and mail is not None:
            return hook - started, mail - started, pushed
        time.sleep(0.02)
    return None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hikeshi bench alert-latency", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="stories pushed (one organisation each)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for one trial's messages"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data directory (logs of web and worker)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.trials <= 200:
        parser.error("--trials must be 1-200")
    arrivals = Arrivals()
    data_dir = tempfile.mkdtemp(prefix="hikeshi-bench-alerts-")
    receiver = _webhook_receiver(arrivals)
    from aiosmtpd.controller import Controller

    smtp = Controller(_Mailbox(arrivals), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    web_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIKESHI_")}
    env.update(
        HIKESHI_DATA_DIR=data_dir,
        HIKESHI_PORT=str(web_port),
        HIKESHI_ALLOW_LOOPBACK_SOURCES="1",
        HIKESHI_SMTP_HOST="127.0.0.1",
        HIKESHI_SMTP_PORT=str(smtp.port),
        HIKESHI_SMTP_TLS="0",
        HIKESHI_LOG_LEVEL=os.environ.get("HIKESHI_LOG_LEVEL", "WARNING"),
        DJANGO_SETTINGS_MODULE="hikeshi.core.settings",
    )
    os.environ.update(env)
    base = f"http://127.0.0.1:{web_port}"
    try:
        tokens = _setup(args.trials, f"http://127.0.0.1:{receiver.server_address[1]}/hook")
        cli = [sys.executable, "-m", "hikeshi.cli"]
        with _processes([[*cli, "web"], [*cli, "worker"]], env, data_dir):
            _wait_web(base, time.monotonic() + 60)
            # Warm-up (not counted): the worker's first task imports the analysis models.
            if _trial(base, "bench-0", tokens["bench-0"], arrivals, args.timeout) is None:
                print("hikeshi bench alert-latency: the warm-up story never arrived", file=sys.stderr)
                return 1
            results = [
                _trial(base, f"bench-{i}", tokens[f"bench-{i}"], arrivals, args.timeout)
                for i in range(1, args.trials + 1)
            ]
    except httpx.HTTPStatusError as exc:
        # Say why the server failed, from its own log, before the data directory goes.
        log = Path(data_dir) / "web.log"
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:] if log.exists() else ""
        print(f"hikeshi bench alert-latency: {exc}\n--- web.log (end) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        smtp.stop()
        receiver.shutdown()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return _report(results, args)


def _report(results: list[tuple[float, float, float] | None], args: argparse.Namespace) -> int:
    arrived = [r for r in results if r is not None]
    missing = len(results) - len(arrived)
    figures: dict[str, Any] = {"trials": len(results), "missing": missing, "target_p99_s": TARGET_P99_SECONDS}
    for name, index in (("webhook", 0), ("email", 1), ("push_request", 2)):
        values = [r[index] for r in arrived]
        if values:
            figures[name] = {
                "p50_s": round(_percentile(values, 50), 3),
                "p99_s": round(_percentile(values, 99), 3),
                "max_s": round(max(values), 3),
            }
    both = [max(r[0], r[1]) for r in arrived]
    ok = bool(both) and missing == 0 and _percentile(both, 99) <= TARGET_P99_SECONDS
    figures["both_p99_s"] = round(_percentile(both, 99), 3) if both else None
    figures["meets_target"] = ok
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(f"trials {len(results)}, missing {missing} (timeout {args.timeout:.0f} s)")
        for name in ("webhook", "email", "push_request"):
            if name in figures:
                f = figures[name]
                print(f"{name:12} p50 {f['p50_s']:.2f} s  p99 {f['p99_s']:.2f} s  max {f['max_s']:.2f} s")
        print(
            f"both arrived: p99 {figures['both_p99_s']} s (target ≤ {TARGET_P99_SECONDS:.0f} s): "
            f"{'OK' if ok else 'MISSED'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
