"""Payment slips on the Orders screen, on a real database with generated slip pictures: the
slip beside its check and the amount due in large type, one button that records the payment
(nothing is paid without it), the check's chip on the order, a slip attached from a file, a
reused slip warned about, and the dialog looked at in Thai and English at the shop PC's sizes."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from support.boxes import choose_file
from support.slip_services import FakeSlipOK, Slip
from support.slips import KBANK_QR, add_noise, encode, no_qr, slip_screen
from test_orders_screen import _close, _dialog, _get, _place, _settled, _shop

from minichat_desktop.app import slip_verify
from minichat_desktop.domain import shop
from minichat_desktop.domain.models import PaymentMethod, PaymentStatus, SlipCheck
from minichat_desktop.domain.payments.slips import build_slip_qr
from minichat_desktop.domain.sales import orders
from minichat_desktop.secrets import slip_key
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.orders_dialogs import SlipDialog
from minichat_desktop.ui.th import THAI

UI = Path(__file__).resolve().parents[2] / "minichat_desktop" / "ui"


def _slip_file(folder: Path, name: str, payload: str | None) -> Path:
    data = encode(add_noise(slip_screen(payload), 3), "JPEG", quality=85)
    path = folder / name
    path.write_bytes(data)
    return path


async def test_the_confirm_button_marks_paid_with_the_slips_reference(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    """A slip from the chat: the dialog shows ฿1,505 due, the bank and the reference; the
    order stays unpaid until the one primary button is pressed, then it is paid by transfer
    with the slip's reference."""
    ctx, db, ids, screen = await _shop(make_ctx)
    order = _place(db, ids.mug, 10, name="สมหญิง", method=PaymentMethod.BANK_TRANSFER)
    assert order.total_satang == 150500
    folder = ctx.data_dir / "media" / "slips"
    folder.mkdir(parents=True)
    _slip_file(folder, "w-1.jpg", KBANK_QR)
    with db.write() as s:
        orders.attach_slip(s, order.id, "media/slips/w-1.jpg", "bot", payloads=(KBANK_QR,))
    screen.open_order(order.id)
    await _settled(screen)
    assert screen.detail.slip_chip.isVisible()
    assert screen.detail.slip_chip.text() == "อ่าน QR สลิปแล้ว"
    assert screen.detail.slip_chip.property("chip") == "ok"

    task = asyncio.ensure_future(screen.view_slip())
    dialog: SlipDialog = await _dialog(screen, SlipDialog)
    assert dialog.amount.text() == "฿1,505.00"
    assert dialog.amount.font().pointSizeF() >= 20  # large type
    assert (dialog.bank.text(), dialog.reference.text()) == ("กสิกรไทย", "016340141523ATF05798")
    assert not dialog.confirm_button.isHidden()
    assert dialog.confirm_button.text() == "ยืนยันรับชำระ ฿1,505"
    assert dialog.confirm_button.property("primary") is True
    assert dialog.warning.isHidden()
    assert _get(db, order.id).payment_status == PaymentStatus.PENDING  # not without the click
    dialog.confirm_button.click()
    await task
    await _settled(screen)
    paid = _get(db, order.id)
    assert (paid.payment_status, paid.payment_method, paid.payment_ref) == (
        PaymentStatus.PAID,
        PaymentMethod.BANK_TRANSFER,
        "016340141523ATF05798",
    )
    await _close(screen)


async def test_closing_the_dialog_marks_nothing_and_a_paid_order_has_no_button(
    make_ctx: Callable[..., AppContext],
) -> None:
    """Close leaves the order unpaid; once paid, the dialog says when and offers no button."""
    ctx, db, ids, screen = await _shop(make_ctx)
    order = _place(db, ids.mug, 1)
    folder = ctx.data_dir / "media" / "slips"
    folder.mkdir(parents=True)
    _slip_file(folder, "w-2.jpg", KBANK_QR)
    with db.write() as s:
        orders.attach_slip(s, order.id, "media/slips/w-2.jpg", "bot", payloads=(KBANK_QR,))
    screen.open_order(order.id)
    await _settled(screen)
    task = asyncio.ensure_future(screen.view_slip())
    dialog: SlipDialog = await _dialog(screen, SlipDialog)
    dialog.reject()
    await task
    assert _get(db, order.id).payment_status == PaymentStatus.PENDING
    with db.write() as s:
        orders.mark_paid(s, order.id, "owner")
    screen.open_order(order.id)
    await _settled(screen)
    task = asyncio.ensure_future(screen.view_slip())
    dialog = await _dialog(screen, SlipDialog)
    assert dialog.confirm_button.isHidden() and dialog.tell.isHidden()
    assert dialog.paid_label.text().startswith("ชำระเมื่อ ")
    dialog.reject()
    await task
    await _close(screen)


