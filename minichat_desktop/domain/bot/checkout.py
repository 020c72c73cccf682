"""Checkout inside the chat, payment messages, slips and "where is my order?".

Checkout collects, one question at a time, the recipient's name, a Thai mobile number, the
address with its postcode, the shipping method and (when the shop offers it) cash on
delivery, then shows the summary to confirm. What was collected is kept with the cart
(``carts.checkout``), so a shopper can leave and come back. A bad phone number or postcode
gets a message saying what is wrong and what to type, in the shopper's language.

Confirming places the order through :func:`orders.place_order` (stock reserved, numbered, the
owner notified) on the conversation's channel, counts the discount code's use, clears the
cart and answers with the order, a PromptPay QR for the exact total (when the shop has a
PromptPay ID) and the shop's bank accounts. A picture sent afterwards is the transfer slip:
it is attached to the conversation's latest unpaid order and the owner is notified.

Every amount, order number, status and tracking number in these messages is read from the
database in the same transaction.

What is checked out is the chat's own cart unless a :class:`Goods` says otherwise: a live
cart (:mod:`minichat_desktop.domain.live.selling`) goes through the same questions, wording and
summary, keeps its ``source`` in the checkout state and places its order its own way (its
units are already reserved).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.activity import analytics, notifications
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import context
from minichat_desktop.domain.bot.replies import Outgoing, postback, say, text
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import (
    Channel,
    Conversation,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    SlipCheck,
)
from minichat_desktop.domain.payments import slips
from minichat_desktop.domain.promptpay import (
    PromptPayError,
    promptpay_payload,
    write_promptpay_card_png,
)
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import get_profile
from minichat_desktop.domain.thai import (
    ThaiFormatError,
    chat_baht,
    format_baht,
    is_valid_postcode,
    normalize_thai_mobile,
    satang_to_decimal,
    thai_digits_to_arabic,
    tracking_url,
)
from minichat_desktop.errors import UserError
from relay import protocol as p

ACTOR = "bot"
STEPS = ("name", "phone", "address", "postcode", "shipping", "payment", "confirm")
CANCEL_WORDS = ("ยกเลิก", "ไม่เอาแล้ว", "cancel", "stop")
_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
ORDER_NUMBER = re.compile(r"\b([A-Za-z]{1,10})-(\d{4})-(\d{6})\b")


# ---------------------------------------------------------------------------- words

T: dict[str, dict[str, str]] = {
    "th": {
        "cart_empty": "ตะกร้ายังว่างอยู่ค่ะ เลือกสินค้าที่สนใจก่อนนะคะ",
        "ask_name": "ขอชื่อ-นามสกุลผู้รับสินค้าค่ะ",
        "ask_phone": "ขอเบอร์มือถือผู้รับค่ะ (เช่น 0812345678)",
        "ask_address": "ขอที่อยู่จัดส่งพร้อมรหัสไปรษณีย์ค่ะ (บ้านเลขที่ ถนน ตำบล อำเภอ จังหวัด)",
        "ask_postcode": "ขอรหัสไปรษณีย์ 5 หลักของที่อยู่นี้ค่ะ",
        "ask_shipping": "เลือกวิธีจัดส่งได้เลยค่ะ",
        "ask_payment": "ชำระเงินแบบไหนดีคะ",
        "pay_transfer": "โอน/พร้อมเพย์",
        "pay_cod": "เก็บเงินปลายทาง",
        "bad_name": "ขอชื่อผู้รับเป็นตัวอักษร 2-100 ตัวค่ะ",
        "bad_phone": (
            "เบอร์ {value} ไม่ใช่เบอร์มือถือไทยค่ะ กรุณาพิมพ์ 10 หลัก ขึ้นต้นด้วย 06 08 หรือ 09 เช่น 0812345678"
        ),
        "bad_postcode": "รหัสไปรษณีย์ {value} ไม่ถูกต้องค่ะ รหัสไปรษณีย์ไทยมี 5 หลัก เช่น 10110",
        "short_address": "ที่อยู่สั้นไปค่ะ ขอบ้านเลขที่ ถนน ตำบล/แขวง อำเภอ/เขต จังหวัด ด้วยนะคะ",
        "bad_method": "กรุณาเลือกวิธีจัดส่งจากปุ่มด้านล่างค่ะ",
        "confirm": (
            "ตรวจสอบรายการก่อนยืนยันนะคะ\nผู้รับ: {name} {phone}\nที่อยู่: {address} "
            "{postcode}\nจัดส่ง: {method}{cod}"
        ),
        "cod_note": " (เก็บเงินปลายทาง)",
        "btn_confirm": "ยืนยันสั่งซื้อ",
        "btn_edit": "แก้ที่อยู่",
        "btn_cancel": "ยกเลิก",
        "cancelled": "ยกเลิกการสั่งซื้อแล้วค่ะ สินค้ายังอยู่ในตะกร้านะคะ",
        "placed": "สั่งซื้อสำเร็จค่ะ 🎉 เลขที่ออเดอร์ {number}\nยอดชำระ {total}",
        "placed_cod": (
            "สั่งซื้อสำเร็จค่ะ 🎉 เลขที่ออเดอร์ {number}\nยอดเก็บเงินปลายทาง {total} "
            "ทางร้านจะแจ้งเลขพัสดุเมื่อจัดส่งค่ะ"
        ),
        "qr_caption": "สแกนจ่ายพร้อมเพย์ {total} (ออเดอร์ {number})",
        "banks": "หรือโอนเข้าบัญชี:\n{accounts}",
        "after_pay": "โอนแล้วส่งสลิปในแชทนี้ได้เลยค่ะ",
        "no_payment_info": "ทางร้านจะส่งช่องทางชำระเงินให้เร็ว ๆ นี้ค่ะ",
        "slip_ok": ("ได้รับสลิปของออเดอร์ {number} แล้วค่ะ ทางร้านจะตรวจสอบและยืนยันให้เร็วที่สุดนะคะ 🙏"),
        "slip_no_order": "ได้รับรูปแล้วค่ะ ทางร้านจะตรวจสอบให้นะคะ",
        "no_orders": ("ยังไม่พบออเดอร์ในแชทนี้ค่ะ ถ้ามีเลขที่ออเดอร์ พิมพ์มาได้เลยนะคะ (เช่น MC-2026-000123)"),
        "not_yours": "ไม่พบออเดอร์ {number} ในแชทนี้ค่ะ เจ้าหน้าที่จะช่วยตรวจสอบให้นะคะ",
        "status_text": "ออเดอร์ {number}: {label} ยอด {total}",
        "tracking": "\nขนส่ง {carrier} เลขพัสดุ {tracking}",
        "stock_gone": "ขออภัยค่ะ {name} เหลือ {available} ชิ้น ปรับจำนวนในตะกร้าก่อนนะคะ",
        "order_failed": "สั่งซื้อไม่สำเร็จค่ะ: {reason}",
        "free_shipping": "ส่งฟรี",
    },
    "en": {
        "cart_empty": "Your cart is empty. Pick a product first.",
        "ask_name": "What is the recipient's full name?",
        "ask_phone": "The recipient's mobile number, please (e.g. 0812345678).",
        "ask_address": "The delivery address with its postcode, please.",
        "ask_postcode": "What is the 5-digit postcode of that address?",
        "ask_shipping": "How should we ship it?",
        "ask_payment": "How would you like to pay?",
        "pay_transfer": "Transfer / PromptPay",
        "pay_cod": "Cash on delivery",
        "bad_name": "Please type the recipient's name (2 to 100 letters).",
        "bad_phone": (
            "{value} is not a Thai mobile number. Type 10 digits starting with 06, 08 or 09, "
            "e.g. 0812345678."
        ),
        "bad_postcode": (
            "{value} is not a valid postcode. Thai postcodes have 5 digits, e.g. 10110."
        ),
        "short_address": (
            "That address is too short: house number, road, subdistrict, district and "
            "province, please."
        ),
        "bad_method": "Please choose a shipping method with the buttons below.",
        "confirm": (
            "Please check before confirming.\nRecipient: {name} {phone}\nAddress: {address} "
            "{postcode}\nShipping: {method}{cod}"
        ),
        "cod_note": " (cash on delivery)",
        "btn_confirm": "Confirm order",
        "btn_edit": "Edit address",
        "btn_cancel": "Cancel",
        "cancelled": "Checkout cancelled. Your items are still in the cart.",
        "placed": "Order placed 🎉 Number {number}\nAmount due: {total}",
        "placed_cod": (
            "Order placed 🎉 Number {number}\nCash on delivery: {total}. We will send the "
            "tracking number when it ships."
        ),
        "qr_caption": "Scan to pay {total} by PromptPay (order {number})",
        "banks": "Or transfer to:\n{accounts}",
        "after_pay": "Send the transfer slip in this chat once paid.",
        "no_payment_info": "The shop will send you the payment details shortly.",
        "slip_ok": (
            "We received the slip for order {number}. The shop will check it and confirm soon 🙏"
        ),
        "slip_no_order": "Picture received; the shop will have a look.",
        "no_orders": (
            "No order found in this chat yet. If you have an order number, type it (e.g. "
            "MC-2026-000123)."
        ),
        "not_yours": "Order {number} is not in this chat; a staff member will check it for you.",
        "status_text": "Order {number}: {label}, {total}",
        "tracking": "\n{carrier} tracking number {tracking}",
        "stock_gone": (
            "Sorry, only {available} of {name} left; please change the quantity in your cart."
        ),
        "order_failed": "The order could not be placed: {reason}",
        "free_shipping": "free",
    },
}

ERRORS: dict[str, dict[str, str]] = {
    "th": {
        "cart.out_of_stock": "ขออภัยค่ะ {name} {variant} เหลือ {available} ชิ้น",
        "stock.insufficient": (
            "ขออภัยค่ะ สินค้า {sku} เพิ่งหมด (เหลือ {available} ชิ้น) ปรับจำนวนในตะกร้าก่อนนะคะ"
        ),
        "cart.unavailable": "ขออภัยค่ะ {name} งดจำหน่ายชั่วคราว",
        "order.inactive_item": "ขออภัยค่ะ สินค้า {sku} งดจำหน่ายชั่วคราว ทางร้านจะติดต่อกลับนะคะ",
        "cart.bad_quantity": "จำนวนต้องเป็น 1 ถึง 10,000 ชิ้นค่ะ",
        "cart.unknown_item": "ไม่พบสินค้านี้แล้วค่ะ",
        "cart.not_in_cart": "สินค้านี้ไม่ได้อยู่ในตะกร้าค่ะ",
        "cart.empty": "ตะกร้ายังว่างอยู่ค่ะ",
        "cart.too_many_lines": "ตะกร้าใส่ได้สูงสุด 50 รายการค่ะ",
        "cart.other_product": "เลือกตัวเลือกของสินค้าเดียวกันนะคะ",
        "discount.unknown": "ไม่พบโค้ดส่วนลด {discount} ค่ะ",
        "discount.inactive": "โค้ด {discount} ปิดใช้งานอยู่ค่ะ",
        "discount.not_started": "โค้ด {discount} ยังไม่เริ่มใช้ค่ะ",
        "discount.expired": "โค้ด {discount} หมดอายุแล้วค่ะ",
        "discount.used_up": "โค้ด {discount} ถูกใช้ครบแล้วค่ะ",
        "discount.min_subtotal": "โค้ด {discount} ใช้ได้เมื่อซื้อครบ {min_subtotal} ค่ะ",
    },
    "en": {
        "cart.out_of_stock": "Sorry, only {available} of {name} {variant} left.",
        "stock.insufficient": (
            "Sorry, {sku} just sold out ({available} left); please adjust your cart."
        ),
        "cart.unavailable": "Sorry, {name} is not for sale right now.",
        "order.inactive_item": "Sorry, {sku} is not for sale right now; the shop will contact you.",
        "cart.bad_quantity": "The quantity must be 1 to 10,000.",
        "cart.unknown_item": "That product is no longer available.",
        "cart.not_in_cart": "That item is not in your cart.",
        "cart.empty": "Your cart is empty.",
        "cart.too_many_lines": "A cart holds at most 50 different items.",
        "cart.other_product": "Choose an option of the same product.",
        "discount.unknown": "There is no discount code {discount}.",
        "discount.inactive": "Code {discount} is switched off.",
        "discount.not_started": "Code {discount} is not valid yet.",
        "discount.expired": "Code {discount} has expired.",
        "discount.used_up": "Code {discount} has been used up.",
        "discount.min_subtotal": "Code {discount} needs a purchase of at least {min_subtotal}.",
    },
}


def t(lang: str, key: str, **values: Any) -> str:
    table = T.get(lang, T["th"])
    return table.get(key, T["th"][key]).format(**values)


def error_text(exc: UserError, lang: str) -> str:
    """A shopper-facing sentence for a cart, discount or order error."""
    table = ERRORS.get(lang, ERRORS["th"])
    template = table.get(exc.code)
    if template is None:
        return t(lang, "order_failed", reason=exc.message)
    params = {k: v for k, v in exc.params.items()}
    if "min_subtotal" in params:
        params["min_subtotal"] = chat_baht(int(params["min_subtotal"]))
    params.setdefault("variant", "")
    params.setdefault("name", "")
    params.setdefault("discount", "")
    params.setdefault("sku", "")
    params.setdefault("available", 0)
    return " ".join(template.format(**params).split())


# ---------------------------------------------------------------------------- checkout flow


def _conversation(session: Session, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise UserError("conversation.not_found", f"no conversation {conversation_id}")
    return conv


class Goods:
    """Where a checkout's goods come from and how its order is placed. This class is the chat's
    own cart; a subclass (a live cart) overrides what differs. ``source`` is kept in the
    checkout state (empty: the chat's cart), so a message knows which checkout it answers."""

    source = ""

    def view(
        self, session: Session, conversation_id: int, now: dt.datetime | None = None
    ) -> carts.CartView:
        """The goods as a cart, with the conversation's checkout state."""
        return carts.get_cart(session, conversation_id, now)

    def place(
        self, session: Session, conversation_id: int, new: orders.NewOrder
    ) -> orders.OrderView:
        """Place ``new`` (lines, details and fee collected). Raises :class:`UserError` (stock
        or a discount code gone meanwhile); the caller rolls back to before it."""
        if new.discount_code:
            carts.redeem_discount(session, new.discount_code)
        return orders.place_order(session, new, ACTOR)

    def placed(self, session: Session, conversation_id: int) -> None:
        """After the order: the cart is emptied and the checkout forgotten."""
        carts.clear_cart(session, conversation_id)

    def nothing(self, lang: str) -> list[Outgoing]:
        """The answer when there is nothing (left) to check out."""
        return [text(t(lang, "cart_empty"))]

    def cancelled(self, lang: str) -> list[Outgoing]:
        return [text(t(lang, "cancelled"))]

    def cart_buttons(self, lang: str) -> tuple[p.Button, ...] | None:
        """The buttons under the cart shown when the order could not be placed (None: the
        chat cart's own, check out and empty the cart)."""
        return None


CHAT_CART = Goods()


def in_checkout(view: carts.CartView, source: str = "") -> bool:
    """Whether ``view``'s conversation is answering the checkout questions of ``source`` (the
    chat's cart by default: a live cart's checkout is not the chat cart's)."""
    state = view.checkout
    return bool(state.get("step")) and state.get("source", "") == source and not view.empty


def _prefill(session: Session, conv: Conversation) -> dict[str, Any]:
    if conv.customer_id is None:
        return {}
    c = customers.get_customer(session, conv.customer_id)
    saved = {"name": c.name, "phone": c.phone, "address": c.address, "postcode": c.postcode}
    return {k: v for k, v in saved.items() if v}


def start_checkout(
    session: Session, conversation_id: int, lang: str, goods: Goods = CHAT_CART
) -> list[Outgoing]:
    """Begin collecting the delivery details (first question), or say the cart is empty."""
    view = goods.view(session, conversation_id)
    if view.empty:
        return goods.nothing(lang)
    short = [line for line in view.lines if line.short_of_stock or not line.available]
    if short:
        line = short[0]
        name = line.display_name(lang)
        return [text(t(lang, "stock_gone", name=name, available=max(line.stock, 0)))]
    conv = _conversation(session, conversation_id)
    state: dict[str, Any] = {"step": "name", "lang": lang, "saved": _prefill(session, conv)}
    if goods.source:
        state["source"] = goods.source
    carts.save_checkout(session, conversation_id, state)
    analytics.record(
        session,
        analytics.CHECKOUT_STARTED,
        conversation_id=conversation_id,
        data={"goods_satang": view.goods_satang, "items": view.count},
    )
    return prompt(session, conversation_id, state, goods)


def prompt(
    session: Session, conversation_id: int, state: dict[str, Any], goods: Goods = CHAT_CART
) -> list[Outgoing]:
    """The question for the current step (with the shopper's saved value as a quick reply)."""
    lang = state.get("lang", "th")
    step = state["step"]
    saved = state.get("saved", {})
    quick: tuple[p.Button, ...] = ()
    if step in ("name", "phone", "address") and saved.get(step):
        value = (
            saved[step] if step != "address" else f"{saved['address']} {saved.get('postcode', '')}"
        )
        quick = (say(value.strip()[:40], value.strip()),)
    if step == "shipping":
        return [_shipping_prompt(session, conversation_id, lang, goods)]
    if step == "payment":
        rules = carts.shipping_rules(session)
        fee = chat_baht(rules.cod_fee_satang)
        cod_label = t(lang, "pay_cod") + (f" +{fee}" if rules.cod_fee_satang else "")
        return [
            Outgoing(
                p.Buttons(
                    t(lang, "ask_payment"),
                    (
                        postback(t(lang, "pay_transfer"), "pay:transfer"),
                        postback(cod_label, "pay:cod"),
                    ),
                )
            )
        ]
    if step == "confirm":
        return _confirm_prompt(session, conversation_id, state, goods)
    return [text(t(lang, f"ask_{step}"), quick)]


def _shipping_prompt(
    session: Session, conversation_id: int, lang: str, goods: Goods = CHAT_CART
) -> Outgoing:
    rules = carts.shipping_rules(session)
    view = goods.view(session, conversation_id)
    quick = []
    for m in rules.enabled_methods:
        fee = carts.shipping_fee(rules, m.code, view.goods_satang, cod=False)
        price = t(lang, "free_shipping") if fee == 0 else chat_baht(fee)
        quick.append(postback(f"{m.label(lang)} {price}", f"ship:{m.code}"))
    return text(t(lang, "ask_shipping"), tuple(quick))


def _totals(
    session: Session, view: carts.CartView, state: dict[str, Any]
) -> tuple[int, carts.ShippingRules]:
    rules = carts.shipping_rules(session)
    fee = carts.shipping_fee(
        rules, state.get("shipping", ""), view.goods_satang, bool(state.get("cod"))
    )
    return fee, rules


def _confirm_prompt(
    session: Session, conversation_id: int, state: dict[str, Any], goods: Goods
) -> list[Outgoing]:
    lang = state.get("lang", "th")
    view = goods.view(session, conversation_id)
    fee, rules = _totals(session, view, state)
    method = rules.method(state["shipping"])
    summary = carts.cart_message(
        view,
        shipping_satang=fee,
        lang=lang,
        buttons=(
            postback(t(lang, "btn_confirm"), "checkout:confirm"),
            postback(t(lang, "btn_edit"), "checkout:edit"),
            postback(t(lang, "btn_cancel"), "checkout:cancel"),
        ),
    )
    details = t(
        lang,
        "confirm",
        name=state["name"],
        phone=state["phone"],
        address=state["address"],
        postcode=state["postcode"],
        method=method.label(lang) if method else state["shipping"],
        cod=t(lang, "cod_note") if state.get("cod") else "",
    )
    return [text(details), Outgoing(summary)]


def _clean_name(value: str) -> str | None:
    name = " ".join(value.split())
    if not 2 <= len(name) <= 100 or not re.search(r"[^\W\d_]", name):
        return None
    return name


def take_answer(
    session: Session,
    conversation_id: int,
    message: str,
    now: dt.datetime,
    media_dir: Path | None,
    goods: Goods = CHAT_CART,
) -> list[Outgoing] | None:
    """Treat a typed message as the answer to the current checkout question. Returns None
    when the conversation is not in checkout (the engine answers the message itself)."""
    view = goods.view(session, conversation_id, now)
    if not in_checkout(view, goods.source):
        return None
    state = dict(view.checkout)
    lang = state.get("lang", "th")
    value = message.strip()
    if value.lower() in CANCEL_WORDS:
        return cancel_checkout(session, conversation_id, lang, goods)
    step = state["step"]
    if step == "name":
        name = _clean_name(value)
        if name is None:
            return [text(t(lang, "bad_name"))]
        state["name"], state["step"] = name, "phone"
    elif step == "phone":
        try:
            state["phone"] = normalize_thai_mobile(value)
        except ThaiFormatError:
            return [text(t(lang, "bad_phone", value=value[:40]))]
        state["step"] = "address"
    elif step == "address":
        address, postcode, problem = _split_address(value)
        if problem is not None:
            return [text(t(lang, problem, value=postcode))]
        state["address"] = address
        if postcode:
            state["postcode"], state["step"] = postcode, "shipping"
        else:
            state["step"] = "postcode"
    elif step == "postcode":
        code = thai_digits_to_arabic(value).strip()
        if not is_valid_postcode(code):
            return [text(t(lang, "bad_postcode", value=value[:20]))]
        state["postcode"], state["step"] = code, "shipping"
    elif step == "shipping":
        rules = carts.shipping_rules(session)
        chosen = next(
            (m for m in rules.enabled_methods if value.lower() in (m.code, m.label(lang).lower())),
            None,
        )
        if chosen is None:
            return [
                text(t(lang, "bad_method")),
                _shipping_prompt(session, conversation_id, lang, goods),
            ]
        return choose_shipping(session, conversation_id, chosen.code, goods)
    elif step == "payment":
        cod = value in (t(lang, "pay_cod"), "cod")
        return choose_payment(session, conversation_id, cod, goods)
    elif step == "confirm":
        return prompt(session, conversation_id, state, goods)
    carts.save_checkout(session, conversation_id, state)
    return prompt(session, conversation_id, state, goods)


def _split_address(value: str) -> tuple[str, str, str | None]:
    """(address without the postcode, postcode, problem key). A 5-digit number that is not a
    Thai postcode is a problem; none at all means ask for it."""
    flat = " ".join(thai_digits_to_arabic(value).split())
    if len(flat) < 10:
        return flat, "", "short_address"
    found = _POSTCODE.findall(flat)
    if not found:
        return flat, "", None
    code = found[-1]
    if not is_valid_postcode(code):
        return flat, code, "bad_postcode"
    idx = flat.rfind(code)
    address = (flat[:idx] + flat[idx + 5 :]).strip(" ,")
    if len(address) < 10:
        return flat, code, "short_address"
    return address, code, None


def choose_shipping(
    session: Session, conversation_id: int, method: str, goods: Goods = CHAT_CART
) -> list[Outgoing]:
    view = goods.view(session, conversation_id)
    if not in_checkout(view, goods.source):
        return start_checkout(session, conversation_id, "th", goods) if not view.empty else []
    state = dict(view.checkout)
    rules = carts.shipping_rules(session)
    if rules.method(method) is None or state.get("step") not in ("shipping", "payment", "confirm"):
        return prompt(session, conversation_id, state, goods)
    state["shipping"] = method
    state["cod"] = False
    state["step"] = "payment" if rules.cod_enabled else "confirm"
    carts.save_checkout(session, conversation_id, state)
    return prompt(session, conversation_id, state, goods)


def choose_payment(
    session: Session, conversation_id: int, cod: bool, goods: Goods = CHAT_CART
) -> list[Outgoing]:
    view = goods.view(session, conversation_id)
    if not in_checkout(view, goods.source):
        return []
    state = dict(view.checkout)
    if state.get("step") not in ("payment", "confirm") or not state.get("shipping"):
        return prompt(session, conversation_id, state, goods)
    state["cod"] = bool(cod) and carts.shipping_rules(session).cod_enabled
    state["step"] = "confirm"
    carts.save_checkout(session, conversation_id, state)
    return prompt(session, conversation_id, state, goods)


def edit_checkout(
    session: Session, conversation_id: int, goods: Goods = CHAT_CART
) -> list[Outgoing]:
    view = goods.view(session, conversation_id)
    if view.empty:
        return goods.nothing("th")
    state = dict(view.checkout) or {"lang": "th", "saved": {}}
    if goods.source:
        state["source"] = goods.source
    state["step"] = "address"
    carts.save_checkout(session, conversation_id, state)
    return prompt(session, conversation_id, state, goods)


def cancel_checkout(
    session: Session, conversation_id: int, lang: str, goods: Goods = CHAT_CART
) -> list[Outgoing]:
    carts.save_checkout(session, conversation_id, {})
    return goods.cancelled(lang)


def confirm_checkout(
    session: Session,
    conversation_id: int,
    now: dt.datetime,
    media_dir: Path | None,
    goods: Goods = CHAT_CART,
) -> list[Outgoing]:
    """Place the order from the cart (``goods``) and the collected details; answer with the
    payment messages. Stock or a code that went meanwhile gives a message and no order."""
    view = goods.view(session, conversation_id, now)
    state = dict(view.checkout)
    lang = state.get("lang", "th")
    if view.empty:
        return goods.nothing(lang)
    if state.get("source", "") != goods.source:
        return []  # another cart's checkout is under way: this button is stale
    if state.get("step") != "confirm":
        return prompt(session, conversation_id, state, goods) if state.get("step") else []
    conv = _conversation(session, conversation_id)
    fee, _ = _totals(session, view, state)
    cod = bool(state.get("cod"))
    new = orders.NewOrder(
        channel=Channel(conv.channel),
        lines=[orders.LineInput(line.quantity, variant_id=line.variant_id) for line in view.lines],
        payment_method=PaymentMethod.COD if cod else PaymentMethod.PROMPTPAY,
        customer_id=conv.customer_id,
        customer_name=state["name"],
        customer_phone=state["phone"],
        ship_name=state["name"],
        ship_phone=state["phone"],
        ship_address=state["address"],
        ship_postcode=state["postcode"],
        shipping_method=state["shipping"],
        shipping_satang=fee,
        discount_satang=view.discount_satang,
        discount_code=view.discount_code if view.discount_satang else "",
        cod=cod,
        conversation_ref=conv.ref,
        created_at=now,
    )
    try:
        with session.begin_nested():
            order = goods.place(session, conversation_id, new)
    except UserError as exc:
        # Sold or used up meanwhile: say so; the cart stays for the shopper to adjust.
        cart = carts.cart_message(view, lang=lang, buttons=goods.cart_buttons(lang))
        return [text(error_text(exc, lang)), Outgoing(cart)]
    goods.placed(session, conversation_id)
    context.set_stage(session, conversation_id, "purchased", now)
    _remember_customer(session, conv, state)
    return payment_messages(session, order, lang, media_dir)


def _remember_customer(session: Session, conv: Conversation, state: dict[str, Any]) -> None:
    """Fill the customer's empty name, address and phone from the checkout."""
    if conv.customer_id is None:
        return
    current = customers.get_customer(session, conv.customer_id)
    changes = {
        k: v
        for k, v in (
            ("name", state["name"]),
            ("address", state["address"]),
            ("postcode", state["postcode"]),
            ("phone", state["phone"]),
        )
        if not getattr(current, k)
    }
    if not changes:
        return
    try:
        with session.begin_nested():
            customers.update_customer(session, conv.customer_id, ACTOR, **changes)
    except UserError:
        changes.pop("phone", None)  # the phone belongs to another customer: the owner merges
        if changes:
            customers.update_customer(session, conv.customer_id, ACTOR, **changes)


def payment_messages(
    session: Session, order: orders.OrderView, lang: str, media_dir: Path | None
) -> list[Outgoing]:
    """What a shopper needs to pay an order: the order, the PromptPay QR for the exact total
    (written under ``media_dir/qr``; skipped without a PromptPay ID or folder) and the bank
    accounts."""
    total = chat_baht(order.total_satang)
    if order.payment_method == PaymentMethod.COD:
        return [
            text(t(lang, "placed_cod", number=order.number, total=total)),
            Outgoing(status_body(order, lang)),
        ]
    out = [text(t(lang, "placed", number=order.number, total=total))]
    profile = get_profile(session)
    if profile.promptpay_id and media_dir is not None:
        try:
            payload = promptpay_payload(profile.promptpay_id, satang_to_decimal(order.total_satang))
        except PromptPayError:
            payload = ""
        if payload:
            folder = media_dir / "qr"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{order.number}.png"
            write_promptpay_card_png(payload, path, profile.name, order.total_satang)
            out.append(
                Outgoing(
                    None,
                    image_path=str(path),
                    caption=t(lang, "qr_caption", total=total, number=order.number),
                )
            )
    accounts = "\n".join(
        f"{a.bank} {a.account_number} {a.account_name}".strip() for a in profile.bank_accounts
    )
    if accounts:
        out.append(text(t(lang, "banks", accounts=accounts)))
    if len(out) == 1:
        out.append(text(t(lang, "no_payment_info")))
    out.append(text(t(lang, "after_pay")))
    return out


# ---------------------------------------------------------------------------- slips


def _orders_of(session: Session, conv: Conversation) -> Any:
    cond = Order.conversation_ref == conv.ref
    if conv.customer_id is not None:
        cond = or_(cond, Order.customer_id == conv.customer_id)
    return select(Order).where(cond)


def receive_slip(
    session: Session,
    conversation_id: int,
    slip: str,
    lang: str,
    read: slips.SlipPicture | None = None,
) -> list[Outgoing]:
    """A picture from the shopper: attach it (a local path, or the relay URL when it could not
    be fetched) to the conversation's latest unpaid order, with what was ``read`` from it (its
    QRs and hash) checked, and notify the owner of what the check found. The shopper's reply
    stays neutral whatever it found: the owner looks and decides."""
    conv = _conversation(session, conversation_id)
    order = session.scalar(
        _orders_of(session, conv)
        .where(
            Order.payment_status == PaymentStatus.PENDING,
            Order.payment_method != PaymentMethod.COD,
            Order.status.not_in((OrderStatus.CANCELLED, OrderStatus.REFUNDED)),
        )
        .order_by(Order.id.desc())
        .limit(1)
    )
    if order is None:
        return [text(t(lang, "slip_no_order"))]
    read = read or slips.SlipPicture()
    view = orders.attach_slip(
        session, order.id, slip, ACTOR, sha256=read.sha256, payloads=read.payloads
    )
    who = f"{view.customer_name} · {format_baht(view.total_satang, symbol=True)}".strip(" ·")
    check = view.slip_check
    # A warning comes first: the tray shows the start of the body.
    warn = check is not None and check.check != SlipCheck.READ

    def body(lang: str) -> str:
        found = slips.owner_note(check, lang) if check is not None else ""
        return " · ".join(part for part in ((found, who) if warn else (who, found)) if part)

    notifications.notify(
        session,
        notifications.NotificationKind.PAYMENT_SLIP,
        f"สลิปโอนเงิน ออเดอร์ {view.number}",
        body("th"),
        ref=f"order:{view.id}",
        en=(f"Payment slip, order {view.number}", body("en")),
    )
    return [text(t(lang, "slip_ok", number=view.number))]


# ---------------------------------------------------------------------------- order status

STATUS_LABELS = {
    "th": {
        "awaiting_payment": "รอชำระเงิน",
        "pending": "รอยืนยัน",
        "paid": "ชำระเงินแล้ว รอจัดส่ง",
        "packed": "กำลังแพ็กสินค้า",
        "shipped": "จัดส่งแล้ว",
        "delivered": "ส่งถึงแล้ว",
        "cancelled": "ยกเลิกแล้ว",
        "refunded": "คืนเงินแล้ว",
    },
    "en": {
        "awaiting_payment": "awaiting payment",
        "pending": "waiting for confirmation",
        "paid": "paid, waiting to ship",
        "packed": "being packed",
        "shipped": "shipped",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "refunded": "refunded",
    },
}


def order_state(order: orders.OrderView) -> tuple[p.OrderState, str]:
    """The protocol's order state and the key of its label."""
    s, paid = order.status, order.payment_status == PaymentStatus.PAID
    if s == OrderStatus.CANCELLED:
        return p.OrderState.CANCELLED, "cancelled"
    if s == OrderStatus.REFUNDED:
        return p.OrderState.CANCELLED, "refunded"
    if s == OrderStatus.DELIVERED:
        return p.OrderState.DELIVERED, "delivered"
    if s == OrderStatus.SHIPPED:
        return p.OrderState.SHIPPED, "shipped"
    if s == OrderStatus.PROCESSING:
        return p.OrderState.PACKED, "packed"
    if paid:
        return p.OrderState.PAID, "paid"
    if order.payment_method == PaymentMethod.COD or s == OrderStatus.CONFIRMED:
        return p.OrderState.PENDING, "pending"
    return p.OrderState.AWAITING_PAYMENT, "awaiting_payment"


def status_body(order: orders.OrderView, lang: str) -> p.OrderStatus:
    state, key = order_state(order)
    return p.OrderStatus(
        order_no=order.number[:40],
        status=state,
        total_satang=order.total_satang,
        status_label=STATUS_LABELS.get(lang, STATUS_LABELS["th"])[key],
        carrier=order.carrier[:100] or None,
        tracking_no=order.tracking_number[:60] or None,
        tracking_url=tracking_url(order.carrier, order.tracking_number),
    )


def status_text(order: orders.OrderView, lang: str) -> str:
    _, key = order_state(order)
    out = t(
        lang,
        "status_text",
        number=order.number,
        label=STATUS_LABELS.get(lang, STATUS_LABELS["th"])[key],
        total=chat_baht(order.total_satang),
    )
    if order.tracking_number:
        out += t(lang, "tracking", carrier=order.carrier or "-", tracking=order.tracking_number)
    return out


def find_order_numbers(message: str) -> list[str]:
    return [f"{a.upper()}-{y}-{n}" for a, y, n in ORDER_NUMBER.findall(message)]


def conversation_orders(
    session: Session, conversation_id: int, limit: int = 3
) -> list[orders.OrderView]:
    """The conversation's (and its customer's) latest orders, newest first."""
    conv = _conversation(session, conversation_id)
    ids = session.scalars(
        _orders_of(session, conv).with_only_columns(Order.id).order_by(Order.id.desc()).limit(limit)
    ).all()
    return [orders.get_order(session, i) for i in ids]


def order_status_replies(
    session: Session, conversation_id: int, message: str, lang: str
) -> list[Outgoing]:
    """Answer "where is my order?": the named order (only if it is this conversation's or its
    customer's), else the latest open orders, with status and tracking from the database."""
    wanted = find_order_numbers(message)
    mine = conversation_orders(session, conversation_id, limit=20)
    if wanted:
        found = [o for o in mine if o.number in wanted]
        if not found:
            return [text(t(lang, "not_yours", number=wanted[0]))]
        chosen = found
    else:
        open_ = [
            o
            for o in mine
            if o.status not in (OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        ]
        chosen = (open_ or mine)[:3]
    if not chosen:
        return [text(t(lang, "no_orders"))]
    out: list[Outgoing] = []
    for o in chosen:
        out.append(Outgoing(status_body(o, lang)))
    return out


def tell_shopper(
    session: Session, order_id: int, lang: str = "th", actor: str = "system"
) -> int | None:
    """Send the order's status (and tracking, when it has one) into the chat it came from —
    after the owner confirms the payment, ships or enters the tracking number. Returns the
    conversation id, or None when the order did not come from a chat (a counter sale)."""
    order = orders.get_order(session, order_id)
    if not order.conversation_ref:
        return None
    conv = session.scalar(select(Conversation).where(Conversation.ref == order.conversation_ref))
    if conv is None:
        return None
    from minichat_desktop.domain.conversations import conversations as convs

    convs.queue_outgoing(session, conv.id, status_body(order, lang), actor)
    return conv.id
