"""The Orders screen on a real database: filters and search, bulk status with failures named,
the detail, payment, shipping (Thailand Post numbers S10-checked), cancel and refund with the
stock back, the slip viewer and the message templates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from support.bot_shop import BotShop, make_shop, new_conversation
from support.boxes import choose_file
from support.waiting import until

from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import Channel, OrderStatus, PaymentMethod
from minichat_desktop.domain.sales import order_notify, orders
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.orders_dialogs import (
    PaymentDialog,
    ShippingDialog,
    SlipDialog,
    StatusDialog,
    TemplatesDialog,
)
from minichat_desktop.ui.orders_screen import OrdersScreen


def _place(
    db: Database,
    variant_id: int,
    qty: int = 1,
    *,
    name: str = "",
    phone: str = "",
    ref: str = "",
    channel: Channel = Channel.WIDGET,
    method: PaymentMethod = PaymentMethod.PROMPTPAY,
    customer_id: int | None = None,
) -> orders.OrderView:
    with db.write() as s:
        return orders.place_order(
            s,
            orders.NewOrder(
                channel=channel,
                lines=[orders.LineInput(qty, variant_id=variant_id)],
                customer_name=name,
                customer_phone=phone,
                conversation_ref=ref,
                payment_method=method,
                customer_id=customer_id,
            ),
            "bot",
        )


async def test_the_customer_button_shows_only_that_customers_orders(
    make_ctx: Callable[..., AppContext],
) -> None:
    _ctx, db, ids, screen = await _shop(make_ctx)
    with db.write() as s:
        somying = customers.create_customer(s, "owner", name="สมหญิง ใจดี", phone="0812345678")
    first = _place(db, ids.mug, 1, name="สมหญิง ใจดี", customer_id=somying.id)
    _place(db, ids.mug, 1, name="คนอื่น")
    second = _place(db, ids.tee_red_m, 1, name="สมหญิง ใจดี", customer_id=somying.id)
    screen.refresh()
    await _settled(screen)
    assert len(_numbers(screen)) == 3
    screen.open_order(first.id)
    await _settled(screen)
    assert screen.detail.customer_button.isVisible()
    screen.detail.customer_button.click()
    await _settled(screen)
    assert _numbers(screen) == [second.number, first.number]
    assert screen.customer_chip.text() == "ลูกค้า: สมหญิง ใจดี"
    assert not screen.customer_chip.icon().isNull()  # the close icon: pressing drops it
    screen.customer_chip.click()
    await _settled(screen)
    assert len(_numbers(screen)) == 3 and not screen.customer_chip.isVisible()
    await _close(screen)


async def test_labels_of_the_selected_orders_are_saved_as_one_pdf(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    import pypdfium2 as pdfium

    _ctx, db, ids, screen = await _shop(make_ctx)
    placed = []
    with db.write() as s:
        for name in ("สมศรี มีสุข", "มานะ ขยัน"):
            placed.append(
                orders.place_order(
                    s,
                    orders.NewOrder(
                        channel=Channel.WIDGET,
                        lines=[orders.LineInput(1, variant_id=ids.mug)],
                        ship_name=name,
                        ship_phone="0812345678",
                        ship_address="1 ถนนสีลม",
                        ship_district="บางรัก",
                        ship_province="กรุงเทพมหานคร",
                        ship_postcode="10500",
                    ),
                    "bot",
                ).number
            )
    screen.refresh()
    await _settled(screen)
    screen.table.selectAll()
    saving = asyncio.ensure_future(screen.save_selected("labels"))
    suggested = await choose_file(screen, str(tmp_path / "labels.pdf"))
    await saving
    assert suggested == f"labels-{placed[1]}-and-1-more.pdf"  # the list is newest first
    doc = pdfium.PdfDocument((tmp_path / "labels.pdf").read_bytes())
    try:
        assert len(doc) == 2
    finally:
        doc.close()
    await _close(screen)


def _level(db: Database, variant_id: int) -> int:
    with db.read() as s:
        return stock.level(s, variant_id).stock


def _get(db: Database, order_id: int) -> orders.OrderView:
    with db.read() as s:
        return orders.get_order(s, order_id)


def _outbox_texts(db: Database) -> list[str]:
    with db.read() as s:
        return [str(f["message"].get("text", "")) for _uid, f in convs.pending_outbox(s)]


async def _settled(screen: OrdersScreen) -> None:
    await asyncio.sleep(0)
    await until(lambda: screen.busy == 0, timeout=10)


async def _dialog(screen: OrdersScreen, kind: type) -> Any:
    await until(lambda: isinstance(screen.dialog, kind), timeout=10)
    return screen.dialog


async def _close(screen: OrdersScreen) -> None:
    """Let the refreshes a change started finish before the test's loop ends."""
    await _settled(screen)
    screen.ctx.ops.changed.disconnect(screen.on_changed)
    screen.close()


