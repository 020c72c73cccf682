"""The inbox composer's line about Meta's messaging window (issue 19): for a Messenger or
Instagram chat it says how long the shop may still answer, counts down by the minute (amber in
the last hour), says only the owner's own messages go after 24 hours, and after 7 days
disables the box with the reason; the widget and LINE show no line. Real widgets offscreen on
a real database; the line's clock is set by the test."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.inbox import InboxScreen

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def _chat(db: Database, ref: str, ago: dt.timedelta) -> int:
    with db.write() as s:
        rec = convs.record_inbound(
            s, ref, {"id": f"{ref}-1", "kind": "text", "text": "ยังมีไหมคะ"}, NOW - ago
        )
        assert rec is not None
        convs.mark_read(s, rec.conversation.id)  # opening it then writes nothing
        return rec.conversation.id


async def _screen(ctx: AppContext, size: tuple[int, int]) -> InboxScreen:
    screen = InboxScreen(ctx)
    screen.window_line.clock = lambda: NOW
    screen.resize(*size)
    screen.show()
    await asyncio.sleep(0)
    return screen


async def _settle(screen: InboxScreen) -> None:
    await asyncio.sleep(0.2)
    screen.close()
    screen.deleteLater()
    await asyncio.sleep(0.05)


def _sendable(screen: InboxScreen) -> list[bool]:
    return [
        w.isEnabled() for w in (screen.composer, screen.send, screen.canned, screen.send_product)
    ]


async def test_the_line_counts_down_and_turns_amber_then_human_only_then_closed(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx()
    cid = _chat(ctx.ops.db, "messenger:2233445566", dt.timedelta(hours=18, minutes=48))
    screen = await _screen(ctx, (1366, 728))
    line = screen.window_line
    try:
        screen.open_conversation(cid)
        assert line.isVisible() and line.text() == "ตอบได้อีก 5 ชม. 12 นาที"
        assert line.property("tone") == "muted" and _sendable(screen) == [True] * 4
        assert line.timer.isActive() and line.timer.interval() == 60_000
        # the minute ticks (the timer's slot, at a later clock)
        line.clock = lambda: NOW + dt.timedelta(hours=4, minutes=30)
        line.timer.timeout.emit()
        assert line.text() == "ตอบได้อีก 42 นาที" and line.property("tone") == "warn"
        line.clock = lambda: NOW + dt.timedelta(days=2)
        line.timer.timeout.emit()
        assert line.text() == ("เกิน 24 ชม. แล้ว: ส่งได้เฉพาะข้อความจากคุณ (ไม่ใช่บอท) อีก 4 วัน")
        assert _sendable(screen) == [True] * 4  # a person may still answer
        line.clock = lambda: NOW + dt.timedelta(days=7)
        line.timer.timeout.emit()
        assert line.text() == "ลูกค้ายังไม่ตอบกลับเกิน 7 วัน: ส่งข้อความไม่ได้จนกว่าลูกค้าจะทักมา"
        assert line.property("tone") == "error" and _sendable(screen) == [False] * 4
        # the shopper writes again: the window opens and the box with it
        with ctx.ops.db.write() as s:
            convs.record_inbound(
                s,
                "messenger:2233445566",
                {"id": "again", "kind": "text", "text": "อยู่ค่ะ"},
                NOW + dt.timedelta(days=7),
            )
        await screen._reload_current()
        assert line.text() == "ตอบได้อีก 24 ชม." and _sendable(screen) == [True] * 4
    finally:
        await _settle(screen)


async def test_english_at_the_smallest_window_and_no_line_for_line_or_the_widget(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx(lang="en")
    db = ctx.ops.db
    ig = _chat(db, "instagram:17841400000000001", dt.timedelta(hours=30))
    line_chat = _chat(db, "line:U" + "3" * 32, dt.timedelta(days=30))
    widget = _chat(db, "widget:windowNone01", dt.timedelta(days=30))
    screen = await _screen(ctx, (1000, 640))
    try:
        screen.open_conversation(ig)
        text = screen.window_line.text()
        assert text == (
            "Over 24 hours: only messages from you (not the bot) can be sent, for another 5 days"
        )
        label = screen.window_line
        assert label.isVisible() and label.width() <= screen.composer.width() + 200
        assert label.heightForWidth(label.width()) <= label.height()  # wrapped, not cut
        for other in (line_chat, widget):
            screen.open_conversation(other)
            assert not screen.window_line.isVisible() and _sendable(screen) == [True] * 4
        screen.open_conversation(ig)
        assert screen.window_line.isVisible()
    finally:
        await _settle(screen)
