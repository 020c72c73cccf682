"""Messenger and Instagram through the relay: the relay as a process, Meta's Graph API and CDN
as a local server speaking Meta's wire format (support.fake_meta), the desktop as a real
WebSocket client."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image
from support.fake_meta import FakeMeta, feed_comment, instagram_comment, user_message, webhook
from support.waiting import until

from relay import protocol as p
from relay.meta import message_id

PAGE = "1122334455"
PSID = "2233445566778899"
IGSID = "17841400000000001"
SECRET = "app-secret-0123456789"
VERIFY = "verify-me-42"
TOKEN = "page-token-1"
DAY = 24 * 3600
IG_ACCOUNT = "17841405555555555"


@pytest.fixture
def meta_shop(meta_api: FakeMeta, relay_factory: Any, clients: Any) -> Any:
    # (meta_api first: set up first, it is torn down last, after the relay that talks to it)
    r = relay_factory(env={"MINICHAT_META_API_BASE": meta_api.url})
    shop_id, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    res = clients.run_cli(
        r.data_dir,
        "shops",
        "meta",
        shop_id,
        env={
            "MINICHAT_META_APP_SECRET": SECRET,
            "MINICHAT_META_PAGE_TOKEN": TOKEN,
            "MINICHAT_META_VERIFY_TOKEN": VERIFY,
        },
    )
    assert res.returncode == 0, res.stderr
    r.start()
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    return SimpleNamespace(relay=r, shop=shop_id, shop_token=token, endpoint=endpoint)


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", exc.read()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_the_subscription_handshake_echoes_the_challenge_only_for_the_verify_token(
    meta_shop: Any,
) -> None:
    query = f"hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"
    ok = f"{meta_shop.endpoint}?{query}"
    assert _get(ok) == (200, "text/plain; charset=utf-8", b"1158201444")
    wrong = ok.replace(VERIFY, "not-it")
    assert _get(wrong)[0] == 403
    assert _get(ok.replace("subscribe", "unsubscribe"))[0] == 403
    assert _get(ok.replace(meta_shop.shop, "shop_000000000000"))[0] == 403


def test_signed_webhooks_of_both_objects_arrive_and_forged_ones_store_nothing(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        fb = webhook("page", PAGE, user_message(PSID, PAGE, "m_fb_1", text="สวัสดีค่ะ"))
        ig = webhook("instagram", PAGE, user_message(IGSID, PAGE, "m_ig_1", text="hello from IG"))
        forged = webhook("page", PAGE, user_message(PSID, PAGE, "m_fb_x", text="forged"))
        assert meta_api.post_webhook(meta_shop.endpoint, forged, None)[0] == 401
        assert meta_api.post_webhook(meta_shop.endpoint, forged, "wrong-secret")[0] == 403
        assert meta_api.post_webhook(meta_shop.endpoint, forged, None, "sha256=00")[0] == 403
        assert meta_api.post_webhook(meta_shop.endpoint, fb, SECRET) == (200, "EVENT_RECEIVED")
        assert meta_api.post_webhook(meta_shop.endpoint, ig, SECRET)[0] == 200
        first = await desk.recv_type(p.Inbound)
        second = await desk.recv_type(p.Inbound)
        assert (first.conversation, first.message.body) == (f"messenger:{PSID}", p.Text("สวัสดีค่ะ"))
        assert second.conversation == f"instagram:{IGSID}"
        assert second.message.body == p.Text("hello from IG")
        await desk.send(p.Read(first.conversation, first.message.id))  # the shop saw it
        seen = {"recipient": {"id": PSID}, "sender_action": "mark_seen"}
        await until(lambda: seen in meta_api.calls)
        # Meta redelivers when unsure: the same mid is dropped, whatever the body around it
        again = webhook("page", PAGE, user_message(PSID, PAGE, "m_fb_1", text="สวัสดีค่ะ"))
        assert meta_api.post_webhook(meta_shop.endpoint, again, SECRET)[0] == 200
        await desk.nothing(0.8)
        await desk.close()

    arun(go())
    assert "forged" not in meta_shop.relay.log()


def test_kinds_in_a_picture_downloaded_before_its_url_expires_and_echoes(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    photo = _jpeg()
    url = meta_api.host("photo1.jpg", photo)
    gone = f"{meta_api.url}/cdn/expired.jpg"  # its URL expired before the relay asked

    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        items = [
            user_message(
                PSID, PAGE, "m_1", attachments=[{"type": "image", "payload": {"url": url}}]
            ),
            user_message(
                PSID, PAGE, "m_2", attachments=[{"type": "video", "payload": {"url": url}}]
            ),
            user_message(PSID, PAGE, "m_3", text="ไซซ์ M", quick_reply={"payload": "SIZE_M"}),
            {
                "sender": {"id": PSID},
                "recipient": {"id": PAGE},
                "timestamp": 1_700_000_000_000,
                "postback": {"mid": "m_4", "title": "สั่งเลย", "payload": "BUY:sku-1"},
            },
            user_message(
                PSID, PAGE, "m_5", attachments=[{"type": "image", "payload": {"url": gone}}]
            ),
        ]
        echo = {
            "sender": {"id": PAGE},
            "recipient": {"id": PSID},
            "timestamp": 1_700_000_000_000,
            "message": {
                "mid": "m_6",
                "is_echo": True,
                "app_id": 263902037430900,
                "text": "ส่งแล้วค่ะ",
            },
        }
        body = webhook("page", PAGE, *items, echo)
        assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
        got = [await desk.recv_type(p.Inbound) for _ in range(5)]
        image = got[0].message.body
        assert isinstance(image, p.Image) and image.mime == "image/jpeg" and image.width == 40
        assert _get(image.url)[2] == photo  # the relay's own copy
        assert ("photo1.jpg", 200) in meta_api.fetched and "photo1.jpg" not in meta_api.files
        assert isinstance(got[1].message.body, p.Text)
        assert "วิดีโอ" in got[1].message.body.text and "a video" in got[1].message.body.text
        assert got[2].message.body == p.Postback("SIZE_M", "ไซซ์ M")
        assert got[3].message.body == p.Postback("BUY:sku-1", "สั่งเลย")
        assert isinstance(got[4].message.body, p.Text) and "could not be downloaded" in str(
            got[4].message.body
        )
        shown = await desk.recv_type(p.PageEcho)
        assert shown.conversation == f"messenger:{PSID}"
        assert shown.message.body == p.Text("ส่งแล้วค่ะ")
        await desk.close()

    arun(go())
    assert meta_api.delivered() == []  # an echo is never answered


def _card(i: int) -> p.Card:
    title = f"เสื้อยืดคอกลมผ้าฝ้ายแท้ 100% สีพาสเทล รุ่นพิเศษ ลายที่ {i} " * 3
    buy = p.Button("ใส่ตะกร้าเลยตอนนี้เลยค่ะ", p.ButtonAction.POSTBACK, data=f"ADD:{i}")
    link = p.Button("ดูรายละเอียด", p.ButtonAction.URL, url="https://shop.example/p")
    return p.Card(
        f"sku-{i}", title.strip(), 25900, "ผ้านุ่ม ใส่สบาย " * 10, None, 29900, True, (buy, link)
    )


async def _open_window(meta_shop: Any, meta_api: FakeMeta, clients: Any, ago: float) -> Any:
    desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
    body = webhook("page", PAGE, user_message(PSID, PAGE, f"m_open_{ago}", ago=ago, text="hi"))
    assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
    await desk.recv_type(p.Inbound)
    return desk


def test_every_kind_goes_out_in_metas_shape_and_limits(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    conv = f"messenger:{PSID}"

    async def go() -> None:
        desk = await _open_window(meta_shop, meta_api, clients, ago=60)
        upload = urllib.request.Request(
            f"{meta_shop.relay.url}/desktop/media",
            data=_jpeg(),
            headers={"Authorization": f"Bearer {meta_shop.shop_token}"},
            method="POST",
        )
        with urllib.request.urlopen(upload, timeout=10) as resp:
            media_id = json.loads(resp.read())["media_id"]
        quick = tuple(
            p.Button(f"ตัวเลือกที่ {i}", p.ButtonAction.POSTBACK, data=f"Q{i}") for i in range(13)
        )
        sends = [
            p.Message("t1", p.Text("ก" * 4500), quick),
            p.Message("i1", p.Image(media_id, caption="รูปจริงค่ะ")),
            p.Message("c1", p.Carousel(tuple(_card(i) for i in range(12)), "แนะนำค่ะ")),
            p.Message(
                "b1",
                p.Buttons(
                    "เลือกการชำระเงิน",
                    tuple(
                        p.Button(x, p.ButtonAction.POSTBACK, data=x) for x in ("QR", "COD", "โอน")
                    ),
                ),
            ),
            p.Message(
                "b2",
                p.Buttons(
                    "ขนาด?", tuple(p.Button(x, p.ButtonAction.MESSAGE, text=x) for x in "SMLX")
                ),
            ),
        ]
        for m in sends:
            await desk.send(p.Send(conv, m))
            assert (await desk.recv_type(p.Accepted)).id == m.id
        await desk.send(p.Typing(conv, True))
        receipts = [f for f in desk.skipped if isinstance(f, p.Receipt)]
        while sum(len(r.ids) for r in receipts) < len(sends):
            receipts.append(await desk.recv_type(p.Receipt, timeout=10))
        assert all(r.status is p.ReceiptStatus.SENT for r in receipts), receipts
        assert [i for r in receipts for i in r.ids] == [m.id for m in sends]
        await until(lambda: any(b.get("sender_action") == "typing_on" for b in meta_api.calls))
        await desk.close()

    arun(go())
    out = [b for b in meta_api.delivered() if "message" in b]
    assert all(b["messaging_type"] == "RESPONSE" and b["recipient"] == {"id": PSID} for b in out)
    texts = [b["message"]["text"] for b in out[:3]]
    assert "".join(texts) == "ก" * 4500 and len(out[2]["message"]["quick_replies"]) == 13
    assert out[3]["message"]["attachment"]["type"] == "image"
    assert out[4]["message"]["text"] == "รูปจริงค่ะ"
    assert out[5]["message"]["text"] == "แนะนำค่ะ"
    first, rest = (b["message"]["attachment"]["payload"]["elements"] for b in out[6:8])
    assert (len(first), len(rest)) == (10, 2)
    assert first[0]["title"].endswith("…") and len(first[0]["title"]) <= 80
    assert first[0]["buttons"][0] == {
        "type": "postback",
        "title": first[0]["buttons"][0]["title"],
        "payload": "ADD:0",
    }
    assert out[8]["message"]["attachment"]["payload"]["template_type"] == "button"
    assert [q["payload"] for q in out[9]["message"]["quick_replies"]] == [
        f"minichat-text:{x}" for x in "SMLX"
    ]
    assert all(b["message"]["metadata"].startswith("minichat:") for b in out)


def test_the_24_hour_window_bot_refused_human_agent_after_a_day_nobody_after_a_week(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    conv = f"messenger:{PSID}"

    async def go() -> None:
        # nobody wrote: nothing may be sent
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        await desk.send(p.Send(conv, clients.text("n1", "ลองส่ง"), human=True))
        err = await desk.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.OUTSIDE_WINDOW, "n1")
        await desk.close()
        desk = await _open_window(meta_shop, meta_api, clients, ago=DAY + 3600)
        await desk.send(p.Send(conv, clients.text("bot1", "โปรโมชั่น!")))
        err = await desk.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.OUTSIDE_WINDOW, "bot1")
        assert "24" in err.message and "only a person" in err.message
        await desk.send(p.Send(conv, clients.text("h1", "ขอโทษที่ตอบช้าค่ะ"), human=True))
        assert (await desk.recv_type(p.Accepted)).id == "h1"
        receipt = await desk.recv_type(p.Receipt, timeout=10)
        assert (receipt.status, receipt.ids) == (p.ReceiptStatus.SENT, ("h1",))
        await desk.close()

    arun(go())
    [sent] = [b for b in meta_api.delivered() if "message" in b]
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")

    async def week() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        other = "messenger:99887766"
        body = webhook("page", PAGE, user_message("99887766", PAGE, "m_old", ago=8 * DAY, text="x"))
        assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
        await desk.recv_type(p.Inbound)
        await desk.send(p.Send(other, clients.text("h2", "ยังอยู่ไหมคะ"), human=True))
        err = await desk.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.OUTSIDE_WINDOW, "h2") and "7" in err.message
        await desk.close()

    arun(week())


def test_an_app_requiring_the_app_secret_gets_its_proof_on_every_call(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """ "Require App Secret" switched on in the Meta app: every Graph API call must carry the
    ``appsecret_proof`` of its token (else Meta refuses with error 100). A reply, the typing
    indicator and the shopper's profile still go through, each with the proof."""
    meta_api.app_secret = SECRET
    meta_api.profiles[PSID] = {"first_name": "สมหญิง", "last_name": "ใจดี"}
    conv = f"messenger:{PSID}"

    async def go() -> None:
        desk = await _open_window(meta_shop, meta_api, clients, ago=60)
        profile = await desk.recv_type(p.Profile, timeout=10)  # fetched after that message
        assert (profile.conversation, profile.name) == (conv, "สมหญิง ใจดี")
        await desk.send(p.Typing(conv, True))
        await desk.send(p.Send(conv, clients.text("r1", "มีค่ะ 🙂")))
        assert (await desk.recv_type(p.Accepted)).id == "r1"
        receipt = await desk.recv_type(p.Receipt, timeout=10)
        assert (receipt.status, receipt.ids) == (p.ReceiptStatus.SENT, ("r1",))
        await until(lambda: any(b.get("sender_action") == "typing_on" for b in meta_api.calls))
        await desk.close()

    arun(go())
    [sent] = [b for b in meta_api.delivered() if "message" in b]
    assert sent["message"]["text"] == "มีค่ะ 🙂"
    assert len(meta_api.profile_calls) == 1


