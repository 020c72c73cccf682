"""The counter (POS): what a scanned code sells, the drawer's shifts, counter sales with split
tenders, held sales, refunds and the end-of-day (Z) report.

A counter sale is an order of channel ``pos`` placed as *completed* (paid, handed over, stock
taken as a sale) by :func:`orders.place_order`, so stock, customers and reports see it like any
other order. Each tender is an :class:`OrderPayment` tied to the open shift; a refund adds
negative tenders mirroring the sale's (cash back in cash), so the drawer's expected cash is
always::

    float + cash taken - change given + cash in - cash out - cash refunded

Everything works with no network: nothing here talks to the relay.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain import shop as shop_mod
from minichat_desktop.domain.catalog.products import normalize_code
from minichat_desktop.domain.models import (
    CashMovement,
    Channel,
    HeldSale,
    Order,
    OrderItem,
    OrderPayment,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Shift,
    utcnow,
)
from minichat_desktop.domain.sales import orders as orders_mod
from minichat_desktop.domain.sales import refunds
from minichat_desktop.domain.sales import tax_documents as documents
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.domain.thai import ThaiFormatError, format_baht, validate_tax_id
from minichat_desktop.errors import UserError

FAVOURITES_KEY = "pos.favourites"
MAX_FAVOURITES = 24

# ---------------------------------------------------------------------------- what a code sells


@dataclass(frozen=True, slots=True)
class Sellable:
    """One variant as the till shows it."""

    variant_id: int
    product_id: int
    sku: str
    barcode: str | None
    name: str
    variant_title: str
    price_satang: int
    stock: int
    track_inventory: bool
    image: str = ""  # the product's first picture, relative to the data folder
    category: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.variant_title})" if self.variant_title else self.name


_SELLABLE_SQL = """
SELECT v.id, v.product_id, v.sku, v.barcode, p.name_th, v.title,
       COALESCE(v.price_satang, p.price_satang), v.stock, p.track_inventory,
       json_extract(p.images, '$[0]'), (SELECT c.name FROM categories c WHERE c.id = p.category_id)
FROM product_variants v JOIN products p ON p.id = v.product_id
WHERE v.active = 1 AND p.active = 1 AND {where}
"""


def _sellable(row: Sequence[Any]) -> Sellable:
    return Sellable(
        row[0], row[1], row[2], row[3], row[4], row[5] or "", row[6], row[7], bool(row[8]),
        row[9] or "", row[10] or "",
    )  # fmt: skip


def lookup_code(session: Session, code: str) -> Sellable | None:
    """The active variant a scanned barcode or typed SKU names (barcode first), or None.
    Two indexed lookups: the scanner's hot path."""
    norm = normalize_code(code)
    if not norm:
        return None
    raw = DriverConnection(session)
    tries = [("v.barcode", norm), ("v.sku", norm)]
    if norm.upper() != norm:  # SKUs are kept as entered, mostly upper case; staff type lower
        tries.append(("v.sku", norm.upper()))
    for column, value in tries:
        row = raw.execute(_SELLABLE_SQL.format(where=f"{column} = ?"), (value,)).fetchone()
        if row is not None:
            return _sellable(row)
    return None


def sellables(session: Session, variant_ids: Sequence[int]) -> list[Sellable]:
    """The given variants (inactive ones left out), in the order asked."""
    if not variant_ids:
        return []
    raw = DriverConnection(session)
    marks = ",".join("?" * len(variant_ids))
    rows = raw.execute(_SELLABLE_SQL.format(where=f"v.id IN ({marks})"), tuple(variant_ids))
    found = {r[0]: _sellable(r) for r in rows}
    return [found[v] for v in variant_ids if v in found]


def product_sellables(session: Session, product_ids: Sequence[int]) -> list[Sellable]:
    """Every active variant of the given products, products in the order asked."""
    if not product_ids:
        return []
    raw = DriverConnection(session)
    marks = ",".join("?" * len(product_ids))
    rows = raw.execute(
        _SELLABLE_SQL.format(where=f"v.product_id IN ({marks})") + " ORDER BY v.position, v.id",
        tuple(product_ids),
    ).fetchall()
    rank = {pid: n for n, pid in enumerate(product_ids)}
    return sorted((_sellable(r) for r in rows), key=lambda s: rank[s.product_id])


