"""LINE Messaging API: webhook signature, events → protocol messages, protocol messages → LINE
message objects, and a small async client (reply, push with retry key, content, loading,
quota). Wire formats follow developers.line.biz/en/reference/messaging-api/."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import regex

from relay import protocol as p
from relay.bodies import BodyIncomplete, read_limited

API_BASE = "https://api.line.me"
DATA_BASE = "https://api-data.line.me"
REPLY_TOKEN_MAX_AGE = 50.0  # LINE says "about a minute"; leave a margin
TIMEOUT = 15.0  # seconds for one API call; ``MINICHAT_LINE_TIMEOUT`` replaces it (tests)


def api_bases() -> tuple[str, str]:
    """(API base, content base); ``MINICHAT_LINE_API_BASE`` replaces both (tests)."""
    override = os.environ.get("MINICHAT_LINE_API_BASE")
    if override:
        base = override.rstrip("/")
        return base, base
    return API_BASE, DATA_BASE


def verify_signature(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """base64(HMAC-SHA256(secret, raw body)) == X-Line-Signature, in constant time."""
    if not signature:
        return False
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    return hmac.compare_digest(expected, signature.encode("ascii", "replace"))


def sign(channel_secret: str, body: bytes) -> str:
    return base64.b64encode(
        hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    ).decode()


# ---------------------------------------------------------------------------------------------
# Events in


@dataclass(frozen=True, slots=True)
class LineEvent:
    """One webhook event the shop cares about, already turned into protocol terms."""

    event_id: str
    conversation: str
    reply_token: str | None
    timestamp: float  # seconds
    message: p.Message | None = None  # text, sticker, location, postback (image: see below)
    image_message_id: str | None = None  # a LINE-hosted image: fetch it from the content API
    follow: p.ConversationEvent | None = None


def parse_events(payload: Any) -> list[LineEvent]:
    """The events of a webhook body that a shop needs; everything else is ignored.

    Only one-to-one chats (``source.type == "user"``) become conversations. Unknown event and
    message types are skipped, never an error (LINE adds types over time).
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise p.ProtocolError("events: missing")
    out = []
    for ev in payload["events"]:
        parsed = _parse_event(ev)
        if parsed is not None:
            out.append(parsed)
    return out


def _parse_event(ev: Any) -> LineEvent | None:
    if not isinstance(ev, dict):
        return None
    source = ev.get("source") or {}
    user_id = source.get("userId") if isinstance(source, dict) else None
    event_id = ev.get("webhookEventId")
    if (
        not isinstance(source, dict)
        or source.get("type") != "user"
        or not isinstance(user_id, str)
        or not isinstance(event_id, str)
        or not event_id
    ):
        return None
    conversation = f"line:{user_id}"
    if not p.is_conversation_id(conversation):
        return None
    reply_token = ev.get("replyToken") if isinstance(ev.get("replyToken"), str) else None
    ts = ev.get("timestamp")
    timestamp = (
        float(ts) / 1000.0 if isinstance(ts, int | float) and not isinstance(ts, bool) else 0.0
    )
    eid = event_id[:100]

    def make(
        message: p.Message | None = None,
        image: str | None = None,
        follow: p.ConversationEvent | None = None,
    ) -> LineEvent:
        return LineEvent(eid, conversation, reply_token, timestamp, message, image, follow)

    etype = ev.get("type")
    try:
        if etype == "follow":
            return make(follow=p.ConversationEvent.FOLLOW)
        if etype == "unfollow":
            return make(follow=p.ConversationEvent.UNFOLLOW)
        if etype == "postback":
            pb = ev.get("postback") or {}
            params = pb.get("params") if isinstance(pb.get("params"), dict) else {}
            body = p.Postback.from_obj({"data": pb.get("data"), "params": params}, "postback.")
            return make(message=p.Message(f"line-pb-{event_id[:50]}", body))
        if etype != "message":
            return None
        msg = ev.get("message") or {}
        mid = msg.get("id")
        if not isinstance(mid, str) or not mid.isdigit() or len(mid) > 40:
            return None
        msg_id = f"line-{mid}"
        mtype = msg.get("type")
        if mtype == "text":
            text = msg.get("text")
            if not isinstance(text, str) or not text.strip():
                return None
            return make(message=p.Message(msg_id, p.Text(text[: p.MAX_TEXT])))
        if mtype == "sticker":
            sticker = p.Sticker.from_obj(
                {
                    "package_id": str(msg.get("packageId", "")),
                    "sticker_id": str(msg.get("stickerId", "")),
                    "keywords": [k for k in (msg.get("keywords") or []) if isinstance(k, str)][:50],
                    "text": msg.get("text") if isinstance(msg.get("text"), str) else None,
                },
                "sticker.",
            )
            return make(message=p.Message(msg_id, sticker))
        if mtype == "location":
            loc = p.Location.from_obj(
                {
                    "latitude": msg.get("latitude"),
                    "longitude": msg.get("longitude"),
                    "title": msg.get("title") or None,
                    "address": msg.get("address") or None,
                },
                "location.",
            )
            return make(message=p.Message(msg_id, loc))
        if mtype == "image":
            provider = msg.get("contentProvider") or {}
            if provider.get("type") == "external":
                url = provider.get("originalContentUrl")
                image = p.Image.from_obj({"url": url}, "image.")
                return make(message=p.Message(msg_id, image))
            return make(image=mid)
    except p.ProtocolError:
        return None
    return None


