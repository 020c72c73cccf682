"""What the owner does to an order from the Orders screen, each in one transaction with the
message to the shopper (when asked): move its status, confirm the payment, enter the carrier
and tracking number, cancel or refund (stock comes back through :mod:`orders`).

A Thailand Post tracking number must be a valid UPU S10 number (``EE123456785TH``: two
letters, eight digits, the check digit, ``TH``) — a mistyped digit is caught here, before the
shopper is sent a number that tracks nothing. Other carriers' numbers are kept as typed
(spaces removed, upper case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from minichat_desktop.domain.models import OrderStatus, PaymentMethod
from minichat_desktop.domain.sales import order_notify, orders, refunds
from minichat_desktop.domain.sales.tax_documents import Buyer
from minichat_desktop.domain.thai import is_valid_s10
from minichat_desktop.errors import UserError

THAILAND_POST = "Thailand Post"
CARRIERS: tuple[str, ...] = (
    THAILAND_POST,
    "Kerry Express",
    "Flash Express",
    "J&T Express",
    "Ninja Van",
    "BEST Express",
    "SCG Express",
    "DHL eCommerce",
    "Shopee Xpress",
    "Lalamove",
    "Grab Express",
)
_THAILAND_POST_NAMES = ("thailand post", "thai post", "ไปรษณีย์", "ems", "อีเอ็มเอส")
_TRACKING = re.compile(r"[A-Z0-9-]{4,40}")


@dataclass(frozen=True, slots=True)
class Changed:
    """An order after a change, and the message queued for its shopper (if any)."""

    order: orders.OrderView
    told: order_notify.Told | None


def is_thailand_post(carrier: str) -> bool:
    name = carrier.strip().lower()
    return any(n in name for n in _THAILAND_POST_NAMES)


def clean_tracking(carrier: str, tracking: str) -> str:
    """The tracking number as stored (no spaces, upper case), checked: S10 for Thailand Post,
    4-40 letters, digits or dashes for others. Empty stays empty. Raises :class:`UserError`
    ``order.bad_s10`` or ``order.bad_tracking`` naming the number."""
    number = "".join(tracking.split()).upper()
    if not number:
        return ""
    if is_thailand_post(carrier):
        if not is_valid_s10(number) or not number.endswith("TH"):
            raise UserError(
                "order.bad_s10",
                f"{number} is not a valid Thailand Post tracking number: it has 2 letters, "
                "9 digits (the last one a check digit) and TH, e.g. EE123456785TH; check it "
                "against the receipt",
                tracking=number,
            )
        return number
    if not _TRACKING.fullmatch(number):
        raise UserError(
            "order.bad_tracking",
            f"{number} does not look like a tracking number: use 4 to 40 letters and digits",
            tracking=number,
        )
    return number


def _tell(
    session: Session,
    order_id: int,
    event: str,
    actor: str,
    tell: bool,
    refunded_satang: int | None = None,
) -> order_notify.Told | None:
    if not tell:
        return None
    return order_notify.tell_shopper(
        session, order_id, event, actor, refunded_satang=refunded_satang
    )


def change_status(
    session: Session,
    order_id: int,
    to: OrderStatus,
    actor: str,
    *,
    note: str = "",
    tell: bool = False,
    buyer: Buyer | None = None,
) -> Changed:
    """Move the order (cancel and refund give its stock back) and, with ``tell``, send the
    status's message to its chat. ``buyer``: who a refund's credit note names."""
    view = orders.change_status(
        session, order_id, OrderStatus(to), actor, note.strip(), buyer=buyer
    )
    return Changed(view, _tell(session, order_id, str(view.status), actor, tell))


@dataclass(frozen=True, slots=True)
class Refunded:
    """An order after a refund, the refund (its credit note number) and the message queued
    for its shopper when ``tell`` was asked."""

    order: orders.OrderView
    refund: refunds.RefundView
    told: order_notify.Told | None


def refund(
    session: Session,
    order_id: int,
    request: refunds.RefundRequest,
    actor: str,
    *,
    tell: bool = False,
    buyer: Buyer | None = None,
) -> Refunded:
    """Refund what ``request`` says (``refunds.refund_order``: some units, an amount off a
    line, the shipping) and, with ``tell``, send the ``partly_refunded`` message with this
    refund's money (``{refunded}``), or the ``refunded`` one when nothing is left to refund."""
    done = refunds.refund_order(session, order_id, request, actor, buyer=buyer)
    view = orders.get_order(session, order_id)
    event = "refunded" if done.completes else "partly_refunded"
    told = _tell(session, order_id, event, actor, tell, done.amount_satang)
    return Refunded(view, done, told)


def bulk_change_status(
    session: Session, order_ids: list[int], to: OrderStatus, actor: str, *, tell: bool = False
) -> tuple[list[Changed], list[tuple[str, UserError]]]:
    """Move several orders; each that cannot move is reported by number with its error (to
    be shown in the person's language), the others moved (and told, with ``tell``, when they
    have a chat)."""
    done: list[Changed] = []
    failed: list[tuple[str, UserError]] = []
    for oid in order_ids:
        try:
            with session.begin_nested():
                done.append(change_status(session, oid, to, actor, tell=tell))
        except UserError as exc:
            number = str(exc.params.get("order", "")) or _number(session, oid)
            failed.append((number, exc))
    return done, failed


def _number(session: Session, order_id: int) -> str:
    try:
        return orders.get_order(session, order_id).number
    except UserError:
        return f"#{order_id}"


def mark_paid(
    session: Session,
    order_id: int,
    actor: str,
    *,
    method: PaymentMethod | None = None,
    reference: str = "",
    tell: bool = False,
) -> Changed:
    """Record the payment (a pending order becomes confirmed) and, with ``tell``, thank the
    shopper for it."""
    view = orders.mark_paid(session, order_id, actor, method=method, reference=reference)
    return Changed(view, _tell(session, order_id, "paid", actor, tell))


def ship(
    session: Session,
    order_id: int,
    actor: str,
    *,
    carrier: str,
    tracking: str,
    mark_shipped: bool = True,
    tell: bool = False,
) -> Changed:
    """Set the carrier and tracking number (checked: :func:`clean_tracking`) and, with
    ``mark_shipped``, move the order to shipped when it may go there. With ``tell`` the
    shopper gets the ``shipped`` message (or ``tracking`` when only the number changed).
    Nothing is stored when the number is refused."""
    carrier = carrier.strip()
    if not carrier:
        raise UserError("order.carrier_required", "choose the carrier first")
    number = clean_tracking(carrier, tracking)
    before = orders.get_order(session, order_id)
    ship_now = mark_shipped and before.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    if ship_now and OrderStatus.SHIPPED not in before.allowed_next:
        raise UserError(
            "order.cannot_ship",
            f"order {before.number} is {before.status} and cannot be shipped; confirm it first",
            order=before.number,
            status=before.status,
        )
    view = orders.set_shipping(session, order_id, actor, carrier=carrier, tracking_number=number)
    event = "tracking"
    if ship_now:
        view = orders.change_status(session, order_id, OrderStatus.SHIPPED, actor)
        event = "shipped"
    unchanged = (before.carrier, before.tracking_number) == (view.carrier, view.tracking_number)
    if event == "tracking" and (unchanged or not view.tracking_number):
        tell = False  # nothing new to say
    return Changed(view, _tell(session, order_id, event, actor, tell))


def add_note(session: Session, order_id: int, text: str, actor: str) -> orders.OrderView:
    return orders.add_note(session, order_id, text, actor)
