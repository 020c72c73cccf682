"""The MiniChat wire protocol: the one definition that the relay, the desktop and the tests use.

Sans-I/O and stdlib-only. Text in (``str`` or UTF-8 ``bytes``) → a validated frozen dataclass
or a :class:`ProtocolError` out; frame objects → compact JSON text out (:func:`encode`).
``docs/protocol.md`` describes every frame in prose; this module is what enforces it.

There are four directions, each with its own decoder, so a peer can never be tricked into
accepting a frame that only the other side may send:

- :func:`decode_desktop_frame` — what a shop's desktop sends to the relay;
- :func:`decode_to_desktop` — what the relay sends to the desktop;
- :func:`decode_widget_frame` — what a shopper's widget sends to the relay;
- :func:`decode_to_widget` — what the relay sends to the widget.

Every decoder raises :class:`ProtocolError` (never ``KeyError``/``TypeError``) with a short
lower-case message naming the bad field, e.g. ``"message.text: too long (max 5000)"``. A frame
of a type this version does not know raises its subclass :class:`UnknownFrame`, which a peer
skips (docs/protocol.md §9). Every string anywhere in a frame must be valid Unicode: a lone
UTF-16 surrogate (JSON ``"\\ud800"``) is a ``bad_frame``. String lengths count UTF-16 code
units, as JavaScript's ``String.length`` and LINE do (:func:`utf16_len`), so an emoji counts 2.
:func:`ref_of` finds the id a refused frame carried, to answer it by that id.

How a connection behaves (handshake, bad-frame policy, close codes, reconnecting) lives in
:mod:`relay.protocol.connection`, sans-I/O as well.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

PROTOCOL_VERSION = 1
"""The version this module speaks. Peers offer a list in ``hello``; the relay picks the highest
one both know and names it in ``welcome``."""

SUPPORTED_VERSIONS: frozenset[int] = frozenset({1})

RIDE = "ride"
"""Optional feature (docs/adr/0011-fewer-frames.md), offered in ``hello`` ``features`` and
granted in ``welcome`` ``features``: acknowledgements ride inside the next ``send`` (``ack``,
``read``), and the relay lets small frames it holds back for a moment ride on the next frame
to the same socket, in its ``with`` list (processed before the frame that carries them)."""

FEATURES: frozenset[str] = frozenset({RIDE})
"""The optional features this module speaks (any other offered name is ignored)."""

RIDERS = "with"
"""The key of the frames that ride on a relay frame (only after :data:`RIDE` was granted)."""
MAX_RIDERS = 64
"""At most this many frames ride on one (the relay sends what it holds before it has more)."""

MAX_TEXT = 5000  # LINE's limit for a text message; the widget uses the same
MAX_ID = 64
MAX_LABEL = 40
MAX_DATA = 300  # LINE's postback data limit
MAX_URL = 2000
MAX_CARDS = 12  # LINE's carousel limit
MAX_BUTTONS = 4
MAX_QUICK_REPLIES = 13  # LINE's quick reply limit
MAX_CART_ITEMS = 100
MAX_RECEIPT_IDS = 500
MAX_HISTORY = 200
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # a picture up or down: slips 0.2-5 MB, phone photos ~8 MB

_ID_RE = re.compile(r"^[A-Za-z0-9._:~-]{1,64}$")
_CONV_RE = re.compile(
    r"^(widget:[A-Za-z0-9_-]{8,64}|line:U[0-9a-f]{32}|(messenger|instagram):[0-9]{1,40}"
    r"|comment:[0-9]{1,40}(_[0-9]{1,40})?)$"
)
META_CHANNELS = ("messenger:", "instagram:")  # Meta's conversations: <PSID> / <IGSID>
# ``comment:<comment_id>``: not a conversation but the address of a Page comment's one private
# reply (the desktop sends to it; nothing comes from it)
COMMENT_PREFIX = "comment:"
_META_IDS = "messenger:<PSID>, instagram:<IGSID> or comment:<comment_id>"
_PHONE_RE = re.compile(r"^(\+66|0)[0-9]{8,9}$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_ORIGIN_RE = re.compile(r"^(\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)$")


class ProtocolError(ValueError):
    """A frame that does not follow the protocol. ``code`` is the error code to send back."""

    def __init__(self, message: str, code: str = "bad_frame") -> None:
        super().__init__(message)
        self.code = code


class UnknownFrame(ProtocolError):
    """A well-formed frame of a type this direction does not know (a newer peer's): skipped,
    never fatal. ``type`` is the frame's type (cut to 40 characters); ``seq`` its stream
    position when it carried one (a stream item the receiver may acknowledge past)."""

    def __init__(self, ftype: str, seq: int | None = None) -> None:
        super().__init__(f"type: unknown frame type {ftype!r}")
        self.type = ftype
        self.seq = seq


def utf16_len(text: str) -> int:
    """The length of ``text`` in UTF-16 code units: how JavaScript, the widget's ``maxlength``
    and LINE count (an emoji outside the BMP counts 2). Every length limit here uses it."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit_text(text: str, max_units: int = MAX_TEXT) -> str:
    """``text`` cut to at most ``max_units`` UTF-16 units (default :data:`MAX_TEXT`), between
    code points (never inside a surrogate pair), with no combining mark left without its
    letter at the cut."""
    if utf16_len(text) <= max_units:
        return text
    units, end = 0, 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > max_units:
            end = i
            break
    while end > 0 and unicodedata.category(text[end]) in ("Mn", "Mc", "Me"):
        end -= 1  # keep a letter and its marks together
    return text[:end]


def lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a UTF-16 surrogate code point (half of a pair, alone): not
    Unicode text — it cannot be stored, encoded as UTF-8 or shown."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --------------------------------------------------------------------------------------------
# Small validators. ``where`` is the dotted path used in error messages.


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj or obj[key] is None:
        raise ProtocolError(f"{where}{key}: missing")
    return obj[key]


def _str(
    obj: Mapping[str, Any],
    key: str,
    where: str = "",
    *,
    max_len: int = MAX_TEXT,
    required: bool = True,
    allow_empty: bool = False,
) -> Any:
    if not required and obj.get(key) is None:
        return None
    value = _get(obj, key, where)
    if not isinstance(value, str):
        raise ProtocolError(f"{where}{key}: must be a string")
    if not allow_empty and not value.strip():
        raise ProtocolError(f"{where}{key}: must not be empty")
    if utf16_len(value) > max_len:
        raise ProtocolError(f"{where}{key}: too long (max {max_len})")
    return value


def _id(obj: Mapping[str, Any], key: str, where: str = "") -> str:
    value = _get(obj, key, where)
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ProtocolError(f"{where}{key}: must be 1-64 characters of A-Z a-z 0-9 . _ : ~ -")
    return value


def _int(
    obj: Mapping[str, Any],
    key: str,
    where: str = "",
    *,
    lo: int = 0,
    hi: int = 2**53,
    required: bool = True,
) -> Any:
    if not required and obj.get(key) is None:
        return None
    value = _get(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{where}{key}: must be an integer")
    if not lo <= value <= hi:
        raise ProtocolError(f"{where}{key}: out of range ({lo}..{hi})")
    return value


def _float(obj: Mapping[str, Any], key: str, where: str, lo: float, hi: float) -> float:
    value = _get(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{where}{key}: must be a number")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ProtocolError(f"{where}{key}: out of range ({lo}..{hi})")
    return float(value)


def _bool(obj: Mapping[str, Any], key: str, where: str = "") -> bool:
    value = _get(obj, key, where)
    if not isinstance(value, bool):
        raise ProtocolError(f"{where}{key}: must be true or false")
    return value


def _list(
    obj: Mapping[str, Any], key: str, where: str, max_items: int, *, required: bool = True
) -> list[Any]:
    if not required and obj.get(key) is None:
        return []
    value = _get(obj, key, where)
    if not isinstance(value, list):
        raise ProtocolError(f"{where}{key}: must be a list")
    if len(value) > max_items:
        raise ProtocolError(f"{where}{key}: too many items (max {max_items})")
    return value


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"{where}: must be an object")
    return value


def _url(obj: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Any:
    value = _str(obj, key, where, max_len=MAX_URL, required=required)
    if value is not None and not value.startswith(("https://", "http://")):
        raise ProtocolError(f"{where}{key}: must be an http(s) url")
    return value


E = TypeVar("E", bound=StrEnum)


def _enum[E: StrEnum](obj: Mapping[str, Any], key: str, enum: type[E], where: str = "") -> E:
    value = _get(obj, key, where)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ProtocolError(f"{where}{key}: must be one of {allowed}") from None


def _conversation(obj: Mapping[str, Any], key: str = "conversation", where: str = "") -> str:
    value = _get(obj, key, where)
    if not isinstance(value, str) or not _CONV_RE.match(value):
        raise ProtocolError(f"{where}{key}: must be widget:<session>, line:<userId>, {_META_IDS}")
    return value


def _drop_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None and v != [] and v != {}}


def is_conversation_id(value: str) -> bool:
    """Whether ``value`` is a well-formed conversation id (``widget:…``, ``line:U…``,
    ``messenger:<PSID>`` or ``instagram:<IGSID>``)."""
    return bool(_CONV_RE.match(value))


def is_valid_id(value: str) -> bool:
    """Whether ``value`` is a well-formed message or request id."""
    return bool(_ID_RE.match(value))


# --------------------------------------------------------------------------------------------
# Enums


class Kind(StrEnum):
    """What a message is. Shoppers send the first six; shops send the rest and text/image."""

    TEXT = "text"
    IMAGE = "image"
    STICKER = "sticker"
    LOCATION = "location"
    POSTBACK = "postback"
    CONTACT = "contact"
    PRODUCT_CARD = "product_card"
    CAROUSEL = "carousel"
    BUTTONS = "buttons"
    CART = "cart"
    ORDER_STATUS = "order_status"
    TAKEOVER = "takeover"


SHOPPER_KINDS = frozenset(
    {Kind.TEXT, Kind.IMAGE, Kind.STICKER, Kind.LOCATION, Kind.POSTBACK, Kind.CONTACT}
)
"""Kinds a shopper may send (through the widget or LINE)."""
WIDGET_SEND_KINDS = frozenset({Kind.TEXT, Kind.IMAGE, Kind.POSTBACK, Kind.CONTACT})
"""Kinds the widget itself may send (stickers and locations only come from LINE)."""
SHOP_KINDS = frozenset(
    {
        Kind.TEXT,
        Kind.IMAGE,
        Kind.PRODUCT_CARD,
        Kind.CAROUSEL,
        Kind.BUTTONS,
        Kind.CART,
        Kind.ORDER_STATUS,
        Kind.TAKEOVER,
    }
)
"""Kinds a shop (its desktop, people or bot) may send to a shopper."""


class ButtonAction(StrEnum):
    POSTBACK = "postback"  # sends ``data`` back to the shop as a postback message
    MESSAGE = "message"  # sends ``text`` as if the shopper had typed it
    URL = "url"  # opens ``url`` in a new tab


class OrderState(StrEnum):
    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class TakeoverState(StrEnum):
    STARTED = "started"
    ENDED = "ended"


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"


class ReceiptStatus(StrEnum):
    SENT = "sent"  # LINE accepted the message (reply or push)
    DELIVERED = "delivered"  # the widget has it / the desktop has it
    READ = "read"  # a person has seen it
    FAILED = "failed"  # will never be delivered; ``reason`` says why


class ConversationEvent(StrEnum):
    FOLLOW = "follow"  # a LINE user added (or unblocked) the shop's account
    UNFOLLOW = "unfollow"  # a LINE user blocked the shop's account


class Origin(StrEnum):
    SHOPPER = "shopper"
    SHOP = "shop"


# --------------------------------------------------------------------------------------------
# Message bodies


@dataclass(frozen=True, slots=True)
class Button:
    """A button on a card, in a buttons message, or a quick reply."""

    label: str
    action: ButtonAction
    data: str | None = None
    text: str | None = None
    url: str | None = None

    @classmethod
    def from_obj(cls, raw: Any, where: str) -> Button:
        obj = _obj(raw, where.rstrip("."))
        action = _enum(obj, "action", ButtonAction, where)
        label = _str(obj, "label", where, max_len=MAX_LABEL)
        if action is ButtonAction.POSTBACK:
            return cls(label, action, data=_str(obj, "data", where, max_len=MAX_DATA))
        if action is ButtonAction.MESSAGE:
            return cls(label, action, text=_str(obj, "text", where, max_len=300))
        return cls(label, action, url=_url(obj, "url", where))

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "label": self.label,
                "action": self.action.value,
                "data": self.data,
                "text": self.text,
                "url": self.url,
            }
        )


