"""Order messages to the shopper: editable templates checked when saved, rendered from the
order, queued in its chat with the change; Thailand Post numbers checked with S10."""

from __future__ import annotations

import pytest
from support.bot_shop import make_shop, new_conversation

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import Channel, OrderStatus
from minichat_desktop.domain.sales import order_actions, order_notify, orders, refunds
from minichat_desktop.domain.thai import is_valid_s10, s10_check_digit
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database


def _chat_order(db: Database, variant_id: int, ref: str = "widget:shopper0001") -> int:
    new_conversation(db, ref)
    with db.write() as s:
        view = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.WIDGET,
                lines=[orders.LineInput(2, variant_id=variant_id)],
                customer_name="สมหญิง ใจดี",
                conversation_ref=ref,
            ),
            "bot",
        )
    return view.id


def _sent(db: Database) -> list[dict[str, object]]:
    with db.read() as s:
        return [frame["message"] for _uid, frame in convs.pending_outbox(s)]


def test_defaults_are_thai_and_use_only_known_placeholders(db: Database) -> None:
    with db.read() as s:
        templates = order_notify.get_templates(s)
    assert list(templates) == list(order_notify.EVENTS)
    for event, text in templates.items():
        assert order_notify.validate_template(event, text) == text.strip()
    assert "จัดส่งแล้ว" in templates["shipped"] and "{tracking}" in templates["shipped"]


def test_saved_template_is_used_and_default_kept_for_others(db: Database) -> None:
    with db.write() as s:
        order_notify.save_templates(s, {"shipped": "ส่งแล้วจ้า {order_number} เลข {tracking}"})
    with db.read() as s:
        templates = order_notify.get_templates(s)
    assert templates["shipped"] == "ส่งแล้วจ้า {order_number} เลข {tracking}"
    assert templates["paid"] == order_notify.DEFAULT_TEMPLATES["paid"]


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("ส่งแล้ว {tracknig}", "order_notify.unknown_placeholder", "tracknig"),
        ("ส่งแล้ว {order_number", "order_notify.bad_braces", None),
        ("ยอด {total:>10}", "order_notify.bad_placeholder", None),
        ("   ", "order_notify.empty", None),
    ],
)
def test_a_bad_template_is_refused_and_nothing_stored(
    db: Database, text: str, code: str, field: str | None
) -> None:
    with pytest.raises(UserError) as caught, db.write() as s:
        order_notify.save_templates(s, {"paid": "ชำระแล้ว {order_number}", "shipped": text})
    assert caught.value.code == code
    assert caught.value.params["event"] == "shipped"
    if field:
        assert caught.value.params["field"] == field
    with db.read() as s:
        assert order_notify.get_templates(s)["paid"] == order_notify.DEFAULT_TEMPLATES["paid"]


def test_render_drops_a_line_whose_placeholders_are_empty() -> None:
    values = {"order_number": "MC-2026-000001", "tracking": "KEX1", "tracking_url": ""}
    text = "ออเดอร์ {order_number}\nเลขพัสดุ: {tracking}\n{tracking_url}\nขอบคุณค่ะ"
    assert order_notify.render(text, values) == "ออเดอร์ MC-2026-000001\nเลขพัสดุ: KEX1\nขอบคุณค่ะ"


def test_shipping_with_tracking_queues_the_templated_text(db: Database) -> None:
    ids = make_shop(db)
    oid = _chat_order(db, ids.tee_red_m)
    with db.write() as s:
        order_notify.save_templates(
            s,
            {
                "shipped": (
                    "{shop_name}: {order_number} {status} {carrier} {tracking}\n{tracking_url}"
                )
            },
        )
        order_actions.mark_paid(s, oid, "owner")
        changed = order_actions.ship(
            s, oid, "owner", carrier="Thailand Post", tracking="ee 123456785 th", tell=True
        )
    assert changed.order.status == OrderStatus.SHIPPED
    assert changed.order.tracking_number == "EE123456785TH"
    assert changed.told is not None
    (message,) = _sent(db)
    expected = (
        f"ร้านมินิ: {changed.order.number} จัดส่งแล้ว Thailand Post EE123456785TH\n"
        "https://track.thailandpost.co.th/?trackNumber=EE123456785TH"
    )
    assert (message["kind"], message["text"]) == ("text", expected)