def favourites(session: Session) -> list[Sellable]:
    """The quick grid: the owner's chosen variants, or the best sellers of the last 30 days
    when none are chosen."""
    chosen = shop_mod.get_setting(session, FAVOURITES_KEY, None)
    if chosen:
        return sellables(session, [int(v) for v in chosen])
    since = utcnow() - dt.timedelta(days=30)
    best = session.execute(
        select(OrderItem.variant_id)
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.created_at >= since, OrderItem.variant_id.is_not(None))
        .where(Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]))
        .group_by(OrderItem.variant_id)
        .order_by(func.sum(OrderItem.quantity).desc())
        .limit(MAX_FAVOURITES)
    ).scalars()
    return sellables(session, [v for v in best if v is not None])


def set_favourites(session: Session, variant_ids: Sequence[int]) -> None:
    ids = list(dict.fromkeys(int(v) for v in variant_ids))
    if len(ids) > MAX_FAVOURITES:
        raise UserError(
            "pos.too_many_favourites",
            f"at most {MAX_FAVOURITES} favourites fit the quick grid",
            limit=MAX_FAVOURITES,
        )
    shop_mod.put_setting(session, FAVOURITES_KEY, ids)


# ---------------------------------------------------------------------------- shifts


@dataclass(frozen=True, slots=True)
class ShiftView:
    id: int
    opened_at: dt.datetime
    opened_by: str
    opening_float_satang: int
    closed_at: dt.datetime | None
    z_number: int | None


def _shift_view(s: Shift) -> ShiftView:
    return ShiftView(
        s.id, s.opened_at, s.opened_by, s.opening_float_satang, s.closed_at, s.z_number
    )


def _open_shift_row(session: Session) -> Shift | None:
    return session.scalars(
        select(Shift).where(Shift.closed_at.is_(None)).order_by(Shift.id.desc()).limit(1)
    ).first()


def current_shift(session: Session) -> ShiftView | None:
    row = _open_shift_row(session)
    return None if row is None else _shift_view(row)


def _require_open(session: Session) -> Shift:
    row = _open_shift_row(session)
    if row is None:
        raise UserError("pos.no_shift", "open a shift (count the float) before selling")
    return row


def open_shift(session: Session, float_satang: int, actor: str) -> ShiftView:
    if float_satang < 0:
        raise UserError("pos.negative_float", "the opening float cannot be negative")
    if _open_shift_row(session) is not None:
        raise UserError("pos.shift_open", "a shift is already open; close it first")
    row = Shift(opening_float_satang=float_satang, opened_by=actor, opened_at=utcnow())
    session.add(row)
    session.flush()
    return _shift_view(row)


def _cash_short(amount: int, available: int) -> UserError:
    return UserError(
        "pos.cash_short",
        f"the drawer holds {format_baht(available, symbol=True)}, "
        f"not {format_baht(amount, symbol=True)}",
        amount=format_baht(amount, symbol=True),
        available=format_baht(available, symbol=True),
    )


def cash_movement(session: Session, amount_satang: int, reason: str, actor: str) -> None:
    """Cash put in (positive) or taken out (negative) of the drawer, with a reason."""
    shift = _require_open(session)
    if amount_satang == 0:
        raise UserError("pos.zero_cash", "enter an amount other than zero")
    if not reason.strip():
        raise UserError("pos.cash_reason", "say why the cash goes in or out")
    if amount_satang < 0:
        available = _summary(session, shift).expected_cash_satang
        if -amount_satang > available:
            raise _cash_short(-amount_satang, available)
    session.add(
        CashMovement(
            shift_id=shift.id,
            amount_satang=amount_satang,
            reason=reason.strip(),
            actor=actor,
            created_at=utcnow(),
        )
    )
    session.flush()


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """The X (running) or Z (closing) report of a shift. ``by_method`` is net of refunds and
    change; ``difference`` is counted minus expected (negative: cash missing)."""

    shift_id: int
    z_number: int | None
    opened_at: dt.datetime
    opened_by: str
    closed_at: dt.datetime | None
    closed_by: str
    opening_float_satang: int
    sales_count: int
    sales_total_satang: int
    discounts_satang: int
    vat_satang: int
    refunds_count: int
    refunds_total_satang: int
    by_method: dict[str, int]
    cash_in_satang: int
    cash_out_satang: int
    expected_cash_satang: int
    counted_cash_satang: int | None
    first_order: str
    last_order: str
    movements: tuple[tuple[dt.datetime, int, str, str], ...] = field(default=())

    @property
    def net_sales_satang(self) -> int:
        return self.sales_total_satang - self.refunds_total_satang

    @property
    def difference_satang(self) -> int | None:
        if self.counted_cash_satang is None:
            return None
        return self.counted_cash_satang - self.expected_cash_satang