def _buttons(obj: Mapping[str, Any], key: str, where: str, max_items: int) -> tuple[Button, ...]:
    items = _list(obj, key, where, max_items, required=False)
    return tuple(Button.from_obj(b, f"{where}{key}[{i}].") for i, b in enumerate(items))


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    KIND: ClassVar[Kind] = Kind.TEXT

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Text:
        return cls(_str(obj, "text", where))

    def to_obj(self) -> dict[str, Any]:
        return {"text": self.text}


@dataclass(frozen=True, slots=True)
class Image:
    """A picture: a payment slip from a shopper, or a photo from the shop.

    ``media_id`` names a file stored on the relay (uploaded by the widget, fetched from LINE, or
    uploaded by the desktop); ``url`` is where to fetch it. The relay fills ``url`` in for
    ``media_id`` images it forwards; a shop may send ``url`` alone for an image hosted elsewhere.
    """

    media_id: str | None = None
    url: str | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    size: int | None = None
    caption: str | None = None
    KIND: ClassVar[Kind] = Kind.IMAGE

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Image:
        media_id = None
        if obj.get("media_id") is not None:
            media_id = _id(obj, "media_id", where)
        url = _url(obj, "url", where, required=False)
        if media_id is None and url is None:
            raise ProtocolError(f"{where}media_id: missing (or give url)")
        mime = _str(obj, "mime", where, max_len=40, required=False)
        if mime is not None and mime not in ("image/jpeg", "image/png", "image/webp", "image/gif"):
            raise ProtocolError(
                f"{where}mime: must be image/jpeg, image/png, image/webp or image/gif"
            )
        return cls(
            media_id=media_id,
            url=url,
            mime=mime,
            width=_int(obj, "width", where, lo=1, hi=100_000, required=False),
            height=_int(obj, "height", where, lo=1, hi=100_000, required=False),
            size=_int(obj, "size", where, lo=1, required=False),
            caption=_str(obj, "caption", where, max_len=1000, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "media_id": self.media_id,
                "url": self.url,
                "mime": self.mime,
                "width": self.width,
                "height": self.height,
                "size": self.size,
                "caption": self.caption,
            }
        )


@dataclass(frozen=True, slots=True)
class Sticker:
    """A LINE sticker. ``text`` is LINE's description of it, when LINE gives one."""

    package_id: str
    sticker_id: str
    keywords: tuple[str, ...] = ()
    text: str | None = None
    KIND: ClassVar[Kind] = Kind.STICKER

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Sticker:
        kws = _list(obj, "keywords", where, 50, required=False)
        keywords = []
        for i, k in enumerate(kws):
            if not isinstance(k, str) or len(k) > 100:
                raise ProtocolError(f"{where}keywords[{i}]: must be a short string")
            keywords.append(k)
        return cls(
            package_id=_str(obj, "package_id", where, max_len=MAX_ID),
            sticker_id=_str(obj, "sticker_id", where, max_len=MAX_ID),
            keywords=tuple(keywords),
            text=_str(obj, "text", where, max_len=500, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "package_id": self.package_id,
                "sticker_id": self.sticker_id,
                "keywords": list(self.keywords),
                "text": self.text,
            }
        )


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None
    KIND: ClassVar[Kind] = Kind.LOCATION

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Location:
        return cls(
            latitude=_float(obj, "latitude", where, -90.0, 90.0),
            longitude=_float(obj, "longitude", where, -180.0, 180.0),
            title=_str(obj, "title", where, max_len=200, required=False),
            address=_str(obj, "address", where, max_len=500, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "latitude": self.latitude,
                "longitude": self.longitude,
                "title": self.title,
                "address": self.address,
            }
        )


