"""The relay in this process, for tests that look at its Hub while real clients talk to it:
its aiohttp app on a real port 0 socket and a real SQLite file, with one shop. (The relay as
a separate process is tests/support/relay_proc.py.)"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

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