def _numbers(screen: OrdersScreen) -> list[str]:
    return [r.number for r in screen.model.rows]


async def _shop(
    make_ctx: Callable[..., AppContext],
) -> tuple[AppContext, Database, BotShop, OrdersScreen]:
    ctx = make_ctx()
    db = ctx.ops.db
    ids = make_shop(db)
    screen = OrdersScreen(ctx)
    screen.resize(1300, 800)
    screen.show()
    await _settled(screen)
    return ctx, db, ids, screen


async def test_filters_and_search_by_phone_name_and_number(
    make_ctx: Callable[..., AppContext],
) -> None:
    _ctx, db, ids, screen = await _shop(make_ctx)
    a = _place(db, ids.mug, 1, name="สมหญิง ใจดี", phone="0812345678")
    b = _place(db, ids.tee_red_m, 2, name="Somchai", phone="0898765432", channel=Channel.LINE)
    c = _place(db, ids.tee_black_m, 1, name="มานี", phone="0611111111")
    with db.write() as s:
        orders.mark_paid(s, b.id, "owner")
    screen.refresh()
    await _settled(screen)
    assert _numbers(screen) == [c.number, b.number, a.number]

    screen.search.setText("345678")  # part of a phone number
    await until(lambda: _numbers(screen) == [a.number], timeout=5)
    screen.search.setText("somchai")
    await until(lambda: _numbers(screen) == [b.number], timeout=5)
    screen.search.setText(c.number.lower())
    await until(lambda: _numbers(screen) == [c.number], timeout=5)
    screen.search.clear()
    await until(lambda: len(_numbers(screen)) == 3, timeout=5)

    screen.payment.setCurrentIndex(screen.payment.findData("paid"))
    await _settled(screen)
    assert _numbers(screen) == [b.number]
    screen.payment.setCurrentIndex(0)
    screen.channel.setCurrentIndex(screen.channel.findData("widget"))
    await _settled(screen)
    assert _numbers(screen) == [c.number, a.number]
    screen.channel.setCurrentIndex(0)
    screen.status.setCurrentIndex(screen.status.findData("confirmed"))
    await _settled(screen)
    assert _numbers(screen) == [b.number]
    screen.status.setCurrentIndex(0)
    screen.min_total.setText("300")  # mug 150.50, two tees 580, black tee 310
    await until(lambda: _numbers(screen) == [c.number, b.number], timeout=5)
    screen.max_total.setText("400")
    await until(lambda: _numbers(screen) == [c.number], timeout=5)
    screen.max_total.setText("abc")
    await until(lambda: "abc" in screen.count_label.text(), timeout=5)
    assert _numbers(screen) == [c.number, b.number]
    screen.min_total.clear()
    screen.max_total.clear()
    screen.dates.setCurrentIndex(screen.dates.findData("today"))
    await _settled(screen)
    assert len(_numbers(screen)) == 3
    screen.show_customer(-1, "ไม่มีใคร")
    await _settled(screen)
    assert _numbers(screen) == [] and screen.count_label.text() == "ไม่พบออเดอร์ที่ตรงกับเงื่อนไข"
    await _close(screen)


