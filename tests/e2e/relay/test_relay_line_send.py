"""Sending to LINE exactly once and by LINE's rules: the relay as a process, the stand-in LINE
server checking every body against LINE's schema and limits (issue 14, seen 2-4)."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image
from support import line_rules

from relay import protocol as p

SECRET = "channel-secret-0123456789abcdef"
TOKEN = "channel-token-XYZ"
USER = "U206d25c2ea6bd87c17655609a1c37cb8"
CONV = f"line:{USER}"
PUSH = "/v2/bot/message/push"
PUBLIC = "https://relay.example"


@pytest.fixture
def line_relay(relay_factory: Any, clients: Any) -> Any:
    """A relay whose LINE calls time out after 1 s, with an https public URL."""
    r = relay_factory("--public-url", PUBLIC, env={"MINICHAT_LINE_TIMEOUT": "1"})
    _, token = clients.add_shop(r.data_dir, "ร้าน LINE")
    r.start()
    return r, token


async def _desktop(clients: Any, relay: Any, token: str) -> Any:
    desk, _ = await clients.desktop(relay, token)
    await desk.send(p.SetLineCredentials("cfg", SECRET, TOKEN))
    assert await desk.recv_type(p.Ok) == p.Ok("cfg")
    return desk


async def _send(desk: Any, message: p.Message) -> None:
    await desk.send(p.Send(CONV, message))
    assert (await desk.recv_type(p.Accepted)).id == message.id


async def _receipts(desk: Any, ids: set[str], timeout: float = 20) -> dict[str, p.Receipt]:
    """The receipt of each id in ``ids`` (each exactly once: a second one fails the test)."""
    got: dict[str, p.Receipt] = {}
    early = [f for f in desk.skipped if isinstance(f, p.Receipt)]  # passed over by _send
    desk.skipped = [f for f in desk.skipped if not isinstance(f, p.Receipt)]
    while set(got) != ids:
        rec = early.pop(0) if early else await desk.recv_type(p.Receipt, timeout=timeout)
        for i in rec.ids:
            assert i not in got, f"second receipt for {i}"
            got[i] = rec
    return got


def _pushes(line_api: Any) -> list[dict[str, Any]]:
    return line_api.calls_to(PUSH)


def test_timed_out_push_is_resent_byte_for_byte_and_a_newer_message_gets_its_own_key(
    line_relay: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """LINE takes a push but answers after the relay gave up; a newer message arrives before
    the retry. The retry resends the identical body under its key (409: already accepted), the
    newer message goes in a request of its own: each delivered once, both receipts SENT."""
    relay, token = line_relay
    line_api.hold_pushes = 1

    async def go() -> None:
        desk = await _desktop(clients, relay, token)
        await _send(desk, clients.text("m-1", "ข้อความแรก"))
        line_api.wait_for(PUSH, 1)
        await _send(desk, clients.text("m-2", "ข้อความที่สอง"))
        got = await _receipts(desk, {"m-1", "m-2"})
        assert {i: r.status for i, r in got.items()} == {
            "m-1": p.ReceiptStatus.SENT,
            "m-2": p.ReceiptStatus.SENT,
        }
        pushes = _pushes(line_api)
        assert len(pushes) == 3
        first, retry, newer = pushes
        assert retry["retry_key"] == first["retry_key"]
        assert retry["raw"] == first["raw"]  # the identical request, byte for byte
        assert newer["retry_key"] != first["retry_key"]
        assert [m["text"] for m in newer["json"]["messages"]] == ["ข้อความที่สอง"]
        assert line_api.delivered_texts() == ["ข้อความแรก", "ข้อความที่สอง"]
        await desk.nothing(0.3, ignore=(p.LineQuota,))
        await desk.close()

    arun(go())
    line_api.release()
    assert "accepted as" in relay.log()  # LINE's x-line-accepted-request-id is logged


def test_request_stored_before_its_first_attempt_survives_a_restart(
    line_relay: Any, relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """The relay is killed while LINE holds its push; restarted, it resends the same bytes
    under the same key (LINE: 409) and the message is SENT, delivered once."""
    relay, token = line_relay
    line_api.hold_pushes = 1

    async def first() -> None:
        desk = await _desktop(clients, relay, token)
        await _send(desk, clients.text("k-1", "ก่อนดับ"))
        line_api.wait_for(PUSH, 1)
        await desk.close()

    arun(first())
    relay.kill()
    relay.start()

    async def second() -> None:
        desk, _ = await clients.desktop(relay, token)
        got = await _receipts(desk, {"k-1"})
        assert got["k-1"].status is p.ReceiptStatus.SENT
        await desk.close()

    arun(second())
    line_api.release()
    first_call, again = _pushes(line_api)
    assert (again["retry_key"], again["raw"]) == (first_call["retry_key"], first_call["raw"])
    assert line_api.delivered_texts() == ["ก่อนดับ"]


def test_emoji_text_of_5000_code_points_is_refused_alone_and_its_batch_mates_go(
    line_relay: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """A 5,000-code-point text with emoji is over 5,000 UTF-16 units, as LINE counts: the
    relay refuses it at once with its id (it was sent to LINE and failed the whole push), and
    the carousel, buttons and cart sent with it go. A text of exactly 5,000 units with emoji
    goes whole."""
    relay, token = line_relay
    text = ("ราคาพิเศษ 😀🍎 วันนี้เท่านั้น\n" * 300)[:5000]
    assert len(text) == 5000 and line_rules.utf16(text) > 5000
    fits = text[: len(text) - (line_rules.utf16(text) - 5000)]
    while line_rules.utf16(fits) > 5000 or fits[-1] in "😀🍎":
        fits = fits[:-1]
    button = p.Button("ใส่ตะกร้า", p.ButtonAction.POSTBACK, data="add=p-1")
    card = p.Card("p-1", "เสื้อยืด", 29000, None, None, None, True, (button,))
    cart = p.CartSummary((p.CartItem("เสื้อยืด", 2, 29000, 58000),), 58000, 58000, buttons=(button,))

    async def go() -> None:
        desk = await _desktop(clients, relay, token)
        await desk.send(p.Send(CONV, clients.text("e-1", text)))
        refused = await desk.recv_type(p.Error)
        assert (refused.code, refused.ref) == (p.ErrorCode.BAD_FRAME, "e-1")
        assert "too long (max 5000)" in refused.message
        await _send(desk, clients.text("e-0", fits))
        await _send(desk, p.Message("e-2", p.Carousel((card, card))))
        await _send(desk, p.Message("e-3", p.Buttons("เลือกเลย", (button,))))
        await _send(desk, p.Message("e-4", cart))
        got = await _receipts(desk, {"e-0", "e-2", "e-3", "e-4"})
        assert {r.status for r in got.values()} == {p.ReceiptStatus.SENT}
        await desk.close()

    arun(go())
    assert line_api.delivered_texts() == [fits]
    kinds = [m["type"] for _, m in line_api.delivered]
    assert kinds == ["text", "flex", "flex", "flex"]
    assert all(len(c["json"]["messages"]) <= 5 for c in _pushes(line_api))


def test_a_message_line_refuses_fails_alone_and_its_batch_mates_are_resent(
    line_relay: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """LINE answers 400 naming messages[1]: that message is FAILED with LINE's words in the
    reason; the others go again in a new request under a new key and are SENT."""
    relay, token = line_relay
    line_api.hold_pushes = 1  # hold the first so the next three wait and share one request
    line_api.refuse_text = "ห้ามส่ง"

    async def go() -> None:
        desk = await _desktop(clients, relay, token)
        await _send(desk, clients.text("r-0", "ก่อน"))
        line_api.wait_for(PUSH, 1)
        for mid, body in (("r-1", "หนึ่ง"), ("r-2", "ห้ามส่ง"), ("r-3", "สาม")):
            await _send(desk, clients.text(mid, body))
        got = await _receipts(desk, {"r-0", "r-1", "r-2", "r-3"})
        assert got["r-2"].status is p.ReceiptStatus.FAILED
        assert got["r-2"].reason == (
            "LINE ไม่รับข้อความนี้ / LINE refused this message:"
            " messages[1].text: The text has an invalid LINE emoji"
        )
        assert {got[i].status for i in ("r-0", "r-1", "r-3")} == {p.ReceiptStatus.SENT}
        await desk.close()

    arun(go())
    line_api.release()
    shared, again = _pushes(line_api)[2:]
    assert [m["text"] for m in shared["json"]["messages"]] == ["หนึ่ง", "ห้ามส่ง", "สาม"]
    assert [m["text"] for m in again["json"]["messages"]] == ["หนึ่ง", "สาม"]
    assert again["retry_key"] != shared["retry_key"]
    assert line_api.delivered_texts() == ["ก่อน", "หนึ่ง", "สาม"]
    log = relay.log()
    assert "messages[1].text: The text has an invalid LINE emoji" in log


def test_long_thai_labels_are_cut_on_a_grapheme_boundary(
    line_relay: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """LINE counts labels in graphemes: a 20-grapheme Thai label (27 code points) goes whole;
    a longer one is cut before a syllable with "…", within 20 graphemes."""
    relay, token = line_relay
    whole = "ดูรายละเอียดสินค้าเพิ่มเติม"
    longer = "ดูรายละเอียดสินค้าเพิ่มเติมทั้งหมด"
    buttons = (
        p.Button(whole, p.ButtonAction.POSTBACK, data="more=1"),
        p.Button(longer, p.ButtonAction.MESSAGE, text=longer),
    )

    async def go() -> None:
        desk = await _desktop(clients, relay, token)
        await _send(desk, p.Message("l-1", p.Buttons("สนใจสินค้านี้ไหมคะ", buttons)))
        got = await _receipts(desk, {"l-1"})
        assert got["l-1"].status is p.ReceiptStatus.SENT
        await desk.close()

    arun(go())
    (flex,) = _pushes(line_api)[0]["json"]["messages"]
    actions = [b["action"] for b in flex["contents"]["footer"]["contents"]]
    assert [a["label"] for a in actions] == [whole, "ดูรายละเอียดสินค้าเพิ่ม…"]
    assert actions[0]["displayText"] == whole
    assert actions[1]["text"] == longer


def test_pictures_without_an_https_public_url_are_refused_with_the_reason(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """LINE fetches pictures over https only: with no https --public-url the picture fails at
    once, the reason in Thai and English; nothing is sent to LINE."""
    r = relay_factory()
    _, token = clients.add_shop(r.data_dir, "ร้านไม่มี https")
    r.start()
    media = _upload(r.url, token, _picture("JPEG"))

    async def go() -> None:
        desk = await _desktop(clients, r, token)
        await _send(desk, p.Message("i-1", p.Image(media["media_id"])))
        got = await _receipts(desk, {"i-1"})
        assert got["i-1"].status is p.ReceiptStatus.FAILED
        assert got["i-1"].reason is not None
        assert got["i-1"].reason.startswith("ส่งรูปทาง LINE ไม่ได้: LINE รับรูปจากที่อยู่ https")
        assert "set --public-url https://" in got["i-1"].reason
        await desk.close()

    arun(go())
    assert _pushes(line_api) == []


def test_pictures_go_as_jpeg_or_png_with_a_separate_small_preview(
    line_relay: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """A JPEG goes byte-identical under its own media URL; a WebP is converted and stored as
    new media; each has its own preview (JPEG or PNG, at most 1 MB, not the full picture)."""
    relay, token = line_relay
    jpeg, webp = _picture("JPEG", (320, 240)), _picture("WEBP", (200, 150))
    sent_jpeg = _upload(relay.url, token, jpeg)
    sent_webp = _upload(relay.url, token, webp)

    async def go() -> None:
        desk = await _desktop(clients, relay, token)
        await _send(desk, p.Message("g-1", p.Image(sent_jpeg["media_id"], caption="สลิป")))
        await _send(desk, p.Message("g-2", p.Image(sent_webp["media_id"])))
        got = await _receipts(desk, {"g-1", "g-2"})
        assert {r.status for r in got.values()} == {p.ReceiptStatus.SENT}
        await desk.close()

    arun(go())
    images = [m for _, m in line_api.delivered if m["type"] == "image"]
    assert len(images) == 2
    assert images[0]["originalContentUrl"] == f"{PUBLIC}/media/{sent_jpeg['media_id']}"
    assert _fetch(relay, images[0]["originalContentUrl"]) == jpeg
    converted = _fetch(relay, images[1]["originalContentUrl"])
    assert Image.open(io.BytesIO(converted)).format in ("JPEG", "PNG")
    assert images[1]["originalContentUrl"] != f"{PUBLIC}/media/{sent_webp['media_id']}"
    for img, full in zip(images, (jpeg, converted), strict=True):
        preview = _fetch(relay, img["previewImageUrl"])
        assert img["previewImageUrl"] != img["originalContentUrl"]
        assert len(preview) <= 1024 * 1024
        assert Image.open(io.BytesIO(preview)).format in ("JPEG", "PNG")
        assert hashlib.sha256(preview).digest() != hashlib.sha256(full).digest()
    assert line_api.delivered_texts() == ["สลิป"]


def _picture(fmt: str, size: tuple[int, int] = (640, 480)) -> bytes:
    img = Image.effect_noise(size, 60).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, fmt, quality=85)
    return buf.getvalue()


def _upload(base: str, token: str, data: bytes) -> dict[str, Any]:
    res = httpx.post(
        f"{base}/desktop/media",
        content=data,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert res.status_code == 201, res.text
    return dict(json.loads(res.text))


def _fetch(relay: Any, public_url: str) -> bytes:
    assert public_url.startswith(f"{PUBLIC}/media/")
    res = httpx.get(relay.url + public_url.removeprefix(PUBLIC), timeout=10)
    assert res.status_code == 200
    return res.content


def test_a_message_a_version_1_relay_had_pushed_is_not_sent_twice(
    line_relay: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """Upgrading a relay whose outbox holds a message it had pushed (LINE took it, the answer
    was lost): the database is migrated, the message goes alone under its old key, LINE says
    409, and it is SENT without a second delivery."""
    relay, token = line_relay

    async def configure() -> None:
        desk = await _desktop(clients, relay, token)
        await desk.close()

    arun(configure())
    relay.stop()
    db = sqlite3.connect(relay.data_dir / "relay.sqlite3")
    shop_id = db.execute("SELECT id FROM shops").fetchone()[0]
    db.execute("DROP TABLE line_batches")
    db.execute("ALTER TABLE line_outbox DROP COLUMN batch_key")
    db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    old_key = str(uuid.uuid4())
    message = p.encode_obj(p.Message("v1-1", p.Text("จากรุ่นเก่า")).to_obj())
    db.execute(
        "INSERT INTO line_outbox(shop_id, conversation, msg_id, message, retry_key, attempts)"
        " VALUES(?,?,?,?,?,1)",
        (shop_id, CONV, "v1-1", message, old_key),
    )
    db.commit()
    db.close()
    line_api.accepted_retry_keys[old_key] = ("req-v1", [{"id": "1", "quoteToken": "q"}])
    relay.start()

    async def go() -> None:
        desk, _ = await clients.desktop(relay, token)
        got = await _receipts(desk, {"v1-1"})
        assert got["v1-1"].status is p.ReceiptStatus.SENT
        await desk.close()

    arun(go())
    (push,) = _pushes(line_api)
    assert push["retry_key"] == old_key
    assert line_api.delivered == []
    assert "accepted as req-v1" in relay.log()


def test_a_refusal_naming_no_message_of_the_request_fails_it_whole_with_lines_words(
    line_relay: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """LINE answers 400 whose details name no message of the request (or 403): the request's
    messages fail with LINE's status, message and details, and are not resent in a loop."""
    relay, token = line_relay
    odd = {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "must be a valid user ID", "property": "messages[7].to"}],
    }
    line_api.push_status += [(400, odd), (403, {"message": "Not authorized to use this API"})]

    async def go() -> None:
        desk = await _desktop(clients, relay, token)
        await _send(desk, clients.text("w-1", "หนึ่ง"))
        first = await _receipts(desk, {"w-1"})
        await _send(desk, clients.text("w-2", "สอง"))
        second = await _receipts(desk, {"w-2"})
        assert (first["w-1"].status, first["w-1"].reason) == (
            p.ReceiptStatus.FAILED,
            "LINE ไม่รับข้อความ / LINE refused the message (http 400: The request body has 1"
            " error(s) [messages[7].to: must be a valid user ID])",
        )
        assert (second["w-2"].status, second["w-2"].reason) == (
            p.ReceiptStatus.FAILED,
            "LINE ไม่รับข้อความ / LINE refused the message (http 403: Not authorized to use this API)",
        )
        await desk.close()

    arun(go())
    assert len(_pushes(line_api)) == 2
    assert line_api.delivered == []


