"""relay.protocol: round trips, exact error messages, and no exception but ProtocolError."""

from __future__ import annotations

import ast
import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay import protocol as p

RELAY = Path(__file__).resolve().parents[3] / "relay"

CARD = p.Card(
    "p-1",
    "เสื้อยืดสีแดง",
    29000,
    "ผ้าฝ้าย",
    "https://img.example/1.jpg",
    35000,
    False,
    (
        p.Button("ซื้อ", p.ButtonAction.POSTBACK, data="buy=p-1"),
        p.Button("ดู", p.ButtonAction.URL, url="https://shop.example/p-1"),
    ),
)
SHOP_MESSAGES = [
    p.Message("t", p.Text("สวัสดีค่ะ"), (p.Button("M", p.ButtonAction.MESSAGE, text="ไซส์ M"),)),
    p.Message(
        "i",
        p.Image(
            "abcDEF_123", "https://relay.example/media/abcDEF_123", "image/png", 10, 20, 300, "สลิป"
        ),
    ),
    p.Message("pc", p.ProductCard(CARD)),
    p.Message("c", p.Carousel((CARD, CARD), "แนะนำ")),
    p.Message("b", p.Buttons("เลือกเลย", (p.Button("A", p.ButtonAction.POSTBACK, data="a"),))),
    p.Message(
        "cart",
        p.CartSummary(
            (p.CartItem("เสื้อ", 2, 29000, 58000, "M"),),
            58000,
            53000,
            10000,
            5000,
            (p.Button("ชำระเงิน", p.ButtonAction.POSTBACK, data="pay"),),
        ),
    ),
    p.Message(
        "o",
        p.OrderStatus(
            "MC-1",
            p.OrderState.SHIPPED,
            53000,
            "ส่งแล้ว",
            "ไปรษณีย์ไทย",
            "EF582621151TH",
            "https://track.example/EF582621151TH",
            "ขอบคุณค่ะ",
        ),
    ),
    p.Message("to", p.Takeover(p.TakeoverState.STARTED, "แอน", "แอดมินมาแล้วค่ะ")),
]
SHOPPER_MESSAGES = [
    p.Message("s1", p.Text("มีไหม")),
    p.Message("s2", p.Sticker("446", "1988", ("hi",), "Hello")),
    p.Message("s3", p.Location(13.75, 100.5, "ร้าน", "กรุงเทพ")),
    p.Message("s4", p.Postback("buy=p-1", "ซื้อ", (("date", "2026-11-24"),))),
    p.Message("s5", p.Contact("0812345678", "สมชาย", "เย็น")),
    p.Message("s6", p.Image("media_1")),
]


@pytest.mark.parametrize("message", SHOP_MESSAGES, ids=lambda m: m.kind.value)
def test_every_shop_kind_round_trips_through_the_desktop_decoder(message: p.Message) -> None:
    """encode → decode gives back the same frozen objects, for every shop message kind."""
    frame = p.Send("widget:AAAAAAAAAAAAAAAA", message)
    text = p.encode(frame)
    assert p.decode_desktop_frame(text) == frame
    assert p.decode_desktop_frame(text.encode()) == frame
    assert "\\u0e" not in text  # Thai stays readable UTF-8


@pytest.mark.parametrize("message", SHOPPER_MESSAGES, ids=lambda m: m.kind.value)
def test_every_shopper_kind_round_trips_to_the_desktop(message: p.Message) -> None:
    frame = p.Inbound(7, "line:U" + "0" * 32, message.with_at("2026-11-23T17:30:00.123Z"))
    assert p.decode_to_desktop(p.encode(frame)) == frame


