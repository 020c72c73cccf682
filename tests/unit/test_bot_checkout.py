"""Checkout in the chat: from the cart to a placed order, its PromptPay QR and bank accounts,
slips and order status — all numbers from the database."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from support.bot_shop import NOW, PROMPTPAY_ID, make_shop, new_conversation

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import checkout
from minichat_desktop.domain.bot.replies import Outgoing
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.models import OrderStatus, PaymentStatus
from minichat_desktop.domain.promptpay import promptpay_payload
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.thai import satang_to_decimal
from minichat_desktop.storage.db import Database
from relay import protocol as p


def _texts(out: list[Outgoing]) -> list[str]:
    return [o.text for o in out if o.text]


def _answer(db: Database, conv: int, text: str, media: Path | None = None) -> list[Outgoing]:
    with db.write() as s:
        out = checkout.take_answer(s, conv, text, NOW, media)
    assert out is not None
    return out


def _fill_details(db: Database, conv: int, lang: str = "th") -> None:
    with db.write() as s:
        first = checkout.start_checkout(s, conv, lang)
    assert _texts(first) == [checkout.t(lang, "ask_name")]
    _answer(db, conv, "สมหญิง ใจดี")
    _answer(db, conv, "081-234-5678")
    _answer(db, conv, "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ 10110")


def test_full_checkout_places_the_order_reserves_stock_and_sends_the_exact_qr(
    db: Database, tmp_path: Path
) -> None:
    """Cart → details → shipping → confirm: one pending order with stock reserved, a QR for
    exactly its total, the bank account, and an empty cart."""
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.tee_red_m, 2)
        carts.add_item(s, conv, ids.mug, 1)
        carts.save_discount_code(s, "LUCKY", "percent", 1000)
        carts.apply_discount(s, conv, "lucky", NOW)
    _fill_details(db, conv)
    with db.write() as s:
        ship = checkout.choose_shipping(s, conv, "kerry")
        assert isinstance(ship[0].body, p.Buttons)  # transfer or COD
        confirm = checkout.choose_payment(s, conv, cod=False)
    summary = next(o.body for o in confirm if isinstance(o.body, p.CartSummary))
    subtotal = 2 * 29000 + 15050
    discount = 7305  # 10 % of 730.50, half up
    assert (summary.subtotal_satang, summary.discount_satang, summary.shipping_satang) == (
        subtotal,
        discount,
        5000,
    )
    assert summary.total_satang == subtotal - discount + 5000
    assert "สมหญิง ใจดี 0812345678" in _texts(confirm)[0]
    with db.write() as s:
        placed = checkout.confirm_checkout(s, conv, NOW, tmp_path)
    with db.read() as s:
        (only,) = orders.list_orders(s)
        order = orders.get_order(s, only.id)
        assert carts.get_cart(s, conv).empty
        assert stock.level(s, ids.tee_red_m).stock == 3
        assert stock.level(s, ids.mug).stock == 9
        assert carts.list_discount_codes(s)[0].used_count == 1
        kinds = [n.kind for n in notifications.list_notifications(s)]
    assert order.status == OrderStatus.PENDING
    assert order.total_satang == summary.total_satang == 70745
    assert (order.ship_name, order.ship_phone, order.ship_postcode) == (
        "สมหญิง ใจดี",
        "0812345678",
        "10110",
    )
    assert order.ship_address == "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ"
    assert (order.shipping_method, order.discount_code, order.channel) == (
        "kerry",
        "LUCKY",
        "widget",
    )
    assert order.conversation_ref == "widget:shopper0001"
    assert "new_order" in kinds
    texts = _texts(placed)
    assert texts[0] == checkout.t("th", "placed", number=order.number, total="฿707.45")
    (qr,) = [o for o in placed if o.image_path]
    payload = promptpay_payload(PROMPTPAY_ID, satang_to_decimal(order.total_satang))
    assert "5406707.45" in payload  # tag 54, length 6: the exact amount
    with Image.open(Path(qr.image_path or "")) as card:  # the Thai QR Payment card, scanned
        assert [r.text for r in zxingcpp.read_barcodes(card)] == [payload]
    assert "707.45" in (qr.caption or "")
    assert any("กสิกรไทย 123-4-56789-0" in t for t in texts)


def test_bad_phone_and_postcode_get_clear_messages_and_keep_the_step(db: Database) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.cap, 1)
        checkout.start_checkout(s, conv, "th")
    _answer(db, conv, "สมชาย")
    bad = _answer(db, conv, "02-123-4567")  # a landline
    assert _texts(bad) == [checkout.t("th", "bad_phone", value="02-123-4567")]
    assert "06 08 หรือ 09" in _texts(bad)[0]
    _answer(db, conv, "0912345678")
    no_code = _answer(db, conv, "12 หมู่ 3 ต.สันทราย อ.เมือง จ.เชียงใหม่")
    assert _texts(no_code) == [checkout.t("th", "ask_postcode")]
    wrong = _answer(db, conv, "99999")
    assert _texts(wrong) == [checkout.t("th", "bad_postcode", value="99999")]
    ok = _answer(db, conv, "๕๐๒๑๐")  # Thai digits
    assert _texts(ok) == [checkout.t("th", "ask_shipping")]
    assert any(b.data == "ship:kerry" for b in ok[0].quick_replies)
    with db.read() as s:
        state = carts.get_cart(s, conv).checkout
    assert (state["phone"], state["postcode"], state["step"]) == ("0912345678", "50210", "shipping")


def test_english_messages_for_an_english_shopper(db: Database) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.cap, 1)
        checkout.start_checkout(s, conv, "en")
    _answer(db, conv, "John Smith")
    bad = _answer(db, conv, "12345")
    assert _texts(bad) == [
        "12345 is not a Thai mobile number. Type 10 digits starting with 06, 08 or 09, "
        "e.g. 0812345678."
    ]


def test_an_invalid_postcode_inside_the_address_is_refused(db: Database) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.cap, 1)
        checkout.start_checkout(s, conv, "th")
    _answer(db, conv, "สมชาย")
    _answer(db, conv, "0912345678")
    out = _answer(db, conv, "12 ถนนพระราม 9 กรุงเทพมหานคร 00123")
    assert _texts(out) == [checkout.t("th", "bad_postcode", value="00123")]


def test_cash_on_delivery_adds_the_surcharge_and_sends_no_qr(db: Database, tmp_path: Path) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.mug, 1)
    _fill_details(db, conv)
    with db.write() as s:
        checkout.choose_shipping(s, conv, "thaipost_ems")
        checkout.choose_payment(s, conv, cod=True)
        placed = checkout.confirm_checkout(s, conv, NOW, tmp_path)
    with db.read() as s:
        order = orders.get_order(s, orders.list_orders(s)[0].id)
    assert order.shipping_satang == 6000 + 3000
    assert order.total_satang == 15050 + 9000
    assert order.cod_satang == order.total_satang
    assert order.payment_method == "cod"
    assert not [o for o in placed if o.image_path]
    status = next(o.body for o in placed if isinstance(o.body, p.OrderStatus))
    assert status.status is p.OrderState.PENDING and status.total_satang == 24050


def test_stock_sold_meanwhile_places_nothing(db: Database, tmp_path: Path) -> None:
    """The last cap sold at the counter after it went in the cart: no order, a clear message."""
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.cap, 1)
    _fill_details(db, conv)
    with db.write() as s:
        checkout.choose_shipping(s, conv, "kerry")
        checkout.choose_payment(s, conv, cod=False)
    with db.write() as s:
        from minichat_desktop.domain.models import MovementReason

        stock.adjust_stock(s, ids.cap, -1, MovementReason.ADJUSTMENT, "owner", "sold at the fair")
    with db.write() as s:
        out = checkout.confirm_checkout(s, conv, NOW, tmp_path)
    with db.read() as s:
        assert orders.list_orders(s) == []
        assert not carts.get_cart(s, conv).empty
    assert "CAP" in _texts(out)[0] and "เหลือ 0 ชิ้น" in _texts(out)[0]


def test_empty_cart_cannot_check_out(db: Database) -> None:
    make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        out = checkout.start_checkout(s, conv, "th")
        assert checkout.take_answer(s, conv, "สมชาย", NOW, None) is None
    assert _texts(out) == [checkout.t("th", "cart_empty")]


def test_cancel_keeps_the_cart(db: Database) -> None:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.cap, 1)
        checkout.start_checkout(s, conv, "th")
    out = _answer(db, conv, "ยกเลิก")
    assert _texts(out) == [checkout.t("th", "cancelled")]
    with db.read() as s:
        view = carts.get_cart(s, conv)
    assert not view.empty and not checkout.in_checkout(view)


def _placed_order(db: Database, tmp_path: Path) -> tuple[int, orders.OrderView]:
    ids = make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        carts.add_item(s, conv, ids.mug, 2)
    _fill_details(db, conv)
    with db.write() as s:
        checkout.choose_shipping(s, conv, "flash")
        checkout.choose_payment(s, conv, cod=False)
        checkout.confirm_checkout(s, conv, NOW, tmp_path)
    with db.read() as s:
        return conv, orders.get_order(s, orders.list_orders(s)[0].id)


def test_slip_is_attached_to_the_latest_unpaid_order_and_the_owner_told(
    db: Database, tmp_path: Path
) -> None:
    conv, order = _placed_order(db, tmp_path)
    with db.write() as s:
        out = checkout.receive_slip(s, conv, "media/slips/w-9.jpg", "th")
    with db.read() as s:
        after = orders.get_order(s, order.id)
        latest = notifications.list_notifications(s)[0]
    assert after.slip_path == "media/slips/w-9.jpg"
    assert after.timeline[-1].kind == "slip"
    assert (latest.kind, latest.ref) == ("payment_slip", f"order:{order.id}")
    assert order.number in latest.title
    assert _texts(out) == [checkout.t("th", "slip_ok", number=order.number)]


def test_slip_with_no_unpaid_order(db: Database) -> None:
    make_shop(db)
    conv = new_conversation(db)
    with db.write() as s:
        out = checkout.receive_slip(s, conv, "x.jpg", "th")
    assert _texts(out) == [checkout.t("th", "slip_no_order")]


def test_order_status_comes_from_the_database(db: Database, tmp_path: Path) -> None:
    conv, order = _placed_order(db, tmp_path)
    with db.read() as s:
        (first,) = checkout.order_status_replies(s, conv, "ของถึงไหนแล้วคะ", "th")
    assert first.body == p.OrderStatus(
        order_no=order.number,
        status=p.OrderState.AWAITING_PAYMENT,
        total_satang=order.total_satang,
        status_label="รอชำระเงิน",
    )
    with db.write() as s:
        orders.mark_paid(s, order.id, "owner")
        orders.change_status(s, order.id, OrderStatus.SHIPPED, "owner")
        orders.set_shipping(
            s, order.id, "owner", carrier="Thailand Post", tracking_number="EF582621151TH"
        )
    with db.read() as s:
        (shipped,) = checkout.order_status_replies(s, conv, f"เช็ค {order.number}", "th")
        assert orders.get_order(s, order.id).payment_status == PaymentStatus.PAID
    assert isinstance(shipped.body, p.OrderStatus)
    assert (shipped.body.status, shipped.body.tracking_no, shipped.body.carrier) == (
        p.OrderState.SHIPPED,
        "EF582621151TH",
        "Thailand Post",
    )
    assert shipped.body.tracking_url == (
        "https://track.thailandpost.co.th/?trackNumber=EF582621151TH"
    )


def test_another_shoppers_order_number_reveals_nothing(db: Database, tmp_path: Path) -> None:
    _, order = _placed_order(db, tmp_path)
    stranger = new_conversation(db, "widget:stranger0002")
    with db.read() as s:
        out = checkout.order_status_replies(s, stranger, f"ออเดอร์ {order.number} ถึงไหน", "th")
        none = checkout.order_status_replies(s, stranger, "ของถึงไหน", "th")
    assert _texts(out) == [checkout.t("th", "not_yours", number=order.number)]
    assert _texts(none) == [checkout.t("th", "no_orders")]


@pytest.mark.parametrize(
    ("code", "params", "expected"),
    [
        (
            "cart.out_of_stock",
            {"name": "หมวก", "variant": "", "available": 1},
            "ขออภัยค่ะ หมวก เหลือ 1 ชิ้น",
        ),
        (
            "discount.min_subtotal",
            {"discount": "X", "min_subtotal": 50000},
            "โค้ด X ใช้ได้เมื่อซื้อครบ ฿500 ค่ะ",
        ),
    ],
)
def test_error_words(code: str, params: dict[str, object], expected: str) -> None:
    from minichat_desktop.errors import UserError

    assert checkout.error_text(UserError(code, "x", **params), "th") == expected


def test_the_shopper_is_told_when_the_order_ships(db: Database, tmp_path: Path) -> None:
    from minichat_desktop.domain.conversations import conversations as convs

    conv, order = _placed_order(db, tmp_path)
    with db.write() as s:
        orders.mark_paid(s, order.id, "owner")
        orders.change_status(s, order.id, OrderStatus.SHIPPED, "owner")
        orders.set_shipping(s, order.id, "owner", carrier="Kerry", tracking_number="KEX123456789")
        assert checkout.tell_shopper(s, order.id) == conv
        (frame,) = [f for _, f in convs.pending_outbox(s)]
    message = frame["message"]
    assert (message["kind"], message["order_no"], message["status"]) == (
        "order_status",
        order.number,
        "shipped",
    )
    assert (message["carrier"], message["tracking_no"]) == ("Kerry", "KEX123456789")
    assert message["status_label"] == "จัดส่งแล้ว"


def test_a_counter_sale_has_no_chat_to_tell(db: Database) -> None:
    ids = make_shop(db)
    with db.write() as s:
        sale = orders.place_order(
            s,
            orders.NewOrder(
                channel=orders.Channel.POS,
                lines=[orders.LineInput(1, variant_id=ids.mug)],
                completed=True,
            ),
            "staff",
        )
        assert checkout.tell_shopper(s, sale.id) is None
