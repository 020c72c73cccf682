"""Sales flows on a real database: validation naming the node and field, storage, every node
kind and action, timers, and the three built-in flows end to end through the dialogue engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.bot_shop import BotShop, make_shop, new_conversation, shopper_says

from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import flows
from minichat_desktop.domain.bot.engine import DialogueEngine
from minichat_desktop.domain.bot.replies import Outgoing
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import (
    BotMode,
    Cart,
    Channel,
    ConversationMode,
    ConversationStatus,
    DiscountCode,
    Flow,
    FlowRun,
    Order,
    OrderStatus,
    PaymentMethod,
    ProductReview,
    utcnow,
)
from minichat_desktop.domain.sales import orders
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database
from relay import protocol as p

REF = "widget:flows0001"


class Chat:
    """A shopper talking to the engine (flows get the first chance), at a given time."""

    def __init__(self, db: Database, tmp_path: Path, ref: str = REF) -> None:
        self.db = db
        self.ref = ref
        self.engine = DialogueEngine(tmp_path / "media")
        self.conv = new_conversation(db, ref)
        self.now = utcnow()

    def say(self, said: str) -> list[Outgoing]:
        _, msg = shopper_says(self.db, self.ref, said, self.now)
        with self.db.write() as s:
            return self.engine.answer(s, self.conv, msg, self.now)

    def press(self, data: str) -> list[Outgoing]:
        with self.db.write() as s:
            return self.engine.answer(
                s, self.conv, {"id": f"pb-{data}", "kind": "postback", "data": data}, self.now
            )


def texts(out: list[Outgoing]) -> list[str]:
    return [o.text for o in out if o.text]


def buttons(out: list[Outgoing]) -> list[p.Button]:
    return [b for o in out for b in o.quick_replies]


@pytest.fixture
def shop(db: Database) -> BotShop:
    return make_shop(db)


@pytest.fixture
def chat(db: Database, tmp_path: Path, shop: BotShop) -> Chat:
    return Chat(db, tmp_path)


def save(db: Database, name: str, trigger: dict[str, Any], nodes: list[dict[str, Any]]) -> int:
    with db.write() as s:
        return flows.save_flow(s, name, trigger, nodes).id


KW = {"type": "keyword", "keywords": ["เริ่มทดสอบ"]}


# ---------------------------------------------------------------------------- validation


def test_validation_names_the_node_and_the_field(db: Database) -> None:
    with db.write() as s:
        with pytest.raises(UserError) as bad_text:
            flows.save_flow(
                s, "x", KW, [{"id": "a", "type": "message", "text": "hi"}, {"type": "message"}]
            )
        with pytest.raises(UserError) as bad_link:
            flows.save_flow(
                s, "x", KW, [{"id": "a", "type": "message", "text": "hi", "next": "zz"}]
            )
        with pytest.raises(UserError) as bad_trigger:
            flows.save_flow(s, "x", {"type": "intent", "intent": "dance"}, [])
        with pytest.raises(UserError) as bad_choice:
            flows.save_flow(
                s,
                "x",
                KW,
                [{"id": "q", "type": "question", "text": "?", "var": "v", "kind": "choice"}],
            )
        with pytest.raises(UserError) as bad_action:
            flows.save_flow(
                s,
                "x",
                KW,
                [{"id": "d", "type": "action", "action": "apply_discount", "percent": 95}],
            )
        with pytest.raises(UserError) as no_name:
            flows.save_flow(s, " ", KW, [{"type": "message", "text": "hi"}])
        assert flows.list_flows(s) == []  # nothing stored half-way
    assert bad_text.value.code == "flow.bad_node"
    params = bad_text.value.params
    assert (params["node"], params["node_id"], params["field"]) == (2, "n2", "text")
    assert bad_text.value.params["field_th"] == "ข้อความ"
    assert (bad_link.value.params["node_id"], bad_link.value.params["field"]) == ("a", "next")
    assert bad_link.value.params["problem"] == "unknown_node"
    assert (bad_trigger.value.code, bad_trigger.value.params["field"]) == ("flow.invalid", "intent")
    assert bad_choice.value.params["field"] == "choices"
    assert bad_action.value.params["field"] == "percent"
    assert no_name.value.params["field"] == "name"


def test_storage_list_enable_export_import_delete(db: Database) -> None:
    fid = save(db, "ทักทาย", KW, [{"type": "message", "text": "สวัสดี"}])
    with db.write() as s:
        view = flows.get_flow(s, fid)
        assert view.nodes == [
            {"type": "message", "text": "สวัสดี", "id": "n1", "next": "", "buttons": []}
        ]
        assert not flows.set_enabled(s, fid, False).enabled
        copy = flows.import_flow(s, view.to_obj())
        assert [f.name for f in flows.list_flows(s)] == ["ทักทาย", "ทักทาย"]
        flows.move_flow(s, copy.id, -1)
        assert [f.id for f in flows.list_flows(s)] == [copy.id, fid]
        flows.delete_flow(s, fid)
        assert [f.id for f in flows.list_flows(s)] == [copy.id]


def test_builtins_installed_once_and_owner_edits_kept(db: Database) -> None:
    with db.write() as s:
        first = flows.ensure_builtin_flows(s)
        assert sorted(f.builtin for f in first) == [
            "abandoned_cart",
            "product_discovery",
            "review_request",
        ]
        review = next(f for f in first if f.builtin == "review_request")
        flows.save_flow(s, "รีวิวของร้าน", review.trigger, review.nodes, flow_id=review.id)
        again = flows.ensure_builtin_flows(s)
        assert len(again) == 3
        assert flows.get_flow(s, review.id).name == "รีวิวของร้าน"
        with pytest.raises(UserError) as exc:
            flows.delete_flow(s, review.id)
        assert exc.value.code == "flow.builtin_delete"
        assert flows.reset_builtin(s, review.id).name == "ขอรีวิวหลังได้รับสินค้า"


# ---------------------------------------------------------------------------- nodes


def test_question_kinds_validate_and_reask_then_give_way(db: Database, chat: Chat) -> None:
    save(
        db,
        "ถามเบอร์",
        KW,
        [
            {
                "id": "tel",
                "type": "question",
                "text": "ขอเบอร์โทรค่ะ",
                "var": "phone",
                "kind": "phone",
                "error": "เบอร์ไม่ถูกต้องค่ะ",
                "next": "n",
            },
            {
                "id": "n",
                "type": "question",
                "text": "กี่ชิ้นคะ",
                "var": "qty",
                "kind": "number",
                "next": "done",
            },
            {"id": "done", "type": "message", "text": "รับทราบ {phone} จำนวน {qty} ชิ้นค่ะ"},
        ],
    )
    assert texts(chat.say("เริ่มทดสอบ")) == ["ขอเบอร์โทรค่ะ"]
    out = chat.say("12345")
    assert texts(out) == ["เบอร์ไม่ถูกต้องค่ะ\nขอเบอร์โทรค่ะ"]
    assert texts(chat.say("081-234-5678")) == ["กี่ชิ้นคะ"]
    assert texts(chat.say("๓ ชิ้น")) == ["รับทราบ 0812345678 จำนวน 3 ชิ้นค่ะ"]
    with db.read() as s:
        assert flows.run_state(s, chat.conv) is None
    # Two wrong answers in a row: the shopper is talking about something else.
    chat.say("เริ่มทดสอบ")
    chat.say("ไม่รู้")
    out = chat.say("มีเสื้อยืดสีแดงไหม")
    assert any(isinstance(o.body, p.ProductCard | p.Carousel) for o in out)
    with db.read() as s:
        assert flows.run_state(s, chat.conv) is None


def test_choice_buttons_condition_and_cancel(db: Database, chat: Chat) -> None:
    fid = save(
        db,
        "เลือก",
        KW,
        [
            {
                "id": "q",
                "type": "question",
                "text": "ชอบแบบไหน",
                "var": "style",
                "kind": "choice",
                "choices": [
                    {"label": "เรียบ ๆ", "value": "plain"},
                    {"label": "สดใส", "value": "bright"},
                ],
                "next": "c",
            },
            {
                "id": "c",
                "type": "condition",
                "field": "state.style",
                "op": "eq",
                "value": "bright",
                "then": "b",
                "else": "a",
            },
            {"id": "a", "type": "message", "text": "แนะนำสีดำค่ะ"},
            {"id": "b", "type": "message", "text": "แนะนำสีแดงค่ะ"},
        ],
    )
    out = chat.say("เริ่มทดสอบ")
    assert [b.data for b in buttons(out)] == [f"flow:{fid}:q:0", f"flow:{fid}:q:1"]
    assert texts(chat.press(f"flow:{fid}:q:1")) == ["แนะนำสีแดงค่ะ"]
    assert texts(chat.press(f"flow:{fid}:q:0")) == ["คำถามนี้ผ่านไปแล้วค่ะ"]
    chat.say("เริ่มทดสอบ")
    assert texts(chat.say("เรียบ ๆ")) == ["แนะนำสีดำค่ะ"]
    chat.say("เริ่มทดสอบ")
    assert texts(chat.say("ยกเลิก")) == ["ยกเลิกแล้วค่ะ มีอะไรให้ช่วยบอกได้เลยนะคะ"]
    # A button starts a flow by id, whatever its trigger.
    assert texts(chat.press(f"flow:{fid}")) == ["ชอบแบบไหน"]


def test_a_choice_with_its_own_next_leads_there(db: Database, chat: Chat) -> None:
    """An answer button drawn to its own step on the canvas goes there, typed or pressed; the
    other answers follow the question's next."""
    fid = save(
        db,
        "แยกตามคำตอบ",
        KW,
        [
            {
                "id": "q",
                "type": "question",
                "text": "รับแบบไหนคะ",
                "var": "how",
                "kind": "choice",
                "choices": [
                    {"label": "ส่งพัสดุ", "value": "ship", "next": "ship"},
                    {"label": "รับเอง", "value": "pickup"},
                ],
                "next": "other",
            },
            {"id": "ship", "type": "message", "text": "ขอที่อยู่ค่ะ"},
            {"id": "other", "type": "message", "text": "รอที่ร้านนะคะ"},
        ],
    )
    chat.say("เริ่มทดสอบ")
    assert texts(chat.press(f"flow:{fid}:q:0")) == ["ขอที่อยู่ค่ะ"]
    chat.say("เริ่มทดสอบ")
    assert texts(chat.say("รับเอง")) == ["รอที่ร้านนะคะ"]
    with pytest.raises(UserError) as err:
        save(
            db,
            "ผิด",
            KW,
            [
                {
                    "id": "q",
                    "type": "question",
                    "text": "?",
                    "var": "v",
                    "choices": [{"label": "ก", "value": "a", "next": "nowhere"}],
                }
            ],
        )
    assert err.value.params["field"] == "choices"
    assert err.value.params["problem"] == "unknown_node"


