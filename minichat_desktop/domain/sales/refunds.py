"""Refunds: some lines, part of a line's quantity, an amount off a line (a price reduction after
a complaint) or the shipping — or the whole order — with a credit note for exactly the
difference (Revenue Code s.86/10, s.82/10; docs/adr/0008-tax-point.md).

What a line may still give back is counted from the refunds already made: its **value** (the
line total less its share of the order discount, shared over the lines by the largest
remainder so the shares sum to the discount exactly) less what was refunded on it, and its
**units** less those given back. Returning ``q`` of the ``n`` units left refunds
``left × q / n`` (rounded half up), and the last unit refunds exactly what is left, so a line
returned in any number of steps refunds its value to the satang. The shipping is a line of
its own. Values are in the order's own terms: VAT inside when its prices include VAT, else
before VAT (the VAT is then added to the money given back).

The VAT of a refund is the VAT of everything refunded so far (at the order's rate, rounded
half up as the order's own VAT was) less the VAT of the earlier refunds, never more than the
order's VAT still uncredited; the refund that makes the order whole credits exactly the rest.
So the credit notes of a sale never credit more VAT than its tax invoice charged, and all of
them together credit exactly that VAT.

Money is integer satang throughout. An order becomes ``refunded`` (payment ``refunded``) when
its whole value has been given back; a partly refunded order keeps its status and payment.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain.catalog.stock import record_movements
from minichat_desktop.domain.models import (
    MovementReason,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    ProductVariant,
    Refund,
    RefundLine,
    TaxDocument,
    utcnow,
)
from minichat_desktop.domain.sales import tax_documents as documents
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import NotFound, UserError

FULL_REFUND_REASON = "คืนสินค้าและคืนเงินเต็มจำนวน"

# ---------------------------------------------------------------------------- arithmetic


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, exactly (non-negative numerator)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` satang split in proportion to ``weights``: integer parts that sum to
    ``total`` exactly (largest remainder; equal remainders go to the earlier part). All zero
    weights give all zero parts (and ``total`` must then be 0)."""
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("apportion takes non-negative amounts")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError("cannot share a non-zero total over zero weights")
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def vat_in(value: int, rate_bp: int, *, prices_include_vat: bool) -> int:
    """The VAT of ``value`` satang at ``rate_bp`` (700 = 7%), as an order's own VAT is
    computed: inside a VAT-inclusive price, or on top of a net one; rounded half up."""
    if rate_bp == 0:
        return 0
    return half_up(value * rate_bp, (10_000 + rate_bp) if prices_include_vat else 10_000)


# ---------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class RefundableLine:
    """An order line and what it may still give back. ``value_satang`` is the line's value
    after its share of the order discount (in the order's price terms)."""

    item_id: int
    sku: str
    name: str
    quantity: int
    unit_price_satang: int
    value_satang: int
    refunded_quantity: int
    refunded_satang: int
    restocked_quantity: int

    @property
    def quantity_left(self) -> int:
        return self.quantity - self.refunded_quantity

    @property
    def satang_left(self) -> int:
        return self.value_satang - self.refunded_satang