async def test_bulk_status_moves_what_it_can_and_names_the_failures(
    make_ctx: Callable[..., AppContext],
) -> None:
    _ctx, db, ids, screen = await _shop(make_ctx)
    paid = _place(db, ids.mug, 1, name="ก")
    unpaid = _place(db, ids.mug, 1, name="ข")
    with db.write() as s:
        orders.mark_paid(s, paid.id, "owner")
    screen.refresh()
    await _settled(screen)
    screen.table.selectAll()
    await _settled(screen)
    assert set(screen.selected_ids()) == {paid.id, unpaid.id}
    assert screen.selected_label.text() == "เลือกไว้ 2 รายการ"

    task = screen.bulk_change_status()
    dialog: StatusDialog = await _dialog(screen, StatusDialog)
    dialog.status.setCurrentIndex(dialog.status.findData("shipped"))
    dialog.accept()
    done, failed = await task
    assert [c.order.id for c in done] == [paid.id]
    assert [number for number, _exc in failed] == [unpaid.number]
    assert _get(db, paid.id).status == "shipped"
    assert _get(db, unpaid.id).status == "pending"
    assert screen.message is not None
    text = screen.message.text()
    assert "1 จาก 2 ออเดอร์" in text and unpaid.number in text
    assert f"• {unpaid.number}: สถานะตอนนี้คือ “รอดำเนินการ” เปลี่ยนเป็น “จัดส่งแล้ว” ไม่ได้" in text
    screen.message.close()  # the owner has read it
    await _close(screen)


async def test_detail_shows_the_order_and_mark_paid_tells_the_chat(
    make_ctx: Callable[..., AppContext],
) -> None:
    _ctx, db, ids, screen = await _shop(make_ctx)
    new_conversation(db, "widget:shopper0001")
    order = _place(db, ids.tee_red_m, 2, name="สมหญิง ใจดี", ref="widget:shopper0001")
    screen.refresh()
    await _settled(screen)
    screen.open_order(order.id)
    await _settled(screen)
    d = screen.detail
    assert d.title.text() == order.number
    assert d.badge.text() == "รอดำเนินการ"
    assert d.items_model.rowCount() == 1
    assert d.items_model.data(d.items_model.index(0, 4)) == "580.00"
    assert "ยอดรวม ฿580.00" in d.totals.text()
    assert d.pay_button.isEnabled() and not d.refund_action.isEnabled()

    task = screen.mark_paid()
    dialog: PaymentDialog = await _dialog(screen, PaymentDialog)
    assert dialog.tell.isChecked()  # the order has a chat
    dialog.method.setCurrentIndex(dialog.method.findData("bank_transfer"))
    dialog.reference.setText("REF-778")
    dialog.accept()
    changed = await task
    assert changed.told is not None
    await _settled(screen)
    view = _get(db, order.id)
    assert (view.payment_status, view.status, view.payment_method, view.payment_ref) == (
        "paid", "confirmed", "bank_transfer", "REF-778",
    )  # fmt: skip
    assert _outbox_texts(db) == [
        f"ได้รับชำระเงินออเดอร์ {order.number} จำนวน ฿580 เรียบร้อยแล้วค่ะ ทางร้านจะรีบจัดส่งให้นะคะ 🙏"
    ]
    assert d.badge.text() == "ยืนยันแล้ว" and not d.pay_button.isEnabled()
    assert "อ้างอิง REF-778" in d.payment.text()

    d.note_edit.setText("ลูกค้าขอห่อของขวัญ")
    note = await screen.add_note()
    assert note is not None and [n.text for n in note.notes] == ["ลูกค้าขอห่อของขวัญ"]
    assert "ลูกค้าขอห่อของขวัญ" in d.notes.text()
    await _close(screen)