def test_positions_and_titles_are_kept_and_checked(db: Database) -> None:
    """The editor's ``pos`` and ``step_name`` travel with the flow (whole numbers, trimmed); a
    position that is not [x, y] is refused naming the field."""
    nodes = [
        {"id": "a", "type": "message", "text": "สวัสดี", "pos": [10.6, -20], "step_name": " ทักทาย "},
    ]
    fid = save(db, "ตำแหน่ง", KW, nodes)
    with db.read() as s:
        stored = flows.get_flow(s, fid).nodes[0]
    assert stored["pos"] == [11, -20] and stored["step_name"] == "ทักทาย"
    for bad in ([1], "1,2", [True, 2], [1, "2"]):
        with pytest.raises(UserError) as err:
            save(db, "ผิด", KW, [{"id": "a", "type": "message", "text": "x", "pos": bad}])
        assert (err.value.params["field"], err.value.params["field_th"]) == ("pos", "ตำแหน่งบนผัง")


def test_condition_on_cart_and_customer_fields(db: Database, chat: Chat, shop: BotShop) -> None:
    save(
        db,
        "ตะกร้า",
        KW,
        [
            {
                "id": "c",
                "type": "condition",
                "field": "cart.total",
                "op": "ge",
                "value": 500,
                "then": "big",
                "else": "small",
            },
            {"id": "small", "type": "message", "text": "ยอด {cart_total} บาท"},
            {"id": "big", "type": "message", "text": "ยอดเกิน 500 บาท ส่งฟรีค่ะ"},
        ],
    )
    with db.write() as s:
        carts.add_item(s, chat.conv, shop.mug, 1)
    assert texts(chat.say("เริ่มทดสอบ")) == ["ยอด 150.50 บาท"]
    with db.write() as s:
        carts.add_item(s, chat.conv, shop.tee_red_m, 2)
    assert texts(chat.say("เริ่มทดสอบ")) == ["ยอดเกิน 500 บาท ส่งฟรีค่ะ"]


