"""Sending to Messenger and Instagram through the Graph API's Send API: protocol messages →
Send API ``message`` objects (made to Meta's limits), request bodies with the 24-hour window's
``messaging_type`` and a small async client (send, sender actions, downloads).

Wire format: developers.facebook.com/docs/messenger-platform/reference/send-api
(``POST /{version}/me/messages`` with ``recipient.id``, ``messaging_type`` RESPONSE or
MESSAGE_TAG with ``tag: HUMAN_AGENT``, ``message`` or ``sender_action``), the generic template
(developers.facebook.com/docs/messenger-platform/send-messages/template/generic: ≤ 10 elements,
title and subtitle ≤ 80 characters, ≤ 3 buttons), the button template (text ≤ 640 characters,
1-3 buttons), quick replies (≤ 13, title ≤ 20 characters, payload ≤ 1000), text ≤ 2000
characters; errors are ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``, and codes 4, 613 (and HTTP 429) mean "slow down"
(developers.facebook.com/docs/graph-api/overview/rate-limiting).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

import aiohttp

from relay import line as ln
from relay import protocol as p
from relay.bodies import BodyIncomplete, read_limited
from relay.meta import OURS, TEXT_BUTTON

API_BASE = "https://graph.facebook.com"
API_VERSION = "v21.0"
TIMEOUT = 15.0

MAX_TEXT = 2000
MAX_ELEMENTS = 10
MAX_TITLE = 80
MAX_SUBTITLE = 80
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_TEXT = 640
MAX_QUICK_REPLIES = 13
MAX_QUICK_TITLE = 20
MAX_PAYLOAD = 1000
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
WINDOW = 24 * 3600.0  # the standard messaging window
HUMAN_AGENT_WINDOW = 7 * 24 * 3600.0  # a person may still answer, with the HUMAN_AGENT tag


PRIVATE_REPLY_WINDOW = 7 * 24 * 3600.0  # Meta takes a comment's private reply this long
PRIVATE_REPLY_TOO_LATE = (
    "ความเห็นนี้เก่ากว่า 7 วันแล้ว Meta ไม่ให้ตอบกลับแบบส่วนตัว ทักลูกค้าทางแชทแทน"
    " / This comment is over 7 days old: Meta allows no private reply to it any more;"
    " write to the shopper in a chat instead"
)
PRIVATE_REPLY_KINDS = (
    "ตอบความเห็นแบบส่วนตัวได้ครั้งเดียว เป็นข้อความหรือข้อความพร้อมปุ่ม (ไม่เกิน 3 ปุ่ม)"
    " / A private reply to a comment is one message: text, or text with at most 3 buttons"
)


class MetaRefused(ValueError):
    """A message Meta would refuse that the relay cannot fix; ``str`` says why (Thai, English)."""


def api_base() -> str:
    """``MINICHAT_META_API_BASE`` (tests point it at a local server), else the Graph API."""
    return (os.environ.get("MINICHAT_META_API_BASE") or API_BASE).rstrip("/")


def messaging(age: float | None, human: bool) -> dict[str, str] | None:
    """The ``messaging_type`` (and ``tag``) for a message to a shopper whose last message is
    ``age`` seconds old (None: never wrote); None when Meta allows no message now."""
    if age is None:
        return None
    if age <= WINDOW:
        return {"messaging_type": "RESPONSE"}
    if human and age <= HUMAN_AGENT_WINDOW:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    return None


def window_refusal(age: float | None, human: bool) -> str:
    """Why nothing may be sent now (the desktop shows it), Thai then English."""
    if age is None:
        return (
            "ลูกค้ายังไม่เคยทักมา ร้านส่งข้อความหาก่อนไม่ได้"
            " / The shopper has not written to the page: Meta lets the shop answer only"
        )
    if age > HUMAN_AGENT_WINDOW or human:
        return (
            "ลูกค้าทักมาเกิน 7 วันแล้ว ส่งได้อีกครั้งเมื่อลูกค้าทักมาใหม่"
            " / The shopper's last message is over 7 days old: Meta allows no message until"
            " they write again"
        )
    return (
        "ลูกค้าทักมาเกิน 24 ชั่วโมงแล้ว บอทและบรอดแคสต์ส่งไม่ได้ ให้พนักงานตอบเอง (ภายใน 7 วัน)"
        " / The shopper's last message is over 24 hours old: only a person may answer now"
        " (within 7 days), not the bot or a broadcast"
    )


# ---------------------------------------------------------------------------------------------
# Messages out


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters as Meta counts them (code points: a Thai
    vowel mark is one), cut between grapheme clusters with "…"."""
    return ln.shorten_units(text.strip() or "…", limit, len)


def _button(b: p.Button) -> dict[str, Any]:
    title = _cut(b.label, MAX_BUTTON_TITLE)
    if b.action is p.ButtonAction.URL:
        return {"type": "web_url", "url": b.url or "", "title": title}
    return {"type": "postback", "title": title, "payload": _payload(b)}