async def test_shipping_refuses_a_bad_thailand_post_number_in_thai_and_takes_a_good_one(
    make_ctx: Callable[..., AppContext],
) -> None:
    _ctx, db, ids, screen = await _shop(make_ctx)
    new_conversation(db, "widget:shopper0001")
    order = _place(db, ids.mug, 1, name="มานี", ref="widget:shopper0001")
    with db.write() as s:
        orders.mark_paid(s, order.id, "owner")
    screen.open_order(order.id)
    await _settled(screen)

    task = screen.edit_shipping()
    dialog: ShippingDialog = await _dialog(screen, ShippingDialog)
    assert dialog.mark_shipped.isChecked() and dialog.tell.isChecked()
    dialog.carrier.setCurrentText("Thailand Post")
    dialog.tracking.setText("EE123456784TH")  # the check digit should be 5
    dialog.accept()
    assert dialog.isVisible()
    assert dialog.problem.text().startswith("เลขพัสดุไปรษณีย์ไทย EE123456784TH ไม่ถูกต้อง")
    assert _get(db, order.id).tracking_number == ""

    dialog.tracking.setText("ee 123456785 th")
    dialog.accept()
    changed = await task
    assert changed is not None
    view = _get(db, order.id)
    assert (view.status, view.carrier, view.tracking_number) == (
        "shipped", "Thailand Post", "EE123456785TH",
    )  # fmt: skip
    (text,) = _outbox_texts(db)
    assert text == (
        f"ออเดอร์ {order.number} จัดส่งแล้วค่ะ 🚚\nขนส่ง: Thailand Post\n"
        "เลขพัสดุ: EE123456785TH\n"
        "https://track.thailandpost.co.th/?trackNumber=EE123456785TH"
    )
    await _settled(screen)
    assert "Thailand Post EE123456785TH" in screen.detail.shipping.text()
    await _close(screen)


async def test_cancel_gives_the_reserved_stock_back(make_ctx: Callable[..., AppContext]) -> None:
    _ctx, db, ids, screen = await _shop(make_ctx)
    before = _level(db, ids.tee_red_m)
    order = _place(db, ids.tee_red_m, 2, name="ก")  # a counter-less order without a chat
    assert _level(db, ids.tee_red_m) == before - 2
    screen.open_order(order.id)
    await _settled(screen)
    assert screen.detail.cancel_action.isEnabled()

    task = screen.change_status(OrderStatus.CANCELLED)
    dialog: StatusDialog = await _dialog(screen, StatusDialog)
    assert [dialog.status.itemData(i) for i in range(dialog.status.count())] == ["cancelled"]
    assert not dialog.tell.isEnabled()  # no chat to tell
    assert dialog.stock_hint.text() == "สต็อกที่จองไว้จะคืนกลับเข้าคลัง"
    dialog.note.setText("ลูกค้าเปลี่ยนใจ")
    dialog.accept()
    changed = await task
    assert changed.told is None
    view = _get(db, order.id)
    assert (view.status, view.cancel_reason) == ("cancelled", "ลูกค้าเปลี่ยนใจ")
    assert _level(db, ids.tee_red_m) == before
    await _settled(screen)
    assert screen.detail.badge.text() == "ยกเลิกแล้ว"
    assert not screen.detail.ship_button.isEnabled()
    await _close(screen)


async def test_a_counter_sale_reads_as_handed_over_not_unshipped(
    make_ctx: Callable[..., AppContext],
) -> None:
    """A counter sale is delivered on the spot: its detail says so instead of "not shipped
    yet" beside the delivered badge (seen by the outside review)."""
    _ctx, db, ids, screen = await _shop(make_ctx)
    with db.write() as s:
        sale = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.POS,
                lines=[orders.LineInput(1, variant_id=ids.mug)],
                payment_method=PaymentMethod.CASH,
                completed=True,
            ),
            "staff",
        )
    screen.open_order(sale.id)
    await _settled(screen)
    shipping = screen.detail.shipping.text()
    assert shipping.startswith("ส่งมอบที่หน้าร้าน ") and "ยังไม่จัดส่ง" not in shipping
    await _close(screen)