def test_actions_tag_status_notify_cart_checkout(db: Database, chat: Chat, shop: BotShop) -> None:
    save(
        db,
        "ขายแก้ว",
        KW,
        [
            {"type": "action", "action": "tag_customer", "tag": "สนใจแก้ว", "next": "n2"},
            {"type": "action", "action": "set_status", "status": "contacted", "next": "n3"},
            {"type": "action", "action": "notify_owner", "title": "ลูกค้าสนใจแก้ว", "next": "n4"},
            {"type": "action", "action": "add_to_cart", "sku": "MUG", "quantity": 2, "next": "n5"},
            {"type": "action", "action": "apply_discount", "code": "mini10", "next": "n6"},
            {"type": "action", "action": "checkout", "next": "n7"},
            {"type": "message", "text": "never said"},
        ],
    )
    with db.write() as s:
        carts.save_discount_code(s, "MINI10", "percent", 1000)
    out = chat.say("เริ่มทดสอบ")
    assert isinstance(out[0].body, p.CartSummary) and out[0].body.subtotal_satang == 30100
    assert "never said" not in texts(out)
    assert len(out) >= 2  # the checkout's first question follows the cart
    with db.read() as s:
        view = carts.get_cart(s, chat.conv)
        assert view.discount_code == "MINI10" and view.discount_satang == 3010
        assert view.checkout  # checkout started
        conv = convs.get_conversation(s, chat.conv)
        assert conv.customer_id is not None
        c = customers.get_customer(s, conv.customer_id)
        assert (list(c.tags), c.status) == (["สนใจแก้ว"], "contacted")
        titles = [n.title for n in notifications.list_notifications(s)]
        assert any(t.startswith("ลูกค้าสนใจแก้ว: ") for t in titles)


