"""Orders: placing them with stock reserved, pricing with VAT, the status state machine.

Status moves along ``pending → confirmed → processing → shipped → delivered``; an order can be
cancelled before it ships (its reserved stock comes back) and refunded once paid (its stock
comes back, as the goods are returned). A counter (POS) sale is placed complete: paid and
delivered at once, its stock taken as a sale.

Order numbers read well on the phone: ``{prefix}-{year}-{n:06d}`` (``MC-2026-000123``), counted
per prefix and Bangkok calendar year, without gaps (the counter is part of the transaction).

Prices are integer satang. VAT uses the rate in force on the order's Bangkok date; with prices
that include VAT it is ``gross × r / (1 + r)``, else ``gross × r`` added on top, rounded half up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain import shop as shop_mod
from minichat_desktop.domain.activity import analytics, notifications
from minichat_desktop.domain.catalog.stock import (
    VariantStock,
    expire_loaded_stock,
    record_movements,
    record_movements_raw,
)
from minichat_desktop.domain.models import (
    Channel,
    MovementReason,
    Order,
    OrderEvent,
    OrderItem,
    OrderNote,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ProductVariant,
    Refund,
    utcnow,
)
from minichat_desktop.domain.payments import slips
from minichat_desktop.domain.sales import refunds
from minichat_desktop.domain.sales import tax_documents as documents
from minichat_desktop.domain.sales.tax_point import TaxPointBasis, record_tax_point
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import InvalidTransition, NotFound, UserError

S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.PROCESSING, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PROCESSING, S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.PROCESSING: frozenset({S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

MAX_QUANTITY = 10_000


# ---------------------------------------------------------------------------- money


def round_half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, exactly, for non-negative integers."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up_div takes a non-negative numerator")
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: int
    discount: int
    shipping: int
    vat_rate_bp: int
    vat: int
    total: int

    @property
    def net(self) -> int:
        """The value before VAT."""
        return self.total - self.vat


def compute_totals(
    subtotal: int,
    discount: int,
    shipping: int,
    *,
    vat_registered: bool,
    prices_include_vat: bool,
    rate_bp: int,
) -> Totals:
    """Totals of an order in satang. Raises :class:`UserError` for a discount above the
    subtotal or negative amounts."""
    if min(subtotal, discount, shipping) < 0:
        raise UserError("order.negative_money", "amounts cannot be negative")
    if discount > subtotal:
        raise UserError(
            "order.discount_too_big",
            "the discount is larger than the subtotal",
            discount=discount,
            subtotal=subtotal,
        )
    gross = subtotal - discount + shipping
    if not vat_registered or rate_bp == 0:
        return Totals(subtotal, discount, shipping, 0, 0, gross)
    if prices_include_vat:
        vat = round_half_up_div(gross * rate_bp, 10_000 + rate_bp)
        return Totals(subtotal, discount, shipping, rate_bp, vat, gross)
    vat = round_half_up_div(gross * rate_bp, 10_000)
    return Totals(subtotal, discount, shipping, rate_bp, vat, gross + vat)


# ---------------------------------------------------------------------------- inputs and views


@dataclass(slots=True)
class LineInput:
    """One line of a new order: a variant (by id, or by SKU/barcode) and a quantity.
    ``unit_price_satang`` overrides the catalog price (a counter price change);
    ``discount_satang`` is the discount on the whole line."""

    quantity: int
    variant_id: int | None = None
    sku: str | None = None
    unit_price_satang: int | None = None
    discount_satang: int = 0


@dataclass(slots=True)
class NewOrder:
    channel: Channel
    lines: list[LineInput]
    payment_method: PaymentMethod = PaymentMethod.PROMPTPAY
    customer_id: int | None = None
    customer_name: str = ""
    customer_phone: str = ""
    customer_email: str = ""
    customer_tax_id: str = ""
    customer_branch: str = ""
    ship_name: str = ""
    ship_phone: str = ""
    ship_address: str = ""
    ship_subdistrict: str = ""
    ship_district: str = ""
    ship_province: str = ""
    ship_postcode: str = ""
    shipping_method: str = ""
    shipping_satang: int = 0
    discount_satang: int = 0
    discount_code: str = ""
    cod: bool = False
    note: str = ""
    conversation_ref: str = ""
    # A counter sale: paid and handed over now (stock taken as a sale, not a reservation).
    completed: bool = False
    payment_ref: str = ""
    created_at: dt.datetime | None = None  # for imports and demo data; default now


@dataclass(frozen=True, slots=True)
class OrderItemView:
    id: int
    product_id: int | None
    variant_id: int | None
    sku: str
    name: str
    variant_title: str
    unit_price_satang: int
    quantity: int
    discount_satang: int
    line_total_satang: int


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    kind: str
    status: str
    note: str
    actor: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NoteView:
    text: str
    author: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RefundBrief:
    """A refund as the order's detail lists it (``refunds.list_refunds`` has its lines)."""

    id: int
    at: dt.datetime
    amount_satang: int
    vat_satang: int
    reason: str
    actor: str
    restocked: bool


