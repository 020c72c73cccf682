"""A socket's frames are written by one callback per loop turn, with no task of its own,
until the peer reads too slowly: then a task sends frame by frame as the peer takes them,
and batches again once it has caught up. Either way every frame arrives once, in order.

The relay runs in this process (its Hub and aiohttp app on a real port 0 socket, a real
SQLite file); the desktop is a real WebSocket client that stops reading for a while."""

from __future__ import annotations

import pytest
from support.relay_inproc import InProcessRelay, desktop_socket, stream_seqs_up_to
from support.waiting import until

from relay import protocol as p

CONV = "widget:AAAAAAAAAAAAAAAA"
ITEMS = 3000  # of about 1.6 KB each: far more than the kernel's socket buffers hold


@pytest.mark.parametrize("ride", [False, True])
async def test_a_desktop_that_reads_late_gets_every_item_once_in_order(
    relay: InProcessRelay, ride: bool
) -> None:
    hub, shop_id = relay.hub, relay.shop_id
    # max_queue: the client stops reading its socket once a few messages wait unread
    desk, _ = await desktop_socket(relay, ride, max_queue=2)
    try:
        link = hub.shops[shop_id].desktop
        assert link is not None
        for i in range(ITEMS):
            ids = tuple(f"r-{i}-{k:03d}" for k in range(150))
            hub.push_stream(
                shop_id, lambda s, ids=ids: p.Receipt(CONV, p.ReceiptStatus.SENT, ids, s)
            )
        await until(lambda: link.conn.waiting_for_peer, 20)  # the kernel's buffers are full

        seqs = await stream_seqs_up_to(desk, ITEMS)
        assert seqs == list(range(1, ITEMS + 1))
        await until(lambda: not link.conn.waiting_for_peer, 20)  # caught up: batches again
    finally:
        await desk.close()