def test_handoff_escalates_and_notifies_once(db: Database, chat: Chat) -> None:
    save(db, "คน", KW, [{"type": "handoff", "text": "รอสักครู่ค่ะ", "note": "ขอคุยกับคน"}])
    assert texts(chat.say("เริ่มทดสอบ")) == ["รอสักครู่ค่ะ"]
    chat.say("เริ่มทดสอบ")
    with db.read() as s:
        assert convs.get_conversation(s, chat.conv).status == ConversationStatus.ESCALATED
        kinds = [n.kind for n in notifications.list_notifications(s)]
        assert kinds.count(notifications.NotificationKind.ESCALATED) == 1


def test_intent_trigger_and_passive_and_human_modes(db: Database, chat: Chat) -> None:
    save(
        db,
        "ลาก่อน",
        {"type": "intent", "intent": "goodbye"},
        [{"type": "message", "text": "บ๊ายบายค่ะ"}],
    )
    assert texts(chat.say("ขอบคุณค่ะ บาย")) == ["บ๊ายบายค่ะ"]
    with db.write() as s:
        convs.set_bot_mode(s, chat.conv, BotMode.PASSIVE)
    assert chat.say("ขอบคุณค่ะ บาย") == []  # not a question: a passive bot starts nothing
    with db.write() as s:
        convs.take_over(s, chat.conv, "owner")
    assert chat.say("ขอบคุณค่ะ บาย") == []


