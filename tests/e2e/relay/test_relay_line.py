"""LINE through signed webhook POSTs and a local server that speaks LINE's API."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from support.relay_proc import line_env

from relay import protocol as p

SECRET = "channel-secret-0123456789abcdef"
TOKEN = "channel-token-XYZ"
USER = "U206d25c2ea6bd87c17655609a1c37cb8"
FIXTURE = Path("/work/shared/fixtures/line-webhook-sample.json")


@pytest.fixture
def line_shop(relay_factory: Any, clients: Any) -> Any:
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้าน LINE")
    res = clients.run_cli(r.data_dir, "shops", "line", shop_id, env=line_env(SECRET, TOKEN))
    assert res.returncode == 0, res.stderr
    r.start()

    class S:
        relay = r
        shop = shop_id
        shop_token = token
        hook = f"{r.url}/line/{shop_id}/webhook"

    return S


def event(
    kind: str, event_id: str, *, reply_token: str = "rt-1", ts: float | None = None, **extra: Any
) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int((ts if ts is not None else time.time()) * 1000),
        "source": {"type": "user", "userId": USER},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
        "replyToken": reply_token,
    }
    ev.update(extra)
    return ev


def signed_post(
    clients: Any,
    hook: str,
    events: list[dict[str, Any]] | bytes,
    secret: str | None = SECRET,
    signature: str | None = None,
) -> httpx.Response:
    body = (
        events
        if isinstance(events, bytes)
        else json.dumps({"destination": "U0", "events": events}).encode()
    )
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    elif secret is not None:
        headers["X-Line-Signature"] = clients.sign(secret, body)
    return httpx.post(hook, content=body, headers=headers, timeout=10)


def test_bad_signature_is_401_and_nothing_is_stored(
    line_shop: Any, clients: Any, arun: Any
) -> None:
    """Missing or wrong X-Line-Signature → 401; the verify call (no events) → 200."""
    ev = [
        event(
            "message", "ev-bad", message={"id": "1001", "type": "text", "text": "hello from line"}
        )
    ]
    assert signed_post(clients, line_shop.hook, ev, secret=None).status_code == 401
    assert signed_post(clients, line_shop.hook, ev, secret="wrong-secret").status_code == 401
    assert (
        signed_post(clients, line_shop.hook, ev, signature="not base64 at all").status_code == 401
    )
    assert signed_post(clients, line_shop.hook, []).status_code == 200
    unknown = f"{line_shop.relay.url}/line/shop_000000000000/webhook"
    assert signed_post(clients, unknown, ev).status_code == 404

    async def go() -> None:
        desk, welcome = await clients.desktop(line_shop.relay, line_shop.shop_token)
        assert welcome.pending == 0
        await desk.nothing(0.5)
        await desk.close()

    arun(go())


def test_line_text_reply_with_token_then_push_with_retry_key(
    line_shop: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """A LINE text reaches the desktop; the first answer uses the free reply token, the next
    one is pushed with an X-Line-Retry-Key that stays the same when the push is retried."""

    async def go() -> None:
        desk, _ = await clients.desktop(line_shop.relay, line_shop.shop_token)
        t0 = time.monotonic()
        res = signed_post(
            clients,
            line_shop.hook,
            [
                event(
                    "message",
                    "ev-1",
                    reply_token="reply-abc",
                    message={"id": "5001", "type": "text", "text": "สวัสดี hello from line"},
                ),
            ],
        )
        assert res.status_code == 200
        assert time.monotonic() - t0 < 1.0
        inbound = await desk.recv_type(p.Inbound)
        assert inbound.conversation == f"line:{USER}"
        assert inbound.message.id == "line-5001"
        assert inbound.message.body == p.Text("สวัสดี hello from line")
        await desk.send(p.Ack(inbound.seq))

        await desk.send(p.Typing(inbound.conversation, True))
        loading = line_api.wait_for("/v2/bot/chat/loading/start")
        assert loading[0]["json"] == {"chatId": USER, "loadingSeconds": 20}

        qr = (p.Button("ดูสินค้า", p.ButtonAction.POSTBACK, data="show=all"),)
        await desk.send(p.Send(inbound.conversation, clients.text("s-1", "ยินดีต้อนรับค่ะ", qr)))
        assert (await desk.recv_type(p.Accepted)).id == "s-1"
        replies = line_api.wait_for("/v2/bot/message/reply")
        assert replies[0]["auth"] == f"Bearer {TOKEN}"
        assert replies[0]["json"] == {
            "replyToken": "reply-abc",
            "messages": [
                {
                    "type": "text",
                    "text": "ยินดีต้อนรับค่ะ",
                    "quickReply": {
                        "items": [
                            {
                                "type": "action",
                                "action": {
                                    "type": "postback",
                                    "label": "ดูสินค้า",
                                    "data": "show=all",
                                    "displayText": "ดูสินค้า",
                                },
                            }
                        ]
                    },
                }
            ],
        }
        rec = await desk.recv_type(p.Receipt)
        assert (rec.status, rec.ids) == (p.ReceiptStatus.SENT, ("s-1",))

        # the reply token is used up: the next message is pushed; LINE fails once, then accepts
        line_api.push_status.append((500, {"message": "Internal error"}))
        card = p.Card(
            "p-1",
            "เสื้อยืดสีแดง",
            29000,
            "ผ้าฝ้าย 100%",
            "https://img.example/p1.jpg",
            35000,
            True,
            (p.Button("ใส่ตะกร้า", p.ButtonAction.POSTBACK, data="add=p-1"),),
        )
        await desk.send(p.Send(inbound.conversation, p.Message("s-2", p.Carousel((card, card)))))
        pushes = line_api.wait_for("/v2/bot/message/push", 2, timeout=15)
        assert pushes[0]["retry_key"] == pushes[1]["retry_key"]
        assert len(pushes[0]["retry_key"]) == 36
        assert pushes[1]["json"]["to"] == USER
        flex = pushes[1]["json"]["messages"][0]
        assert flex["type"] == "flex"
        assert flex["altText"] == "สินค้า 2 รายการ / 2 products"
        assert flex["contents"]["type"] == "carousel"
        bubble = flex["contents"]["contents"][0]
        assert bubble["hero"]["url"] == "https://img.example/p1.jpg"
        assert bubble["body"]["contents"][0]["text"] == "เสื้อยืดสีแดง"
        assert bubble["body"]["contents"][2]["contents"][0]["text"] == "฿290"
        assert bubble["footer"]["contents"][0]["action"] == {
            "type": "postback",
            "label": "ใส่ตะกร้า",
            "data": "add=p-1",
            "displayText": "ใส่ตะกร้า",
        }
        rec = await desk.recv_type(p.Receipt)
        assert (rec.status, rec.ids) == (p.ReceiptStatus.SENT, ("s-2",))
        # sending the same id again changes nothing
        await desk.send(p.Send(inbound.conversation, p.Message("s-2", p.Carousel((card,)))))
        await desk.recv_type(p.Accepted)
        await asyncio.sleep(0.5)
        assert len(line_api.calls_to("/v2/bot/message/push")) == 2
        await desk.close()

    arun(go())


def test_redelivered_events_are_dropped_and_kinds_are_mapped(
    line_shop: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """Same webhookEventId twice → one message; image fetched at once from the content API;
    sticker, location, postback, follow/unfollow mapped; group chats and unknown types ignored."""
    img = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(img, "JPEG")
    line_api.content["7003"] = img.getvalue()
    events = [
        event("follow", "ev-f", follow={"isUnblocked": False}),
        event("message", "ev-t", message={"id": "7001", "type": "text", "text": "ขอราคา"}),
        event(
            "message",
            "ev-s",
            message={
                "id": "7002",
                "type": "sticker",
                "packageId": "446",
                "stickerId": "1988",
                "stickerResourceType": "STATIC",
                "keywords": ["hi"],
            },
        ),
        event(
            "message",
            "ev-i",
            message={"id": "7003", "type": "image", "contentProvider": {"type": "line"}},
        ),
        event(
            "message",
            "ev-l",
            message={
                "id": "7004",
                "type": "location",
                "title": "ร้าน",
                "address": "กรุงเทพ",
                "latitude": 13.7563,
                "longitude": 100.5018,
            },
        ),
        event("postback", "ev-p", postback={"data": "buy=p-1", "params": {"date": "2026-11-24"}}),
        {
            **event("message", "ev-g", message={"id": "7005", "type": "text", "text": "group"}),
            "source": {"type": "group", "groupId": "Cabc", "userId": USER},
        },
        event("videoPlayComplete", "ev-v", videoPlayComplete={"trackingId": "t"}),
        event("unfollow", "ev-u"),
    ]
    assert signed_post(clients, line_shop.hook, events).status_code == 200
    # LINE redelivers the text event
    redelivered = dict(events[1], deliveryContext={"isRedelivery": True})
    assert signed_post(clients, line_shop.hook, [redelivered]).status_code == 200

    async def go() -> None:
        desk, _ = await clients.desktop(line_shop.relay, line_shop.shop_token)
        frames = [await desk.recv() for _ in range(7)]
        await desk.nothing(0.5)
        conv = f"line:{USER}"
        assert [type(f).__name__ for f in frames] == [
            "ConversationNotice",
            "Inbound",
            "Inbound",
            "Inbound",
            "Inbound",
            "Inbound",
            "ConversationNotice",
        ]
        assert frames[0].event is p.ConversationEvent.FOLLOW
        assert frames[6].event is p.ConversationEvent.UNFOLLOW
        assert all(f.conversation == conv for f in frames)
        assert frames[1].message.body == p.Text("ขอราคา")
        assert frames[2].message.body == p.Sticker("446", "1988", ("hi",))
        image = frames[3].message.body
        assert isinstance(image, p.Image)
        assert (image.mime, image.width, image.height, image.size) == (
            "image/jpeg",
            40,
            30,
            len(line_api.content["7003"]),
        )
        assert image.url == f"{line_shop.relay.url}/media/{image.media_id}"
        async with httpx.AsyncClient() as http:
            got = await http.get(image.url)
        assert got.content == line_api.content["7003"]
        assert frames[4].message.body == p.Location(13.7563, 100.5018, "ร้าน", "กรุงเทพ")
        assert frames[5].message.body == p.Postback("buy=p-1", None, (("date", "2026-11-24"),))
        assert line_api.calls_to("/v2/bot/message/7003/content")[0]["auth"] == f"Bearer {TOKEN}"
        await desk.close()

    arun(go())


def test_line_sdk_sample_body_is_taken_whole(line_shop: Any, clients: Any, arun: Any) -> None:
    """LINE's own SDK sample (28 events, one shared webhookEventId) → 200, one message."""
    body = FIXTURE.read_bytes()
    assert signed_post(clients, line_shop.hook, body).status_code == 200

    async def go() -> None:
        desk, _ = await clients.desktop(line_shop.relay, line_shop.shop_token)
        got = await desk.recv_type(p.Inbound)
        assert (got.conversation, got.message.id, got.message.body) == (
            "line:U206d25c2ea6bd87c17655609a1c37cb8",
            "line-325708",
            p.Text("Hello, world"),
        )
        await desk.nothing(0.5)
        await desk.close()

    arun(go())