@dataclass(frozen=True, slots=True)
class OrderSummary:
    id: int
    number: str
    channel: str
    status: str
    payment_status: str
    payment_method: str
    customer_id: int | None
    customer_name: str
    customer_phone: str
    total_satang: int
    item_count: int
    carrier: str
    tracking_number: str
    created_at: dt.datetime
    refunded_satang: int = 0  # money given back so far (a partly refunded order stays open)

    @property
    def partly_refunded(self) -> bool:
        return self.refunded_satang > 0 and self.payment_status != PaymentStatus.REFUNDED


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    number: str
    channel: str
    status: str
    customer_id: int | None
    customer_name: str
    customer_phone: str
    customer_email: str
    customer_tax_id: str
    customer_branch: str
    subtotal_satang: int
    discount_satang: int
    discount_code: str
    shipping_satang: int
    vat_rate_bp: int
    vat_satang: int
    total_satang: int
    prices_include_vat: bool
    payment_method: str
    payment_status: str
    paid_at: dt.datetime | None
    payment_ref: str
    slip_path: str
    ship_name: str
    ship_phone: str
    ship_address: str
    ship_subdistrict: str
    ship_district: str
    ship_province: str
    ship_postcode: str
    shipping_method: str
    carrier: str
    tracking_number: str
    cod_satang: int
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    tax_point_at: dt.datetime | None
    tax_point_basis: str
    conversation_ref: str
    cancel_reason: str
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    items: tuple[OrderItemView, ...] = field(default=())
    notes: tuple[NoteView, ...] = field(default=())
    timeline: tuple[TimelineEntry, ...] = field(default=())
    # What the check of the latest slip found (None: no slip recorded since checks began).
    slip_check: slips.SlipCheckView | None = None
    refunds: tuple[RefundBrief, ...] = field(default=())

    @property
    def refunded_satang(self) -> int:
        """Money given back so far (a partly refunded order keeps its status)."""
        return sum(r.amount_satang for r in self.refunds)

    @property
    def partly_refunded(self) -> bool:
        return bool(self.refunds) and self.payment_status != PaymentStatus.REFUNDED

    @property
    def allowed_next(self) -> frozenset[OrderStatus]:
        return allowed_transitions(OrderStatus(self.status), PaymentStatus(self.payment_status))

    @property
    def item_count(self) -> int:
        return sum(i.quantity for i in self.items)


def allowed_transitions(status: OrderStatus, payment: PaymentStatus) -> frozenset[OrderStatus]:
    """Where an order may go next: refund needs a payment; a paid order is refunded, not
    cancelled."""
    nxt = set(TRANSITIONS[status])
    if payment != PaymentStatus.PAID:
        nxt.discard(S.REFUNDED)
    else:
        nxt.discard(S.CANCELLED)
    return frozenset(nxt)


_VIEW_FIELDS = [
    f
    for f in OrderView.__dataclass_fields__
    if f not in ("items", "notes", "timeline", "slip_check", "refunds")
]


def order_view(o: Order) -> OrderView:
    return OrderView(
        **{name: getattr(o, name) for name in _VIEW_FIELDS},
        items=tuple(
            OrderItemView(
                i.id,
                i.product_id,
                i.variant_id,
                i.sku,
                i.name,
                i.variant_title,
                i.unit_price_satang,
                i.quantity,
                i.discount_satang,
                i.line_total_satang,
            )
            for i in o.items
        ),
        notes=tuple(NoteView(n.text, n.author, n.created_at) for n in o.notes),
        timeline=tuple(
            TimelineEntry(e.kind, e.status, e.note, e.actor, e.created_at) for e in o.events
        ),
        slip_check=slips.slip_view(o.slips[-1]) if o.slips else None,
        refunds=tuple(
            RefundBrief(r.id, r.at, r.amount_satang, r.vat_satang, r.reason, r.actor, r.restocked)
            for r in o.refunds
        ),
    )


