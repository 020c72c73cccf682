"""The shopper's cart inside a chat: items with stock checked, discount codes, shipping fees.

A cart belongs to one conversation and holds variants and quantities only; names, prices and
stock are read from the catalog each time the cart is shown, so a summary never states a price
or a stock level the database did not give at that moment. Every change checks stock (for
products that track it): a shopper cannot put more in the cart than the shop has.

Discount codes (table ``discount_codes``): ``percent`` in basis points (1000 = 10 %) or
``fixed`` satang; an optional validity window, a maximum number of uses and a minimum
subtotal. A code is checked when applied and again when the order is placed, and its use is
counted then (:func:`redeem_discount`, race-free).

Shipping fees follow the shop's rules in the ``bot.shipping`` setting (:class:`ShippingRules`):
a fee per method (Thailand Post registered and EMS, Kerry, Flash, J&T by default — one method
is a flat fee), free shipping from a subtotal, and a cash-on-delivery surcharge.

Errors are :class:`UserError` (or :class:`OutOfStock`, :class:`NotFound`) with codes under
``cart.`` and ``discount.``; :mod:`minichat_desktop.domain.bot.checkout` words them for
shoppers in Thai or English.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from minichat_desktop.domain.activity import analytics
from minichat_desktop.domain.models import (
    Cart,
    CartItem,
    Conversation,
    DiscountCode,
    Product,
    ProductVariant,
    utcnow,
)
from minichat_desktop.domain.sales.orders import MAX_QUANTITY, round_half_up_div
from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.errors import NotFound, OutOfStock, UserError
from relay import protocol as p

SHIPPING_KEY = "bot.shipping"
MAX_CART_LINES = 50


# ---------------------------------------------------------------------------- shipping rules


@dataclass(frozen=True, slots=True)
class ShippingMethod:
    code: str
    label_th: str
    label_en: str
    fee_satang: int
    enabled: bool = True

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_th


@dataclass(frozen=True, slots=True)
class ShippingRules:
    """How the shop charges for delivery. ``free_over_satang``: orders whose goods (after the
    discount) reach this amount ship free (None: never). COD adds ``cod_fee_satang``."""

    methods: tuple[ShippingMethod, ...]
    free_over_satang: int | None = None
    cod_enabled: bool = True
    cod_fee_satang: int = 0
    default_method: str = ""

    @property
    def enabled_methods(self) -> tuple[ShippingMethod, ...]:
        return tuple(m for m in self.methods if m.enabled)

    def method(self, code: str) -> ShippingMethod | None:
        return next((m for m in self.enabled_methods if m.code == code), None)

    def to_obj(self) -> dict[str, Any]:
        obj = asdict(self)
        obj["methods"] = [asdict(m) for m in self.methods]
        return obj


DEFAULT_SHIPPING = ShippingRules(
    methods=(
        ShippingMethod("thaipost_registered", "ไปรษณีย์ลงทะเบียน", "Thailand Post registered", 4000),
        ShippingMethod("thaipost_ems", "ไปรษณีย์ EMS", "Thailand Post EMS", 6000),
        ShippingMethod("kerry", "Kerry Express", "Kerry Express", 5000),
        ShippingMethod("flash", "Flash Express", "Flash Express", 4500),
        ShippingMethod("jt", "J&T Express", "J&T Express", 4500),
    ),
    free_over_satang=100_000,
    cod_enabled=True,
    cod_fee_satang=3000,
    default_method="kerry",
)


def _rules_from_obj(obj: dict[str, Any]) -> ShippingRules:
    methods = tuple(
        ShippingMethod(
            code=str(m["code"]),
            label_th=str(m.get("label_th") or m["code"]),
            label_en=str(m.get("label_en") or m.get("label_th") or m["code"]),
            fee_satang=int(m["fee_satang"]),
            enabled=bool(m.get("enabled", True)),
        )
        for m in obj.get("methods", [])
    )
    free = obj.get("free_over_satang")
    return ShippingRules(
        methods=methods,
        free_over_satang=None if free is None else int(free),
        cod_enabled=bool(obj.get("cod_enabled", True)),
        cod_fee_satang=int(obj.get("cod_fee_satang", 0)),
        default_method=str(obj.get("default_method", "")),
    )


def shipping_rules(session: Session) -> ShippingRules:
    """The shop's shipping rules (the defaults until the owner edits them)."""
    obj = get_setting(session, SHIPPING_KEY)
    if not obj:
        return DEFAULT_SHIPPING
    try:
        return _rules_from_obj(obj)
    except (KeyError, TypeError, ValueError):
        return DEFAULT_SHIPPING