def test_a_bad_thailand_post_number_is_refused_and_nothing_changes(db: Database) -> None:
    ids = make_shop(db)
    oid = _chat_order(db, ids.tee_red_m)
    with db.write() as s:
        orders.mark_paid(s, oid, "owner")
    with pytest.raises(UserError) as caught, db.write() as s:
        order_actions.ship(
            s, oid, "owner", carrier="Thailand Post", tracking="EE123456784TH", tell=True
        )
    assert (caught.value.code, caught.value.params["tracking"]) == (
        "order.bad_s10",
        "EE123456784TH",
    )
    with db.read() as s:
        view = orders.get_order(s, oid)
    assert (view.status, view.tracking_number, view.carrier) == ("confirmed", "", "")
    assert _sent(db) == []


def test_other_carriers_numbers_are_not_s10_checked(db: Database) -> None:
    assert order_actions.clean_tracking("Kerry Express", " kex 0012 3456 ") == "KEX00123456"
    with pytest.raises(UserError) as caught:
        order_actions.clean_tracking("Flash Express", "ก๊อก")
    assert caught.value.code == "order.bad_tracking"


def test_s10_check_digit() -> None:
    assert s10_check_digit("12345678") == 5
    assert is_valid_s10("EE123456785TH")
    assert not is_valid_s10("EE123456784TH")
    assert s10_check_digit("00000001") == 4  # 7 mod 11 = 7, 11 - 7
    assert s10_check_digit("00000012") == 0  # 9 + 14 = 23, r = 1: 10 becomes 0
    assert s10_check_digit("10001000") == 5  # 8 + 3 = 11, r = 0: 11 becomes 5


def test_a_new_tracking_number_on_a_shipped_order_sends_the_tracking_message(
    db: Database,
) -> None:
    ids = make_shop(db)
    oid = _chat_order(db, ids.mug)
    with db.write() as s:
        orders.mark_paid(s, oid, "owner")
        order_actions.ship(s, oid, "owner", carrier="Kerry Express", tracking="KEX1111")
    assert _sent(db) == []  # not asked to tell
    with db.write() as s:
        changed = order_actions.ship(
            s, oid, "owner", carrier="Kerry Express", tracking="KEX2222", tell=True
        )
        number = changed.order.number
        same = order_actions.ship(
            s, oid, "owner", carrier="Kerry Express", tracking="kex 2222", tell=True
        )
    assert same.told is None  # nothing new to say
    (message,) = _sent(db)
    assert message["text"] == (
        f"อัปเดตเลขพัสดุออเดอร์ {number} ค่ะ\nขนส่ง: Kerry Express\nเลขพัสดุ: KEX2222"
    )


def test_an_unpaid_pending_order_cannot_be_shipped_and_keeps_its_tracking(db: Database) -> None:
    ids = make_shop(db)
    oid = _chat_order(db, ids.mug)
    with pytest.raises(UserError) as caught, db.write() as s:
        order_actions.ship(s, oid, "owner", carrier="Flash Express", tracking="TH0123456789")
    assert caught.value.code == "order.cannot_ship"
    with db.read() as s:
        assert orders.get_order(s, oid).tracking_number == ""


# ---------------------------------------------------------------------------- partial refunds


def _paid_chat_order(db: Database) -> tuple[int, int]:
    """2 × TEE-RED-M (580.00) from a chat, paid: (order id, its line id)."""
    ids = make_shop(db)
    oid = _chat_order(db, ids.tee_red_m)
    with db.write() as s:
        order_actions.mark_paid(s, oid, "owner")
        line = orders.get_order(s, oid).items[0].id
    return oid, line


