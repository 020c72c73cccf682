"""Live selling end to end: a relay process with a shop on Facebook, Meta as a local server
posting signed ``feed`` comment webhooks (support.fake_meta), the desktop's relay client on a
real SQLite file with a live running. A comment reserves stock through ``record_comment``, its
private reply reaches Meta with ``recipient.comment_id`` and the checkout button, and a
redelivered webhook does nothing twice."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select
from support.bot_shop import PROMPTPAY_ID, make_shop
from support.fake_meta import (
    FakeMeta,
    feed_comment,
    instagram_comment,
    meta_error,
    problems,
    user_message,
    user_postback,
    webhook,
)
from support.recorder import Recorder
from support.relay_proc import Relay, meta_shop_relay
from support.waiting import until

from minichat_desktop.app import live
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.live.selling import PickedProduct, Result
from minichat_desktop.domain.models import LiveComment, OutboxItem, ProductVariant
from minichat_desktop.domain.promptpay import promptpay_payload
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import get_setting
from minichat_desktop.domain.thai import satang_to_decimal
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import AFTER_KEY, RelayClient

PAGE = "1122334455"
PSID = "2233445566778899"
OTHER = "2233445566770000"
SECRET = "app-secret-0123456789"
TOKEN = "page-token-1"
IG_ACCOUNT = "17841405555555555"
IGSID = "17841400000000001"
DAY = 24 * 3600
ADDRESS = "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ"


@pytest.fixture
def relay(tmp_path: Path, meta_api: FakeMeta) -> Iterator[tuple[Relay, str, str]]:
    """A relay process whose one shop has its Facebook Page set up (by the operator's CLI)."""
    r, shop_id, token = meta_shop_relay(tmp_path / "relay", meta_api.url, SECRET, name="ร้านไลฟ์")
    yield r, shop_id, token
    r.stop()


@pytest.fixture
async def desktop(relay: Any, db: Database) -> AsyncIterator[RelayClient]:
    r, _shop_id, token = relay
    rec = Recorder()
    client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05, backoff_cap=0.3)
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(rec.online.wait(), 10)
    yield client
    await client.stop()
    await asyncio.wait_for(task, 10)


def _live_with_stock(db: Database, stock: int) -> tuple[int, int]:
    with db.write() as s:
        product = catalog.save_product(
            s, ProductInput(sku="DRESS-12", name_th="เดรส", price_satang=39_000, stock=stock), "o"
        )
    vid = product.variants[0].id
    return live.start_live(db, "ไลฟ์เย็นนี้", [PickedProduct("A12", vid)], 60, "owner"), vid


def _comments(db: Database) -> dict[str, tuple[str, int]]:
    with db.read() as s:
        rows = s.execute(select(LiveComment.comment_id, LiveComment.result, LiveComment.quantity))
        return {cid: (str(result), qty) for cid, result, qty in rows}


def _replies(meta_api: FakeMeta) -> list[dict[str, Any]]:
    return [b for b in meta_api.delivered() if "comment_id" in b["recipient"]]


async def test_a_cf_comment_reserves_and_its_private_reply_reaches_meta_once(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    r, shop_id, _ = relay
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    live_id, vid = _live_with_stock(db, 3)
    first = feed_comment(PAGE, "900100200_1", PSID, "สมชาย", "CF A12 2")
    assert meta_api.post_webhook(endpoint, first, SECRET) == (200, "EVENT_RECEIVED")
    await until(lambda: len(_replies(meta_api)) == 1)
    assert _comments(db) == {"900100200_1": (Result.RESERVED.value, 2)}
    reply = _replies(meta_api)[0]
    assert reply["recipient"] == {"comment_id": "900100200_1"}
    assert "messaging_type" not in reply  # a private reply is no answer in a 24-hour window
    template = reply["message"]["attachment"]["payload"]
    assert template["template_type"] == "button"
    [button] = template["buttons"]
    assert button["type"] == "postback"
    assert button["payload"] == f"live:{live_id}:checkout:{PSID}"

    # Meta redelivers the same comment; then another commenter's comment marks "worked"
    assert meta_api.post_webhook(endpoint, first, SECRET)[0] == 200
    second = feed_comment(PAGE, "900100200_2", OTHER, "สมหญิง", "cf a12 2")
    assert meta_api.post_webhook(endpoint, second, SECRET)[0] == 200
    await until(lambda: len(_replies(meta_api)) == 2)
    assert _comments(db) == {
        "900100200_1": (Result.RESERVED.value, 2),
        "900100200_2": (Result.SOLD_OUT.value, 0),
    }
    assert _replies(meta_api)[1]["recipient"] == {"comment_id": "900100200_2"}
    assert "A12 เหลือ 1 ชิ้น" in _replies(meta_api)[1]["message"]["text"]
    await until(lambda: _outbox_empty(db))  # both replies accepted by the relay
    with db.read() as s:
        assert s.scalar(select(ProductVariant.stock).where(ProductVariant.id == vid)) == 1
        assert s.scalar(select(func.count()).select_from(LiveComment)) == 2
    assert len(_replies(meta_api)) == 2  # nothing answered twice
    assert SECRET not in r.log() and TOKEN not in r.log()


def _outbox_empty(db: Database) -> bool:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem)) == 0


