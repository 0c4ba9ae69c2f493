"""A fake HTTP API on 127.0.0.1: records every request and answers from a script of responses."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0


@dataclass
class FakeAPI:
    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    replies: deque[Reply] = field(default_factory=deque)

    @property
    def base(self) -> str:
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def url(self, path: str = "/hook") -> str:
        return self.base + path

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)


def start_fake_api() -> FakeAPI:
    holder: dict[str, FakeAPI] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            api = holder["api"]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            api.requests.append(
                Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            reply = api.replies.popleft() if api.replies else Reply()
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api = FakeAPI(server=server)
    holder["api"] = api
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return api
