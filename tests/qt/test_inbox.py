"""The inbox with a real database, a real relay process and a real shopper socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.secrets import RELAY_TOKEN
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import LinkState
from minichat_desktop.ui.app import start_relay_link
from minichat_desktop.ui.chat_models import message_lines
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.inbox import InboxScreen


@pytest.fixture
def linked(relay: Any, make_ctx: Callable[..., AppContext], qtbot: Any) -> Any:
    """An inbox on a real database, linked to the real relay, and a shopper on the widget
    socket. Used as ``async with linked as (ctx, screen, shopper)`` so that everything async
    is stopped inside the test's event loop (pytest-qt processes events after the test, when
    no loop runs)."""
    r, shop_id, token = relay

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[tuple[AppContext, InboxScreen, Shopper]]:
        ctx = make_ctx()
        ctx.settings.setValue("relay/url", r.url)
        ctx.secrets.set(RELAY_TOKEN, token)
        client = start_relay_link(ctx)
        task = asyncio.ensure_future(client.run())
        screen = InboxScreen(ctx)  # closed and deleted by settle(), inside the loop
        screen.resize(1200, 700)
        screen.show()
        shopper = Shopper(r, shop_id)
        try:
            await until(lambda: client.online)
            await shopper.connect()
            yield ctx, screen, shopper
        finally:
            await shopper.close()
            await client.stop()
            await asyncio.wait_for(task, 10)
            await settle(screen)

    return session()


async def settle(screen: InboxScreen) -> None:
    """Let pending async slots finish inside the loop, then drop the screen (and with it its
    signal connections) before the test's event loop stops."""
    await asyncio.sleep(0.2)
    screen.close()
    screen.deleteLater()
    await asyncio.sleep(0.05)


async def test_shopper_message_shows_within_a_second_literally(linked: Any) -> None:
    """A shopper's message is in the list within a second; HTML is shown as typed."""
    async with linked as (ctx, screen, shopper):
        await shopper.say("m1", "<img src=x> มีเสื้อยืดสีแดงไหม")
        loop = asyncio.get_running_loop()
        start = loop.time()
        await until(lambda: screen.list_model.rowCount() == 1, timeout=1.0)
        assert loop.time() - start < 1.0
        conv = screen.list_model.rows[0]
        assert conv.last_preview == "<img src=x> มีเสื้อยืดสีแดงไหม" and conv.unread == 1
        screen.open_conversation(conv.id)
        shown = screen.msg_model.rows[-1]
        assert message_lines(shown) == ["<img src=x> มีเสื้อยืดสีแดงไหม"]
        assert screen.who.textFormat() == Qt.TextFormat.PlainText
        await until(lambda: ctx.ops.read_now(convs.get_conversation, conv.id).unread == 0)


