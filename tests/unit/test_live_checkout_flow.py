"""A live cart checked out in the commenter's Messenger chat, on a real shop database: the bot
checkout's questions (prefilled from the customer), shipping and its fee, PromptPay or COD,
the summary, confirm → an order with the details; the cart's units reserved all along; cancel
and the owner's hold time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from support.bot_shop import make_shop, shopper_says

from minichat_desktop.app import live
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot.replies import Outgoing
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.live import checkout as live_checkout
from minichat_desktop.domain.live.board import CartState
from minichat_desktop.domain.live.selling import (
    NOTHING_TO_CHECK_OUT,
    Comment,
    PickedProduct,
    Platform,
    Result,
)
from minichat_desktop.domain.models import LiveCart, Order, ProductVariant
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage.db import Database
from relay import protocol as p

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
PSID = "2233445566778899"
ADDRESS = "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ"


class Shop:
    """A shop with the bot's test catalog, a live showing the mug as M1 (฿150.50, 10 in
    stock), the commenter's "CF M1 2" reserved, and their Messenger conversation."""

    def __init__(self, db: Database, media: Path, platform: Platform = Platform.FACEBOOK) -> None:
        self.db, self.media = db, media
        self.ids = make_shop(db)
        self.live_id = live.start_live(
            db, "ไลฟ์เย็นนี้", [PickedProduct("M1", self.ids.mug)], 60, "owner", lambda: T0
        )
        comment = Comment("c1", PSID, "สมชาย", "CF M1 2", T0, platform)
        live.record_comment(self.db, self.live_id, comment, lambda: T0)
        chat = "instagram" if platform is Platform.INSTAGRAM else "messenger"
        self.conv, _ = shopper_says(db, f"{chat}:{PSID}", "สวัสดีค่ะ", T0)
        self.at = T0

    def send(self, kind: str, value: str) -> list[Outgoing] | None:
        key = "data" if kind == "postback" else "text"
        message: dict[str, Any] = {"id": "m", "kind": kind, key: value}
        self.at += dt.timedelta(seconds=10)
        with self.db.write() as s:
            return live_checkout.answer_checkout(s, self.conv, message, self.at, self.media)

    def press(self, data: str) -> list[Outgoing]:
        out = self.send("postback", data)
        assert out is not None
        return out

    def say(self, text: str) -> list[Outgoing]:
        out = self.send("text", text)
        assert out is not None
        return out

    def up_to_the_summary(self, shipping: str = "kerry") -> None:
        """Tap the checkout button and answer every question up to the summary (PromptPay)."""
        self.press(self.button)
        for answer in ("สมชาย ใจดี", "0812345678", f"{ADDRESS} 10110"):
            self.say(answer)
        self.press(f"ship:{shipping}")
        self.press("pay:transfer")

    @property
    def button(self) -> str:
        return f"live:{self.live_id}:checkout:{PSID}"

    def mug_stock(self) -> int:
        with self.db.read() as s:
            found = select(ProductVariant.stock).where(ProductVariant.id == self.ids.mug)
            return int(s.scalar(found) or 0)

    def cart_status(self) -> str:
        with self.db.read() as s:
            return str(s.scalar(select(LiveCart.status).where(LiveCart.commenter_id == PSID)))

    def order_count(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(Order)) or 0)


def texts(replies: list[Outgoing]) -> list[str]:
    out = []
    for r in replies:
        body = r.body
        if isinstance(body, p.Text | p.Buttons):
            out.append(body.text)
    return out