def test_metas_errors_reach_the_desktop_and_rate_limits_are_waited_out(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    from support.fake_meta import meta_error

    conv = f"instagram:{IGSID}"
    meta_api.answers = [
        (400, meta_error(613, "Calls to this api have exceeded the rate limit.")),
        (400, meta_error(100, "(#100) No matching user found", 2018001)),
    ]

    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        body = webhook("instagram", PAGE, user_message(IGSID, PAGE, "m_ig_2", text="ราคาเท่าไหร่"))
        assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
        await desk.recv_type(p.Inbound)
        await desk.send(p.Send(conv, clients.text("r1", "259 บาทค่ะ")))
        failed = await desk.recv_type(p.Receipt, timeout=10)
        # the rate limit was waited out, then Meta's refusal came back with its code and words
        assert (failed.status, failed.ids) == (p.ReceiptStatus.FAILED, ("r1",))
        assert "code 100" in failed.reason and "No matching user found" in failed.reason
        await desk.send(p.Send(conv, clients.text("r2", "ส่งใหม่ค่ะ")))
        ok = await desk.recv_type(p.Receipt, timeout=10)
        assert (ok.status, ok.ids) == (p.ReceiptStatus.SENT, ("r2",))
        # Instagram echoes what the relay sent (here without our metadata): not shown again
        echo = {
            "sender": {"id": PAGE},
            "recipient": {"id": IGSID},
            "timestamp": 3,
            "message": {"mid": "m_1", "is_echo": True, "text": "ส่งใหม่ค่ะ"},
        }
        assert (
            meta_api.post_webhook(meta_shop.endpoint, webhook("instagram", PAGE, echo), SECRET)[0]
            == 200
        )
        # Meta's delivery and read receipts for what went out
        mid = "m_1"
        deliver = {
            "sender": {"id": IGSID},
            "recipient": {"id": PAGE},
            "timestamp": 1,
            "delivery": {"mids": [mid]},
        }
        read = {
            "sender": {"id": IGSID},
            "recipient": {"id": PAGE},
            "timestamp": 2,
            "read": {"mid": mid},
        }
        for item in (deliver, read):
            assert (
                meta_api.post_webhook(meta_shop.endpoint, webhook("instagram", PAGE, item), SECRET)[
                    0
                ]
                == 200
            )
        got = [await desk.recv_type(p.Receipt) for _ in range(2)]
        assert not [f for f in desk.skipped if isinstance(f, p.PageEcho)]
        assert [(r.status, r.ids) for r in got] == [
            (p.ReceiptStatus.DELIVERED, ("r2",)),
            (p.ReceiptStatus.READ, ("r2",)),
        ]
        await desk.close()

    arun(go())
    assert len([c for c in meta_api.calls if "message" in c]) == 3  # r1 twice (613, 100), r2
    assert "meta says wait (code 613" in meta_shop.relay.log()


def test_credentials_from_the_desktop_are_encrypted_at_rest(
    meta_api: FakeMeta, relay_factory: Any, clients: Any, arun: Any
) -> None:
    r = relay_factory(env={"MINICHAT_META_API_BASE": meta_api.url})
    shop_id, token = clients.add_shop(r.data_dir, "ร้านใหม่")
    r.start()
    endpoint = f"{r.url}/meta/{shop_id}/webhook"
    body = webhook("page", PAGE, user_message(PSID, PAGE, "m_d_1", text="ทักค่ะ"))

    async def go() -> None:
        desk, _ = await clients.desktop(r, token)
        assert meta_api.post_webhook(endpoint, body, SECRET)[0] == 404  # not set up yet
        await desk.send(p.SetMetaCredentials("c1", SECRET, TOKEN, VERIFY))
        assert (await desk.recv_type(p.Ok)).ref == "c1"
        assert meta_api.post_webhook(endpoint, body, SECRET)[0] == 200
        assert (await desk.recv_type(p.Inbound)).conversation == f"messenger:{PSID}"
        await desk.close()

    arun(go())
    db = sqlite3.connect(r.data_dir / "relay.sqlite3")
    dump = "\n".join(db.iterdump())
    db.close()
    assert SECRET not in dump and TOKEN not in dump and VERIFY not in dump
    assert SECRET not in r.log() and TOKEN not in r.log()


def test_shops_meta_takes_the_credentials_from_the_environment_only(
    relay_factory: Any, clients: Any
) -> None:
    r = relay_factory()
    shop_id, _ = clients.add_shop(r.data_dir, "ร้าน")
    env = {
        "MINICHAT_META_APP_SECRET": SECRET,
        "MINICHAT_META_PAGE_TOKEN": TOKEN,
        "MINICHAT_META_VERIFY_TOKEN": VERIFY,
    }
    partial = {"MINICHAT_META_APP_SECRET": SECRET}
    res = clients.run_cli(r.data_dir, "shops", "meta", shop_id, env=partial)
    assert res.returncode == 2 and "$MINICHAT_META_PAGE_TOKEN" in res.stderr
    assert SECRET not in res.stderr + res.stdout
    res = clients.run_cli(r.data_dir, "shops", "meta", "shop_000000000000", env=env)
    assert res.returncode == 2 and "no such shop" in res.stderr
    res = clients.run_cli(r.data_dir, "shops", "meta", shop_id, env=env)
    assert (res.returncode, json.loads(res.stdout)["meta_configured"]) == (0, True)
    listed = clients.run_cli(r.data_dir, "shops", "list", "--json")
    assert json.loads(listed.stdout)["meta_configured"] is True
    res = clients.run_cli(r.data_dir, "shops", "meta", shop_id, "--clear")
    assert (res.returncode, json.loads(res.stdout)["meta_configured"]) == (0, False)


def test_a_webhook_stored_before_its_200_is_worked_after_a_crash(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    gate = threading.Event()
    meta_api.cdn_gate = gate  # the relay is mid-work (downloading) when it dies
    url = meta_api.host("slip.jpg", _jpeg())
    image = [{"type": "image", "payload": {"url": url}}]
    body = webhook("page", PAGE, user_message(PSID, PAGE, "m_crash", attachments=image))
    assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
    assert meta_api.cdn_asked.wait(10)
    meta_shop.relay.kill()
    gate.set()
    meta_shop.relay.start()

    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        got = await desk.recv_type(p.Inbound, timeout=10)
        # worked once after the restart: the picture, or (Meta's URL used up by the attempt
        # that died) a note saying it could not be fetched
        assert (got.conversation, got.message.id) == (f"messenger:{PSID}", message_id("m_crash"))
        await desk.nothing(0.5, ignore=(p.Receipt,))
        await desk.close()

    arun(go())


def test_a_slow_conversation_does_not_hold_up_the_others(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    slow, quick = "5550001", "5550002"
    gate = meta_api.hold[slow] = threading.Event()

    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        for user in (slow, quick):
            body = webhook("page", PAGE, user_message(user, PAGE, f"m_{user}", text="CF A1"))
            assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
            await desk.recv_type(p.Inbound)
        await desk.send(p.Send(f"messenger:{slow}", clients.text("a1", "จองแล้วค่ะ 1")))
        await desk.send(p.Send(f"messenger:{slow}", clients.text("a2", "จองแล้วค่ะ 2")))
        await desk.send(p.Send(f"messenger:{quick}", clients.text("b1", "จองแล้วค่ะ")))
        first = await desk.recv_type(p.Receipt, timeout=10)
        assert (first.status, first.ids) == (p.ReceiptStatus.SENT, ("b1",))
        gate.set()
        later = [await desk.recv_type(p.Receipt, timeout=10) for _ in range(2)]
        assert [r.ids for r in later] == [("a1",), ("a2",)]  # in order within a conversation
        await desk.close()

    arun(go())


def test_a_page_comment_reaches_the_desktop_once_and_gets_one_private_reply(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    cid = "900100200_3344556677"
    checkout = p.Button("ชำระเงิน", p.ButtonAction.POSTBACK, data=f"live:1:checkout:{PSID}")
    reply = p.Message("r1", p.Buttons("จองให้แล้วค่ะ A12 × 2", (checkout,)))

    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        body = feed_comment(PAGE, cid, PSID, "Somchai", "CF A12 2")
        assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET) == (200, "EVENT_RECEIVED")
        got = await desk.recv_type(p.PageComment)
        assert (got.comment_id, got.from_id, got.from_name, got.text) == (
            cid,
            PSID,
            "Somchai",
            "CF A12 2",
        )
        assert got.post_id == f"{PAGE}_900100200" and got.at.endswith("Z")
        await desk.send(p.Ack(got.seq))
        # redelivered, the page's own comment and an edit: nothing reaches the desktop
        assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
        own = feed_comment(PAGE, "900100200_1", PAGE, "Shop", "ขอบคุณค่ะ")
        edit = feed_comment(PAGE, cid, PSID, "Somchai", "CF A12 3", verb="edited")
        for other in (own, edit):
            assert meta_api.post_webhook(meta_shop.endpoint, other, SECRET)[0] == 200
        await desk.nothing(0.8)
        conv = f"comment:{cid}"
        await desk.send(p.Send(conv, reply))
        assert (await desk.recv_type(p.Accepted)).id == "r1"
        await desk.send(p.Send(conv, reply))  # offered again before the desktop saw "accepted"
        assert (await desk.recv_type(p.Accepted)).id == "r1"
        early = [f for f in desk.skipped if isinstance(f, p.Receipt)]
        sent = early[0] if early else await desk.recv_type(p.Receipt, timeout=10)
        assert (sent.ids, sent.status) == (("r1",), p.ReceiptStatus.SENT)
        # a picture is no private reply: refused at once, with the message id
        picture = p.Message("r2", p.Image(None, "https://example.com/a.jpg", "image/jpeg"))
        await desk.send(p.Send(conv, picture))
        refused = await desk.recv_type(p.Error)
        assert (refused.code, refused.ref) == (p.ErrorCode.BAD_FRAME, "r2")
        # a second reply to the same comment: Meta refuses it, the desktop is told
        await desk.send(p.Send(conv, p.Message("r3", p.Text("อีกครั้ง"))))
        assert (await desk.recv_type(p.Accepted)).id == "r3"
        failed = await desk.recv_type(p.Receipt, timeout=10)
        assert (failed.ids, failed.status) == (("r3",), p.ReceiptStatus.FAILED)
        assert "code 10" in (failed.reason or "")
        await desk.close()

    arun(go())
    out = [b for b in meta_api.delivered() if "comment_id" in b["recipient"]]
    assert len(out) == 1
    assert out[0] == {
        "recipient": {"comment_id": cid},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": "จองให้แล้วค่ะ A12 × 2",
                    "buttons": [
                        {
                            "type": "postback",
                            "title": "ชำระเงิน",
                            "payload": f"live:1:checkout:{PSID}",
                        }
                    ],
                },
            },
            "metadata": "minichat:r1",
        },
    }


