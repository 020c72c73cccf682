"""A live cart checked out in its commenter's Messenger (or Instagram) chat.

The private reply's "ชำระเงิน" button comes back as a postback in the commenter's conversation.
From there the conversation answers the bot checkout's own questions
(:mod:`minichat_desktop.domain.bot.checkout`: recipient name, phone, address with postcode —
prefilled from what the shop knows about the customer — shipping method and fee, payment
method, summary, confirm), with the live cart as the goods: :class:`LiveCheckout` is that
checkout's :class:`~minichat_desktop.domain.bot.checkout.Goods`. Its state is kept with the
conversation's chat cart under ``source: live:<live_id>:checkout:<commenter_id>``; the chat
cart's own items are left alone.

What it promises:

- **The units stay reserved all along.** Answering the questions touches no stock; the live
  cart stays ``open`` until confirm, when :func:`~minichat_desktop.domain.live.selling.checkout`
  passes its reservation to the order in the same transaction.
- **The hold time still counts.** A cart released after the live (``release_due``) has nothing
  left to check out: the next answer or the confirm says so, and no order is placed.
- **Cancel** forgets the answers and leaves the cart reserved until the hold time; the reply
  carries the checkout button again.
- Answered whether the bot is on or off: the shopper was promised checkout in the private reply.
  A typed question (with a "?") is left to the bot or the shop; the checkout waits for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import checkout as bot_checkout
from minichat_desktop.domain.bot.replies import Outgoing, text
from minichat_desktop.domain.live.selling import (
    ACTOR,
    CHECKOUT_LABEL,
    NOTHING_TO_CHECK_OUT,
    cart_items,
    checkout,
    checkout_data,
    parse_checkout,
)
from minichat_desktop.domain.models import (
    Cart,
    Conversation,
    LiveCart,
    LiveCartItem,
    Product,
    ProductVariant,
)
from minichat_desktop.domain.sales import orders
from relay import protocol as p

LANG = "th"  # the live's private replies are Thai; its checkout continues in Thai
CANCELLED = (
    "ยกเลิกการสั่งซื้อแล้วค่ะ สินค้ายังจองไว้ให้ในตะกร้าไลฟ์ (จนถึงเวลาที่ร้านปล่อยคืนหลังจบไลฟ์)"
    " — กดชำระเงินเมื่อพร้อมได้เลยค่ะ"
)


class LiveCheckout(bot_checkout.Goods):
    """The open live cart of ``commenter_id`` in the live ``live_id``, as the goods of the
    bot's checkout: its lines at the live's prices; placed by passing its reservation on."""

    def __init__(self, live_id: int, commenter_id: str) -> None:
        self.live_id = live_id
        self.commenter_id = commenter_id
        self.source = checkout_data(live_id, commenter_id)

    def view(
        self, session: Session, conversation_id: int, now: dt.datetime | None = None
    ) -> carts.CartView:
        """The live cart's lines (none once it is ordered or released) with the conversation's
        checkout state. Stock shown is what the shopper may have: their reserved units count."""
        state = session.scalar(select(Cart.checkout).where(Cart.conversation_id == conversation_id))
        cart = session.scalars(
            select(LiveCart).where(
                LiveCart.live_id == self.live_id, LiveCart.commenter_id == self.commenter_id
            )
        ).first()
        lines: tuple[carts.CartLine, ...] = ()
        if cart is not None and cart.status == "open":
            lines = _lines(session, cart.id)
        return carts.CartView(conversation_id, lines, "", 0, "", dict(state or {}))

    def place(
        self, session: Session, conversation_id: int, new: orders.NewOrder
    ) -> orders.OrderView:
        conversation = session.get(Conversation, conversation_id)
        return checkout(session, self.live_id, self.commenter_id, ACTOR, conversation, new)

    def placed(self, session: Session, conversation_id: int) -> None:
        """Only the checkout is forgotten: the chat cart's own items stay."""
        carts.save_checkout(session, conversation_id, {})

    def nothing(self, lang: str) -> list[Outgoing]:
        return [text(NOTHING_TO_CHECK_OUT)]

    def cancelled(self, lang: str) -> list[Outgoing]:
        return [Outgoing(p.Buttons(CANCELLED, self.cart_buttons(lang)))]

    def cart_buttons(self, lang: str) -> tuple[p.Button, ...]:
        """The live cart's own checkout button: it starts the questions again."""
        return (p.Button(CHECKOUT_LABEL, p.ButtonAction.POSTBACK, data=self.source),)