@dataclass(frozen=True, slots=True)
class Postback:
    """A shopper pressed a postback button or quick reply. ``label`` is what the button said."""

    data: str
    label: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    KIND: ClassVar[Kind] = Kind.POSTBACK

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Postback:
        raw = obj.get("params") or {}
        params = _obj(raw, f"{where}params")
        if len(params) > 10:
            raise ProtocolError(f"{where}params: too many items (max 10)")
        pairs = []
        for k, v in params.items():
            if not isinstance(v, str) or len(k) > 40 or len(v) > 100:
                raise ProtocolError(f"{where}params.{k[:40]}: must be a short string")
            pairs.append((k, v))
        return cls(
            data=_str(obj, "data", where, max_len=MAX_DATA),
            label=_str(obj, "label", where, max_len=MAX_LABEL, required=False),
            params=tuple(sorted(pairs)),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none({"data": self.data, "label": self.label, "params": dict(self.params)})


@dataclass(frozen=True, slots=True)
class Contact:
    """The away form: a shopper left a phone number for the shop to call back."""

    phone: str
    name: str | None = None
    note: str | None = None
    KIND: ClassVar[Kind] = Kind.CONTACT

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Contact:
        phone = _str(obj, "phone", where, max_len=20)
        digits = re.sub(r"[\s-]", "", phone)
        if not _PHONE_RE.match(digits):
            raise ProtocolError(f"{where}phone: must be a thai phone number like 0812345678")
        return cls(
            phone=digits,
            name=_str(obj, "name", where, max_len=100, required=False),
            note=_str(obj, "note", where, max_len=1000, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none({"phone": self.phone, "name": self.name, "note": self.note})


@dataclass(frozen=True, slots=True)
class Card:
    """One product card. Money is integer satang (฿1 = 100 satang)."""

    product_id: str
    title: str
    price_satang: int
    subtitle: str | None = None
    image_url: str | None = None
    compare_at_satang: int | None = None
    in_stock: bool = True
    buttons: tuple[Button, ...] = ()

    @classmethod
    def from_obj(cls, raw: Any, where: str) -> Card:
        obj = _obj(raw, where.rstrip("."))
        in_stock = obj.get("in_stock", True)
        if not isinstance(in_stock, bool):
            raise ProtocolError(f"{where}in_stock: must be true or false")
        return cls(
            product_id=_id(obj, "product_id", where),
            title=_str(obj, "title", where, max_len=200),
            price_satang=_int(obj, "price_satang", where, hi=10**12),
            subtitle=_str(obj, "subtitle", where, max_len=300, required=False),
            image_url=_url(obj, "image_url", where, required=False),
            compare_at_satang=_int(obj, "compare_at_satang", where, hi=10**12, required=False),
            in_stock=in_stock,
            buttons=_buttons(obj, "buttons", where, 3),
        )

    def to_obj(self) -> dict[str, Any]:
        out = _drop_none(
            {
                "product_id": self.product_id,
                "title": self.title,
                "price_satang": self.price_satang,
                "subtitle": self.subtitle,
                "image_url": self.image_url,
                "compare_at_satang": self.compare_at_satang,
                "buttons": [b.to_obj() for b in self.buttons],
            }
        )
        out["in_stock"] = self.in_stock
        return out


@dataclass(frozen=True, slots=True)
class ProductCard:
    card: Card
    KIND: ClassVar[Kind] = Kind.PRODUCT_CARD

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> ProductCard:
        return cls(Card.from_obj(_get(obj, "card", where), f"{where}card."))

    def to_obj(self) -> dict[str, Any]:
        return {"card": self.card.to_obj()}


@dataclass(frozen=True, slots=True)
class Carousel:
    cards: tuple[Card, ...]
    text: str | None = None
    KIND: ClassVar[Kind] = Kind.CAROUSEL

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Carousel:
        cards = _list(obj, "cards", where, MAX_CARDS)
        if not cards:
            raise ProtocolError(f"{where}cards: must not be empty")
        return cls(
            cards=tuple(Card.from_obj(c, f"{where}cards[{i}].") for i, c in enumerate(cards)),
            text=_str(obj, "text", where, max_len=1000, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none({"cards": [c.to_obj() for c in self.cards], "text": self.text})


@dataclass(frozen=True, slots=True)
class Buttons:
    text: str
    buttons: tuple[Button, ...]
    KIND: ClassVar[Kind] = Kind.BUTTONS

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Buttons:
        buttons = _buttons(obj, "buttons", where, MAX_BUTTONS)
        if not buttons:
            raise ProtocolError(f"{where}buttons: must not be empty")
        return cls(_str(obj, "text", where, max_len=1000), buttons)

    def to_obj(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [b.to_obj() for b in self.buttons]}


@dataclass(frozen=True, slots=True)
class CartItem:
    name: str
    quantity: int
    unit_price_satang: int
    line_total_satang: int
    variant: str | None = None

    @classmethod
    def from_obj(cls, raw: Any, where: str) -> CartItem:
        obj = _obj(raw, where.rstrip("."))
        return cls(
            name=_str(obj, "name", where, max_len=200),
            quantity=_int(obj, "quantity", where, lo=1, hi=100_000),
            unit_price_satang=_int(obj, "unit_price_satang", where, hi=10**12),
            line_total_satang=_int(obj, "line_total_satang", where, hi=10**14),
            variant=_str(obj, "variant", where, max_len=200, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "name": self.name,
                "quantity": self.quantity,
                "unit_price_satang": self.unit_price_satang,
                "line_total_satang": self.line_total_satang,
                "variant": self.variant,
            }
        )


@dataclass(frozen=True, slots=True)
class CartSummary:
    """The shopper's cart as the shop's desktop computed it (the relay does no arithmetic)."""

    items: tuple[CartItem, ...]
    subtotal_satang: int
    total_satang: int
    discount_satang: int = 0
    shipping_satang: int = 0
    buttons: tuple[Button, ...] = ()
    KIND: ClassVar[Kind] = Kind.CART

    @property
    def count(self) -> int:
        """Number of pieces in the cart (what the widget's badge shows)."""
        return sum(i.quantity for i in self.items)

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> CartSummary:
        items = _list(obj, "items", where, MAX_CART_ITEMS)
        return cls(
            items=tuple(CartItem.from_obj(it, f"{where}items[{i}].") for i, it in enumerate(items)),
            subtotal_satang=_int(obj, "subtotal_satang", where, hi=10**14),
            total_satang=_int(obj, "total_satang", where, hi=10**14),
            discount_satang=_int(obj, "discount_satang", where, hi=10**14, required=False) or 0,
            shipping_satang=_int(obj, "shipping_satang", where, hi=10**14, required=False) or 0,
            buttons=_buttons(obj, "buttons", where, MAX_BUTTONS),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "items": [i.to_obj() for i in self.items],
                "subtotal_satang": self.subtotal_satang,
                "discount_satang": self.discount_satang,
                "shipping_satang": self.shipping_satang,
                "total_satang": self.total_satang,
                "buttons": [b.to_obj() for b in self.buttons],
            }
        )


@dataclass(frozen=True, slots=True)
class OrderStatus:
    order_no: str
    status: OrderState
    total_satang: int
    status_label: str | None = None  # the shop's own words, e.g. "จัดส่งแล้ว"
    carrier: str | None = None
    tracking_no: str | None = None
    tracking_url: str | None = None
    note: str | None = None
    KIND: ClassVar[Kind] = Kind.ORDER_STATUS

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> OrderStatus:
        return cls(
            order_no=_str(obj, "order_no", where, max_len=40),
            status=_enum(obj, "status", OrderState, where),
            total_satang=_int(obj, "total_satang", where, hi=10**14),
            status_label=_str(obj, "status_label", where, max_len=100, required=False),
            carrier=_str(obj, "carrier", where, max_len=100, required=False),
            tracking_no=_str(obj, "tracking_no", where, max_len=60, required=False),
            tracking_url=_url(obj, "tracking_url", where, required=False),
            note=_str(obj, "note", where, max_len=1000, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "order_no": self.order_no,
                "status": self.status.value,
                "total_satang": self.total_satang,
                "status_label": self.status_label,
                "carrier": self.carrier,
                "tracking_no": self.tracking_no,
                "tracking_url": self.tracking_url,
                "note": self.note,
            }
        )


@dataclass(frozen=True, slots=True)
class Takeover:
    """A person at the shop took the chat over from the bot (started) or handed it back."""

    state: TakeoverState
    agent: str | None = None
    text: str | None = None  # shown to the shopper; also what LINE users get
    KIND: ClassVar[Kind] = Kind.TAKEOVER

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any], where: str) -> Takeover:
        return cls(
            state=_enum(obj, "state", TakeoverState, where),
            agent=_str(obj, "agent", where, max_len=100, required=False),
            text=_str(obj, "text", where, max_len=1000, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none({"state": self.state.value, "agent": self.agent, "text": self.text})


Body = (
    Text
    | Image
    | Sticker
    | Location
    | Postback
    | Contact
    | ProductCard
    | Carousel
    | Buttons
    | CartSummary
    | OrderStatus
    | Takeover
)

_BODIES: dict[Kind, Callable[[Mapping[str, Any], str], Body]] = {
    Kind.TEXT: Text.from_obj,
    Kind.IMAGE: Image.from_obj,
    Kind.STICKER: Sticker.from_obj,
    Kind.LOCATION: Location.from_obj,
    Kind.POSTBACK: Postback.from_obj,
    Kind.CONTACT: Contact.from_obj,
    Kind.PRODUCT_CARD: ProductCard.from_obj,
    Kind.CAROUSEL: Carousel.from_obj,
    Kind.BUTTONS: Buttons.from_obj,
    Kind.CART: CartSummary.from_obj,
    Kind.ORDER_STATUS: OrderStatus.from_obj,
    Kind.TAKEOVER: Takeover.from_obj,
}


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message. ``id`` is chosen by whoever wrote it and is unique in its
    conversation; a repeated id is the same message and is dropped. ``at`` is the relay's
    receive time (ISO 8601 UTC), filled in by the relay."""

    id: str
    body: Body
    quick_replies: tuple[Button, ...] = ()
    at: str | None = None

    @property
    def kind(self) -> Kind:
        return self.body.KIND

    @classmethod
    def from_obj(cls, raw: Any, allowed: frozenset[Kind], where: str = "message.") -> Message:
        obj = _obj(raw, where.rstrip("."))
        msg_id = _id(obj, "id", where)
        kind = _enum(obj, "kind", Kind, where)
        if kind not in allowed:
            raise ProtocolError(f"{where}kind: {kind.value} is not allowed here")
        body = _BODIES[kind](obj, where)
        quick = _buttons(obj, "quick_replies", where, MAX_QUICK_REPLIES)
        for i, q in enumerate(quick):
            if q.action is ButtonAction.URL:
                raise ProtocolError(f"{where}quick_replies[{i}].action: url is not allowed")
        at = _str(obj, "at", where, max_len=40, required=False)
        return cls(msg_id, body, quick, at)

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind.value}
        out.update(self.body.to_obj())
        if self.quick_replies:
            out["quick_replies"] = [q.to_obj() for q in self.quick_replies]
        if self.at is not None:
            out["at"] = self.at
        return out

    def with_at(self, at: str) -> Message:
        return Message(self.id, self.body, self.quick_replies, at)

    def with_body(self, body: Body) -> Message:
        return Message(self.id, body, self.quick_replies, self.at)


# --------------------------------------------------------------------------------------------
# Widget look and texts (pushed by the desktop, served to widgets)


@dataclass(frozen=True, slots=True)
class WidgetConfig:
    """How the widget looks and what it says. Texts come as Thai and English pairs."""

    shop_name: str = "ร้านค้า"
    color: str = "#06C755"
    position: str = "right"  # "right" or "left"
    logo_url: str | None = None
    welcome_th: str = "สวัสดีค่ะ มีอะไรให้ช่วยไหมคะ"
    welcome_en: str = "Hello! How can we help?"
    away_th: str = "ตอนนี้ร้านไม่อยู่ ฝากข้อความหรือเบอร์โทรไว้ได้เลย เราจะติดต่อกลับโดยเร็วค่ะ"
    away_en: str = (
        "We're away right now. Leave a message or your phone number and we'll get back to you soon."
    )
    language: str = "th"  # the widget's first language: "th" or "en"

    @classmethod
    def from_obj(cls, raw: Any, where: str = "config.") -> WidgetConfig:
        obj = _obj(raw, where.rstrip("."))
        d = cls()
        color = _str(obj, "color", where, max_len=7, required=False) or d.color
        if not _COLOR_RE.match(color):
            raise ProtocolError(f"{where}color: must look like #06C755")
        position = _str(obj, "position", where, max_len=5, required=False) or d.position
        if position not in ("right", "left"):
            raise ProtocolError(f"{where}position: must be right or left")
        language = _str(obj, "language", where, max_len=2, required=False) or d.language
        if language not in ("th", "en"):
            raise ProtocolError(f"{where}language: must be th or en")

        def text(key: str, default: str) -> str:
            value = _str(obj, key, where, max_len=1000, required=False)
            return default if value is None else value

        return cls(
            shop_name=text("shop_name", d.shop_name)[:100],
            color=color.upper(),
            position=position,
            logo_url=_url(obj, "logo_url", where, required=False),
            welcome_th=text("welcome_th", d.welcome_th),
            welcome_en=text("welcome_en", d.welcome_en),
            away_th=text("away_th", d.away_th),
            away_en=text("away_en", d.away_en),
            language=language,
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "shop_name": self.shop_name,
                "color": self.color,
                "position": self.position,
                "logo_url": self.logo_url,
                "welcome_th": self.welcome_th,
                "welcome_en": self.welcome_en,
                "away_th": self.away_th,
                "away_en": self.away_en,
                "language": self.language,
            }
        )


def parse_origins(values: list[Any], where: str = "origins") -> tuple[str, ...]:
    """Validate a list of allowed widget origins (``https://shop.example`` or ``*``)."""
    if len(values) > 50:
        raise ProtocolError(f"{where}: too many items (max 50)")
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, str) or not _ORIGIN_RE.match(v.rstrip("/")):
            raise ProtocolError(f"{where}[{i}]: must be an origin like https://shop.example or *")
        out.append(v.rstrip("/").lower())
    return tuple(dict.fromkeys(out))


# --------------------------------------------------------------------------------------------
# Frames. Each has TYPE, from_obj and to_obj. ``seq`` frames are stream items: the desktop
# acknowledges them (cumulatively) and gets them again after a reconnect until it does.


def _versions(obj: Mapping[str, Any]) -> tuple[int, ...]:
    raw = _list(obj, "protocol", "", 10)
    out = []
    for i, v in enumerate(raw):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ProtocolError(f"protocol[{i}]: must be an integer")
        out.append(v)
    if not out:
        raise ProtocolError("protocol: must not be empty")
    return tuple(out)


def _features(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The optional ``features`` list of a hello or welcome: names this module knows, in
    order; names it does not know are ignored (a newer peer may offer more)."""
    raw = _list(obj, "features", "", 20, required=False) or []
    return tuple(v for v in raw if isinstance(v, str) and v in FEATURES)


def _opt_seq(obj: Mapping[str, Any], key: str) -> int | None:
    """An optional riding acknowledgement (``ack``/``read`` in a ``send``)."""
    value: int | None = _int(obj, key, required=False)
    return value


def negotiate(offered: tuple[int, ...]) -> int:
    """The highest version both sides speak, or ProtocolError(code="unsupported_version")."""
    common = SUPPORTED_VERSIONS.intersection(offered)
    if not common:
        raise ProtocolError(
            f"protocol: none of {sorted(offered)} is supported (relay speaks"
            f" {sorted(SUPPORTED_VERSIONS)})",
            code="unsupported_version",
        )
    return max(common)


# ---- desktop → relay


@dataclass(frozen=True, slots=True)
class DesktopHello:
    """First frame on the desktop socket. ``after``: the last stream seq the desktop has stored
    (the relay resends everything after max(after, the last ack it recorded))."""

    protocol: tuple[int, ...] = (PROTOCOL_VERSION,)
    client: str | None = None
    after: int = 0
    presence: Presence = Presence.ONLINE
    features: tuple[str, ...] = ()  # optional features offered (:data:`FEATURES`)
    TYPE: ClassVar[str] = "hello"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> DesktopHello:
        presence = Presence.ONLINE
        if obj.get("presence") is not None:
            presence = _enum(obj, "presence", Presence)
        return cls(
            protocol=_versions(obj),
            client=_str(obj, "client", max_len=100, required=False),
            after=_int(obj, "after", required=False) or 0,
            presence=presence,
            features=_features(obj),
        )

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "type": self.TYPE,
                "protocol": list(self.protocol),
                "client": self.client,
                "after": self.after,
                "presence": self.presence.value,
                "features": list(self.features) if self.features else None,
            }
        )


@dataclass(frozen=True, slots=True)
class Ack:
    """Cumulative acknowledgement: the sender has durably stored every item up to ``seq``."""

    seq: int
    TYPE: ClassVar[str] = "ack"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Ack:
        return cls(_int(obj, "seq"))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "seq": self.seq}


@dataclass(frozen=True, slots=True)
class Send:
    """The shop sends a message into a conversation. The relay answers ``accepted`` once it has
    stored it (then the desktop may forget it) and later a ``receipt``."""

    conversation: str
    message: Message
    human: bool = False  # a person typed it (not the bot, not a broadcast): Meta's HUMAN_AGENT
    ack: int | None = None  # with :data:`RIDE`: a stream ``ack`` riding along, acted on first
    TYPE: ClassVar[str] = "send"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Send:
        human = obj.get("human", False)
        if not isinstance(human, bool):
            raise ProtocolError("human: must be true or false")
        return cls(
            _conversation(obj),
            Message.from_obj(_get(obj, "message", ""), SHOP_KINDS),
            human,
            _opt_seq(obj, "ack"),
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.TYPE,
            "conversation": self.conversation,
            "message": self.message.to_obj(),
        }
        if self.human:
            out["human"] = True
        if self.ack is not None:
            out["ack"] = self.ack
        return out


@dataclass(frozen=True, slots=True)
class Typing:
    """The shop (person or bot) is typing in a conversation, or stopped. Not stored."""

    conversation: str
    state: bool = True
    TYPE: ClassVar[str] = "typing"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Typing:
        state = obj.get("state", True)
        if not isinstance(state, bool):
            raise ProtocolError("state: must be true or false")
        return cls(_conversation(obj), state)

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "conversation": self.conversation, "state": self.state}


@dataclass(frozen=True, slots=True)
class Read:
    """The shop has read the shopper's messages up to and including message ``up_to``."""

    conversation: str
    up_to: str
    TYPE: ClassVar[str] = "read"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Read:
        return cls(_conversation(obj), _id(obj, "up_to"))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "conversation": self.conversation, "up_to": self.up_to}


@dataclass(frozen=True, slots=True)
class SetPresence:
    """The desktop is connected but the shop is (or is no longer) away, e.g. after hours."""

    state: Presence
    TYPE: ClassVar[str] = "presence"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> SetPresence:
        return cls(_enum(obj, "state", Presence))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "state": self.state.value}


@dataclass(frozen=True, slots=True)
class SetWidgetConfig:
    ref: str
    config: WidgetConfig
    allowed_origins: tuple[str, ...] | None = None  # None: leave as they are
    TYPE: ClassVar[str] = "widget_config"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> SetWidgetConfig:
        origins = None
        if obj.get("allowed_origins") is not None:
            origins = parse_origins(_list(obj, "allowed_origins", "", 50), "allowed_origins")
        return cls(_id(obj, "ref"), WidgetConfig.from_obj(_get(obj, "config", "")), origins)

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "ref": self.ref, "config": self.config.to_obj()}
        if self.allowed_origins is not None:
            out["allowed_origins"] = list(self.allowed_origins)
        return out


@dataclass(frozen=True, slots=True)
class SetLineCredentials:
    """Connect the shop's LINE Official Account (both set) or disconnect it (both null)."""

    ref: str
    channel_secret: str | None
    channel_token: str | None
    TYPE: ClassVar[str] = "line_credentials"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> SetLineCredentials:
        secret = _str(obj, "channel_secret", max_len=200, required=False)
        token = _str(obj, "channel_token", max_len=1000, required=False)
        if (secret is None) != (token is None):
            raise ProtocolError(
                "channel_token: give both channel_secret and channel_token, or neither"
            )
        return cls(_id(obj, "ref"), secret, token)

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "ref": self.ref,
            "channel_secret": self.channel_secret,
            "channel_token": self.channel_token,
        }

    def __repr__(self) -> str:  # never print secrets
        return f"SetLineCredentials(ref={self.ref!r}, set={self.channel_secret is not None})"


@dataclass(frozen=True, slots=True)
class SetMetaCredentials:
    """Connect the shop's Facebook Page / Instagram account (all three set) or disconnect it
    (all three null): the Page access token, the Meta app's secret (it signs webhooks) and the
    verify token the owner typed into the app's webhook settings."""

    ref: str
    app_secret: str | None
    page_token: str | None
    verify_token: str | None
    TYPE: ClassVar[str] = "meta_credentials"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> SetMetaCredentials:
        secret = _str(obj, "app_secret", max_len=200, required=False)
        token = _str(obj, "page_token", max_len=1000, required=False)
        verify = _str(obj, "verify_token", max_len=200, required=False)
        if len({secret is None, token is None, verify is None}) != 1:
            raise ProtocolError(
                "page_token: give app_secret, page_token and verify_token, or none of them"
            )
        return cls(_id(obj, "ref"), secret, token, verify)

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "ref": self.ref,
            "app_secret": self.app_secret,
            "page_token": self.page_token,
            "verify_token": self.verify_token,
        }

    def __repr__(self) -> str:  # never print secrets
        return f"SetMetaCredentials(ref={self.ref!r}, set={self.app_secret is not None})"