def _webhook(clients: Any, relay: Any, shop_id: str, event_id: str, reply_token: str) -> None:
    body = json.dumps(
        {
            "destination": "U0",
            "events": [
                {
                    "type": "message",
                    "mode": "active",
                    "timestamp": 1_800_000_000_000,
                    "source": {"type": "user", "userId": USER},
                    "webhookEventId": event_id,
                    "deliveryContext": {"isRedelivery": False},
                    "replyToken": reply_token,
                    "message": {"id": event_id[3:], "type": "text", "text": "ถามราคา"},
                }
            ],
        }
    ).encode()
    res = httpx.post(
        f"{relay.url}/line/{shop_id}/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Line-Signature": clients.sign(SECRET, body),
        },
        timeout=10,
    )
    assert res.status_code == 200


def test_reply_token_path_refused_message_fails_alone_and_a_failed_reply_is_pushed(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """A reply LINE refuses for one message fails that message (no push); a reply that fails
    with 500 is pushed under a retry key instead, and delivered once."""
    relay = relay_factory("--public-url", PUBLIC)
    shop_id, token = clients.add_shop(relay.data_dir, "ร้านตอบกลับ")
    relay.start()
    line_api.refuse_text = "ห้ามส่ง"

    async def go() -> None:
        desk = await _desktop(clients, relay, token)
        _webhook(clients, relay, shop_id, "ev-9101", "reply-1")
        await desk.send(p.Ack((await desk.recv_type(p.Inbound)).seq))
        await _send(desk, clients.text("t-1", "ห้ามส่ง"))
        refused = await _receipts(desk, {"t-1"})
        assert refused["t-1"].status is p.ReceiptStatus.FAILED
        assert refused["t-1"].reason is not None
        assert refused["t-1"].reason.endswith(
            "messages[0].text: The text has an invalid LINE emoji"
        )

        line_api.reply_status.append((500, {"message": "An error occurred in the server"}))
        _webhook(clients, relay, shop_id, "ev-9102", "reply-2")
        await desk.send(p.Ack((await desk.recv_type(p.Inbound)).seq))
        await _send(desk, clients.text("t-2", "ตอบแล้วค่ะ"))
        sent = await _receipts(desk, {"t-2"})
        assert sent["t-2"].status is p.ReceiptStatus.SENT
        await desk.close()

    arun(go())
    replies = line_api.calls_to("/v2/bot/message/reply")
    assert [c["json"]["replyToken"] for c in replies] == ["reply-1", "reply-2"]
    assert all("X-Line-Retry-Key" not in c["headers"] for c in replies)
    (push,) = _pushes(line_api)
    assert push["json"]["messages"] == [{"type": "text", "text": "ตอบแล้วค่ะ"}]
    assert line_api.delivered == [(USER, {"type": "text", "text": "ตอบแล้วค่ะ"})]