@dataclass(frozen=True, slots=True)
class Refundable:
    """What an order may still give back, and the terms its refunds are priced with."""

    order_id: int
    order_number: str
    status: str
    payment_status: str
    lines: tuple[RefundableLine, ...]
    shipping_satang: int
    shipping_refunded_satang: int
    prices_include_vat: bool
    vat_rate_bp: int
    order_vat_satang: int
    total_satang: int
    refunded_value_satang: int  # every earlier refund's lines, in price terms
    refunded_vat_satang: int
    refunded_satang: int  # money given back so far
    refund_count: int

    @property
    def shipping_left(self) -> int:
        return self.shipping_satang - self.shipping_refunded_satang

    @property
    def value_satang(self) -> int:
        """The order's whole value in price terms (lines after discount, plus shipping)."""
        return sum(ln.value_satang for ln in self.lines) + self.shipping_satang

    def line_by_sku(self, sku: str) -> RefundableLine:
        """The order's line with ``sku`` (any case). Raises :class:`NotFound`
        ``refund.unknown_sku``, or :class:`UserError` ``refund.ambiguous_sku`` when two lines
        share it."""
        found = [ln for ln in self.lines if ln.sku.casefold() == sku.strip().casefold()]
        if len(found) > 1:
            raise UserError(
                "refund.ambiguous_sku",
                f"order {self.order_number} has {len(found)} lines with SKU {sku}; refund them "
                "from the orders screen",
                order=self.order_number,
                sku=sku,
            )
        if not found:
            raise NotFound(
                "refund.unknown_sku",
                f"order {self.order_number} has no line with SKU {sku}; its lines are "
                + ", ".join(ln.sku for ln in self.lines),
                order=self.order_number,
                sku=sku,
            )
        return found[0]

    def line(self, item_id: int) -> RefundableLine:
        for ln in self.lines:
            if ln.item_id == item_id:
                return ln
        raise NotFound(
            "refund.unknown_line",
            f"order {self.order_number} has no line {item_id}",
            order=self.order_number,
            line=str(item_id),
        )


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """What to give back. ``quantities``: order line id → units returned; ``amounts``: order
    line id → satang off the line without goods coming back (a price reduction), in the
    order's price terms; ``shipping``: the shipping still unrefunded; ``restock``: the
    returned units go back into stock (the owner has the goods)."""

    quantities: Mapping[int, int] = field(default_factory=dict)
    amounts: Mapping[int, int] = field(default_factory=dict)
    shipping: bool = False
    reason: str = ""
    restock: bool = False


@dataclass(frozen=True, slots=True)
class PlannedLine:
    item_id: int | None  # None: the shipping
    quantity: int
    value_satang: int


@dataclass(frozen=True, slots=True)
class RefundPlan:
    """A refund before it is made: its lines, their value (price terms), the VAT it credits
    and the money given back; ``completes``: it gives back the rest of the order."""

    lines: tuple[PlannedLine, ...]
    value_satang: int
    vat_satang: int
    amount_satang: int
    completes: bool


@dataclass(frozen=True, slots=True)
class RefundLineView:
    item_id: int | None
    sku: str
    description: str
    quantity: int
    unit_price_satang: int
    amount_satang: int  # value in the order's price terms


@dataclass(frozen=True, slots=True)
class RefundView:
    id: int
    order_id: int
    order_number: str
    at: dt.datetime
    reason: str
    amount_satang: int
    vat_satang: int
    restocked: bool
    actor: str
    credit_note: str  # its number, or "" when the sale had no tax invoice
    completes: bool
    lines: tuple[RefundLineView, ...] = ()


# ---------------------------------------------------------------------------- reading


def _order(session: Session, ref: int | str) -> Order:
    order_id = documents.resolve_order_id(session, ref)
    order = session.scalar(
        select(Order).where(Order.id == order_id).options(selectinload(Order.items))
    )
    assert order is not None
    return order


def _refund_rows(session: Session, order_id: int) -> list[Refund]:
    return list(
        session.scalars(
            select(Refund)
            .where(Refund.order_id == order_id)
            .options(selectinload(Refund.lines))
            .order_by(Refund.id)
        )
    )


def _refundable(order: Order, earlier: Sequence[Refund]) -> Refundable:
    shares = apportion(order.discount_satang, [i.line_total_satang for i in order.items])
    qty: dict[int | None, int] = defaultdict(int)
    money: dict[int | None, int] = defaultdict(int)
    restocked: dict[int | None, int] = defaultdict(int)
    for r in earlier:
        for ln in r.lines:
            qty[ln.order_item_id] += ln.quantity
            money[ln.order_item_id] += ln.amount_satang
            if r.restocked:
                restocked[ln.order_item_id] += ln.quantity
    lines = tuple(
        RefundableLine(
            item_id=i.id,
            sku=i.sku,
            name=i.name + (f" ({i.variant_title})" if i.variant_title else ""),
            quantity=i.quantity,
            unit_price_satang=i.unit_price_satang,
            value_satang=i.line_total_satang - share,
            refunded_quantity=qty[i.id],
            refunded_satang=money[i.id],
            restocked_quantity=restocked[i.id],
        )
        for i, share in zip(order.items, shares, strict=True)
    )
    return Refundable(
        order_id=order.id,
        order_number=order.number,
        status=order.status,
        payment_status=order.payment_status,
        lines=lines,
        shipping_satang=order.shipping_satang,
        shipping_refunded_satang=money[None],
        prices_include_vat=order.prices_include_vat,
        vat_rate_bp=order.vat_rate_bp,
        order_vat_satang=order.vat_satang,
        total_satang=order.total_satang,
        refunded_value_satang=sum(money.values()),
        refunded_vat_satang=sum(r.vat_satang for r in earlier),
        refunded_satang=sum(r.amount_satang for r in earlier),
        refund_count=len(earlier),
    )


