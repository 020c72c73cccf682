"""A live sale: the owner starts a live with products under short codes, comments reserve stock
for their commenter at once, each comment gets one private reply, and when the live ends what
was not checked out goes back to the shelf after the owner's time.

- **First come, first served.** Comments are worked one at a time by the shop database's single
  writer, in the order they reach the shop — comment time order, as Meta delivers them within
  a second. One that arrives late (redelivered after an outage) is served when it arrives, not
  ahead of those already answered: taking back a unit someone was told is theirs would be
  worse. Stock is held by ``reservation`` movements in the
  stock ledger (:mod:`~minichat_desktop.domain.catalog.stock`), whose CHECK keeps a variant at
  zero or above inside SQLite: a live can never oversell, even against the counter or a chat
  order placed at the same moment.
- **Once per comment.** A comment id already recorded (Meta redelivers webhooks) changes
  nothing and queues no second reply: its first outcome is returned.
- **One cart per commenter per live.** A repeated ``CF A12`` adds to it.
- **The reply** is a message frame in the outbox, in the same transaction as the reservation,
  addressed to ``comment:<comment_id>`` (Meta's private reply to a comment: one per comment)::

      {"type": "send", "conversation": "comment:<comment_id>",
       "message": {"id": "<uid>", "kind": "buttons", "text": "จองให้แล้วค่ะ …",
                   "buttons": [{"label": "ชำระเงิน", "action": "postback",
                                "data": "live:<live_id>:checkout:<commenter_id>"}]}}

  Sold out, a question about a code and an unknown code get a ``text`` message; a comment that
  asks for nothing gets no reply.
- **Checkout continues in Messenger** (Instagram for a comment written there). The button's
  postback comes back in the commenter's Messenger (Instagram) conversation, where
  :mod:`minichat_desktop.domain.live.checkout` asks the bot checkout's questions (recipient,
  phone, address, shipping, payment, summary) about the live cart; on confirm,
  :func:`checkout` turns the cart into an order with those details (the stock passes from the
  cart to the order in one transaction) and the shopper gets its PromptPay QR. The cart stays
  ``open`` — its units reserved — until then, and the hold time after the live still
  releases it.
- **A reply that cannot go** (the relay refuses a comment over 7 days old; Meta refuses a
  second reply) leaves the outbox and the comment keeps why (:func:`reply_not_sent`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.catalog.stock import record_movements
from minichat_desktop.domain.conversations.conversations import new_uid
from minichat_desktop.domain.live.parser import Intent, parse
from minichat_desktop.domain.models import (
    Channel,
    Conversation,
    LiveCart,
    LiveCartItem,
    LiveComment,
    LiveProduct,
    LiveSession,
    MovementReason,
    OutboxItem,
    Product,
    ProductVariant,
    utcnow,
)
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.thai import chat_baht
from minichat_desktop.errors import NotFound, OutOfStock, UserError
from relay import protocol as p

ACTOR = "live"
MAX_CODE = 6
MAX_RELEASE_MINUTES = 7 * 24 * 60
CHECKOUT_LABEL = "ชำระเงิน"
NOTHING_TO_CHECK_OUT = (
    "ตะกร้าไลฟ์นี้ไม่มีสินค้าที่จองไว้แล้วค่ะ (ชำระไปแล้ว หรือหมดเวลาจอง) — พิมพ์ CF ในไลฟ์ถัดไปได้เลย"
)
# A variant as live selling shows it: id, name, variant title, SKU, price, stock.
VARIANT_COLUMNS = (
    ProductVariant.id,
    Product.name_th,
    ProductVariant.title,
    ProductVariant.sku,
    func.coalesce(ProductVariant.price_satang, Product.price_satang),
    ProductVariant.stock,
)
_CODE_RE = re.compile(r"^(?:[A-Z]{1,3}\d{1,4}|\d{1,4})$")


class Status(StrEnum):
    LIVE = "live"
    ENDED = "ended"
    CLOSED = "closed"


class Result(StrEnum):
    RESERVED = "reserved"
    SOLD_OUT = "sold_out"
    UNKNOWN_CODE = "unknown_code"
    QUESTION = "question"
    NOT_UNDERSTOOD = "not_understood"
    LATE = "late"  # written after the live ended: nothing reserved, no reply


class Platform(StrEnum):
    """Where a comment was written: its private reply and checkout continue in that app."""

    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


# where the checkout button's conversation continues, by platform
_CHAT_APP = {Platform.FACEBOOK: "Messenger", Platform.INSTAGRAM: "Instagram"}


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment as the relay link hands it over."""

    comment_id: str
    commenter_id: str
    commenter_name: str
    text: str
    at: dt.datetime
    platform: Platform = Platform.FACEBOOK


