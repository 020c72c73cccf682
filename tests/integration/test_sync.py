"""The desktop's relay client against a real relay process and a real shopper socket."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from support.recorder import Recorder
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import ConversationMode, Setting
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import LinkState, RelayClient


@pytest.fixture
async def shopper_for(relay: Any) -> AsyncIterator[Callable[[], Shopper]]:
    r, shop_id, _ = relay
    made: list[Shopper] = []

    def make() -> Shopper:
        made.append(Shopper(r, shop_id))
        return made[-1]

    yield make
    for shopper in made:
        await shopper.close()


@pytest.fixture
async def desktop(relay: Any, db: Database) -> AsyncIterator[Callable[..., Any]]:
    r, _shop_id, token = relay
    running: list[tuple[RelayClient, asyncio.Task[None]]] = []

    async def start(database: Database = db) -> tuple[RelayClient, Recorder]:
        rec = Recorder()
        client = RelayClient(
            database, r.url, lambda: token, rec, backoff_base=0.05, backoff_cap=0.3
        )
        running.append((client, asyncio.create_task(client.run())))
        await asyncio.wait_for(rec.online.wait(), 10)
        return client, rec

    yield start
    for client, task in running:
        await client.stop()
        await asyncio.wait_for(task, 10)


async def test_shopper_message_is_stored_and_reply_reaches_the_shopper(
    shopper_for: Any, relay: Any, db: Database, desktop: Any
) -> None:
    _r, _shop_id, _ = relay
    client, rec = await desktop()
    shopper = shopper_for()
    await shopper.connect()
    await shopper.say("m1", "<img src=x> มีเสื้อสีแดงไหม")
    await until(lambda: len(rec.stored) == 1)
    inbound = rec.stored[0]
    assert inbound.message.text == "<img src=x> มีเสื้อสีแดงไหม"
    assert inbound.conversation.ref == shopper.conversation and inbound.new_conversation
    with db.write() as s:
        convs.send_text(s, inbound.conversation.id, "มีค่ะ ราคา 259 บาท", "owner")
    client.wake()
    reply = await shopper.next_message()
    assert (reply["kind"], reply["text"]) == ("text", "มีค่ะ ราคา 259 บาท")

    def outbox_empty() -> bool:
        with db.read() as s:
            return not convs.pending_outbox(s)

    await until(outbox_empty)


async def test_takeover_notice_reaches_the_shopper(
    shopper_for: Any, relay: Any, db: Database, desktop: Any
) -> None:
    _r, _shop_id, _ = relay
    client, rec = await desktop()
    shopper = shopper_for()
    await shopper.connect()
    await shopper.say("m1", "สวัสดี")
    await until(lambda: len(rec.stored) == 1)
    cid = rec.stored[0].conversation.id
    with db.write() as s:
        view = convs.take_over(s, cid, "เจ้าของร้าน")
        assert view.mode == ConversationMode.HUMAN
        assert not convs.bot_may_answer(s, cid, "ราคาเท่าไหร่?")
    client.wake()
    notice = await shopper.next_message()
    assert notice["kind"] == "takeover" and notice["state"] == "started"
    with db.write() as s:
        convs.end_session(s, cid, "เจ้าของร้าน")
        assert convs.bot_may_answer(s, cid, "ราคาเท่าไหร่")  # passive: a question
        assert not convs.bot_may_answer(s, cid, "โอเคค่ะ")  # passive: not a question
    client.wake()
    ended = await shopper.next_message()
    assert ended["kind"] == "takeover" and ended["state"] == "ended"


async def test_reply_typed_while_relay_is_down_arrives_after_restart(
    shopper_for: Any, relay: Any, db: Database, desktop: Any
) -> None:
    r, _shop_id, _ = relay
    client, rec = await desktop()
    shopper = shopper_for()
    await shopper.connect()
    await shopper.say("m1", "ฮัลโหล")
    await until(lambda: len(rec.stored) == 1)
    cid = rec.stored[0].conversation.id
    port = r.port
    r.kill()
    await until(lambda: rec.statuses[-1].state is not LinkState.ONLINE)
    with db.write() as s:
        convs.send_text(s, cid, "ตอบตอนรีเลย์ล่ม", "owner")
    client.wake()
    await asyncio.sleep(0.2)
    # down: offline between tries, connecting during one (tries come every 0.05–0.3 s)
    assert rec.statuses[-1].state is not LinkState.ONLINE
    assert "unreachable" in rec.statuses[-1].reason or "closed" in rec.statuses[-1].reason
    r.start(port)
    await asyncio.wait_for(rec.online.wait(), 10)
    await shopper.connect()
    got = await shopper.next_message(10)
    assert got["text"] == "ตอบตอนรีเลย์ล่ม"


async def test_outbox_survives_a_desktop_restart(
    shopper_for: Any, relay: Any, new_db: Any, tmp_path: Path, desktop: Any
) -> None:
    """A reply stored while the desktop had no link is sent by the next desktop process."""
    _r, _shop_id, _ = relay
    db = new_db()
    client, rec = await desktop(db)
    shopper = shopper_for()
    await shopper.connect()
    await shopper.say("m1", "อยู่ไหม")
    await until(lambda: len(rec.stored) == 1)
    cid = rec.stored[0].conversation.id
    await client.stop()  # the desktop quits...
    with db.write() as s:  # ...right after the owner pressed send
        convs.send_text(s, cid, "อยู่ค่ะ", "owner")
    db.dispose()
    reopened = Database.open(db.path.parent, backup=False)
    try:
        await desktop(reopened)
        got = await shopper.next_message(10)
        assert got["text"] == "อยู่ค่ะ"
    finally:
        reopened.dispose()


async def test_messages_while_desktop_closed_arrive_in_order_once(
    shopper_for: Any, relay: Any, db: Database, desktop: Any
) -> None:
    _r, _shop_id, _ = relay
    shopper = shopper_for()
    await shopper.connect()
    for i in range(15):  # under the relay's per-shopper burst limit
        await shopper.say(f"n{i}", f"ข้อความ {i}")
    await shopper.say("n5", "ข้อความ 5 ซ้ำ")  # a resent id is dropped
    await asyncio.sleep(0.3)
    client, rec = await desktop()
    await until(lambda: len(rec.stored) == 15)
    await client.stop()
    _client2, rec2 = await desktop()  # reconnect: nothing comes twice
    await asyncio.sleep(0.3)
    assert rec2.stored == []
    with db.read() as s:
        conv = convs.find_conversation(s, shopper.conversation)
        assert conv is not None and conv.unread == 15
        texts = [m.text for m in convs.messages(s, conv.id, limit=100)]
    assert texts == [f"ข้อความ {i}" for i in range(15)]


async def test_bad_token_is_reported_and_not_hammered(
    shopper_for: Any, relay: Any, db: Database
) -> None:
    """A refused token stops the link (no retry timer) until the owner saves the settings."""
    from relay.protocol.connection import LinkPhase

    r, _, _ = relay
    rec = Recorder()
    client = RelayClient(db, r.url, lambda: "wrong-token", rec, backoff_base=0.01)
    task = asyncio.create_task(client.run())
    await until(lambda: any(s.state is LinkState.OFFLINE and s.reason for s in rec.statuses))
    last = rec.statuses[-1]
    assert last.reason == "the relay refused the shop token" and last.retry_in == 0
    assert client.machine.phase is LinkPhase.STOPPED  # waits for the owner, no timer
    assert sum(s.state is LinkState.CONNECTING for s in rec.statuses) == 1
    client.reconfigure()  # the owner saved the settings: one more try
    await until(lambda: sum(s.state is LinkState.CONNECTING for s in rec.statuses) == 2)
    await client.stop()
    await asyncio.wait_for(task, 5)


async def test_the_link_catches_the_relay_up_with_no_screen_open(relay: Any, db: Database) -> None:
    """The widget's look and LINE credentials saved while offline reach the relay on the next
    welcome from the relay link alone (no settings screen exists), once."""
    from minichat_desktop.app import relay_link
    from minichat_desktop.app.settings import store_widget_settings
    from relay import protocol as p

    r, _shop_id, token = relay
    look = p.WidgetConfig(shop_name="ร้านฟ้าใส", color="#1C7ED6", position="left")
    with db.write() as s:
        store_widget_settings(s, look.to_obj(), ["https://fahsai.example"])
        relay_link.line_pending(s, "set")
    rec = Recorder()
    client = RelayClient(
        db,
        r.url,
        lambda: token,
        rec,
        line_credentials=lambda: ("0123456789abcdef0123456789abcdef", "line-token-for-the-test"),
        backoff_base=0.05,
        backoff_cap=0.3,
    )
    task = asyncio.create_task(client.run())
    try:
        await until(lambda: rec.caught_up_with == [("widget", "line_set")], 10)
        first = client.welcome
        assert first is not None and not first.line_configured
        with db.read() as s:
            assert s.get(Setting, relay_link.LINE_PENDING_KEY).value == {"v": None}
        client.reconfigure()  # a new connection: the relay's welcome now has what we sent
        await until(lambda: client.welcome is not first and client.online, 10)
        again = client.welcome
        assert again is not None and again.line_configured
        assert again.widget_config == look and again.allowed_origins == ("https://fahsai.example",)
        await asyncio.sleep(0.2)  # would a second catch-up go out? (nothing differs now)
        assert rec.caught_up_with == [("widget", "line_set")]
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)


async def test_a_reply_queued_while_the_outbox_is_being_read_goes_at_once(
    shopper_for: Any, db: Database, desktop: Any
) -> None:
    """Replies queued one after another from another thread, as the bot queues its answers,
    each a moment after the shopper got the one before: the moment the link reads the outbox
    again because the relay accepted that one. Each reaches the shopper at once. A wake that
    came during that read was lost, and the reply waited for the 5-second resend (a bot answer
    once came 5 s late)."""
    _client, rec = await desktop()
    shopper = shopper_for()
    await shopper.connect()
    await shopper.say("m1", "สวัสดีค่ะ")
    await until(lambda: len(rec.stored) == 1)
    cid = rec.stored[0].conversation.id
    rng = random.Random(7)

    def queue(text: str, pause: float) -> None:
        time.sleep(pause)
        with db.write() as s:
            convs.send_text(s, cid, text, "owner")  # the link hears of it from the database

    for n in range(150):
        text = f"ข้อความที่ {n} 🙂"
        await asyncio.to_thread(queue, text, rng.uniform(0, 0.012))
        # a lost wake is repaired by the resend 5 s later: it must be here well before
        assert (await shopper.next_message(timeout=2.5))["text"] == text