def test_a_partial_refund_tells_the_shopper_the_money_given_back(db: Database) -> None:
    """150.00 off a line after a complaint: the shopper reads ฿150 (this refund, not the
    order's total); refunding the rest then sends the ``refunded`` message."""
    oid, line = _paid_chat_order(db)
    with db.write() as s:
        partly = order_actions.refund(
            s, oid, refunds.RefundRequest(amounts={line: 15_000}, reason="สินค้ามีตำหนิ"),
            "owner", tell=True,
        )  # fmt: skip
    assert partly.told is not None and not partly.refund.completes
    number = partly.order.number
    with db.write() as s:
        rest = order_actions.refund(
            s, oid, refunds.RefundRequest(quantities={line: 2}, reason="คืนสินค้า"),
            "owner", tell=True,
        )  # fmt: skip
    assert rest.refund.completes
    assert [m["text"] for m in _sent(db)] == [
        f"ร้านคืนเงินบางส่วนของออเดอร์ {number} จำนวน ฿150 ให้เรียบร้อยแล้วค่ะ"
        " ขออภัยในความไม่สะดวกนะคะ หากมีข้อสงสัยทักแชทได้เลยค่ะ 🙏",
        f"คืนเงินออเดอร์ {number} จำนวน ฿580 เรียบร้อยแล้วค่ะ",
    ]


def test_the_shops_own_partly_refunded_words_and_no_message_without_asking(
    db: Database,
) -> None:
    oid, line = _paid_chat_order(db)
    with db.write() as s:
        order_notify.save_templates(
            s, {"partly_refunded": "{customer_name} ได้รับเงินคืน {refunded} จากยอด {total}"}
        )
        quiet = order_actions.refund(
            s, oid, refunds.RefundRequest(amounts={line: 5_050}, reason="ลดราคา"), "owner"
        )
        told = order_actions.refund(
            s, oid, refunds.RefundRequest(quantities={line: 1}, reason="คืนหนึ่งตัว"), "owner",
            tell=True,
        )  # fmt: skip
    assert quiet.told is None
    # One of two units left after 50.50 off the line: half of 529.50, 264.75.
    assert told.refund.amount_satang == 26_475
    assert [m["text"] for m in _sent(db)] == ["สมหญิง ใจดี ได้รับเงินคืน ฿264.75 จากยอด ฿580"]


def test_a_partial_refund_of_a_counter_sale_tells_no_one(db: Database) -> None:
    ids = make_shop(db)
    with db.write() as s:
        view = orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.POS,
                lines=[orders.LineInput(1, variant_id=ids.tee_red_m)],
                completed=True,
            ),
            "owner",
        )
        done = order_actions.refund(
            s, view.id, refunds.RefundRequest(amounts={view.items[0].id: 1_000}, reason="ลด"),
            "owner", tell=True,
        )  # fmt: skip
    assert done.told is None and _sent(db) == []


def test_refunded_is_a_placeholder_and_the_preview_shows_an_amount(db: Database) -> None:
    with db.read() as s:
        text = order_notify.preview(s, "partly_refunded", "คืน {refunded} ออเดอร์ {order_number}")
    assert text == "คืน ฿150 ออเดอร์ MC-2026-000123"
    assert "{refunded}" in order_notify.DEFAULT_TEMPLATES["partly_refunded"]


def test_canned_replies_are_filled_like_order_messages(db: Database) -> None:
    """A canned reply names the same facts as the order messages and reads them the same
    way (the chat's order, its status in Thai, money as ฿); a line that holds nothing but
    placeholders with nothing to say is left out."""
    bot = make_shop(db)
    order_id = _chat_order(db, bot.tee_red_m)
    text = "คุณ{customer_name} ออเดอร์ {order_number} ({status}) ยอด {total}\n{tracking}"
    with db.write() as s:
        conversation = convs.find_conversation(s, "widget:shopper0001")
        assert conversation is not None
        saved = convs.save_canned(s, "สรุป", text)
        filled = order_notify.render_canned(s, saved.text, conversation.id)
        number = orders.get_order(s, order_id).number
        total = orders.get_order(s, order_id).total_satang
    assert filled == f"คุณสมหญิง ใจดี ออเดอร์ {number} (รอดำเนินการ) ยอด ฿{total // 100:,}"


@pytest.mark.parametrize(
    ("text", "code"),
    [("สวัสดี {nickname}", "canned.unknown_field"), ("โปร {ลด", "canned.bad_braces")],
)
def test_a_canned_reply_that_cannot_be_filled_is_refused(
    db: Database, text: str, code: str
) -> None:
    with db.write() as s, pytest.raises(UserError) as caught:
        convs.save_canned(s, "ผิด", text)
    assert caught.value.code == code