def test_instagram_comments_arrive_signed_once_as_instagram_and_the_reply_goes_to_the_account(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """``object: instagram`` ``comments`` and ``live_comments`` become ``comment`` items
    saying Instagram (forged ones store nothing, redeliveries and the account's own comments
    are dropped), and the private reply goes to ``/{ig-account-id}/messages``."""
    cid, live_cid = "17865799348089039", "17865799348089040"

    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        body = instagram_comment(IG_ACCOUNT, cid, IGSID, "somchai.shop", "CF A12 2", ago=60)
        assert meta_api.post_webhook(meta_shop.endpoint, body, "wrong-secret")[0] == 403
        assert meta_api.post_webhook(meta_shop.endpoint, body, None)[0] == 401
        assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET) == (200, "EVENT_RECEIVED")
        got = await desk.recv_type(p.PageComment)
        sent_at = body["entry"][0]["time"]
        assert got.to_obj() == {
            "type": "comment",
            "seq": got.seq,
            "comment_id": cid,
            "post_id": "17900011122233344",
            "from_id": IGSID,
            "from_name": "somchai.shop",
            "text": "CF A12 2",
            "at": _iso(sent_at),
            "platform": "instagram",
        }
        await desk.send(p.Ack(got.seq))
        # redelivered, and the account answering under its own post: nothing comes
        own = instagram_comment(IG_ACCOUNT, "17865799348089041", IG_ACCOUNT, "shop", "ขอบคุณค่ะ")
        for other in (body, own):
            assert meta_api.post_webhook(meta_shop.endpoint, other, SECRET)[0] == 200
        await desk.nothing(0.8)
        during = instagram_comment(
            IG_ACCOUNT, live_cid, IGSID, "somchai.shop", "F B3", field="live_comments"
        )
        assert meta_api.post_webhook(meta_shop.endpoint, during, SECRET)[0] == 200
        live = await desk.recv_type(p.PageComment)
        assert (live.comment_id, live.platform, live.text) == (
            live_cid,
            p.CommentPlatform.INSTAGRAM,
            "F B3",
        )
        await desk.send(p.Ack(live.seq))
        await desk.send(p.Send(f"comment:{cid}", p.Message("ig-r1", p.Text("จองให้แล้วค่ะ"))))
        assert (await desk.recv_type(p.Accepted)).id == "ig-r1"
        sent = await desk.recv_type(p.Receipt, timeout=10)
        assert (sent.ids, sent.status) == (("ig-r1",), p.ReceiptStatus.SENT)
        await desk.close()

    arun(go())
    assert meta_api.nodes == [(IG_ACCOUNT, cid)]
    [reply] = meta_api.delivered()
    assert reply == {
        "recipient": {"comment_id": cid},
        "message": {"text": "จองให้แล้วค่ะ", "metadata": "minichat:ig-r1"},
    }