def test_wait_node_and_question_timeout(db: Database, chat: Chat) -> None:
    save(
        db,
        "รอ",
        KW,
        [
            {"id": "hi", "type": "message", "text": "เดี๋ยวส่งโปรให้นะคะ", "next": "w"},
            {"id": "w", "type": "wait", "minutes": 30, "next": "q"},
            {
                "id": "q",
                "type": "question",
                "text": "สนใจไหมคะ",
                "var": "yes",
                "timeout_minutes": 60,
                "timeout_next": "bye",
                "next": "",
            },
            {"id": "bye", "type": "message", "text": "ไว้คราวหน้านะคะ"},
        ],
    )
    assert texts(chat.say("เริ่มทดสอบ")) == ["เดี๋ยวส่งโปรให้นะคะ"]
    with db.write() as s:
        assert flows.due_runs(s, chat.now + dt.timedelta(minutes=29)) == []
        assert flows.wake(s, chat.now + dt.timedelta(minutes=29)) == []
        woke = flows.wake(s, chat.now + dt.timedelta(minutes=31))
    assert [(cid, texts(r)) for cid, r in woke] == [(chat.conv, ["สนใจไหมคะ"])]
    with db.write() as s:
        assert flows.wake(s, chat.now + dt.timedelta(minutes=80)) == []
        late = flows.wake(s, chat.now + dt.timedelta(minutes=92))
    assert [texts(r) for _, r in late] == [["ไว้คราวหน้านะคะ"]]
    with db.read() as s:
        assert flows.run_state(s, chat.conv) is None


# ---------------------------------------------------------------------------- built-ins


def test_product_discovery_builtin(db: Database, chat: Chat, shop: BotShop) -> None:
    with db.write() as s:
        flows.ensure_builtin_flows(s)
    out = chat.say("ช่วยเลือกเสื้อให้หน่อย")
    assert texts(out)[0].startswith("ยินดีช่วยเลือกค่ะ")
    assert next(b.label for b in buttons(out)) == "ไม่เกิน 300 บาท"
    assert texts(chat.say("ห้าร้อย")) == [  # not a number: asked again
        "รบกวนพิมพ์งบเป็นตัวเลข เช่น 500 หรือกดปุ่มด้านล่างได้เลยค่ะ\n" + texts(out)[0]
    ]
    assert texts(chat.say("500")) == ["ชอบสีไหนเป็นพิเศษไหมคะ"]
    assert texts(chat.say("สีแดง")) == ["ใช้ไซส์อะไรคะ"]
    out = chat.say("M")
    cards = [o.body for o in out if isinstance(o.body, p.ProductCard | p.Carousel)]
    assert cards, texts(out)
    first = cards[0].card if isinstance(cards[0], p.ProductCard) else cards[0].cards[0]
    assert first.product_id == str(shop.tee_id) and first.price_satang <= 50000
    with db.read() as s:
        state = flows.run_state(s, chat.conv)
        assert state is None
        conv = convs.get_conversation(s, chat.conv)
        assert customers.get_customer(s, conv.customer_id).status == "qualified"


def test_abandoned_cart_reminds_once_with_a_discount(
    db: Database, chat: Chat, shop: BotShop
) -> None:
    with db.write() as s:
        flows.ensure_builtin_flows(s)
        carts.add_item(s, chat.conv, shop.mug, 2)
    later = utcnow() + dt.timedelta(minutes=61)
    with db.write() as s:
        assert flows.scan_abandoned_carts(s, utcnow() + dt.timedelta(minutes=59)) == []
        sent = flows.scan_abandoned_carts(s, later)
    assert [cid for cid, _ in sent] == [chat.conv]
    replies = sent[0][1]
    assert texts(replies)[0].startswith("สินค้าที่เลือกไว้ยังรออยู่ในตะกร้า")
    assert isinstance(replies[1].body, p.CartSummary)
    offer = texts(replies)[-1]
    with db.read() as s:
        codes = list(s.scalars(select(DiscountCode)))
        assert len(codes) == 1
        code = codes[0]
        assert (code.kind, code.value, code.max_uses) == ("percent", 500, 1)
        assert code.ends_at - code.starts_at == dt.timedelta(hours=24)
        assert code.code in offer and "5%" in offer
        view = carts.get_cart(s, chat.conv, later)
        assert view.discount_code == code.code and view.discount_satang == 1505
        assert s.scalar(select(Cart.reminded_at)) is not None
    with db.write() as s:
        assert flows.scan_abandoned_carts(s, later + dt.timedelta(hours=2)) == []