@dataclass(frozen=True, slots=True)
class GetLineQuota:
    ref: str
    TYPE: ClassVar[str] = "line_quota_get"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> GetLineQuota:
        return cls(_id(obj, "ref"))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "ref": self.ref}


@dataclass(frozen=True, slots=True)
class VerifyLine:
    """Ask the relay to prove the shop's LINE channel works end to end: the access token (LINE's
    bot info), the channel secret (LINE posts a signed test webhook to ``endpoint``, the relay's
    signature check answers it) and the webhook settings in the LINE console. ``endpoint`` is
    the shop's webhook URL as the owner pastes it into LINE (``…/line/{shop_id}/webhook``).
    Answered by ``line_verified`` with the same ``ref``."""

    ref: str
    endpoint: str
    TYPE: ClassVar[str] = "line_verify"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> VerifyLine:
        endpoint = _str(obj, "endpoint", max_len=500)
        if not endpoint.startswith(("https://", "http://")) or any(c.isspace() for c in endpoint):
            raise ProtocolError("endpoint: must be an http(s) URL")
        return cls(_id(obj, "ref"), endpoint)

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "ref": self.ref, "endpoint": self.endpoint}


@dataclass(frozen=True, slots=True)
class VerifyMeta:
    """Ask the relay to prove the shop's Facebook Page / Instagram connection works with the
    credentials it holds: the Page access token and the app secret (Graph API ``/me`` with
    ``appsecret_proof``), the app's webhook subscription on the Page and its fields, and the
    linked Instagram account. Answered by ``meta_verified`` with the same ``ref``."""

    ref: str
    TYPE: ClassVar[str] = "meta_verify"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> VerifyMeta:
        return cls(_id(obj, "ref"))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "ref": self.ref}


