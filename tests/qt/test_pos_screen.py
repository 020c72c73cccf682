"""The counter screen on a real database: a scanner's keystrokes add lines, the payment dialog
takes cash and gives change, stock drops, a refund brings it back, held sales come back, and
the Z report's sums match the sales."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog
from support.boxes import Boxes
from support.waiting import until

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.models import Channel, OrderStatus, PaymentMethod
from minichat_desktop.domain.sales import orders, pos
from minichat_desktop.domain.sales import tax_documents as documents
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.pos_dialogs import MoneyDialog, PayDialog, PickDialog
from minichat_desktop.ui.pos_screen import PosScreen

ACTOR = "owner"


@pytest.fixture
def warnings(qapp: Any) -> Iterator[list[str]]:
    """The warning and crash boxes shown (each closed as a person would); questions are
    answered Yes."""
    boxes = Boxes().start()
    yield boxes.texts
    boxes.stop()


def fill(ctx: AppContext) -> dict[str, int]:
    def add(**fields: Any) -> catalog.ProductView:
        return ctx.ops.write_now(catalog.save_product, ProductInput(**fields), ACTOR)

    ctx.ops.write_now(shop.update_profile, ACTOR, promptpay_id="0812345678")
    tea = add(
        sku="TEA",
        name_th="ชาไทยเย็น",
        price_satang=4500,
        variants=[VariantInput(sku="TEA-1", barcode="8850001000017", stock=20)],
    )
    shirt = add(
        sku="SHIRT",
        name_th="เสื้อยืดคอกลม",
        price_satang=25000,
        option_names=["ไซส์"],
        variants=[
            VariantInput(sku="SHIRT-M", options={"ไซส์": "M"}, stock=2),
            VariantInput(sku="SHIRT-L", options={"ไซส์": "L"}, stock=5),
        ],
    )
    return {
        "tea": tea.variants[0].id,
        "shirt_m": shirt.variants[0].id,
        "shirt_l": shirt.variants[1].id,
    }


def level(ctx: AppContext, variant_id: int) -> int:
    return ctx.ops.read_now(stock.level, variant_id).stock


async def scan(screen: PosScreen, code: str) -> None:
    """Type as a scanner does: the code, then Enter."""
    before = screen.model.item_count()
    QTest.keyClicks(screen.scan, code)
    QTest.keyClick(screen.scan, Qt.Key.Key_Return)
    await until(lambda: screen.model.item_count() > before and screen.busy == 0)


def when_dialog(screen: PosScreen, kind: type, act: Callable[[Any], None]) -> None:
    """Run ``act`` on the screen's dialog once it is open (a modal dialog runs its own event
    loop, so the test acts from a timer)."""

    tries = iter(range(500))

    def poll() -> None:
        if isinstance(screen.dialog, kind) and screen.dialog.isVisible():
            act(screen.dialog)
        elif next(tries, None) is not None:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)


async def close(screen: PosScreen) -> None:
    """Let refreshes already signalled finish inside the test's loop, then close (a dialog a
    failed test left open first)."""
    if isinstance(screen.dialog, QDialog):
        screen.dialog.reject()
    await asyncio.sleep(0.1)
    await until(lambda: screen.busy == 0)
    screen.close()
    screen.deleteLater()


async def test_scan_pay_cash_give_change_stock_drops(
    make_ctx: Callable[..., AppContext], warnings: list[str], tmp_path: Path
) -> None:
    ctx = make_ctx()
    ids = fill(ctx)
    # the receipt printer: ESC/POS into a file (as to /dev/usb/lp0)
    receipt_file = tmp_path / "lp0"
    ctx.ops.write_now(
        documents.save_printer_settings,
        documents.PrinterSettings(
            receipt_kind=documents.ReceiptPrinterKind.FILE, receipt_target=str(receipt_file)
        ),
    )
    screen = PosScreen(ctx)
    screen.resize(1200, 760)
    screen.show()
    try:
        assert await screen.open_shift(100_000)
        await scan(screen, "8850001000017")
        await scan(screen, "8850001000017")  # the same code again: one more on the same line
        assert [(ln.item.sku, ln.quantity) for ln in screen.model.lines] == [("TEA-1", 2)]
        QTest.keyClick(screen.scan, Qt.Key.Key_Plus)  # + on an empty scan field: one more
        assert screen.model.lines[0].quantity == 3
        await scan(screen, "shirt-l")  # a typed SKU in lower case
        assert screen.total_label.text() == "฿385.00"

        # Pay through the real dialog: 500 baht cash, 115 change.
        due: list[str] = []

        def pay_cash(dialog: PayDialog) -> None:
            due.append(dialog.due.text())
            dialog.amount.setText("500")
            QTest.keyClick(dialog.amount, Qt.Key.Key_Return)

        when_dialog(screen, PayDialog, pay_cash)
        screen.pay()
        await until(lambda: screen.last_sale is not None and screen.busy == 0)
        sale = screen.last_sale
        assert sale is not None
        assert due == ["฿385.00"]
        assert sale.change_satang == 11_500
        assert "฿115.00" in screen.notice.text()
        assert screen.model.rowCount() == 0  # a new, empty sale
        assert (level(ctx, ids["tea"]), level(ctx, ids["shirt_l"])) == (17, 4)
        view = ctx.ops.read_now(orders.get_order, sale.order.id)
        assert (view.channel, view.status, view.total_satang) == (
            Channel.POS,
            OrderStatus.DELIVERED,
            38_500,
        )
        # the receipt came out of the printer by itself: ESC/POS, Thai as a raster image
        await until(lambda: receipt_file.exists() and screen.busy == 0)
        data = receipt_file.read_bytes()
        assert data.startswith(b"\x1b@") and b"\x1dv0" in data
        assert warnings == []
    finally:
        await close(screen)


async def test_a_product_name_asks_which_variant_and_short_stock_keeps_the_bill(
    make_ctx: Callable[..., AppContext], warnings: list[str]
) -> None:
    ctx = make_ctx(lang="en")
    ids = fill(ctx)
    screen = PosScreen(ctx)
    screen.show()
    try:
        assert await screen.open_shift(0)

        offered: list[int] = []

        def pick_medium(dialog: PickDialog) -> None:
            offered.append(dialog.list.count())
            dialog.list.setCurrentRow(0)
            QTest.keyClick(dialog.list, Qt.Key.Key_Return)

        when_dialog(screen, PickDialog, pick_medium)
        screen.scan.insert("เสื้อยืด")  # Thai cannot be typed with QTest.keyClicks
        QTest.keyClick(screen.scan, Qt.Key.Key_Return)
        await until(lambda: screen.model.rowCount() == 1 and screen.busy == 0)
        assert screen.model.lines[0].item.sku == "SHIRT-M"
        assert offered == [2]
        screen.model.set_quantity(0, 3)  # only 2 in stock
        ok = await screen.complete_sale([pos.Tender(PaymentMethod.CASH, 75_000)], 0)
        assert not ok
        assert any("SHIRT-M" in w for w in warnings)
        assert screen.model.rowCount() == 1  # the bill stays to fix
        assert level(ctx, ids["shirt_m"]) == 2
        await scan(screen, "TEA-1")  # the refusal's box is not the screen's notice line
        assert screen.notice.text().endswith(" · ฿45.00")
    finally:
        await close(screen)


async def test_hold_resume_refund_and_the_z_report(
    make_ctx: Callable[..., AppContext], warnings: list[str]
) -> None:
    ctx = make_ctx()
    ids = fill(ctx)
    screen = PosScreen(ctx)
    screen.show()
    try:
        assert await screen.open_shift(50_000)
        await scan(screen, "TEA-1")
        await screen.hold_as("โต๊ะ 3")
        await until(lambda: "(1)" in screen.held_button.text())
        assert screen.model.rowCount() == 0
        await scan(screen, "SHIRT-L")
        await screen.complete_sale([pos.Tender(PaymentMethod.PROMPTPAY, 25_000)], 0)
        held = ctx.ops.read_now(pos.list_held)
        await screen.resume_held(held[0].id)
        assert [(ln.item.sku, ln.quantity) for ln in screen.model.lines] == [("TEA-1", 1)]
        await screen.complete_sale([pos.Tender(PaymentMethod.CASH, 4_500, 10_000)], 5_500)
        tea_sale = screen.last_sale
        assert tea_sale is not None
        assert level(ctx, ids["tea"]) == 19

        assert await screen.refund(tea_sale.order.id, "ลูกค้าเปลี่ยนใจ")
        assert level(ctx, ids["tea"]) == 20
        assert await screen.move_cash(-10_000, "ซื้อน้ำแข็ง")

        z = await screen.close_shift(35_000)
        assert z is not None and z.z_number == 1
        assert (z.sales_count, z.sales_total_satang, z.refunds_total_satang) == (2, 29_500, 4_500)
        assert z.by_method == {"cash": 0, "promptpay": 25_000}
        assert z.expected_cash_satang == 50_000 - 10_000
        assert z.difference_satang == -5_000
        page = screen.dialog.view.toPlainText()
        assert "รายงานปิดกะ (Z) ครั้งที่ 1" in page
        assert "฿400.00" in page and "-฿50.00" in page  # expected cash; short by 50
        assert screen.shift is None and "เปิดกะ" in screen.shift_button.text()
        screen.dialog.close()
        assert warnings == []
    finally:
        await close(screen)


async def test_selling_without_a_shift_asks_to_open_one(
    make_ctx: Callable[..., AppContext], warnings: list[str]
) -> None:
    ctx = make_ctx()
    fill(ctx)
    screen = PosScreen(ctx)
    screen.show()
    try:
        assert "เปิดกะ" in screen.shift_label.text()
        assert screen.shift_button.property("primary") is True  # the thing to do first
        await scan(screen, "TEA-1")

        refused: list[bool] = []

        def count_float(dialog: MoneyDialog) -> None:
            dialog.amount.setText("abc")
            QTest.keyClick(dialog.amount, Qt.Key.Key_Return)  # not an amount: stays open
            refused.append(dialog.isVisible() and dialog.amount.property("invalid") is True)
            dialog.amount.setText("1,000")
            QTest.keyClick(dialog.amount, Qt.Key.Key_Return)
            when_dialog(screen, PayDialog, pay_exact)

        def pay_exact(dialog: PayDialog) -> None:
            QTest.keyClick(dialog.amount, Qt.Key.Key_Return)  # the amount due, in cash

        when_dialog(screen, MoneyDialog, count_float)
        screen.pay()
        await until(lambda: screen.last_sale is not None and screen.busy == 0)
        assert refused == [True]
        assert screen.shift is not None and screen.shift.opening_float_satang == 100_000
        assert screen.shift_button.property("primary") is False  # now it closes the shift
        assert ctx.ops.read_now(pos.shift_report).by_method == {"cash": 4_500}
        assert warnings == []
    finally:
        await close(screen)


def test_pay_dialog_splits_cash_then_card() -> None:
    dialog = PayDialog(30_000, "")
    dialog.amount.setText("100")
    dialog.take_cash()
    assert dialog.remaining == 20_000 and not dialog.result()
    assert dialog.amount.text() == "200.00"
    assert not dialog.promptpay_button.isEnabled()  # no PromptPay ID set
    dialog.ref.setText("1234")
    dialog.take(PaymentMethod.CARD)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert [(t.method, t.amount_satang, t.ref) for t in dialog.tenders] == [
        (PaymentMethod.CASH, 10_000, ""),
        (PaymentMethod.CARD, 20_000, "1234"),
    ]
    assert dialog.change_satang == 0
    dialog.deleteLater()


def test_pay_dialog_shows_change_or_shortfall_while_typing() -> None:
    """฿123.45 due: typing 500 shows the change, 100 what is still short, nonsense nothing."""
    dialog = PayDialog(12_345, "0812345678")
    dialog.amount.setText("500")
    assert dialog.change.text() == "ทอน ฿376.55"
    dialog.amount.setText("100")
    assert dialog.change.text() == "ยังขาด ฿23.45"
    dialog.amount.setText("abc")
    assert dialog.change.text() == ""
    dialog.deleteLater()


def test_pay_dialog_shows_a_promptpay_qr_for_the_amount_due() -> None:
    dialog = PayDialog(12_345, "0812345678")
    assert dialog.cash_button.property("primary") is True
    dialog.show_promptpay()
    # With the QR up, "payment received" is the one primary button.
    assert (dialog.qr_received.property("primary"), dialog.cash_button.property("primary")) == (
        True,
        False,
    )
    assert not dialog.qr.pixmap().isNull()
    assert "123.45" in dialog.qr_caption.text()
    dialog.qr_received.click()
    assert [(t.method, t.amount_satang) for t in dialog.tenders] == [
        (PaymentMethod.PROMPTPAY, 12_345)
    ]
    dialog.deleteLater()


async def test_quick_tiles_name_the_variant_and_add_it(make_ctx: Callable[..., AppContext]) -> None:
    """Two sizes of one shirt are two tiles that say which size; a tap adds that one."""
    ctx = make_ctx()
    ids = fill(ctx)
    ctx.ops.write_now(pos.set_favourites, [ids["shirt_m"], ids["shirt_l"], ids["tea"]])
    screen = PosScreen(ctx)
    texts = [b.text().split("\n") for b in screen.quick_buttons]
    assert [t[1:] for t in texts] == [["M", "฿250.00"], ["L", "฿250.00"], [" ", "฿45.00"]]
    assert texts[0][0] == texts[1][0] == "เสื้อยืดคอกลม"
    screen.quick_buttons[1].click()
    await until(lambda: screen.model.item_count() == 1 and screen.busy == 0)
    assert screen.model.lines[0].item.variant_id == ids["shirt_l"]
    await close(screen)


async def pay_exact_cash(screen: PosScreen) -> str:
    """Pay the amount due in cash through the real dialog; returns what the dialog asked."""
    asked: list[str] = []

    def take(dialog: PayDialog) -> None:
        asked.append(dialog.due.text())
        QTest.keyClick(dialog.amount, Qt.Key.Key_Return)  # the amount due, in cash

    before = screen.last_sale
    when_dialog(screen, PayDialog, take)
    screen.pay()
    await until(lambda: screen.last_sale is not before and screen.busy == 0)
    return asked[0]


@pytest.mark.parametrize(
    ("prices_include_vat", "till", "vat_line", "stored"),
    [
        (False, "฿107.00", "ภาษีมูลค่าเพิ่ม 7% ฿7.00", (10_000, 700, 10_700)),
        (True, "฿100.00", None, (10_000, 654, 10_000)),
    ],
)
async def test_the_till_shows_what_the_payment_dialog_asks_with_vat(
    make_ctx: Callable[..., AppContext],
    warnings: list[str],
    prices_include_vat: bool,
    till: str,
    vat_line: str | None,
    stored: tuple[int, int, int],
) -> None:
    """A VAT-registered shop: a ฿100.00 item costs ฿107.00 on the till, in the payment dialog
    and in the stored sale when prices exclude VAT (VAT a line of its own), and ฿100.00 when
    they include it (no VAT line)."""
    ctx = make_ctx()
    ctx.ops.write_now(
        shop.update_profile,
        ACTOR,
        tax_id="0105565123452",
        vat_registered=True,
        prices_include_vat=prices_include_vat,
    )
    ctx.ops.write_now(
        catalog.save_product,
        ProductInput(
            sku="SOAP",
            name_th="สบู่",
            price_satang=10_000,
            variants=[VariantInput(sku="SOAP-1", stock=5)],
        ),
        ACTOR,
    )
    screen = PosScreen(ctx)
    screen.show()
    try:
        assert await screen.open_shift(100_000)
        await scan(screen, "SOAP-1")
        assert screen.total_label.text() == till
        lines = screen.sums.text().split("\n")
        assert lines[1:] == ([vat_line] if vat_line else [])
        assert await pay_exact_cash(screen) == till
        assert screen.last_sale is not None
        view = ctx.ops.read_now(orders.get_order, screen.last_sale.order.id)
        assert (view.subtotal_satang, view.vat_satang, view.total_satang) == stored
        assert warnings == []
    finally:
        await close(screen)


async def test_the_till_follows_the_shop_switching_to_prices_without_vat(
    make_ctx: Callable[..., AppContext], warnings: list[str]
) -> None:
    """Saving the shop's VAT terms re-totals the sale on the till at once."""
    ctx = make_ctx()
    fill(ctx)
    screen = PosScreen(ctx)
    screen.show()
    try:
        await scan(screen, "TEA-1")
        assert screen.total_label.text() == "฿45.00"
        await ctx.ops.write(
            shop.update_profile,
            ACTOR,
            tax_id="0105565123452",
            vat_registered=True,
            prices_include_vat=False,
        )
        await until(lambda: screen.total_label.text() == "฿48.15")
        assert screen.sums.text().endswith("ภาษีมูลค่าเพิ่ม 7% ฿3.15")
        assert warnings == []
    finally:
        await close(screen)


