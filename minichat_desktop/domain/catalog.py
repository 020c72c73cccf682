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

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, column, exists, func, literal_column, or_, select, table
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain.errors import NotFound, UserError
from minichat_desktop.domain.models import (
    AuditEntry,
    Category,
    MovementReason,
    Product,
    ProductVariant,
    StockMovement,
)

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


def _variant_title(options: dict[str, str], option_names: Sequence[str]) -> str:
    ordered = [options[n] for n in option_names if options.get(n)]
    ordered += [v for k, v in options.items() if k not in option_names and v]
    return " / ".join(ordered)


def _refresh_search(p: Product) -> None:
    names = [p.name_th, p.name_en]
    codes = [p.sku] + [v.sku for v in p.variants] + [v.barcode or "" for v in p.variants]
    extra = list(p.tags) + [p.category.name if p.category else ""] + [v.title for v in p.variants]
    p.search_name = normalize_text(" | ".join(n for n in names if n))
    p.search_codes = normalize_text(" ".join(dict.fromkeys(c for c in codes if c)))
    p.search_extra = normalize_text(" | ".join(dict.fromkeys(e for e in extra if e)))


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
        clash = session.execute(
            select(ProductVariant.barcode, ProductVariant.product_id).where(
                ProductVariant.barcode.in_(barcodes)
            )
        ).first()
        if clash is not None and clash.product_id != product_id:
            raise UserError(
                "variant.barcode_taken",
                f"barcode {clash.barcode} is used by another product",
                barcode=clash.barcode,
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
        variant.title = _variant_title(options, product.option_names)
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
                note="opening stock",
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


_FTS = table("product_search", column("rowid"))


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts_ids(match: str) -> Any:
    """Product ids whose index matches an FTS5 query (trigram: substring of 3+ characters)."""
    return select(_FTS.c.rowid).where(
        literal_column("product_search").op("MATCH")(bindparam("fts", match, unique=True))
    )


def search_products(
    session: Session, query: str, *, limit: int = 20, filters: SearchFilters = SearchFilters()
) -> list[SearchHit]:
    """Products whose name, SKU, barcode, tags or category contain ``query``, best first.

    An empty query lists products (filtered) by name. Every word of the query must match
    (in any field). ``limit`` is capped at :data:`MAX_SEARCH_LIMIT`.
    """
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    q = normalize_text(query)
    terms = q.split(" ") if q else []
    found: dict[int, str] = {}

    def base(extra_where: Iterable[Any]) -> Any:
        stmt = select(Product.id).where(*extra_where)
        if filters.active_only:
            stmt = stmt.where(Product.active.is_(True))
        if filters.category:
            stmt = stmt.join(Category, Category.id == Product.category_id).where(
                Category.name == filters.category
            )
        if filters.price_min_satang is not None:
            stmt = stmt.where(Product.price_satang >= filters.price_min_satang)
        if filters.price_max_satang is not None:
            stmt = stmt.where(Product.price_satang <= filters.price_max_satang)
        if filters.in_stock:
            stmt = stmt.where(
                or_(
                    Product.track_inventory.is_(False),
                    exists().where(
                        ProductVariant.product_id == Product.id,
                        ProductVariant.active.is_(True),
                        ProductVariant.stock > 0,
                    ),
                )
            )
        if found:
            stmt = stmt.where(Product.id.not_in(list(found)))
        # Every term beyond the first must appear somewhere.
        for t in terms[1:]:
            stmt = stmt.where(
                or_(
                    func.instr(Product.search_name, t) > 0,
                    func.instr(Product.search_codes, t) > 0,
                    func.instr(Product.search_extra, t) > 0,
                )
            )
        return stmt

    def take(kind: str, stmt: Any, in_stock_first: bool = True) -> bool:
        if in_stock_first:
            stock_rank = exists().where(
                ProductVariant.product_id == Product.id, ProductVariant.stock > 0
            )
            stmt = stmt.order_by(stock_rank.desc(), func.length(Product.search_name), Product.id)
        for pid in session.scalars(stmt.limit(limit - len(found))):
            found.setdefault(pid, kind)
        return len(found) >= limit

    if not terms:
        take("other", base([]).order_by(Product.search_name), in_stock_first=False)
    else:
        first = terms[0]
        code = normalize_code(query) or ""
        exact = select(ProductVariant.product_id).where(
            or_(ProductVariant.sku == code, ProductVariant.barcode == code)
        )
        exact_product = select(Product.id).where(Product.sku == code)
        done = take(
            "code",
            base([or_(Product.id.in_(exact), Product.id.in_(exact_product))]),
            in_stock_first=False,
        )
        if not done:
            upper = first + "\U0010ffff"
            done = take("prefix", base([Product.search_name >= first, Product.search_name < upper]))
        if not done:
            if len(first) >= 3:
                done = take(
                    "name", base([Product.id.in_(_fts_ids("search_name : " + _fts_phrase(first)))])
                )
                if not done:
                    take("other", base([Product.id.in_(_fts_ids(_fts_phrase(first)))]))
            else:
                done = take(
                    "name", base([func.instr(Product.search_name, first) > 0]), in_stock_first=False
                )
                if not done:
                    take(
                        "other",
                        base(
                            [
                                or_(
                                    func.instr(Product.search_codes, first) > 0,
                                    func.instr(Product.search_extra, first) > 0,
                                )
                            ]
                        ),
                        in_stock_first=False,
                    )
    if not found:
        return []
    level = (
        select(func.coalesce(func.sum(ProductVariant.stock), 0))
        .where(ProductVariant.product_id == Product.id, ProductVariant.active.is_(True))
        .correlate(Product)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Product.id,
            Product.sku,
            Product.name_th,
            Product.name_en,
            Product.price_satang,
            Product.active,
            Product.track_inventory,
            Product.low_stock_threshold,
            Category.name.label("category"),
            level.label("stock"),
        )
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.id.in_(list(found)))
    ).all()
    by_id = {r.id: r for r in rows}
    return [
        SearchHit(
            product_id=pid,
            sku=r.sku,
            name_th=r.name_th,
            name_en=r.name_en,
            price_satang=r.price_satang,
            stock=int(r.stock),
            category=r.category or "",
            active=r.active,
            track_inventory=r.track_inventory,
            low_stock_threshold=r.low_stock_threshold,
            match=kind,
        )
        for pid, kind in found.items()
        if (r := by_id.get(pid)) is not None
    ]