@dataclass(frozen=True, slots=True)
class Outcome:
    comment_id: str
    result: Result
    code: str
    quantity: int
    reply_uid: str  # empty: no reply
    duplicate: bool = False  # the comment was recorded before; nothing changed now


@dataclass(frozen=True, slots=True)
class PickedProduct:
    code: str
    variant_id: int


def suggest_code(sku: str, taken: set[str]) -> str:
    """A short code for a SKU, unlike those ``taken``: its first letters and its first number
    without leading zeros (``TS-001-RED`` → ``TS1``), or a letter and a running number."""
    letters = "".join(re.findall(r"[A-Za-z]", sku))[:2].upper() or "P"
    digits = re.findall(r"\d+", sku)
    first = str(int(digits[0][:4])) if digits else ""
    candidate = f"{letters}{first}" if first else ""
    if candidate and _CODE_RE.match(candidate) and candidate not in taken:
        return candidate
    n = 1
    while f"{letters[0]}{n}" in taken:
        n += 1
    return f"{letters[0]}{n}"


def normalise_code(code: str) -> str:
    return code.strip().upper()


def start_live(
    session: Session,
    title: str,
    products: Sequence[PickedProduct],
    release_minutes: int,
    actor: str,
    at: dt.datetime | None = None,
) -> int:
    """Start a live showing ``products``; returns its id. Raises :class:`UserError` when a
    live is already running, no product is picked, a code is malformed or used twice, or the
    release time is out of range; :class:`NotFound` for an unknown variant."""
    if current_live_id(session) is not None:
        raise UserError("live.already_running", "a live is already running: end it first")
    if not products:
        raise UserError("live.no_products", "pick at least one product to show in the live")
    _check_release(release_minutes)
    codes: set[str] = set()
    for picked in products:
        code = normalise_code(picked.code)
        if not _CODE_RE.match(code) or len(code) > MAX_CODE:
            raise UserError(
                "live.bad_code",
                f"the code {picked.code!r} is not usable: use letters then digits, like A12",
                live_code=picked.code,
            )
        if code in codes:
            raise UserError("live.code_twice", f"the code {code} is used twice", live_code=code)
        codes.add(code)
    ids = [x.variant_id for x in products]
    known = set(session.scalars(select(ProductVariant.id).where(ProductVariant.id.in_(ids))))
    for vid in ids:
        if vid not in known:
            raise NotFound("live.unknown_variant", f"no product variant {vid}", id=vid)
    live = LiveSession(
        title=title.strip()[:200],
        status=Status.LIVE,
        started_at=at or utcnow(),
        release_minutes=release_minutes,
        actor=actor,
    )
    session.add(live)
    session.flush()
    for n, picked in enumerate(products):
        session.add(
            LiveProduct(
                live_id=live.id,
                code=normalise_code(picked.code),
                variant_id=picked.variant_id,
                position=n,
            )
        )
    session.flush()
    return live.id


def _check_release(minutes: int) -> None:
    if not 0 <= minutes <= MAX_RELEASE_MINUTES:
        raise UserError(
            "live.bad_release",
            f"hold unpaid carts between 0 minutes and {MAX_RELEASE_MINUTES // 1440} days",
            max_days=MAX_RELEASE_MINUTES // 1440,
        )


def current_live_id(session: Session) -> int | None:
    """The live taking comments now, if any."""
    return session.scalar(select(LiveSession.id).where(LiveSession.status == Status.LIVE).limit(1))


def end_live(
    session: Session, live_id: int, release_minutes: int, at: dt.datetime | None = None
) -> dt.datetime:
    """Stop taking comments; carts not checked out go back to the shelf ``release_minutes``
    after now (see :func:`release_due`). Returns that time."""
    _check_release(release_minutes)
    live = load_live(session, live_id)
    if live.status != Status.LIVE:
        raise UserError("live.not_running", "this live has already ended", id=live_id)
    now = at or utcnow()
    live.status = Status.ENDED
    live.ended_at = now
    live.release_minutes = release_minutes
    live.release_at = now + dt.timedelta(minutes=release_minutes)
    session.flush()
    return live.release_at


def load_live(session: Session, live_id: int) -> LiveSession:
    live = session.get(LiveSession, live_id)
    if live is None:
        raise NotFound("live.not_found", f"no live with id {live_id}", id=live_id)
    return live


# ---------------------------------------------------------------------------- comments