def save_shipping_rules(session: Session, rules: ShippingRules) -> ShippingRules:
    """Validate and store the rules. Raises :class:`UserError` naming the bad part."""
    codes = [m.code for m in rules.methods]
    if len(set(codes)) != len(codes):
        raise UserError("shipping.duplicate_method", "two shipping methods have the same code")
    for m in rules.methods:
        if not m.code.strip() or not m.label_th.strip():
            raise UserError("shipping.bad_method", "a shipping method needs a code and a name")
        if m.fee_satang < 0:
            raise UserError(
                "shipping.negative_fee", f"the fee of {m.code} cannot be negative", method=m.code
            )
    if not rules.enabled_methods:
        raise UserError("shipping.no_method", "at least one shipping method must be on")
    if rules.free_over_satang is not None and rules.free_over_satang < 0:
        raise UserError("shipping.negative_fee", "the free-shipping amount cannot be negative")
    if rules.cod_fee_satang < 0:
        raise UserError("shipping.negative_fee", "the COD surcharge cannot be negative")
    if rules.default_method and rules.method(rules.default_method) is None:
        raise UserError(
            "shipping.unknown_default",
            f"the default method {rules.default_method} is not an enabled method",
        )
    put_setting(session, SHIPPING_KEY, rules.to_obj())
    return rules


def shipping_fee(rules: ShippingRules, method_code: str, goods_satang: int, cod: bool) -> int:
    """The delivery fee in satang for goods worth ``goods_satang`` (after the discount).
    Raises :class:`UserError` ``shipping.unknown_method`` for a method that is not offered."""
    method = rules.method(method_code)
    if method is None:
        raise UserError(
            "shipping.unknown_method",
            f"shipping method {method_code!r} is not offered",
            method=method_code,
        )
    fee = method.fee_satang
    if rules.free_over_satang is not None and goods_satang >= rules.free_over_satang:
        fee = 0
    if cod:
        if not rules.cod_enabled:
            raise UserError("shipping.no_cod", "cash on delivery is not offered")
        fee += rules.cod_fee_satang
    return fee


# ---------------------------------------------------------------------------- discount codes


@dataclass(frozen=True, slots=True)
class DiscountView:
    code: str
    kind: str
    value: int
    min_subtotal_satang: int
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    max_uses: int | None
    used_count: int
    active: bool
    note: str


def _discount_view(d: DiscountCode) -> DiscountView:
    return DiscountView(
        d.code,
        d.kind,
        d.value,
        d.min_subtotal_satang,
        d.starts_at,
        d.ends_at,
        d.max_uses,
        d.used_count,
        d.active,
        d.note,
    )


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()


