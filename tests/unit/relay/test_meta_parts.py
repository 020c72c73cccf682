"""Meta's parts of the relay on their own: the signature and handshake, webhook items → events,
and protocol messages → Send API bodies, each body checked by the stand-in Meta's rules."""

from __future__ import annotations

from typing import Any

import pytest
from support.fake_meta import (
    feed_comment,
    instagram_comment,
    problems,
    sign,
    user_message,
    webhook,
)

from relay import meta as mt
from relay import meta_send as ms
from relay import protocol as p

PAGE = "1122334455"
PSID = "2233445566778899"


def _body(message: dict[str, Any]) -> dict[str, Any]:
    return ms.request_body(f"messenger:{PSID}", {"messaging_type": "RESPONSE"}, message)


def _all_fine(message: p.Message, image_url: str | None = None) -> list[dict[str, Any]]:
    out = ms.to_meta_messages(message, image_url)
    for m in out:
        assert problems(_body(m)) == [], m
    return out


def test_signature_is_hex_hmac_of_the_raw_body_with_the_app_secret() -> None:
    body = b'{"object":"page","entry":[]}'
    good = sign("s3cret", body)
    assert good.startswith("sha256=") and mt.verify_signature("s3cret", body, good)
    assert not mt.verify_signature("other", body, good)
    assert not mt.verify_signature("s3cret", body + b" ", good)
    assert not mt.verify_signature("s3cret", body, good.removeprefix("sha256="))
    assert not mt.verify_signature("s3cret", body, None)


def test_handshake_needs_subscribe_the_token_and_a_challenge() -> None:
    q = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "12345"}
    assert mt.handshake(q, "tok") == "12345"
    assert mt.handshake({**q, "hub.verify_token": "tok2"}, "tok") is None
    assert mt.handshake({**q, "hub.mode": "other"}, "tok") is None
    assert mt.handshake({**q, "hub.challenge": ""}, "tok") is None


def test_items_become_events_and_ours_deleted_and_odd_ones_are_skipped() -> None:
    ours = {
        "sender": {"id": PAGE},
        "recipient": {"id": PSID},
        "timestamp": 1,
        "message": {"mid": "m_o", "is_echo": True, "metadata": "minichat:abc", "text": "x"},
    }
    theirs = {**ours, "message": {"mid": "m_e", "is_echo": True, "text": "from the phone"}}
    group = user_message("not-a-psid", PAGE, "m_g", text="x")
    deleted = user_message(PSID, PAGE, "m_d", is_deleted=True)
    both = user_message(
        PSID,
        PAGE,
        "m_b",
        text="ดูรูปนี้",
        attachments=[{"type": "image", "payload": {"url": "https://cdn/x.jpg"}}],
    )
    events = mt.parse_events(webhook("page", PAGE, ours, theirs, group, deleted, both))
    assert [(e.key, e.echo) for e in events] == [("m_e", True), ("m_b", False), ("m_b#0", False)]
    assert events[1].message is not None and events[1].message.body == p.Text("ดูรูปนี้")
    assert events[2].image_url == "https://cdn/x.jpg" and events[2].from_shopper
    assert not events[0].from_shopper
    assert mt.parse_events({"object": "whatsapp_business_account", "entry": []}) == []


def test_instagram_read_and_messenger_delivery() -> None:
    read = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": 5, "read": {"mid": "m"}}
    [ev] = mt.parse_events(webhook("instagram", PAGE, read))
    assert (ev.conversation, ev.read_mid, ev.key) == (f"instagram:{PSID}", "m", None)
    delivery = {**read, "delivery": {"mids": ["a", "b"], "watermark": 1_700_000_000_000}}
    del delivery["read"]
    [ev] = mt.parse_events(webhook("page", PAGE, delivery))
    assert ev.delivered_mids == ("a", "b") and ev.delivered_watermark == 1_700_000_000.0


def test_a_typed_text_button_comes_back_as_text() -> None:
    item = user_message(PSID, PAGE, "m_q", text="M", quick_reply={"payload": "minichat-text:ไซซ์ M"})
    [ev] = mt.parse_events(webhook("page", PAGE, item))
    assert ev.message is not None and ev.message.body == p.Text("ไซซ์ M")


def test_the_window_decides_messaging_type() -> None:
    hour = 3600.0
    assert ms.messaging(23 * hour, human=False) == {"messaging_type": "RESPONSE"}
    assert ms.messaging(25 * hour, human=False) is None
    assert ms.messaging(25 * hour, human=True) == {
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
    }
    assert ms.messaging(8 * 24 * hour, human=True) is None
    assert ms.messaging(None, human=True) is None


def _card(title: str, buttons: int = 3) -> p.Card:
    bs = tuple(p.Button(f"ปุ่ม {i}", p.ButtonAction.POSTBACK, data=f"B{i}") for i in range(buttons))
    return p.Card("sku", title, 12_345_00, "รายละเอียด " * 20, "https://x/i.jpg", None, False, bs)


def test_cards_fit_metas_limits_counted_in_characters() -> None:
    thai = "กุ้งแม่น้ำเผาซอสมะขามพิเศษ " * 5  # marks: more characters than graphemes
    out = _all_fine(p.Message("c", p.Carousel(tuple(_card(thai) for _ in range(12)))))
    elements = [el for m in out for el in m["attachment"]["payload"]["elements"]]
    assert len(out) == 2 and len(elements) == 12
    el = elements[0]
    assert len(el["title"]) <= 80 and el["title"].endswith("…")
    assert el["subtitle"].startswith("฿12,345") and len(el["subtitle"]) <= 80
    assert el["image_url"] == "https://x/i.jpg"


