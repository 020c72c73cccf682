"""What the live screen shows: the products with their codes and stock left, the comments with
their results, each commenter's cart and where it stands (reserved, checking out in their chat,
ordered and paid or not, released), and the totals (reserved, ordered, paid)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.live.selling import (
    VARIANT_COLUMNS,
    Status,
    checkout_data,
    display_name,
    load_live,
    shown_products,
    suggest_code,
)
from minichat_desktop.domain.models import (
    Cart,
    LiveCart,
    LiveCartItem,
    LiveComment,
    LiveSession,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Product,
    ProductVariant,
)

MAX_COMMENTS = 300
_LINE_TOTAL = func.sum(LiveCartItem.quantity * LiveCartItem.unit_price_satang)


@dataclass(frozen=True, slots=True)
class ShownProduct:
    code: str
    variant_id: int
    name: str
    sku: str
    price_satang: int
    stock_left: int
    reserved: int  # units in open carts


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int  # the row's, for "newer than"
    commenter_name: str
    text: str
    at: dt.datetime
    result: str
    code: str
    quantity: int
    platform: str = "facebook"  # facebook, instagram
    reply_problem: str = ""  # why its private reply was not sent (Thai / English)


class CartState:
    """Where a commenter's cart stands (:attr:`CartRow.state`)."""

    RESERVED = "reserved"  # held for them; no checkout under way
    CHECKOUT = "checkout"  # answering the checkout questions in their chat (``step``)
    AWAITING_PAYMENT = "awaiting_payment"  # ordered, PromptPay or transfer not yet paid
    COD = "cod"  # ordered, paid on delivery
    PAID = "paid"
    CANCELLED = "cancelled"  # the order was cancelled (or refunded)
    RELEASED = "released"  # the hold time ran out: the stock went back


@dataclass(frozen=True, slots=True)
class CartRow:
    commenter_name: str
    platform: str  # facebook, instagram: where their chat continues
    state: str  # a CartState
    total_satang: int  # the goods while open; the order's total (with shipping) once ordered
    order_number: str = ""
    step: str = ""  # the checkout question they are at: name, phone, address, … confirm


@dataclass(frozen=True, slots=True)
class Board:
    live_id: int
    title: str
    status: str
    started_at: dt.datetime
    release_at: dt.datetime | None
    release_minutes: int
    products: list[ShownProduct]
    comments: list[CommentRow]  # newest last
    reserved_satang: int  # open carts
    ordered_satang: int  # checked out, not paid yet
    paid_satang: int
    carts: int
    cart_rows: list[CartRow] = field(default_factory=list)  # in the order the carts began


@dataclass(frozen=True, slots=True)
class Pickable:
    """A variant the owner may show in a live, with a suggested code."""

    variant_id: int
    name: str
    sku: str
    price_satang: int
    stock: int
    code: str


def pickable(session: Session, limit: int = 500) -> list[Pickable]:
    """Active variants in stock, each with a code suggested from its SKU."""
    rows = session.execute(
        select(*VARIANT_COLUMNS)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(Product.active.is_(True), ProductVariant.active.is_(True))
        .order_by(Product.name_th, ProductVariant.position)
        .limit(limit)
    )
    taken: set[str] = set()
    out: list[Pickable] = []
    for vid, name, title, sku, price, stock in rows:
        code = suggest_code(sku, taken)
        taken.add(code)
        out.append(Pickable(vid, display_name(name, title), sku, int(price), int(stock), code))
    return out


def latest_live_id(session: Session) -> int | None:
    """The running live, else the last one that has not released its carts yet."""
    return session.scalar(
        select(LiveSession.id)
        .where(LiveSession.status.in_([Status.LIVE, Status.ENDED]))
        .order_by(LiveSession.id.desc())
        .limit(1)
    )


