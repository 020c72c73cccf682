"""The dialogue engine: modes, passive questions only, escalation, selling on rules, order
status, and no number in a reply that the database did not give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.bot_shop import NOW, make_shop, new_conversation, shopper_says

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import facts
from minichat_desktop.domain.bot.engine import DialogueEngine, w
from minichat_desktop.domain.bot.replies import Outgoing
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import BotMode, ConversationStatus
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage.db import Database
from relay import protocol as p

REF = "widget:engine0001"


class Chat:
    """A shopper talking to the engine; replies are queued like the runner does."""

    def __init__(self, db: Database, tmp_path: Path, ref: str = REF) -> None:
        self.db = db
        self.ref = ref
        self.engine = DialogueEngine(tmp_path / "media")
        self.conv = new_conversation(db, ref)

    def say(self, said: str) -> list[Outgoing]:
        _, msg = shopper_says(self.db, self.ref, said)
        return self._answer(msg)

    def press(self, data: str) -> list[Outgoing]:
        return self._answer({"id": f"pb-{data}", "kind": "postback", "data": data})

    def _answer(self, msg: dict[str, Any]) -> list[Outgoing]:
        with self.db.write() as s:
            out = self.engine.answer(s, self.conv, msg, NOW)
            for o in out:
                if o.body is not None:
                    convs.queue_outgoing(s, self.conv, o.body, "bot", o.quick_replies)
        return out


def texts(out: list[Outgoing]) -> list[str]:
    return [o.text for o in out if o.text]


def kinds(out: list[Outgoing]) -> list[str]:
    return ["image" if o.image_path else o.body.KIND.value for o in out if o.body or o.image_path]


@pytest.fixture
def chat(db: Database, tmp_path: Path) -> Chat:
    make_shop(db)
    return Chat(db, tmp_path)


def test_product_question_gets_cards_and_database_prices(chat: Chat) -> None:
    assert chat.say("มีเสื้อยืดสีแดงไหม")[0].phrase is None  # no AI: no facts to build
    chat.engine.phrases = True
    out = chat.say("มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")
    assert kinds(out) == ["text", "product_card"]
    assert texts(out)[0].splitlines() == [
        "เสื้อยืดคอกลม แดง / M ราคา ฿290 เหลือ 5 ชิ้นค่ะ",
        "เสื้อยืดคอกลม แดง / L ราคา ฿290 เหลือ 2 ชิ้นค่ะ",
    ]
    card = out[1].body
    assert isinstance(card, p.ProductCard)
    assert (card.card.title, card.card.price_satang, card.card.in_stock) == (
        "เสื้อยืดคอกลม",
        29000,
        True,
    )
    assert card.card.buttons[0].data == f"product:options:{card.card.product_id}"
    assert out[0].phrase is not None and "฿310.00" in out[0].phrase.facts


def test_buy_the_product_just_shown_with_its_size(chat: Chat, db: Database) -> None:
    chat.say("มีเสื้อยืดสีแดงไหม")
    out = chat.say("เอา 2 ตัว ไซส์ L")
    assert kinds(out) == ["text", "cart"]
    cart = out[1].body
    assert isinstance(cart, p.CartSummary)
    assert [(i.variant, i.quantity, i.line_total_satang) for i in cart.items] == [
        ("แดง / L", 2, 58000)
    ]
    more = chat.say("เอาอีก 1 ตัว ไซส์ L สีแดง")
    assert texts(more) == ["ขออภัยค่ะ เสื้อยืดคอกลม แดง / L เหลือ 2 ชิ้น"]


def test_an_option_must_be_picked_when_there_are_several(chat: Chat) -> None:
    chat.say("มีเสื้อยืดไหม")
    out = chat.say("เอา 1 ตัว")
    assert texts(out) == [w("th", "pick_option", name="เสื้อยืดคอกลม")]
    labels = [b.label for b in out[0].quick_replies]
    assert labels == ["แดง / M ฿290", "แดง / L ฿290", "ดำ / M ฿310"]
    added = chat.press(out[0].quick_replies[2].data or "")
    assert isinstance(added[1].body, p.CartSummary)
    assert added[1].body.total_satang == 31000


def test_whole_sale_by_buttons_ends_with_order_and_qr(chat: Chat, db: Database) -> None:
    chat.say("แก้วมัค")
    chat.press(f"cart:add:{_variant(db, 'MUG')}:3")
    chat.say("โค้ด SAVE10")  # unknown: a clear message, nothing applied
    with db.write() as s:
        carts.save_discount_code(s, "SAVE10", "percent", 1000)
    applied = chat.say("ใช้โค้ด save10")
    assert texts(applied)[0] == "ใช้โค้ด SAVE10 แล้ว ลด ฿45.15 ค่ะ"
    chat.say("สั่งเลย")
    chat.say("สมชาย ใจดี")
    chat.say("0891234567")
    chat.say("1 ถนนนิมมานเหมินท์ ต.สุเทพ อ.เมือง จ.เชียงใหม่ 50200")
    chat.press("ship:flash")
    chat.press("pay:transfer")
    out = chat.press("checkout:confirm")
    assert kinds(out) == ["text", "image", "text", "text"]
    with db.read() as s:
        order = orders.get_order(s, orders.list_orders(s)[0].id)
    assert order.total_satang == 3 * 15050 - 4515 + 4500
    assert order.number in texts(out)[0]
    status = chat.say("ของถึงไหนแล้วคะ")
    assert isinstance(status[0].body, p.OrderStatus)
    assert (status[0].body.order_no, status[0].body.total_satang) == (
        order.number,
        order.total_satang,
    )


def _variant(db: Database, sku: str) -> int:
    from minichat_desktop.domain.catalog import products as catalog

    with db.read() as s:
        return catalog.get_product_by_sku(s, sku).variants[0].id


def test_human_mode_never_answers(chat: Chat, db: Database) -> None:
    with db.write() as s:
        convs.take_over(s, chat.conv, "เจ้าของร้าน")
    assert chat.say("มีเสื้อยืดไหม?") == []
    assert chat.say("ขอคุยกับแอดมิน") == []
    assert chat.press("cart:view") == []


def test_passive_mode_answers_questions_only(chat: Chat, db: Database) -> None:
    with db.write() as s:
        convs.take_over(s, chat.conv, "owner")
        convs.end_session(s, chat.conv, "owner")
        assert convs.get_conversation(s, chat.conv).bot_mode == BotMode.PASSIVE
    assert chat.say("เสื้อยืดคอกลม") == []  # a statement
    assert chat.say("โอเคค่ะ") == []
    assert kinds(chat.say("เสื้อยืดคอกลมมีสีอะไรบ้าง")) == ["text", "product_card"]
    assert chat.say("แก้วมัคราคาเท่าไหร่") != []
    assert chat.say("ส่งยังไง?") != []
    assert chat.press("cart:view") != []  # the bot's own button


def test_passive_keywords_from_settings(chat: Chat, db: Database) -> None:
    from minichat_desktop.domain.shop import put_setting

    with db.write() as s:
        convs.set_bot_mode(s, chat.conv, BotMode.PASSIVE)
        put_setting(s, convs.PASSIVE_KEYWORDS_KEY, ["สนใจ"])
    assert chat.say("สนใจแก้วมัค") != []


def test_bot_off_answers_nothing(chat: Chat, db: Database) -> None:
    with db.write() as s:
        convs.set_bot_mode(s, chat.conv, BotMode.OFF)
    assert chat.say("มีเสื้อยืดไหม?") == []


@pytest.mark.parametrize(
    ("said", "title"),
    [
        ("ขอคุยกับพนักงานหน่อยค่ะ", "ลูกค้าขอคุยกับเจ้าหน้าที่"),
        ("I want to talk to a human", "ลูกค้าขอคุยกับเจ้าหน้าที่"),
        ("ได้ของผิดไซส์ ไม่พอใจมาก ขอคืนเงิน", "ลูกค้าแจ้งปัญหา"),
    ],
)
def test_escalation_marks_the_conversation_and_tells_the_owner_once(
    chat: Chat, db: Database, said: str, title: str
) -> None:
    out = chat.say(said)
    lang = "en" if said.isascii() else "th"
    assert texts(out) == [w(lang, "escalated")]
    again = chat.say(said)
    assert texts(again) == [w(lang, "escalated_again")]
    with db.read() as s:
        assert convs.get_conversation(s, chat.conv).status == ConversationStatus.ESCALATED
        found = [
            n
            for n in notifications.list_notifications(s)
            if n.kind == notifications.NotificationKind.ESCALATED
        ]
    assert len(found) == 1
    assert found[0].title.startswith(title)
    assert found[0].ref == f"conversation:{chat.conv}"


def test_escalation_still_tells_the_owner_when_the_bot_is_off(chat: Chat, db: Database) -> None:
    with db.write() as s:
        convs.set_bot_mode(s, chat.conv, BotMode.OFF)
    assert chat.say("ขอคุยกับแอดมิน") == []
    with db.read() as s:
        assert convs.get_conversation(s, chat.conv).status == ConversationStatus.ESCALATED


def test_order_status_without_orders_and_a_foreign_order_number(chat: Chat, db: Database) -> None:
    out = chat.say("ออเดอร์ MC-2026-000001 ถึงไหนแล้ว")
    assert texts(out) == ["ไม่พบออเดอร์ MC-2026-000001 ในแชทนี้ค่ะ เจ้าหน้าที่จะช่วยตรวจสอบให้นะคะ"]


def test_shipping_question_answers_with_the_shops_rules(chat: Chat) -> None:
    out = chat.say("ค่าส่งเท่าไหร่คะ")
    first = texts(out)[0]
    assert "Kerry Express ฿50" in first and "ซื้อครบ ฿1,000 ส่งฟรีค่ะ" in first
    assert "PromptPay" in first


def test_english_shopper_gets_english(chat: Chat) -> None:
    out = chat.say("hello")
    assert texts(out) == [w("en", "greeting", shop="ร้านมินิ")]


def test_english_chat_shows_english_product_names_in_the_cart(
    chat: Chat, db: Database, tmp_path: Path
) -> None:
    """A shopper writing English sees the product's English name (Thai when it has none)."""
    chat.say("hello")
    out = chat.press(f"cart:add:{_variant(db, 'TEE')}")
    out += chat.press(f"cart:add:{_variant(db, 'CAP')}")
    summary = [o.body for o in out if isinstance(o.body, p.CartSummary)][-1]
    assert [item.name for item in summary.items] == ["Crew-neck T-shirt", "หมวกแก๊ป"]
    assert any("Crew-neck T-shirt" in t for t in texts(out))
    thai = Chat(db, tmp_path / "thai", ref="widget:thai")
    out = thai.press(f"cart:add:{_variant(db, 'TEE')}")
    summary = [o.body for o in out if isinstance(o.body, p.CartSummary)][-1]
    assert [item.name for item in summary.items] == ["เสื้อยืดคอกลม"]


