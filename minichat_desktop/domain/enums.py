"""The stored enums (text values in the database), apart from the models so that screens can
use them without importing SQLAlchemy (the window paints before SQLAlchemy is loaded)."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class PaymentMethod(StrEnum):
    PROMPTPAY = "promptpay"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CARD = "card"
    COD = "cod"
    OTHER = "other"


class Channel(StrEnum):
    WIDGET = "widget"
    LINE = "line"
    POS = "pos"
    MANUAL = "manual"
    MESSENGER = "messenger"  # a Facebook Page's chats, through the relay's Meta webhook
    INSTAGRAM = "instagram"  # an Instagram professional account's chats, the same way


class MovementReason(StrEnum):
    IMPORT = "import"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    CANCELLATION = "cancellation"
    SALE = "sale"
    REFUND = "refund"


class PipelineStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    LOST = "lost"


class IdentityKind(StrEnum):
    PHONE = "phone"
    LINE = "line"
    WIDGET = "widget"
    EMAIL = "email"
    WALKIN = "walkin"
    MESSENGER = "messenger"  # a page-scoped id (PSID)
    INSTAGRAM = "instagram"  # an Instagram-scoped id (IGSID)


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # waiting for the shop to answer
    RESOLVED = "resolved"
    ESCALATED = "escalated"  # the bot handed over: a person must look


class ConversationMode(StrEnum):
    BOT = "bot"
    HUMAN = "human"


class BotMode(StrEnum):
    ACTIVE = "active"  # answers every message
    PASSIVE = "passive"  # answers questions only
    OFF = "off"


class Direction(StrEnum):
    IN = "in"  # from the shopper
    OUT = "out"  # from the shop (a person or the bot)


class SlipCheck(StrEnum):
    """What the offline check of a payment slip's picture found (domain/payments/slips.py)."""

    READ = "read"  # the banks' slip-verification QR, read and its CRC right
    NO_QR = "no_qr"  # no readable QR in the picture (or the picture never arrived)
    NOT_SLIP = "not_slip"  # a QR, but not a slip's (e.g. the shop's own PromptPay QR)
    REUSED = "reused"  # the same transfer (or the same file) is on another order already