# ---- relay → desktop


@dataclass(frozen=True, slots=True)
class DesktopWelcome:
    protocol: int
    shop_id: str
    shop_name: str
    after: int  # the position the relay resumes from: items with seq > after follow
    pending: int  # how many stream items are waiting
    line_configured: bool
    widget_config: WidgetConfig
    allowed_origins: tuple[str, ...] = ()
    meta_configured: bool = False  # the relay holds the shop's Facebook/Instagram credentials
    features: tuple[str, ...] = ()  # optional features granted (absent: none; v1 behaviour)
    TYPE: ClassVar[str] = "welcome"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> DesktopWelcome:
        return cls(
            protocol=_int(obj, "protocol", lo=1, hi=1000),
            shop_id=_id(obj, "shop_id"),
            shop_name=_str(obj, "shop_name", max_len=200),
            after=_int(obj, "after"),
            pending=_int(obj, "pending"),
            line_configured=_bool(obj, "line_configured"),
            widget_config=WidgetConfig.from_obj(_get(obj, "widget_config", "")),
            allowed_origins=parse_origins(_list(obj, "allowed_origins", "", 50, required=False)),
            # absent from relays older than Meta
            meta_configured="meta_configured" in obj and _bool(obj, "meta_configured"),
            features=_features(obj),
        )

    def to_obj(self) -> dict[str, Any]:
        out = {
            "type": self.TYPE,
            "protocol": self.protocol,
            "shop_id": self.shop_id,
            "shop_name": self.shop_name,
            "after": self.after,
            "pending": self.pending,
            "line_configured": self.line_configured,
            "widget_config": self.widget_config.to_obj(),
            "allowed_origins": list(self.allowed_origins),
            "meta_configured": self.meta_configured,
        }
        if self.features:
            out["features"] = list(self.features)
        return out


@dataclass(frozen=True, slots=True)
class Inbound:
    """Stream item: a message from a shopper (``origin`` always ``shopper`` in version 1)."""

    seq: int
    conversation: str
    message: Message
    TYPE: ClassVar[str] = "message"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Inbound:
        return cls(
            _int(obj, "seq", lo=1),
            _conversation(obj),
            Message.from_obj(_get(obj, "message", ""), SHOPPER_KINDS),
        )

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "seq": self.seq,
            "conversation": self.conversation,
            "message": self.message.to_obj(),
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    """Stream item (to the desktop) or live frame (to the widget): the other side has the
    messages ``ids`` (delivered), has seen them (read), LINE took them (sent), or never will
    (failed, with ``reason``). ``seq`` is 0 on widget frames."""

    conversation: str
    status: ReceiptStatus
    ids: tuple[str, ...]
    seq: int = 0
    reason: str | None = None
    TYPE: ClassVar[str] = "receipt"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Receipt:
        ids = _list(obj, "ids", "", MAX_RECEIPT_IDS)
        for i, v in enumerate(ids):
            if not isinstance(v, str) or not _ID_RE.match(v):
                raise ProtocolError(f"ids[{i}]: must be a message id")
        return cls(
            conversation=_conversation(obj),
            status=_enum(obj, "status", ReceiptStatus),
            ids=tuple(ids),
            seq=_int(obj, "seq", required=False) or 0,
            reason=_str(obj, "reason", max_len=300, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE}
        if self.seq:
            out["seq"] = self.seq
        out.update(
            {"conversation": self.conversation, "status": self.status.value, "ids": list(self.ids)}
        )
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class ConversationNotice:
    """Stream item: something happened to a conversation that is not a message."""

    seq: int
    conversation: str
    event: ConversationEvent
    at: str
    TYPE: ClassVar[str] = "conversation"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> ConversationNotice:
        return cls(
            _int(obj, "seq", lo=1),
            _conversation(obj),
            _enum(obj, "event", ConversationEvent),
            _str(obj, "at", max_len=40),
        )

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "seq": self.seq,
            "conversation": self.conversation,
            "event": self.event.value,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class LineQuota:
    """LINE push usage this month. As a stream item (seq > 0) when a threshold (80 %, 100 %)
    is crossed or LINE refuses a push for quota; as a live answer (seq 0, ``ref`` set) to
    ``line_quota_get``. ``limit`` is None when the plan has no limit."""

    month: str
    used: int
    limit: int | None
    exceeded: bool
    seq: int = 0
    ref: str | None = None
    TYPE: ClassVar[str] = "line_quota"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> LineQuota:
        return cls(
            month=_str(obj, "month", max_len=7),
            used=_int(obj, "used"),
            limit=_int(obj, "limit", required=False),
            exceeded=_bool(obj, "exceeded"),
            seq=_int(obj, "seq", required=False) or 0,
            ref=_str(obj, "ref", max_len=MAX_ID, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE}
        if self.seq:
            out["seq"] = self.seq
        out.update(
            {"month": self.month, "used": self.used, "limit": self.limit, "exceeded": self.exceeded}
        )
        if self.ref is not None:
            out["ref"] = self.ref
        return out


@dataclass(frozen=True, slots=True)
class Accepted:
    """The relay has durably stored message ``id`` (the sender may forget it). To the widget,
    ``seq`` is the message's position in the conversation."""

    id: str
    conversation: str | None = None
    seq: int = 0
    TYPE: ClassVar[str] = "accepted"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Accepted:
        conv = _conversation(obj) if obj.get("conversation") is not None else None
        return cls(_id(obj, "id"), conv, _int(obj, "seq", required=False) or 0)

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "id": self.id}
        if self.conversation is not None:
            out["conversation"] = self.conversation
        if self.seq:
            out["seq"] = self.seq
        return out


@dataclass(frozen=True, slots=True)
class ShopperTyping:
    """Live (not stored): the shopper is typing (widget conversations only)."""

    conversation: str
    state: bool
    TYPE: ClassVar[str] = "typing"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> ShopperTyping:
        state = obj.get("state", True)
        if not isinstance(state, bool):
            raise ProtocolError("state: must be true or false")
        return cls(_conversation(obj), state)

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "conversation": self.conversation, "state": self.state}


