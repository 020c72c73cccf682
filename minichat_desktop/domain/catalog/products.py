"""The catalog: products, their variants, categories, and search that works for Thai.

Use cases take an open session (from :meth:`Database.write` or :meth:`Database.read`), plain
values, and return frozen dataclasses — never live ORM objects.

Search. Thai has no spaces between words, so word tokenizers cut it into junk. Names, codes
and tags are indexed by an FTS5 table with the trigram tokenizer (substring matching in any
script, case-insensitive for English), and shorter queries (1–2 characters, which trigrams
cannot match) fall back to an index range for prefixes and a bounded scan for the rest.
Results are ranked in tiers: exact SKU or barcode, then name prefix, then name contains, then
code or tag contains; within a tier, in-stock products first.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain.glossary import OPENING_STOCK
from minichat_desktop.domain.models import (
    AuditEntry,
    Category,
    MovementReason,
    Product,
    ProductVariant,
    StockMovement,
)
from minichat_desktop.errors import NotFound, UserError

MAX_SEARCH_LIMIT = 500


# ---------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class VariantView:
    id: int
    sku: str
    barcode: str | None
    options: dict[str, str]
    title: str
    price_satang: int  # effective: the variant's own price or the product's
    own_price_satang: int | None
    stock: int
    active: bool


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    sku: str
    name_th: str
    name_en: str
    description: str
    price_satang: int
    compare_at_satang: int | None
    cost_satang: int | None
    category: str
    tags: tuple[str, ...]
    images: tuple[str, ...]
    option_names: tuple[str, ...]
    active: bool
    track_inventory: bool
    low_stock_threshold: int
    weight_grams: int | None
    variants: tuple[VariantView, ...]

    @property
    def stock(self) -> int:
        return sum(v.stock for v in self.variants if v.active)

    @property
    def barcode(self) -> str | None:
        """The default variant's barcode (a product without options has one variant)."""
        return self.variants[0].barcode if len(self.variants) == 1 else None

    @property
    def has_options(self) -> bool:
        return bool(self.option_names)

    @property
    def is_low_stock(self) -> bool:
        return self.track_inventory and self.stock <= self.low_stock_threshold


@dataclass(frozen=True, slots=True)
class SearchHit:
    product_id: int
    sku: str
    name_th: str
    name_en: str
    price_satang: int
    stock: int
    category: str
    active: bool
    track_inventory: bool
    low_stock_threshold: int
    match: str  # "code", "prefix", "name", "other"


@dataclass(frozen=True, slots=True)
class MovementView:
    id: int
    variant_id: int
    variant_sku: str
    quantity: int
    reason: str
    actor: str
    note: str
    order_id: int | None
    created_at: Any


# ---------------------------------------------------------------------------- inputs


@dataclass(slots=True)
class VariantInput:
    """A variant as the person entered it. ``stock`` only matters for a new variant (its
    opening stock); later changes go through :func:`stock.adjust_stock`."""

    sku: str
    options: dict[str, str] = field(default_factory=dict)
    barcode: str | None = None
    price_satang: int | None = None
    stock: int = 0
    active: bool = True


@dataclass(slots=True)
class ProductInput:
    sku: str
    name_th: str
    price_satang: int
    name_en: str = ""
    description: str = ""
    compare_at_satang: int | None = None
    cost_satang: int | None = None
    category: str = ""
    tags: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    barcode: str | None = None  # for a product without options
    stock: int = 0  # opening stock of a product without options
    option_names: list[str] = field(default_factory=list)
    variants: list[VariantInput] = field(default_factory=list)
    active: bool = True
    track_inventory: bool = True
    low_stock_threshold: int = 5
    weight_grams: int | None = None


# ---------------------------------------------------------------------------- helpers