def save_discount_code(
    session: Session,
    code: str,
    kind: str,
    value: int,
    *,
    min_subtotal_satang: int = 0,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    max_uses: int | None = None,
    active: bool = True,
    note: str = "",
) -> DiscountView:
    """Create or replace a discount code. Raises :class:`UserError` for a bad value."""
    code = normalize_code(code)
    if not code or len(code) > 40:
        raise UserError("discount.bad_code", "a code has 1 to 40 letters or digits")
    if kind not in ("percent", "fixed"):
        raise UserError("discount.bad_kind", f"kind must be percent or fixed, not {kind!r}")
    if kind == "percent" and not 0 < value <= 10_000:
        raise UserError("discount.bad_value", "a percent discount is 0.01 % to 100 %")
    if kind == "fixed" and value <= 0:
        raise UserError("discount.bad_value", "a fixed discount must be more than zero")
    if min_subtotal_satang < 0 or (max_uses is not None and max_uses < 1):
        raise UserError("discount.bad_value", "minimum and maximum uses cannot be negative")
    if starts_at and ends_at and ends_at <= starts_at:
        raise UserError("discount.bad_window", "the code must end after it starts")
    row = session.get(DiscountCode, code)
    if row is None:
        row = DiscountCode(code=code, used_count=0, created_at=utcnow())
        session.add(row)
    row.kind, row.value = kind, value
    row.min_subtotal_satang = min_subtotal_satang
    row.starts_at, row.ends_at = starts_at, ends_at
    row.max_uses, row.active, row.note = max_uses, active, note
    session.flush()
    return _discount_view(row)


def list_discount_codes(session: Session) -> list[DiscountView]:
    return [
        _discount_view(d) for d in session.scalars(select(DiscountCode).order_by(DiscountCode.code))
    ]


def discount_amount(
    session: Session, code: str, subtotal_satang: int, now: dt.datetime
) -> tuple[str, int]:
    """The code (normalized) and its discount on this subtotal, in satang. Raises
    :class:`UserError` ``discount.unknown``, ``discount.inactive``, ``discount.not_started``,
    ``discount.expired``, ``discount.used_up`` or ``discount.min_subtotal``."""
    norm = normalize_code(code)
    d = session.get(DiscountCode, norm) if norm else None
    if d is None:
        raise NotFound("discount.unknown", f"no discount code {norm!r}", discount=norm)
    if not d.active:
        raise UserError("discount.inactive", f"code {norm} is switched off", discount=norm)
    if d.starts_at is not None and now < d.starts_at:
        raise UserError("discount.not_started", f"code {norm} is not valid yet", discount=norm)
    if d.ends_at is not None and now >= d.ends_at:
        raise UserError("discount.expired", f"code {norm} has expired", discount=norm)
    if d.max_uses is not None and d.used_count >= d.max_uses:
        raise UserError("discount.used_up", f"code {norm} has been used up", discount=norm)
    if subtotal_satang < d.min_subtotal_satang:
        raise UserError(
            "discount.min_subtotal",
            f"code {norm} needs a subtotal of at least {d.min_subtotal_satang} satang",
            discount=norm,
            min_subtotal=d.min_subtotal_satang,
        )
    amount = (
        round_half_up_div(subtotal_satang * d.value, 10_000) if d.kind == "percent" else d.value
    )
    return norm, min(amount, subtotal_satang)


def redeem_discount(session: Session, code: str) -> None:
    """Count one use of ``code``; raises ``discount.used_up`` if the last use went meanwhile
    (one UPDATE with the limit in its WHERE: two checkouts cannot both take the last use)."""
    res = session.execute(
        update(DiscountCode)
        .where(
            DiscountCode.code == normalize_code(code),
            (DiscountCode.max_uses.is_(None)) | (DiscountCode.used_count < DiscountCode.max_uses),
        )
        .values(used_count=DiscountCode.used_count + 1)
    )
    if getattr(res, "rowcount", 0) != 1:
        raise UserError("discount.used_up", f"code {code} has been used up", discount=code)


# ---------------------------------------------------------------------------- the cart


@dataclass(frozen=True, slots=True)
class CartLine:
    variant_id: int
    product_id: int
    sku: str
    name: str
    variant_title: str
    unit_price_satang: int
    quantity: int
    stock: int
    track_inventory: bool
    available: bool  # product and variant active
    name_en: str = ""

    def display_name(self, lang: str) -> str:
        """The product's name in the chat's language (Thai when it has no English name)."""
        return self.name_en if lang == "en" and self.name_en else self.name

    @property
    def line_total_satang(self) -> int:
        return self.unit_price_satang * self.quantity

    @property
    def short_of_stock(self) -> bool:
        return self.track_inventory and self.quantity > self.stock


