"""The desktop's relay link with and without the ``ride`` feature (docs/adr/0011-fewer-frames.md):
against a relay that grants it the stream acks ride in the replies; against one that does not
(as a relay older than the feature) the link acks alone as before. Real relay process, real
shopper socket, the desktop's real client and database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from support.relay_proc import Relay, one_shop_relay
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database
from relay import protocol as p


@pytest.fixture(params=[True, False], ids=["relay-grants-ride", "relay-without-ride"])
def relay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Relay, str, str]]:
    """The one-shop relay, granting ride or not (as a relay older than the feature); the
    conftest's ``desktop`` links the desktop's real client to it."""
    env = {} if request.param else {"MINICHAT_RELAY_RIDE": "0"}
    r, shop_id, token = one_shop_relay(tmp_path / "relay", env)
    yield r, shop_id, token
    if r.proc is not None:
        r.stop()


async def _relay_position(r: Relay, token: str) -> tuple[int, int]:
    """(after, pending) as the relay's welcome tells a new desktop connection."""
    async with websockets.connect(
        f"{r.ws}/ws/desktop", additional_headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        await ws.send(p.encode(p.DesktopHello()))
        welcome = json.loads(await ws.recv())
        return welcome["after"], welcome["pending"]


async def test_the_link_acks_and_is_accepted_with_or_without_ride(
    relay: Any, db: Database, desktop: Any
) -> None:
    r, shop_id, token = relay
    client, rec = desktop
    grants = "MINICHAT_RELAY_RIDE" not in r.env
    assert client.machine.ride is grants
    assert client.welcome is not None and client.welcome.features == ((p.RIDE,) if grants else ())
    shopper = Shopper(r, shop_id)
    await shopper.connect()
    try:
        for i in range(3):
            await shopper.say(f"m{i}", f"มีเสื้อสีแดงไหม {i}")
            await until(lambda i=i: len(rec.stored) == i + 1)
            with db.write() as s:
                convs.send_text(s, rec.stored[i].conversation.id, f"มีค่ะ {i}", "owner")
            client.wake()
            reply = await shopper.next_message()  # acknowledged: a delivered receipt follows
            assert reply["text"] == f"มีค่ะ {i}"

        def settled() -> bool:
            with db.read() as s:
                return not convs.pending_outbox(s) and client.machine.acked == 6

        # every reply accepted; the stream (3 messages, 3 delivered receipts) acked: the last
        # ack alone (with ride, after waiting for a send to ride in)
        await until(settled)
    finally:
        await shopper.close()
    await client.stop()
    after, pending = await _relay_position(r, token)
    assert after == client.machine.acked and pending == 0