def test_abandoned_cart_skips_human_mode(db: Database, chat: Chat, shop: BotShop) -> None:
    with db.write() as s:
        flows.ensure_builtin_flows(s)
        carts.add_item(s, chat.conv, shop.mug, 1)
        convs.take_over(s, chat.conv, "owner")
    with db.write() as s:
        assert flows.scan_abandoned_carts(s, utcnow() + dt.timedelta(hours=2)) == []
        conv_mode = convs.get_conversation(s, chat.conv).mode
    assert conv_mode == ConversationMode.HUMAN


def test_review_request_when_delivered(db: Database, chat: Chat, shop: BotShop) -> None:
    with db.write() as s:
        flows.ensure_builtin_flows(s)
        order = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.WIDGET,
                lines=[orders.LineInput(1, shop.mug), orders.LineInput(1, shop.cap)],
                payment_method=PaymentMethod.BANK_TRANSFER,
                customer_name="สมชาย",
                conversation_ref=REF,
            ),
            "bot",
        )
        for to in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED):
            orders.change_status(s, order.id, to, "owner")
        assert flows.scan_delivered_orders(s, utcnow()) == []  # not delivered yet
        orders.change_status(s, order.id, OrderStatus.DELIVERED, "owner")
    with db.write() as s:
        sent = flows.tick(s, utcnow() + dt.timedelta(minutes=1))
        assert flows.tick(s, utcnow() + dt.timedelta(minutes=2)) == []  # once per order
    assert [cid for cid, _ in sent] == [chat.conv]
    ask = sent[0][1][0]
    assert order.number in ask.text
    assert [b.label for b in ask.quick_replies] == [
        "⭐⭐⭐⭐⭐",
        "⭐⭐⭐⭐",
        "⭐⭐⭐",
        "⭐⭐",
        "⭐",
    ]
    assert texts(chat.press(ask.quick_replies[1].data)) == [
        "ขอบคุณมากสำหรับ 4 ดาวค่ะ 🙏 แล้วแวะมาอุดหนุนกันใหม่นะคะ"
    ]
    with db.read() as s:
        reviews = list(s.scalars(select(ProductReview).order_by(ProductReview.product_id)))
        assert [(r.product_id, r.rating, r.order_id) for r in reviews] == [
            (shop.mug_id, 4, order.id),
            (reviews[1].product_id, 4, order.id),
        ]
        assert len(list(s.scalars(select(FlowRun)))) == 1


def _delivered_order(s: Any, shop: BotShop) -> Any:
    order = orders.place_order(
        s,
        orders.NewOrder(
            channel=Channel.WIDGET,
            lines=[orders.LineInput(1, shop.mug)],
            payment_method=PaymentMethod.BANK_TRANSFER,
            conversation_ref=REF,
        ),
        "bot",
    )
    for to in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        orders.change_status(s, order.id, to, "owner")
    return order


def test_history_before_a_flow_is_switched_on_is_left_alone(
    db: Database, chat: Chat, shop: BotShop
) -> None:
    """An order delivered and a cart left before the flows existed (imported or demo history)
    get no review request and no reminder, now or later; events after switching on do."""
    with db.write() as s:
        old = _delivered_order(s, shop)
        carts.add_item(s, chat.conv, shop.mug, 1)
    with db.write() as s:
        flows.ensure_builtin_flows(s)
    with db.write() as s:
        assert flows.tick(s, utcnow() + dt.timedelta(minutes=1)) == []
        assert flows.on_order_delivered(s, old.id, utcnow()) == []
        assert flows.scan_abandoned_carts(s, utcnow() + dt.timedelta(hours=2)) == []
    with db.write() as s:
        new = _delivered_order(s, shop)
        sent = flows.scan_delivered_orders(s, utcnow() + dt.timedelta(minutes=1))
    assert [(cid, new.number in r[0].text) for cid, r in sent] == [(chat.conv, True)]