@dataclass(frozen=True, slots=True)
class CartView:
    conversation_id: int
    lines: tuple[CartLine, ...]
    discount_code: str
    discount_satang: int
    discount_problem: str  # the error code when the stored code no longer applies
    checkout: dict[str, Any] = field(default_factory=dict)

    @property
    def subtotal_satang(self) -> int:
        return sum(line.line_total_satang for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def goods_satang(self) -> int:
        return self.subtotal_satang - self.discount_satang


def _cart_row(session: Session, conversation_id: int, create: bool) -> Cart | None:
    cart = session.scalar(select(Cart).where(Cart.conversation_id == conversation_id))
    if cart is None and create:
        if session.get(Conversation, conversation_id) is None:
            raise NotFound(
                "cart.no_conversation", f"no conversation {conversation_id}", id=conversation_id
            )
        cart = Cart(conversation_id=conversation_id, checkout={}, updated_at=utcnow())
        session.add(cart)
        session.flush()
    return cart


_LINE_COLUMNS = (
    ProductVariant.id,
    Product.id,
    ProductVariant.sku,
    Product.name_th,
    ProductVariant.title,
    ProductVariant.price_satang,
    Product.price_satang,
    ProductVariant.stock,
    Product.track_inventory,
    ProductVariant.active,
    Product.active,
    Product.name_en,
)


def _line(row: Any, quantity: int) -> CartLine:
    vid, pid, sku, name, title, vprice, pprice, stock, track, vact, pact, name_en = row
    return CartLine(
        vid,
        pid,
        sku,
        name,
        title,
        vprice if vprice is not None else pprice,
        quantity,
        stock,
        bool(track),
        bool(vact and pact),
        name_en or "",
    )


def sellable(session: Session, variant_id: int) -> CartLine:
    """A variant as the cart sees it (quantity 0). Raises ``cart.unknown_item``."""
    row = session.execute(
        select(*_LINE_COLUMNS)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.id == variant_id)
    ).one_or_none()
    if row is None:
        raise NotFound("cart.unknown_item", f"no product variant {variant_id}", id=variant_id)
    return _line(row, 0)


def variants_of(session: Session, product_id: int) -> list[CartLine]:
    """The active variants of a product (quantity 0), in the product's order."""
    rows = session.execute(
        select(*_LINE_COLUMNS)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(ProductVariant.product_id == product_id, ProductVariant.active.is_(True))
        .order_by(ProductVariant.position, ProductVariant.id)
    )
    return [_line(r, 0) for r in rows]


def get_cart(session: Session, conversation_id: int, now: dt.datetime | None = None) -> CartView:
    """The cart with current names, prices and stock; an empty view when there is none. A
    stored discount code that no longer applies is shown with ``discount_problem`` set and no
    discount."""
    cart = _cart_row(session, conversation_id, create=False)
    if cart is None:
        return CartView(conversation_id, (), "", 0, "", {})
    rows = session.execute(
        select(*_LINE_COLUMNS, CartItem.quantity)
        .select_from(CartItem)
        .join(ProductVariant, ProductVariant.id == CartItem.variant_id)
        .join(Product, Product.id == ProductVariant.product_id)
        .where(CartItem.cart_id == cart.id)
        .order_by(CartItem.id)
    )
    lines = tuple(_line(r[:-1], r[-1]) for r in rows)
    subtotal = sum(line.line_total_satang for line in lines)
    discount, problem, code = 0, "", cart.discount_code
    if code and lines:
        try:
            code, discount = discount_amount(session, code, subtotal, now or utcnow())
        except UserError as exc:
            problem = exc.code
    return CartView(conversation_id, lines, code, discount, problem, dict(cart.checkout or {}))