def test_the_button_starts_the_bot_checkout_and_confirm_places_the_order_with_shipping(
    db: Database, tmp_path: Path
) -> None:
    """Name, phone, address, Kerry (฿50), PromptPay, the summary, confirm: the order carries
    the recipient, address, fee and total, and the QR is for the whole total; the two mugs
    stay reserved at every step and pass to the order."""
    shop = Shop(db, tmp_path / "media")
    assert shop.mug_stock() == 8
    assert texts(shop.press(shop.button)) == ["ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ"]
    assert texts(shop.say("สมชาย ใจดี")) == ["ขอเบอร์มือถือผู้รับค่ะ (เช่น 0812345678)"]
    assert texts(shop.say("0812345678"))[0].startswith("ขอที่อยู่จัดส่ง")
    [ship] = shop.say(f"{ADDRESS} 10110")
    assert isinstance(ship.body, p.Text) and ship.body.text == "เลือกวิธีจัดส่งได้เลยค่ะ"
    choices = {b.data: b.label for b in ship.quick_replies}
    assert len(choices) == 5 <= 13  # Messenger shows at most 13 quick replies
    assert choices["ship:kerry"] == "Kerry Express ฿50"
    assert shop.mug_stock() == 8 and shop.cart_status() == "open"
    [pay] = shop.press("ship:kerry")
    assert isinstance(pay.body, p.Buttons)
    assert [b.data for b in pay.body.buttons] == ["pay:transfer", "pay:cod"]  # ≤ 3 buttons
    details, summary = shop.press("pay:transfer")
    assert isinstance(details.body, p.Text)
    assert details.body.text == (
        "ตรวจสอบรายการก่อนยืนยันนะคะ\nผู้รับ: สมชาย ใจดี 0812345678\n"
        f"ที่อยู่: {ADDRESS} 10110\nจัดส่ง: Kerry Express"
    )
    assert isinstance(summary.body, p.CartSummary)
    assert [(i.name, i.quantity, i.line_total_satang) for i in summary.body.items] == [
        ("แก้วมัคเซรามิก", 2, 30_100)
    ]
    assert (summary.body.shipping_satang, summary.body.total_satang) == (5_000, 35_100)
    assert [b.data for b in summary.body.buttons] == [
        "checkout:confirm",
        "checkout:edit",
        "checkout:cancel",
    ]
    assert shop.mug_stock() == 8 and shop.order_count() == 0

    placed = shop.press("checkout:confirm")
    with db.read() as s:
        (row,) = orders.list_orders(s)
        order = orders.get_order(s, row.id)
    assert (order.ship_name, order.ship_phone, order.ship_address, order.ship_postcode) == (
        "สมชาย ใจดี",
        "0812345678",
        ADDRESS,
        "10110",
    )
    assert (order.shipping_method, order.shipping_satang, order.total_satang) == (
        "kerry",
        5_000,
        35_100,
    )
    assert (order.payment_method, order.channel) == ("promptpay", "messenger")
    assert [(i.variant_id, i.quantity, i.unit_price_satang) for i in order.items] == [
        (shop.ids.mug, 2, 15_050)
    ]
    assert shop.mug_stock() == 8  # the order holds the same two units
    assert shop.cart_status() == "ordered"
    assert texts(placed)[0] == f"สั่งซื้อสำเร็จค่ะ 🎉 เลขที่ออเดอร์ {order.number}\nยอดชำระ ฿351"
    [qr] = [r for r in placed if r.image_path]
    assert Path(qr.image_path or "").is_file()
    assert qr.caption == f"สแกนจ่ายพร้อมเพย์ ฿351 (ออเดอร์ {order.number})"
    # the checkout is over: the next message is the bot's as usual
    assert shop.send("text", "ขอบคุณค่ะ") is None
    with db.read() as s:
        saved = customers.get_customer(s, order.customer_id or 0)
    assert (saved.name, saved.phone, saved.postcode) == ("สมชาย ใจดี", "0812345678", "10110")


def test_what_the_shop_knows_about_the_customer_is_offered_and_cod_adds_its_fee(
    db: Database, tmp_path: Path
) -> None:
    shop = Shop(db, tmp_path / "media")
    with db.write() as s:
        customer = shop_customer(s, shop.conv)
        customers.update_customer(
            s,
            customer,
            "owner",
            name="สมหญิง ใจงาม",
            phone="0898765432",
            address=ADDRESS,
            postcode="10110",
        )
    [ask] = shop.press(shop.button)
    assert [(b.label, b.text) for b in ask.quick_replies] == [("สมหญิง ใจงาม", "สมหญิง ใจงาม")]
    shop.say("สมหญิง ใจงาม")
    [ask_address] = shop.say("0898765432")
    assert [b.text for b in ask_address.quick_replies] == [f"{ADDRESS} 10110"]
    shop.say(f"{ADDRESS} 10110")
    shop.press("ship:flash")
    _details, summary = shop.press("pay:cod")
    assert isinstance(summary.body, p.CartSummary)
    assert (summary.body.shipping_satang, summary.body.total_satang) == (7_500, 37_600)
    placed = shop.press("checkout:confirm")
    with db.read() as s:
        (row,) = orders.list_orders(s)
        order = orders.get_order(s, row.id)
    assert (order.payment_method, order.total_satang) == ("cod", 37_600)
    assert not [r for r in placed if r.image_path]  # cash on delivery: no QR
    assert shop.mug_stock() == 8