def board(session: Session, live_id: int) -> Board:
    live = load_live(session, live_id)
    reserved = dict(
        session.execute(
            select(LiveCartItem.product_id, func.sum(LiveCartItem.quantity))
            .join(LiveCart, LiveCart.id == LiveCartItem.cart_id)
            .where(LiveCart.live_id == live_id, LiveCart.status == "open")
            .group_by(LiveCartItem.product_id)
        ).all()
    )
    products = [
        ShownProduct(
            code,
            vid,
            display_name(name, title),
            sku,
            int(price),
            int(stock),
            int(reserved.get(lp, 0)),
        )
        for lp, code, vid, name, title, sku, price, stock in session.execute(
            shown_products(live_id)
        )
    ]
    comments = [
        CommentRow(
            r.id,
            r.commenter_name,
            r.text,
            r.commented_at,
            r.result,
            r.code,
            r.quantity,
            r.platform,
            r.reply_problem,
        )
        for r in reversed(
            session.scalars(
                select(LiveComment)
                .where(LiveComment.live_id == live_id)
                .order_by(LiveComment.id.desc())
                .limit(MAX_COMMENTS)
            ).all()
        )
    ]
    open_total = session.scalar(
        select(func.coalesce(func.sum(LiveCartItem.quantity * LiveCartItem.unit_price_satang), 0))
        .join(LiveCart, LiveCart.id == LiveCartItem.cart_id)
        .where(LiveCart.live_id == live_id, LiveCart.status == "open")
    )
    by_payment = dict(
        session.execute(
            select(Order.payment_status, func.sum(Order.total_satang))
            .join(LiveCart, LiveCart.order_id == Order.id)
            .where(LiveCart.live_id == live_id)
            .group_by(Order.payment_status)
        ).all()
    )
    carts = session.scalar(select(func.count()).where(LiveCart.live_id == live_id)) or 0
    paid = int(by_payment.pop(PaymentStatus.PAID, 0) or 0)
    return Board(
        live.id,
        live.title,
        live.status,
        live.started_at,
        live.release_at,
        live.release_minutes,
        products,
        comments,
        int(open_total or 0),
        int(by_payment.get(PaymentStatus.PENDING, 0) or 0),
        paid,
        int(carts),
        cart_rows(session, live_id),
    )


def _order_state(status: str, payment: str, method: str) -> str:
    if status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        return CartState.CANCELLED
    if payment == PaymentStatus.PAID:
        return CartState.PAID
    return CartState.COD if method == PaymentMethod.COD else CartState.AWAITING_PAYMENT


def cart_rows(session: Session, live_id: int) -> list[CartRow]:
    """Each commenter's cart in the live and where it stands."""
    goods = dict(
        session.execute(
            select(LiveCartItem.cart_id, _LINE_TOTAL)
            .join(LiveCart, LiveCart.id == LiveCartItem.cart_id)
            .where(LiveCart.live_id == live_id)
            .group_by(LiveCartItem.cart_id)
        ).all()
    )
    platforms = dict(
        session.execute(
            select(LiveComment.commenter_id, func.min(LiveComment.platform))
            .where(LiveComment.live_id == live_id)
            .group_by(LiveComment.commenter_id)
        ).all()
    )
    source = func.json_extract(Cart.checkout, "$.source")
    steps = dict(
        session.execute(
            select(source, func.json_extract(Cart.checkout, "$.step")).where(
                source.like(f"live:{live_id}:checkout:%")
            )
        ).all()
    )
    out: list[CartRow] = []
    carts = session.execute(
        select(
            LiveCart.id,
            LiveCart.commenter_id,
            LiveCart.commenter_name,
            LiveCart.status,
            Order.number,
            Order.total_satang,
            Order.status,
            Order.payment_status,
            Order.payment_method,
        )
        .outerjoin(Order, Order.id == LiveCart.order_id)
        .where(LiveCart.live_id == live_id)
        .order_by(LiveCart.id)
    )
    for cart_id, commenter, name, status, number, total, o_status, payment, method in carts:
        platform = str(platforms.get(commenter) or "facebook")
        if status == "ordered" and number is not None:
            state = _order_state(o_status, payment, method)
            out.append(CartRow(name, platform, state, int(total), number))
            continue
        step = str(steps.get(checkout_data(live_id, commenter)) or "")
        if status == "released":
            state, step = CartState.RELEASED, ""
        else:
            state = CartState.CHECKOUT if step else CartState.RESERVED
        out.append(CartRow(name, platform, state, int(goods.get(cart_id) or 0), "", step))
    return out


def current(session: Session) -> Board | None:
    """The board of :func:`latest_live_id`'s live, or None when no live holds carts."""
    live_id = latest_live_id(session)
    return None if live_id is None else board(session, live_id)