# ---------------------------------------------------------------------------- numbering


def next_number(session: Session, prefix: str, when: dt.datetime) -> str:
    return _next_number(DriverConnection(session), prefix, when)


def _next_number(raw: DriverConnection, prefix: str, when: dt.datetime) -> str:
    year = when.astimezone(shop_mod.BANGKOK).year
    (value,) = raw.execute(
        "INSERT INTO sequences (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (f"order:{prefix}:{year}",),
    ).fetchone()
    return f"{prefix}-{year}-{value:06d}"


# ---------------------------------------------------------------------------- placing
#
# place_order is the till's hot path (a counter sale per scan-and-pay): every read and write
# goes through one DriverConnection — plain SQL, one INSERT per table (order, items, timeline,
# note, stock movements, analytics event, notification), no ORM objects and no flush — as its
# statements cost microseconds where SQLAlchemy's cost 0.15-0.6 ms each. bench/bench_orders.py
# measures it.


@dataclass(frozen=True, slots=True)
class _ShopTerms:
    vat_registered: bool
    prices_include_vat: bool
    order_prefix: str
    vat_rate_bp: int | None  # in force on the order's date; None when no rate is set


def _shop_terms(raw: DriverConnection, on: dt.date) -> _ShopTerms | None:
    """The shop's pricing terms, read in the order's transaction (another process may have
    just changed them). None when the shop row does not exist yet."""
    row = raw.execute(
        "SELECT vat_registered, prices_include_vat, order_prefix,"
        " (SELECT rate_bp FROM vat_rates WHERE effective_from <= ?"
        "  ORDER BY effective_from DESC LIMIT 1)"
        " FROM shop WHERE id = 1",
        (on.isoformat(),),
    ).fetchone()
    if row is None:
        return None
    return _ShopTerms(bool(row[0]), bool(row[1]), row[2], row[3])


def _variant_ids_by_code(raw: DriverConnection, codes: list[str]) -> dict[str, int]:
    """Variant ids by SKU, and by barcode where no SKU is the same."""
    marks = ", ".join("?" * len(codes))
    found: dict[str, int] = {}
    for vid, sku, barcode in raw.execute(
        "SELECT id, sku, barcode FROM product_variants"
        f" WHERE sku IN ({marks}) OR barcode IN ({marks})",
        codes + codes,
    ):
        found[sku] = vid
        if barcode:
            found.setdefault(barcode, vid)
    return found


class _Sellable(NamedTuple):
    sku: str
    title: str
    price_satang: int | None  # the variant's own price
    active: bool
    product_id: int
    name: str
    product_price_satang: int
    product_active: bool
    stock: int
    track_inventory: bool
    low_stock_threshold: int


def _sellables(raw: DriverConnection, variant_ids: list[int]) -> dict[int, _Sellable]:
    unique = list(dict.fromkeys(variant_ids))
    rows = raw.execute(
        "SELECT v.id, v.sku, v.title, v.price_satang, v.active, v.product_id, p.name_th,"
        " p.price_satang, p.active, v.stock, p.track_inventory, p.low_stock_threshold"
        " FROM product_variants v JOIN products p ON p.id = v.product_id"
        f" WHERE v.id IN ({', '.join('?' * len(unique))})",
        unique,
    )
    sellables: dict[int, _Sellable] = {}
    for vid, sku, title, own, on, pid, name, pprice, pon, stock, track, threshold in rows:
        sellables[vid] = _Sellable(
            sku, title, own, bool(on), pid, name, pprice, bool(pon), stock, bool(track), threshold
        )
    return sellables


def _customer_exists(raw: DriverConnection, customer_id: int) -> bool:
    row = raw.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone()
    return row is not None