def _iso(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_private_reply_to_a_comment_over_7_days_old_is_refused_without_asking_meta(
    meta_shop: Any, meta_api: FakeMeta, clients: Any, arun: Any
) -> None:
    """Meta takes a private reply within 7 days of the comment: the relay refuses a later
    one at once (``outside_window``, Thai and English), for Facebook and Instagram alike, and
    still sends one to a comment 6 days old."""
    old_fb, old_ig, recent = "900100200_71", "17865799348089071", "900100200_72"

    async def go() -> None:
        desk, _ = await clients.desktop(meta_shop.relay, meta_shop.shop_token)
        bodies = [
            feed_comment(PAGE, old_fb, PSID, "Somchai", "CF A12", ago=7 * DAY + 60),
            instagram_comment(IG_ACCOUNT, old_ig, IGSID, "somying", "CF A12", ago=8 * DAY),
            feed_comment(PAGE, recent, PSID, "Somchai", "CF A12", ago=6 * DAY),
        ]
        for body in bodies:
            assert meta_api.post_webhook(meta_shop.endpoint, body, SECRET)[0] == 200
        for _ in bodies:
            await desk.send(p.Ack((await desk.recv_type(p.PageComment)).seq))
        for n, cid in enumerate((old_fb, old_ig), 1):
            await desk.send(p.Send(f"comment:{cid}", p.Message(f"old-{n}", p.Text("จองแล้วค่ะ"))))
            refused = await desk.recv_type(p.Error)
            assert (refused.code, refused.ref) == (p.ErrorCode.OUTSIDE_WINDOW, f"old-{n}")
            assert refused.message.startswith("ความเห็นนี้เก่ากว่า 7 วันแล้ว")
            assert "over 7 days old" in refused.message
        await desk.send(p.Send(f"comment:{recent}", p.Message("new-1", p.Text("จองแล้วค่ะ"))))
        assert (await desk.recv_type(p.Accepted)).id == "new-1"
        sent = await desk.recv_type(p.Receipt, timeout=10)
        assert (sent.ids, sent.status) == (("new-1",), p.ReceiptStatus.SENT)
        await desk.close()

    arun(go())
    assert meta_api.nodes == [("me", recent)]  # Meta never heard of the old two