def refundable(session: Session, order: int | str) -> Refundable:
    """What ``order`` (id or number) may still give back, line by line. Raises
    :class:`NotFound` for an unknown order."""
    row = _order(session, order)
    return _refundable(row, _refund_rows(session, row.id))


# ---------------------------------------------------------------------------- planning


def _check_open(r: Refundable) -> None:
    if r.status == OrderStatus.CANCELLED:
        raise UserError(
            "refund.cancelled",
            f"order {r.order_number} was cancelled, so nothing was paid to refund",
            order=r.order_number,
        )
    if r.status == OrderStatus.REFUNDED or r.payment_status == PaymentStatus.REFUNDED:
        raise UserError(
            "refund.already_refunded",
            f"order {r.order_number} is already refunded in full",
            order=r.order_number,
        )
    if r.payment_status != PaymentStatus.PAID:
        raise UserError(
            "refund.not_paid",
            f"order {r.order_number} is not paid, so there is nothing to refund; cancel it instead",
            order=r.order_number,
        )


def _plan_quantity(r: Refundable, item_id: int, quantity: int) -> PlannedLine:
    ln = r.line(item_id)
    if quantity <= 0 or quantity > ln.quantity_left:
        raise UserError(
            "refund.too_many",
            f"order {r.order_number}, {ln.sku}: {quantity} units asked back but "
            f"{ln.quantity_left} of {ln.quantity} can still be refunded",
            order=r.order_number,
            sku=ln.sku,
            asked=quantity,
            left=ln.quantity_left,
        )
    value = (
        ln.satang_left
        if quantity == ln.quantity_left
        else half_up(ln.satang_left * quantity, ln.quantity_left)
    )
    return PlannedLine(item_id, quantity, value)


def _plan_amount(r: Refundable, item_id: int, amount: int) -> PlannedLine:
    ln = r.line(item_id)
    if amount <= 0 or amount > ln.satang_left:
        raise UserError(
            "refund.too_much",
            f"order {r.order_number}, {ln.sku}: {format_baht(amount, symbol=True)} asked back "
            f"but {format_baht(ln.satang_left, symbol=True)} can still be refunded on it",
            order=r.order_number,
            sku=ln.sku,
            asked=format_baht(amount, symbol=True),
            left=format_baht(ln.satang_left, symbol=True),
        )
    return PlannedLine(item_id, 0, amount)


def plan_refund(r: Refundable, request: RefundRequest) -> RefundPlan:
    """The refund ``request`` would make on the order ``r`` describes: pure arithmetic (the
    refund dialog shows it live). Raises :class:`UserError`: ``refund.cancelled``,
    ``refund.not_paid``, ``refund.already_refunded``, ``refund.empty`` (nothing chosen),
    ``refund.too_many`` / ``refund.too_much`` (more than the line can still give back, naming
    it and what is left), ``refund.both`` (units and an amount on one line),
    ``refund.shipping_refunded``; :class:`NotFound` ``refund.unknown_line``."""
    _check_open(r)
    lines: list[PlannedLine] = []
    for item_id in sorted(set(request.quantities) | set(request.amounts)):
        q, a = request.quantities.get(item_id, 0), request.amounts.get(item_id, 0)
        if q and a:
            raise UserError(
                "refund.both",
                f"order {r.order_number}, {r.line(item_id).sku}: give back units or an amount "
                "off the line, not both in one refund",
                order=r.order_number,
                sku=r.line(item_id).sku,
            )
        if q:
            lines.append(_plan_quantity(r, item_id, q))
        elif a:
            lines.append(_plan_amount(r, item_id, a))
    if request.shipping:
        if r.shipping_left <= 0:
            raise UserError(
                "refund.shipping_refunded",
                f"order {r.order_number} has no shipping left to refund",
                order=r.order_number,
            )
        lines.append(PlannedLine(None, 0, r.shipping_left))
    if not lines:
        raise UserError(
            "refund.empty",
            f"choose what to refund on order {r.order_number}: units of a line, an amount off "
            "a line, or the shipping",
            order=r.order_number,
        )
    return _priced(r, tuple(lines))