def _summary(session: Session, shift: Shift) -> ShiftReport:
    payments = session.execute(
        select(OrderPayment.order_id, OrderPayment.method, OrderPayment.amount_satang)
        .where(OrderPayment.shift_id == shift.id)
        .order_by(OrderPayment.id)
    ).all()
    by_method: dict[str, int] = defaultdict(int)
    sold: list[int] = []
    refunded: dict[int, int] = defaultdict(int)  # money given back, by order (some in part)
    for order_id, method, amount in payments:
        by_method[str(method)] += amount
        if amount >= 0:
            if order_id not in sold:
                sold.append(order_id)
        else:
            refunded[order_id] -= amount
    sales = (
        session.execute(
            select(
                Order.id, Order.number, Order.total_satang, Order.discount_satang, Order.vat_satang
            ).where(Order.id.in_(sold))
        ).all()
        if sold
        else []
    )
    by_number = sorted(r.number for r in sales)
    moves = session.execute(
        select(
            CashMovement.created_at,
            CashMovement.amount_satang,
            CashMovement.reason,
            CashMovement.actor,
        )
        .where(CashMovement.shift_id == shift.id)
        .order_by(CashMovement.id)
    ).all()
    cash_in = sum(m.amount_satang for m in moves if m.amount_satang > 0)
    cash_out = -sum(m.amount_satang for m in moves if m.amount_satang < 0)
    expected = (
        shift.opening_float_satang + by_method.get(PaymentMethod.CASH, 0) + cash_in - cash_out
    )
    return ShiftReport(
        shift_id=shift.id,
        z_number=shift.z_number,
        opened_at=shift.opened_at,
        opened_by=shift.opened_by,
        closed_at=shift.closed_at,
        closed_by=shift.closed_by,
        opening_float_satang=shift.opening_float_satang,
        sales_count=len(sales),
        sales_total_satang=sum(r.total_satang for r in sales),
        discounts_satang=sum(r.discount_satang for r in sales),
        vat_satang=sum(r.vat_satang for r in sales),
        refunds_count=len(refunded),
        refunds_total_satang=sum(refunded.values()),
        by_method=dict(sorted(by_method.items())),
        cash_in_satang=cash_in,
        cash_out_satang=cash_out,
        expected_cash_satang=(
            shift.expected_cash_satang if shift.expected_cash_satang is not None else expected
        ),
        counted_cash_satang=shift.counted_cash_satang,
        first_order=by_number[0] if by_number else "",
        last_order=by_number[-1] if by_number else "",
        movements=tuple((m.created_at, m.amount_satang, m.reason, m.actor) for m in moves),
    )


def shift_report(session: Session, shift_id: int | None = None) -> ShiftReport:
    """The report of a shift (default: the open one) — an X report while it is open."""
    shift = _require_open(session) if shift_id is None else session.get(Shift, shift_id)
    if shift is None:
        raise UserError("pos.unknown_shift", f"no shift {shift_id}", id=shift_id)
    return _summary(session, shift)


def close_shift(
    session: Session, counted_cash_satang: int, actor: str, note: str = ""
) -> ShiftReport:
    """Close the open shift with the counted cash: freezes the expected cash and gives the
    shift the next Z number."""
    if counted_cash_satang < 0:
        raise UserError("pos.negative_count", "the counted cash cannot be negative")
    shift = _require_open(session)
    expected = _summary(session, shift).expected_cash_satang
    last_z = session.scalar(select(func.max(Shift.z_number))) or 0
    shift.z_number = last_z + 1
    shift.closed_at = utcnow()
    shift.closed_by = actor
    shift.expected_cash_satang = expected
    shift.counted_cash_satang = counted_cash_satang
    shift.note = note.strip()
    session.flush()
    return _summary(session, shift)


def list_shifts(session: Session, limit: int = 50) -> list[ShiftView]:
    rows = session.scalars(select(Shift).order_by(Shift.id.desc()).limit(limit))
    return [_shift_view(s) for s in rows]


# ---------------------------------------------------------------------------- selling


