"""The desktop's relay client (real RelayClient, real SQLite) keeping the protocol: a refused
message is failed with a reason and never offered again; a replaced link stops until the
owner asks; frames from a newer relay are skipped without dropping the session."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from support.recorder import Recorder
from support.shopper import Shopper
from support.waiting import until
from websockets.asyncio.server import ServerConnection, serve

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import LinkState, RelayClient
from relay import protocol as p
from relay.protocol.connection import LinkPhase

REPLACED = "another MiniChat is connected for this shop"


@pytest.fixture
async def start_client() -> AsyncIterator[Callable[..., Any]]:
    running: list[tuple[RelayClient, asyncio.Task[None]]] = []

    async def start(db: Database, url: str, token: str) -> tuple[RelayClient, Recorder]:
        rec = Recorder()
        client = RelayClient(db, url, lambda: token, rec, backoff_base=0.05, backoff_cap=0.3)
        running.append((client, asyncio.create_task(client.run())))
        await asyncio.wait_for(rec.online.wait(), 10)
        return client, rec

    yield start
    for client, task in running:
        await client.stop()
        await asyncio.wait_for(task, 10)


async def test_a_refused_send_is_failed_with_a_reason_and_never_offered_again(
    relay: Any, db: Database, start_client: Any
) -> None:
    """2,600 emoji are 2,600 code points but 5,200 UTF-16 units: the relay refuses the send
    by its id; the desktop marks it failed, tells the owner why, and the outbox is empty."""
    r, shop_id, token = relay
    client, rec = await start_client(db, r.url, token)
    shopper = Shopper(r, shop_id)
    await shopper.connect()
    await shopper.say("s1", "สวัสดีค่ะ")
    await until(lambda: len(rec.stored) == 1)
    conv_id = rec.stored[0].conversation.id
    with db.write() as s:  # as the bot or a broadcast would queue it (no length check)
        bad = convs.queue_outgoing(s, conv_id, p.Text("😀" * 2600), "bot")
    client.wake()

    def failed() -> bool:
        with db.read() as s:
            states = {m.uid: m.state for m in convs.messages(s, conv_id, limit=10)}
        return states[bad.uid] == "failed"

    await until(failed)
    with db.read() as s:
        assert convs.pending_outbox(s) == []  # nothing left to offer again
        notes = notifications.list_notifications(s)
    note = next(n for n in notes if n.kind == notifications.NotificationKind.MESSAGE_FAILED)
    assert (note.title, note.title_en) == ("ส่งข้อความไม่สำเร็จ", "Message not sent")
    assert "แก้ไขแล้วส่งใหม่" in note.body and "edit it and send it again" in note.body_en
    assert "bad_frame" not in note.body and note.ref == f"conversation:{conv_id}"
    # the window is told once the write is done, a moment after the failed state can be read
    await until(lambda: conv_id in rec.changed)
    # the link is still up and the next message goes through
    with db.write() as s:
        convs.send_text(s, conv_id, "ขออภัยค่ะ 🙏", "owner")
    client.wake()
    reply = await shopper.next_message()
    assert reply["text"] == "ขออภัยค่ะ 🙏"
    assert client.online
    await shopper.close()


async def test_the_replaced_desktop_stops_until_the_owner_reconnects(
    relay: Any, new_db: Callable[[], Database], start_client: Any
) -> None:
    """Two MiniChats on one shop: the older link is closed with 4000 and waits — no timer —
    until its owner asks (Save and reconnect), which then replaces the other one."""
    r, _shop_id, token = relay
    first, rec1 = await start_client(new_db(), r.url, token)
    second, rec2 = await start_client(new_db(), r.url, token)
    await until(lambda: rec1.statuses[-1].reason == REPLACED)
    assert rec1.statuses[-1].state is LinkState.OFFLINE and rec1.statuses[-1].retry_in == 0
    assert first.machine.phase is LinkPhase.STOPPED
    assert [s.state for s in rec1.statuses].count(LinkState.CONNECTING) == 1
    assert second.online
    first.reconfigure()  # the owner of the first one presses "Save and reconnect"
    await until(lambda: rec2.statuses[-1].reason == REPLACED)
    await until(lambda: first.online)
    assert second.machine.phase is LinkPhase.STOPPED


class NewerRelay:
    """A relay of a newer protocol version, as a plain WebSocket server: after the welcome
    it sends frames and stream items this desktop does not know, then a message."""

    def __init__(self) -> None:
        self.acks: list[int] = []
        self.connections = 0
        self.url = ""

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        await ws.send(
            p.encode(p.DesktopWelcome(1, "s1", "ร้านใหม่", 0, 4, False, p.WidgetConfig(), ()))
        )
        conv = "widget:AAAAAAAAAAAAAAAA"
        await ws.send(json.dumps({"type": "reaction", "conversation": conv, "emoji": "👍"}))
        await ws.send(json.dumps({"type": "poll", "seq": 1, "conversation": conv}))
        hologram = {"id": "h1", "kind": "hologram", "at": "2026-12-06T03:00:00.000Z"}
        await ws.send(
            json.dumps({"type": "message", "seq": 2, "conversation": conv, "message": hologram})
        )
        msg = p.Message("m3", p.Text("ยังอยู่ค่ะ"), at="2026-12-06T03:00:01.000Z")
        await ws.send(p.encode(p.Inbound(3, conv, msg)))
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "ack":
                self.acks.append(frame["seq"])


async def test_frames_from_a_newer_relay_are_skipped_and_the_session_stays(
    db: Database,
) -> None:
    """An unknown frame type, an unknown stream item type and a message of an unknown kind
    are skipped (their positions acknowledged); the known message after them is stored, on
    the same connection."""
    newer = NewerRelay()
    async with serve(newer.handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        rec = Recorder()
        client = RelayClient(db, f"http://127.0.0.1:{port}", lambda: "t", rec, bot=False)
        task = asyncio.create_task(client.run())
        await until(lambda: len(rec.stored) == 1)
        await until(lambda: newer.acks[-1:] == [3])
        assert rec.stored[0].message.text == "ยังอยู่ค่ะ"
        assert client.online and newer.connections == 1
        assert client.machine.skipped == 3
        await client.stop()
        await asyncio.wait_for(task, 10)
