"""A commit's stream items reach the desktop from memory, a page at a time, however many one
commit holds (a busy relay commits hundreds per loop turn): in order, each once, and without
reading back from the store what it just wrote; a reconnect still reads them from the store.

The relay runs in this process (its Hub and aiohttp app on a real port 0 socket, a real
SQLite file); the desktop is a real WebSocket client."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from support.relay_inproc import InProcessRelay

from relay import protocol as p
from relay.server import DESKTOP_PAGE

CONV = "widget:AAAAAAAAAAAAAAAA"
BURST = 2 * DESKTOP_PAGE + 234  # one commit's items: more than two pages
# (make_app keeps its static files under plain string keys, as the relay process does)


async def _desktop(url: str, token: str, ride: bool) -> websockets.ClientConnection:
    ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"})
    features = ["ride"] if ride else []
    await ws.send(json.dumps({"type": "hello", "protocol": [1], "features": features}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 20))
    assert welcome["type"] == "welcome"
    assert ("ride" in welcome.get("features", [])) is ride
    return ws


async def _seqs_up_to(ws: websockets.ClientConnection, last: int) -> list[int]:
    """The stream seqs the desktop gets (riders first, as it acts on them) up to ``last``."""
    seqs: list[int] = []
    while not seqs or seqs[-1] < last:
        raw = await asyncio.wait_for(ws.recv(), 20)
        seqs += [int(f["seq"]) for f in p.unpack_riders(str(raw)) if "seq" in f]
    return seqs


@pytest.mark.parametrize("ride", [False, True])
async def test_a_big_commit_reaches_the_desktop_from_memory_in_order(
    relay: InProcessRelay, ride: bool
) -> None:
    hub, shop_id, token = relay.hub, relay.shop_id, relay.token
    url = f"{relay.ws}/ws/desktop"
    desk = await _desktop(url, token, ride)
    try:
        for i in range(BURST):  # one loop turn: one commit
            hub.push_stream(
                shop_id, lambda s, i=i: p.Receipt(CONV, p.ReceiptStatus.SENT, (f"r-{i}",), s)
            )
        assert await _seqs_up_to(desk, BURST) == list(range(1, BURST + 1))
        assert hub.stream_pages_read == 0  # nothing read back: the commit's texts were kept
    finally:
        await desk.close()

    again = await _desktop(url, token, ride)  # nothing acked: the store has them all
    try:
        assert await _seqs_up_to(again, BURST) == list(range(1, BURST + 1))
        assert hub.stream_pages_read >= 3
    finally:
        await again.close()