def test_all_other_frames_round_trip() -> None:
    cfg = p.WidgetConfig(
        shop_name="ร้าน", color="#E4572E", position="left", logo_url="https://x.example/l.png"
    )
    conv = "widget:AAAAAAAAAAAAAAAA"
    desktop = [
        p.DesktopHello((1, 2), "d/1", 5, p.Presence.AWAY),
        p.Ack(3),
        p.Typing(conv, False),
        p.Read(conv, "m1"),
        p.SetPresence(p.Presence.ONLINE),
        p.SetWidgetConfig("r1", cfg, ("https://shop.example",)),
        p.SetLineCredentials("r2", "s", "t"),
        p.SetLineCredentials("r3", None, None),
        p.GetLineQuota("r4"),
        p.VerifyLine("r5", "https://relay.example/line/shop_1/webhook"),
        p.VerifyMeta("r6"),
    ]
    for f in desktop:
        assert p.decode_desktop_frame(p.encode(f)) == f
    to_desktop = [
        p.DesktopWelcome(1, "shop_1", "ร้าน", 4, 2, True, cfg, ("*",)),
        p.Receipt(conv, p.ReceiptStatus.FAILED, ("a", "b"), 9, "nope"),
        p.ConversationNotice(
            3, "line:U" + "a" * 32, p.ConversationEvent.FOLLOW, "2026-11-23T00:00:00.000Z"
        ),
        p.LineQuota("2026-11", 10, None, False, 4),
        p.LineQuota("2026-11", 1, 5, False, 0, "q"),
        p.LineVerified("v", p.LineCheck.OK, "ร้าน", "@abc", 200),
        p.LineVerified("v", p.LineCheck.SIGNATURE_WRONG, None, None, 401, "ERROR_STATUS_CODE 401"),
        p.LineVerified("v", p.LineCheck.NOT_CONFIGURED),
        p.MetaVerified("v", p.MetaCheck.OK, "ร้าน", "1122334455", "shop.ig"),
        p.MetaVerified("v", p.MetaCheck.FIELDS_MISSING, "ร้าน", "1", None, ("feed",)),
        p.MetaVerified("v", p.MetaCheck.SECRET_WRONG, code=100, detail="Invalid appsecret_proof"),
        p.MetaVerified("v", p.MetaCheck.NOT_CONFIGURED),
        p.Accepted("m", conv),
        p.ShopperTyping(conv, True),
        p.Ok("r"),
        p.Error(p.ErrorCode.NOT_FOUND, "x", "m"),
    ]
    for f in to_desktop:
        assert p.decode_to_desktop(p.encode(f)) == f
    item = p.HistoryItem(1, p.Origin.SHOPPER, SHOPPER_MESSAGES[0], p.ReceiptStatus.READ)
    to_widget = [
        p.WidgetWelcome(1, "tok", conv, p.Presence.AWAY, cfg, (item,)),
        p.WidgetMessage(item),
        p.Accepted("m", None, 4),
        p.WidgetReceipt(p.ReceiptStatus.DELIVERED, ("m",)),
        p.ShopTyping(True),
        p.PresenceNotice(p.Presence.ONLINE),
        p.ConfigNotice(cfg),
    ]
    for f in to_widget:
        assert p.decode_to_widget(p.encode(f)) == f
    widget = [
        p.WidgetHello((1,), "tok", 3, "en"),
        p.WidgetSend(SHOPPER_MESSAGES[0]),
        p.Ack(2),
        p.WidgetTyping(False),
        p.WidgetRead(2),
    ]
    for f in widget:
        assert p.decode_widget_frame(p.encode(f)) == f


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("nope", "json: Expecting value"),
        ("[]", "frame: must be a json object"),
        ('{"type":"zap"}', "type: unknown frame type 'zap'"),
        ('{"seq":1}', "type: missing"),
        ('{"type":"ack","seq":-1}', "seq: out of range (0..9007199254740992)"),
        ('{"type":"ack","seq":true}', "seq: must be an integer"),
        ('{"type":"ack","seq":1,"seq":2}', "json: duplicate key 'seq'"),
        ('{"type":"ack","seq":NaN}', "json: NaN is not allowed"),
        (
            '{"type":"send","conversation":"widget:x","message":{}}',
            "conversation: must be widget:<session>, line:<userId>, messenger:<PSID>",
        ),
        (
            '{"type":"send","conversation":"line:U00000000000000000000000000000000",'
            '"message":{"id":"a b","kind":"text"}}',
            "message.id: must be 1-64 characters of A-Z a-z 0-9 . _ : ~ -",
        ),
        (
            '{"type":"send","conversation":"line:U00000000000000000000000000000000","message":{"id":"a","kind":"contact","phone":"0812345678"}}',
            "message.kind: contact is not allowed here",
        ),
        (
            '{"type":"send","conversation":"line:U00000000000000000000000000000000","message":{"id":"a","kind":"carousel","cards":[]}}',
            "message.cards: must not be empty",
        ),
        (
            '{"type":"send","conversation":"line:U00000000000000000000000000000000","message":{"id":"a","kind":"carousel","cards":[{"product_id":"p","title":"t","price_satang":"1"}]}}',
            "message.cards[0].price_satang: must be an integer",
        ),
        (
            '{"type":"line_credentials","ref":"r","channel_secret":"s"}',
            "channel_token: give both channel_secret and channel_token, or neither",
        ),
        (
            '{"type":"widget_config","ref":"r","config":{"color":"red"}}',
            "config.color: must look like #06C755",
        ),
        ('{"type":"hello","protocol":[]}', "protocol: must not be empty"),
    ],
)
def test_bad_desktop_frames_name_the_field(raw: str, message: str) -> None:
    with pytest.raises(p.ProtocolError) as exc:
        p.decode_desktop_frame(raw)
    assert str(exc.value).startswith(message)
    assert exc.value.code == "bad_frame"


