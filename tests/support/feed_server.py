"""A release feed served over real HTTP on port 0 (Help → About's update check): the tests
set what it answers — a feed, broken JSON, an error status."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Feed:
    """What the server answers at /feed.json: ``status`` and ``body``; ``hits`` counts asks."""

    status: int = 200
    body: bytes = b"{}"
    hits: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(
        self, feed: dict[str, Any] | None = None, *, status: int = 200, raw: bytes = b""
    ) -> None:
        with self.lock:
            self.status = status
            self.body = raw or json.dumps(feed or {}, ensure_ascii=False).encode("utf-8")


def release(version: str, **more: Any) -> dict[str, Any]:
    """A feed for ``version`` with Thai and English notes and a download for each system."""
    feed: dict[str, Any] = {
        "version": version,
        "date": "2027-01-15",
        "notes_th": "สลิปตรวจเร็วขึ้น",
        "notes_en": "Slips are checked faster",
        "downloads": {
            "windows": f"https://downloads.example/MiniChat-{version}-setup.exe",
            "macos": f"https://downloads.example/MiniChat-{version}.dmg",
            "linux": f"https://downloads.example/MiniChat-{version}-linux.tar.gz",
        },
    }
    feed.update(more)
    return feed


@contextmanager
def feed_server() -> Iterator[Feed]:
    feed = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with feed.lock:
                feed.hits += 1
                status, body = feed.status, feed.body
            if self.path != "/feed.json":
                status, body = 404, b"not found"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:  # quiet: pytest shows failures
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    feed.url = f"http://127.0.0.1:{server.server_address[1]}/feed.json"
    try:
        yield feed
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
