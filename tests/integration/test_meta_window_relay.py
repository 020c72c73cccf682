"""Meta's 24-hour window end to end: a relay process with the shop's Facebook Page set up,
Meta as a local server (support.fake_meta) posting signed webhooks whose timestamps the test
sets (a shopper who wrote 30 hours or 8 days ago), the desktop's relay client with the bot
switched on, on a real SQLite file.

A person's reply after 30 hours reaches Meta tagged ``HUMAN_AGENT``; the bot does not answer
there (it answers a shopper who wrote a minute ago) and the chat says why, once; a bot message
queued anyway is refused by the relay (``outside_window``) and shows as failed with the
relay's reason; after 8 days the owner cannot send at all."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.fake_meta import FakeMeta, user_message, webhook
from support.recorder import Recorder
from support.relay_proc import Relay, meta_shop_relay
from support.waiting import until

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.bot.engine import ENABLED_KEY
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import ChatMessage, Conversation
from minichat_desktop.domain.shop import put_setting
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient
from relay import protocol as p

PAGE = "1122334455"
LATE = "2233445566778899"  # wrote 30 hours ago
FRESH = "2233445566770000"  # wrote a minute ago
GONE = "2233445566771111"  # wrote 8 days ago
SECRET = "app-secret-0123456789"
HOUR = 3600.0


@pytest.fixture
def relay(tmp_path: Path, meta_api: FakeMeta) -> Iterator[tuple[Relay, str, str]]:
    """A relay process whose one shop has its Facebook Page set up (by the operator's CLI)."""
    r, shop_id, token = meta_shop_relay(tmp_path / "relay", meta_api.url, SECRET, name="ร้านเมตา")
    yield r, shop_id, token
    r.stop()


@pytest.fixture
async def desktop(relay: Any, db: Database) -> AsyncIterator[RelayClient]:
    """The relay link with the sales bot switched on."""
    with db.write() as s:
        put_setting(s, ENABLED_KEY, True)
    r, _shop_id, token = relay
    rec = Recorder()
    client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05, backoff_cap=0.3)
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(rec.online.wait(), 10)
    yield client
    await client.stop()
    await asyncio.wait_for(task, 10)


def _wrote(relay: Any, meta_api: FakeMeta, user: str, mid: str, ago: float) -> None:
    r, shop_id, _ = relay
    body = webhook("page", PAGE, user_message(user, PAGE, mid, ago=ago, text="ยังมีของไหมคะ"))
    assert meta_api.post_webhook(f"{r.url}/meta/{shop_id}/webhook", body, SECRET)[0] == 200


def _conversation(db: Database, user: str) -> int | None:
    with db.read() as s:
        return s.scalar(select(Conversation.id).where(Conversation.ref == f"messenger:{user}"))


def _to(meta_api: FakeMeta, user: str) -> list[dict[str, Any]]:
    return [b for b in meta_api.delivered() if "message" in b and b["recipient"] == {"id": user}]


def _messages(db: Database, cid: int) -> list[ChatMessage]:
    with db.read() as s:
        rows = list(s.scalars(select(ChatMessage).where(ChatMessage.conversation_id == cid)))
        s.expunge_all()
        return rows


async def test_after_30_hours_a_person_answers_tagged_human_agent_and_the_bot_keeps_quiet(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    _wrote(relay, meta_api, LATE, "m_late", ago=30 * HOUR)
    _wrote(relay, meta_api, FRESH, "m_fresh", ago=60)
    await until(
        lambda: _conversation(db, LATE) is not None and _conversation(db, FRESH) is not None
    )
    late = _conversation(db, LATE)
    assert late is not None
    # the desktop counts from Meta's time, as the relay does: 30 hours, not "just now"
    [shopper] = [m for m in _messages(db, late) if m.direction == "in"]
    age = dt.datetime.now(dt.UTC) - shopper.created_at
    assert dt.timedelta(hours=29, minutes=59) < age < dt.timedelta(hours=30, minutes=5)

    # the bot answers the shopper who wrote a minute ago, within the window
    await until(lambda: bool(_to(meta_api, FRESH)), timeout=30)
    assert _to(meta_api, FRESH)[0]["messaging_type"] == "RESPONSE"
    assert desktop.bot is not None
    await desktop.bot.idle()
    # ... and not the one who wrote 30 hours ago: the chat says why, once
    notes = [m for m in _messages(db, late) if m.kind == convs.NOTE_KIND]
    assert [(n.author, n.state, n.text) for n in notes] == [
        ("system", "note", convs.BOT_SILENT_NOTE[0])
    ]
    assert [m.author for m in _messages(db, late) if m.direction == "out"] == ["system"]

    with db.write() as s:
        mine = convs.send_text(s, late, "ขอโทษที่ตอบช้านะคะ ยังมีค่ะ", "owner")
    await until(lambda: bool(_to(meta_api, LATE)), timeout=20)
    [sent] = _to(meta_api, LATE)
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert sent["message"]["text"] == "ขอโทษที่ตอบช้านะคะ ยังมีค่ะ"
    await until(lambda: _state(db, mine.uid) == "sent", timeout=20)


async def test_a_bot_message_queued_past_24_hours_fails_with_the_relays_reason(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    with db.write() as s:
        put_setting(s, ENABLED_KEY, False)  # the owner's bot is off: nothing else is sent
    _wrote(relay, meta_api, LATE, "m_late", ago=25 * HOUR)
    await until(lambda: _conversation(db, LATE) is not None)
    late = _conversation(db, LATE)
    assert late is not None
    with db.write() as s:
        queued = convs.queue_outgoing(s, late, p.Text("โปรโมชั่นวันนี้!"), "bot")
    await until(lambda: _state(db, queued.uid) == "failed", timeout=20)
    with db.read() as s:
        assert convs.pending_outbox(s) == []  # never offered again
        told = notifications.list_notifications(s, limit=5)
    said = [n for n in told if n.kind == notifications.NotificationKind.MESSAGE_FAILED]
    assert said and "24" in said[0].body and "บอท" in said[0].body
    assert "only a person" in said[0].body_en and " / " not in said[0].body_en
    assert _to(meta_api, LATE) == []


async def test_after_8_days_the_owner_cannot_send(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    _wrote(relay, meta_api, GONE, "m_gone", ago=8 * 24 * HOUR)
    await until(lambda: _conversation(db, GONE) is not None)
    gone = _conversation(db, GONE)
    assert gone is not None
    with db.write() as s, pytest.raises(UserError) as caught:
        convs.send_text(s, gone, "ยังสนใจอยู่ไหมคะ", "owner")
    assert caught.value.code == "message.window_closed"
    with db.read() as s:
        assert convs.pending_outbox(s) == []
    assert _to(meta_api, GONE) == []


def _state(db: Database, uid: str) -> str | None:
    with db.read() as s:
        return s.scalar(select(ChatMessage.state).where(ChatMessage.uid == uid))