def _priced(r: Refundable, lines: tuple[PlannedLine, ...]) -> RefundPlan:
    value = sum(ln.value_satang for ln in lines)
    so_far = r.refunded_value_satang + value
    completes = so_far == r.value_satang
    vat_left = r.order_vat_satang - r.refunded_vat_satang
    if completes:
        vat = vat_left
    else:
        due = vat_in(so_far, r.vat_rate_bp, prices_include_vat=r.prices_include_vat)
        vat = max(0, min(due - r.refunded_vat_satang, vat_left))
    amount = value if r.prices_include_vat or r.vat_rate_bp == 0 else value + vat
    if completes:  # the money back is exactly what was paid less what went back before
        amount = r.total_satang - r.refunded_satang
    return RefundPlan(lines, value, vat, amount, completes)


def plan_rest(r: Refundable) -> RefundPlan:
    """Everything the order may still give back (a whole refund, or the rest after partial
    ones): every unit left, every satang left, the shipping."""
    _check_open(r)
    lines = [
        PlannedLine(ln.item_id, ln.quantity_left, ln.satang_left)
        for ln in r.lines
        if ln.quantity_left or ln.satang_left
    ]
    if r.shipping_left:
        lines.append(PlannedLine(None, 0, r.shipping_left))
    return _priced(r, tuple(lines))


# ---------------------------------------------------------------------------- refunding


def refund_order(
    session: Session,
    order: int | str,
    request: RefundRequest,
    actor: str,
    *,
    at: dt.datetime | None = None,
    buyer: documents.Buyer | None = None,
) -> RefundView:
    """Refund part of ``order`` (id or number) as ``request`` says, in the caller's unit of
    work: the refund and its lines are stored, returned units go back into stock when
    ``request.restock``, the timeline says "คืนเงินบางส่วน ฿…" (or the order becomes
    ``refunded`` when nothing is left), and a sale that had a tax invoice gets a credit note
    for exactly this refund, dated ``at`` (aware; default now).

    Raises what :func:`plan_refund` raises, ``refund.reason`` (no reason given), and
    ``document.credit_note_buyer_required`` when the credit note must name a buyer the tax
    invoice lacks (give ``buyer``)."""
    reason = " ".join(request.reason.split())
    row = _order(session, order)
    state = _refundable(row, _refund_rows(session, row.id))
    plan = plan_refund(state, request)
    if not reason:
        raise UserError(
            "refund.reason",
            f"say why order {row.number} is refunded (it is printed on the credit note)",
            order=row.number,
        )
    return _apply(session, row, plan, actor, reason, request.restock, at, buyer)


def refund_rest(
    session: Session,
    order: Order,
    actor: str,
    reason: str,
    *,
    at: dt.datetime,
    buyer: documents.Buyer | None = None,
) -> RefundView:
    """Refund everything ``order`` may still give back, the goods back into stock: the whole
    order, or what partial refunds left. Used by ``orders.change_status`` (to ``refunded``),
    which records the status change itself."""
    state = _refundable(order, _refund_rows(session, order.id))
    plan = plan_rest(state)
    why = " ".join(reason.split()) or FULL_REFUND_REASON
    return _apply(session, order, plan, actor, why, True, at, buyer, status_event=False)