def _payload(b: p.Button) -> str:
    payload = b.data or "" if b.action is p.ButtonAction.POSTBACK else TEXT_BUTTON + (b.text or "")
    if len(payload) > MAX_PAYLOAD:
        raise MetaRefused(
            f"ข้อมูลของปุ่ม “{b.label}” ยาวเกิน {MAX_PAYLOAD} ตัวอักษร"
            f" / button “{b.label}”: data longer than {MAX_PAYLOAD} characters"
        )
    return payload or "-"


def _quick(b: p.Button) -> dict[str, Any]:
    return {"content_type": "text", "title": _cut(b.label, MAX_QUICK_TITLE), "payload": _payload(b)}


def _texts(text: str) -> list[dict[str, Any]]:
    return [{"text": part} for part in ln.split_text(text, MAX_TEXT) if part.strip()]


def _element(card: p.Card) -> dict[str, Any]:
    price = ln._baht(card.price_satang)
    if card.compare_at_satang and card.compare_at_satang > card.price_satang:
        price += f" (ปกติ {ln._baht(card.compare_at_satang)})"
    parts = [price, card.subtitle or ""]
    if not card.in_stock:
        parts.append("สินค้าหมด / Out of stock")
    el: dict[str, Any] = {
        "title": _cut(card.title, MAX_TITLE),
        "subtitle": _cut(" · ".join(x for x in parts if x), MAX_SUBTITLE),
    }
    if card.image_url and card.image_url.startswith("https://"):
        el["image_url"] = card.image_url
    if card.buttons:
        el["buttons"] = [_button(b) for b in card.buttons[:MAX_BUTTONS]]
    return el


def _template(payload: dict[str, Any]) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": payload}}


def _cards(b: p.ProductCard | p.Carousel) -> list[dict[str, Any]]:
    cards = (b.card,) if isinstance(b, p.ProductCard) else b.cards
    out = _texts(b.text) if isinstance(b, p.Carousel) and b.text else []
    for i in range(0, len(cards), MAX_ELEMENTS):
        elements = [_element(c) for c in cards[i : i + MAX_ELEMENTS]]
        out.append(_template({"template_type": "generic", "elements": elements}))
    return out


def _buttons(text: str, buttons: tuple[p.Button, ...]) -> list[dict[str, Any]]:
    """A button template (≤ 3 buttons); more without links become quick replies."""
    if len(buttons) <= MAX_BUTTONS:
        shown = _cut(text, MAX_BUTTON_TEXT)
        return [
            _template(
                {"template_type": "button", "text": shown, "buttons": [_button(b) for b in buttons]}
            )
        ]
    if any(b.action is p.ButtonAction.URL for b in buttons):
        raise MetaRefused(
            f"Messenger แสดงปุ่มได้ไม่เกิน {MAX_BUTTONS} ปุ่ม ({len(buttons)} ปุ่ม)"
            f" / Messenger shows at most {MAX_BUTTONS} buttons ({len(buttons)} given)"
        )
    out = _texts(text)
    out[-1]["quick_replies"] = [_quick(b) for b in buttons]
    return out


def _cart(b: p.CartSummary) -> list[dict[str, Any]]:
    lines = ["ตะกร้าสินค้า / Cart"]
    for it in b.items[:20]:
        name = it.name + (f" ({it.variant})" if it.variant else "")
        lines.append(f"{name} × {it.quantity}  {ln._baht(it.line_total_satang)}")
    if b.discount_satang:
        lines.append(f"ส่วนลด / Discount  {ln._baht(abs(b.discount_satang))}")
    if b.shipping_satang:
        lines.append(f"ค่าส่ง / Shipping  {ln._baht(b.shipping_satang)}")
    lines.append(f"ยอดสุทธิ / Total  {ln._baht(b.total_satang)}")
    text = "\n".join(lines)
    return _buttons(text, b.buttons) if b.buttons else _texts(text)


def to_meta_messages(message: p.Message, image_url: str | None = None) -> list[dict[str, Any]]:
    """Send API ``message`` objects for one protocol message, in order (empty: nothing to show
    on Meta). ``image_url`` is where Meta fetches an image message's picture (the relay's copy).
    Raises :class:`MetaRefused` for what cannot be made to fit."""
    b = message.body
    out: list[dict[str, Any]]
    if isinstance(b, p.Text):
        out = _texts(b.text)
    elif isinstance(b, p.Image):
        url = image_url or b.url
        if not url:
            raise MetaRefused("ไม่พบรูปนี้บนรีเลย์ / the picture is not on the relay")
        image = {"type": "image", "payload": {"url": url, "is_reusable": True}}
        out = [{"attachment": image}, *(_texts(b.caption) if b.caption else [])]
    elif isinstance(b, p.ProductCard | p.Carousel):
        out = _cards(b)
    elif isinstance(b, p.Buttons):
        out = _buttons(b.text, b.buttons)
    elif isinstance(b, p.CartSummary):
        out = _cart(b)
    elif isinstance(b, p.OrderStatus):
        out = _texts(ln._order_status_text(b))
    elif isinstance(b, p.Takeover):
        out = _texts(b.text) if b.text else []
    else:
        return []
    if message.quick_replies and out:
        quick = [_quick(q) for q in message.quick_replies[:MAX_QUICK_REPLIES]]
        out[-1] = {**out[-1], "quick_replies": quick}
    for m in out:
        m["metadata"] = OURS + message.id
    return out