@dataclass(slots=True)
class CartLine:
    variant_id: int
    quantity: int
    unit_price_satang: int
    discount_satang: int = 0


@dataclass(frozen=True, slots=True)
class Tender:
    """One way the customer pays. For cash, ``tendered_satang`` is what was handed over
    (0: exactly the amount)."""

    method: PaymentMethod
    amount_satang: int
    tendered_satang: int = 0
    ref: str = ""


@dataclass(frozen=True, slots=True)
class SaleResult:
    order: orders_mod.OrderView
    change_satang: int
    tenders: tuple[Tender, ...]


@dataclass(frozen=True, slots=True)
class SaleTerms:
    """The shop's terms a counter sale is totalled on: whether it charges VAT, whether its
    prices include it, and the rate in force today (basis points; 0 when not registered)."""

    vat_registered: bool
    prices_include_vat: bool
    vat_rate_bp: int


def sale_terms(session: Session) -> SaleTerms:
    """The terms a sale rung up now is totalled on, as :func:`orders.place_order` reads them.
    Raises :class:`UserError` ``vat.no_rate`` when the shop charges VAT and no rate is set for
    today."""
    profile = shop_mod.get_profile(session)
    rate = shop_mod.vat_rate_bp(session, shop_mod.bangkok_today()) if profile.vat_registered else 0
    return SaleTerms(profile.vat_registered, profile.prices_include_vat, rate)


def totals_of(
    lines: Sequence[CartLine], order_discount_satang: int, terms: SaleTerms
) -> orders_mod.Totals:
    """What a sale of ``lines`` comes to on ``terms``: the arithmetic place_order stores, with
    no I/O, so the till can total every scan at once. Raises :class:`UserError` for a line
    discount larger than its line or an order discount larger than the subtotal."""
    subtotal = 0
    for ln in lines:
        line_gross = ln.unit_price_satang * ln.quantity
        if ln.discount_satang > line_gross:
            raise UserError(
                "order.line_discount_too_big",
                "a line discount is larger than the line",
                discount=ln.discount_satang,
                line=line_gross,
            )
        subtotal += line_gross - ln.discount_satang
    return orders_mod.compute_totals(
        subtotal,
        order_discount_satang,
        0,
        vat_registered=terms.vat_registered,
        prices_include_vat=terms.prices_include_vat,
        rate_bp=terms.vat_rate_bp,
    )


def sale_totals(
    session: Session, lines: Sequence[CartLine], order_discount_satang: int = 0
) -> orders_mod.Totals:
    """What the sale comes to now (what the payment dialog asks and :func:`ring_up` takes):
    :func:`totals_of` on :func:`sale_terms`."""
    return totals_of(lines, order_discount_satang, sale_terms(session))


def _check_tenders(total: int, tenders: Sequence[Tender]) -> int:
    """Validate the tenders against the total; return the change due (cash only)."""
    if not tenders:
        raise UserError("pos.no_tender", "choose how the customer pays")
    for t in tenders:
        if t.amount_satang <= 0:
            raise UserError("pos.bad_tender", "each payment must be more than zero")
        if t.method != PaymentMethod.CASH and t.tendered_satang:
            raise UserError("pos.bad_tender", "only cash can be handed over with change")
        if t.method == PaymentMethod.CASH and 0 < t.tendered_satang < t.amount_satang:
            raise UserError(
                "pos.cash_short_tendered",
                "the cash handed over is less than the cash amount",
                tendered=t.tendered_satang,
                amount=t.amount_satang,
            )
    paid = sum(t.amount_satang for t in tenders)
    if paid != total:
        raise UserError(
            "pos.tenders_mismatch",
            "the payments do not add up to the total",
            paid=paid,
            total=total,
        )
    return sum(
        t.tendered_satang - t.amount_satang
        for t in tenders
        if t.method == PaymentMethod.CASH and t.tendered_satang
    )