def test_away_reply_credentials_from_desktop_and_quota(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """LINE credentials pushed by the desktop work; with the desktop away a LINE user gets the
    away message by reply; pushes are counted and the desktop is told at the quota."""
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้านไม่อยู่")
    r.start()
    hook = f"{r.url}/line/{shop_id}/webhook"
    line_api.quota_value = 1

    async def go() -> None:
        desk, welcome = await clients.desktop(r, token)
        assert welcome.line_configured is False
        await desk.send(p.SetLineCredentials("cfg-1", SECRET, TOKEN))
        assert await desk.recv_type(p.Ok) == p.Ok("cfg-1")
        await desk.send(p.GetLineQuota("q-1"))
        q = await desk.recv_type(p.LineQuota)
        assert (q.used, q.limit, q.exceeded, q.ref) == (0, 1, False, "q-1")
        await desk.close()

        assert (
            signed_post(
                clients,
                hook,
                [
                    event(
                        "message",
                        "ev-a1",
                        reply_token="rt-away",
                        message={"id": "8001", "type": "text", "text": "อยู่ไหม"},
                    ),
                ],
            ).status_code
            == 200
        )
        reply = line_api.wait_for("/v2/bot/message/reply")[0]
        assert reply["json"]["replyToken"] == "rt-away"
        assert reply["json"]["messages"][0]["text"].startswith("ตอนนี้ร้านไม่อยู่")
        assert "We're away right now" in reply["json"]["messages"][0]["text"]

        desk, welcome = await clients.desktop(r, token)
        assert welcome.line_configured is True
        inbound = await desk.recv_type(p.Inbound)
        assert inbound.message.body == p.Text("อยู่ไหม")
        await desk.send(p.Ack(inbound.seq))
        await desk.send(p.Send(inbound.conversation, clients.text("late-1", "ขอโทษที่ตอบช้าค่ะ")))
        rec = await desk.recv_type(p.Receipt)
        assert (rec.status, rec.ids) == (p.ReceiptStatus.SENT, ("late-1",))
        quota = await desk.recv_type(p.LineQuota)
        assert (quota.used, quota.limit, quota.exceeded) == (1, 1, True)
        assert line_api.calls_to("/v2/bot/message/push")[0]["json"]["messages"] == [
            {"type": "text", "text": "ขอโทษที่ตอบช้าค่ะ"}
        ]
        # LINE refuses for quota: the desktop is told, the message waits
        line_api.push_status.append((429, {"message": "You have reached your monthly limit."}))
        await desk.send(p.Send(inbound.conversation, clients.text("late-2", "ส่งไม่ได้")))
        await desk.recv_type(p.Accepted)
        line_api.wait_for("/v2/bot/message/push", 2)
        held = await desk.recv_type(p.LineQuota)
        assert (held.used, held.limit, held.exceeded) == (1, 1, True)
        await desk.nothing(0.3)
        await desk.close()

    arun(go())


def test_lost_line_image_and_takeover_notices(
    line_shop: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """An image LINE no longer has reaches the desktop as a short notice; a takeover notice
    without text sends nothing to LINE (and still gets its receipt), one with text is sent."""
    ev = [
        event(
            "message",
            "ev-gone",
            reply_token="rt-gone",
            message={"id": "9001", "type": "image", "contentProvider": {"type": "line"}},
        )
    ]
    assert signed_post(clients, line_shop.hook, ev).status_code == 200

    async def go() -> None:
        desk, _ = await clients.desktop(line_shop.relay, line_shop.shop_token)
        got = await desk.recv_type(p.Inbound, timeout=10)
        assert (got.message.id, got.message.body) == (
            "line-9001",
            p.Text("[รูปภาพจาก LINE ดาวน์โหลดไม่ได้ / LINE image could not be downloaded]"),
        )
        await desk.send(p.Ack(got.seq))
        conv = got.conversation
        await desk.send(p.Send(conv, p.Message("to-1", p.Takeover(p.TakeoverState.STARTED, "แอน"))))
        rec = await desk.recv_type(p.Receipt)
        assert (rec.status, rec.ids) == (p.ReceiptStatus.SENT, ("to-1",))
        assert line_api.calls_to("/v2/bot/message/reply") == []
        await desk.send(
            p.Send(
                conv, p.Message("to-2", p.Takeover(p.TakeoverState.STARTED, "แอน", "แอนมาดูแลแล้วค่ะ"))
            )
        )
        rec = await desk.recv_type(p.Receipt)
        assert (rec.status, rec.ids) == (p.ReceiptStatus.SENT, ("to-2",))
        reply = line_api.wait_for("/v2/bot/message/reply")[0]
        assert reply["json"] == {
            "replyToken": "rt-gone",
            "messages": [{"type": "text", "text": "แอนมาดูแลแล้วค่ะ"}],
        }
        await desk.close()

    arun(go())
