"""The shop's tables (SQLAlchemy 2). Money is integer satang; times are UTC.

The stock level of a variant (``ProductVariant.stock``) is kept equal to the sum of its
``StockMovement`` rows by a database trigger (see the initial migration), and a CHECK constraint
keeps it at zero or above: an insert that would oversell fails inside SQLite itself, whichever
process wrote it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Re-exported: the stored enums live in enums.py (importable without SQLAlchemy).
from minichat_desktop.domain.enums import BotMode as BotMode
from minichat_desktop.domain.enums import Channel as Channel
from minichat_desktop.domain.enums import ConversationMode as ConversationMode
from minichat_desktop.domain.enums import ConversationStatus as ConversationStatus
from minichat_desktop.domain.enums import Direction as Direction
from minichat_desktop.domain.enums import IdentityKind as IdentityKind
from minichat_desktop.domain.enums import MovementReason as MovementReason
from minichat_desktop.domain.enums import OrderStatus as OrderStatus
from minichat_desktop.domain.enums import PaymentMethod as PaymentMethod
from minichat_desktop.domain.enums import PaymentStatus as PaymentStatus
from minichat_desktop.domain.enums import PipelineStatus as PipelineStatus
from minichat_desktop.domain.enums import SlipCheck as SlipCheck

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as naive UTC text; read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC times only")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


# ---------------------------------------------------------------------------- enums


def _enum(enum: type[StrEnum], name: str, length: int | None = None) -> String:
    """Enums are stored as their text value (readable in any SQLite browser). ``length``: the
    column's declared length when values were added later (SQLite does not enforce it; the
    schema stays as created, so no migration rebuilds big tables for it)."""
    return String(length or max(len(m.value) for m in enum) + 8)


# ---------------------------------------------------------------------------- shop


class Shop(Base):
    """The shop's profile: one row, id 1."""

    __tablename__ = "shop"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    tax_id: Mapped[str] = mapped_column(String(13), default="")
    # Branch per the Revenue Department: "00000" is the head office (สำนักงานใหญ่).
    branch_code: Mapped[str] = mapped_column(String(5), default="00000")
    branch_name: Mapped[str] = mapped_column(String(200), default="")
    vat_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    prices_include_vat: Mapped[bool] = mapped_column(Boolean, default=True)
    promptpay_id: Mapped[str] = mapped_column(String(20), default="")
    order_prefix: Mapped[str] = mapped_column(String(10), default="MC")
    logo_path: Mapped[str] = mapped_column(String(500), default="")
    # The registration number of the counter's cash register (the Revenue Department's
    # approval to print abbreviated tax invoices from it), printed on each of them.
    pos_number: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BankAccount(Base):
    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(100))
    account_name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str] = mapped_column(String(30))
    branch: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class VatRate(Base):
    """A VAT rate in basis points (700 = 7.00 %) and the Bangkok date it takes effect."""

    __tablename__ = "vat_rates"
    __table_args__ = (CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rate_bp: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date] = mapped_column(Date, unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class AuditEntry(Base):
    """Who changed what, when. ``changes`` maps a field to ``[before, after]``."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(60), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Setting(Base):
    """Non-secret application settings (secrets live in the OS keyring)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class Sequence(Base):
    """Named counters for order and document numbers (``order:MC:2026`` → 123)."""

    __tablename__ = "sequences"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------------------- catalog


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    """A product. What is sold and stocked is always a :class:`ProductVariant`: a product
    without options has exactly one, its default variant, with the product's SKU."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_satang >= 0", name="price_nonnegative"),
        CheckConstraint(
            "compare_at_satang IS NULL OR compare_at_satang >= 0", name="compare_nonneg"
        ),
        CheckConstraint("cost_satang IS NULL OR cost_satang >= 0", name="cost_nonnegative"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name_th: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    price_satang: Mapped[int] = mapped_column(Integer)
    compare_at_satang: Mapped[int | None] = mapped_column(Integer)
    cost_satang: Mapped[int | None] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    tags: Mapped[list[str]] = mapped_column(default=list)
    images: Mapped[list[str]] = mapped_column(default=list)
    option_names: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    track_inventory: Mapped[bool] = mapped_column(Boolean, default=True)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    # Lower-cased text the search index is built from (kept in step by catalog.py; the
    # product_search FTS5 table follows it through triggers).
    search_name: Mapped[str] = mapped_column(Text, default="", index=True)
    search_codes: Mapped[str] = mapped_column(Text, default="")
    search_extra: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    category: Mapped[Category | None] = relationship()
    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="ProductVariant.position",
    )


class ProductVariant(Base):
    __tablename__ = "product_variants"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_nonnegative"),
        CheckConstraint("price_satang IS NULL OR price_satang >= 0", name="price_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    title: Mapped[str] = mapped_column(String(200), default="")
    price_satang: Mapped[int | None] = mapped_column(Integer)  # None: the product's price
    stock: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[Product] = relationship(back_populates="variants")


class StockMovement(Base):
    """One change to a variant's stock. The level is the sum of these (trigger-maintained)."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_nonzero"),
        Index("ix_stock_movements_variant_created", "variant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(_enum(MovementReason, "reason"))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------- customers


class Customer(Base):
    __tablename__ = "customers"
    # New customers of a range (the dashboard), read from the index alone.
    __table_args__ = (Index("ix_customers_created_merged", "created_at", "merged_into_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(_enum(PipelineStatus, "status"), default=PipelineStatus.NEW)
    tags: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Default shipping address and, for tax invoices, the buyer's tax ID and branch.
    address: Mapped[str] = mapped_column(Text, default="")
    subdistrict: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    tax_id: Mapped[str] = mapped_column(String(13), default="")
    branch: Mapped[str] = mapped_column(String(100), default="")
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    # The profile picture their Messenger, Instagram or LINE account shows, kept as a file:
    # its path inside the data folder (``media/profiles/…``), empty for none.
    picture: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_contacted_at: Mapped[dt.datetime | None] = mapped_column()

    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )


class CustomerIdentity(Base):
    """How a customer reaches the shop: a phone, a LINE user id, a widget session, …"""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_customer_identities_kind_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(_enum(IdentityKind, "kind", 14))
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


# ---------------------------------------------------------------------------- orders


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "subtotal_satang >= 0 AND discount_satang >= 0 AND shipping_satang >= 0 "
            "AND vat_satang >= 0 AND total_satang >= 0",
            name="money_nonnegative",
        ),
        Index("ix_orders_status_created", "status", "created_at"),
        Index("ix_orders_created_at", "created_at"),
        # The dashboard's sums over a range of days, read from the index alone.
        Index(
            "ix_orders_dashboard",
            "created_at",
            "status",
            "channel",
            "total_satang",
            "conversation_ref",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    channel: Mapped[str] = mapped_column(_enum(Channel, "channel", 14))
    status: Mapped[str] = mapped_column(_enum(OrderStatus, "status"), default=OrderStatus.PENDING)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    # The buyer as on the order (snapshots: later edits to the customer do not change them).
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_phone: Mapped[str] = mapped_column(String(20), default="")
    customer_email: Mapped[str] = mapped_column(String(200), default="")
    customer_tax_id: Mapped[str] = mapped_column(String(13), default="")
    customer_branch: Mapped[str] = mapped_column(String(100), default="")
    # Pricing, all satang.
    subtotal_satang: Mapped[int] = mapped_column(Integer)
    discount_satang: Mapped[int] = mapped_column(Integer, default=0)
    discount_code: Mapped[str] = mapped_column(String(40), default="")
    shipping_satang: Mapped[int] = mapped_column(Integer, default=0)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    vat_satang: Mapped[int] = mapped_column(Integer, default=0)
    total_satang: Mapped[int] = mapped_column(Integer)
    prices_include_vat: Mapped[bool] = mapped_column(Boolean, default=True)
    # Payment.
    payment_method: Mapped[str] = mapped_column(_enum(PaymentMethod, "payment_method"))
    payment_status: Mapped[str] = mapped_column(
        _enum(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING
    )
    paid_at: Mapped[dt.datetime | None] = mapped_column()
    payment_ref: Mapped[str] = mapped_column(String(100), default="")
    slip_path: Mapped[str] = mapped_column(String(500), default="")
    # Shipping.
    ship_name: Mapped[str] = mapped_column(String(200), default="")
    ship_phone: Mapped[str] = mapped_column(String(20), default="")
    ship_address: Mapped[str] = mapped_column(Text, default="")
    ship_subdistrict: Mapped[str] = mapped_column(String(100), default="")
    ship_district: Mapped[str] = mapped_column(String(100), default="")
    ship_province: Mapped[str] = mapped_column(String(100), default="")
    ship_postcode: Mapped[str] = mapped_column(String(5), default="")
    shipping_method: Mapped[str] = mapped_column(String(40), default="")
    carrier: Mapped[str] = mapped_column(String(40), default="")
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    cod_satang: Mapped[int] = mapped_column(Integer, default=0)
    shipped_at: Mapped[dt.datetime | None] = mapped_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
    # The VAT tax point (Revenue Code s.78(1)): recorded once, by the first of the sale at the
    # counter, the payment, the tax invoice or the delivery; never changed afterwards. The VAT
    # sales report counts the sale in the month of this time (docs/adr/0008-tax-point.md).
    tax_point_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    tax_point_basis: Mapped[str] = mapped_column(String(20), default="")
    conversation_ref: Mapped[str] = mapped_column(String(200), default="", index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    notes: Mapped[list[OrderNote]] = relationship(
        cascade="all, delete-orphan", order_by="OrderNote.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        cascade="all, delete-orphan", order_by="OrderEvent.id"
    )
    # Every slip picture received for the order, oldest first (the last one is slip_path's).
    slips: Mapped[list[PaymentSlip]] = relationship(
        foreign_keys="PaymentSlip.order_id", order_by="PaymentSlip.id", viewonly=True
    )
    refunds: Mapped[list[Refund]] = relationship(viewonly=True, order_by="Refund.id")


class OrderItem(Base):
    """A line of an order, with the product as it was when ordered."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_satang >= 0 AND discount_satang >= 0", name="money_nonneg"),
        # The dashboard's best sellers: the lines of a range's orders without the wide rows.
        Index(
            "ix_order_items_dashboard",
            "order_id",
            "product_id",
            "sku",
            "quantity",
            "line_total_satang",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="SET NULL"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    variant_title: Mapped[str] = mapped_column(String(200), default="")
    unit_price_satang: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    discount_satang: Mapped[int] = mapped_column(Integer, default=0)
    line_total_satang: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="items")


class OrderNote(Base):
    __tablename__ = "order_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrderEvent(Base):
    """The order's timeline: status changes, payment, shipping, notes."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PaymentSlip(Base):
    """A payment slip's picture received for an order, with what the offline check found
    (its QR read, the transfer reference already used for another order) and, filled in by the
    optional online check, the slip-verification service's answer."""

    __tablename__ = "payment_slips"
    __table_args__ = (
        # The reuse check: the same transfer, or (without a QR) the same file, on another order.
        Index("ix_payment_slips_transfer", "bank_code", "trans_ref"),
        Index("ix_payment_slips_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    conversation_ref: Mapped[str] = mapped_column(String(200), default="")
    # Relative to the data folder (like orders.slip_path); the relay's URL when not fetched.
    path: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    qr_payload: Mapped[str] = mapped_column(Text, default="")
    bank_code: Mapped[str] = mapped_column(String(3), default="")
    trans_ref: Mapped[str] = mapped_column(String(100), default="")
    check: Mapped[str] = mapped_column(_enum(SlipCheck, "slip_check"))
    reused_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL")
    )
    # The online check (a slip-verification service): "" = not checked, else passed / failed /
    # error, with the service's words and the amount it reports.
    verify_status: Mapped[str] = mapped_column(String(20), default="")
    verify_note: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[dt.datetime | None] = mapped_column()
    verified_amount_satang: Mapped[int | None] = mapped_column(Integer)

    reused_order: Mapped[Order | None] = relationship(foreign_keys=[reused_order_id], viewonly=True)


# ---------------------------------------------------------------------------- conversations


class Conversation(Base):
    """A chat with one shopper on one channel. ``ref`` is the protocol's conversation id
    (``widget:<session>`` or ``line:<userId>``)."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_last_message_at", "last_message_at"),
        # The dashboard's escalated and resolved conversations, and those taken over, from
        # indexes. Partial: the inbox's "status = ?" keeps walking last_message_at in order.
        Index(
            "ix_conversations_dashboard",
            "status",
            sqlite_where=text("status IN ('escalated', 'resolved')"),
        ),
        Index("ix_conversations_taken_over_at", "taken_over_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(_enum(Channel, "channel", 14))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(
        _enum(ConversationStatus, "status"), default=ConversationStatus.ACTIVE
    )
    mode: Mapped[str] = mapped_column(_enum(ConversationMode, "mode"), default=ConversationMode.BOT)
    bot_mode: Mapped[str] = mapped_column(_enum(BotMode, "bot_mode"), default=BotMode.ACTIVE)
    taken_over_by: Mapped[str] = mapped_column(String(100), default="")
    taken_over_at: Mapped[dt.datetime | None] = mapped_column()
    unread: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    last_message_at: Mapped[dt.datetime | None] = mapped_column()
    last_preview: Mapped[str] = mapped_column(String(200), default="")
    following: Mapped[bool] = mapped_column(Boolean, default=True)  # LINE follow state
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChatMessage(Base):
    """One message of a conversation. ``uid`` is the protocol's message id (unique within the
    conversation); ``body`` is the protocol message object as JSON."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "uid", name="uq_messages_conversation_uid"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(_enum(Direction, "direction"))
    author: Mapped[str] = mapped_column(String(100), default="")  # shopper, bot, owner name
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")  # plain text for search and previews
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # For outgoing messages: sent (relay stored it), delivered, read, failed.
    state: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxItem(Base):
    """A frame the desktop must get to the relay. Written in the same transaction as the
    message it carries, removed only when the relay has accepted it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    frame: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_read_created", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # The same in English (empty on notifications made before 0010: they show in Thai).
    title_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    body_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    ref: Mapped[str] = mapped_column(String(200), default="")  # what to open on click
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column()


class CannedResponse(Base):
    """A reply template: ``{{customer_name}}``, ``{{order_number}}``, ``{{total}}``… are filled
    in from the conversation's customer and latest order."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------------------- the counter (POS)


class Shift(Base):
    """A cash-drawer session at the counter: opened with a float, closed with a count. The
    expected cash is the float plus cash payments and cash-in, less change, refunds and
    cash-out; it is frozen into ``expected_cash_satang`` when the shift closes (the Z report)."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(100), default="")
    opening_float_satang: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    expected_cash_satang: Mapped[int | None] = mapped_column(Integer)
    counted_cash_satang: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    z_number: Mapped[int | None] = mapped_column(Integer, unique=True)  # given on close


class CashMovement(Base):
    """Cash put into or taken out of the drawer outside a sale (``amount`` > 0 in, < 0 out)."""

    __tablename__ = "cash_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    amount_satang: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrderPayment(Base):
    """One tender of an order: a sale may be split across cash, PromptPay and card. Refunds are
    negative amounts. ``shift_id`` ties counter tenders to the drawer session."""

    __tablename__ = "order_payments"
    __table_args__ = (Index("ix_order_payments_shift_id", "shift_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(_enum(PaymentMethod, "method"))
    amount_satang: Mapped[int] = mapped_column(Integer)
    tendered_satang: Mapped[int] = mapped_column(Integer, default=0)  # cash handed over
    change_satang: Mapped[int] = mapped_column(Integer, default=0)
    ref: Mapped[str] = mapped_column(String(100), default="")
    actor: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HeldSale(Base):
    """A counter sale put aside (the customer went to fetch something) to resume later."""

    __tablename__ = "held_sales"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    cart: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaxDocument(Base):
    """A numbered document issued for an order: a full tax invoice (``full``), an abbreviated
    tax invoice (``abbreviated``), a receipt of a non-VAT shop (``receipt``) or a credit note
    (``credit_note``). The number is issued once, from its own gap-free sequence, and reprints
    show the same number and date."""

    __tablename__ = "tax_documents"
    __table_args__ = (
        # One tax invoice (full, abbreviated) or receipt per order; a credit note per refund.
        Index(
            "uq_tax_documents_order_kind",
            "order_id",
            "kind",
            unique=True,
            sqlite_where=text("kind <> 'credit_note'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    buyer: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name, tax id, branch, address
    issued_by: Mapped[str] = mapped_column(String(100), default="")
    # Its life: the one original is printed (or saved) once; later prints are copies; a lost
    # original is replaced by a ใบแทน (s.86/12); a full tax invoice cancels the abbreviated one
    # it replaces, which keeps its number and shows in the VAT report as cancelled.
    original_at: Mapped[dt.datetime | None] = mapped_column()
    reissues: Mapped[int] = mapped_column(Integer, default=0)  # ใบแทน printed
    replaces: Mapped[str] = mapped_column(String(40), default="")  # the number it cancels
    cancelled_at: Mapped[dt.datetime | None] = mapped_column()
    cancel_note: Mapped[str] = mapped_column(Text, default="")


class Refund(Base):
    """Money given back on a paid order: some lines, part of a line's quantity, an amount off
    a line (a price reduction) or the shipping; the whole order when it is the last of them.
    ``amount_satang`` is what the buyer gets back (VAT included), ``vat_satang`` the output tax
    it reduces through its credit note (``credit_note_id``, when the sale had a tax invoice).
    ``restocked``: the returned goods went back into stock."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(
            "amount_satang >= 0 AND vat_satang >= 0 AND vat_satang <= amount_satang",
            name="money",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    amount_satang: Mapped[int] = mapped_column(Integer)
    vat_satang: Mapped[int] = mapped_column(Integer, default=0)
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(100), default="")
    credit_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("tax_documents.id", ondelete="RESTRICT"), unique=True
    )

    lines: Mapped[list[RefundLine]] = relationship(
        cascade="all, delete-orphan", order_by="RefundLine.id"
    )


class RefundLine(Base):
    """One line of a refund: ``quantity`` units of an order line given back (0 for a price
    reduction) and ``amount_satang``, its value as the order priced it (VAT inside when the
    order's prices include VAT, else before VAT; the order discount's share taken off). The
    shipping is a line with no ``order_item_id``."""

    __tablename__ = "refund_lines"
    __table_args__ = (CheckConstraint("quantity >= 0 AND amount_satang >= 0", name="nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_items.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    amount_satang: Mapped[int] = mapped_column(Integer)


# ---------------------------------------------------------------------------- the sales bot


class BotContext(Base):
    """What the bot remembers about a conversation (interested products, price range,
    preferences, stage). Forgotten after ``expires_at`` (the TTL setting, 30 minutes)."""

    __tablename__ = "bot_contexts"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(20), default="browsing")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Cart(Base):
    """A shopper's cart inside a chat, with what checkout has collected so far."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    discount_code: Mapped[str] = mapped_column(String(40), default="")
    checkout: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name, phone, address, step…
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column()


class CartItem(Base):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("cart_id", "variant_id", name="uq_cart_items_variant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DiscountCode(Base):
    """``kind`` is ``percent`` (``value`` in basis points: 1000 = 10%) or ``fixed`` (satang)."""

    __tablename__ = "discount_codes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(Integer)
    min_subtotal_satang: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[dt.datetime | None] = mapped_column()
    ends_at: Mapped[dt.datetime | None] = mapped_column()
    max_uses: Mapped[int | None] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProductReview(Base):
    """A shopper's rating (1–5) of a product, usually answered to the review-request flow."""

    __tablename__ = "product_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Flow(Base):
    """A stored sales flow: ``trigger`` (keyword, intent, button or event) and ``nodes``
    (message, question, action, condition, handoff) as JSON. ``builtin`` names the flows the
    app ships (product discovery, abandoned cart, review request). ``enabled_at`` is when it was
    last switched on."""

    __tablename__ = "flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    builtin: Mapped[str] = mapped_column(String(40), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    nodes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When the flow was last switched on: an event flow acts only on events after it, never
    # on imported or demo history (an order delivered last week, a cart left yesterday).
    enabled_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)

    def acts_since(self) -> dt.datetime:
        """The moment from which this flow's events count."""
        return self.enabled_at or self.updated_at


class FlowRun(Base):
    """A flow running in one conversation: where it stands and what it has collected."""

    __tablename__ = "flow_runs"
    __table_args__ = (Index("ix_flow_runs_status_wake_at", "status", "wake_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    node_id: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(12), default="running")  # running, waiting, done
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    wake_at: Mapped[dt.datetime | None] = mapped_column()
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------- marketing, analytics


class AnalyticsEvent(Base):
    """An event the seed lists (message_sent, product_viewed, added_to_cart, order_created…),
    kept for the retention setting's number of days."""

    __tablename__ = "analytics_events"
    __table_args__ = (
        Index("ix_analytics_events_kind_at", "kind", "at"),
        # The dashboard's conversation figures (message events), read from the index alone.
        Index("ix_analytics_events_dashboard", "kind", "at", "conversation_id", "data"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    conversation_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CustomerScore(Base):
    """RFM scores (1–5 each) and the named segment, recomputed from orders."""

    __tablename__ = "customer_scores"
    __table_args__ = (Index("ix_customer_scores_segment", "segment"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    recency: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary: Mapped[int] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(30))
    last_order_at: Mapped[dt.datetime | None] = mapped_column()
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    spent_satang: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """A message (text and/or product cards) to a segment or tag, now or at ``scheduled_at``.
    ``status``: draft, scheduled, sending, sent, cancelled."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[dict[str, Any]] = mapped_column(default=dict)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)  # segment, tags, channels
    status: Mapped[str] = mapped_column(String(12), default="draft")
    scheduled_at: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BroadcastRecipient(Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "customer_id", name="uq_broadcast_recipients_customer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    conversation_ref: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(14), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")  # sent, skipped, failed
    detail: Mapped[str] = mapped_column(Text, default="")
    message_uid: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------- live selling


class LiveSession(Base):
    """A live video the shop sells from: ``CF A12`` comments reserve the product shown as A12.

    ``status``: live (taking comments), ended (the video is over; unpaid carts wait for
    ``release_at``), closed (what was not checked out went back to the shelf)."""

    __tablename__ = "live_sessions"
    __table_args__ = (CheckConstraint("release_minutes >= 0", name="release_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="live")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    release_minutes: Mapped[int] = mapped_column(Integer, default=60)
    release_at: Mapped[dt.datetime | None] = mapped_column()
    actor: Mapped[str] = mapped_column(String(100), default="")


class LiveProduct(Base):
    """A product variant shown in a live under a short code (``A12``) commenters type."""

    __tablename__ = "live_products"
    __table_args__ = (UniqueConstraint("live_id", "code", name="uq_live_products_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    live_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12))
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class LiveCart(Base):
    """What one commenter has reserved in a live. ``status``: open (stock held for them),
    ordered (checked out into ``order_id``; the order holds the stock now), released (the
    time ran out and the stock went back)."""

    __tablename__ = "live_carts"
    __table_args__ = (UniqueConstraint("live_id", "commenter_id", name="uq_live_carts_commenter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    live_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    commenter_id: Mapped[str] = mapped_column(String(100))
    commenter_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LiveCartItem(Base):
    __tablename__ = "live_cart_items"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id", name="uq_live_cart_items_product"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("live_carts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("live_products.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_satang: Mapped[int] = mapped_column(Integer)


class LiveComment(Base):
    """A comment under the live and what it did: ``result`` is reserved, sold_out,
    not_understood, unknown_code or late (after the live ended). A comment id seen again is
    the same comment (Meta redelivers) and changes nothing. ``platform``: where it was written
    (facebook, instagram)."""

    __tablename__ = "live_comments"
    __table_args__ = (
        Index("ix_live_comments_live", "live_id", "id"),
        Index("ix_live_comments_reply_uid", "reply_uid"),  # a refused reply finds its comment
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    live_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    comment_id: Mapped[str] = mapped_column(String(100), unique=True)
    commenter_id: Mapped[str] = mapped_column(String(100))
    commenter_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    commented_at: Mapped[dt.datetime] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    result: Mapped[str] = mapped_column(String(14))
    code: Mapped[str] = mapped_column(String(12), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    reply_uid: Mapped[str] = mapped_column(String(64), default="")
    # facebook (a Page post) or instagram (a post or Live of the Instagram account)
    platform: Mapped[str] = mapped_column(String(10), default="facebook", server_default="facebook")
    # the relay's or Meta's words when the private reply could not be sent (Thai / English)
    reply_problem: Mapped[str] = mapped_column(Text, default="", server_default="")