def record_comment(
    session: Session, live_id: int, comment: Comment, now: dt.datetime | None = None
) -> Outcome:
    """Work one comment: reserve what it orders (or say sold out), queue its private reply,
    and remember it so a redelivery changes nothing."""
    seen = session.scalars(
        select(LiveComment).where(LiveComment.comment_id == comment.comment_id)
    ).first()
    if seen is not None:
        return Outcome(
            seen.comment_id, Result(seen.result), seen.code, seen.quantity, seen.reply_uid, True
        )
    live = load_live(session, live_id)
    parsed = parse(comment.text)
    late = live.status != Status.LIVE and (
        live.ended_at is None or comment.at.astimezone(dt.UTC) > live.ended_at
    )
    result, reply = Result.NOT_UNDERSTOOD, None
    if late:
        result = Result.LATE
    elif parsed.intent is not Intent.OTHER:
        result, reply = _act(session, live, comment, parsed.intent, parsed.code, parsed.quantity)
    uid = _queue_reply(session, comment.comment_id, reply, now) if reply else ""
    session.add(
        LiveComment(
            live_id=live_id,
            comment_id=comment.comment_id,
            commenter_id=comment.commenter_id,
            commenter_name=comment.commenter_name[:200],
            text=comment.text[:2000],
            commented_at=comment.at,
            received_at=now or utcnow(),
            result=result,
            code=parsed.code[:12],
            quantity=parsed.quantity if result is Result.RESERVED else 0,
            reply_uid=uid,
            platform=comment.platform.value,
        )
    )
    session.flush()
    return Outcome(
        comment.comment_id,
        result,
        parsed.code,
        parsed.quantity if result is Result.RESERVED else 0,
        uid,
    )


@dataclass(frozen=True, slots=True)
class _Shown:
    product_id: int
    variant_id: int
    name: str
    price_satang: int
    stock: int


def shown_products(live_id: int) -> Select[int, str, int, str, str, str, int, int]:
    """The products of a live: (live product id, code, variant id, name, variant title, SKU,
    price, stock), in the order the owner picked them."""
    return (
        select(LiveProduct.id, LiveProduct.code, *VARIANT_COLUMNS)
        .join(ProductVariant, ProductVariant.id == LiveProduct.variant_id)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(LiveProduct.live_id == live_id)
        .order_by(LiveProduct.position)
    )


def display_name(name: str, title: str) -> str:
    return f"{name} ({title})" if title else name


def _shown(session: Session, live_id: int, code: str) -> _Shown | None:
    row = session.execute(shown_products(live_id).where(LiveProduct.code == code)).first()
    if row is None:
        return None
    pid, _code, vid, name, title, _sku, price, stock = row
    return _Shown(pid, vid, display_name(name, title), int(price), int(stock))


def _act(
    session: Session, live: LiveSession, comment: Comment, intent: Intent, code: str, qty: int
) -> tuple[Result, p.Body]:
    shown = _shown(session, live.id, code)
    if shown is None:
        codes = ", ".join(
            session.scalars(
                select(LiveProduct.code)
                .where(LiveProduct.live_id == live.id)
                .order_by(LiveProduct.position)
                .limit(10)
            )
        )
        return Result.UNKNOWN_CODE, p.Text(
            f"ไม่พบรหัส {code} ในไลฟ์นี้ค่ะ รหัสที่มี: {codes} — พิมพ์ เช่น CF {codes.split(',')[0]}"
        )
    if intent is Intent.MENTION:
        left = f"เหลือ {shown.stock} ชิ้น" if shown.stock > 0 else "หมดแล้ว"
        return Result.QUESTION, p.Text(
            f"{code} {shown.name} ราคา {chat_baht(shown.price_satang)} · {left}"
            f" — พิมพ์ CF {code} เพื่อจองได้เลยค่ะ"
        )
    try:
        record_movements(
            session,
            {shown.variant_id: -qty},
            MovementReason.RESERVATION,
            ACTOR,
            note=f"live {live.id} · {code} · comment {comment.comment_id}"[:200],
        )
    except OutOfStock:
        return Result.SOLD_OUT, p.Text(_sold_out_text(session, live.id, comment, code, qty))
    cart = _add_to_cart(session, live.id, comment, shown, qty)
    body = _reserved_body(session, live.id, cart, code, qty, shown.name, comment.platform)
    return Result.RESERVED, body


