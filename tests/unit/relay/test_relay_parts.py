"""Sans-I/O parts of the relay: image checks, rate limiter, LINE signature and mapping, store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from relay import line as ln
from relay import protocol as p
from relay.images import ImageRejected, check_image, sniff
from relay.ratelimit import RateLimiter
from relay.storage import LineCredentials, Store, hash_token, now_iso

FIXTURE = Path("/work/shared/fixtures/line-webhook-sample.json")


def _img(fmt: str, size: tuple[int, int] = (30, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_real_images_pass_with_their_dimensions(fmt: str, mime: str) -> None:
    info = check_image(_img(fmt), 1_000_000)
    assert (info.mime, info.width, info.height) == (mime, 30, 20)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "image: empty"),
        (b"%PDF-1.7 pretending", "image: not a jpeg, png, webp or gif"),
        (b"\xff\xd8\xff" + b"\x00" * 50, "image: corrupt or unreadable"),
        (b"x" * 2000, "image: too large (2000 bytes, max 1000)"),
    ],
)
def test_bad_images_are_rejected_by_content(data: bytes, message: str) -> None:
    with pytest.raises(ImageRejected, match=f"^{message.replace('(', r'\(').replace(')', r'\)')}$"):
        check_image(data, 1000)


def test_png_named_jpeg_and_pixel_bombs_are_refused() -> None:
    png = _img("PNG")
    assert sniff(png) == "image/png"
    with pytest.raises(ImageRejected, match="too many pixels"):
        check_image(_img("PNG", (13_000, 1)), 10_000_000)


def test_rate_limiter_allows_burst_then_refills() -> None:
    now = [100.0]
    rl = RateLimiter(rate=10, burst=3, clock=lambda: now[0])
    assert [rl.allow("a") for _ in range(4)] == [True, True, True, False]
    assert rl.allow("b") is True  # keys are independent
    now[0] += 0.09  # 0.9 of a token: not yet
    assert rl.allow("a") is False
    now[0] += 0.02
    assert rl.allow("a") is True
    assert RateLimiter(0, 1).allow("x") is True


def test_line_signature_is_hmac_sha256_base64() -> None:
    body = FIXTURE.read_bytes()
    sig = ln.sign("secret", body)
    assert ln.verify_signature("secret", body, sig)
    assert not ln.verify_signature("secret", body + b" ", sig)
    assert not ln.verify_signature("other", body, sig)
    assert not ln.verify_signature("secret", body, None)
    assert not ln.verify_signature("secret", body, "ก")


def test_line_sdk_sample_maps_user_events_and_ignores_the_rest() -> None:
    events = ln.parse_events(json.loads(FIXTURE.read_text()))
    kinds = [
        (
            e.message.kind.value if e.message else None,
            e.follow.value if e.follow else None,
            e.image_message_id,
        )
        for e in events
    ]
    assert kinds == [
        ("text", None, None),  # user text
        ("location", None, None),
        ("sticker", None, None),
        (None, "follow", None),
        (None, "unfollow", None),
        ("postback", None, None),
        ("postback", None, None),
        ("postback", None, None),
        ("postback", None, None),
        (None, None, "354718705033693861"),  # LINE-hosted image: fetched from the content API
        ("text", None, None),  # the redelivery (same ids: dropped later by webhookEventId)
    ]
    assert all(e.conversation == "line:U206d25c2ea6bd87c17655609a1c37cb8" for e in events)


def test_line_flex_and_quick_replies() -> None:
    card = p.Card("p1", "เสื้อ", 29050, None, "http://not-https.example/x.jpg", None, False, ())
    msgs = ln.to_line_messages(
        p.Message("m", p.ProductCard(card), (p.Button("ใช่", p.ButtonAction.MESSAGE, text="ใช่"),))
    )
    assert len(msgs) == 1
    bubble = msgs[0]["contents"]["contents"][0]
    assert "hero" not in bubble  # LINE needs https images
    assert bubble["body"]["contents"][1]["contents"][0]["text"] == "฿290.50"
    assert bubble["body"]["contents"][2]["text"] == "สินค้าหมด / Out of stock"
    assert msgs[0]["quickReply"] == {
        "items": [{"type": "action", "action": {"type": "message", "label": "ใช่", "text": "ใช่"}}]
    }
    assert ln.to_line_messages(p.Message("t", p.Takeover(p.TakeoverState.ENDED))) == []
    order = ln.to_line_messages(p.Message("o", p.OrderStatus("MC-9", p.OrderState.PAID, 100000)))
    assert order == [{"type": "text", "text": "คำสั่งซื้อ MC-9: paid\nยอด ฿1,000"}]


def test_store_keeps_tokens_hashed_and_line_secrets_encrypted(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shop_id, token = store.add_shop("ร้าน")
    store.set_line(shop_id, LineCredentials("the-secret", "the-token"))
    store.commit()
    raw = (tmp_path / "relay.sqlite3").read_bytes() + (tmp_path / "relay.sqlite3-wal").read_bytes()
    for secret in (token.encode(), b"the-secret", b"the-token"):
        assert secret not in raw
    assert hash_token(token) in raw
    assert store.shop_by_token(token).id == shop_id  # type: ignore[union-attr]
    assert store.shop_by_token(token + "x") is None
    assert store.line_credentials(shop_id) == LineCredentials("the-secret", "the-token")
    assert oct((tmp_path / "relay.key").stat().st_mode & 0o777) == "0o600"
    store.close()


def test_store_stream_resumes_after_reopen(tmp_path: Path) -> None:
    """Seqs survive a reopen and are never reused, even after everything was acked."""
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    conv = "widget:AAAAAAAAAAAAAAAA"
    for i in range(3):
        msg = p.Message(f"m{i}", p.Text("x"))
        store.add_history(shop_id, conv, p.Origin.SHOPPER, msg)
        store.push_stream(shop_id, lambda seq, msg=msg: p.Inbound(seq, conv, msg), conv, msg.id)
    store.commit()
    assert store.ack_stream(shop_id, 3) == (3, {conv: ["m0", "m1", "m2"]})
    store.commit()
    store.close()
    again = Store(tmp_path)
    msg = p.Message("m3", p.Text("y"))
    assert again.add_history(shop_id, conv, p.Origin.SHOPPER, msg) == (4, True)
    assert again.add_history(shop_id, conv, p.Origin.SHOPPER, msg) == (4, False)
    assert again.push_stream(shop_id, lambda seq: p.Inbound(seq, conv, msg)) == 4
    again.commit()
    assert [s for s, _ in again.stream_after(shop_id, 0)] == [4]
    assert now_iso().endswith("Z") and len(now_iso()) == 24
    again.close()


def test_purge_forgets_only_old_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    conv = "widget:AAAAAAAAAAAAAAAA"
    for i in range(5):
        store.add_history(shop_id, conv, p.Origin.SHOPPER, p.Message(f"m{i}", p.Text("x")))
    store.commit()
    store.db.execute(
        "UPDATE history SET created_at=created_at-100*86400 WHERE msg_id IN ('m0','m1')"
    )
    store.purge()
    assert [r[0] for r in store.db.execute("SELECT msg_id FROM history ORDER BY cseq")] == [
        "m2",
        "m3",
        "m4",
    ]
    # counters survive: the next message is number 6
    assert store.add_history(shop_id, conv, p.Origin.SHOPPER, p.Message("m5", p.Text("x"))) == (
        6,
        True,
    )
    store.close()