def test_slip_picture_after_an_order(chat: Chat, db: Database) -> None:
    chat.press(f"cart:add:{_variant(db, 'CAP')}")
    chat.press("checkout:start")
    for said in ("สมชาย ใจดี", "0891234567", "1 ถนนนิมมานเหมินท์ ต.สุเทพ อ.เมือง จ.เชียงใหม่ 50200"):
        chat.say(said)
    chat.press("ship:kerry")
    chat.press("pay:transfer")
    chat.press("checkout:confirm")
    image = {"id": "w-slip", "kind": "image", "media_id": "m1", "url": "http://relay/media/m1"}
    with db.write() as s:
        out = chat.engine.answer(s, chat.conv, image, NOW, slip="media/slips/w-slip.jpg")
        order = orders.get_order(s, orders.list_orders(s)[0].id)
    assert order.slip_path == "media/slips/w-slip.jpg"
    assert texts(out) == [
        f"ได้รับสลิปของออเดอร์ {order.number} แล้วค่ะ ทางร้านจะตรวจสอบและยืนยันให้เร็วที่สุดนะคะ 🙏"
    ]


@pytest.mark.parametrize(
    "said",
    [
        "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่",
        "แก้วมัคราคาเท่าไหร่",
        "หมวกแก๊ปเหลือกี่ใบ",
        "ค่าส่งเท่าไหร่",
        "มีเสื้อสีดำไซส์ M ไหม",
    ],
)
def test_every_amount_in_a_reply_comes_from_the_database(
    chat: Chat, db: Database, said: str
) -> None:
    """Each amount the bot writes is a catalog price, a shipping fee or a rule amount."""
    out = chat.say(said)
    with db.read() as s:
        known = facts.build_facts(s, product_ids=[1, 2, 3])
    allowed = facts.numbers_in(known)
    written = " ".join(texts(out))
    assert written
    assert facts.numbers_in(written) <= allowed | facts.numbers_in(said)