def _sold_out_text(session: Session, live_id: int, comment: Comment, code: str, qty: int) -> str:
    left = session.scalar(
        select(ProductVariant.stock)
        .join(LiveProduct, LiveProduct.variant_id == ProductVariant.id)
        .where(LiveProduct.live_id == live_id, LiveProduct.code == code)
    )
    if left:
        text = f"ขออภัยค่ะ {code} เหลือ {left} ชิ้น ไม่พอ {qty} ชิ้น — พิมพ์ CF {code} {left} เพื่อจอง"
    else:
        text = f"ขออภัยค่ะ {code} หมดแล้ว (sold out)"
    mine = _cart_of(session, live_id, comment.commenter_id)
    if mine is not None and mine.status == "open":
        total = sum(q * price for _c, _n, q, price in _cart_lines(session, mine.id))
        if total:
            text += f" · ในตะกร้าของคุณ {chat_baht(total)}"
    return text


def _cart_of(session: Session, live_id: int, commenter_id: str) -> LiveCart | None:
    return session.scalars(
        select(LiveCart).where(LiveCart.live_id == live_id, LiveCart.commenter_id == commenter_id)
    ).first()


def _add_to_cart(
    session: Session, live_id: int, comment: Comment, shown: _Shown, qty: int
) -> LiveCart:
    cart = _cart_of(session, live_id, comment.commenter_id)
    now = utcnow()
    if cart is None:
        cart = LiveCart(
            live_id=live_id,
            commenter_id=comment.commenter_id,
            commenter_name=comment.commenter_name[:200],
            status="open",
            created_at=now,
            updated_at=now,
        )
        session.add(cart)
        session.flush()
    elif cart.status != "open":  # checked out before: its items are the order's now
        session.execute(delete(LiveCartItem).where(LiveCartItem.cart_id == cart.id))
        cart.status = "open"
        cart.order_id = None
    cart.updated_at = now
    item = session.scalars(
        select(LiveCartItem).where(
            LiveCartItem.cart_id == cart.id, LiveCartItem.product_id == shown.product_id
        )
    ).first()
    if item is None:
        session.add(
            LiveCartItem(
                cart_id=cart.id,
                product_id=shown.product_id,
                quantity=qty,
                unit_price_satang=shown.price_satang,
            )
        )
    else:
        item.quantity += qty
    session.flush()
    return cart


def cart_items(cart_id: int, *columns: Any) -> Select[Any]:
    """``columns`` of a live cart's items, with each item's live product, variant and product
    joined, in the order they were added."""
    return (
        select(*columns)
        .select_from(LiveCartItem)
        .join(LiveProduct, LiveProduct.id == LiveCartItem.product_id)
        .join(ProductVariant, ProductVariant.id == LiveProduct.variant_id)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(LiveCartItem.cart_id == cart_id)
        .order_by(LiveCartItem.id)
    )


def _cart_lines(session: Session, cart_id: int) -> list[tuple[str, str, int, int]]:
    """(code, name, quantity, unit price) of a cart's items."""
    rows = session.execute(
        cart_items(
            cart_id,
            LiveProduct.code,
            Product.name_th,
            ProductVariant.title,
            LiveCartItem.quantity,
            LiveCartItem.unit_price_satang,
        )
    )
    return [(code, display_name(name, title), q, price) for code, name, title, q, price in rows]


def _reserved_body(
    session: Session,
    live_id: int,
    cart: LiveCart,
    code: str,
    qty: int,
    name: str,
    platform: Platform = Platform.FACEBOOK,
) -> p.Buttons:
    lines = _cart_lines(session, cart.id)
    total = sum(q * price for _c, _n, q, price in lines)
    text = f"จองให้แล้วค่ะ ✅ {code} {name} × {qty}\nตะกร้าของคุณ:"
    for c, n, q, price in lines:
        text += f"\n• {c} {n} × {q} = {chat_baht(q * price)}"
    text += f"\nรวม {chat_baht(total)} — กดชำระเงินเพื่อยืนยันใน {_CHAT_APP[platform]}"
    button = p.Button(
        CHECKOUT_LABEL, p.ButtonAction.POSTBACK, data=checkout_data(live_id, cart.commenter_id)
    )
    return p.Buttons(p.fit_text(text, 1000), (button,))


def _queue_reply(session: Session, comment_id: str, body: p.Body, now: dt.datetime | None) -> str:
    message = p.Message(new_uid(), body)
    frame: dict[str, Any] = {
        "type": "send",
        "conversation": f"comment:{comment_id}",
        "message": message.to_obj(),
    }
    session.add(OutboxItem(uid=message.id, frame=frame, created_at=now or utcnow()))
    return message.id