def test_widget_may_not_send_shop_kinds_and_text_is_capped() -> None:
    card = json.dumps({"type": "send", "message": {"id": "a", "kind": "product_card", "card": {}}})
    with pytest.raises(p.ProtocolError, match=r"^message.kind: product_card is not allowed here$"):
        p.decode_widget_frame(card)
    long = json.dumps({"type": "send", "message": {"id": "a", "kind": "text", "text": "ก" * 5001}})
    with pytest.raises(p.ProtocolError, match=r"^message.text: too long \(max 5000\)$"):
        p.decode_widget_frame(long)
    bad_phone = json.dumps(
        {"type": "send", "message": {"id": "a", "kind": "contact", "phone": "12345"}}
    )
    with pytest.raises(p.ProtocolError, match="phone: must be a thai phone number"):
        p.decode_widget_frame(bad_phone)


def test_negotiate_picks_highest_common_version() -> None:
    assert p.negotiate((1, 7)) == 1
    with pytest.raises(p.ProtocolError) as exc:
        p.negotiate((2, 3))
    assert exc.value.code == "unsupported_version"


def test_secrets_are_not_in_reprs() -> None:
    assert "s3cret" not in repr(p.SetLineCredentials("r", "s3cret", "t0ken"))


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda c: (
                st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=12), c, max_size=5)
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v) if not isinstance(v, float) else str(v)),
    )
)
def test_decoders_raise_only_protocol_error(raw: str | bytes) -> None:
    """Whatever arrives, a decoder returns a frame or raises ProtocolError — nothing else."""
    for decode in (
        p.decode_desktop_frame,
        p.decode_to_desktop,
        p.decode_widget_frame,
        p.decode_to_widget,
    ):
        with contextlib.suppress(p.ProtocolError):
            decode(raw)