def shop_customer(session: Any, conversation_id: int) -> int:
    from minichat_desktop.domain.models import Conversation

    conv = session.get(Conversation, conversation_id)
    assert conv is not None and conv.customer_id is not None
    return int(conv.customer_id)


def test_cancel_keeps_the_units_reserved_and_offers_the_button_again(
    db: Database, tmp_path: Path
) -> None:
    shop = Shop(db, tmp_path / "media")
    shop.press(shop.button)
    shop.say("สมชาย ใจดี")
    [cancelled] = shop.say("ยกเลิก")
    assert isinstance(cancelled.body, p.Buttons)
    assert cancelled.body.text.startswith("ยกเลิกการสั่งซื้อแล้วค่ะ สินค้ายังจองไว้ให้")
    assert [b.data for b in cancelled.body.buttons] == [shop.button]
    assert shop.mug_stock() == 8 and shop.cart_status() == "open"
    assert shop.send("text", "0812345678") is None  # no checkout under way now
    assert texts(shop.press(shop.button)) == ["ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ"]  # again
    assert shop.order_count() == 0


def test_the_hold_time_releases_a_cart_whose_buyer_never_confirms(
    db: Database, tmp_path: Path
) -> None:
    """The live ends with 30 minutes to pay; the buyer reaches the summary but confirms only
    after the release: the mugs are back on the shelf, no order, and they are told why."""
    shop = Shop(db, tmp_path / "media")
    shop.up_to_the_summary()
    live.end_live(db, shop.live_id, 30, lambda: T0 + dt.timedelta(minutes=5))
    assert live.release_due(db, lambda: T0 + dt.timedelta(minutes=34)) == 0
    assert shop.mug_stock() == 8  # still theirs before the time
    assert live.release_due(db, lambda: T0 + dt.timedelta(minutes=36)) == 1
    assert shop.mug_stock() == 10 and shop.cart_status() == "released"
    assert texts(shop.press("checkout:confirm")) == [NOTHING_TO_CHECK_OUT]
    assert shop.order_count() == 0 and shop.mug_stock() == 10
    assert shop.send("text", "สมชาย") is None  # the checkout was forgotten


def test_the_chat_carts_own_items_are_left_alone(db: Database, tmp_path: Path) -> None:
    """A shopper with a chat cart (a T-shirt) checks out the live cart: the order has only
    the mugs, and the T-shirt is still in the chat cart after it."""
    shop = Shop(db, tmp_path / "media")
    with db.write() as s:
        carts.add_item(s, shop.conv, shop.ids.tee_red_m, 1)
    shop.up_to_the_summary()
    shop.press("checkout:confirm")
    with db.read() as s:
        (row,) = orders.list_orders(s)
        order = orders.get_order(s, row.id)
        chat = carts.get_cart(s, shop.conv)
    assert [i.variant_id for i in order.items] == [shop.ids.mug]
    assert [(line.variant_id, line.quantity) for line in chat.lines] == [(shop.ids.tee_red_m, 1)]
    assert chat.checkout == {}


def test_a_tap_on_a_cart_already_ordered_says_there_is_nothing_to_check_out(
    db: Database, tmp_path: Path
) -> None:
    shop = Shop(db, tmp_path / "media")
    live.checkout(db, shop.live_id, PSID, "owner")  # the owner made the order for them
    assert texts(shop.press(shop.button)) == [NOTHING_TO_CHECK_OUT]
    assert shop.order_count() == 1


def test_the_live_board_shows_where_each_cart_stands(db: Database, tmp_path: Path) -> None:
    """Reserved, then checking out at each question, then the order awaiting payment with its
    number and total, then paid; another commenter's cart released at the hold time."""
    shop = Shop(db, tmp_path / "media")
    other = Comment("c2", "u2", "สมหญิง", "CF M1", T0)
    live.record_comment(db, shop.live_id, other, lambda: T0)

    def rows() -> list[tuple[str, str, int, str, str]]:
        return [
            (r.commenter_name, r.state, r.total_satang, r.order_number, r.step)
            for r in live.board(db, shop.live_id).cart_rows
        ]

    assert rows() == [
        ("สมชาย", CartState.RESERVED, 30_100, "", ""),
        ("สมหญิง", CartState.RESERVED, 15_050, "", ""),
    ]
    shop.press(shop.button)
    assert rows()[0] == ("สมชาย", CartState.CHECKOUT, 30_100, "", "name")
    for answer in ("สมชาย ใจดี", "0812345678", f"{ADDRESS} 10110"):
        shop.say(answer)
    assert rows()[0][4] == "shipping"
    shop.press("ship:kerry")
    shop.press("pay:transfer")
    assert rows()[0][4] == "confirm"
    shop.press("checkout:confirm")
    live.end_live(db, shop.live_id, 0, lambda: T0 + dt.timedelta(minutes=5))
    with db.read() as s:
        (order,) = orders.list_orders(s)
    assert rows() == [
        ("สมชาย", CartState.AWAITING_PAYMENT, 35_100, order.number, ""),
        ("สมหญิง", CartState.RELEASED, 15_050, "", ""),
    ]
    with db.write() as s:
        orders.mark_paid(s, order.id, "owner")
    assert rows()[0][1] == CartState.PAID
    assert [r.platform for r in live.board(db, shop.live_id).cart_rows] == ["facebook"] * 2