@dataclass(frozen=True, slots=True)
class PageEcho:
    """Stream item: a message the shop's Facebook Page or Instagram account sent from
    elsewhere (Meta Business Suite, the phone app), seen through Meta's echo webhook. Shown in
    the conversation as the shop's; never answered."""

    seq: int
    conversation: str
    message: Message
    TYPE: ClassVar[str] = "page_echo"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> PageEcho:
        return cls(
            _int(obj, "seq", lo=1),
            _conversation(obj),
            Message.from_obj(_get(obj, "message", ""), SHOP_KINDS),
        )

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "seq": self.seq,
            "conversation": self.conversation,
            "message": self.message.to_obj(),
        }


class CommentPlatform(StrEnum):
    """Where a comment was written: under a Facebook Page post or an Instagram post/Live."""

    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


@dataclass(frozen=True, slots=True)
class PageComment:
    """Stream item: someone commented under a post of the shop's Facebook Page (Meta's
    ``feed`` webhook, ``item: comment``, ``verb: add``) or of its Instagram account (the
    ``comments`` and ``live_comments`` fields). The desktop works it for the live that is
    running; its answer is one private reply, a ``send`` to ``comment:<comment_id>``.
    ``platform`` absent (an older relay) is Facebook."""

    seq: int
    comment_id: str
    post_id: str
    from_id: str
    from_name: str
    text: str
    at: str  # ISO 8601 UTC, when it was written (Meta's ``created_time``)
    platform: CommentPlatform = CommentPlatform.FACEBOOK
    TYPE: ClassVar[str] = "comment"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> PageComment:
        return cls(
            _int(obj, "seq", lo=1),
            _str(obj, "comment_id", max_len=MAX_ID * 2),
            _str(obj, "post_id", max_len=MAX_ID * 2),
            _str(obj, "from_id", max_len=MAX_ID),
            _str(obj, "from_name", max_len=200, required=False, allow_empty=True) or "",
            _str(obj, "text", max_len=MAX_TEXT, required=False, allow_empty=True) or "",
            _str(obj, "at", max_len=40),
            _enum(obj, "platform", CommentPlatform)
            if obj.get("platform") is not None
            else CommentPlatform.FACEBOOK,
        )

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "seq": self.seq,
            "comment_id": self.comment_id,
            "post_id": self.post_id,
            "from_id": self.from_id,
            "from_name": self.from_name,
            "text": self.text,
            "at": self.at,
            "platform": self.platform.value,
        }


@dataclass(frozen=True, slots=True)
class Profile:
    """Stream item: who the shopper of a Messenger, Instagram or LINE conversation is, as
    their platform says (fetched by the relay when the conversation first writes, and again
    at a message after 7 days). ``name`` may be empty (the platform gives none);
    ``username`` is Instagram's handle; ``picture`` is the profile picture, already copied
    to the relay's media (the platform's URL expires), or None. The desktop fills the
    customer's name only where the owner has not named them."""

    seq: int
    conversation: str
    name: str
    username: str | None = None
    picture: Image | None = None
    TYPE: ClassVar[str] = "profile"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Profile:
        picture = obj.get("picture")
        if picture is not None and not isinstance(picture, Mapping):
            raise ProtocolError("picture: must be an object or null")
        return cls(
            _int(obj, "seq", lo=1),
            _conversation(obj),
            _str(obj, "name", max_len=200, required=False, allow_empty=True) or "",
            _str(obj, "username", max_len=100, required=False, allow_empty=True) or None,
            None if picture is None else Image.from_obj(picture, "picture."),
        )

    def to_obj(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "seq": self.seq,
            "conversation": self.conversation,
            "name": self.name,
            "username": self.username,
            "picture": None
            if self.picture is None
            else {
                "media_id": self.picture.media_id,
                "url": self.picture.url,
                "mime": self.picture.mime,
            },
        }


@dataclass(frozen=True, slots=True)
class Ok:
    ref: str
    TYPE: ClassVar[str] = "ok"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Ok:
        return cls(_id(obj, "ref"))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "ref": self.ref}


class LineCheck(StrEnum):
    """What ``line_verify`` found, first problem first."""

    OK = "ok"  # token valid, signature accepted, webhook URL set and in use
    NOT_CONFIGURED = "not_configured"  # the relay has no LINE credentials for the shop
    TOKEN_REJECTED = "token_rejected"  # LINE refused the channel access token
    SIGNATURE_WRONG = "signature_wrong"  # the webhook answered 401: the channel secret is wrong
    WEBHOOK_UNREACHABLE = "webhook_unreachable"  # LINE could not get a 200 from the endpoint
    WEBHOOK_NOT_SET = "webhook_not_set"  # the LINE console has another (or no) webhook URL
    WEBHOOK_OFF = "webhook_off"  # the URL is set but "Use webhook" is off
    LINE_UNAVAILABLE = "line_unavailable"  # LINE's API did not answer