def test_a_flow_switched_back_on_ignores_what_happened_while_off(
    db: Database, chat: Chat, shop: BotShop
) -> None:
    """Switching a flow off and on again starts its events from the moment it is on."""
    with db.write() as s:
        views = flows.ensure_builtin_flows(s)
        review = next(v.id for v in views if v.builtin == "review_request")
        flows.set_enabled(s, review, False)
        order = _delivered_order(s, shop)
        flows.set_enabled(s, review, True)
    with db.write() as s:
        assert flows.on_order_delivered(s, order.id, utcnow()) == []
        delivered = s.scalar(select(Order.delivered_at).where(Order.id == order.id))
        assert s.scalar(select(Flow.enabled_at).where(Flow.id == review)) > delivered


def test_low_review_hands_over(db: Database, chat: Chat, shop: BotShop) -> None:
    with db.write() as s:
        flows.ensure_builtin_flows(s)
        order = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.WIDGET,
                lines=[orders.LineInput(1, shop.mug)],
                payment_method=PaymentMethod.BANK_TRANSFER,
                conversation_ref=REF,
            ),
            "bot",
        )
        for to in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            orders.change_status(s, order.id, to, "owner")
        sent = flows.on_order_delivered(s, order.id, utcnow())
    assert len(sent) == 1
    out = chat.say("1")
    assert texts(out)[0].startswith("ขออภัยที่ยังไม่ประทับใจ")
    with db.read() as s:
        assert convs.get_conversation(s, chat.conv).status == ConversationStatus.ESCALATED
        assert s.scalar(select(ProductReview.rating)) == 1


def test_queue_replies_puts_timer_messages_in_the_outbox(
    db: Database, chat: Chat, shop: BotShop
) -> None:
    with db.write() as s:
        flows.ensure_builtin_flows(s)
        carts.add_item(s, chat.conv, shop.mug, 1)
    with db.write() as s:
        before = len(convs.pending_outbox(s))
        done = flows.queue_replies(s, flows.tick(s, utcnow() + dt.timedelta(hours=2)))
        assert done == [chat.conv]
        assert len(convs.pending_outbox(s)) == before + 3  # reminder, cart, code


async def test_runner_tick_sends_timer_messages_when_the_bot_is_on(
    db: Database, chat: Chat, shop: BotShop
) -> None:
    from minichat_desktop.domain.bot.engine import set_bot_enabled
    from minichat_desktop.sync.bot_runner import BotRunner

    woken: list[int] = []  # what the relay link would hear: an outbox row committed
    db.subscribe(lambda tables: woken.append(1) if "outbox" in tables else None)
    changed: list[list[int]] = []
    runner = BotRunner(
        db,
        relay_url=lambda: "http://127.0.0.1:9",
        token=lambda: None,
        changed=changed.append,
    )
    try:
        later = utcnow() + dt.timedelta(hours=2)
        assert await runner.tick(later) == []  # the bot is off: nothing, not even built-ins
        with db.read() as s:
            assert flows.list_flows(s) == []
        with db.write() as s:
            set_bot_enabled(s, True)
        assert await runner.tick() == []  # built-ins installed; no cart yet
        with db.write() as s:
            carts.add_item(s, chat.conv, shop.mug, 1)
        assert await runner.tick(later) == [chat.conv]
        assert woken == [1] and changed == [[chat.conv]]
        with db.read() as s:
            texts_out = [m["message"].get("text", "") for _, m in convs.pending_outbox(s)]
        assert any("ยังรออยู่ในตะกร้า" in x for x in texts_out)
        assert await runner.tick(later) == []  # reminded once
    finally:
        await runner.stop()