def test_guard_rejects_invented_numbers() -> None:
    fact = "- เสื้อ: price ฿290.00; 5 in stock"
    assert facts.grounded("เสื้อราคา 290 บาท มี 5 ตัวค่ะ", fact)
    assert facts.grounded("เสื้อราคา ๒๙๐ บาทค่ะ", fact)
    assert not facts.grounded("ลดเหลือ 250 บาทค่ะ", fact)
    assert not facts.grounded("เหลือ 3 ตัวค่ะ", fact)
    assert not facts.grounded("ราคาสองร้อยห้าสิบบาท", fact)
    assert facts.grounded("ราคาสองร้อยเก้าสิบบาท", fact)
    assert not facts.grounded("", fact)


def test_the_colour_asked_earlier_is_remembered_when_buying(chat: Chat, db: Database) -> None:
    """'มีเสื้อสีดำไหม' then 'เอา 1 ตัว ไซส์ M': the black M goes in the cart."""
    chat.say("มีเสื้อยืดสีดำไหม")
    out = chat.say("เอา 1 ตัว ไซส์ M")
    cart = out[1].body
    assert isinstance(cart, p.CartSummary)
    assert [(i.variant, i.unit_price_satang) for i in cart.items] == [("ดำ / M", 31000)]
    with db.read() as s:
        from minichat_desktop.domain.bot import context

        ctx = context.load_context(s, chat.conv, NOW)
    assert ctx.stage == "ready_to_buy" and ctx.color == "ดำ"