@dataclass(frozen=True, slots=True)
class LineVerified:
    """The answer to ``line_verify``: ``result``, the bot's name and basic id once the token
    was accepted, the HTTP status LINE got from the webhook (``status_code``; 0 or less: no
    answer) and LINE's own words (``detail``), for the log and the owner."""

    ref: str
    result: LineCheck
    bot_name: str | None = None
    basic_id: str | None = None
    status_code: int | None = None
    detail: str | None = None
    TYPE: ClassVar[str] = "line_verified"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> LineVerified:
        status = obj.get("status_code")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
            raise ProtocolError("status_code: must be an integer")
        return cls(
            _id(obj, "ref"),
            _enum(obj, "result", LineCheck),
            _str(obj, "bot_name", max_len=200, required=False),
            _str(obj, "basic_id", max_len=100, required=False),
            status,
            _str(obj, "detail", max_len=500, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "ref": self.ref, "result": self.result.value}
        for key in ("bot_name", "basic_id", "status_code", "detail"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


class MetaCheck(StrEnum):
    """What ``meta_verify`` found, first problem first."""

    OK = "ok"  # token and secret accepted, the app subscribed to every field needed
    NOT_CONFIGURED = "not_configured"  # the relay has no Meta credentials for the shop
    TOKEN_REJECTED = "token_rejected"  # Meta refused the Page access token (code 190)
    SECRET_WRONG = "secret_wrong"  # Meta refused the appsecret_proof: the app secret is wrong
    NOT_SUBSCRIBED = "not_subscribed"  # the app is not subscribed to the Page's webhooks
    FIELDS_MISSING = "fields_missing"  # subscribed, but without some fields (``missing``)
    META_REFUSED = "meta_refused"  # another Graph API error (e.g. a permission missing)
    META_UNREACHABLE = "meta_unreachable"  # the relay could not reach the Graph API
    META_UNAVAILABLE = "meta_unavailable"  # the Graph API answered 5xx or "slow down"


META_FIELDS = (
    "messages",
    "messaging_postbacks",
    "message_reads",
    "message_deliveries",
    "message_echoes",
    "feed",
)  # the Page webhook fields MiniChat needs the app subscribed to


@dataclass(frozen=True, slots=True)
class MetaVerified:
    """The answer to ``meta_verify``: ``result``; the Page's name and id once the token and
    secret were accepted; the linked Instagram account's username (None: none linked, or not
    asked yet); the webhook fields the app is not subscribed to (``missing``, from
    :data:`META_FIELDS`); Meta's own error ``code`` and words (``detail``) when Meta said no."""

    ref: str
    result: MetaCheck
    page_name: str | None = None
    page_id: str | None = None
    instagram: str | None = None
    missing: tuple[str, ...] = ()
    code: int | None = None
    detail: str | None = None
    TYPE: ClassVar[str] = "meta_verified"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> MetaVerified:
        missing = _list(obj, "missing", "", len(META_FIELDS), required=False)
        for i, v in enumerate(missing):
            if v not in META_FIELDS:
                raise ProtocolError(f"missing[{i}]: must be one of {', '.join(META_FIELDS)}")
        return cls(
            _id(obj, "ref"),
            _enum(obj, "result", MetaCheck),
            _str(obj, "page_name", max_len=200, required=False),
            _str(obj, "page_id", max_len=64, required=False),
            _str(obj, "instagram", max_len=100, required=False),
            tuple(missing),
            _int(obj, "code", lo=-(2**31), hi=2**31, required=False),
            _str(obj, "detail", max_len=500, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "ref": self.ref, "result": self.result.value}
        for key in ("page_name", "page_id", "instagram", "code", "detail"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.missing:
            out["missing"] = list(self.missing)
        return out


class ErrorCode(StrEnum):
    BAD_FRAME = "bad_frame"  # the frame broke the protocol; it was ignored
    UNSUPPORTED_VERSION = "unsupported_version"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"  # e.g. a conversation that belongs to another shop
    RATE_LIMITED = "rate_limited"  # slow down; the frame was dropped
    TOO_LARGE = "too_large"
    NOT_FOUND = "not_found"  # unknown conversation or media
    UNAVAILABLE = "unavailable"  # e.g. LINE not configured for this shop
    OUTSIDE_WINDOW = "outside_window"  # Meta: the shopper's last message is too old to answer
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class Error:
    code: ErrorCode
    message: str
    ref: str | None = None  # the ``ref`` or message ``id`` of the frame this answers
    TYPE: ClassVar[str] = "error"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> Error:
        return cls(
            _enum(obj, "code", ErrorCode),
            _str(obj, "message", max_len=500),
            _str(obj, "ref", max_len=MAX_ID, required=False),
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "code": self.code.value, "message": self.message}
        if self.ref is not None:
            out["ref"] = self.ref
        return out


# ---- widget → relay


@dataclass(frozen=True, slots=True)
class WidgetHello:
    """First frame on the widget socket. ``session``: the token from an earlier ``welcome``
    (absent on a shopper's first visit). ``after``: the last conversation seq the widget
    already shows (0 after a page load, to get the history)."""

    protocol: tuple[int, ...] = (PROTOCOL_VERSION,)
    session: str | None = None
    after: int = 0
    language: str | None = None
    features: tuple[str, ...] = ()  # optional features offered (:data:`FEATURES`)
    TYPE: ClassVar[str] = "hello"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> WidgetHello:
        session = _str(obj, "session", max_len=100, required=False)
        language = _str(obj, "language", max_len=2, required=False)
        after = _int(obj, "after", required=False) or 0
        return cls(_versions(obj), session, after, language, _features(obj))

    def to_obj(self) -> dict[str, Any]:
        return _drop_none(
            {
                "type": self.TYPE,
                "protocol": list(self.protocol),
                "session": self.session,
                "after": self.after,
                "language": self.language,
                "features": list(self.features) if self.features else None,
            }
        )


@dataclass(frozen=True, slots=True)
class WidgetSend:
    """The shopper sends a message. With :data:`RIDE`, the widget's ``ack`` and ``read`` of
    the conversation may ride along (acted on before the message, as if sent just before)."""

    message: Message
    ack: int | None = None
    read: int | None = None
    TYPE: ClassVar[str] = "send"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> WidgetSend:
        message = Message.from_obj(_get(obj, "message", ""), WIDGET_SEND_KINDS)
        return cls(message, _opt_seq(obj, "ack"), _opt_seq(obj, "read"))

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "message": self.message.to_obj()}
        if self.ack is not None:
            out["ack"] = self.ack
        if self.read is not None:
            out["read"] = self.read
        return out


@dataclass(frozen=True, slots=True)
class WidgetTyping:
    state: bool = True
    TYPE: ClassVar[str] = "typing"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> WidgetTyping:
        state = obj.get("state", True)
        if not isinstance(state, bool):
            raise ProtocolError("state: must be true or false")
        return cls(state)

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "state": self.state}


@dataclass(frozen=True, slots=True)
class WidgetRead:
    """The shopper has seen the conversation up to conversation seq ``seq``."""

    seq: int
    TYPE: ClassVar[str] = "read"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> WidgetRead:
        return cls(_int(obj, "seq"))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "seq": self.seq}


# ---- relay → widget


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One message of a widget conversation, with its position and who wrote it."""

    seq: int
    origin: Origin
    message: Message
    status: ReceiptStatus | None = None  # for shopper messages: delivered / read so far

    @classmethod
    def from_obj(cls, raw: Any, where: str) -> HistoryItem:
        obj = _obj(raw, where.rstrip("."))
        origin = _enum(obj, "from", Origin, where)
        kinds = SHOPPER_KINDS if origin is Origin.SHOPPER else SHOP_KINDS
        status = None
        if obj.get("status") is not None:
            status = _enum(obj, "status", ReceiptStatus, where)
        return cls(
            _int(obj, "seq", where, lo=1),
            origin,
            Message.from_obj(_get(obj, "message", where), kinds, f"{where}message."),
            status,
        )

    def to_obj(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "from": self.origin.value,
            "message": self.message.to_obj(),
        }
        if self.status is not None:
            out["status"] = self.status.value
        return out


@dataclass(frozen=True, slots=True)
class WidgetWelcome:
    protocol: int
    session: str
    conversation: str
    presence: Presence
    config: WidgetConfig
    history: tuple[HistoryItem, ...]
    features: tuple[str, ...] = ()  # optional features granted (absent: none; v1 behaviour)
    TYPE: ClassVar[str] = "welcome"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> WidgetWelcome:
        hist = _list(obj, "history", "", MAX_HISTORY)
        return cls(
            protocol=_int(obj, "protocol", lo=1, hi=1000),
            session=_str(obj, "session", max_len=100),
            conversation=_conversation(obj),
            presence=_enum(obj, "presence", Presence),
            config=WidgetConfig.from_obj(_get(obj, "config", "")),
            history=tuple(HistoryItem.from_obj(h, f"history[{i}].") for i, h in enumerate(hist)),
            features=_features(obj),
        )

    def to_obj(self) -> dict[str, Any]:
        out = {
            "type": self.TYPE,
            "protocol": self.protocol,
            "session": self.session,
            "conversation": self.conversation,
            "presence": self.presence.value,
            "config": self.config.to_obj(),
            "history": [h.to_obj() for h in self.history],
        }
        if self.features:
            out["features"] = list(self.features)
        return out


@dataclass(frozen=True, slots=True)
class WidgetMessage:
    """A new message in the shopper's conversation: from the shop, or the shopper's own from
    another tab. The widget acknowledges shop messages with ``ack`` (cumulative seq)."""

    item: HistoryItem
    TYPE: ClassVar[str] = "message"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> WidgetMessage:
        return cls(HistoryItem.from_obj(obj, ""))

    def to_obj(self) -> dict[str, Any]:
        out = {"type": self.TYPE}
        out.update(self.item.to_obj())
        return out


@dataclass(frozen=True, slots=True)
class ShopTyping:
    state: bool
    TYPE: ClassVar[str] = "typing"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> ShopTyping:
        return cls(_bool(obj, "state"))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "state": self.state}


@dataclass(frozen=True, slots=True)
class PresenceNotice:
    state: Presence
    TYPE: ClassVar[str] = "presence"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> PresenceNotice:
        return cls(_enum(obj, "state", Presence))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "state": self.state.value}


@dataclass(frozen=True, slots=True)
class ConfigNotice:
    config: WidgetConfig
    TYPE: ClassVar[str] = "config"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> ConfigNotice:
        return cls(WidgetConfig.from_obj(_get(obj, "config", "")))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "config": self.config.to_obj()}


@dataclass(frozen=True, slots=True)
class WidgetReceipt:
    """The shop has the shopper's messages ``ids`` (delivered) or has read them (read)."""

    status: ReceiptStatus
    ids: tuple[str, ...]
    TYPE: ClassVar[str] = "receipt"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> WidgetReceipt:
        ids = _list(obj, "ids", "", MAX_RECEIPT_IDS)
        for i, v in enumerate(ids):
            if not isinstance(v, str) or not _ID_RE.match(v):
                raise ProtocolError(f"ids[{i}]: must be a message id")
        return cls(_enum(obj, "status", ReceiptStatus), tuple(ids))

    def to_obj(self) -> dict[str, Any]:
        return {"type": self.TYPE, "status": self.status.value, "ids": list(self.ids)}


# --------------------------------------------------------------------------------------------
# Decoding and encoding

DesktopFrame = (
    DesktopHello
    | Ack
    | Send
    | Typing
    | Read
    | SetPresence
    | SetWidgetConfig
    | SetLineCredentials
    | GetLineQuota
    | VerifyLine
    | SetMetaCredentials
    | VerifyMeta
)
ToDesktopFrame = (
    DesktopWelcome
    | Inbound
    | Receipt
    | ConversationNotice
    | LineQuota
    | LineVerified
    | MetaVerified
    | Accepted
    | ShopperTyping
    | Ok
    | Error
    | PageEcho
    | PageComment
    | Profile
)
WidgetFrame = WidgetHello | WidgetSend | Ack | WidgetTyping | WidgetRead
ToWidgetFrame = (
    WidgetWelcome
    | WidgetMessage
    | Accepted
    | WidgetReceipt
    | ShopTyping
    | PresenceNotice
    | ConfigNotice
    | Error
)
Frame = DesktopFrame | ToDesktopFrame | WidgetFrame | ToWidgetFrame

F = TypeVar("F")


def _table(*classes: Any) -> dict[str, Callable[[Mapping[str, Any]], Any]]:
    return {c.TYPE: c.from_obj for c in classes}


_DESKTOP = _table(
    DesktopHello,
    Ack,
    Send,
    Typing,
    Read,
    SetPresence,
    SetWidgetConfig,
    SetLineCredentials,
    GetLineQuota,
    VerifyLine,
    SetMetaCredentials,
    VerifyMeta,
)
_TO_DESKTOP = _table(
    DesktopWelcome,
    Inbound,
    Receipt,
    ConversationNotice,
    LineQuota,
    LineVerified,
    MetaVerified,
    Accepted,
    ShopperTyping,
    Ok,
    Error,
    PageEcho,
    PageComment,
    Profile,
)
_WIDGET = _table(WidgetHello, WidgetSend, Ack, WidgetTyping, WidgetRead)
_TO_WIDGET = _table(
    WidgetWelcome,
    WidgetMessage,
    Accepted,
    WidgetReceipt,
    ShopTyping,
    PresenceNotice,
    ConfigNotice,
    Error,
)


def _no_constants(name: str) -> Any:
    raise ProtocolError(f"json: {name} is not allowed")


def _no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ProtocolError(f"json: duplicate key {k[:40]!r}")
            seen.add(k)
    return out


_DECODER = json.JSONDecoder(parse_constant=_no_constants, object_pairs_hook=_no_dupes)


def load_json(data: str | bytes) -> Any:
    """Parse JSON text, or raise ProtocolError. Rejects NaN/Infinity and duplicate keys."""
    try:
        if isinstance(data, bytes | bytearray | memoryview):
            data = bytes(data).decode("utf-8")
        return _DECODER.decode(data)
    except UnicodeDecodeError as exc:
        raise ProtocolError("json: not utf-8") from exc
    except RecursionError as exc:
        raise ProtocolError("json: nested too deeply") from exc
    except ProtocolError:
        raise
    except ValueError as exc:  # JSONDecodeError
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid"
        raise ProtocolError(f"json: {msg}") from exc


def _decode(
    data: str | bytes | Mapping[str, Any], table: dict[str, Callable[[Mapping[str, Any]], Any]]
) -> Any:
    obj = data if isinstance(data, Mapping) else load_json(data)
    if not isinstance(obj, dict):
        raise ProtocolError("frame: must be a json object")
    if not _plain_text(data):
        try:
            _check_unicode(obj, "")
        except RecursionError as exc:
            raise ProtocolError("json: nested too deeply") from exc
    ftype = obj.get("type")
    if not isinstance(ftype, str):
        raise ProtocolError("type: missing")
    parse = table.get(ftype)
    if parse is None:
        seq = obj.get("seq")
        ok_seq = isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq <= 2**53
        raise UnknownFrame(ftype[:40], seq if ok_seq else None)
    try:
        return parse(obj)
    except ProtocolError:
        raise
    except (
        TypeError,
        ValueError,
        AttributeError,
        KeyError,
    ) as exc:  # a validator gap: still a protocol error
        raise ProtocolError(f"{ftype}: malformed") from exc


def _plain_text(data: object) -> bool:
    """Whether JSON text ``data`` can decode to no lone surrogate and no nesting too deep for
    :func:`_check_unicode`, which then need not walk the frame: without ``\\u`` escapes a
    decoded string holds only characters of the text, and the text has no surrogate; fewer
    than 64 brackets nest fewer than 64 deep. (Real clients escape nothing but quotes,
    backslashes and controls; a frame that does escape is walked as before.)"""
    return (
        isinstance(data, str)
        and "\\u" not in data
        and data.count("{") + data.count("[") < 64
        and not lone_surrogate(data)
    )


def _check_unicode(value: Any, where: str) -> None:
    """Every string in a decoded frame, keys included, must be Unicode text: a lone
    surrogate ("\\ud800" in JSON) is refused here, before any field is looked at, so nothing
    downstream (storage, UTF-8 encoding, the screens) ever meets one."""
    if isinstance(value, str):
        if lone_surrogate(value):
            raise ProtocolError(f"{where or 'frame'}: not valid unicode (a lone surrogate)")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{str(key)[:40]}" if where else str(key)[:40]
            if isinstance(key, str) and lone_surrogate(key):
                raise ProtocolError(f"{where or 'frame'}: a key is not valid unicode")
            _check_unicode(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_unicode(item, f"{where}[{i}]")


_REF_RE = re.compile(r'"(?:ref|id)"\s*:\s*"([A-Za-z0-9._:~-]{1,64})"')


def ref_of(data: str | bytes | Mapping[str, Any]) -> str | None:
    """The id a frame carried — its ``ref``, else its message's ``id`` — found best-effort
    even when the frame does not decode (bad JSON, a lone surrogate, a bad field), so that a
    refusal can name the message it refuses. None when there is no well-formed id."""
    obj: Any = data
    if not isinstance(data, Mapping):
        try:
            obj = load_json(data)
        except ProtocolError:
            text = data if isinstance(data, str) else bytes(data).decode("utf-8", "replace")
            found = _REF_RE.search(text[:100_000])
            return found.group(1) if found else None
    if not isinstance(obj, Mapping):
        return None
    for candidate in (obj.get("ref"), _message_id(obj.get("message"))):
        if isinstance(candidate, str) and _ID_RE.match(candidate):
            return candidate
    return None


def _message_id(message: Any) -> Any:
    return message.get("id") if isinstance(message, Mapping) else None


def decode_desktop_frame(data: str | bytes | Mapping[str, Any]) -> DesktopFrame:
    """A frame the desktop sent to the relay."""
    result: DesktopFrame = _decode(data, _DESKTOP)
    return result


def decode_to_desktop(data: str | bytes | Mapping[str, Any]) -> ToDesktopFrame:
    """A frame the relay sent to the desktop."""
    result: ToDesktopFrame = _decode(data, _TO_DESKTOP)
    return result


def decode_widget_frame(data: str | bytes | Mapping[str, Any]) -> WidgetFrame:
    """A frame a widget sent to the relay."""
    result: WidgetFrame = _decode(data, _WIDGET)
    return result


def decode_to_widget(data: str | bytes | Mapping[str, Any]) -> ToWidgetFrame:
    """A frame the relay sent to a widget."""
    result: ToWidgetFrame = _decode(data, _TO_WIDGET)
    return result


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# The C encoder that _ENCODER.encode makes anew for every call (with a fresh cycle check),
# made once: frames are trees built by to_obj, never cycles, and the text is the same.
_C_MAKE: Any = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Any = (
    _C_MAKE(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", *[False] * 3)
    if _C_MAKE is not None
    else None
)


def _json_text(obj: Any) -> str:
    if _C_ENCODE is None or isinstance(obj, str):
        return _ENCODER.encode(obj)
    return "".join(_C_ENCODE(obj, 0))


def encode(frame: Frame) -> str:
    """Compact JSON text for a frame (UTF-8 kept as is, so Thai is not \\u-escaped)."""
    return _json_text(frame.to_obj())


def encode_message_frame(
    seq: int, message_json: str, *, conversation: str | None = None, origin: Origin | None = None
) -> str:
    """The JSON text of an ``Inbound`` (``conversation`` given) or a ``WidgetMessage``
    (``origin`` given) around an already encoded message, byte-identical to ``encode`` of the
    same frame — the relay encodes each message once and stores that text."""
    if conversation is not None:
        if not _CONV_RE.match(conversation):
            raise ProtocolError(
                f"conversation: must be widget:<session>, line:<userId>, {_META_IDS}"
            )
        head = f'{{"type":"message","seq":{int(seq)},"conversation":"{conversation}"'
        return f'{head},"message":{message_json}}}'
    if origin is None:
        raise ValueError("give conversation or origin")
    return f'{{"type":"message","seq":{int(seq)},"from":"{origin.value}","message":{message_json}}}'


def encode_obj(obj: Any) -> str:
    return _json_text(obj)


def with_riders(text: str, riders: list[str]) -> str:
    """The JSON text of frame ``text`` carrying ``riders`` (frames' JSON texts, oldest first)
    in its :data:`RIDERS` list: the receiver acts on them, in order, before the carrier."""
    if not riders:
        return text
    if not text.endswith("}"):
        raise ValueError("not a json object")
    return f'{text[:-1]},"{RIDERS}":[{",".join(riders)}]}}'


def unpack_riders(data: str | bytes) -> list[dict[str, Any]]:
    """The frames in one message from the relay, in the order to act on them: the riders of
    its :data:`RIDERS` list, then the carrier itself (without the list). ProtocolError when
    the text is not a JSON object or the list is not a list of objects."""
    obj = load_json(data)
    if not isinstance(obj, dict):
        raise ProtocolError("frame: must be a json object")
    riders = obj.pop(RIDERS, None)
    if riders is None:
        return [obj]
    if not isinstance(riders, list) or len(riders) > MAX_RIDERS:
        raise ProtocolError(f"{RIDERS}: must be a list of at most {MAX_RIDERS} frames")
    for i, r in enumerate(riders):
        if not isinstance(r, dict) or RIDERS in r:
            raise ProtocolError(f"{RIDERS}[{i}]: must be a frame without riders")
    return [*riders, obj]