def test_buttons_quick_replies_cart_and_what_cannot_fit() -> None:
    link = p.Button("เว็บ", p.ButtonAction.URL, url="https://shop.example")
    four = tuple(p.Button(f"ข้อ {i}", p.ButtonAction.POSTBACK, data=f"{i}") for i in range(4))
    [as_quick] = _all_fine(p.Message("b", p.Buttons("เลือก", four)))
    assert [q["payload"] for q in as_quick["quick_replies"]] == ["0", "1", "2", "3"]
    with pytest.raises(ms.MetaRefused, match="at most 3 buttons"):
        ms.to_meta_messages(p.Message("b", p.Buttons("เลือก", (*four[:3], link))))
    item = p.CartItem("เสื้อ", 2, 25900, 51800, "M")
    cart = p.CartSummary((item,), 51800, 56800, 0, 5000, (link,))
    [template] = _all_fine(p.Message("k", cart))
    assert "฿568" in template["attachment"]["payload"]["text"]
    assert ms.to_meta_messages(p.Message("t", p.Takeover(p.TakeoverState.STARTED))) == []
    [image, caption] = _all_fine(p.Message("i", p.Image("m1", caption="ดูค่ะ")), "https://r/m1")
    assert image["attachment"]["payload"]["url"] == "https://r/m1" and caption["text"] == "ดูค่ะ"


def test_metas_answers_rate_limits_and_errors() -> None:
    assert ms.MetaResult(200, {"recipient_id": PSID, "message_id": "m_9"}).message_id == "m_9"
    assert ms.MetaResult(429, None).rate_limited
    for code in (4, 613):
        assert ms.MetaResult(400, {"error": {"code": code, "message": "slow"}}).rate_limited
    err = ms.MetaResult(400, {"error": {"code": 100, "message": "(#100) Invalid parameter"}})
    assert not err.ok and not err.rate_limited
    assert err.describe() == "code 100: (#100) Invalid parameter"
    assert not ms.MetaResult(200, {"error": {"code": 1, "message": "x"}}).ok


def test_the_new_frames_go_round_the_wire() -> None:
    creds = p.SetMetaCredentials("r1", "secret", "token", "verify")
    assert p.decode_desktop_frame(p.encode(creds)) == creds
    assert "secret" not in repr(creds)
    cleared = p.SetMetaCredentials("r2", None, None, None)
    assert p.decode_desktop_frame(p.encode(cleared)) == cleared
    with pytest.raises(p.ProtocolError, match="none of them"):
        p.decode_desktop_frame('{"type":"meta_credentials","ref":"r","app_secret":"s"}')
    human = p.Send(f"instagram:{PSID}", p.Message("h", p.Text("ค่ะ")), human=True)
    assert p.decode_desktop_frame(p.encode(human)) == human
    bot = p.Send(f"messenger:{PSID}", p.Message("b", p.Text("ค่ะ")))
    assert "human" not in p.encode(bot)  # version-1 desktops send the same bytes as before
    echo = p.PageEcho(7, f"messenger:{PSID}", p.Message("e", p.Text("จากมือถือ")))
    assert p.decode_to_desktop(p.encode(echo)) == echo
    for bad in ("messenger:abc", "instagram:", "facebook:123"):
        assert not p.is_conversation_id(bad)


def test_instagram_comments_and_live_comments_become_comments_from_instagram() -> None:
    """``comments`` and ``live_comments`` under ``object: instagram``: the media as the post,
    the username as the name, ``entry.time`` (seconds or milliseconds) as the time; the
    account's own comments, other fields and malformed values are skipped."""
    acct = "17841405555555555"
    body = instagram_comment(acct, "17865799348089039", "178414000001", "nok", "CF A1")
    body["entry"][0]["time"] = 1_765_000_000_123  # milliseconds
    live = instagram_comment(
        acct, "17865799348089040", "178414000002", "ploy", "F B2", field="live_comments"
    )
    live["entry"][0]["time"] = 1_765_000_000
    own = instagram_comment(acct, "17865799348089041", acct, "shop", "ขอบคุณค่ะ")
    mention = instagram_comment(acct, "17865799348089042", "178414000003", "x", "hi")
    mention["entry"][0]["changes"][0]["field"] = "mentions"
    broken = instagram_comment(acct, "not-an-id", "178414000004", "y", "CF A1")
    got = [mt.parse_comments(b) for b in (body, live, own, mention, broken)]
    assert got[2:] == [[], [], []]
    [first], [second] = got[:2]
    assert first == mt.FeedComment(
        "17865799348089039",
        "17900011122233344",
        "178414000001",
        "nok",
        "CF A1",
        1_765_000_000.123,
        p.CommentPlatform.INSTAGRAM,
        acct,
    )
    assert (second.comment_id, second.created, second.platform) == (
        "17865799348089040",
        1_765_000_000.0,
        p.CommentPlatform.INSTAGRAM,
    )
    page = mt.parse_comments(feed_comment("1122334455", "900100200_1", "2233", "สมชาย", "CF A1"))
    assert [(c.platform, c.account_id) for c in page] == [
        (p.CommentPlatform.FACEBOOK, "1122334455")
    ]


def test_a_comment_item_says_its_platform_and_an_older_relays_means_facebook() -> None:
    item = p.PageComment(7, "1786", "1790", "1784", "nok", "CF A1", "2026-12-06T10:15:00.000Z",
                         p.CommentPlatform.INSTAGRAM)  # fmt: skip
    obj = item.to_obj()
    assert obj["platform"] == "instagram"
    assert p.PageComment.from_obj(obj) == item
    del obj["platform"]
    assert p.PageComment.from_obj(obj).platform is p.CommentPlatform.FACEBOOK
    with pytest.raises(p.ProtocolError, match="platform"):
        p.PageComment.from_obj({**obj, "platform": "myspace"})