def _check_stock(line: CartLine, quantity: int) -> None:
    if not line.available:
        raise UserError(
            "cart.unavailable", f"{line.sku} is not for sale", sku=line.sku, name=line.name
        )
    if not 0 < quantity <= MAX_QUANTITY:
        raise UserError(
            "cart.bad_quantity", f"quantity must be 1 to {MAX_QUANTITY}", quantity=quantity
        )
    if line.track_inventory and quantity > line.stock:
        raise OutOfStock(
            "cart.out_of_stock",
            f"only {line.stock} of {line.sku} in stock",
            sku=line.sku,
            name=line.name,
            variant=line.variant_title,
            available=line.stock,
            wanted=quantity,
        )


def _touch(cart: Cart) -> None:
    cart.updated_at = utcnow()
    cart.reminded_at = None


def add_item(
    session: Session, conversation_id: int, variant_id: int, quantity: int = 1
) -> CartView:
    """Put ``quantity`` more of a variant in the cart. Raises ``cart.out_of_stock`` (with
    ``available``) when the cart would hold more than the stock, ``cart.unavailable``,
    ``cart.bad_quantity``, ``cart.unknown_item``, ``cart.too_many_lines``."""
    line = sellable(session, variant_id)
    cart = _cart_row(session, conversation_id, create=True)
    assert cart is not None
    item = session.scalar(
        select(CartItem).where(CartItem.cart_id == cart.id, CartItem.variant_id == variant_id)
    )
    have = item.quantity if item else 0
    _check_stock(line, have + quantity)
    if item is None:
        lines = session.scalar(
            select(CartItem.id).where(CartItem.cart_id == cart.id).offset(MAX_CART_LINES - 1)
        )
        if lines is not None:
            raise UserError(
                "cart.too_many_lines", f"a cart holds at most {MAX_CART_LINES} different items"
            )
        session.add(
            CartItem(cart_id=cart.id, variant_id=variant_id, quantity=quantity, added_at=utcnow())
        )
    else:
        item.quantity = have + quantity
    _touch(cart)
    session.flush()
    analytics.record(
        session,
        analytics.ADDED_TO_CART,
        conversation_id=conversation_id,
        product_id=line.product_id,
        data={"variant_id": variant_id, "quantity": quantity},
    )
    return get_cart(session, conversation_id)


def set_quantity(
    session: Session, conversation_id: int, variant_id: int, quantity: int
) -> CartView:
    """Set a line's quantity (0 removes it). Raises as :func:`add_item`, and
    ``cart.not_in_cart``."""
    cart = _cart_row(session, conversation_id, create=False)
    item = (
        session.scalar(
            select(CartItem).where(CartItem.cart_id == cart.id, CartItem.variant_id == variant_id)
        )
        if cart
        else None
    )
    if cart is None or item is None:
        raise NotFound("cart.not_in_cart", f"variant {variant_id} is not in the cart")
    if quantity <= 0:
        session.delete(item)
    else:
        _check_stock(sellable(session, variant_id), quantity)
        item.quantity = quantity
    _touch(cart)
    session.flush()
    return get_cart(session, conversation_id)


def remove_item(session: Session, conversation_id: int, variant_id: int) -> CartView:
    return set_quantity(session, conversation_id, variant_id, 0)