def place_order(session: Session, new: NewOrder, actor: str) -> OrderView:
    """Create an order, reserve its stock (or take it, for a completed counter sale) and give
    it the next number. All or nothing: raises :class:`UserError` (an unknown or inactive
    product, a bad quantity, a discount too big) or :class:`OutOfStock` with nothing stored
    (the caller's unit of work rolls back).
    """
    if not new.lines:
        raise UserError("order.empty", "an order needs at least one item")
    now = new.created_at or utcnow()
    raw, terms = _open_with_terms(session, now)
    variant_ids = _resolve_variants(raw, new.lines)
    sellables = _sellables(raw, variant_ids)
    items = _price_lines(new.lines, variant_ids, sellables)
    totals = _order_totals(session, terms, new, items, now)
    if new.customer_id is not None and not _customer_exists(raw, new.customer_id):
        raise NotFound(
            "order.unknown_customer", f"no customer with id {new.customer_id}", id=new.customer_id
        )
    number = _next_number(raw, terms.order_prefix, now)
    order = _order_row(new, number, totals, terms.prices_include_vat, actor, now)
    view = _store_order(raw, new, order, items, actor)
    moved = record_movements_raw(
        raw,
        {vid: -qty for vid, qty in _quantities(items).items()},
        MovementReason.SALE if new.completed else MovementReason.RESERVATION,
        actor,
        note=number,
        order_id=view.id,
        current={
            vid: VariantStock(r.sku, r.stock, r.track_inventory, r.low_stock_threshold)
            for vid, r in sellables.items()
        },
    )
    expire_loaded_stock(session, moved)
    if not new.completed:
        # A counter sale happens in front of the owner; an order from a chat needs their eyes.
        who = view.customer_name or view.ship_name
        body = f"{who} · {format_baht(view.total_satang, symbol=True)}".strip(" ·")
        notifications.notify_raw(
            raw,
            notifications.NotificationKind.NEW_ORDER,
            f"ออเดอร์ใหม่ {number}",
            body,
            ref=f"order:{view.id}",
            en=(f"New order {number}", body),
        )
    return view


def _open_with_terms(session: Session, now: dt.datetime) -> tuple[DriverConnection, _ShopTerms]:
    """The driver connection and the shop's terms, creating the shop row on first use."""
    raw = DriverConnection(session)
    terms = _shop_terms(raw, shop_mod.bangkok_today(now))
    if terms is None:
        shop_mod.ensure_defaults(session)
        raw = DriverConnection(session)  # flushes the shop row ensure_defaults added
        terms = _shop_terms(raw, shop_mod.bangkok_today(now))
        assert terms is not None
    return raw, terms


def _resolve_variants(raw: DriverConnection, lines: list[LineInput]) -> list[int]:
    """Each line's variant id (looked up by SKU or barcode where not given). Raises
    :class:`UserError` for a bad quantity or negative money and :class:`NotFound` for an
    unknown code, naming the line."""
    by_sku = [ln.sku for ln in lines if ln.variant_id is None and ln.sku]
    sku_map = _variant_ids_by_code(raw, by_sku) if by_sku else {}
    variant_ids: list[int] = []
    for n, ln in enumerate(lines, start=1):
        if not 0 < ln.quantity <= MAX_QUANTITY:
            raise UserError(
                "order.bad_quantity",
                f"line {n}: quantity must be 1 to {MAX_QUANTITY}",
                line=n,
                quantity=ln.quantity,
            )
        if ln.discount_satang < 0 or (ln.unit_price_satang or 0) < 0:
            raise UserError("order.negative_money", f"line {n}: amounts cannot be negative", line=n)
        vid = ln.variant_id if ln.variant_id is not None else sku_map.get(ln.sku or "")
        if vid is None:
            raise NotFound(
                "order.unknown_item", f"line {n}: no product with SKU {ln.sku}", line=n, sku=ln.sku
            )
        variant_ids.append(vid)
    return variant_ids


