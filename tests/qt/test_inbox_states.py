"""The inbox on first show and as things change elsewhere (issue 16): who answers a chat,
the screen before a chat is chosen, the customer's orders in words, a chat that follows an
order paid on the Orders screen. Real widgets offscreen on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.bot_shop import make_shop
from support.waiting import until

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import BotMode, Channel, ConversationStatus
from minichat_desktop.domain.sales import order_actions, orders
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.chat_models import Answering, answering, answering_chip
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.inbox import InboxScreen


def _chat(db: Database, ref: str, text: str = "สวัสดีค่ะ", name: str = "") -> int:
    """A shopper's chat with one message (and the customer's name when given)."""
    with db.write() as s:
        rec = convs.record_inbound(s, ref, {"id": f"{ref}-1", "kind": "text", "text": text})
        assert rec is not None and rec.conversation.customer_id is not None
        if name:
            customers.update_customer(s, rec.conversation.customer_id, "owner", name=name)
        # Read already: opening it writes nothing, so no refresh runs on after the test.
        convs.mark_read(s, rec.conversation.id)
        return rec.conversation.id


async def _screen(ctx: AppContext, size: tuple[int, int] = (1366, 728)) -> InboxScreen:
    screen = InboxScreen(ctx)
    screen.resize(*size)
    screen.show()
    await asyncio.sleep(0)
    return screen


async def settle(screen: InboxScreen) -> None:
    """Let pending async slots (refreshes after a write) finish inside the loop, then drop
    the screen."""
    await asyncio.sleep(0.5)
    screen.close()
    screen.deleteLater()
    await asyncio.sleep(0.05)


async def test_header_and_chip_say_who_answers_from_the_chats_state(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """บอท for a bot chat (all messages or questions only), รอคุณ for an escalated chat and
    for a bot switched off, คุณตอบอยู่ once taken over — also a chat taken over after it
    was escalated; the list's chip agrees; the bot-mode choice is hidden while a person
    answers (it used to read "บอท: ตอบทุกข้อความ" there)."""
    ctx = make_ctx()
    db = ctx.ops.db
    active = _chat(db, "widget:answerActive01")
    passive = _chat(db, "widget:answerPassive1")
    escalated = _chat(db, "widget:answerEscal01")
    off = _chat(db, "widget:answerOff0001")
    taken = _chat(db, "widget:answerTaken01")
    both = _chat(db, "widget:answerBoth001")
    with db.write() as s:
        convs.set_bot_mode(s, passive, BotMode.PASSIVE)
        convs.set_status(s, escalated, ConversationStatus.ESCALATED)
        convs.set_bot_mode(s, off, BotMode.OFF)
        convs.take_over(s, taken, "owner")
        convs.set_status(s, both, ConversationStatus.ESCALATED)
        convs.take_over(s, both, "owner")
    screen = await _screen(ctx)
    expected = {
        active: (Answering.BOT, "บอท", "บอทตอบทุกข้อความ", "รับช่วงตอบเอง", "บอท"),
        passive: (Answering.BOT, "บอท", "บอทตอบเฉพาะคำถาม", "รับช่วงตอบเอง", "บอท"),
        escalated: (Answering.NEEDS_YOU, "รอคุณ", "ลูกค้าขอคุยกับคน", "รับช่วงตอบเอง", "รอคุณ"),
        off: (
            Answering.NEEDS_YOU,
            "รอคุณ",
            "บอทปิดอยู่ ไม่มีใครตอบจนกว่าคุณจะตอบ",
            "รับช่วงตอบเอง",
            "รอคุณ",
        ),
        taken: (
            Answering.YOU,
            "คุณตอบอยู่",
            "เจ้าของร้านรับช่วงตอบเอง บอทหยุดตอบแล้ว",
            "ส่งคืนให้บอท",
            "คนตอบ",
        ),
        both: (
            Answering.YOU,
            "คุณตอบอยู่",
            "เจ้าของร้านรับช่วงตอบเอง บอทหยุดตอบแล้ว",
            "ส่งคืนให้บอท",
            "คนตอบ",
        ),
    }
    for cid, (state, chip, detail, button, list_chip) in expected.items():
        screen.open_conversation(cid)
        assert screen.current is not None
        assert answering(screen.current) is state
        assert screen.answer_chip.text() == chip
        assert screen.where.text() == f"แชทหน้าเว็บ · {detail}"
        assert screen.takeover.text() == button
        assert screen.bot_mode.isVisible() is (state is not Answering.YOU)
        row = screen.list_model.rows[screen.list_model.row_of(cid)]
        assert answering_chip(answering(row)) == list_chip
    await settle(screen)


async def test_hand_back_says_the_bot_takes_over_again(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """The taken-over chat's button reads "ส่งคืนให้บอท" and its tooltip says what happens;
    pressing it makes the bot answer again, questions only, and the header says so."""
    from PySide6.QtCore import Qt

    ctx = make_ctx()
    cid = _chat(ctx.ops.db, "widget:handBack0001", name="มาลี")
    with ctx.ops.db.write() as s:
        convs.take_over(s, cid, "owner")
    screen = await _screen(ctx)
    screen.open_conversation(cid)
    assert screen.takeover.text() == "ส่งคืนให้บอท"
    assert screen.takeover.toolTip() == ("บอทกลับมาตอบแชทนี้ (ตอบเฉพาะคำถาม) และแจ้งลูกค้าว่าบอทดูแลต่อแล้ว")
    qtbot.mouseClick(screen.takeover, Qt.MouseButton.LeftButton)
    await until(lambda: screen.current is not None and screen.current.mode == "bot")
    assert screen.answer_chip.text() == "บอท"
    assert screen.where.text() == "แชทหน้าเว็บ · บอทตอบเฉพาะคำถาม"
    assert screen.takeover.text() == "รับช่วงตอบเอง"
    assert screen.bot_mode.isVisible() and screen.bot_mode.currentData() == "passive"
    # The shopper is told (the list's refresh may name the new mode before the chat shows
    # the notice: wait for it).
    await until(lambda: screen.msg_model.rows[-1].body.get("state") == "ended")
    assert screen.msg_model.rows[-1].kind == "takeover"
    # The list keeps the customer's name through taking over and handing back.
    model = screen.list_model
    assert model.data(model.index(model.row_of(cid))) == "มาลี"
    await settle(screen)


async def test_the_chat_header_fits_the_smallest_window(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """At 1366x728 and the 1000x640 minimum, Thai and English, a taken-over chat's header
    shows the whole name, the chip and every button inside the page, nothing drawn over
    anything (the buttons go under the name when the chat is narrow)."""
    from support.geometry import layout_problems, overlaps

    for lang in ("th", "en"):
        ctx = make_ctx(lang=lang)
        cid = _chat(ctx.ops.db, "widget:narrowHead001", name="สมหญิง ใจดี")
        with ctx.ops.db.write() as s:
            convs.take_over(s, cid, "owner")
        for size in ((1366, 728), (1000, 640)):
            screen = await _screen(ctx, (size[0] - 64, size[1] - 24))  # beside the sidebar
            screen.open_conversation(cid)
            await asyncio.sleep(0.05)
            assert screen.who.text() == "สมหญิง ใจดี", (lang, size)
            for w in (screen.who, screen.answer_chip, screen.takeover, screen.resolve):
                box = w.geometry().translated(w.parentWidget().mapTo(screen, w.pos()) - w.pos())
                assert screen.rect().contains(box), (lang, size, w)
            assert layout_problems(screen) == [] and overlaps(screen) == [], (lang, size)
            await settle(screen)


async def test_english_header_names_who_answers(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx(lang="en")
    cid = _chat(ctx.ops.db, "line:Uenglishheader0001")
    with ctx.ops.db.write() as s:
        convs.set_status(s, cid, ConversationStatus.ESCALATED)
    screen = await _screen(ctx)
    screen.open_conversation(cid)
    assert screen.answer_chip.text() == "Needs you"
    assert screen.where.text() == "LINE · The shopper asked for a person"
    assert screen.takeover.text() == "Take over"
    with ctx.ops.db.write() as s:
        convs.take_over(s, cid, "owner")
    screen.open_conversation(cid)
    assert screen.answer_chip.text() == "You are answering"
    assert screen.takeover.text() == "Hand back to the bot"
    await settle(screen)


async def test_before_a_chat_is_chosen_the_middle_says_what_to_do(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """No disabled form: the centre shows "choose a chat" in its middle and the customer
    panel is hidden; choosing a chat shows the chat and its customer."""
    ctx = make_ctx()
    cid = _chat(ctx.ops.db, "widget:pickHint00001", name="นก")
    for size in ((1366, 728), (1000, 640)):
        screen = await _screen(ctx, size)
        assert screen.centre.currentWidget() is screen.pick_hint
        assert not screen.customer.isVisible() and not screen.chat.isVisible()
        hint = screen.pick_empty
        assert hint.isVisible() and hint.title.text() == "เลือกแชททางซ้าย"
        middle = hint.mapTo(screen.pick_hint, hint.rect().center())
        page = screen.pick_hint.rect().center()
        assert abs(middle.x() - page.x()) <= 8, (size, middle, page)
        assert abs(middle.y() - page.y()) <= page.y() // 3, (size, middle, page)
        screen.open_conversation(cid)
        assert screen.centre.currentWidget() is screen.chat
        assert screen.customer.isVisible() and screen.customer.name.text() == "นก"
        assert screen.customer.status.currentText() == "ลูกค้าใหม่"  # the Customers screen's word
        await settle(screen)


async def test_customer_panel_names_order_states_and_follows_a_payment_made_elsewhere(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """The customer's order reads "MC-… / รอดำเนินการ · ยังไม่ชำระ · ฿150.50" (the Orders
    screen's words, ฿ first); marked paid on the Orders screen (with the thanks to the
    shopper), the open chat shows the thanks and the panel "ยืนยันแล้ว · ชำระแล้ว" without
    being opened again — and what the owner was typing in the panel stays."""
    ctx = make_ctx()
    db = ctx.ops.db
    ids = make_shop(db)
    ref = "widget:paidElsewhere1"
    cid = _chat(db, ref, name="สมหญิง ใจดี")
    customer_id = ctx.ops.read_now(convs.get_conversation, cid).customer_id
    with db.write() as s:
        order = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.WIDGET,
                lines=[orders.LineInput(1, variant_id=ids.mug)],
                customer_id=customer_id,
                conversation_ref=ref,
            ),
            "bot",
        )
    screen = await _screen(ctx)
    screen.open_conversation(cid)
    assert order.total_satang == 15050
    assert (
        screen.customer.orders.item(0).text() == f"{order.number}\nรอดำเนินการ · ยังไม่ชำระ · ฿150.50"
    )
    screen.customer.notes.setPlainText("โทรก่อนส่ง")  # the owner is typing a note
    screen.customer.notes.document().setModified(True)
    shown = screen.msg_model.rowCount()
    await ctx.ops.write(order_actions.mark_paid, order.id, "owner", tell=True)
    await until(lambda: screen.msg_model.rowCount() == shown + 1)
    assert order.number in screen.msg_model.rows[-1].text
    await until(lambda: "ชำระแล้ว" in screen.customer.orders.item(0).text())
    paid = screen.customer.orders.item(0).text()
    assert paid == f"{order.number}\nยืนยันแล้ว · ชำระแล้ว · ฿150.50"
    assert screen.customer.notes.toPlainText() == "โทรก่อนส่ง"
    await settle(screen)


async def test_a_picture_that_cannot_come_says_so_instead_of_loading(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """A picture whose address answers nothing (the demo's slip, a relay gone) is shown as
    not available, not "[กำลังโหลดรูป…]" for ever."""
    from minichat_desktop.ui.i18n import t

    ctx = make_ctx()
    with ctx.ops.db.write() as s:
        rec = convs.record_inbound(
            s,
            "widget:deadPicture01",
            {"id": "pic-1", "kind": "image", "url": "http://127.0.0.1:9/media/gone"},
        )
        assert rec is not None
    screen = await _screen(ctx)
    screen.open_conversation(rec.conversation.id)
    await until(lambda: "pic-1" in screen.msg_model.unavailable, timeout=10)
    assert "pic-1" not in screen.msg_model.images
    assert t("[picture not available]") == "[แสดงรูปนี้ไม่ได้]"
    await settle(screen)


def test_a_cached_picture_is_read_as_the_type_its_bytes_say(tmp_path: Path, qapp: Any) -> None:
    """The chat's cache files have no suffix: the QR PNG is read as a PNG (its real size),
    a JPEG as a JPEG, and bytes that are no picture give nothing (the bubble says so)."""
    from decimal import Decimal

    from PIL import Image

    from minichat_desktop.domain.promptpay import promptpay_payload, promptpay_qr_png
    from minichat_desktop.ui.inbox import read_picture

    qr = tmp_path / "0f3a9c"
    qr.write_bytes(promptpay_qr_png(promptpay_payload("0891234567", Decimal("290"))))
    photo = tmp_path / "77b1e2"
    Image.new("RGB", (30, 20), (200, 30, 30)).save(photo, "JPEG")
    junk = tmp_path / "aa01"
    junk.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg' width='99999' height='99999'/>")
    assert read_picture(qr).size().toTuple() == (328, 328)
    assert read_picture(photo).size().toTuple() == (30, 20)
    assert read_picture(junk).isNull()
    assert read_picture(tmp_path / "missing").isNull()