def reply_not_sent(session: Session, reply_uid: str, reason: str) -> str | None:
    """The private reply ``reply_uid`` will never reach the commenter (the relay refused it:
    a comment over 7 days old; or Meta did): it leaves the outbox and its comment keeps
    ``reason`` for the live screen. Returns the comment's id, None when the uid is no live
    reply (then nothing changes). The cart stays: the owner can still check it out."""
    comment = session.scalars(select(LiveComment).where(LiveComment.reply_uid == reply_uid)).first()
    if comment is None or not reply_uid:
        return None
    session.execute(delete(OutboxItem).where(OutboxItem.uid == reply_uid))
    comment.reply_problem = reason[:500]
    session.flush()
    return comment.comment_id


# ---------------------------------------------------------------------------- checkout


def checkout_data(live_id: int, commenter_id: str) -> str:
    """The checkout button's postback data."""
    return f"live:{live_id}:checkout:{commenter_id}"


def parse_checkout(data: str) -> tuple[int, str] | None:
    """(live id, commenter id) of a checkout button's postback, else None."""
    head, live_id, verb, commenter = [*data.split(":", 3), "", "", ""][:4]
    if head != "live" or verb != "checkout" or not live_id.isdigit() or not commenter:
        return None
    return int(live_id), commenter


def checkout(
    session: Session,
    live_id: int,
    commenter_id: str,
    actor: str,
    conversation: Conversation | None = None,
    details: orders.NewOrder | None = None,
) -> orders.OrderView:
    """Turn a commenter's open cart into an order awaiting payment (for ``conversation``, when
    it comes from their Messenger chat). In one transaction the cart's reservation is given
    back and the order reserves the same units, so nobody can take them in between.
    ``details`` is the order as the chat checkout collected it (recipient, address, shipping
    and its fee, payment method): its goods are replaced by the cart's, at the live's prices.
    Raises ``live.no_cart`` when the cart is not open (ordered, or released at the hold time)."""
    cart = _cart_of(session, live_id, commenter_id)
    if cart is None or cart.status != "open":
        raise UserError("live.no_cart", "this commenter has nothing reserved in the live")
    rows = session.execute(
        select(LiveProduct.variant_id, LiveCartItem.quantity, LiveCartItem.unit_price_satang)
        .join(LiveProduct, LiveProduct.id == LiveCartItem.product_id)
        .where(LiveCartItem.cart_id == cart.id)
    ).all()
    record_movements(
        session,
        {vid: qty for vid, qty, _price in rows},
        MovementReason.CANCELLATION,
        ACTOR,
        note=f"live {live_id}: cart of {commenter_id} becomes an order",
    )
    lines = [
        orders.LineInput(quantity=qty, variant_id=vid, unit_price_satang=price)
        for vid, qty, price in rows
    ]
    note = f"ไลฟ์สด #{live_id} · {cart.commenter_name}"
    if details is None:
        new = orders.NewOrder(
            channel=Channel(conversation.channel) if conversation else Channel.MANUAL,
            lines=lines,
            customer_id=conversation.customer_id if conversation else None,
            customer_name=cart.commenter_name,
            conversation_ref=conversation.ref if conversation else "",
            note=note,
        )
    else:
        new = dataclasses.replace(details, lines=lines, note=note, discount_code="")
    view = orders.place_order(session, new, actor)
    cart.status = "ordered"
    cart.order_id = view.id
    cart.updated_at = utcnow()
    session.flush()
    return view


# ---------------------------------------------------------------------------- the end


def release_due(session: Session, now: dt.datetime) -> int:
    """Give back the stock of carts still open in lives whose release time has come, and close
    those lives. Returns how many carts were released. The app calls this on a timer."""
    lives = list(
        session.scalars(
            select(LiveSession).where(
                LiveSession.status == Status.ENDED, LiveSession.release_at <= now
            )
        )
    )
    released = 0
    for live in lives:
        carts = list(
            session.scalars(
                select(LiveCart).where(LiveCart.live_id == live.id, LiveCart.status == "open")
            )
        )
        back: dict[int, int] = {}
        for cart in carts:
            for vid, qty in session.execute(
                select(LiveProduct.variant_id, LiveCartItem.quantity)
                .join(LiveProduct, LiveProduct.id == LiveCartItem.product_id)
                .where(LiveCartItem.cart_id == cart.id)
            ):
                back[vid] = back.get(vid, 0) + qty
            cart.status = "released"
            cart.updated_at = now
        if back:
            record_movements(
                session,
                back,
                MovementReason.CANCELLATION,
                ACTOR,
                note=f"live {live.id}: unpaid carts released",
            )
        live.status = Status.CLOSED
        released += len(carts)
    session.flush()
    return released