def ring_up(
    session: Session,
    lines: Sequence[CartLine],
    tenders: Sequence[Tender],
    actor: str,
    *,
    order_discount_satang: int = 0,
    customer_id: int | None = None,
    customer_name: str = "",
    customer_phone: str = "",
    customer_tax_id: str = "",
    customer_branch: str = "",
    note: str = "",
) -> SaleResult:
    """Sell at the counter: one completed ``pos`` order, its tenders in the open shift, stock
    taken. All or nothing: a short stock (:class:`OutOfStock`), a wrong tender sum or no open
    shift stores nothing."""
    if not lines:
        raise UserError("pos.empty_sale", "scan or pick at least one item")
    shift = _require_open(session)
    totals = sale_totals(session, lines, order_discount_satang)
    change = _check_tenders(totals.total, tenders)
    if customer_tax_id.strip():
        try:
            customer_tax_id = validate_tax_id(customer_tax_id)
        except ThaiFormatError as exc:
            raise UserError(
                "pos.bad_buyer_tax_id",
                "the customer's tax ID must be 13 digits with a valid check digit",
            ) from exc
    methods = {t.method for t in tenders}
    main_method = max(tenders, key=lambda t: t.amount_satang).method
    view = orders_mod.place_order(
        session,
        orders_mod.NewOrder(
            channel=Channel.POS,
            lines=[
                orders_mod.LineInput(
                    quantity=ln.quantity,
                    variant_id=ln.variant_id,
                    unit_price_satang=ln.unit_price_satang,
                    discount_satang=ln.discount_satang,
                )
                for ln in lines
            ],
            payment_method=main_method,
            discount_satang=order_discount_satang,
            customer_id=customer_id,
            customer_name=customer_name,
            customer_phone=customer_phone,
            customer_tax_id=customer_tax_id,
            customer_branch=customer_branch,
            note=note,
            completed=True,
            payment_ref="split" if len(methods) > 1 else "",
        ),
        actor,
    )
    if view.total_satang != totals.total:  # the shop's terms changed under us: never guess
        raise UserError("pos.terms_changed", "the shop's VAT settings changed; ring up again")
    now = utcnow()
    raw = DriverConnection(session)
    rows = [
        {
            "order_id": view.id,
            "shift_id": shift.id,
            "method": t.method,
            "amount_satang": t.amount_satang,
            "tendered_satang": t.tendered_satang or t.amount_satang,
            "change_satang": (
                t.tendered_satang - t.amount_satang
                if t.method == PaymentMethod.CASH and t.tendered_satang
                else 0
            ),
            "ref": t.ref.strip(),
            "actor": actor,
            "created_at": now,
        }
        for t in tenders
    ]
    raw.insert_all(OrderPayment.__table__, rows)
    return SaleResult(view, change, tuple(tenders))


def tenders_of(session: Session, order_id: int) -> list[Tender]:
    rows = session.execute(
        select(
            OrderPayment.method,
            OrderPayment.amount_satang,
            OrderPayment.tendered_satang,
            OrderPayment.ref,
        )
        .where(OrderPayment.order_id == order_id)
        .order_by(OrderPayment.id)
    ).all()
    return [Tender(PaymentMethod(m), a, t, r) for m, a, t, r in rows]


def refund_sale(
    session: Session,
    order_id: int,
    actor: str,
    reason: str,
    *,
    buyer: documents.Buyer | None = None,
    request: refunds.RefundRequest | None = None,
) -> orders_mod.OrderView:
    """Refund a paid sale — what ``request`` says (some units, an amount off a line), or
    everything still refundable without it — and give the money back the way it came:
    negative tenders in the open shift, taken from the sale's tenders in the order they were
    paid, each up to what it still holds, so cash back leaves the drawer's count right.
    ``buyer``: who the credit note names when the sale's tax invoice names nobody.

    Raises :class:`UserError` ``pos.refund_reason``, ``pos.not_refundable`` (not paid),
    ``pos.cash_short`` (the drawer holds less cash than goes back) and what
    ``refunds.plan_refund`` raises."""
    if not reason.strip():
        raise UserError("pos.refund_reason", "say why the sale is refunded")
    shift = _require_open(session)
    order = session.get(Order, order_id)
    if order is None:
        raise UserError("order.not_found", f"no order {order_id}", id=order_id)
    if order.payment_status != PaymentStatus.PAID:
        raise UserError(
            "pos.not_refundable",
            f"order {order.number} is not paid, so there is nothing to refund",
            order=order.number,
        )
    left = refunds.refundable(session, order_id)
    plan = (
        refunds.plan_refund(left, replace(request, reason=reason))
        if request is not None
        else refunds.plan_rest(left)
    )
    back = _money_back(session, order, plan.amount_satang)
    cash_in_drawer = _summary(session, shift).expected_cash_satang
    cash_back = sum(t.amount_satang for t in back if t.method == PaymentMethod.CASH)
    if cash_back > cash_in_drawer:
        raise _cash_short(cash_back, cash_in_drawer)
    if request is None or (plan.completes and request.restock):
        view = orders_mod.change_status(
            session, order_id, OrderStatus.REFUNDED, actor, note=reason.strip(), buyer=buyer
        )
    else:
        refunds.refund_order(session, order_id, replace(request, reason=reason), actor, buyer=buyer)
        view = orders_mod.get_order(session, order_id)
    now = utcnow()
    for t in back:
        session.add(
            OrderPayment(
                order_id=order_id,
                shift_id=shift.id,
                method=t.method,
                amount_satang=-t.amount_satang,
                tendered_satang=0,
                change_satang=0,
                ref=f"refund {t.ref}".strip(),
                actor=actor,
                created_at=now,
            )
        )
    session.flush()
    return view