def _restock(session: Session, order: Order, plan: RefundPlan, actor: str) -> None:
    items = {i.id: i for i in order.items}
    back: dict[int, int] = defaultdict(int)
    for ln in plan.lines:
        item = items.get(ln.item_id) if ln.item_id is not None else None
        if item is not None and item.variant_id is not None and ln.quantity:
            back[item.variant_id] += ln.quantity
    if not back:
        return
    alive = set(session.scalars(select(ProductVariant.id).where(ProductVariant.id.in_(list(back)))))
    record_movements(
        session,
        {vid: qty for vid, qty in back.items() if vid in alive},
        MovementReason.REFUND,
        actor,
        note=order.number,
        order_id=order.id,
    )


def _apply(
    session: Session,
    order: Order,
    plan: RefundPlan,
    actor: str,
    reason: str,
    restock: bool,
    at: dt.datetime | None,
    buyer: documents.Buyer | None,
    *,
    status_event: bool = True,
) -> RefundView:
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    when = (at or utcnow()).astimezone(dt.UTC)
    refund = Refund(
        order_id=order.id,
        at=when,
        reason=reason,
        amount_satang=plan.amount_satang,
        vat_satang=plan.vat_satang,
        restocked=restock,
        actor=actor,
        lines=[
            RefundLine(
                order_item_id=ln.item_id, quantity=ln.quantity, amount_satang=ln.value_satang
            )
            for ln in plan.lines
        ],
    )
    session.add(refund)
    if restock:
        _restock(session, order, plan, actor)
    money = format_baht(plan.amount_satang, symbol=True)
    if plan.completes:
        order.payment_status = PaymentStatus.REFUNDED
        if status_event:
            order.status = OrderStatus.REFUNDED
            session.add(_event(order, "status", OrderStatus.REFUNDED, reason, actor, when))
        else:
            session.add(_event(order, "refund", "", f"คืนเงิน {money}", actor, when))
    else:
        session.add(_event(order, "refund", "", f"คืนเงินบางส่วน {money}: {reason}", actor, when))
    order.updated_at = when
    session.flush()
    credit = documents.issue_credit_note(
        session, order.id, actor, now=when, buyer=buyer, refund_id=refund.id
    )
    if credit is not None:
        refund.credit_note_id = credit.id
        session.flush()
    session.expire(order, ["events"])
    return _view(session, refund, order, plan.completes)


def _event(
    order: Order, kind: str, status: str, note: str, actor: str, when: dt.datetime
) -> OrderEvent:
    return OrderEvent(
        order_id=order.id, kind=kind, status=status, note=note, actor=actor, created_at=when
    )


def _view(session: Session, refund: Refund, order: Order, completes: bool = False) -> RefundView:
    items = {i.id: i for i in order.items}
    lines = []
    for ln in refund.lines:
        item = items.get(ln.order_item_id) if ln.order_item_id is not None else None
        if item is None:
            lines.append(RefundLineView(None, "", "ค่าจัดส่ง", 0, 0, ln.amount_satang))
        else:
            name = item.name + (f" ({item.variant_title})" if item.variant_title else "")
            lines.append(
                RefundLineView(
                    item.id, item.sku, name, ln.quantity, item.unit_price_satang, ln.amount_satang
                )
            )
    credit = (
        session.scalar(select(TaxDocument.number).where(TaxDocument.id == refund.credit_note_id))
        if refund.credit_note_id is not None
        else None
    )
    return RefundView(
        id=refund.id,
        order_id=order.id,
        order_number=order.number,
        at=refund.at,
        reason=refund.reason,
        amount_satang=refund.amount_satang,
        vat_satang=refund.vat_satang,
        restocked=refund.restocked,
        actor=refund.actor,
        credit_note=credit or "",
        completes=completes,
        lines=tuple(lines),
    )


def list_refunds(session: Session, order: int | str) -> list[RefundView]:
    """The refunds of ``order`` (id or number), oldest first; the last one of a refunded
    order ``completes`` it."""
    row = _order(session, order)
    views = [_view(session, r, row) for r in _refund_rows(session, row.id)]
    if views and row.payment_status == PaymentStatus.REFUNDED:
        last = views[-1]
        views[-1] = replace(last, completes=True)
    return views