def request_body(
    conversation: str, kind: dict[str, str], message: dict[str, Any]
) -> dict[str, Any]:
    """A Send API body: to the shopper of ``messenger:``/``instagram:<id>`` with the window's
    ``messaging_type``, or, for ``comment:<comment_id>``, the private reply to that comment
    (``recipient: {"comment_id": …}``, no messaging type: developers.facebook.com/documentation/
    business-messaging/messenger-platform/discovery/private-replies)."""
    channel, user_id = conversation.split(":", 1)
    if channel + ":" == p.COMMENT_PREFIX:
        return {"recipient": {"comment_id": user_id}, "message": message}
    return {"recipient": {"id": user_id}, **kind, "message": message}


# ---------------------------------------------------------------------------------------------
# The client


@dataclass(frozen=True, slots=True)
class MetaResult:
    """The Graph API's answer: status and JSON body (``{"recipient_id", "message_id"}``, or
    ``{"error": {...}}``)."""

    status: int
    body: Any

    @property
    def error(self) -> dict[str, Any]:
        err = self.body.get("error") if isinstance(self.body, dict) else None
        return err if isinstance(err, dict) else {}

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.error

    @property
    def code(self) -> int | None:
        code = self.error.get("code")
        return code if isinstance(code, int) else None

    @property
    def message_id(self) -> str:
        mid = self.body.get("message_id") if isinstance(self.body, dict) else None
        return mid if isinstance(mid, str) else ""

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.code in RATE_LIMIT_CODES

    def describe(self) -> str:
        """Meta's error as the desktop shows it: code and Meta's own words."""
        text = str(self.error.get("message") or "")[:200]
        return f"code {self.code}: {text}" if self.code is not None else f"http {self.status}"


def appsecret_proof(app_secret: str, token: str) -> str:
    """Meta's ``appsecret_proof``: hex HMAC-SHA256 of the access token keyed by the app secret
    (developers.facebook.com/docs/graph-api/security). Sent with every Graph API call: an app
    with "Require App Secret" switched on refuses calls without it (error 100), and Meta checks
    it whenever it is given."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def proof_params(token: str, secret: str | None) -> dict[str, str]:
    return {} if not secret else {"appsecret_proof": appsecret_proof(secret, token)}


class MetaClient:
    """A thin async client for one relay process (one HTTP connection pool for all shops)."""

    def __init__(self) -> None:
        self.base = api_base()
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=TIMEOUT, connect=5)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self, token: str, body: dict[str, Any], node: str = "me", secret: str | None = None
    ) -> MetaResult:
        """``POST /{version}/{node}/messages`` (a message or a ``sender_action``): ``me`` is
        the Page of the token; an Instagram private reply goes to ``/{ig-account-id}/messages``
        (developers.facebook.com/docs/instagram-platform/private-replies). With the app's
        ``secret``, the call carries its ``appsecret_proof`` (see :func:`appsecret_proof`)."""
        url = f"{self.base}/{API_VERSION}/{node}/messages"
        headers = {"Authorization": f"Bearer {token}"}
        params = proof_params(token, secret)
        async with self._http().post(url, json=body, headers=headers, params=params) as resp:
            try:
                data = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                data = None
            return MetaResult(resp.status, data)

    async def get(
        self, token: str, path: str, params: dict[str, str], secret: str | None = None
    ) -> MetaResult:
        """``GET {base}{path}`` of the Graph API (a user's profile), with the page token (and,
        with the app's ``secret``, its ``appsecret_proof``)."""
        headers = {"Authorization": f"Bearer {token}"}
        query = {**params, **proof_params(token, secret)}
        async with self._http().get(self.base + path, params=query, headers=headers) as resp:
            try:
                data = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                data = None
            return MetaResult(resp.status, data)

    async def download(self, url: str, max_bytes: int) -> bytes:
        """What a shopper sent, from Meta's CDN, whole (the URL expires soon). Raises
        LookupError (gone or cut off), BodyTooLarge (over ``max_bytes``)."""
        timeout = aiohttp.ClientTimeout(total=120, connect=5, sock_read=30)
        async with self._http().get(url, timeout=timeout) as resp:
            if resp.status != 200:
                raise LookupError(f"meta attachment: http {resp.status}")
            encoded = "Content-Encoding" in resp.headers
            try:
                return await read_limited(
                    resp.content, max_bytes, None if encoded else resp.content_length
                )
            except BodyIncomplete as exc:
                raise LookupError(f"meta attachment: {exc}") from exc