def change_variant(
    session: Session, conversation_id: int, variant_id: int, new_variant_id: int
) -> CartView:
    """Swap a line to another option of the same product (size, colour), keeping its
    quantity (added to a line of that option already in the cart). Raises
    ``cart.other_product`` for a variant of another product, and as :func:`add_item`."""
    if variant_id == new_variant_id:
        return get_cart(session, conversation_id)
    cart = _cart_row(session, conversation_id, create=False)
    item = (
        session.scalar(
            select(CartItem).where(CartItem.cart_id == cart.id, CartItem.variant_id == variant_id)
        )
        if cart
        else None
    )
    if cart is None or item is None:
        raise NotFound("cart.not_in_cart", f"variant {variant_id} is not in the cart")
    old, new = sellable(session, variant_id), sellable(session, new_variant_id)
    if old.product_id != new.product_id:
        raise UserError("cart.other_product", "choose an option of the same product")
    other = session.scalar(
        select(CartItem).where(CartItem.cart_id == cart.id, CartItem.variant_id == new_variant_id)
    )
    total = item.quantity + (other.quantity if other else 0)
    _check_stock(new, total)
    if other is not None:
        other.quantity = total
        session.delete(item)
    else:
        item.variant_id = new_variant_id
    _touch(cart)
    session.flush()
    return get_cart(session, conversation_id)


def clear_cart(session: Session, conversation_id: int) -> None:
    """Empty the cart and forget the checkout and the code (after an order, or on request)."""
    cart = _cart_row(session, conversation_id, create=False)
    if cart is None:
        return
    session.execute(delete(CartItem).where(CartItem.cart_id == cart.id))
    cart.discount_code = ""
    cart.checkout = {}
    _touch(cart)
    session.flush()


def apply_discount(
    session: Session, conversation_id: int, code: str, now: dt.datetime | None = None
) -> CartView:
    """Check a code against the cart and keep it. Raises the ``discount.*`` errors of
    :func:`discount_amount` and ``cart.empty``."""
    view = get_cart(session, conversation_id, now)
    if view.empty:
        raise UserError("cart.empty", "the cart is empty")
    norm, _ = discount_amount(session, code, view.subtotal_satang, now or utcnow())
    cart = _cart_row(session, conversation_id, create=False)
    assert cart is not None
    cart.discount_code = norm
    _touch(cart)
    session.flush()
    return get_cart(session, conversation_id, now)


def remove_discount(session: Session, conversation_id: int) -> CartView:
    cart = _cart_row(session, conversation_id, create=False)
    if cart is not None:
        cart.discount_code = ""
        session.flush()
    return get_cart(session, conversation_id)


def save_checkout(session: Session, conversation_id: int, state: dict[str, Any]) -> None:
    """Store what checkout has collected (name, phone, address, step…) with the cart."""
    cart = _cart_row(session, conversation_id, create=True)
    assert cart is not None
    cart.checkout = dict(state)
    cart.updated_at = utcnow()
    session.flush()


# ---------------------------------------------------------------------------- protocol


def cart_message(
    view: CartView,
    *,
    shipping_satang: int = 0,
    lang: str = "th",
    buttons: tuple[p.Button, ...] | None = None,
) -> p.CartSummary:
    """The cart as the protocol's ``cart`` message (the relay does no arithmetic)."""
    if buttons is None:
        buttons = (
            (
                p.Button("สั่งซื้อเลย", p.ButtonAction.POSTBACK, data="checkout:start"),
                p.Button("ล้างตะกร้า", p.ButtonAction.POSTBACK, data="cart:clear"),
            )
            if lang != "en"
            else (
                p.Button("Check out", p.ButtonAction.POSTBACK, data="checkout:start"),
                p.Button("Empty the cart", p.ButtonAction.POSTBACK, data="cart:clear"),
            )
        )
    items = tuple(
        p.CartItem(
            name=line.display_name(lang)[:200],
            quantity=line.quantity,
            unit_price_satang=line.unit_price_satang,
            line_total_satang=line.line_total_satang,
            variant=line.variant_title[:200] or None,
        )
        for line in view.lines[: p.MAX_CART_ITEMS]
    )
    return p.CartSummary(
        items=items,
        subtotal_satang=view.subtotal_satang,
        total_satang=view.goods_satang + shipping_satang,
        discount_satang=view.discount_satang,
        shipping_satang=shipping_satang,
        buttons=buttons if not view.empty else (),
    )