def normalize_text(text: str) -> str:
    """Search form of a text: NFC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def normalize_code(code: str | None) -> str | None:
    """SKUs and barcodes: trimmed, inner spaces removed; empty → None."""
    if code is None:
        return None
    code = "".join(code.split())
    return code or None


def _variant_view(v: ProductVariant, product_price: int) -> VariantView:
    return VariantView(
        id=v.id,
        sku=v.sku,
        barcode=v.barcode,
        options=dict(v.options),
        title=v.title,
        price_satang=v.price_satang if v.price_satang is not None else product_price,
        own_price_satang=v.price_satang,
        stock=v.stock,
        active=v.active,
    )


def product_view(p: Product) -> ProductView:
    return ProductView(
        id=p.id,
        sku=p.sku,
        name_th=p.name_th,
        name_en=p.name_en,
        description=p.description,
        price_satang=p.price_satang,
        compare_at_satang=p.compare_at_satang,
        cost_satang=p.cost_satang,
        category=p.category.name if p.category else "",
        tags=tuple(p.tags),
        images=tuple(p.images),
        option_names=tuple(p.option_names),
        active=p.active,
        track_inventory=p.track_inventory,
        low_stock_threshold=p.low_stock_threshold,
        weight_grams=p.weight_grams,
        variants=tuple(_variant_view(v, p.price_satang) for v in p.variants),
    )


def variant_title(options: dict[str, str], option_names: Sequence[str]) -> str:
    """A variant's title: its option values in the product's option order (``แดง / M``)."""
    ordered = [options[n] for n in option_names if options.get(n)]
    ordered += [v for k, v in options.items() if k not in option_names and v]
    return " / ".join(ordered)


def search_fields(
    name_th: str,
    name_en: str,
    sku: str,
    variants: Sequence[tuple[str, str | None, str]],
    tags: Sequence[str],
    category: str,
) -> tuple[str, str, str]:
    """``(search_name, search_codes, search_extra)``: the text the search index is built from.
    ``variants`` are ``(sku, barcode, title)`` in the product's variant order. The one formula
    for every writer of products (the product form and the bulk import)."""
    names = [name_th, name_en]
    codes = [sku] + [v[0] for v in variants] + [v[1] or "" for v in variants]
    extra = [*tags, category] + [v[2] for v in variants]
    return (
        normalize_text(" | ".join(n for n in names if n)),
        normalize_text(" ".join(dict.fromkeys(c for c in codes if c))),
        normalize_text(" | ".join(dict.fromkeys(e for e in extra if e))),
    )


def _refresh_search(p: Product) -> None:
    p.search_name, p.search_codes, p.search_extra = search_fields(
        p.name_th,
        p.name_en,
        p.sku,
        [(v.sku, v.barcode, v.title) for v in p.variants],
        list(p.tags),
        p.category.name if p.category else "",
    )


def get_or_create_category(session: Session, name: str) -> Category | None:
    name = " ".join(name.split())
    if not name:
        return None
    cat = session.scalar(select(Category).where(Category.name == name))
    if cat is None:
        cat = Category(name=name)
        session.add(cat)
        session.flush()
    return cat


def _validate(data: ProductInput) -> None:
    def bad(code: str, message: str, **params: Any) -> UserError:
        return UserError(code, message, sku=data.sku, **params)

    if not normalize_code(data.sku):
        raise bad("product.sku_required", "a product needs a SKU")
    if not data.name_th.strip():
        raise bad("product.name_required", f"product {data.sku}: a name is required")
    for label, value in (
        ("price", data.price_satang),
        ("compare-at price", data.compare_at_satang),
        ("cost", data.cost_satang),
    ):
        if value is not None and value < 0:
            raise bad("product.negative_money", f"product {data.sku}: {label} cannot be negative")
    if data.low_stock_threshold < 0:
        raise bad("product.negative_threshold", f"product {data.sku}: threshold cannot be negative")
    if data.stock < 0 or any(v.stock < 0 for v in data.variants):
        raise bad("product.negative_stock", f"product {data.sku}: stock cannot be negative")
    skus = [normalize_code(v.sku) for v in data.variants]
    if any(s is None for s in skus):
        raise bad("variant.sku_required", f"product {data.sku}: every variant needs a SKU")
    if len(set(skus)) != len(skus):
        raise bad("variant.duplicate_sku", f"product {data.sku}: two variants share a SKU")
    barcodes = [normalize_code(v.barcode) for v in data.variants if normalize_code(v.barcode)]
    if len(set(barcodes)) != len(barcodes):
        raise bad("variant.duplicate_barcode", f"product {data.sku}: two variants share a barcode")


def _check_codes_free(
    session: Session, product_id: int | None, skus: Iterable[str], barcodes: Iterable[str]
) -> None:
    skus, barcodes = list(skus), list(barcodes)
    if skus:
        clash = session.execute(
            select(ProductVariant.sku, ProductVariant.product_id).where(
                ProductVariant.sku.in_(skus)
            )
        ).first()
        if clash is not None and clash.product_id != product_id:
            raise UserError(
                "variant.sku_taken", f"SKU {clash.sku} is used by another product", sku=clash.sku
            )
    if barcodes:
        taken = session.execute(
            select(ProductVariant.barcode, ProductVariant.product_id).where(
                ProductVariant.barcode.in_(barcodes)
            )
        ).first()
        if taken is not None and taken.product_id != product_id:
            raise UserError(
                "variant.barcode_taken",
                f"barcode {taken.barcode} is used by another product",
                barcode=taken.barcode,
            )


def _wanted_variants(data: ProductInput) -> list[VariantInput]:
    if data.variants:
        return data.variants
    return [VariantInput(sku=data.sku, barcode=data.barcode, stock=data.stock)]


# ---------------------------------------------------------------------------- use cases


def save_product(
    session: Session,
    data: ProductInput,
    actor: str,
    *,
    stock_reason: MovementReason = MovementReason.ADJUSTMENT,
) -> ProductView:
    """Create the product with ``data.sku``, or update it if it exists (upsert by SKU).

    Variants are matched by SKU: new ones are created with their opening stock (a stock
    movement with ``stock_reason``), existing ones updated, and ones no longer listed are
    deactivated (their history stays). Stock of existing variants is not touched here.
    Raises :class:`UserError` for invalid data or a SKU/barcode used by another product.
    """
    _validate(data)
    sku = normalize_code(data.sku)
    assert sku is not None
    product = session.scalar(
        select(Product).where(Product.sku == sku).options(selectinload(Product.variants))
    )
    wanted = _wanted_variants(data)
    _check_codes_free(
        session,
        product.id if product else None,
        [normalize_code(v.sku) or "" for v in wanted],
        [b for v in wanted if (b := normalize_code(v.barcode))],
    )
    category = get_or_create_category(session, data.category)
    creating = product is None
    before: dict[str, Any] = {}
    if product is None:
        product = Product(sku=sku, variants=[])
        session.add(product)
    else:
        before = _audit_fields(product)
    product.name_th = data.name_th.strip()
    product.name_en = data.name_en.strip()
    product.description = data.description.strip()
    product.price_satang = data.price_satang
    product.compare_at_satang = data.compare_at_satang
    product.cost_satang = data.cost_satang
    product.category = category
    product.tags = list(dict.fromkeys(t.strip() for t in data.tags if t.strip()))
    product.images = list(data.images)
    product.option_names = [n.strip() for n in data.option_names if n.strip()]
    product.active = data.active
    product.track_inventory = data.track_inventory
    product.low_stock_threshold = data.low_stock_threshold
    product.weight_grams = data.weight_grams

    existing = {v.sku: v for v in product.variants}
    opening: list[tuple[ProductVariant, int]] = []
    seen: set[str] = set()
    for position, vin in enumerate(wanted):
        vsku = normalize_code(vin.sku) or ""
        seen.add(vsku)
        options = {k.strip(): str(v).strip() for k, v in vin.options.items() if str(v).strip()}
        variant = existing.get(vsku)
        if variant is None:
            variant = ProductVariant(sku=vsku, stock=0)
            product.variants.append(variant)
            if vin.stock:
                opening.append((variant, vin.stock))
        variant.barcode = normalize_code(vin.barcode)
        variant.options = options
        variant.title = variant_title(options, product.option_names)
        variant.price_satang = vin.price_satang
        variant.position = position
        variant.active = vin.active
    for vsku, variant in existing.items():
        if vsku not in seen:
            variant.active = False
    _refresh_search(product)
    session.flush()
    for variant, qty in opening:
        session.add(
            StockMovement(
                variant_id=variant.id,
                quantity=qty,
                reason=stock_reason,
                actor=actor,
                note=OPENING_STOCK,
            )
        )
    after = _audit_fields(product)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        session.add(
            AuditEntry(
                actor=actor,
                action="product.create" if creating else "product.update",
                entity="product",
                entity_id=sku,
                changes=changes,
            )
        )
    session.flush()
    session.refresh(product)
    return product_view(product)


def _audit_fields(p: Product) -> dict[str, Any]:
    return {
        "name_th": p.name_th,
        "name_en": p.name_en,
        "price_satang": p.price_satang,
        "compare_at_satang": p.compare_at_satang,
        "cost_satang": p.cost_satang,
        "category": p.category.name if p.category else "",
        "active": p.active,
        "tags": list(p.tags),
        "low_stock_threshold": p.low_stock_threshold,
        "variants": sorted(v.sku for v in p.variants if v.active),
    }


def set_product_active(session: Session, product_id: int, active: bool, actor: str) -> ProductView:
    product = _load(session, product_id)
    if product.active != active:
        session.add(
            AuditEntry(
                actor=actor,
                action="product.update",
                entity="product",
                entity_id=product.sku,
                changes={"active": [product.active, active]},
            )
        )
        product.active = active
        session.flush()
    return product_view(product)


def _load(session: Session, product_id: int) -> Product:
    product = session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .options(selectinload(Product.variants), selectinload(Product.category))
    )
    if product is None:
        raise NotFound("product.not_found", f"no product with id {product_id}", id=product_id)
    return product


def get_product(session: Session, product_id: int) -> ProductView:
    return product_view(_load(session, product_id))


def get_product_by_sku(session: Session, sku: str) -> ProductView:
    code = normalize_code(sku) or ""
    product_id = session.scalar(select(Product.id).where(Product.sku == code))
    if product_id is None:
        product_id = session.scalar(
            select(ProductVariant.product_id).where(ProductVariant.sku == code)
        )
    if product_id is None:
        raise NotFound("product.not_found", f"no product with SKU {sku}", sku=sku)
    return get_product(session, product_id)


def find_variant_by_code(session: Session, code: str) -> tuple[ProductView, VariantView] | None:
    """The product and variant a scanned barcode or typed SKU names, or None."""
    norm = normalize_code(code)
    if not norm:
        return None
    row = session.execute(
        select(ProductVariant.id, ProductVariant.product_id)
        .where(or_(ProductVariant.barcode == norm, ProductVariant.sku == norm))
        .order_by((ProductVariant.barcode == norm).desc())
    ).first()
    if row is None:
        return None
    product = get_product(session, row.product_id)
    variant = next(v for v in product.variants if v.id == row.id)
    return product, variant


def list_categories(session: Session) -> list[str]:
    return list(session.scalars(select(Category.name).order_by(Category.position, Category.name)))


def list_products(
    session: Session,
    *,
    active_only: bool = False,
    low_stock_only: bool = False,
    category: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ProductView]:
    stmt = (
        select(Product)
        .options(selectinload(Product.variants), selectinload(Product.category))
        .order_by(Product.id)
    )
    if active_only:
        stmt = stmt.where(Product.active.is_(True))
    if category:
        stmt = stmt.join(Category).where(Category.name == category)
    if low_stock_only:
        level = (
            select(func.coalesce(func.sum(ProductVariant.stock), 0))
            .where(ProductVariant.product_id == Product.id, ProductVariant.active.is_(True))
            .scalar_subquery()
        )
        stmt = stmt.where(Product.track_inventory.is_(True), level <= Product.low_stock_threshold)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return [product_view(p) for p in session.scalars(stmt)]


def movements(session: Session, product_id: int, limit: int = 200) -> list[MovementView]:
    """The stock ledger of a product, newest first."""
    rows = session.execute(
        select(StockMovement, ProductVariant.sku)
        .join(ProductVariant, ProductVariant.id == StockMovement.variant_id)
        .where(ProductVariant.product_id == product_id)
        .order_by(StockMovement.id.desc())
        .limit(limit)
    )
    return [
        MovementView(
            id=m.id,
            variant_id=m.variant_id,
            variant_sku=sku,
            quantity=m.quantity,
            reason=m.reason,
            actor=m.actor,
            note=m.note,
            order_id=m.order_id,
            created_at=m.created_at,
        )
        for m, sku in rows
    ]


# ---------------------------------------------------------------------------- search


@dataclass(frozen=True, slots=True)
class SearchFilters:
    category: str | None = None
    price_min_satang: int | None = None
    price_max_satang: int | None = None
    in_stock: bool = False
    active_only: bool = True


# A tier ranks at most this many candidates (or ``limit``, if larger). A tier with fewer
# matches is ranked exactly; one with more fills the whole page from its first candidates.
SEARCH_CANDIDATES = 200
# 1–2 character queries look for "contains" matches only among this many newest products.
SHORT_QUERY_WINDOW = 5_000

# Search runs on every keystroke, so its SQL is written once per shape (source × filters ×
# number of words) and run on the driver connection: building SQLAlchemy statements cost
# about 1.5 ms each, more than SQLite takes to answer.
_SOURCES = {
    # Exact SKU or barcode of any variant, or the product's own SKU (each an index lookup).
    "code": (
        "FROM products p WHERE p.id IN ("
        "SELECT product_id FROM product_variants WHERE sku = :code"
        " UNION ALL SELECT product_id FROM product_variants WHERE barcode = :code"
        " UNION ALL SELECT id FROM products WHERE sku = :code)"
    ),
    # A range of the search_name index.
    "prefix": "FROM products p WHERE p.search_name >= :lo AND p.search_name < :hi",
    # The trigram index drives the loop, so the candidate LIMIT stops it early.
    "fts": (
        "FROM product_search CROSS JOIN products p ON p.id = product_search.rowid"
        " WHERE product_search MATCH :fts"
    ),
    # 1–2 characters: trigrams cannot help; a bounded scan of the newest products.
    "recent": (
        "FROM products p WHERE p.id > (SELECT max(id) FROM products) - :window"
        " AND (instr(p.search_name, :first) > 0 OR instr(p.search_codes, :first) > 0"
        " OR instr(p.search_extra, :first) > 0)"
    ),
    "all": "FROM products p WHERE 1",
}

# The tier of a product that contains the first word, for steps that rank tiers together.
_TIER = (
    "CASE WHEN p.search_name >= :lo AND p.search_name < :hi THEN 0"
    " WHEN instr(p.search_name, :first) > 0 THEN 1 ELSE 2 END"
)
_TIER_KINDS = ("prefix", "name", "other")


def _words_tier(more_terms: int) -> str:
    """The tier for several words: the whole phrase in the name first, then names holding
    every word (starting with the first, then anywhere), then names holding the first word
    only, then matches spread over other fields (SKU, tags, category)."""
    every = " AND ".join(f"instr(p.search_name, :t{k}) > 0" for k in range(more_terms))
    prefix = "p.search_name >= :lo AND p.search_name < :hi"
    return (
        "CASE WHEN instr(p.search_name, :phrase) > 0 THEN 0"
        f" WHEN {prefix} AND {every} THEN 1"
        f" WHEN instr(p.search_name, :first) > 0 AND {every} THEN 2"
        f" WHEN {prefix} THEN 3"
        " WHEN instr(p.search_name, :first) > 0 THEN 4 ELSE 5 END"
    )


_WORDS_TIER_KINDS = ("name", "prefix", "name", "prefix", "name", "other")

# In stock (any variant) first, then the shorter — closer — name.
_RANK = (
    "EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id AND v.stock > 0) DESC,"
    " length(p.search_name), p.id"
)

_HITS_SQL = """
SELECT p.id, p.sku, p.name_th, p.name_en, p.price_satang, p.active, p.track_inventory,
       p.low_stock_threshold, coalesce(c.name, ''),
       (SELECT coalesce(sum(v.stock), 0) FROM product_variants v
        WHERE v.product_id = p.id AND v.active = 1)