def test_an_instagram_commenter_checks_out_in_instagram(db: Database, tmp_path: Path) -> None:
    shop = Shop(db, tmp_path / "media", Platform.INSTAGRAM)
    shop.up_to_the_summary("thaipost_ems")
    shop.press("checkout:confirm")
    with db.read() as s:
        (row,) = orders.list_orders(s)
        order = orders.get_order(s, row.id)
    charged = (order.channel, order.shipping_satang, order.total_satang)
    assert charged == ("instagram", 6_000, 36_100)
    [cart] = live.board(db, shop.live_id).cart_rows
    assert (cart.platform, cart.state) == ("instagram", CartState.AWAITING_PAYMENT)


def test_while_the_buyer_answers_their_units_are_not_for_sale_to_anyone_else(
    db: Database, tmp_path: Path
) -> None:
    """Mid-checkout the other eight mugs sell out to another commenter and a ninth is refused;
    the buyer still gets their two at confirm, and the shelf never goes below zero."""
    shop = Shop(db, tmp_path / "media")
    shop.press(shop.button)
    shop.say("สมชาย ใจดี")
    greedy = live.record_comment(
        db, shop.live_id, Comment("c2", "u2", "สมหญิง", "CF M1 9", T0), lambda: T0
    )
    assert greedy.result == Result.SOLD_OUT
    rest = live.record_comment(
        db, shop.live_id, Comment("c3", "u2", "สมหญิง", "CF M1 8", T0), lambda: T0
    )
    assert rest.result == Result.RESERVED and shop.mug_stock() == 0
    shop.say("0812345678")
    shop.say(f"{ADDRESS} 10110")
    shop.press("ship:kerry")
    shop.press("pay:transfer")
    shop.press("checkout:confirm")
    with db.read() as s:
        (row,) = orders.list_orders(s)
        order = orders.get_order(s, row.id)
    assert [(i.variant_id, i.quantity) for i in order.items] == [(shop.ids.mug, 2)]
    assert shop.mug_stock() == 0 and shop.cart_status() == "ordered"


def test_a_product_taken_off_sale_mid_checkout_places_no_order_and_keeps_the_units(
    db: Database, tmp_path: Path
) -> None:
    """The owner switches the mug off before the buyer confirms: they are told in Thai, get
    the live cart's own button back (not the chat cart's), and the two stay reserved."""
    shop = Shop(db, tmp_path / "media")
    shop.up_to_the_summary()
    with db.write() as s:
        catalog.set_product_active(s, shop.ids.mug_id, False, "owner")
    refused, cart = shop.press("checkout:confirm")
    assert texts([refused]) == ["ขออภัยค่ะ สินค้า MUG งดจำหน่ายชั่วคราว ทางร้านจะติดต่อกลับนะคะ"]
    assert isinstance(cart.body, p.CartSummary)
    assert [b.data for b in cart.body.buttons] == [shop.button]
    assert shop.order_count() == 0
    assert shop.mug_stock() == 8 and shop.cart_status() == "open"


def test_a_question_mid_checkout_is_not_taken_as_an_answer(db: Database, tmp_path: Path) -> None:
    shop = Shop(db, tmp_path / "media")
    shop.press(shop.button)
    assert shop.send("text", "ส่งวันไหนคะ?") is None  # the bot (or the shop) answers it
    with db.read() as s:
        assert carts.get_cart(s, shop.conv).checkout["step"] == "name"
    assert texts(shop.say("สมชาย ใจดี")) == ["ขอเบอร์มือถือผู้รับค่ะ (เช่น 0812345678)"]