# ---------------------------------------------------------------------------------------------
# LINE's limits, counted the way LINE counts
# (developers.line.biz/en/docs/messaging-api/text-character-count: UTF-16 code units, except
# action labels, displayText and message-action text, which are grapheme clusters, UAX #29)

MAX_MESSAGES = 5  # message objects per reply or push request
MAX_TEXT_UNITS = 5000  # text message text, UTF-16 units
MAX_ALT_TEXT = 1500  # flex altText, UTF-16 units
MAX_LABEL = 20  # action label, graphemes
MAX_DISPLAY_TEXT = 300  # postback displayText / message action text, graphemes
MAX_DATA = 300  # postback data, UTF-16 units
MAX_URI = 1000  # uri action
MAX_IMAGE_URL = 2000  # image originalContentUrl / previewImageUrl, https only
MAX_FLEX_BYTES = 50_000  # a flex container as JSON
MAX_QUICK_REPLY = 13
ELLIPSIS = "…"

_GRAPHEME = regex.compile(r"\X", regex.DOTALL)
# a Thai leading vowel (เ แ โ ใ ไ) always starts a syllable: a break before one never splits
# a word's sound, which is the best a relay without a dictionary can do
_THAI_LEADING = frozenset("เแโใไ")


class LineRefused(ValueError):
    """A message LINE would refuse and the relay cannot fix; ``str`` is the reason a person
    reads (Thai and English)."""