def _money_back(session: Session, order: Order, amount: int) -> list[Tender]:
    """Where ``amount`` goes back: the sale's tenders in the order they were paid, each up to
    what it still holds after earlier refunds (an order paid outside the till — transfer,
    COD — goes back the way it was paid)."""
    rows = tenders_of(session, order.id)
    paid = [t for t in rows if t.amount_satang > 0]
    if not paid:
        paid = [Tender(PaymentMethod(order.payment_method), order.total_satang)]
    given_back: dict[PaymentMethod, int] = defaultdict(int)
    for t in rows:
        if t.amount_satang < 0:
            given_back[t.method] -= t.amount_satang
    out: list[Tender] = []
    for t in paid:
        holds = t.amount_satang - min(given_back[t.method], t.amount_satang)
        given_back[t.method] -= t.amount_satang - holds
        take = min(holds, amount)
        if take:
            out.append(Tender(t.method, take, ref=t.ref))
            amount -= take
    if amount:  # paid outside the till in part: the rest goes back the order's own way
        out.append(Tender(PaymentMethod(order.payment_method), amount))
    return out


# ---------------------------------------------------------------------------- held sales


@dataclass(frozen=True, slots=True)
class HeldView:
    id: int
    label: str
    item_count: int
    total_satang: int
    actor: str
    created_at: dt.datetime


def hold_sale(
    session: Session,
    lines: Sequence[CartLine],
    label: str,
    actor: str,
    order_discount_satang: int = 0,
) -> HeldView:
    """Put a sale aside (nothing is reserved: stock is checked when it is rung up)."""
    if not lines:
        raise UserError("pos.empty_sale", "scan or pick at least one item")
    totals = sale_totals(session, lines, order_discount_satang)
    cart = {
        "lines": [
            {
                "variant_id": ln.variant_id,
                "quantity": ln.quantity,
                "unit_price_satang": ln.unit_price_satang,
                "discount_satang": ln.discount_satang,
            }
            for ln in lines
        ],
        "order_discount_satang": order_discount_satang,
        "total_satang": totals.total,
    }
    row = HeldSale(label=label.strip(), cart=cart, actor=actor, created_at=utcnow())
    session.add(row)
    session.flush()
    return _held_view(row)


def _held_view(row: HeldSale) -> HeldView:
    lines = row.cart.get("lines", [])
    return HeldView(
        row.id,
        row.label,
        sum(int(ln["quantity"]) for ln in lines),
        int(row.cart.get("total_satang", 0)),
        row.actor,
        row.created_at,
    )


def list_held(session: Session) -> list[HeldView]:
    return [_held_view(r) for r in session.scalars(select(HeldSale).order_by(HeldSale.id))]


def resume_held(session: Session, held_id: int) -> tuple[list[CartLine], int]:
    """Take a held sale back to the till (it leaves the held list): its lines and order
    discount."""
    row = session.get(HeldSale, held_id)
    if row is None:
        raise UserError("pos.unknown_held", "that held sale was already resumed or discarded")
    lines = [
        CartLine(
            int(ln["variant_id"]),
            int(ln["quantity"]),
            int(ln["unit_price_satang"]),
            int(ln.get("discount_satang", 0)),
        )
        for ln in row.cart.get("lines", [])
    ]
    discount = int(row.cart.get("order_discount_satang", 0))
    session.delete(row)
    session.flush()
    return lines, discount


def discard_held(session: Session, held_id: int) -> None:
    row = session.get(HeldSale, held_id)
    if row is not None:
        session.delete(row)
        session.flush()
