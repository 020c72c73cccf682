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
sales                       +0.1 per unit sold (orders not cancelled or refunded, less units
                            given back by partial refunds), capped
                            at +20 so popularity never outweighs a fit (ours: the seed had
                            no cap)
in stock                    +10 when an active option has stock (or stock is not tracked)
rating                      +5 per star of the average review (0–25)
==========================  ===========================================================

and two of ours, so the answer is about what the shopper asked: a product they *named* gets
+60 (the first named; later ones 0.8× each), a product in the category they asked for +15.
When some candidates fit the price range, those that do not are dropped (named ones stay).

Two ways to rank, one formula (:func:`_points`): without an index, up to MAX_CANDIDATES
candidates are scored from SQL aggregates computed in the call; with a :class:`RecommendIndex`
(what a running bot should keep, like its catalog matcher) the whole category or catalog is
ranked in memory in about a millisecond on 10,000 products. Either way the chosen few are then
read from the database in the same call: the price, stock and options a
:class:`Recommendation` states are never carried over from the conversation or the index, so
the bot never states a price or a stock level the database did not just give it. (Sales and
rating come from the index when one is used; it is rebuilt when orders or reviews change.)

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
import heapq
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot.context import ConversationContext
from minichat_desktop.domain.bot.nlu import Classification
from minichat_desktop.domain.models import (
    Category,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    utcnow,
)
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.lexicon import COLOURS
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
# Units sold of a product: what its order lines sold less the units partial refunds took back.
_RETURNED_JOIN: Final = (
    "LEFT JOIN (SELECT order_item_id, SUM(quantity) AS quantity FROM refund_lines"
    " GROUP BY order_item_id) back ON back.order_item_id = oi.id"
)
_SOLD_UNITS: Final = "SUM(oi.quantity - COALESCE(back.quantity, 0))"


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
    index: RecommendIndex | None = None,
    now: dt.datetime | None = None,
) -> list[Recommendation]:
    """The best ``limit`` products for ``criteria`` (a context or a classified message is
    turned into criteria), best first; ``[]`` when the catalog has nothing active to offer.

    Without ``index``, candidates (at most MAX_CANDIDATES) are picked and scored from
    aggregates computed in SQL now. With a :class:`RecommendIndex` (what a running bot
    keeps), every product of the category — or the whole catalog — is ranked in memory, and
    the index may be up to its ``max_age`` old. Either way only the ``limit`` best are then
    read in full from the database, so the prices and stock shown are current."""
    if isinstance(criteria, ConversationContext):
        criteria = Criteria.from_context(criteria)
    elif isinstance(criteria, Classification):
        criteria = Criteria.from_classification(criteria)
    if limit < 1:
        return []
    if index is not None:
        return _details(session, criteria, index.rank(criteria, limit))
    now = now or utcnow()
    ids = _candidate_ids(session, criteria, now)
    if not ids:
        return []
    features = _features(session, criteria, ids)
    if criteria.has_price_range and any(f.fits for f in features):
        features = [f for f in features if f.fits or f.named_at is not None]
    scored = [(_points(f, criteria), f) for f in features]
    scored.sort(key=_rank_key)
    return _details(session, criteria, scored[:limit])


def _rank_key(sf: tuple[tuple[float, tuple[str, ...]], _Features]) -> tuple[float, int, int]:
    return (-sf[0][0], sf[1].cheapest, sf[1].pid)


@dataclasses.dataclass(slots=True)
class _Features:
    """What the score is computed from, for one product (aggregated over its active options)."""

    pid: int
    category: str
    name_th: str
    name_en: str
    cheapest: int
    dearest: int
    fits: bool | None
    colour: bool
    size: bool
    available: bool
    units_sold: int
    rating: Decimal | None
    reviews: int
    named_at: int | None