def _lines(session: Session, cart_id: int) -> tuple[carts.CartLine, ...]:
    rows = session.execute(
        cart_items(
            cart_id,
            ProductVariant.id,
            Product.id,
            ProductVariant.sku,
            Product.name_th,
            ProductVariant.title,
            LiveCartItem.unit_price_satang,
            LiveCartItem.quantity,
            ProductVariant.stock,
            Product.track_inventory,
            Product.name_en,
        )
    )
    return tuple(
        carts.CartLine(
            vid,
            pid,
            sku,
            name,
            title,
            price,
            qty,
            stock + qty,  # the units held for this cart are theirs
            bool(track),
            True,  # reserved: sold to them whatever the shelf says now
            name_en or "",
        )
        for vid, pid, sku, name, title, price, qty, stock, track, name_en in rows
    )


def under_way(session: Session, conversation_id: int) -> LiveCheckout | None:
    """The live cart whose checkout this conversation is answering, if any."""
    state = session.scalar(select(Cart.checkout).where(Cart.conversation_id == conversation_id))
    found = parse_checkout(str((state or {}).get("source") or ""))
    return None if found is None else LiveCheckout(*found)


def answer_checkout(
    session: Session,
    conversation_id: int,
    message: Mapping[str, Any],
    now: dt.datetime,
    media_dir: Path | None,
) -> list[Outgoing] | None:
    """The answer to a shopper message in a live cart's checkout, None when the message is
    not one (the bot answers it as usual): the checkout button starts the questions; while
    they are under way a typed answer, a shipping or payment choice, confirm, edit or cancel
    carries them on. Confirm places the order and answers with the payment messages (the
    PromptPay QR for the whole total)."""
    if session.get(Conversation, conversation_id) is None:
        return None
    kind = str(message.get("kind") or "")
    data = str(message.get("data") or "") if kind == "postback" else ""
    pressed = parse_checkout(data)
    if pressed is not None:
        return bot_checkout.start_checkout(session, conversation_id, LANG, LiveCheckout(*pressed))
    goods = under_way(session, conversation_id)
    if goods is None:
        return None
    if goods.view(session, conversation_id, now).empty:
        # released at the hold time (or the owner ordered it for them): nothing to ask about
        carts.save_checkout(session, conversation_id, {})
        return goods.nothing(LANG)
    if kind == "text":
        said = str(message.get("text") or "")
        if "?" in said or "？" in said:
            # a question ("ส่งวันไหนคะ?") is no name or address: the bot (or the shop) answers
            # it; the checkout waits at the same question
            return None
        return bot_checkout.take_answer(session, conversation_id, said, now, media_dir, goods)
    head, _, rest = data.partition(":")
    if head == "ship":
        return bot_checkout.choose_shipping(session, conversation_id, rest, goods)
    if head == "pay":
        return bot_checkout.choose_payment(session, conversation_id, rest == "cod", goods)
    if head == "checkout" and rest == "confirm":
        return bot_checkout.confirm_checkout(session, conversation_id, now, media_dir, goods)
    if head == "checkout" and rest == "edit":
        return bot_checkout.edit_checkout(session, conversation_id, goods)
    if head == "checkout" and rest == "cancel":
        return bot_checkout.cancel_checkout(session, conversation_id, LANG, goods)
    return None