async def test_a_slip_attached_from_a_file_is_checked_and_a_reused_one_warned(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    """The owner attaches a slip file to a second order although it paid the first: the
    picture is copied under media/slips, the chip says the slip was used before, the dialog
    names the first order — and the owner may still decide."""
    ctx, db, ids, screen = await _shop(make_ctx)
    first = _place(db, ids.mug, 1)
    second = _place(db, ids.mug, 2)
    source = _slip_file(tmp_path, "from-email.jpg", KBANK_QR)
    with db.write() as s:
        orders.attach_slip(s, first.id, "media/slips/x.jpg", "bot", payloads=(KBANK_QR,))
    screen.open_order(second.id)
    await _settled(screen)

    task = asyncio.ensure_future(screen.attach_slip())
    await choose_file(screen, str(source))
    dialog: SlipDialog = await _dialog(screen, SlipDialog)
    assert dialog.chip.text() == "สลิปซ้ำ" and dialog.chip.property("chip") == "danger"
    assert not dialog.warning.isHidden()
    assert dialog.warning_text == (f"สลิปนี้เคยใช้กับออเดอร์ {first.number} — ตรวจสอบกับลูกค้าก่อนยืนยัน")
    dialog.reject()
    view = await task
    assert view is not None and view.slip_check is not None
    assert view.slip_check.check == SlipCheck.REUSED
    stored = ctx.data_dir / view.slip_path
    assert view.slip_path.startswith("media/slips/order-")
    assert stored.read_bytes() == source.read_bytes()
    assert screen.detail.slip_chip.text() == "สลิปซ้ำ"
    assert _get(db, second.id).payment_status == PaymentStatus.PENDING
    await _close(screen)


async def test_a_picture_without_a_qr_says_check_the_amount_yourself(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    """No QR on the picture: the warning tells the owner to check the amount; a file that is
    not a picture is refused with what to choose instead."""
    from support.boxes import Boxes

    _ctx, db, ids, screen = await _shop(make_ctx)
    order = _place(db, ids.mug, 1)
    source = tmp_path / "cropped.jpg"
    source.write_bytes(no_qr())
    screen.open_order(order.id)
    await _settled(screen)
    task = asyncio.ensure_future(screen.attach_slip())
    await choose_file(screen, str(source))
    dialog: SlipDialog = await _dialog(screen, SlipDialog)
    assert dialog.chip.text() == "อ่าน QR ไม่ได้"
    assert dialog.warning_text == "อ่าน QR บนสลิปไม่ได้ — ตรวจยอดเองก่อนยืนยัน"
    assert dialog.reference.text() == "–"
    dialog.reject()
    await task

    (tmp_path / "notes.jpg").write_text("not a picture")
    boxes = Boxes().start()
    try:
        task = asyncio.ensure_future(screen.attach_slip())
        await choose_file(screen, str(tmp_path / "notes.jpg"))
        assert await task is None
    finally:
        boxes.stop()
    assert boxes.texts == ["notes.jpg ไม่ใช่รูปภาพที่เปิดได้ กรุณาเลือกไฟล์ JPEG, PNG หรือ WebP"]
    await _close(screen)


async def test_a_slip_from_before_checks_is_checked_when_first_viewed(
    make_ctx: Callable[..., AppContext],
) -> None:
    """An order whose slip was attached before slips were checked (no check row, as after
    the upgrade) gets its picture read when the owner opens it; the chip follows."""
    from sqlalchemy import delete

    from minichat_desktop.domain.models import PaymentSlip

    ctx, db, ids, screen = await _shop(make_ctx)
    order = _place(db, ids.mug, 1)
    folder = ctx.data_dir / "media" / "slips"
    folder.mkdir(parents=True)
    _slip_file(folder, "old.jpg", KBANK_QR)
    with db.write() as s:
        orders.attach_slip(s, order.id, "media/slips/old.jpg", "bot")
        s.execute(delete(PaymentSlip))  # as a slip attached by version 0006
    assert _get(db, order.id).slip_check is None
    screen.open_order(order.id)
    await _settled(screen)
    assert screen.detail.slip_chip.text() == "ยังไม่ได้ตรวจสลิป"
    task = asyncio.ensure_future(screen.view_slip())
    dialog: SlipDialog = await _dialog(screen, SlipDialog)
    assert dialog.chip.text() == "อ่าน QR สลิปแล้ว"
    assert dialog.reference.text() == "016340141523ATF05798"
    dialog.reject()
    await task
    check = _get(db, order.id).slip_check
    assert check is not None and (check.check, check.path) == (
        SlipCheck.READ,
        "media/slips/old.jpg",
    )
    await _settled(screen)
    assert screen.detail.slip_chip.text() == "อ่าน QR สลิปแล้ว"
    await _close(screen)


async def test_the_dialog_at_the_shop_pcs_sizes_in_thai_and_english(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    """Grabbed at 1366×728 and 1000×640 in both languages (the PNGs are left in the test's
    temporary folder to look at): the amount, the warning and the confirm button fit."""
    for lang in ("th", "en"):
        ctx = make_ctx(lang=lang)
        db = ctx.ops.db
        from support.bot_shop import make_shop

        ids = make_shop(db)
        first = _place(db, ids.mug, 1)
        order = _place(db, ids.tee_red_m, 4)
        path = _slip_file(tmp_path, f"{lang}.jpg", KBANK_QR)
        with db.write() as s:
            orders.attach_slip(s, first.id, "x.jpg", "bot", payloads=(KBANK_QR,))
            view = orders.attach_slip(s, order.id, str(path), "bot", payloads=(KBANK_QR,))
        for w, h in ((1366, 728), (1000, 640)):
            dialog = SlipDialog(
                None,
                path,
                view.number,
                total_satang=view.total_satang,
                check=view.slip_check,
                payable=True,
                has_chat=True,
            )
            dialog.resize(w, h)
            dialog.show()
            await asyncio.sleep(0.05)
            assert dialog.grab().save(str(tmp_path / f"slip-dialog-{lang}-{w}x{h}.png"))
            for widget in (dialog.amount, dialog.warning, dialog.confirm_button):
                corner = widget.mapTo(dialog, widget.rect().bottomRight())
                assert dialog.rect().contains(corner), (lang, w, widget)
                assert widget.width() >= widget.sizeHint().width() or widget is dialog.warning
            dialog.close()
            dialog.deleteLater()


async def test_a_phone_photo_stored_sideways_is_shown_upright(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    """A JPEG whose pixels lie sideways with EXIF orientation 6 is shown standing up."""
    make_ctx()
    path = tmp_path / "sideways.jpg"
    path.write_bytes(encode(slip_screen(KBANK_QR), "JPEG", exif_rotated=True))
    dialog = SlipDialog(None, path, "MC-2026-000001", total_satang=104000)
    assert dialog.ok and dialog.view is not None
    pixmap = dialog.view.item.pixmap()
    assert (pixmap.width(), pixmap.height()) == (1080, 2340)
    dialog.deleteLater()


def test_every_slip_string_has_thai() -> None:
    """Each tr("…")/t("…") of the slip dialog's module and the orders screen has Thai."""
    missing = []
    for name in ("orders_dialogs.py", "orders_screen.py"):
        for node in ast.walk(ast.parse((UI / name).read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            called = getattr(node.func, "attr", getattr(node.func, "id", None))
            arg = node.args[0]
            if called not in ("tr", "t") or not isinstance(arg, ast.Constant):
                continue
            if isinstance(arg.value, str) and arg.value not in THAI:
                missing.append(f"{name}: {arg.value}")
    assert missing == []


async def test_the_owners_online_check_is_shown_and_confirms_only_when_allowed(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    """With SlipOK set up (its stand-in), opening the slip asks the service once: the dialog
    shows "passed" and the amount the bank saw, and the order waits for the owner's click. A
    second slip's check, with "confirm automatically" on, records the payment by itself."""
    ctx, db, ids, screen = await _shop(make_ctx)
    with db.write() as s:
        shop.add_bank_account(s, "owner", bank="กสิกรไทย", account_name="ร้าน",
                              account_number="123-4-51234-5")  # fmt: skip
    first = _place(db, ids.mug, 4, name="สมหญิง", method=PaymentMethod.BANK_TRANSFER)
    second = _place(db, ids.mug, 2, name="สมชาย", method=PaymentMethod.BANK_TRANSFER)
    other_qr = build_slip_qr("014", "SCB0000000000000002")
    service = FakeSlipOK("sk-qt-0001")
    for order, qr, ref in ((first, KBANK_QR, "016340141523ATF05798"),
                           (second, other_qr, "SCB0000000000000002")):  # fmt: skip
        service.add(Slip(qr, ref, Decimal(order.total_satang) / 100, dt.datetime.now(dt.UTC)))
    await service.start()
    try:
        ctx.secrets.set(slip_key("slipok"), "sk-qt-0001")
        with db.write() as s:
            slip_verify.save_settings(s, "slipok", branch_id="12345", base_url=service.base_url)
        folder = ctx.data_dir / "media" / "slips"
        folder.mkdir(parents=True)
        for order, qr in ((first, KBANK_QR), (second, other_qr)):
            _slip_file(folder, f"{order.id}.jpg", qr)
            with db.write() as s:
                orders.attach_slip(s, order.id, f"media/slips/{order.id}.jpg", "bot",
                                   payloads=(qr,))  # fmt: skip

        screen.open_order(first.id)
        await _settled(screen)
        task = asyncio.ensure_future(screen.view_slip())
        dialog: SlipDialog = await _dialog(screen, SlipDialog)
        assert dialog.online.text().startswith("ตรวจสลิปออนไลน์: ผ่าน · ฿602.00")
        assert _get(db, first.id).payment_status == PaymentStatus.PENDING
        dialog.reject()
        await task
        assert len(service.requests) == 1  # asked once

        with db.write() as s:
            slip_verify.save_settings(
                s, "slipok", branch_id="12345", base_url=service.base_url, auto_confirm=True
            )
        screen.open_order(second.id)
        await _settled(screen)
        task = asyncio.ensure_future(screen.view_slip())
        dialog = await _dialog(screen, SlipDialog)
        assert dialog.confirm_button.isHidden()  # already paid by the check
        dialog.reject()
        await task
    finally:
        await service.stop()
    paid = _get(db, second.id)
    assert (paid.payment_status, paid.payment_ref) == (PaymentStatus.PAID, "SCB0000000000000002")
    await _close(screen)
