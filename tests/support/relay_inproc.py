"""The relay in this process, for tests that look at its Hub while real clients talk to it:
its aiohttp app on a real port 0 socket and a real SQLite file, with one shop. (The relay as
a separate process is tests/support/relay_proc.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websockets
from aiohttp import web

from relay import protocol as p
from relay.app import make_app
from relay.server import Hub, RelayConfig
from relay.storage import Store


@dataclass(frozen=True)
class InProcessRelay:
    hub: Hub
    http: str  # http://127.0.0.1:PORT
    shop_id: str
    token: str  # the shop's (the desktop's Bearer token)

    @property
    def ws(self) -> str:
        return "ws" + self.http.removeprefix("http")


@contextlib.asynccontextmanager
async def relay_in_process(data_dir: Path) -> AsyncIterator[InProcessRelay]:
    """A relay with one shop on a new SQLite store in ``data_dir``, closed on exit."""
    store = Store(data_dir)
    shop_id, token = store.add_shop("ร้าน")
    store.commit()
    hub = Hub(store, RelayConfig(port=0))
    runner = web.AppRunner(make_app(hub))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield InProcessRelay(hub, f"http://127.0.0.1:{port}", shop_id, token)
    finally:
        await hub.close()
        await runner.cleanup()
        store.close()


async def desktop_socket(
    relay: InProcessRelay, ride: bool, **connect: Any
) -> tuple[websockets.ClientConnection, dict[str, Any]]:
    """The shop's desktop connected and welcomed (offering the ``ride`` feature when
    ``ride``; ``connect``: more arguments of ``websockets.connect``), and its welcome."""
    ws = await websockets.connect(
        f"{relay.ws}/ws/desktop",
        additional_headers={"Authorization": f"Bearer {relay.token}"},
        **connect,
    )
    try:
        features = ["ride"] if ride else []
        await ws.send(json.dumps({"type": "hello", "protocol": [1], "features": features}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 20))
        assert welcome["type"] == "welcome"
    except BaseException:
        await ws.close()
        raise
    return ws, welcome


async def stream_seqs_up_to(ws: websockets.ClientConnection, last: int) -> list[int]:
    """The stream seqs a desktop gets (riders first, as it acts on them) up to ``last``."""
    seqs: list[int] = []
    while not seqs or seqs[-1] < last:
        raw = await asyncio.wait_for(ws.recv(), 20)
        seqs += [int(f["seq"]) for f in p.unpack_riders(str(raw)) if "seq" in f]
    return seqs
