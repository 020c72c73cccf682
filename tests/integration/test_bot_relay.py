"""The sales bot end to end: a real relay process, the desktop's relay client with its bot, and
a widget shopper on a real WebSocket — from a product question to the PromptPay QR, the slip,
and silence in human mode."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from support.bot_shop import PROMPTPAY_ID, make_shop
from support.recorder import Recorder
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.bot.engine import ENABLED_KEY
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.promptpay import promptpay_payload
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import put_setting
from minichat_desktop.domain.thai import satang_to_decimal
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient
from relay import protocol as p


async def press(shopper: Shopper, uid: str, data: str, label: str = "") -> None:
    body = p.Postback(data, label or None)
    await shopper.ws.send(p.encode(p.WidgetSend(p.Message(uid, body))))


async def replies(shopper: Shopper, count: int) -> list[dict[str, Any]]:
    return [await shopper.next_message() for _ in range(count)]


def png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 60), (200, 230, 200)).save(buf, "PNG")
    return buf.getvalue()


async def test_shopper_buys_through_the_bot_and_gets_the_exact_qr(
    relay: Any, db: Database, desktop: tuple[RelayClient, Recorder], shopper: Shopper
) -> None:
    r, shop_id, _ = relay
    client, _rec = desktop
    ids = make_shop(db)
    with db.write() as s:
        put_setting(s, ENABLED_KEY, True)

    await shopper.say("w-1", "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")
    answer, card = await replies(shopper, 2)
    assert answer["kind"] == "text" and "ราคา ฿290 " in answer["text"]
    assert card["kind"] == "product_card"
    assert (card["card"]["title"], card["card"]["price_satang"]) == ("เสื้อยืดคอกลม", 29000)

    await press(shopper, "w-2", f"cart:add:{ids.tee_red_m}:2", "ใส่ตะกร้า")
    _added, cart = await replies(shopper, 2)
    assert cart["kind"] == "cart" and cart["total_satang"] == 58000
    assert [b["data"] for b in cart["buttons"]] == ["checkout:start", "cart:clear"]

    await press(shopper, "w-3", "checkout:start", "สั่งซื้อเลย")
    assert (await shopper.next_message())["text"] == "ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ"
    await shopper.say("w-4", "สมหญิง ใจดี")
    await shopper.next_message()
    await shopper.say("w-5", "0812345678")
    await shopper.next_message()
    await shopper.say("w-6", "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ 10110")
    shipping = await shopper.next_message()
    assert any(q["data"] == "ship:kerry" for q in shipping["quick_replies"])
    await press(shopper, "w-7", "ship:kerry")
    await shopper.next_message()
    await press(shopper, "w-8", "pay:transfer")
    _details, summary = await replies(shopper, 2)
    assert summary["total_satang"] == 58000 + 5000
    await press(shopper, "w-9", "checkout:confirm")
    placed, qr, banks, _ = await replies(shopper, 4)

    with db.read() as s:
        (only,) = orders.list_orders(s)
        order = orders.get_order(s, only.id)
    assert order.total_satang == 63000 and order.status == "pending"
    assert order.number in placed["text"]
    assert qr["kind"] == "image" and qr["mime"] == "image/png"
    async with httpx.AsyncClient() as http:
        picture = (await http.get(qr["url"])).content
    payload = promptpay_payload(PROMPTPAY_ID, satang_to_decimal(order.total_satang))
    with Image.open(io.BytesIO(picture)) as card:  # the Thai QR Payment card the shopper gets
        assert [r.text for r in zxingcpp.read_barcodes(card)] == [payload]
    assert "฿630 " in qr["caption"]
    assert "123-4-56789-0" in banks["text"]

    # The slip: the widget uploads the picture, then sends it as an image message.
    async with httpx.AsyncClient() as http:
        up = await http.post(
            f"{r.url}/widget/{shop_id}/upload",
            content=png(),
            headers={"Authorization": f"Bearer {shopper.session}", "Content-Type": "image/png"},
        )
    assert up.status_code == 201, up.text
    media = up.json()
    slip = p.Message("w-10", p.Image(media_id=media["media_id"], mime="image/png"))
    await shopper.ws.send(p.encode(p.WidgetSend(slip)))
    thanks = await shopper.next_message()
    assert order.number in thanks["text"]
    with db.read() as s:
        after = orders.get_order(s, order.id)
    assert after.slip_path.startswith("media/slips/")
    assert (db.path.parent / after.slip_path).read_bytes() == png()
    bot = client.bot
    assert bot is not None
    # one answer per shopper message (the count moves just after the last answer is queued,
    # which may be after the shopper already has it)
    await until(lambda: bot.answered == 10)


async def test_no_reply_in_human_mode_and_none_when_the_bot_is_switched_off(
    db: Database, desktop: tuple[RelayClient, Recorder], shopper: Shopper
) -> None:
    client, rec = desktop
    make_shop(db)
    await shopper.say("w-1", "มีแก้วมัคไหม?")
    await until(lambda: len(rec.stored) == 1)
    assert client.bot is not None
    await client.bot.idle()
    assert client.bot.answered == 0  # the owner has not switched the bot on

    with db.write() as s:
        put_setting(s, ENABLED_KEY, True)
        cid = rec.stored[0].conversation.id
        convs.take_over(s, cid, "เจ้าของร้าน")
    client.wake()
    assert (await shopper.next_message())["kind"] == "takeover"
    await shopper.say("w-2", "ราคาเท่าไหร่คะ?")
    await until(lambda: len(rec.stored) == 2)
    await client.bot.idle()
    assert client.bot.answered == 0
    with db.read() as s:
        outgoing = [m for m in convs.messages(s, cid) if m.direction == "out"]
    assert [m.kind for m in outgoing] == ["takeover"]
    with pytest.raises(TimeoutError):
        await shopper.next_message(timeout=0.5)

    # End session: passive — a question gets an answer.
    with db.write() as s:
        convs.end_session(s, cid, "เจ้าของร้าน")
    client.wake()
    assert (await shopper.next_message())["state"] == "ended"
    await shopper.say("w-3", "หมวกแก๊ปราคาเท่าไหร่คะ")
    reply = await shopper.next_message()
    assert "ราคา ฿199 " in json.dumps(reply, ensure_ascii=False)