async def test_refund_of_a_paid_order_returns_the_goods_to_stock(
    make_ctx: Callable[..., AppContext],
) -> None:
    _ctx, db, ids, screen = await _shop(make_ctx)
    before = _level(db, ids.mug)
    order = _place(db, ids.mug, 3, name="ข")
    with db.write() as s:
        orders.mark_paid(s, order.id, "owner")
    screen.open_order(order.id)
    await _settled(screen)
    assert not screen.detail.cancel_action.isEnabled()  # paid: refund, not cancel
    assert screen.detail.refund_action.isEnabled()
    task = screen.change_status(OrderStatus.REFUNDED)
    dialog: StatusDialog = await _dialog(screen, StatusDialog)
    dialog.accept()
    await task
    view = _get(db, order.id)
    assert (view.status, view.payment_status) == ("refunded", "refunded")
    assert _level(db, ids.mug) == before
    await _close(screen)


async def test_refunding_a_walk_in_sale_asks_who_the_credit_note_names(
    make_ctx: Callable[..., AppContext],
) -> None:
    """A VAT shop's paid sale without a printed tax invoice: the refund issues the invoice it
    owed and a credit note, which must name the buyer (s.86/10). The order names nobody's
    address, so the screen asks, keeps the refund undone until the form is complete, then
    refunds."""
    from minichat_desktop.domain import shop
    from minichat_desktop.domain.sales import tax_documents as docs
    from minichat_desktop.ui.printing import BuyerDialog

    _ctx, db, ids, screen = await _shop(make_ctx)
    with db.write() as s:
        shop.update_profile(s, "owner", vat_registered=True, tax_id="0105565123452")
    order = _place(db, ids.mug, 1, name="คุณเอ")
    with db.write() as s:
        orders.mark_paid(s, order.id, "owner")
    screen.open_order(order.id)
    await _settled(screen)
    task = screen.change_status(OrderStatus.REFUNDED)
    status: StatusDialog = await _dialog(screen, StatusDialog)
    status.note.setText("สินค้าชำรุด")
    status.accept()
    form: BuyerDialog = await _dialog(screen, BuyerDialog)
    assert form.windowTitle() == "ผู้ซื้อในใบลดหนี้"
    assert form.name.text() == "คุณเอ" and form.address.toPlainText() == ""
    form.accept()  # no address yet: the form stays and says so
    assert form.isVisible() and form.problem.text() != ""
    assert _get(db, order.id).status != OrderStatus.REFUNDED
    form.address.setPlainText("12 ถนนนิมมานเหมินท์ เชียงใหม่ 50200")
    form.accept()
    await task
    assert _get(db, order.id).status == OrderStatus.REFUNDED
    with db.read() as s:
        note = docs.find_document(s, order.id, docs.DocumentKind.CREDIT_NOTE)
        owed = docs.find_document(s, order.id, docs.DocumentKind.ABBREVIATED)
    assert owed is not None and note is not None
    assert (note.buyer.name, note.buyer.address) == ("คุณเอ", "12 ถนนนิมมานเหมินท์ เชียงใหม่ 50200")
    await _close(screen)