async def test_with_no_live_running_comments_and_page_echoes_are_acknowledged_not_kept(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    """Nothing is reserved or answered without a live; the stream position still moves past
    the comment and the page's echo, so the relay stops offering them."""
    r, shop_id, _ = relay
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    comment = feed_comment(PAGE, "900100200_7", PSID, "สมชาย", "CF A12")
    # the page answered from the phone: Meta echoes it (sender: the page)
    echo = webhook("page", PAGE, user_message(PAGE, PSID, "m_echo_1", text="ค่ะ", is_echo=True))
    for body in (comment, echo):
        assert meta_api.post_webhook(endpoint, body, SECRET)[0] == 200

    def after() -> int:
        with db.read() as s:
            return int(get_setting(s, AFTER_KEY, 0))

    await until(lambda: after() >= 2)
    assert _comments(db) == {}
    assert _outbox_empty(db)
    assert _replies(meta_api) == []
    assert desktop.online
    assert meta_api.calls == []  # nothing was sent to Meta


async def test_a_private_reply_meta_refuses_is_told_to_the_owner_in_metas_words(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    r, shop_id, _ = relay
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    _live_with_stock(db, 5)
    old = meta_error(10, "This message is sent outside of allowed window.", 2018278)
    meta_api.answers.append((400, old))  # e.g. a comment over 7 days old, redelivered late
    body = feed_comment(PAGE, "900100200_9", PSID, "สมชาย", "CF A12")
    assert meta_api.post_webhook(endpoint, body, SECRET)[0] == 200

    def told() -> list[notifications.NotificationView]:
        with db.read() as s:
            return [
                n
                for n in notifications.list_notifications(s)
                if n.kind == notifications.NotificationKind.MESSAGE_FAILED
            ]

    await until(lambda: bool(told()))
    [note] = told()
    assert (note.title, note.title_en) == (
        "ตอบความเห็นในไลฟ์ไม่สำเร็จ",
        "Reply to a live comment not sent",
    )
    assert "900100200_9" in note.body and "code 10" in note.body_en
    assert _comments(db)["900100200_9"] == (Result.RESERVED.value, 1)  # the cart stays
    assert meta_api.delivered() == []


async def test_messenger_and_instagram_chats_reach_the_inbox_and_a_reply_goes_back(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    """A shopper writing to the Page on Messenger and another on Instagram: each is a
    conversation of its own channel with a customer of its own (the link once stopped on
    a conversation id it did not know, and again at every restart), and the shop's reply
    reaches Meta inside the 24-hour window."""
    from minichat_desktop.domain.conversations import conversations as convs
    from minichat_desktop.domain.models import Conversation, CustomerIdentity
    from relay import protocol as p

    r, shop_id, _ = relay
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    hello = webhook("page", PAGE, user_message(PSID, PAGE, "m_1", text="มีไซส์ M ไหมคะ"))
    assert meta_api.post_webhook(endpoint, hello, SECRET)[0] == 200
    insta = webhook("instagram", PAGE, user_message(OTHER, PAGE, "m_2", text="ราคาเท่าไหร่"))
    assert meta_api.post_webhook(endpoint, insta, SECRET)[0] == 200

    def chats() -> dict[str, str]:
        with db.read() as s:
            return dict(s.execute(select(Conversation.ref, Conversation.channel)).all())

    await until(lambda: len(chats()) == 2)
    assert chats() == {f"messenger:{PSID}": "messenger", f"instagram:{OTHER}": "instagram"}
    with db.read() as s:
        kinds = set(s.scalars(select(CustomerIdentity.kind)))
    assert {"messenger", "instagram"} <= kinds
    with db.write() as s:
        conv = convs.find_conversation(s, f"messenger:{PSID}")
        assert conv is not None
        convs.queue_outgoing(s, conv.id, p.Text("มีค่ะ"), "owner")
    await until(lambda: any(b["recipient"] == {"id": PSID} for b in meta_api.delivered()))
    sent = next(b for b in meta_api.delivered() if b["recipient"] == {"id": PSID})
    assert sent["message"]["text"] == "มีค่ะ" and sent["messaging_type"] == "RESPONSE"
    assert desktop.online


async def test_an_instagram_cf_comment_reserves_and_its_reply_goes_to_the_instagram_account(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    """ "CF A12" under the shop's Instagram post reserves like a Facebook comment, the live
    keeps that it came from Instagram, and the private reply reaches Meta at
    ``/{ig-account-id}/messages`` with a checkout that continues in Instagram."""
    r, shop_id, _ = relay
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    live_id, vid = _live_with_stock(db, 3)
    cid = "17865799348089039"
    body = instagram_comment(IG_ACCOUNT, cid, IGSID, "somchai.ig", "CF A12")
    assert meta_api.post_webhook(endpoint, body, SECRET) == (200, "EVENT_RECEIVED")
    await until(lambda: len(_replies(meta_api)) == 1)
    assert _comments(db) == {cid: (Result.RESERVED.value, 1)}
    with db.read() as s:
        row = s.scalars(select(LiveComment)).one()
        assert (row.platform, row.commenter_id, row.commenter_name) == (
            "instagram",
            IGSID,
            "somchai.ig",
        )
        assert s.scalar(select(ProductVariant.stock).where(ProductVariant.id == vid)) == 2
    assert meta_api.nodes == [(IG_ACCOUNT, cid)]
    reply = _replies(meta_api)[0]
    assert reply["recipient"] == {"comment_id": cid}
    template = reply["message"]["attachment"]["payload"]
    assert template["text"].endswith("กดชำระเงินเพื่อยืนยันใน Instagram")
    assert template["buttons"][0]["payload"] == f"live:{live_id}:checkout:{IGSID}"
    board = live.board(db, live_id)
    assert [(c.platform, c.reply_problem) for c in board.comments] == [("instagram", "")]


async def test_a_comment_over_7_days_old_gets_no_private_reply_and_the_live_shows_why(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta
) -> None:
    """The relay refuses the reply at once (Meta is not asked); the desktop takes it out of
    the outbox, keeps the reason on the comment for the live screen and tells the owner, in
    Thai and English. The reservation stays: the owner can still check the cart out."""
    r, shop_id, _ = relay
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    live_id, _vid = _live_with_stock(db, 3)
    old = feed_comment(PAGE, "900100200_80", PSID, "สมชาย", "CF A12", ago=7 * DAY + 120)
    assert meta_api.post_webhook(endpoint, old, SECRET)[0] == 200

    def problems() -> list[str]:
        return [c.reply_problem for c in live.board(db, live_id).comments]

    await until(lambda: any(problems()))  # one read: the comment stored, then its reason
    [problem] = problems()
    assert problem.startswith("ความเห็นนี้เก่ากว่า 7 วันแล้ว") and "over 7 days old" in problem
    assert _comments(db) == {"900100200_80": (Result.RESERVED.value, 1)}
    assert _outbox_empty(db)
    with db.read() as s:
        [note] = [
            n
            for n in notifications.list_notifications(s)
            if n.kind == notifications.NotificationKind.MESSAGE_FAILED
        ]
    assert note.title_en == "Reply to a live comment not sent"
    assert note.body.startswith("ความเห็น 900100200_80: ความเห็นนี้เก่ากว่า 7 วันแล้ว")
    assert "over 7 days old" in note.body_en and "ความเห็น" not in note.body_en
    assert meta_api.calls == []  # Meta was never asked
    assert desktop.online


def _to_shopper(meta_api: FakeMeta, user: str) -> list[dict[str, Any]]:
    return [b for b in meta_api.delivered() if b["recipient"] == {"id": user}]


async def _answers(meta_api: FakeMeta, user: str, seen: int, count: int) -> list[dict[str, Any]]:
    """The next ``count`` Send API bodies to ``user`` after the ``seen`` first ones."""
    await until(lambda: len(_to_shopper(meta_api, user)) >= seen + count, timeout=30)
    return _to_shopper(meta_api, user)[seen : seen + count]


# (webhook object, the shopper's id, their comment, the chat's channel)
CHECKOUT_PLATFORMS = {
    "messenger": (
        "page",
        PSID,
        feed_comment(PAGE, "900100200_50", PSID, "สมชาย", "CF A12 2"),
        "messenger",
    ),
    "instagram": (
        "instagram",
        IGSID,
        instagram_comment(IG_ACCOUNT, "17865799348089050", IGSID, "somchai.ig", "CF A12 2"),
        "instagram",
    ),
}


@pytest.mark.parametrize("platform", sorted(CHECKOUT_PLATFORMS))
async def test_a_cf_comment_is_checked_out_in_the_chat_with_shipping_and_the_exact_qr(
    relay: Any, db: Database, desktop: RelayClient, meta_api: FakeMeta, platform: str
) -> None:
    """ "CF A12 2" → private reply → the checkout button in Messenger (Instagram) → name,
    phone, address, Kerry, PromptPay → confirm: the order has the address, the ฿50 fee and
    the total, the two dresses stayed reserved all along, and the Thai QR Payment card Meta
    fetched is for the whole total. The bot is off: the private reply promised the checkout."""
    r, shop_id, _ = relay
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    obj, user, comment, channel = CHECKOUT_PLATFORMS[platform]
    make_shop(db)  # PromptPay ID and a bank account; the bot stays switched off
    live_id, vid = _live_with_stock(db, 5)
    assert meta_api.post_webhook(endpoint, comment, SECRET)[0] == 200
    await until(lambda: len(_replies(meta_api)) == 1)

    def stock() -> int:
        with db.read() as s:
            return int(s.scalar(select(ProductVariant.stock).where(ProductVariant.id == vid)) or 0)

    def post(item: dict[str, Any]) -> None:
        assert meta_api.post_webhook(endpoint, webhook(obj, PAGE, item), SECRET)[0] == 200

    def say(mid: str, text: str, payload: str | None = None) -> None:
        quick = {"quick_reply": {"payload": payload}} if payload else {}
        post(user_message(user, PAGE, mid, text=text, **quick))

    post(user_postback(user, PAGE, f"live:{live_id}:checkout:{user}", "ชำระเงิน"))
    [ask] = await _answers(meta_api, user, 0, 1)
    assert ask["message"]["text"] == "ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ"
    assert ask["messaging_type"] == "RESPONSE"
    say("m_c1", "สมชาย ใจดี")
    await _answers(meta_api, user, 1, 1)
    say("m_c2", "0812345678")
    await _answers(meta_api, user, 2, 1)
    say("m_c3", f"{ADDRESS} 10110")
    [ship] = await _answers(meta_api, user, 3, 1)
    quick = {q["payload"]: q["title"] for q in ship["message"]["quick_replies"]}
    assert quick["ship:kerry"] == "Kerry Express ฿50" and len(quick) <= 13
    say("m_c4", "Kerry Express ฿50", payload="ship:kerry")
    [pay] = await _answers(meta_api, user, 4, 1)
    buttons = pay["message"]["attachment"]["payload"]["buttons"]
    assert [b["payload"] for b in buttons] == ["pay:transfer", "pay:cod"]
    post(user_postback(user, PAGE, "pay:transfer", "โอน/พร้อมเพย์"))
    _details, summary = await _answers(meta_api, user, 5, 2)
    template = summary["message"]["attachment"]["payload"]
    assert template["text"].endswith("ค่าส่ง / Shipping  ฿50\nยอดสุทธิ / Total  ฿830")
    assert [b["payload"] for b in template["buttons"]] == [
        "checkout:confirm",
        "checkout:edit",
        "checkout:cancel",
    ]
    assert stock() == 3  # reserved for the commenter all along
    post(user_postback(user, PAGE, "checkout:confirm", "ยืนยันสั่งซื้อ"))
    placed, qr = await _answers(meta_api, user, 7, 2)

    with db.read() as s:
        (row,) = orders.list_orders(s)
        order = orders.get_order(s, row.id)
    recipient = (order.ship_name, order.ship_phone, order.ship_address, order.ship_postcode)
    assert recipient == ("สมชาย ใจดี", "0812345678", ADDRESS, "10110")
    charged = (order.shipping_method, order.shipping_satang, order.total_satang)
    assert charged == ("kerry", 5_000, 83_000)
    assert order.channel == channel and stock() == 3
    assert order.number in placed["message"]["text"]
    image = qr["message"]["attachment"]
    assert image["type"] == "image"
    async with httpx.AsyncClient() as http:  # what Meta fetches from the relay
        picture = (await http.get(image["payload"]["url"])).content
    payload = promptpay_payload(PROMPTPAY_ID, satang_to_decimal(order.total_satang))
    with Image.open(io.BytesIO(picture)) as card:
        assert [c.text for c in zxingcpp.read_barcodes(card)] == [payload]
    assert all(problems(b) == [] for b in _to_shopper(meta_api, user))