FROM products p LEFT JOIN categories c ON c.id = p.category_id
WHERE p.id IN (SELECT value FROM json_each(:ids))
"""


@dataclass(frozen=True, slots=True)
class _Shape:
    """What decides a search statement's text (its parameter values aside)."""

    source: str
    order: str  # "rank", "tier" (tier, then rank), "id" or "name"
    active_only: bool
    category: bool
    price_min: bool
    price_max: bool
    in_stock: bool
    more_terms: int


@functools.cache
def _search_sql(shape: _Shape) -> str:
    """SELECT id[, tier] of one search step; candidates are capped before they are ranked."""
    where = []
    if shape.active_only:
        where.append("p.active = 1")
    if shape.category:
        where.append("p.category_id IN (SELECT id FROM categories WHERE name = :category)")
    if shape.price_min:
        where.append("p.price_satang >= :price_min")
    if shape.price_max:
        where.append("p.price_satang <= :price_max")
    if shape.in_stock:
        where.append(
            "(p.track_inventory = 0 OR EXISTS (SELECT 1 FROM product_variants v"
            " WHERE v.product_id = p.id AND v.active = 1 AND v.stock > 0))"
        )
    for k in range(shape.more_terms):
        where.append(
            f"(instr(p.search_name, :t{k}) > 0 OR instr(p.search_codes, :t{k}) > 0"
            f" OR instr(p.search_extra, :t{k}) > 0)"
        )
    source = _SOURCES[shape.source] + "".join(f" AND {w}" for w in where)
    if shape.order == "name":
        return f"SELECT p.id, NULL {source} ORDER BY p.search_name LIMIT :n"
    if shape.order == "id":
        return f"SELECT p.id, NULL {source} ORDER BY p.id LIMIT :n"
    tier = "NULL"
    if shape.order == "tier":
        tier = _words_tier(shape.more_terms) if shape.more_terms else _TIER
    order = f"tier, {_RANK}" if shape.order == "tier" else _RANK
    return (
        f"SELECT p.id, {tier} AS tier FROM (SELECT p.id {source} LIMIT :cap) c"
        f" CROSS JOIN products p ON p.id = c.id ORDER BY {order} LIMIT :n"
    )


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search_products(
    session: Session, query: str, *, limit: int = 20, filters: SearchFilters = SearchFilters()
) -> list[SearchHit]:
    """Products whose name, SKU, barcode, tags or category contain ``query``, best first.

    Every word of the query must match (in any field); an empty query lists products
    (filtered) by name. ``limit`` is capped at :data:`MAX_SEARCH_LIMIT`.

    Ranking, in tiers: an exact SKU or barcode (when one matches, only those products are
    returned: a scanned code means that product), then names starting with the first word,
    then names containing it, then codes, tags or category containing it. With several words,
    a name holding the whole phrase ranks first, then names holding every word, before words
    spread over other fields. Within a tier: in stock first, then the shorter name.

    Trade-offs that keep a keystroke within ~10 ms on 100k products:

    - A tier ranks at most :data:`SEARCH_CANDIDATES` (200) of its matches — the first ones in
      index order (alphabetical for prefixes, oldest first for the others) — so for a very
      common word the page holds the best of those 200, not of all matches. A tier with that
      many candidates fills the page by itself, so tiers do not mix out of order.
    - Several words (the first of 3+ characters): the three text tiers are ranked together
      among the first 200 products that contain every word, so a name-prefix match beyond
      those 200 may be missing while a contains match is shown.
    - A 1–2 character first word (too short for the trigram index) finds name prefixes among
      all products, but "contains" matches only among the newest :data:`SHORT_QUERY_WINDOW`
      (5,000) products, ranked together like several words: in a larger shop an older product
      is found once a third character is typed.
    """
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    q = normalize_text(query)
    terms = q.split(" ") if q else []
    first, more = (terms[0], terms[1:]) if terms else ("", [])
    params: dict[str, Any] = {
        "category": filters.category,
        "price_min": filters.price_min_satang,
        "price_max": filters.price_max_satang,
        "n": limit,
        "cap": max(SEARCH_CANDIDATES, limit),
        "window": SHORT_QUERY_WINDOW,
        "first": first,
        "phrase": q,
        "lo": first,
        "hi": first + "\U0010ffff",
        "code": normalize_code(query) or "",
        **{f"t{k}": t for k, t in enumerate(more)},
    }
    conn = session.connection()
    found: dict[int, str] = {}

    def take(kind: str, source: str, order: str = "rank", fts: str = "") -> bool:
        """Add the step's best products not found yet; True once the page is full."""
        shape = _Shape(
            source,
            order,
            filters.active_only,
            bool(filters.category),
            filters.price_min_satang is not None,
            filters.price_max_satang is not None,
            filters.in_stock,
            len(more),
        )
        kinds = _WORDS_TIER_KINDS if more else _TIER_KINDS
        # ``limit`` rows always suffice: at most len(found) of them are skipped.
        for pid, tier in conn.exec_driver_sql(_search_sql(shape), {**params, "fts": fts}):
            if len(found) < limit:
                found.setdefault(pid, kind if tier is None else kinds[tier])
        return len(found) >= limit

    if not terms:
        take("other", "all", order="name")
        return _hits(conn, found)
    take("code", "code", order="id")
    if found:  # a scanned or typed code names its product: nothing else is shown
        return _hits(conn, found)
    # (kind, source, order, FTS query): the steps in rank order, until the page is full.
    steps: list[tuple[str, str, str, str]]
    if len(first) >= 3 and more:
        # Let the trigram index intersect the words (3+ characters) before rows are read.
        words = " AND ".join(_fts_phrase(t) for t in [first, *more] if len(t) >= 3)
        steps = [("", "fts", "tier", words)]
    elif len(first) >= 3:
        phrase = _fts_phrase(first)
        steps = [
            ("prefix", "prefix", "rank", ""),
            ("name", "fts", "rank", "search_name : " + phrase),
            ("other", "fts", "rank", "{search_codes search_extra} : " + phrase),
        ]
    else:
        steps = [("prefix", "prefix", "rank", ""), ("", "recent", "tier", "")]
    for kind, source, order, fts in steps:
        if take(kind, source, order, fts):
            break
    return _hits(conn, found)


def _hits(conn: Connection, found: dict[int, str]) -> list[SearchHit]:
    """The found products as hits, in the order found."""
    if not found:
        return []
    rows = {r[0]: r for r in conn.exec_driver_sql(_HITS_SQL, {"ids": json.dumps(list(found))})}
    return [
        SearchHit(
            product_id=pid,
            sku=r[1],
            name_th=r[2],
            name_en=r[3],
            price_satang=r[4],
            active=bool(r[5]),
            track_inventory=bool(r[6]),
            low_stock_threshold=r[7],
            category=r[8],
            stock=int(r[9]),
            match=kind,
        )
        for pid, kind in found.items()
        if (r := rows.get(pid)) is not None
    ]