@settings(max_examples=200)
@given(
    st.sampled_from(["send", "hello", "widget_config", "welcome", "message", "receipt"]),
    st.dictionaries(
        st.sampled_from(
            [
                "message",
                "config",
                "conversation",
                "protocol",
                "history",
                "ids",
                "status",
                "seq",
                "from",
                "session",
                "presence",
            ]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "id",
                            "kind",
                            "text",
                            "cards",
                            "card",
                            "items",
                            "label",
                            "action",
                            "data",
                            "url",
                            "phone",
                            "color",
                        ]
                    ),
                    c,
                    max_size=4,
                )
            ),
            max_leaves=15,
        ),
    ),
)
def test_structured_garbage_raises_only_protocol_error(ftype: str, body: dict[str, object]) -> None:
    raw = json.dumps({"type": ftype, **body})
    for decode in (
        p.decode_desktop_frame,
        p.decode_to_desktop,
        p.decode_widget_frame,
        p.decode_to_widget,
    ):
        with contextlib.suppress(p.ProtocolError):
            decode(raw)


def test_protocol_module_is_stdlib_only_and_relay_never_imports_the_desktop() -> None:
    """relay/protocol/ imports only the stdlib and itself; nothing in relay/ imports
    minichat_desktop."""
    import sys

    for module in (RELAY / "protocol").glob("*.py"):
        tree = ast.parse(module.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        outside = {
            m for m in names if m.split(".")[0] not in sys.stdlib_module_names | {"__future__"}
        }
        assert outside <= {"relay", "relay.protocol"}, (module, outside)
    for path in RELAY.rglob("*.py"):
        t = ast.parse(path.read_text())
        mods = {a.name for n in ast.walk(t) if isinstance(n, ast.Import) for a in n.names}
        mods |= {n.module for n in ast.walk(t) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(m.startswith("minichat_desktop") for m in mods), path


def test_pre_encoded_message_frames_are_byte_identical() -> None:
    """The relay's encode-once shortcut gives exactly what encode() gives."""
    msg = p.Message("m1", p.Text('สวัสดี "คุณ" \\ ok'), at="2026-11-23T17:30:00.123Z")
    raw = p.encode_obj(msg.to_obj())
    conv = "widget:AAAAAAAAAAAAAAAA"
    assert p.encode_message_frame(5, raw, conversation=conv) == p.encode(p.Inbound(5, conv, msg))
    item = p.HistoryItem(3, p.Origin.SHOP, msg)
    assert p.encode_message_frame(3, raw, origin=p.Origin.SHOP) == p.encode(p.WidgetMessage(item))
    with pytest.raises(p.ProtocolError):
        p.encode_message_frame(1, raw, conversation='widget:"x"')


def test_line_verify_needs_an_http_endpoint() -> None:
    """``line_verify`` without an http(s) URL is a bad frame naming the field."""
    for endpoint in ("ftp://x/line/s/webhook", "https://a b/line/s/webhook", ""):
        with pytest.raises(p.ProtocolError, match="endpoint"):
            p.decode_desktop_frame({"type": "line_verify", "ref": "v", "endpoint": endpoint})


def test_meta_verified_names_only_known_webhook_fields() -> None:
    """``missing`` lists fields of META_FIELDS only, and ``code`` is an integer."""
    base = {"type": "meta_verified", "ref": "v", "result": "fields_missing"}
    with pytest.raises(p.ProtocolError, match=r"missing\[1\]: must be one of messages"):
        p.decode_to_desktop({**base, "missing": ["feed", "everything"]})
    with pytest.raises(p.ProtocolError, match="code: must be an integer"):
        p.decode_to_desktop({**base, "code": "190"})
    with pytest.raises(p.ProtocolError, match="result: must be one of ok, not_configured"):
        p.decode_to_desktop({**base, "result": "fine"})


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_JSON_VALUES)
def test_encode_obj_is_compact_json_with_thai_kept(value: object) -> None:
    """The encoder made once gives the very text json.dumps gives (UTF-8 kept, no spaces)."""
    want = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert p.encode_obj(value) == want


def test_encode_obj_still_refuses_what_json_refuses() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        p.encode_obj({"x": float("nan")})
    with pytest.raises(TypeError, match="not JSON serializable"):
        p.encode_obj({"x": object()})
    assert p.encode(p.Accepted("w-1", None, 7)) == '{"type":"accepted","id":"w-1","seq":7}'
