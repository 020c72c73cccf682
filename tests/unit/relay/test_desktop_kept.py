"""A commit's stream items reach the desktop from memory, a page at a time, however many one
commit holds (a busy relay commits hundreds per loop turn): in order, each once, and without
reading back from the store what it just wrote; a reconnect still reads them from the store.

The relay runs in this process (its Hub and aiohttp app on a real port 0 socket, a real
SQLite file); the desktop is a real WebSocket client."""

from __future__ import annotations

import pytest
import websockets
from support.relay_inproc import InProcessRelay, desktop_socket, stream_seqs_up_to

from relay import protocol as p
from relay.server import DESKTOP_PAGE

CONV = "widget:AAAAAAAAAAAAAAAA"
BURST = 2 * DESKTOP_PAGE + 234  # one commit's items: more than two pages
# (make_app keeps its static files under plain string keys, as the relay process does)


async def _desktop(relay: InProcessRelay, ride: bool) -> websockets.ClientConnection:
    ws, welcome = await desktop_socket(relay, ride)
    assert ("ride" in welcome.get("features", [])) is ride
    return ws


@pytest.mark.parametrize("ride", [False, True])
async def test_a_big_commit_reaches_the_desktop_from_memory_in_order(
    relay: InProcessRelay, ride: bool
) -> None:
    hub, shop_id = relay.hub, relay.shop_id
    desk = await _desktop(relay, ride)
    try:
        for i in range(BURST):  # one loop turn: one commit
            hub.push_stream(
                shop_id, lambda s, i=i: p.Receipt(CONV, p.ReceiptStatus.SENT, (f"r-{i}",), s)
            )
        assert await stream_seqs_up_to(desk, BURST) == list(range(1, BURST + 1))
        assert hub.stream_pages_read == 0  # nothing read back: the commit's texts were kept
    finally:
        await desk.close()

    again = await _desktop(relay, ride)  # nothing acked: the store has them all
    try:
        assert await stream_seqs_up_to(again, BURST) == list(range(1, BURST + 1))
        assert hub.stream_pages_read >= 3
    finally:
        await again.close()