def _points(f: _Features, c: Criteria) -> tuple[float, tuple[str, ...]]:
    """The score (module docstring) and the reasons that made it."""
    score = 0.0
    reasons: list[str] = []
    if f.named_at is not None:
        score += POINTS_NAMED * (0.8**f.named_at)
        reasons.append("named")
    if c.category and f.category == c.category:
        score += POINTS_CATEGORY
        reasons.append("category")
    if f.fits:
        score += POINTS_PRICE
        reasons.append("price")
    elif f.fits is False:
        # Closeness, for when nothing fits: half the points times how near the price is.
        if c.price_max is not None and f.cheapest > c.price_max:
            score += POINTS_PRICE / 2 * c.price_max / f.cheapest
        elif c.price_min and f.dearest < c.price_min:
            score += POINTS_PRICE / 2 * f.dearest / c.price_min
    if f.colour:
        score += POINTS_COLOUR
        reasons.append("colour")
    if f.size:
        score += POINTS_SIZE
        reasons.append("size")
    if f.units_sold:
        score += min(f.units_sold * POINTS_PER_SALE, MAX_SALES_POINTS)
        reasons.append("sales")
    if f.available:
        score += POINTS_IN_STOCK
        reasons.append("stock")
    if f.rating is not None:
        score += float(f.rating) * POINTS_PER_STAR
        reasons.append("rating")
    return round(score, 3), tuple(reasons)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _colour_forms(colour: str) -> list[str]:
    words = _colour_words(colour)
    return sorted(words | {f"สี{w}" for w in words} | {f"สี {w}" for w in words})


def _size_forms(size: str) -> list[str]:
    size = size.upper()
    return ["FREE", "FREE SIZE", "FREESIZE", "ฟรีไซส์"] if size == "FREE" else [size]