async def test_the_slip_opens_scaled_and_zooms(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    ctx, db, ids, screen = await _shop(make_ctx)
    order = _place(db, ids.mug, 1, name="ค")
    folder = ctx.data_dir / "media" / "slips"
    folder.mkdir(parents=True)
    image = QImage(600, 1200, QImage.Format.Format_RGB32)
    image.fill(QColor("#cde"))
    assert image.save(str(folder / "w-9.png"))
    with db.write() as s:
        orders.attach_slip(s, order.id, "media/slips/w-9.png", "bot")
    screen.open_order(order.id)
    await _settled(screen)
    assert screen.detail.slip_button.isVisible()
    task = screen.view_slip()
    dialog: SlipDialog = await _dialog(screen, SlipDialog)
    assert dialog.ok and dialog.view is not None
    await until(lambda: dialog.scale_label.text() != "", timeout=5)
    fitted = dialog.view.factor
    assert fitted < 1.0  # a tall slip is scaled down to fit
    dialog.zoom_in.click()
    assert abs(dialog.view.factor - fitted * 1.25) < 1e-6
    dialog.actual_button.click()
    assert dialog.view.factor == 1.0 and dialog.scale_label.text() == "100%"
    dialog.accept()
    await task
    await _close(screen)


async def test_templates_show_placeholders_as_chips_and_save_the_shops_words(
    make_ctx: Callable[..., AppContext],
) -> None:
    """The owner sees "เลขพัสดุ", never {tracking}: fields go in as chips from the buttons;
    braces typed by hand stay text (a misspelt placeholder cannot be made); the preview and
    the saved template are right."""
    _ctx, db, _ids, screen = await _shop(make_ctx)
    task = screen.edit_templates()
    dialog: TemplatesDialog = await _dialog(screen, TemplatesDialog)
    dialog.events.setCurrentRow(order_notify.EVENTS.index("shipped"))
    assert "{order_number}" not in dialog.editor.toPlainText()
    dialog.editor.clear()
    dialog.editor.insertPlainText("ส่งแล้วค่ะ ")
    dialog.fields_box.buttons["order_number"].click()
    dialog.editor.insertPlainText("\nเลข ")
    dialog.fields_box.buttons["tracking"].click()
    QTest.keyClicks(dialog.editor, " {tracknig}")
    assert [b.text() for b in dialog.fields_box.buttons.values()][:2] == [
        "+ ชื่อลูกค้า",
        "+ เลขออเดอร์",
    ]
    assert dialog.problem.text() == ""
    assert dialog.preview.text() == "ส่งแล้วค่ะ MC-2026-000123\nเลข EE123456785TH {tracknig}"
    dialog.accept()
    saved = await task
    assert saved is not None
    with db.read() as s:
        assert (
            order_notify.get_templates(s)["shipped"]
            == "ส่งแล้วค่ะ {order_number}\nเลข {tracking} {{tracknig}}"
        )
    await _close(screen)


async def test_the_partly_refunded_message_is_edited_with_the_others(
    make_ctx: Callable[..., AppContext],
) -> None:
    """The templates dialog lists "คืนเงินบางส่วน" among the events; {refunded} has its button
    and previews as an amount (฿150); the shop's words are saved."""
    _ctx, db, _ids, screen = await _shop(make_ctx)
    task = screen.edit_templates()
    dialog: TemplatesDialog = await _dialog(screen, TemplatesDialog)
    row = order_notify.EVENTS.index("partly_refunded")
    assert dialog.events.item(row).text() == "คืนเงินบางส่วน"
    dialog.events.setCurrentRow(row)
    assert dialog.editor.template() == order_notify.DEFAULT_TEMPLATES["partly_refunded"]
    assert dialog.fields_box.buttons["refunded"].text() == "+ ยอดที่คืน"
    dialog.editor.set_template("คืนเงิน {refunded} ของออเดอร์ {order_number} แล้วค่ะ")
    assert dialog.problem.text() == ""
    assert dialog.preview.text() == "คืนเงิน ฿150 ของออเดอร์ MC-2026-000123 แล้วค่ะ"
    dialog.accept()
    assert await task is not None
    with db.read() as s:
        saved = order_notify.get_templates(s)["partly_refunded"]
    assert saved == "คืนเงิน {refunded} ของออเดอร์ {order_number} แล้วค่ะ"
    await _close(screen)


async def test_no_orders_yet_says_where_they_will_come_from(
    make_ctx: Callable[..., AppContext],
) -> None:
    """A shop with no orders sees where orders will come from; a filter that finds none keeps
    the table and says "no orders match"; the first order replaces the hint."""
    _ctx, db, ids, screen = await _shop(make_ctx)
    assert screen.empty.isVisible() and not screen.table.isVisible()
    assert screen.empty.title.text() == "ยังไม่มีออเดอร์"
    screen.search.setText("MC-2099")
    await until(lambda: screen.count_label.text().startswith("ไม่พบออเดอร์"), timeout=10)
    assert screen.table.isVisible() and not screen.empty.isVisible()
    screen.search.clear()
    _place(db, ids.mug, 1, name="ก")
    screen.refresh()
    await until(lambda: screen.model.rowCount() == 1, timeout=10)
    assert screen.table.isVisible() and not screen.empty.isVisible()
    await _close(screen)
