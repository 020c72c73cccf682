"""The inbox composer on a Messenger chat that came through a real relay process from the
stand-in Meta (support.fake_meta), the shopper's message 30 hours old by Meta's timestamp:
the line says only the owner's own messages go now, and what the owner types and sends
reaches Meta tagged HUMAN_AGENT."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from support.fake_meta import FakeMeta, user_message, webhook
from support.relay_proc import Relay
from support.waiting import until

from minichat_desktop.secrets import RELAY_TOKEN
from minichat_desktop.ui.app import start_relay_link
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.inbox import InboxScreen

PAGE = "1122334455"
PSID = "2233445566778899"
SECRET = "app-secret-0123456789"


@pytest.fixture
def relay(meta_relay: tuple[Relay, str, str]) -> tuple[Relay, str, str]:
    return meta_relay


async def test_a_reply_typed_after_30_hours_goes_to_meta_as_a_persons(
    relay: Any, meta_api: FakeMeta, make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    r, shop_id, token = relay
    ctx = make_ctx()
    ctx.settings.setValue("relay/url", r.url)
    ctx.secrets.set(RELAY_TOKEN, token)
    client = start_relay_link(ctx)
    task = asyncio.ensure_future(client.run())
    screen = InboxScreen(ctx)
    screen.resize(1000, 640)
    screen.show()
    try:
        await until(lambda: client.online)
        item = user_message(PSID, PAGE, "m_30h", ago=30 * 3600, text="ยังมีไซส์ M ไหมคะ")
        body = webhook("page", PAGE, item)
        assert meta_api.post_webhook(f"{r.url}/meta/{shop_id}/webhook", body, SECRET)[0] == 200
        await until(lambda: screen.list_model.rowCount() == 1)
        screen.open_conversation(screen.list_model.rows[0].id)
        assert screen.window_line.isVisible()
        assert screen.window_line.text() == (
            "เกิน 24 ชม. แล้ว: ส่งได้เฉพาะข้อความจากคุณ (ไม่ใช่บอท) อีก 5 วัน"
        )
        screen.composer.insertPlainText("มีค่ะ ขอโทษที่ตอบช้านะคะ")  # QTest cannot type Thai
        qtbot.keyClick(screen.composer, Qt.Key.Key_Return)
        await until(lambda: bool(meta_api.delivered()), timeout=20)
        [sent] = [b for b in meta_api.delivered() if "message" in b]
        assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
        assert sent["message"]["text"] == "มีค่ะ ขอโทษที่ตอบช้านะคะ"
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)
        await asyncio.sleep(0.2)
        screen.close()
        screen.deleteLater()
        await asyncio.sleep(0.05)