def test_browse_recommends_from_the_catalog_with_category_buttons(chat: Chat) -> None:
    out = chat.press("browse")
    assert kinds(out) == ["text", "carousel"]
    cards = out[1].body.cards  # type: ignore[union-attr]
    assert {c.title for c in cards} == {"เสื้อยืดคอกลม", "แก้วมัคเซรามิก", "หมวกแก๊ป"}
    assert [b.data for b in out[1].quick_replies] == ["cat:เสื้อผ้า"]
    shirts = chat.press("cat:เสื้อผ้า")
    assert isinstance(shirts[1].body, p.ProductCard)
    assert shirts[1].body.card.title == "เสื้อยืดคอกลม"


def test_product_details_and_the_order_stage(chat: Chat, db: Database) -> None:
    from minichat_desktop.domain.bot import context

    out = chat.press("product:detail:2")
    assert texts(out)[0] == "แก้วมัคเซรามิก ราคา ฿150.50 เหลือ 10 ชิ้นค่ะ"
    chat.press(f"cart:add:{_variant(db, 'MUG')}")
    chat.press("checkout:start")
    for said in ("สมชาย ใจดี", "0891234567", "1 ถนนนิมมานเหมินท์ ต.สุเทพ อ.เมือง จ.เชียงใหม่ 50200"):
        chat.say(said)
    chat.press("ship:kerry")
    chat.press("pay:cod")
    chat.press("checkout:confirm")
    with db.read() as s:
        assert context.load_context(s, chat.conv, NOW).stage == "purchased"