def _features(session: Session, c: Criteria, ids: Sequence[int]) -> list[_Features]:
    raw = DriverConnection(session)
    ids = list(ids)
    params: list[Any] = [
        c.price_min if c.price_min is not None else 0,
        c.price_max if c.price_max is not None else 1 << 62,
    ]
    colour_sql = size_sql = "0"
    if c.color:
        forms = _colour_forms(c.color)
        colour_sql = (
            "MAX(EXISTS (SELECT 1 FROM json_each(v.options) j "
            f"WHERE lower(trim(j.value)) IN ({_marks(len(forms))})))"
        )
        params += forms
    if c.size:
        sizes = _size_forms(c.size)
        size_sql = (
            "MAX(EXISTS (SELECT 1 FROM json_each(v.options) j "
            f"WHERE upper(trim(j.value)) IN ({_marks(len(sizes))})))"
        )
        params += sizes
    rows = raw.execute(
        f"""
        SELECT p.id, COALESCE(c.name, ''), p.name_th, p.name_en,
               MIN(COALESCE(v.price_satang, p.price_satang)),
               MAX(COALESCE(v.price_satang, p.price_satang)),
               MAX(COALESCE(v.price_satang, p.price_satang) BETWEEN ? AND ?),
               MAX(v.stock > 0 OR p.track_inventory = 0),
               {colour_sql}, {size_sql}
        FROM products p
        JOIN product_variants v ON v.product_id = p.id AND v.active = 1
        LEFT JOIN categories c ON c.id = p.category_id
        WHERE p.active = 1 AND p.id IN ({_marks(len(ids))})
        GROUP BY p.id
        """,
        [*params, *ids],
    ).fetchall()
    sold = dict(
        raw.execute(
            f"""
            SELECT oi.product_id, {_SOLD_UNITS} FROM order_items oi
            JOIN orders o ON o.id = oi.order_id {_RETURNED_JOIN}
            WHERE oi.product_id IN ({_marks(len(ids))})
              AND o.status NOT IN ({_marks(len(_NOT_SOLD))})
            GROUP BY oi.product_id
            """,
            [*ids, *_NOT_SOLD],
        ).fetchall()
    )
    ratings = {
        pid: (avg, n)
        for pid, avg, n in raw.execute(
            f"""
            SELECT product_id, AVG(rating), COUNT(*) FROM product_reviews
            WHERE product_id IN ({_marks(len(ids))}) GROUP BY product_id
            """,
            ids,
        )
    }
    named_rank = {pid: i for i, pid in enumerate(c.product_ids)}
    colour_words = _colour_words(c.color) if c.color else set()
    out = []
    for pid, category, th, en, cheapest, dearest, fits, available, colour, size in rows:
        avg, n = ratings.get(pid, (None, 0))
        rating = Decimal(str(avg)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if n else None
        out.append(
            _Features(
                pid=pid,
                category=category,
                name_th=th,
                name_en=en or "",
                cheapest=cheapest,
                dearest=dearest,
                fits=bool(fits) if c.has_price_range else None,
                colour=bool(colour) or _colour_in_name(th, en or "", colour_words),
                size=bool(size),
                available=bool(available),
                units_sold=int(sold.get(pid) or 0),
                rating=rating,
                reviews=int(n),
                named_at=named_rank.get(pid),
            )
        )
    return out


def _colour_in_name(name_th: str, name_en: str, colour_words: set[str]) -> bool:
    """A product without colour options whose name says the colour ("เสื้อยืดสีแดง") has it."""
    words = name_en.casefold().split()
    return any(f"สี{w}" in name_th or w in words for w in colour_words)


def _details(
    session: Session, c: Criteria, scored: list[tuple[tuple[float, tuple[str, ...]], _Features]]
) -> list[Recommendation]:
    """Full recommendations for the chosen few: their product rows and options read now."""
    if not scored:
        return []
    raw = DriverConnection(session)
    ids = [f.pid for _, f in scored]
    products: dict[int, _ProductRow] = {}
    tracked: dict[int, bool] = {}
    for row in raw.execute(
        f"""
        SELECT id, sku, name_th, name_en, price_satang, compare_at_satang,
               images, option_names, track_inventory
        FROM products WHERE id IN ({_marks(len(ids))})
        """,
        ids,
    ):
        product_id, sku, name_th, name_en, price_satang, compare_at_satang = row[:6]
        products[row[0]] = _ProductRow(
            product_id,
            sku,
            name_th,
            name_en,
            price_satang,
            compare_at_satang,
            json.loads(row[6] or "[]"),
            json.loads(row[7] or "[]"),
        )
        tracked[row[0]] = bool(row[8])
    variants: dict[int, list[_Variant]] = defaultdict(list)
    for vid, pid, options, price, stock, position in raw.execute(
        f"""
        SELECT id, product_id, options, price_satang, stock, position FROM product_variants
        WHERE active = 1 AND product_id IN ({_marks(len(ids))})
        ORDER BY position, id
        """,
        ids,
    ):
        own = price if price is not None else products[pid].price_satang
        variants[pid].append(_Variant(vid, json.loads(options or "{}"), own, stock, position))
    colour_words = _colour_words(c.color) if c.color else set()
    return [
        _one(c, products[f.pid], tracked[f.pid], variants[f.pid], f, score, reasons, colour_words)
        for (score, reasons), f in scored
        if f.pid in products and variants.get(f.pid)
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class _ProductRow:
    id: int
    sku: str
    name_th: str
    name_en: str | None
    price_satang: int
    compare_at_satang: int | None
    images: list[str]
    option_names: list[str]


def _one(
    c: Criteria,
    product: _ProductRow,
    tracked: bool,
    vs: list[_Variant],
    f: _Features,
    score: float,
    reasons: tuple[str, ...],
    colour_words: set[str],
) -> Recommendation:
    lo = c.price_min if c.price_min is not None else 0
    hi = c.price_max
    available = [v for v in vs if v.stock > 0 or not tracked]
    # The option to sell: the one matching colour and size (in stock first), else the only
    # one. A colour or size no option has (asked of a one-colour product) does not narrow it.
    by_colour = bool(colour_words) and any(_has_colour(v.options, colour_words) for v in vs)
    by_size = bool(c.size) and any(_has_size(v.options, c.size or "") for v in vs)
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
    price = min(v.price for v in (pick_from or vs))
    names = list(product.option_names or []) or list(
        dict.fromkeys(k for v in vs for k in v.options)
    )
    options = {
        n: tuple(dict.fromkeys(str(v.options[n]) for v in available if v.options.get(n)))
        for n in names
    }
    compare_at = product.compare_at_satang
    return Recommendation(
        product_id=product.id,
        sku=product.sku,
        name_th=product.name_th,
        name_en=product.name_en or "",
        category=f.category,
        price_satang=price,
        price_max_satang=max(v.price for v in vs),
        compare_at_satang=compare_at if compare_at and compare_at > price else None,
        in_stock=bool(available),
        stock=sum(v.stock for v in vs) if tracked else None,
        units_sold=f.units_sold,
        rating=f.rating,
        review_count=f.reviews,
        score=score,
        reasons=reasons,
        variant_id=variant_id,
        options={k: v for k, v in options.items() if v},
        fits_price=f.fits,
        image=product.images[0] if product.images else None,
    )


# ---------------------------------------------------------------------------- the index


@dataclasses.dataclass(frozen=True, slots=True)
class _Static:
    """What scoring needs of one product and does not depend on the shopper."""

    pid: int
    category: str
    name_th: str
    name_en: str
    prices: tuple[int, ...]  # of active options
    cheapest: int
    dearest: int
    colours: frozenset[str]  # option values, casefolded, without a leading สี
    sizes: frozenset[str]  # option values, upper case
    name_colours: frozenset[str]  # colour words its name states ("เสื้อยืดสีแดง": แดง)
    available: bool
    units_sold: int
    rating: Decimal | None
    reviews: int
    base: float  # sales + stock + rating points: the part no criteria change


@dataclasses.dataclass(frozen=True, slots=True)
class IndexStamp:
    products: tuple[int, int, Any]  # count, last id, last update
    variants: int  # last variant id
    movements: int  # last stock movement id
    items: int  # last order item id
    orders: Any  # last order update
    reviews: int  # last review id


class RecommendIndex:
    """Every active product's scoring facts in memory, ranked by the points no criteria change
    (sales, stock, rating), so :func:`recommend` can rank a 10,000-product catalog in a few
    milliseconds. Built with :meth:`load`; :meth:`refreshed` rebuilds it when products,
    options, stock, orders or reviews have changed. The cards' prices and stock are read from
    the database at answer time whatever the index's age (see :func:`recommend`)."""

    def __init__(self, statics: Iterable[_Static], stamp: IndexStamp | None = None) -> None:
        self.stamp = stamp
        self._checked_at = time.monotonic()
        self._all = sorted(statics, key=_base_order)
        self._by_id = {x.pid: x for x in self._all}
        by_category: dict[str, list[_Static]] = defaultdict(list)
        # Colour or size → products having it, overall and per category (in base order).
        by_value: dict[tuple[str | None, str, str], list[_Static]] = defaultdict(list)
        for x in self._all:
            by_category[x.category].append(x)
            for kind, values in (("colour", x.colours | x.name_colours), ("size", x.sizes)):
                for value in values:
                    by_value[(None, kind, value)].append(x)
                    by_value[(x.category, kind, value)].append(x)
        self._by_category = dict(by_category)
        self._by_value = dict(by_value)

    def __len__(self) -> int:
        return len(self._all)

    @classmethod
    def load(cls, session: Session) -> RecommendIndex:
        stamp = cls.current_stamp(session)
        raw = DriverConnection(session)
        options: dict[int, list[tuple[int, str, int, int]]] = defaultdict(list)
        for pid, price, opts, stock in raw.execute(
            """
            SELECT v.product_id, COALESCE(v.price_satang, p.price_satang), v.options, v.stock
            FROM product_variants v JOIN products p ON p.id = v.product_id
            WHERE v.active = 1 AND p.active = 1
            """
        ):
            options[pid].append((price, opts or "{}", stock, 0))
        sold = dict(
            raw.execute(
                f"""
                SELECT oi.product_id, {_SOLD_UNITS} FROM order_items oi
                JOIN orders o ON o.id = oi.order_id {_RETURNED_JOIN}
                WHERE oi.product_id IS NOT NULL AND o.status NOT IN ({_marks(len(_NOT_SOLD))})
                GROUP BY oi.product_id
                """,
                list(_NOT_SOLD),
            ).fetchall()
        )
        ratings = {
            pid: (avg, n)
            for pid, avg, n in raw.execute(
                "SELECT product_id, AVG(rating), COUNT(*) FROM product_reviews GROUP BY product_id"
            )
        }
        statics = []
        for pid, category, th, en, tracked in raw.execute(
            """
            SELECT p.id, COALESCE(c.name, ''), p.name_th, p.name_en, p.track_inventory
            FROM products p LEFT JOIN categories c ON c.id = p.category_id
            WHERE p.active = 1
            """
        ):
            rows = options.get(pid)
            if not rows:
                continue
            colours: set[str] = set()
            sizes: set[str] = set()
            for _, opts, _, _ in rows:
                for value in json.loads(opts).values():
                    v = str(value).strip()
                    colours.add(v.casefold().removeprefix("สี").strip())
                    sizes.add(v.upper())
            avg, n = ratings.get(pid, (None, 0))
            rating = (
                Decimal(str(avg)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if n else None
            )
            units = int(sold.get(pid) or 0)
            available = any(stock > 0 for _, _, stock, _ in rows) or not tracked
            base = (
                min(units * POINTS_PER_SALE, MAX_SALES_POINTS)
                + (POINTS_IN_STOCK if available else 0.0)
                + (float(rating) * POINTS_PER_STAR if rating is not None else 0.0)
            )
            statics.append(
                _Static(
                    pid,
                    category,
                    th,
                    en or "",
                    tuple(price for price, _, _, _ in rows),
                    min(price for price, _, _, _ in rows),
                    max(price for price, _, _, _ in rows),
                    frozenset(colours),
                    frozenset(sizes),
                    _name_colours(th, en or ""),
                    available,
                    units,
                    rating,
                    int(n),
                    base,
                )
            )
        return cls(statics, stamp)

    @staticmethod
    def current_stamp(session: Session) -> IndexStamp:
        raw = DriverConnection(session)

        def one(sql: str) -> Any:
            return raw.execute(sql).fetchone()

        return IndexStamp(
            tuple(one("SELECT COUNT(*), MAX(id), MAX(updated_at) FROM products")),
            one("SELECT MAX(id) FROM product_variants")[0] or 0,
            one("SELECT MAX(id) FROM stock_movements")[0] or 0,
            one("SELECT MAX(id) FROM order_items")[0] or 0,
            one("SELECT MAX(updated_at) FROM orders")[0],
            one("SELECT MAX(id) FROM product_reviews")[0] or 0,
        )

    def refreshed(self, session: Session, max_age: float = 0.0) -> RecommendIndex:
        """This index if nothing it depends on changed, else a new one; a check made less
        than ``max_age`` seconds ago is trusted (as :meth:`CatalogMatcher.refreshed`)."""
        now = time.monotonic()
        if max_age > 0 and now - self._checked_at < max_age:
            return self
        if self.stamp is not None and self.current_stamp(session) == self.stamp:
            self._checked_at = now
            return self
        return self.load(session)

    def _features(self, x: _Static, c: Criteria, named_at: int | None) -> _Features:
        lo = c.price_min if c.price_min is not None else 0
        hi = c.price_max
        colour_forms = _colour_words(c.color) if c.color else set()
        return _Features(
            pid=x.pid,
            category=x.category,
            name_th=x.name_th,
            name_en=x.name_en,
            cheapest=x.cheapest,
            dearest=x.dearest,
            fits=any(lo <= p and (hi is None or p <= hi) for p in x.prices)
            if c.has_price_range
            else None,
            colour=bool(
                colour_forms and (x.colours & colour_forms or x.name_colours & colour_forms)
            ),
            size=bool(c.size and (x.sizes & set(_size_forms(c.size)))),
            available=x.available,
            units_sold=x.units_sold,
            rating=x.rating,
            reviews=x.reviews,
            named_at=named_at,
        )

    def rank(
        self, c: Criteria, limit: int
    ) -> list[tuple[tuple[float, tuple[str, ...]], _Features]]:
        """The ``limit`` best products for ``c``, scored as :func:`_points` scores them.

        Walks the candidates in order of their criteria-free points, keeping the best few in
        a heap, and stops once even the most the criteria could add cannot reach the current
        ``limit``-th best."""
        walk = _Ranking(c, limit)
        categories = self._categories(c)
        pool = self._pool(categories)
        for pid, i in walk.named.items():
            x = self._by_id.get(pid)
            if x is not None and pid not in walk.excluded:
                walk.take_named(x, i)
        # Products having a colour or size asked that few have come first (looked up), then
        # the rest of the pool, which cannot gain those points.
        value_lists, rest_bonus = self._value_lists(walk, categories, len(pool))
        seen: set[int] = set()
        for x in heapq.merge(*value_lists, key=_base_order):  # each list in base order
            if x.pid in seen:
                continue
            if walk.full(walk.bonus, x):
                break
            seen.add(x.pid)
            walk.visit(x)
        for x in pool:
            if walk.full(rest_bonus, x):
                break
            if x.pid not in seen:
                walk.visit(x)
        out = []
        for _, _, _, x in walk.chosen():
            f = self._features(x, c, walk.named.get(x.pid))
            out.append((_points(f, c), f))
        out.sort(key=_rank_key)
        return out[:limit]

    def _categories(self, c: Criteria) -> list[str]:
        """The categories to look in: the one asked for, else those of the first three
        products named; empty for the whole catalog."""
        if c.category and c.category in self._by_category:
            return [c.category]
        if not c.product_ids:
            return []
        return list(
            dict.fromkeys(
                self._by_id[pid].category for pid in c.product_ids[:3] if pid in self._by_id
            )
        )

    def _pool(self, categories: list[str]) -> Sequence[_Static]:
        """The products of ``categories`` (all when empty), in base order."""
        if not categories:
            return self._all
        if len(categories) == 1:
            return self._by_category.get(categories[0], [])
        return sorted(
            (x for cat in categories for x in self._by_category.get(cat, [])),
            key=_base_order,
        )

    def _value_lists(
        self, walk: _Ranking, categories: list[str], pool_size: int
    ) -> tuple[list[list[_Static]], float]:
        """The lists of products having the colour or size asked, for each of those few
        enough to look up (each list in base order), and the most the criteria can add to a
        product on none of them."""
        value_lists: list[list[_Static]] = []
        rest_bonus = walk.bonus
        cats: Sequence[str | None] = categories or [None]  # None: the whole catalog
        for kind, forms, points in (
            ("colour", walk.colour_forms, POINTS_COLOUR),
            ("size", walk.size_forms, POINTS_SIZE),
        ):
            lists = [
                self._by_value[(cat, kind, v)]
                for cat in cats
                for v in forms
                if (cat, kind, v) in self._by_value
            ]
            if forms and sum(map(len, lists)) <= max(64, pool_size // 4):
                value_lists += lists
                rest_bonus -= points
        return value_lists, rest_bonus


_Kept = tuple[float, int, int, _Static]  # (score, -cheapest, -pid, product)


class _Ranking:
    """One :meth:`RecommendIndex.rank` walk: the criteria's scoring and the best ``limit``
    products met so far, in min-heaps of :data:`_Kept` (the worst of the best on top):
    ``fitting`` those in the price range (or all, without one) and the named ones,
    ``others`` the rest, scored by closeness, kept only while none fits."""

    __slots__ = (
        "any_fit",
        "bonus",
        "c",
        "colour_forms",
        "excluded",
        "fitting",
        "has_range",
        "hi",
        "limit",
        "lo",
        "named",
        "others",
        "size_forms",
    )

    def __init__(self, c: Criteria, limit: int) -> None:
        self.c = c
        self.limit = limit
        self.named = {pid: i for i, pid in enumerate(c.product_ids)}
        self.excluded = set(c.exclude_ids)
        self.has_range = c.has_price_range
        self.lo = c.price_min if c.price_min is not None else 0
        self.hi = c.price_max
        self.colour_forms = frozenset(_colour_words(c.color)) if c.color else frozenset()
        self.size_forms = frozenset(_size_forms(c.size)) if c.size else frozenset()
        # The most the criteria can add to a product's base points (naming aside).
        self.bonus = (
            (POINTS_CATEGORY if c.category else 0.0)
            + (POINTS_PRICE if self.has_range else 0.0)
            + (POINTS_COLOUR if self.colour_forms else 0.0)
            + (POINTS_SIZE if self.size_forms else 0.0)
        )
        self.fitting: list[_Kept] = []
        self.others: list[_Kept] = []
        self.any_fit = False

    def score_of(self, x: _Static) -> tuple[float, bool | None]:
        """``x``'s score without naming, and whether it fits the price range (None: no
        range asked)."""
        c, lo, hi = self.c, self.lo, self.hi
        score = x.base
        if c.category and x.category == c.category:
            score += POINTS_CATEGORY
        fits: bool | None = None
        if self.has_range:
            if hi is not None and x.cheapest > hi:
                fits = False
                score += POINTS_PRICE / 2 * hi / x.cheapest
            elif x.dearest < lo:
                fits = False
                if lo:
                    score += POINTS_PRICE / 2 * x.dearest / lo
            else:
                fits = any(lo <= p and (hi is None or p <= hi) for p in x.prices)
                score += POINTS_PRICE if fits else 0.0
        colour_forms = self.colour_forms
        if colour_forms and (x.colours & colour_forms or x.name_colours & colour_forms):
            score += POINTS_COLOUR
        if self.size_forms and x.sizes & self.size_forms:
            score += POINTS_SIZE
        return score, fits

    def _keep(self, heap: list[_Kept], item: _Kept) -> None:
        if len(heap) < self.limit:
            heapq.heappush(heap, item)
        elif item[:3] > heap[0][:3]:
            heapq.heapreplace(heap, item)

    def take_named(self, x: _Static, i: int) -> None:
        """Keep a product the shopper named (``i``-th), whatever its price."""
        score, fits = self.score_of(x)
        self.any_fit = self.any_fit or bool(fits)
        self._keep(self.fitting, (score + POINTS_NAMED * (0.8**i), -x.cheapest, -x.pid, x))

    def visit(self, x: _Static) -> None:
        """Score ``x`` and keep it if it is among the best so far (named and excluded
        products are skipped)."""
        if x.pid in self.excluded or x.pid in self.named:
            return
        score, fits = self.score_of(x)
        item = (score, -x.cheapest, -x.pid, x)
        if fits is False:
            if not self.any_fit:
                self._keep(self.others, item)
        else:
            self.any_fit = self.any_fit or bool(fits)
            self._keep(self.fitting, item)

    def full(self, most: float, x: _Static) -> bool:
        """Whether the heap is full and ``x`` — and so every product after it in base
        order — cannot enter it even with ``most`` points (ties go to the cheaper)."""
        fitting = self.fitting
        if len(fitting) < self.limit or not (self.any_fit or not self.has_range):
            return False
        best_possible = x.base + most
        worst_kept = fitting[0]
        if best_possible < worst_kept[0] - 1e-9:
            return True
        return abs(best_possible - worst_kept[0]) <= 1e-9 and (-x.cheapest, -x.pid) <= (
            worst_kept[1],
            worst_kept[2],
        )

    def chosen(self) -> list[_Kept]:
        """As without an index: those that fit the price range (and the named ones) when any
        fits; everything, scored by closeness, when none does."""
        if self.any_fit or not self.has_range:
            return self.fitting
        return self.fitting + self.others


def _base_order(x: _Static) -> tuple[float, int, int]:
    return (-x.base, x.cheapest, x.pid)


def _name_colours(name_th: str, name_en: str) -> frozenset[str]:
    """Every spelling of each colour the name states (as :func:`_colour_in_name` reads it)."""
    found: set[str] = set()
    words = set(name_en.casefold().split())
    for spellings in _COLOUR_SPELLINGS:
        if words & spellings or any(f"สี{w}" in name_th for w in spellings):
            found |= spellings
    return frozenset(found)


_COLOUR_SPELLINGS: Final = tuple(frozenset(_colour_words(canon)) for canon in COLOURS)


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