async def test_the_counter_refunds_part_of_a_sale_through_the_refund_dialog(
    make_ctx: Callable[..., AppContext], warnings: list[str]
) -> None:
    """F8's refund opens the orders screen's refund dialog: one of three teas back, into
    stock, 45.00 cash out of the drawer; the sale stays a sale, partly refunded."""
    from minichat_desktop.ui.refund_dialog import RefundDialog

    ctx = make_ctx()
    ids = fill(ctx)
    screen = PosScreen(ctx)
    screen.show()
    try:
        assert await screen.open_shift(50_000)
        for _ in range(3):
            await scan(screen, "TEA-1")
        await screen.complete_sale([pos.Tender(PaymentMethod.CASH, 13_500)], 0)
        sale = screen.last_sale
        assert sale is not None
        task = asyncio.ensure_future(screen.choose_refund(sale.order.id))
        await until(lambda: isinstance(screen.dialog, RefundDialog))
        dialog = screen.dialog
        assert isinstance(dialog, RefundDialog)
        dialog.units[0].setValue(1)
        dialog.units[0].setValue(4)  # more than bought: the spin box stops at what is left
        assert dialog.units[0].value() == 3
        dialog.units[0].setValue(1)
        dialog.reason.setText("ชาหก")
        assert dialog.summary.text() == "คืนเงิน ฿45.00"  # this shop is not VAT-registered
        dialog.accept()
        assert await task
        assert screen.notice.text().startswith(f"คืนเงินบิล {sale.order.number}")
        assert "฿45.00" in screen.notice.text()
        assert level(ctx, ids["tea"]) == 18
        view = ctx.ops.read_now(orders.get_order, sale.order.id)
        assert (view.status, view.refunded_satang) == (OrderStatus.DELIVERED, 4_500)
        report = ctx.ops.read_now(pos.shift_report)
        assert (report.refunds_total_satang, report.expected_cash_satang) == (4_500, 59_000)
        assert warnings == []
    finally:
        await close(screen)


async def test_the_warning_to_open_a_shift_goes_once_one_is_open(
    make_ctx: Callable[..., AppContext],
) -> None:
    """The review saw the red "open a shift first" stay after the shift was opened."""
    ctx = make_ctx()
    fill(ctx)
    screen = PosScreen(ctx)
    screen._say("เปิดกะก่อนขาย", warn=True)
    assert await screen.open_shift(50_000)
    assert screen.notice.text() == ""
    await close(screen)
