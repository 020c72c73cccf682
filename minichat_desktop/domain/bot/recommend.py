"""Product recommendations with the seed's scoring, and the product cards that show them.

:func:`recommend` picks candidates (the products the shopper named, their category, the
category asked for, or — with nothing to go on — the best sellers of the last 90 days and the
newest products), scores each and returns the best ``limit`` (default 3). The score follows the
seed's ``calculateRelevanceScore``:

==========================  ===========================================================
price fits the range        +30 when some active option's price is within the range;
                            else (ours) up to +15 by closeness: 15 × budget ÷ price
colour among the options    +20 when an active option has the colour asked for
size among the options      +20 when an active option has the size asked for (ours: the
                            seed scored colour only; the issue asks for colour *and* size)
sales                       +0.1 per unit sold (orders not cancelled or refunded), capped
                            at +20 so popularity never outweighs a fit (ours: the seed had
                            no cap)
in stock                    +10 when an active option has stock (or stock is not tracked)
rating                      +5 per star of the average review (0–25)
==========================  ===========================================================

and two of ours, so the answer is about what the shopper asked: a product they *named* gets
+60 (the first named; later ones 0.8× each), a product in the category they asked for +15.
When some candidates fit the price range, those that do not are dropped (named ones stay).

Every figure in a :class:`Recommendation` (price, stock, sales, rating) is read from the
database in the same call: nothing is carried over from the conversation, so the bot never
states a price or a stock level the database did not just give it.

Cards (:func:`to_cards`, :func:`to_message`) follow docs/protocol.md §5. Their buttons are
postbacks the dialogue engine answers:

- ``cart:add:{variant_id}`` — add that option to the cart (only when the option is known: the
  product has one active option, or one option in stock matches the colour and size asked);
- ``product:options:{product_id}`` — ask which option (colour/size) to add;
- ``product:detail:{product_id}`` — tell more about the product.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot.context import ConversationContext
from minichat_desktop.domain.bot.lexicon import COLOURS
from minichat_desktop.domain.bot.nlu import Classification
from minichat_desktop.domain.models import (
    Category,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ProductReview,
    ProductVariant,
    utcnow,
)
from relay import protocol as p

POINTS_PRICE: Final = 30.0
POINTS_COLOUR: Final = 20.0
POINTS_SIZE: Final = 20.0
POINTS_PER_SALE: Final = 0.1
MAX_SALES_POINTS: Final = 20.0
POINTS_IN_STOCK: Final = 10.0
POINTS_PER_STAR: Final = 5.0
POINTS_NAMED: Final = 60.0
POINTS_CATEGORY: Final = 15.0

MAX_CANDIDATES: Final = 200
POPULAR_DAYS: Final = 90
_NOT_SOLD: Final = (OrderStatus.CANCELLED.value, OrderStatus.REFUNDED.value)


@dataclasses.dataclass(frozen=True, slots=True)
class Criteria:
    """What the shopper is after. Prices in satang; ``color`` a canonical Thai colour word
    (nlu's ``color`` entity), ``size`` upper case; ``product_ids`` best first."""

    product_ids: tuple[int, ...] = ()
    category: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    color: str | None = None
    size: str | None = None
    exclude_ids: tuple[int, ...] = ()

    @property
    def has_price_range(self) -> bool:
        return self.price_min is not None or self.price_max is not None

    @classmethod
    def from_context(cls, ctx: ConversationContext) -> Criteria:
        """From a conversation's memory: the current focus first, then earlier interests."""
        ids = tuple(dict.fromkeys([*ctx.focus, *ctx.interested_products]))
        return cls(
            product_ids=ids,
            category=ctx.category,
            price_min=ctx.price_min,
            price_max=ctx.price_max,
            color=ctx.color,
            size=ctx.size,
        )

    @classmethod
    def from_classification(
        cls, c: Classification, ctx: ConversationContext | None = None
    ) -> Criteria:
        """From one message, filling what it does not say from ``ctx`` (when given)."""
        base = cls.from_context(ctx) if ctx is not None else cls()
        e = c.entities
        named = tuple(int(x["product_id"]) for x in e.get("product", ()))
        categories = e.get("category") or []
        return dataclasses.replace(
            base,
            product_ids=tuple(dict.fromkeys([*named, *base.product_ids])),
            category=categories[0] if categories else base.category,
            price_min=e.get("price_min", base.price_min),
            price_max=e.get("price_max", base.price_max),
            color=e.get("color", base.color),
            size=e.get("size", base.size),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended product, with the facts read for it. Money in satang."""

    product_id: int
    sku: str
    name_th: str
    name_en: str
    category: str
    price_satang: int  # of the matching option, else the lowest active option
    price_max_satang: int  # highest active option price (= price_satang when one price)
    compare_at_satang: int | None
    in_stock: bool
    stock: int | None  # units in active options; None when stock is not tracked
    units_sold: int
    rating: Decimal | None  # average stars, one decimal
    review_count: int
    score: float
    reasons: tuple[str, ...]  # named, category, price, colour, size, sales, stock, rating
    variant_id: int | None  # the option to add to the cart, when it is known
    options: dict[str, tuple[str, ...]]  # option name → values in stock, in option order
    fits_price: bool | None  # None when no range was asked
    image: str | None = None

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_th


@dataclasses.dataclass(slots=True)
class _Variant:
    id: int
    options: dict[str, Any]
    price: int
    stock: int
    position: int


# ---------------------------------------------------------------------------- matching


def _colour_words(colour: str) -> set[str]:
    """The ways an option value may write a colour: the canonical Thai and its English."""
    words = {colour.casefold()}
    spellings = COLOURS.get(colour)
    if spellings:
        words |= {w.casefold() for w in (*spellings[0], *spellings[1])}
    return words


def _has_colour(options: dict[str, Any], colour_words: set[str]) -> bool:
    for value in options.values():
        v = str(value).casefold().removeprefix("สี").strip()
        if v in colour_words:
            return True
    return False


def _has_size(options: dict[str, Any], size: str) -> bool:
    want = size.upper()
    for value in options.values():
        v = str(value).upper().strip()
        if v == want or (want == "FREE" and v in ("FREE SIZE", "FREESIZE", "ฟรีไซส์")):
            return True
    return False


# ---------------------------------------------------------------------------- candidates


def _candidate_ids(session: Session, c: Criteria, now: dt.datetime) -> list[int]:
    """Product ids worth scoring (bounded by MAX_CANDIDATES), named ones first. Products in
    the price range are looked for first; when none are, the range is dropped so the closest
    can be offered."""
    category_ids: list[int] = []
    if c.category:
        category_ids = list(session.scalars(select(Category.id).where(Category.name == c.category)))
    if not category_ids and c.product_ids:
        # Alternatives to what they named: the same category.
        category_ids = [
            cid
            for cid in session.scalars(
                select(Product.category_id).where(Product.id.in_(c.product_ids[:3]))
            )
            if cid is not None
        ]
    found: list[int] = []
    for with_price in (True, False) if c.has_price_range else (False,):
        base = select(Product.id).where(Product.active)
        if c.exclude_ids:
            base = base.where(Product.id.not_in(c.exclude_ids))
        if with_price and c.price_min is not None:
            base = base.where(Product.price_satang >= c.price_min)
        if with_price and c.price_max is not None:
            base = base.where(Product.price_satang <= c.price_max)
        if category_ids:
            found = list(
                session.scalars(
                    base.where(Product.category_id.in_(category_ids))
                    .order_by(Product.id.desc())
                    .limit(MAX_CANDIDATES)
                )
            )
        elif not c.product_ids:
            found = _popular(session, now, c.exclude_ids) + list(
                session.scalars(base.order_by(Product.id.desc()).limit(MAX_CANDIDATES // 2))
            )
        if found:
            break
    seen = set(c.exclude_ids)
    out = []
    for i in [*c.product_ids, *found]:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out[: MAX_CANDIDATES + len(c.product_ids)]


def _popular(session: Session, now: dt.datetime, exclude: tuple[int, ...]) -> list[int]:
    """The best sellers of the last POPULAR_DAYS days (units, orders not cancelled)."""
    since = now - dt.timedelta(days=POPULAR_DAYS)
    stmt = (
        select(OrderItem.product_id)
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            Order.created_at >= since,
            Order.status.not_in(_NOT_SOLD),
            OrderItem.product_id.is_not(None),
        )
        .group_by(OrderItem.product_id)
        .order_by(func.sum(OrderItem.quantity).desc())
        .limit(MAX_CANDIDATES // 2)
    )
    return [i for i in session.scalars(stmt) if i is not None and i not in exclude]


# ---------------------------------------------------------------------------- scoring


def recommend(
    session: Session,
    criteria: Criteria | ConversationContext | Classification,
    limit: int = 3,
    *,
    now: dt.datetime | None = None,
) -> list[Recommendation]:
    """The best ``limit`` products for ``criteria`` (a context or a classified message is
    turned into criteria), best first; ``[]`` when the catalog has nothing active to offer."""
    if isinstance(criteria, ConversationContext):
        criteria = Criteria.from_context(criteria)
    elif isinstance(criteria, Classification):
        criteria = Criteria.from_classification(criteria)
    if limit < 1:
        return []
    now = now or utcnow()
    ids = _candidate_ids(session, criteria, now)
    if not ids:
        return []
    recs = _score(session, criteria, ids)
    if criteria.has_price_range and any(r.fits_price for r in recs):
        named = set(criteria.product_ids)
        recs = [r for r in recs if r.fits_price or r.product_id in named]
    recs.sort(key=lambda r: (-r.score, r.price_satang, r.product_id))
    return recs[:limit]


def _score(session: Session, c: Criteria, ids: Sequence[int]) -> list[Recommendation]:
    rows = session.execute(
        select(
            Product.id,
            Product.sku,
            Product.name_th,
            Product.name_en,
            Category.name,
            Product.price_satang,
            Product.compare_at_satang,
            Product.track_inventory,
            Product.images,
            Product.option_names,
        )
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.id.in_(ids), Product.active)
    ).all()
    variants: dict[int, list[_Variant]] = defaultdict(list)
    for vid, pid, options, price, stock, position in session.execute(
        select(
            ProductVariant.id,
            ProductVariant.product_id,
            ProductVariant.options,
            ProductVariant.price_satang,
            ProductVariant.stock,
            ProductVariant.position,
        ).where(ProductVariant.product_id.in_(ids), ProductVariant.active)
    ):
        variants[pid].append(_Variant(vid, dict(options or {}), price, stock, position))
    sold: dict[int, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(OrderItem.product_id, func.sum(OrderItem.quantity))
            .join(Order, Order.id == OrderItem.order_id)
            .where(OrderItem.product_id.in_(ids), Order.status.not_in(_NOT_SOLD))
            .group_by(OrderItem.product_id)
        ).all()
    )
    ratings = {
        pid: (avg, n)
        for pid, avg, n in session.execute(
            select(
                ProductReview.product_id,
                func.avg(ProductReview.rating),
                func.count(ProductReview.id),
            )
            .where(ProductReview.product_id.in_(ids))
            .group_by(ProductReview.product_id)
        )
    }
    named_rank = {pid: i for i, pid in enumerate(c.product_ids)}
    colour_words = _colour_words(c.color) if c.color else set()
    out = []
    for pid, sku, th, en, category, price, compare_at, tracked, images, option_names in rows:
        vs = sorted(variants.get(pid, []), key=lambda v: (v.position, v.id))
        if not vs:
            continue  # nothing sellable
        for v in vs:
            if v.price is None:
                v.price = price
        out.append(
            _one(
                c,
                pid,
                sku,
                th,
                en or "",
                category or "",
                compare_at,
                bool(tracked),
                list(images or []),
                list(option_names or []),
                vs,
                int(sold.get(pid) or 0),
                ratings.get(pid),
                named_rank.get(pid),
                colour_words,
            )
        )
    return out


def _one(
    c: Criteria,
    pid: int,
    sku: str,
    name_th: str,
    name_en: str,
    category: str,
    compare_at: int | None,
    tracked: bool,
    images: list[str],
    option_names: list[str],
    vs: list[_Variant],
    units_sold: int,
    rating: tuple[Any, int] | None,
    named_at: int | None,
    colour_words: set[str],
) -> Recommendation:
    score = 0.0
    reasons: list[str] = []
    if named_at is not None:
        score += POINTS_NAMED * (0.8**named_at)
        reasons.append("named")
    if c.category and category == c.category:
        score += POINTS_CATEGORY
        reasons.append("category")
    lo = c.price_min if c.price_min is not None else 0
    hi = c.price_max if c.price_max is not None else None
    fits: bool | None = None
    if c.has_price_range:
        fits = any(v.price >= lo and (hi is None or v.price <= hi) for v in vs)
        if fits:
            score += POINTS_PRICE
            reasons.append("price")
        else:
            # Closeness, for when nothing fits: half the points times how near the price is.
            cheapest, dearest = min(v.price for v in vs), max(v.price for v in vs)
            if hi is not None and cheapest > hi:
                score += POINTS_PRICE / 2 * hi / cheapest
            elif lo and dearest < lo:
                score += POINTS_PRICE / 2 * dearest / lo
    colour_vs = [v for v in vs if _has_colour(v.options, colour_words)] if colour_words else []
    # A product without colour options whose name says the colour ("เสื้อยืดสีแดง") has it.
    colour_in_name = bool(colour_words) and any(
        f"สี{w}" in name_th or w in name_en.casefold().split() for w in colour_words
    )
    if colour_vs or colour_in_name:
        score += POINTS_COLOUR
        reasons.append("colour")
    size_vs = [v for v in vs if _has_size(v.options, c.size)] if c.size else []
    if size_vs:
        score += POINTS_SIZE
        reasons.append("size")
    if units_sold:
        score += min(units_sold * POINTS_PER_SALE, MAX_SALES_POINTS)
        reasons.append("sales")
    stock = sum(v.stock for v in vs)
    available = [v for v in vs if v.stock > 0 or not tracked]
    if available:
        score += POINTS_IN_STOCK
        reasons.append("stock")
    avg: Decimal | None = None
    count = 0
    if rating is not None and rating[1]:
        avg = Decimal(str(rating[0])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        count = int(rating[1])
        score += float(avg) * POINTS_PER_STAR
        reasons.append("rating")
    # The option to sell: the one matching colour and size (in stock first), else the only one.
    # A colour or size no option has (asked of a one-colour product) does not narrow the pick.
    by_colour = bool(colour_vs)
    by_size = bool(size_vs)
    wanted = [
        v
        for v in vs
        if (not by_colour or _has_colour(v.options, colour_words))
        and (not by_size or _has_size(v.options, c.size or ""))
    ]
    in_range = [v for v in wanted if v.price >= lo and (hi is None or v.price <= hi)]
    pick_from = [v for v in (in_range or wanted) if v.stock > 0 or not tracked] or (
        in_range or wanted
    )
    variant_id: int | None = None
    if len(vs) == 1:
        variant_id = vs[0].id
    elif (by_colour or by_size) and len(pick_from) == 1:
        variant_id = pick_from[0].id
    shown = pick_from or vs
    price = min(v.price for v in shown)
    names = option_names or list(dict.fromkeys(k for v in vs for k in v.options))
    options = {
        n: tuple(dict.fromkeys(str(v.options[n]) for v in available if v.options.get(n)))
        for n in names
    }
    return Recommendation(
        product_id=pid,
        sku=sku,
        name_th=name_th,
        name_en=name_en,
        category=category,
        price_satang=price,
        price_max_satang=max(v.price for v in vs),
        compare_at_satang=compare_at if compare_at and compare_at > price else None,
        in_stock=bool(available),
        stock=stock if tracked else None,
        units_sold=units_sold,
        rating=avg,
        review_count=count,
        score=round(score, 3),
        reasons=tuple(reasons),
        variant_id=variant_id,
        options={k: v for k, v in options.items() if v},
        fits_price=fits,
        image=images[0] if images else None,
    )


# ---------------------------------------------------------------------------- cards

_LABELS: Final = {
    "th": {
        "add": "ใส่ตะกร้า",
        "choose": "เลือกแบบ",
        "detail": "ดูรายละเอียด",
        "out": "สินค้าหมดชั่วคราว",
        "reviews": "รีวิว",
    },
    "en": {
        "add": "Add to cart",
        "choose": "Choose option",
        "detail": "Details",
        "out": "Out of stock",
        "reviews": "reviews",
    },
}


def _subtitle(r: Recommendation, lang: str) -> str:
    words = _LABELS["en" if lang == "en" else "th"]
    parts = []
    if not r.in_stock:
        parts.append(words["out"])
    for name, values in r.options.items():
        parts.append(f"{name}: {', '.join(values[:6])}{'…' if len(values) > 6 else ''}")
    if r.rating is not None:
        parts.append(f"★ {r.rating} ({r.review_count} {words['reviews']})")
    return " · ".join(parts)[:300]


def to_card(r: Recommendation, lang: str = "th") -> p.Card:
    """One protocol Card. Only an https picture goes on a card (LINE shows nothing else)."""
    words = _LABELS["en" if lang == "en" else "th"]
    buttons = []
    if r.in_stock and r.variant_id is not None:
        buttons.append(_postback(words["add"], f"cart:add:{r.variant_id}"))
    elif r.in_stock:
        buttons.append(_postback(words["choose"], f"product:options:{r.product_id}"))
    buttons.append(_postback(words["detail"], f"product:detail:{r.product_id}"))
    image = r.image if r.image and r.image.startswith("https://") else None
    return p.Card(
        product_id=str(r.product_id),
        title=r.name(lang)[:200],
        price_satang=r.price_satang,
        subtitle=_subtitle(r, lang) or None,
        image_url=image,
        compare_at_satang=r.compare_at_satang,
        in_stock=r.in_stock,
        buttons=tuple(buttons),
    )


def _postback(label: str, data: str) -> p.Button:
    return p.Button(label[: p.MAX_LABEL], p.ButtonAction.POSTBACK, data=data[: p.MAX_DATA])


def to_cards(recs: Iterable[Recommendation], lang: str = "th") -> list[p.Card]:
    """Protocol Cards for ``recs``, in order (at most 12, LINE's carousel limit)."""
    return [to_card(r, lang) for r in list(recs)[: p.MAX_CARDS]]


def to_message(
    recs: Sequence[Recommendation], lang: str = "th", text: str | None = None
) -> p.ProductCard | p.Carousel | None:
    """A ``product_card`` for one recommendation, a ``carousel`` (with ``text`` as its intro)
    for several, None for none."""
    cards = to_cards(recs, lang)
    if not cards:
        return None
    if len(cards) == 1 and not text:
        return p.ProductCard(cards[0])
    return p.Carousel(tuple(cards), text[:1000] if text else None)