def graphemes(text: str) -> list[str]:
    """The grapheme clusters of ``text`` (a Thai consonant with its marks is one)."""
    return list(_GRAPHEME.findall(text))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` graphemes (the "…" counts), ending in "…" when cut.

    The cut falls, in the last half, on a space, else before a Thai leading vowel, else
    between any two graphemes: never inside a cluster (a Thai consonant keeps its marks).
    """
    parts = graphemes(text)
    if len(parts) <= limit:
        return text
    keep = parts[: limit - 1]
    for ok in (lambda g: g.isspace(), lambda g: g[:1] in _THAI_LEADING):
        at = [i for i in range(len(keep) // 2, len(keep) + 1) if i < len(parts) and ok(parts[i])]
        if at:
            keep = keep[: at[-1]]
            break
    return "".join(keep).rstrip() + ELLIPSIS


def shorten_units(text: str, limit: int, measure: Callable[[str], int] = p.utf16_len) -> str:
    """``text`` cut to at most ``limit`` units (UTF-16 by default; ``len`` for code points) at
    a grapheme boundary, ending in "…" when cut."""
    if measure(text) <= limit:
        return text
    out: list[str] = []
    used = 1  # the ellipsis
    for g in graphemes(text):
        used += measure(g)
        if used > limit:
            break
        out.append(g)
    return "".join(out).rstrip() + ELLIPSIS


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-16 units that join back to ``text``.

    Each cut falls, by preference, after a line break, after a space, before a Thai leading
    vowel, else between two graphemes: never inside a surrogate pair or a Thai cluster. A cut
    moves back rather than leave a part of only whitespace (LINE shows nothing for it), unless
    the text ends in more whitespace than a whole part.
    """
    out: list[str] = []
    rest = graphemes(text)
    while sum(p.utf16_len(g) for g in rest) > limit:
        cut = _cut(rest, limit)
        out.append("".join(rest[:cut]))
        rest = rest[cut:]
    if rest or not out:
        out.append("".join(rest))
    return out


def _cut(parts: list[str], limit: int) -> int:
    """How many of ``parts`` (graphemes) go in the next piece of at most ``limit`` units."""
    used = 0
    fit = 0
    for g in parts:
        used += p.utf16_len(g)
        if used > limit:
            break
        fit += 1
    if fit == 0:  # one grapheme longer than the limit (never in practice) goes alone
        return 1
    low = fit // 2  # cut no earlier than half way: few, full parts
    for ok in (
        lambda i: parts[i - 1] in ("\n", "\r\n"),
        lambda i: parts[i - 1].isspace(),
        lambda i: parts[i][:1] in _THAI_LEADING,
        lambda i: True,
    ):
        for i in range(fit, low, -1):
            if ok(i) and "".join(parts[i:]).strip():
                return i
    return fit


# ---------------------------------------------------------------------------------------------
# Messages out


def _baht(satang: int) -> str:
    baht, st = divmod(satang, 100)
    return f"฿{baht:,}" + (f".{st:02d}" if st else "")


def _action(b: p.Button) -> dict[str, Any]:
    label = shorten(b.label, MAX_LABEL)
    if b.action is p.ButtonAction.POSTBACK:
        data = b.data or ""
        if p.utf16_len(data) > MAX_DATA:
            raise LineRefused(
                f"ข้อมูลของปุ่ม “{label}” ยาวเกิน {MAX_DATA} ตัวอักษร"
                f" / button “{label}”: postback data longer than {MAX_DATA} characters"
            )
        display = shorten(b.label, MAX_DISPLAY_TEXT)
        return {"type": "postback", "label": label, "data": data, "displayText": display}
    if b.action is p.ButtonAction.MESSAGE:
        return {"type": "message", "label": label, "text": shorten(b.text or "", MAX_DISPLAY_TEXT)}
    url = b.url or ""
    if len(url) > MAX_URI:
        raise LineRefused(
            f"ลิงก์ของปุ่ม “{label}” ยาวเกิน {MAX_URI} ตัวอักษร"
            f" / button “{label}”: link longer than {MAX_URI} characters"
        )
    return {"type": "uri", "label": label, "uri": url}


def _button_box(buttons: tuple[p.Button, ...], color: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "vertical",
        "spacing": "sm",
        "contents": [
            {
                "type": "button",
                "style": "primary" if i == 0 else "secondary",
                "color": color if i == 0 else None,
                "height": "sm",
                "action": _action(b),
            }
            for i, b in enumerate(buttons)
        ],
    }


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def _card_bubble(card: p.Card, color: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "text",
            "text": card.title,
            "weight": "bold",
            "size": "md",
            "wrap": True,
            "maxLines": 2,
        }
    ]
    if card.subtitle:
        body.append(
            {
                "type": "text",
                "text": card.subtitle,
                "size": "sm",
                "color": "#777777",
                "wrap": True,
                "maxLines": 2,
            }
        )
    price: list[dict[str, Any]] = [
        {
            "type": "text",
            "text": _baht(card.price_satang),
            "weight": "bold",
            "size": "lg",
            "color": color,
            "flex": 0,
        }
    ]
    if card.compare_at_satang and card.compare_at_satang > card.price_satang:
        price.append(
            {
                "type": "text",
                "text": _baht(card.compare_at_satang),
                "size": "sm",
                "color": "#999999",
                "decoration": "line-through",
                "gravity": "bottom",
                "flex": 0,
            }
        )
    body.append({"type": "box", "layout": "baseline", "spacing": "sm", "contents": price})
    if not card.in_stock:
        body.append(
            {"type": "text", "text": "สินค้าหมด / Out of stock", "size": "sm", "color": "#D93025"}
        )
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    if card.image_url and card.image_url.startswith("https://"):
        bubble["hero"] = {
            "type": "image",
            "url": card.image_url,
            "size": "full",
            "aspectRatio": "1:1",
            "aspectMode": "cover",
        }
    if card.buttons:
        bubble["footer"] = _button_box(card.buttons, color)
    return bubble


def _quick(qr: tuple[p.Button, ...]) -> dict[str, Any] | None:
    if not qr:
        return None
    return {"items": [{"type": "action", "action": _action(b)} for b in qr[:MAX_QUICK_REPLY]]}


@dataclass(frozen=True, slots=True)
class ImageUrls:
    """Where LINE fetches a picture: the original (JPEG or PNG, ≤ 10 MB) and its preview
    (≤ 1 MB), both https."""

    original: str
    preview: str


def to_line_messages(
    message: p.Message, color: str = "#06C755", image: ImageUrls | None = None
) -> list[dict[str, Any]]:
    """LINE message objects for one protocol message (empty: nothing to send on LINE), made
    to LINE's limits: long text split, long labels shortened with "…".

    ``image`` is where LINE fetches the picture of an image message (the relay prepares it).
    Raises :class:`LineRefused` for what cannot be made to fit (the reason names it).
    """
    b = message.body
    out: list[dict[str, Any]]
    if isinstance(b, p.Text):
        out = _texts(b.text)
    elif isinstance(b, p.Image):
        out = _image_messages(b, image)
    elif isinstance(b, p.ProductCard | p.Carousel):
        out = _card_messages(b, color)
    elif isinstance(b, p.Buttons):
        out = [_buttons_message(b, color)]
    elif isinstance(b, p.CartSummary):
        out = [_cart_message(b, color)]
    elif isinstance(b, p.OrderStatus):
        out = _texts(_order_status_text(b))
    elif isinstance(b, p.Takeover):
        out = _texts(b.text) if b.text else []
    else:  # shopper-only kinds never go to LINE
        return []
    quick = _quick(message.quick_replies)
    if quick and out:
        out[-1]["quickReply"] = quick
    out = [_clean(m) for m in out]
    if len(out) > MAX_MESSAGES:
        raise LineRefused(
            f"ข้อความยาวเกินกว่าที่ LINE รับได้ในครั้งเดียว ({len(out)} ส่วน, สูงสุด {MAX_MESSAGES})"
            f" / too long for LINE: {len(out)} parts, at most {MAX_MESSAGES}"
        )
    for m in out:
        check_message(m)
    return out


def _texts(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": part} for part in split_text(text)]


def check_message(m: dict[str, Any]) -> None:
    """Raise :class:`LineRefused` when ``m`` breaks a LINE limit this module does not fix."""
    kind = m.get("type")
    if kind == "text" and p.utf16_len(m["text"]) > MAX_TEXT_UNITS:
        raise LineRefused(f"text longer than {MAX_TEXT_UNITS} UTF-16 units")
    if kind == "flex":
        size = len(json.dumps(m["contents"], ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_FLEX_BYTES:
            raise LineRefused(
                f"การ์ดสินค้าใหญ่เกินที่ LINE รับได้ ({size // 1000} KB, สูงสุด 50 KB)"
                f" / card too large for LINE ({size // 1000} KB, at most 50 KB)"
            )
    if kind == "image":
        for key in ("originalContentUrl", "previewImageUrl"):
            url = m[key]
            if not url.startswith("https://") or len(url) > MAX_IMAGE_URL:
                raise LineRefused(f"{key} must be https and at most {MAX_IMAGE_URL} characters")


NO_HTTPS = (
    "ส่งรูปทาง LINE ไม่ได้: LINE รับรูปจากที่อยู่ https เท่านั้น ให้ผู้ดูแลรีเลย์ตั้ง --public-url"
    " เป็นที่อยู่ https / Cannot send the picture to LINE: LINE takes pictures only from an https"
    " address; ask the relay's admin to set --public-url https://..."
)


def _image_messages(b: p.Image, image: ImageUrls | None) -> list[dict[str, Any]]:
    if image is None:
        if not b.url or not b.url.startswith("https://"):
            raise LineRefused(NO_HTTPS)
        image = ImageUrls(b.url, b.url)  # hosted elsewhere: the shop vouches for it
    out: list[dict[str, Any]] = [
        {"type": "image", "originalContentUrl": image.original, "previewImageUrl": image.preview}
    ]
    if b.caption:
        out.extend(_texts(b.caption))
    return out


def _card_messages(b: p.ProductCard | p.Carousel, color: str) -> list[dict[str, Any]]:
    cards = (b.card,) if isinstance(b, p.ProductCard) else b.cards
    alt = cards[0].title if len(cards) == 1 else f"สินค้า {len(cards)} รายการ / {len(cards)} products"
    out: list[dict[str, Any]] = []
    if isinstance(b, p.Carousel) and b.text:
        out.extend(_texts(b.text))
    out.append(
        {
            "type": "flex",
            "altText": shorten_units(alt, MAX_ALT_TEXT),
            "contents": {"type": "carousel", "contents": [_card_bubble(c, color) for c in cards]},
        }
    )
    return out


def _buttons_message(b: p.Buttons, color: str) -> dict[str, Any]:
    return {
        "type": "flex",
        "altText": shorten_units(b.text, MAX_ALT_TEXT),
        "contents": {
            "type": "bubble",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [{"type": "text", "text": b.text, "wrap": True}],
            },
            "footer": _button_box(b.buttons, color),
        },
    }


def _cart_item_row(it: p.CartItem) -> dict[str, Any]:
    name = it.name + (f" ({it.variant})" if it.variant else "")
    return {
        "type": "box",
        "layout": "horizontal",
        "contents": [
            {
                "type": "text",
                "text": f"{name} × {it.quantity}",
                "size": "sm",
                "wrap": True,
                "flex": 3,
            },
            {
                "type": "text",
                "text": _baht(it.line_total_satang),
                "size": "sm",
                "align": "end",
                "flex": 2,
            },
        ],
    }


def _sum_row(label: str, satang: int, bold: bool = False) -> dict[str, Any]:
    weight = "bold" if bold else "regular"
    return {
        "type": "box",
        "layout": "horizontal",
        "contents": [
            {"type": "text", "text": label, "size": "sm", "weight": weight},
            {"type": "text", "text": _baht(satang), "size": "sm", "align": "end", "weight": weight},
        ],
    }


def _cart_message(b: p.CartSummary, color: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        {"type": "text", "text": "ตะกร้าสินค้า / Cart", "weight": "bold", "size": "md"}
    ]
    rows += [_cart_item_row(it) for it in b.items[:20]]
    rows.append({"type": "separator"})
    rows.append(_sum_row("รวม / Subtotal", b.subtotal_satang))
    if b.discount_satang:
        discount = -b.discount_satang if b.discount_satang < 0 else b.discount_satang
        rows.append(_sum_row("ส่วนลด / Discount", discount))
    if b.shipping_satang:
        rows.append(_sum_row("ค่าส่ง / Shipping", b.shipping_satang))
    rows.append(_sum_row("ยอดสุทธิ / Total", b.total_satang, bold=True))
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
    }
    if b.buttons:
        bubble["footer"] = _button_box(b.buttons, color)
    return {
        "type": "flex",
        "altText": f"ตะกร้า {b.count} ชิ้น ยอด {_baht(b.total_satang)}",
        "contents": bubble,
    }


def _order_status_text(b: p.OrderStatus) -> str:
    parts = [
        f"คำสั่งซื้อ {b.order_no}: {b.status_label or b.status.value}",
        f"ยอด {_baht(b.total_satang)}",
    ]
    if b.tracking_no:
        parts.append(f"เลขพัสดุ {b.carrier + ' ' if b.carrier else ''}{b.tracking_no}")
    if b.tracking_url:
        parts.append(b.tracking_url)
    if b.note:
        parts.append(b.note)
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# The client


_MESSAGE_INDEX = regex.compile(r"^messages\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class LineResult:
    """LINE's answer: status, JSON body (``{"message", "details": [{"message", "property"}]}``
    on errors) and the request ids LINE sends back as headers."""

    status: int
    body: Any
    request_id: str = ""
    accepted_request_id: str = ""  # on 409: the earlier request that used this retry key

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("message"), str):
            return str(self.body["message"])[:200]
        return ""

    @property
    def details(self) -> list[tuple[str, str]]:
        """(property, message) for each detail LINE gave, e.g. ("messages[2].text", "...")."""
        raw = self.body.get("details") if isinstance(self.body, dict) else None
        out = []
        for d in raw if isinstance(raw, list) else []:
            if isinstance(d, dict):
                out.append((str(d.get("property") or "")[:100], str(d.get("message") or "")[:200]))
        return out

    def refused_messages(self) -> dict[int, str]:
        """Index in the request's ``messages`` → what LINE said about it (from ``details``)."""
        out: dict[int, str] = {}
        for prop, msg in self.details:
            m = _MESSAGE_INDEX.match(prop)
            if m:
                i = int(m.group(1))
                out[i] = f"{out[i]}; {prop}: {msg}" if i in out else f"{prop}: {msg}"
        return out

    def describe(self) -> str:
        """LINE's whole error in one line: status, message and every detail."""
        text = f"http {self.status}"
        if self.message:
            text += f": {self.message}"
        if self.details:
            text += " [" + "; ".join(f"{prop}: {msg}" for prop, msg in self.details) + "]"
        return text


def _timeout() -> aiohttp.ClientTimeout:
    try:
        total = float(os.environ.get("MINICHAT_LINE_TIMEOUT", "") or TIMEOUT)
    except ValueError:
        total = TIMEOUT
    return aiohttp.ClientTimeout(total=total, connect=min(5.0, total))


def encode_body(obj: Any) -> bytes:
    """A request body as LINE gets it (compact UTF-8 JSON); a retry resends these bytes."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


class LineClient:
    """A thin async client for one relay process (one HTTP connection pool for all shops)."""

    def __init__(self) -> None:
        self.api, self.data = api_bases()
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=_timeout())
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(
        self,
        method: str,
        url: str,
        token: str,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> LineResult:
        h = {"Authorization": f"Bearer {token}"}
        if headers:
            h.update(headers)
        if json_body is not None:
            raw = encode_body(json_body)
        if raw is not None:
            h["Content-Type"] = "application/json"
        async with self._http().request(method, url, data=raw, headers=h) as resp:
            try:
                body = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                body = None
            return LineResult(
                resp.status,
                body,
                resp.headers.get("x-line-request-id", ""),
                resp.headers.get("x-line-accepted-request-id", ""),
            )

    async def reply(
        self, token: str, reply_token: str, messages: list[dict[str, Any]]
    ) -> LineResult:
        return await self._call(
            "POST",
            f"{self.api}/v2/bot/message/reply",
            token,
            {"replyToken": reply_token, "messages": messages},
        )

    async def push(self, token: str, body: bytes, retry_key: str) -> LineResult:
        """Push ``body`` (``{"to", "messages"}`` as bytes: a retry must resend the very same
        request) under ``retry_key``; LINE answers 409 if that key was already accepted."""
        return await self._call(
            "POST",
            f"{self.api}/v2/bot/message/push",
            token,
            headers={"X-Line-Retry-Key": retry_key},
            raw=body,
        )

    async def start_loading(self, token: str, chat_id: str, seconds: int = 20) -> LineResult:
        return await self._call(
            "POST",
            f"{self.api}/v2/bot/chat/loading/start",
            token,
            {"chatId": chat_id, "loadingSeconds": seconds},
        )

    async def quota(self, token: str) -> int | None:
        """The monthly message limit, or None when the plan has none (or LINE won't say)."""
        res = await self._call("GET", f"{self.api}/v2/bot/message/quota", token)
        if res.ok and isinstance(res.body, dict) and res.body.get("type") == "limited":
            value = res.body.get("value")
            return int(value) if isinstance(value, int) else None
        return None

    async def consumption(self, token: str) -> int | None:
        res = await self._call("GET", f"{self.api}/v2/bot/message/quota/consumption", token)
        if res.ok and isinstance(res.body, dict) and isinstance(res.body.get("totalUsage"), int):
            return int(res.body["totalUsage"])
        return None

    async def bot_info(self, token: str) -> LineResult:
        """``GET /v2/bot/info``: the bot's ``displayName`` and ``basicId``; 401 for a bad token."""
        return await self._call("GET", f"{self.api}/v2/bot/info", token)

    async def profile(self, token: str, user_id: str) -> LineResult:
        """``GET /v2/bot/profile/{userId}``: ``displayName``, ``pictureUrl`` (404 when the user
        is not the bot's friend)."""
        return await self._call("GET", f"{self.api}/v2/bot/profile/{user_id}", token)

    async def webhook_endpoint(self, token: str) -> LineResult:
        """``GET /v2/bot/channel/webhook/endpoint``: the URL set in the LINE console and
        whether "Use webhook" is on (``{"endpoint", "active"}``)."""
        return await self._call("GET", f"{self.api}/v2/bot/channel/webhook/endpoint", token)

    async def test_webhook(self, token: str, endpoint: str) -> LineResult:
        """``POST /v2/bot/channel/webhook/test``: LINE posts a signed test webhook to
        ``endpoint`` and reports ``{"success", "timestamp", "statusCode", "reason",
        "detail"}``."""
        return await self._call(
            "POST", f"{self.api}/v2/bot/channel/webhook/test", token, {"endpoint": endpoint}
        )

    async def content(self, token: str, message_id: str, max_bytes: int) -> bytes:
        """Download what a user sent (it expires on LINE's side), whole. Raises LookupError
        (not there, or cut off), BodyTooLarge (over ``max_bytes``: no use trying again)."""
        url = f"{self.data}/v2/bot/message/{message_id}/content"
        # a 10 MB photo on a slow link takes longer than an API call: a minute at 1.4 Mbit/s
        timeout = aiohttp.ClientTimeout(total=120, connect=5, sock_read=30)
        headers = {"Authorization": f"Bearer {token}"}
        async with self._http().get(url, headers=headers, timeout=timeout) as resp:
            if resp.status != 200:
                raise LookupError(f"line content {message_id}: http {resp.status}")
            encoded = "Content-Encoding" in resp.headers  # then the length is not of the bytes
            try:
                return await read_limited(
                    resp.content, max_bytes, None if encoded else resp.content_length
                )
            except BodyIncomplete as exc:
                raise LookupError(f"line content {message_id}: {exc}") from exc