def _price_lines(
    lines: list[LineInput], variant_ids: list[int], sellables: dict[int, _Sellable]
) -> list[dict[str, Any]]:
    """The order's item rows (all but ``order_id``), priced from the catalog unless a line
    overrides the price. Raises :class:`NotFound` or :class:`UserError` naming the line."""
    items: list[dict[str, Any]] = []
    for n, (ln, vid) in enumerate(zip(lines, variant_ids, strict=True), start=1):
        r = sellables.get(vid)
        if r is None:
            raise NotFound("order.unknown_item", f"line {n}: no product variant {vid}", line=n)
        if not (r.active and r.product_active):
            raise UserError(
                "order.inactive_item", f"line {n}: {r.sku} is not for sale", line=n, sku=r.sku
            )
        unit = (
            ln.unit_price_satang
            if ln.unit_price_satang is not None
            else (r.price_satang if r.price_satang is not None else r.product_price_satang)
        )
        gross = unit * ln.quantity
        if ln.discount_satang > gross:
            raise UserError(
                "order.discount_too_big", f"line {n}: the discount is larger than the line", line=n
            )
        items.append(
            {
                "product_id": r.product_id,
                "variant_id": vid,
                "sku": r.sku,
                "name": r.name,
                "variant_title": r.title,
                "unit_price_satang": unit,
                "quantity": ln.quantity,
                "discount_satang": ln.discount_satang,
                "line_total_satang": gross - ln.discount_satang,
            }
        )
    return items


def _order_totals(
    session: Session,
    terms: _ShopTerms,
    new: NewOrder,
    items: list[dict[str, Any]],
    now: dt.datetime,
) -> Totals:
    """The order's totals at the VAT rate in force on its Bangkok date. Raises
    :class:`UserError` when the shop is VAT-registered and no rate is set for that date."""
    rate = 0
    if terms.vat_registered:
        if terms.vat_rate_bp is None:  # raises the "no rate for that date" error
            shop_mod.vat_rate_bp(session, shop_mod.bangkok_today(now))
        rate = terms.vat_rate_bp or 0
    return compute_totals(
        sum(i["line_total_satang"] for i in items),
        new.discount_satang,
        new.shipping_satang,
        vat_registered=terms.vat_registered,
        prices_include_vat=terms.prices_include_vat,
        rate_bp=rate,
    )


def _quantities(items: list[dict[str, Any]]) -> dict[int, int]:
    """Units per variant, over lines that repeat a variant, in the order of first mention."""
    need: dict[int, int] = defaultdict(int)
    for item in items:
        need[item["variant_id"]] += item["quantity"]
    return need


