"""The relay as a real subprocess on port 0, LINE's API as a local aiohttp server, and real
WebSocket clients. Helpers are handed to tests through fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import websockets
from support.fake_line import FakeLine, sign
from support.postgres import PostgresServer, start_postgres
from support.relay_proc import Relay, add_shop, relay_cli
from websockets.asyncio.client import ClientConnection

from relay import protocol as p

# The relay process helpers are shared with the desktop's tests.
run_cli = relay_cli


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """Debian's PostgreSQL in a temporary folder, once per test module (the shared-store
    tests: each takes a database of its own with ``new_database``)."""
    server = start_postgres()
    yield server
    server.remove()


@pytest.fixture
def relay_factory(tmp_path: Path, line_api: FakeLine) -> Iterator[Any]:
    started: list[Relay] = []

    def make(*extra: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> Relay:
        d = data_dir or tmp_path / f"relay{len(started)}"
        d.mkdir(exist_ok=True)
        r = Relay(d, list(extra), {"MINICHAT_LINE_API_BASE": line_api.url, **(env or {})})
        started.append(r)
        return r

    yield make
    for r in started:  # all stopped before any log is judged: a failed check leaves none running
        if r.proc is not None:
            r.stop()
    for r in started:
        log = r.log()
        # no secrets or message bodies in logs, whatever the test did
        for needle in ("mcs_", "สวัสดี", "hello from", "channel-secret-"):
            assert needle not in log, f"log leaks {needle!r}"
        # no test expects the relay to hit an error or a bug
        assert " ERROR " not in log and "Traceback" not in log, log[-3000:]


@dataclass
class ShopRelay:
    relay: Relay
    shop_id: str
    token: str


@pytest.fixture
def shop_relay(relay_factory: Any) -> ShopRelay:
    r = relay_factory("--demo-page")
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    return ShopRelay(r, shop_id, token)


# ---------------------------------------------------------------------------------------------
# LINE's API, recorded


@pytest.fixture
def line_api() -> Iterator[FakeLine]:
    fake = FakeLine()
    yield fake
    fake.close()


# ---------------------------------------------------------------------------------------------
# WebSocket clients


class Peer:
    """A protocol client on a real socket; ``decode`` is the matching relay→peer decoder."""

    def __init__(self, ws: ClientConnection, decode: Any) -> None:
        self.ws = ws
        self.decode = decode
        self.skipped: list[Any] = []  # frames recv_type passed over, for later assertions

    async def send(self, frame: Any) -> None:
        await self.ws.send(p.encode(frame) if not isinstance(frame, str) else frame)

    async def recv(self, timeout: float = 5) -> Any:
        return self.decode(await asyncio.wait_for(self.ws.recv(), timeout))

    async def recv_type(self, cls: type, timeout: float = 5) -> Any:
        """The next frame of type ``cls``, skipping others (typing, presence...)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            frame = await self.recv(max(left, 0.01))
            if isinstance(frame, cls):
                return frame
            self.skipped.append(frame)

    async def nothing(self, wait: float = 0.3, ignore: tuple[type, ...] = ()) -> None:
        """Assert no frame arrives within ``wait`` seconds (except types in ``ignore``)."""
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except TimeoutError:
                return
            frame = self.decode(raw)
            assert isinstance(frame, ignore), f"unexpected frame {frame}"

    async def close(self) -> None:
        await self.ws.close()


async def desktop(
    relay: Relay, token: str, after: int = 0, presence: str = "online", shop: str | None = None
) -> tuple[Peer, Any]:
    """A desktop socket (``shop``: named in the URL, as the app does once it knows it)."""
    ws = await websockets.connect(
        f"{relay.ws}/ws/desktop" + (f"?shop={shop}" if shop else ""),
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=None,
        max_size=2**22,
    )
    peer = Peer(ws, p.decode_to_desktop)
    await peer.send(p.DesktopHello((1,), "tests", after, p.Presence(presence)))
    welcome = await peer.recv()
    assert isinstance(welcome, p.DesktopWelcome), welcome
    return peer, welcome


async def widget(
    relay: Relay,
    shop_id: str,
    session: str | None = None,
    after: int = 0,
    origin: str | None = None,
    features: tuple[str, ...] = (),
) -> tuple[Peer, Any]:
    """A widget socket (``features``: asked for in its hello, e.g. ``ride``)."""
    headers = {"Origin": origin} if origin else {}
    ws = await websockets.connect(
        f"{relay.ws}/ws/widget?shop={shop_id}", additional_headers=headers, compression=None
    )
    peer = Peer(ws, p.decode_to_widget)
    await peer.send(p.WidgetHello((1,), session, after, None, features))
    welcome = await peer.recv()
    assert isinstance(welcome, p.WidgetWelcome), welcome
    return peer, welcome


def text(msg_id: str, body: str, quick: tuple[p.Button, ...] = ()) -> p.Message:
    return p.Message(msg_id, p.Text(body), quick)


@pytest.fixture
def clients() -> Any:
    """The client helpers, as one namespace."""

    class C:
        desktop = staticmethod(desktop)
        widget = staticmethod(widget)
        text = staticmethod(text)
        sign = staticmethod(sign)
        add_shop = staticmethod(add_shop)
        run_cli = staticmethod(run_cli)

    return C


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def arun() -> Any:
    return run
