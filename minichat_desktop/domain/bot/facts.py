"""Grounding for AI answers: the facts a model may use, and a check that it used only those.

:func:`build_facts` writes a plain-text block from database rows — products (price, the price
before a sale, each option's price and stock), the shopper's cart, their orders (status,
total, carrier, tracking) and the shop (shipping fees, COD, payment) — to put in the prompt.

:func:`grounded` is the guard: every number in a model's answer (prices, stock counts, order
and tracking numbers, phone numbers; Arabic or Thai digits, or Thai number words) must appear
in the facts or in the rule answer it rewords — not merely in the shopper's message (a
shopper's "ลดเหลือ 100 ได้ไหม" must not become a price). Anything else —
an invented price, a stock level, a date, a delivery time — rejects the answer and the rule
answer is sent instead. The check is strict on purpose: a model that writes "ส่งภายใน 2 วัน"
without the shop having said so is wrong even if it is often right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot.normalize import THAI_NUMBER_WORD_RE, parse_thai_number
from minichat_desktop.domain.models import Product, ProductVariant
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import get_profile
from minichat_desktop.domain.thai import format_baht, thai_digits_to_arabic

MAX_PRODUCTS = 8
MAX_ANSWER = 1200
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def product_facts(session: Session, product_ids: Iterable[int]) -> list[str]:
    """One line per product (active ones only), with every active option."""
    ids = list(dict.fromkeys(product_ids))[:MAX_PRODUCTS]
    if not ids:
        return []
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids), Product.active))
    }
    variants: dict[int, list[ProductVariant]] = {}
    for v in session.scalars(
        select(ProductVariant)
        .where(ProductVariant.product_id.in_(ids), ProductVariant.active)
        .order_by(ProductVariant.position, ProductVariant.id)
    ):
        variants.setdefault(v.product_id, []).append(v)
    lines = []
    for pid in ids:
        p = products.get(pid)
        if p is None:
            continue
        line = f"- {p.name_th}"
        if p.name_en:
            line += f" ({p.name_en})"
        line += f": price {format_baht(p.price_satang, symbol=True)}"
        if p.compare_at_satang and p.compare_at_satang > p.price_satang:
            line += f", was {format_baht(p.compare_at_satang, symbol=True)}"
        vs = variants.get(pid, [])
        if p.option_names and vs:
            opts = []
            for v in vs:
                price = v.price_satang if v.price_satang is not None else p.price_satang
                stock = (
                    (f"{v.stock} in stock" if v.stock > 0 else "sold out")
                    if p.track_inventory
                    else "available"
                )
                opts.append(f"{v.title} {format_baht(price, symbol=True)} {stock}")
            line += "; options: " + "; ".join(opts)
        elif p.track_inventory:
            total = sum(v.stock for v in vs)
            line += f"; {total} in stock" if total > 0 else "; sold out"
        if p.description:
            line += f". {' '.join(p.description.split())[:300]}"
        lines.append(line)
    return lines


def cart_facts(view: carts.CartView) -> list[str]:
    if view.empty:
        return ["- the cart is empty"]
    lines = [
        f"- cart: {ln.name} {ln.variant_title} x{ln.quantity}"
        f" = {format_baht(ln.line_total_satang, symbol=True)}"
        for ln in view.lines
    ]
    lines.append(f"- cart subtotal {format_baht(view.subtotal_satang, symbol=True)}")
    if view.discount_satang:
        lines.append(
            f"- discount {view.discount_code} -{format_baht(view.discount_satang, symbol=True)}"
        )
    return lines


def order_facts(views: Iterable[orders.OrderView]) -> list[str]:
    lines = []
    for o in views:
        line = (
            f"- order {o.number}: status {o.status}, payment {o.payment_status}, "
            f"total {format_baht(o.total_satang, symbol=True)}"
        )
        if o.tracking_number:
            line += f", carrier {o.carrier or '-'}, tracking {o.tracking_number}"
        lines.append(line)
    return lines


def shop_facts(session: Session) -> list[str]:
    profile = get_profile(session)
    rules = carts.shipping_rules(session)
    lines = [f"- shop: {profile.name}"] if profile.name else []
    fees = ", ".join(
        f"{m.label_th} {format_baht(m.fee_satang, symbol=True)}" for m in rules.enabled_methods
    )
    lines.append(f"- shipping: {fees}")
    if rules.free_over_satang is not None:
        lines.append(f"- free shipping from {format_baht(rules.free_over_satang, symbol=True)}")
    if rules.cod_enabled:
        fee = format_baht(rules.cod_fee_satang, symbol=True)
        lines.append(f"- cash on delivery available, surcharge {fee}")
    pay = []
    if profile.promptpay_id:
        pay.append("PromptPay QR")
    if profile.bank_accounts:
        pay.append("bank transfer (" + ", ".join(a.bank for a in profile.bank_accounts) + ")")
    if pay:
        lines.append("- payment: " + ", ".join(pay))
    return lines


def build_facts(
    session: Session,
    *,
    product_ids: Iterable[int] = (),
    cart: carts.CartView | None = None,
    order_views: Iterable[orders.OrderView] = (),
    shop: bool = True,
) -> str:
    """The facts block for a prompt (English labels; names as the shop wrote them)."""
    lines = product_facts(session, product_ids)
    if cart is not None:
        lines += cart_facts(cart)
    lines += order_facts(order_views)
    if shop:
        lines += shop_facts(session)
    return "\n".join(lines)


# ---------------------------------------------------------------------------- the guard


def _normal(token: str) -> str:
    token = token.replace(",", "")
    if "." in token:
        token = token.rstrip("0").rstrip(".")
    return token.lstrip("0") or "0"


def numbers_in(text: str) -> set[str]:
    """Every number in ``text``, normalized (``1,290.00`` → ``1290``; ``000123`` → ``123``),
    Thai digits and Thai number words included."""
    arabic = thai_digits_to_arabic(text)
    found = {_normal(m.group(0)) for m in _NUMBER.finditer(arabic)}
    for m in THAI_NUMBER_WORD_RE.finditer(text):
        value = parse_thai_number(m.group(0))
        if value is not None:
            found.add(str(value))
    # "290.50" allows "290" too (a model may drop the satang); the reverse is not allowed.
    found |= {n.split(".")[0] for n in found if "." in n}
    return found


def grounded(answer: str, *sources: str) -> bool:
    """Whether every number in ``answer`` is in one of ``sources`` (the facts and the rule
    answer), and the answer is a sensible size."""
    if not answer.strip() or len(answer) > MAX_ANSWER:
        return False
    allowed: set[str] = set()
    for src in sources:
        allowed |= numbers_in(src)
    arabic = thai_digits_to_arabic(answer)
    said = {_normal(m.group(0)) for m in _NUMBER.finditer(arabic)}
    for m in THAI_NUMBER_WORD_RE.finditer(answer):
        value = parse_thai_number(m.group(0))
        if value is not None:
            said.add(str(value))
    return said <= allowed