def test_a_passive_bot_still_takes_the_answers_to_its_checkout_questions(
    chat: Chat, db: Database
) -> None:
    chat.press(f"cart:add:{_variant(db, 'CAP')}")
    chat.press("checkout:start")
    with db.write() as s:
        convs.set_bot_mode(s, chat.conv, BotMode.PASSIVE)
    assert texts(chat.say("สมชาย ใจดี")) == ["ขอเบอร์มือถือผู้รับค่ะ (เช่น 0812345678)"]
    with db.write() as s:
        convs.take_over(s, chat.conv, "owner")
    assert chat.say("0891234567") == []  # a person has it now


def test_change_the_cart_by_words(chat: Chat, db: Database) -> None:
    """Quantity, option and removal typed in the chat; stock still checked."""
    chat.press(f"cart:add:{_variant(db, 'TEE-RED-M')}")
    out = chat.say("ขอเปลี่ยนเป็น 3 ตัวค่ะ")
    cart = out[-1].body
    assert isinstance(cart, p.CartSummary)
    assert [(i.variant, i.quantity) for i in cart.items] == [("แดง / M", 3)]
    out = chat.say("เปลี่ยนเป็นสีดำได้ไหม")
    cart = out[-1].body
    assert isinstance(cart, p.CartSummary)
    assert [(i.variant, i.quantity, i.unit_price_satang) for i in cart.items] == [
        ("ดำ / M", 3, 31000)
    ]
    too_many = chat.say("เปลี่ยนเป็น 4 ตัว")
    assert texts(too_many) == ["ขออภัยค่ะ เสื้อยืดคอกลม ดำ / M เหลือ 3 ชิ้น"]
    chat.press(f"cart:add:{_variant(db, 'MUG')}")
    assert [b.label for b in chat.say("ตะกร้า")[-1].quick_replies][:4] == [
        "➕ เสื้อยืดคอกลม",
        "➖ เสื้อยืดคอกลม",
        "➕ แก้วมัคเซรามิก",
        "➖ แก้วมัคเซรามิก",
    ]
    out = chat.say("ลบเสื้อยืดคอกลมออก")
    cart = out[-1].body
    assert isinstance(cart, p.CartSummary)
    assert [i.name for i in cart.items] == ["แก้วมัคเซรามิก"]
    emptied = chat.press(f"cart:dec:{_variant(db, 'MUG')}")
    assert texts(emptied) == [w("th", "cart_is_empty")]


def test_order_now_right_after_a_product_adds_it_and_asks_the_name(chat: Chat) -> None:
    chat.say("หมวกแก๊ปราคาเท่าไหร่")
    out = chat.say("สั่งเลยค่ะ")
    assert texts(out) == [
        w("th", "added", name="หมวกแก๊ป", title="", qty=1),
        "ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ",
    ]


def test_a_slip_in_human_mode_goes_on_the_order_without_a_bot_reply(
    chat: Chat, db: Database
) -> None:
    chat.press(f"cart:add:{_variant(db, 'CAP')}")
    chat.press("checkout:start")
    for said in ("สมชาย ใจดี", "0891234567", "1 ถนนนิมมานเหมินท์ ต.สุเทพ อ.เมือง จ.เชียงใหม่ 50200"):
        chat.say(said)
    chat.press("ship:kerry")
    chat.press("pay:transfer")
    chat.press("checkout:confirm")
    with db.write() as s:
        convs.take_over(s, chat.conv, "owner")
    image = {"id": "w-slip2", "kind": "image", "media_id": "m2", "url": "http://relay/media/m2"}
    with db.write() as s:
        out = chat.engine.answer(s, chat.conv, image, NOW)
        order = orders.get_order(s, orders.list_orders(s)[0].id)
        note = notifications.list_notifications(s)[0]
    assert out == []
    assert order.slip_path == "http://relay/media/m2"
    assert (note.kind, note.ref) == ("payment_slip", f"order:{order.id}")
