"""A Messenger or Instagram chat whose shopper wrote over 24 hours ago is one the bot may not
answer (Meta's messaging window): the inbox says it needs the owner — the list's chip and the
open chat's header — instead of "the bot answers". Widget and LINE chats are not affected.
Real database, the inbox's own reads, widgets offscreen."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from minichat_desktop.domain import inbox_reads
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.chat_models import Answering, answering
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.inbox import InboxScreen


def _chat(db: Database, ref: str, at: dt.datetime) -> int:
    with db.write() as s:
        rec = convs.record_inbound(s, ref, {"id": f"{ref}-1", "kind": "text", "text": "สวัสดีค่ะ"}, at)
        assert rec is not None
        return rec.conversation.id


async def test_a_meta_chat_past_24_hours_needs_the_owner(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx()
    db = ctx.ops.db
    now = dt.datetime.now(dt.UTC)
    old_fb = _chat(db, "messenger:1001", now - dt.timedelta(hours=30))
    fresh_ig = _chat(db, "instagram:2002", now - dt.timedelta(hours=2))
    old_web = _chat(db, "widget:w-3003", now - dt.timedelta(hours=30))
    page = {c.id: c for c in ctx.ops.peek(inbox_reads.conversation_page)}
    assert page[old_web].last_inbound_at is None  # no window there: not even read
    late = page[old_fb].last_inbound_at
    assert late is not None and abs(late - (now - dt.timedelta(hours=30))) < dt.timedelta(seconds=1)
    assert answering(page[old_fb]) is Answering.NEEDS_YOU
    assert answering(page[fresh_ig]) is Answering.BOT
    assert answering(page[old_web]) is Answering.BOT
    # at a clock 23 hours later the Instagram chat is past its window too
    assert answering(page[fresh_ig], now + dt.timedelta(hours=23)) is Answering.NEEDS_YOU

    screen = InboxScreen(ctx)
    screen.resize(1366, 728)
    screen.show()
    try:
        screen.open_conversation(old_fb)
        assert screen.answer_chip.text() == "รอคุณ"
        assert screen.where.text().endswith("ลูกค้าทักมาเกิน 24 ชม. แล้ว บอทตอบไม่ได้ ต้องตอบเอง")
        screen.open_conversation(fresh_ig)
        assert screen.answer_chip.text() == "บอท"
    finally:
        await asyncio.sleep(0.2)
        screen.close()
        screen.deleteLater()
        await asyncio.sleep(0.05)