async def test_owner_reply_reaches_the_shopper(linked: Any, qtbot: Any) -> None:
    async with linked as (ctx, screen, shopper):
        await shopper.say("m1", "สวัสดีค่ะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        screen.open_conversation(screen.list_model.rows[0].id)
        screen.composer.insertPlainText("สวัสดีค่ะ ยินดีต้อนรับ")  # QTest cannot type Thai keys
        qtbot.keyClick(screen.composer, Qt.Key.Key_Return)
        got = await shopper.next_message()
        assert (got["kind"], got["text"]) == ("text", "สวัสดีค่ะ ยินดีต้อนรับ")
        # cleared once the message is stored; the relay may deliver it before the screen's
        # coroutine gets back from the write (it commits at once now)
        await until(lambda: screen.composer.toPlainText() == "")
        await until(lambda: screen.msg_model.rows[-1].state in ("sent", "delivered", "read"))
        assert screen.msg_model.rows[-1].author == ctx.ops.actor


async def test_a_message_the_relay_refuses_shows_failed_with_where_to_read_why(
    linked: Any,
) -> None:
    """2,600 emoji (5,200 UTF-16 units) queued by the bot: the relay refuses it by its id; the
    chat shows it failed ("!" and a tooltip pointing at the notifications), and the
    notification says why in Thai and English."""
    from minichat_desktop.domain.activity import notifications
    from minichat_desktop.ui.i18n import t
    from relay import protocol as p

    async with linked as (ctx, screen, shopper):
        await shopper.say("m1", "สวัสดีค่ะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        conv_id = screen.list_model.rows[0].id
        screen.open_conversation(conv_id)
        await ctx.ops.write(convs.queue_outgoing, conv_id, p.Text("😀" * 2600), "bot")
        await until(lambda: screen.msg_model.rows[-1].state == "failed")
        model = screen.msg_model
        tip = model.data(model.index(model.rowCount() - 1), Qt.ItemDataRole.ToolTipRole)
        assert tip == t(
            "Not sent: the relay refused this message. Notifications (the bell) say why."
        )
        notes = ctx.ops.read_now(notifications.list_notifications)
        assert notes[0].kind == notifications.NotificationKind.MESSAGE_FAILED
        assert "The message holds characters or data the relay cannot take" in notes[0].body_en
        assert "รีเลย์รับไม่ได้" in notes[0].body


async def test_owner_picture_is_uploaded_and_reaches_the_shopper(
    linked: Any, tmp_path: Path, qtbot: Any
) -> None:
    """The relay stores the upload (201 Created) and the shopper gets the picture, fetchable."""
    from PySide6.QtGui import QColor, QImage

    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("#E4572E"))
    picture = tmp_path / "promo.png"
    assert image.save(str(picture))
    async with linked as (_ctx, screen, shopper):
        await shopper.say("m1", "ขอดูรูปสินค้าหน่อยค่ะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        screen.open_conversation(screen.list_model.rows[0].id)
        await screen.send_picture(picture)
        got = await shopper.next_message()
        assert (got["kind"], got["mime"]) == ("image", "image/png")
        async with httpx.AsyncClient() as http:
            res = await http.get(got["url"])
        assert res.status_code == 200 and res.content == picture.read_bytes()
        await until(lambda: screen.msg_model.rows[-1].kind == "image")


async def test_shoppers_five_mb_photo_is_shown_whole(linked: Any, qtbot: Any) -> None:
    """A 5 MB photo a shopper sends is downloaded whole (sync/media) and shown in the chat."""
    import hashlib
    import io
    import random

    from PIL import Image

    from relay import protocol as p

    pixels = random.Random(14).randbytes(2400 * 1800 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (2400, 1800), pixels).save(out, "JPEG", quality=95)
    data = out.getvalue()
    assert len(data) > 4_500_000
    async with linked as (ctx, screen, shopper):
        async with httpx.AsyncClient() as http:
            res = await http.post(
                f"{shopper.relay.url}/widget/{shopper.shop_id}/upload",
                content=data,
                headers={"Authorization": f"Bearer {shopper.session}"},
            )
        assert res.status_code == 201, res.text
        image = p.Image(media_id=res.json()["media_id"])
        await shopper.ws.send(p.encode(p.WidgetSend(p.Message("slip-1", image))))
        await until(lambda: screen.list_model.rowCount() == 1)
        screen.open_conversation(screen.list_model.rows[0].id)
        await until(lambda: "slip-1" in screen.msg_model.images)
        pixmap = screen.msg_model.images["slip-1"]
        assert (pixmap.width(), pixmap.height()) == (2400, 1800)
        [cached] = (ctx.data_dir / "media" / "chat").iterdir()
        assert hashlib.sha256(cached.read_bytes()).digest() == hashlib.sha256(data).digest()


async def test_picture_over_ten_mb_is_refused_in_thai(
    linked: Any, tmp_path: Path, qtbot: Any
) -> None:
    from relay import protocol as p

    big = tmp_path / "huge.jpg"
    big.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * p.MAX_IMAGE_BYTES)
    async with linked as (_ctx, screen, shopper):
        await shopper.say("m1", "ขอดูรูปหน่อยค่ะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        screen.open_conversation(screen.list_model.rows[0].id)
        await screen.send_picture(big)
        assert screen.message is not None
        assert screen.message.text() == "รูปใหญ่เกิน 10 MB"


async def test_take_over_silences_the_bot_and_tells_the_shopper(linked: Any, qtbot: Any) -> None:
    async with linked as (ctx, screen, shopper):
        await shopper.say("m1", "ขอคุยกับคนหน่อย")
        await until(lambda: screen.list_model.rowCount() == 1)
        cid = screen.list_model.rows[0].id
        screen.open_conversation(cid)
        assert ctx.ops.read_now(convs.bot_may_answer, cid, "ราคาเท่าไหร่") is True
        qtbot.mouseClick(screen.takeover, Qt.MouseButton.LeftButton)
        await until(lambda: screen.current is not None and screen.current.mode == "human")
        # The bot may not answer anything now, not even a question.
        assert ctx.ops.read_now(convs.bot_may_answer, cid, "ราคาเท่าไหร่?") is False
        notice = await shopper.next_message()
        assert notice["kind"] == "takeover" and notice["state"] == "started"
        assert notice["text"] == "เจ้าหน้าที่กำลังตอบคุณค่ะ"
        assert screen.takeover.text() == "ส่งคืนให้บอท"
        qtbot.mouseClick(screen.takeover, Qt.MouseButton.LeftButton)
        ended = await shopper.next_message()
        assert ended["kind"] == "takeover" and ended["state"] == "ended"
        await until(lambda: screen.current is not None and screen.current.mode == "bot")
        assert screen.current is not None and screen.current.bot_mode == "passive"
        assert screen.bot_mode.currentData() == "passive"
        assert ctx.ops.read_now(convs.bot_may_answer, cid, "มีไซส์ L ไหม") is True
        assert ctx.ops.read_now(convs.bot_may_answer, cid, "โอเคค่ะ") is False


async def test_reply_typed_while_relay_down_arrives_later(
    linked: Any, relay: Any, qtbot: Any
) -> None:
    async with linked as (ctx, screen, shopper):
        r, _, _ = relay
        await shopper.say("m1", "อยู่ไหมคะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        screen.open_conversation(screen.list_model.rows[0].id)
        port = r.port
        r.kill()
        assert ctx.relay is not None
        await until(
            lambda: ctx.relay is not None and ctx.relay.status.state is not LinkState.ONLINE
        )
        screen.composer.insertPlainText("อยู่ค่ะ รอสักครู่")  # QTest cannot type Thai keys
        qtbot.mouseClick(screen.send, Qt.MouseButton.LeftButton)
        await until(lambda: screen.msg_model.rows[-1].text == "อยู่ค่ะ รอสักครู่")
        assert screen.msg_model.rows[-1].state == "queued"
        r.start(port)
        await until(lambda: ctx.relay is not None and ctx.relay.online, timeout=10)
        await shopper.connect()
        got = await shopper.next_message(10)
        assert got["text"] == "อยู่ค่ะ รอสักครู่"


async def test_long_conversation_loads_older_messages_on_scroll(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx()
    with ctx.ops.db.write() as s:
        for i in range(150):
            convs.record_inbound(
                s, "widget:longchat123", {"id": f"m{i}", "kind": "text", "text": f"ข้อความที่ {i}"}
            )
    screen = InboxScreen(ctx)  # closed and deleted by settle(), inside the loop
    screen.resize(1100, 700)
    screen.show()
    screen.open_conversation(screen.list_model.rows[0].id)
    assert screen.msg_model.rowCount() == InboxScreen.MESSAGES
    assert screen.msg_model.rows[-1].text == "ข้อความที่ 149"
    screen.messages.verticalScrollBar().setValue(0)
    await until(lambda: screen.msg_model.rowCount() == 2 * InboxScreen.MESSAGES)
    assert screen.msg_model.rows[0].text == f"ข้อความที่ {150 - 2 * InboxScreen.MESSAGES}"
    await settle(screen)


async def test_canned_reply_fills_in_the_customer(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx()
    with ctx.ops.db.write() as s:
        convs.ensure_default_canned(s)
        rec = convs.record_inbound(
            s, "widget:cannedtest1", {"id": "a", "kind": "text", "text": "hi"}
        )
        assert rec is not None
        from minichat_desktop.domain.customers import customers

        assert rec.conversation.customer_id is not None
        customers.update_customer(s, rec.conversation.customer_id, "owner", name="มาลี")
    screen = InboxScreen(ctx)  # closed and deleted by settle(), inside the loop
    screen.open_conversation(rec.conversation.id)
    greeting = next(c for c in ctx.ops.read_now(convs.list_canned) if c.title == "ทักทาย")
    screen.use_canned(greeting.text)
    assert screen.composer.toPlainText().startswith("สวัสดีค่ะ คุณมาลี ยินดีต้อนรับสู่")
    assert "{{" not in screen.composer.toPlainText()
    await settle(screen)


def test_database_path_is_a_file(make_ctx: Callable[..., AppContext]) -> None:
    """The context points at the real SQLite file the screens use."""
    ctx = make_ctx()
    assert isinstance(ctx.ops.db, Database) and ctx.ops.db.path.is_file()


async def test_an_empty_inbox_says_what_will_appear_and_leads_to_settings(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """A new shop's inbox explains where chats come from, with a way to set the channels up
    (the widget's settings page); a search that finds nothing says so; the first message
    replaces the hint with the list. No blank header buttons before a chat is chosen."""
    from minichat_desktop.ui.main_window import MainWindow

    ctx = make_ctx()
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    inbox = window.inbox
    assert inbox.empty.isVisible() and not inbox.list.isVisible()
    assert inbox.empty.title.text() == "ยังไม่มีแชท"
    assert not inbox.takeover.isVisible() and not inbox.customer.isEnabled()
    inbox.empty.button.click()
    settings = window.screens["settings"]
    assert window.stack.currentWidget() is window._slots["settings"]
    assert settings.stack.currentWidget().widget() is settings.widget  # type: ignore[attr-defined]
    window.nav.setCurrentRow(0)
    inbox.search.setText("ไม่มีแน่นอน")
    await until(lambda: inbox.empty.title.text() == "ไม่พบแชทที่ตรงกัน")
    assert not inbox.empty.button.isVisible()
    inbox.search.clear()
    with ctx.ops.db.write() as s:
        convs.record_inbound(
            s, "widget:first-shopper", {"id": "m1", "kind": "text", "text": "สวัสดีค่ะ"}
        )
    await inbox.refresh_list()
    assert inbox.list.isVisible() and not inbox.empty.isVisible()
    assert inbox.list_model.rowCount() == 1
    window.close()


async def test_the_promptpay_qr_the_bot_sends_shows_in_its_bubble(linked: Any, qtbot: Any) -> None:
    """The checkout's QR (a 1-bit PNG of a few hundred bytes, uploaded to the relay and sent
    as a picture) is fetched, read as a PNG and painted — never left "[กำลังโหลดรูป…]"."""
    from decimal import Decimal

    from minichat_desktop.domain.promptpay import promptpay_payload, promptpay_qr_png
    from minichat_desktop.sync import media

    data = promptpay_qr_png(promptpay_payload("0891234567", Decimal("1040.00")))
    assert len(data) < 1000
    async with linked as (ctx, screen, shopper):
        await shopper.say("m1", "ขอ QR หน่อยค่ะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        cid = screen.list_model.rows[0].id
        screen.open_conversation(cid)
        assert ctx.relay is not None
        uploaded = await media.upload(ctx.relay.url, ctx.secrets.get(RELAY_TOKEN) or "", data)
        caption = "สแกนจ่ายพร้อมเพย์ ฿1,040"
        await ctx.ops.write(convs.queue_outgoing, cid, uploaded.image(caption), "bot")
        sent = await shopper.next_message()
        await until(lambda: sent["id"] in screen.msg_model.images)
        pixmap = screen.msg_model.images[sent["id"]]
        assert (pixmap.width(), pixmap.height()) == (uploaded.width, uploaded.height)
        assert sent["id"] not in screen.msg_model.unavailable


async def test_a_picture_is_fetched_from_the_relay_it_moved_to(linked: Any, qtbot: Any) -> None:
    """A picture stored with an address that answers no more (the demo relay came back on
    another port) is fetched by its media id from the relay the app is linked to now."""
    from minichat_desktop.sync import media

    async with linked as (ctx, screen, shopper):
        await shopper.say("m1", "สวัสดีค่ะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        cid = screen.list_model.rows[0].id
        assert ctx.relay is not None
        uploaded = await media.upload(
            ctx.relay.url, ctx.secrets.get(RELAY_TOKEN) or "", _png_bytes(12, 9)
        )
        moved = f"http://127.0.0.1:9/media/{uploaded.media_id}"
        with ctx.ops.db.write() as s:
            convs.record_inbound(
                s,
                screen.list_model.rows[0].ref,
                {"id": "old-pic", "kind": "image", "media_id": uploaded.media_id, "url": moved},
            )
        screen.open_conversation(cid)
        await until(lambda: "old-pic" in screen.msg_model.images)
        assert screen.msg_model.images["old-pic"].width() == 12


async def test_the_contact_forms_name_and_note_reach_the_owner(linked: Any, qtbot: Any) -> None:
    """What a shopper leaves in the widget's contact form (number, name, note) shows in the
    chat's bubble and preview; the name becomes the customer's name and the note, dated, is
    in the customer's notes in the panel of the open chat."""
    from minichat_desktop.domain.customers import customers
    from relay import protocol as p

    async with linked as (ctx, screen, shopper):
        await shopper.say("m1", "ร้านเปิดกี่โมงคะ")
        await until(lambda: screen.list_model.rowCount() == 1)
        cid = screen.list_model.rows[0].id
        screen.open_conversation(cid)
        contact = p.Contact("081-234-5678", "มาลี ใจดี", "โทรกลับหลังหกโมงเย็นค่ะ")
        await shopper.ws.send(p.encode(p.WidgetSend(p.Message("c1", contact))))
        await until(lambda: screen.msg_model.rows[-1].uid == "c1")
        assert message_lines(screen.msg_model.rows[-1]) == [
            "ขอให้โทรกลับ: 081-234-5678",
            "ชื่อ: มาลี ใจดี",
            "หมายเหตุ: โทรกลับหลังหกโมงเย็นค่ะ",
        ]
        await until(lambda: screen.customer.name.text() == "มาลี ใจดี")
        assert screen.who.full_text() == "มาลี ใจดี"
        assert screen.list_model.rows[0].last_preview == (
            "[ขอให้โทรกลับ] 081-234-5678 มาลี ใจดี: โทรกลับหลังหกโมงเย็นค่ะ"
        )
        assert screen.customer.phone.text() == "0812345678"
        note = screen.customer.notes.toPlainText()
        assert note.startswith("ขอให้โทรกลับ ") and note.endswith(": โทรกลับหลังหกโมงเย็นค่ะ")
        customer_id = screen.list_model.rows[0].customer_id
        assert ctx.ops.read_now(customers.get_customer, customer_id).notes == note


def _png_bytes(width: int, height: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#0E8F6E"))
    out = QByteArray()
    buffer = QBuffer(out)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return bytes(out.data())