def _order_row(
    new: NewOrder,
    number: str,
    totals: Totals,
    prices_include_vat: bool,
    actor: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The ``orders`` row (every column but ``id``)."""
    completed = new.completed
    return {
        "number": number,
        "channel": new.channel,
        "status": S.DELIVERED if completed else S.PENDING,
        "customer_id": new.customer_id,
        "customer_name": new.customer_name.strip(),
        "customer_phone": new.customer_phone.strip(),
        "customer_email": new.customer_email.strip(),
        "customer_tax_id": new.customer_tax_id.strip(),
        "customer_branch": new.customer_branch.strip(),
        "subtotal_satang": totals.subtotal,
        "discount_satang": totals.discount,
        "discount_code": new.discount_code.strip(),
        "shipping_satang": totals.shipping,
        "vat_rate_bp": totals.vat_rate_bp,
        "vat_satang": totals.vat,
        "total_satang": totals.total,
        "prices_include_vat": prices_include_vat,
        "payment_method": new.payment_method,
        "payment_status": PaymentStatus.PAID if completed else PaymentStatus.PENDING,
        "paid_at": now if completed else None,
        "payment_ref": new.payment_ref,
        "slip_path": "",
        "ship_name": new.ship_name.strip(),
        "ship_phone": new.ship_phone.strip(),
        "ship_address": new.ship_address.strip(),
        "ship_subdistrict": new.ship_subdistrict.strip(),
        "ship_district": new.ship_district.strip(),
        "ship_province": new.ship_province.strip(),
        "ship_postcode": new.ship_postcode.strip(),
        "shipping_method": new.shipping_method.strip(),
        "carrier": "",
        "tracking_number": "",
        "cod_satang": totals.total if new.cod else 0,
        "shipped_at": None,
        "delivered_at": now if completed else None,
        "tax_point_at": now if completed else None,
        "tax_point_basis": TaxPointBasis.SALE.value if completed else "",
        "conversation_ref": new.conversation_ref,
        "cancel_reason": "",
        "created_by": actor,
        "created_at": now,
        "updated_at": now,
    }


def _store_order(
    raw: DriverConnection,
    new: NewOrder,
    order: dict[str, Any],
    items: list[dict[str, Any]],
    actor: str,
) -> OrderView:
    """Insert the order, its analytics event, items, first timeline entry and note — one
    statement per table — and return its view from the values just stored."""
    now: dt.datetime = order["created_at"]
    order_id = raw.insert(Order.__table__, order)
    analytics.record_raw(
        raw,
        analytics.ORDER_CREATED,
        at=now,
        order_id=order_id,
        customer_id=order["customer_id"],
        data={"channel": str(new.channel), "total_satang": order["total_satang"]},
    )
    item_ids = raw.insert_all(OrderItem.__table__, [{"order_id": order_id, **i} for i in items])
    status = order["status"]
    event_note = "counter sale" if new.completed else "placed"
    raw.insert_all(
        OrderEvent.__table__,
        [
            {
                "order_id": order_id,
                "kind": "status",
                "status": status,
                "note": event_note,
                "actor": actor,
                "created_at": now,
            }
        ],
    )
    note = new.note.strip()
    if note:
        raw.insert_all(
            OrderNote.__table__,
            [{"order_id": order_id, "text": note, "author": actor, "created_at": now}],
        )
    utc = now.astimezone(dt.UTC)  # times as they read back
    return OrderView(
        id=order_id,
        **{k: order[k] for k in _VIEW_FIELDS if k != "id"},
        items=tuple(OrderItemView(iid, **item) for iid, item in zip(item_ids, items, strict=True)),
        notes=(NoteView(note, actor, utc),) if note else (),
        timeline=(TimelineEntry("status", status, event_note, actor, utc),),
    )


# ---------------------------------------------------------------------------- loading, listing


def _load(session: Session, order_id: int | None = None, number: str | None = None) -> Order:
    stmt = select(Order).options(
        selectinload(Order.items),
        selectinload(Order.notes),
        selectinload(Order.events),
        selectinload(Order.slips),
        selectinload(Order.refunds),
    )
    stmt = (
        stmt.where(Order.id == order_id)
        if order_id is not None
        else stmt.where(Order.number == (number or "").strip().upper())
    )
    order = session.scalar(stmt)
    if order is None:
        what = number if number is not None else order_id
        raise NotFound("order.not_found", f"no order {what}", order=str(what))
    return order


def get_order(session: Session, order_id: int) -> OrderView:
    return order_view(_load(session, order_id=order_id))


def get_order_by_number(session: Session, number: str) -> OrderView:
    return order_view(_load(session, number=number))


@dataclass(frozen=True, slots=True)
class OrderFilters:
    status: str | None = None
    channel: str | None = None
    payment_status: str | None = None
    customer_id: int | None = None
    created_from: dt.datetime | None = None  # inclusive, aware
    created_to: dt.datetime | None = None  # exclusive, aware
    min_total_satang: int | None = None
    max_total_satang: int | None = None
    search: str = ""  # number, phone or name


def list_orders(
    session: Session,
    filters: OrderFilters = OrderFilters(),
    *,
    limit: int | None = 200,
    offset: int = 0,
) -> list[OrderSummary]:
    """Orders newest first, filtered; at most ``limit`` of them (None: all)."""
    count = (
        select(func.coalesce(func.sum(OrderItem.quantity), 0))
        .where(OrderItem.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(Refund.amount_satang), 0))
        .where(Refund.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    stmt = select(
        Order.id,
        Order.number,
        Order.channel,
        Order.status,
        Order.payment_status,
        Order.payment_method,
        Order.customer_id,
        Order.customer_name,
        Order.customer_phone,
        Order.total_satang,
        count.label("item_count"),
        Order.carrier,
        Order.tracking_number,
        Order.created_at,
        refunded.label("refunded_satang"),
    )
    stmt = _filtered(stmt, filters)
    stmt = stmt.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit).offset(offset)
    return [OrderSummary(**r._mapping) for r in session.execute(stmt)]


def count_orders(session: Session, filters: OrderFilters = OrderFilters()) -> int:
    """How many orders :func:`list_orders` would list without a limit."""
    stmt = _filtered(select(func.count(Order.id)), filters)
    return int(session.execute(stmt).scalar_one())


def _filtered[S: Select[*tuple[Any, ...]]](stmt: S, filters: OrderFilters) -> S:
    """``stmt`` narrowed by ``filters``."""
    if filters.status:
        statuses = [s.strip() for s in filters.status.split(",") if s.strip()]
        for s in statuses:
            if s not in OrderStatus.__members__.values():
                raise UserError(
                    "order.unknown_status",
                    f"unknown status {s!r}; use one of " + ", ".join(OrderStatus),
                    status=s,
                )
        stmt = stmt.where(Order.status.in_(statuses))
    if filters.channel:
        stmt = stmt.where(Order.channel == filters.channel)
    if filters.payment_status:
        stmt = stmt.where(Order.payment_status == filters.payment_status)
    if filters.customer_id is not None:
        stmt = stmt.where(Order.customer_id == filters.customer_id)
    if filters.created_from is not None:
        stmt = stmt.where(Order.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(Order.created_at < filters.created_to)
    if filters.min_total_satang is not None:
        stmt = stmt.where(Order.total_satang >= filters.min_total_satang)
    if filters.max_total_satang is not None:
        stmt = stmt.where(Order.total_satang <= filters.max_total_satang)
    q = filters.search.strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        conds = [
            Order.number.contains(q.upper()),
            Order.customer_name.contains(q),
            Order.ship_name.contains(q),
        ]
        if len(digits) >= 3:
            conds += [Order.customer_phone.contains(digits), Order.ship_phone.contains(digits)]
        stmt = stmt.where(or_(*conds))
    return stmt


# ---------------------------------------------------------------------------- changes


def _event(
    session: Session,
    order: Order,
    kind: str,
    actor: str,
    note: str = "",
    status: str = "",
    at: dt.datetime | None = None,
) -> None:
    session.add(
        OrderEvent(
            order_id=order.id,
            kind=kind,
            status=status,
            note=note,
            actor=actor,
            created_at=at or utcnow(),
        )
    )


def change_status(
    session: Session,
    order_id: int,
    to: OrderStatus,
    actor: str,
    note: str = "",
    *,
    at: dt.datetime | None = None,
    buyer: documents.Buyer | None = None,
) -> OrderView:
    """Move an order to ``to``. Cancelling gives reserved stock back; refunding refunds
    everything still refundable (``refunds.refund_rest``: the whole order, or the rest after
    partial refunds), gives that stock back, marks the payment refunded and, when the order
    had a tax invoice, issues the refund's credit note. Raises :class:`InvalidTransition`
    naming both statuses when the move is not allowed. ``at`` (aware; default now) is when it
    happened: the demo shop records past changes at their own times. ``buyer``: who the
    refund's credit note names when its tax invoice names nobody
    (``document.credit_note_buyer_required``)."""
    order = _load(session, order_id=order_id)
    current = OrderStatus(order.status)
    to = OrderStatus(to)
    if to not in allowed_transitions(current, PaymentStatus(order.payment_status)):
        hint = ""
        if to == S.CANCELLED and order.payment_status == PaymentStatus.PAID:
            hint = "; it is paid: refund it instead"
        elif to == S.REFUNDED and order.payment_status != PaymentStatus.PAID:
            hint = "; it is not paid"
        raise InvalidTransition(
            "order.bad_transition",
            f"order {order.number} cannot go from {current} to {to}{hint}",
            order=order.number,
            current=current,
            to=to,
        )
    now = utcnow()
    if at is not None:
        if at.tzinfo is None:
            raise ValueError("at must be an aware datetime")
        now = at.astimezone(dt.UTC)
    if to == S.CANCELLED:
        back: dict[int, int] = defaultdict(int)
        for item in order.items:
            if item.variant_id is not None:
                back[item.variant_id] += item.quantity
        alive = set(
            session.scalars(select(ProductVariant.id).where(ProductVariant.id.in_(list(back))))
        )
        record_movements(
            session,
            {vid: qty for vid, qty in back.items() if vid in alive},
            MovementReason.CANCELLATION,
            actor,
            note=order.number,
            order_id=order.id,
        )
        order.cancel_reason = note
    if to == S.REFUNDED:  # the rest of the order, with its credit note when it had a tax invoice
        refunds.refund_rest(session, order, actor, note, at=now, buyer=buyer)
    if to == S.SHIPPED and order.shipped_at is None:
        order.shipped_at = now
    if to == S.DELIVERED:
        order.delivered_at = now
        record_tax_point(order, now, TaxPointBasis.DELIVERY)
    order.status = to
    order.updated_at = now
    _event(session, order, "status", actor, note, status=to, at=now)
    session.flush()
    session.expire(order, ["events", "refunds"])
    return order_view(order)


def mark_paid(
    session: Session,
    order_id: int,
    actor: str,
    *,
    method: PaymentMethod | None = None,
    reference: str = "",
    paid_at: dt.datetime | None = None,
) -> OrderView:
    """Record the payment. A pending order becomes confirmed. Raises :class:`UserError` if it
    is cancelled, refunded or already paid."""
    order = _load(session, order_id=order_id)
    if order.status in (S.CANCELLED, S.REFUNDED):
        raise UserError(
            "order.closed", f"order {order.number} is {order.status}", order=order.number
        )
    if order.payment_status == PaymentStatus.PAID:
        raise UserError(
            "order.already_paid", f"order {order.number} is already paid", order=order.number
        )
    order.payment_status = PaymentStatus.PAID
    order.paid_at = paid_at or utcnow()
    record_tax_point(order, order.paid_at, TaxPointBasis.PAYMENT)
    if method is not None:
        order.payment_method = method
    order.payment_ref = reference.strip()
    _event(session, order, "payment", actor, reference.strip(), status=PaymentStatus.PAID)
    if order.status == S.PENDING:
        order.status = S.CONFIRMED
        _event(session, order, "status", actor, "paid", status=S.CONFIRMED)
    order.updated_at = utcnow()
    session.flush()
    session.expire(order, ["events"])
    return order_view(order)


def attach_slip(
    session: Session,
    order_id: int,
    path: str,
    actor: str,
    *,
    sha256: str = "",
    payloads: Sequence[str] = (),
) -> OrderView:
    """Keep the payment slip's picture on the order (``slip_path``: the latest) and record it
    with what its check finds (:func:`~minichat_desktop.domain.payments.slips.record_slip`:
    the QR ``payloads`` read from the file, its ``sha256``), in this unit of work. The owner
    then looks and marks the order paid; nothing here does."""
    order = _load(session, order_id=order_id)
    order.slip_path = path
    slips.record_slip(
        session,
        order.id,
        path,
        sha256=sha256,
        payloads=payloads,
        conversation_ref=order.conversation_ref,
    )
    _event(session, order, "slip", actor, "payment slip received")
    session.flush()
    session.expire(order, ["events", "slips"])
    return order_view(order)


def set_shipping(
    session: Session,
    order_id: int,
    actor: str,
    *,
    carrier: str | None = None,
    tracking_number: str | None = None,
    method: str | None = None,
) -> OrderView:
    order = _load(session, order_id=order_id)
    if order.status in (S.CANCELLED, S.REFUNDED):
        raise UserError(
            "order.closed", f"order {order.number} is {order.status}", order=order.number
        )
    changes = []
    if carrier is not None and carrier.strip() != order.carrier:
        order.carrier = carrier.strip()
        changes.append(f"carrier {order.carrier}")
    if tracking_number is not None:
        tracking = "".join(tracking_number.split()).upper()
        if tracking != order.tracking_number:
            order.tracking_number = tracking
            changes.append(f"tracking {tracking}")
    if method is not None and method.strip() != order.shipping_method:
        order.shipping_method = method.strip()
        changes.append(f"method {order.shipping_method}")
    if changes:
        _event(session, order, "shipping", actor, ", ".join(changes))
        order.updated_at = utcnow()
    session.flush()
    session.expire(order, ["events"])
    return order_view(order)


def add_note(session: Session, order_id: int, text: str, actor: str) -> OrderView:
    if not text.strip():
        raise UserError("order.empty_note", "the note is empty")
    order = _load(session, order_id=order_id)
    session.add(OrderNote(order_id=order.id, text=text.strip(), author=actor, created_at=utcnow()))
    session.flush()
    session.expire(order, ["notes"])
    return order_view(order)


def bulk_change_status(
    session: Session, order_ids: list[int], to: OrderStatus, actor: str
) -> tuple[list[OrderView], list[tuple[int, str]]]:
    """Move several orders; those that cannot move are reported, the others moved."""
    done: list[OrderView] = []
    failed: list[tuple[int, str]] = []
    for oid in order_ids:
        try:
            with session.begin_nested():
                done.append(change_status(session, oid, to, actor))
        except UserError as exc:
            failed.append((oid, exc.message))
    return done, failed
