"""From checked rows to products: which rows are one product (rows sharing ``parent_sku``
are its variants), what each product and variant will hold, and the problems only a group of
rows shows (a product's rows that disagree, two variants with the same options, a SKU that is
both a product without options and a parent). No database here (see :mod:`.store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minichat_desktop.domain.catalog.products import variant_title
from minichat_desktop.formats.importer.cells import split_tags
from minichat_desktop.formats.importer.columns import DEFAULT_THRESHOLD, PRODUCT_LEVEL
from minichat_desktop.formats.importer.parse import (
    Collector,
    RowChecker,
    RowValues,
    Sheet,
    filled_rows,
    map_headers,
)
from minichat_desktop.formats.importer.problems import ImportFailed, ImportProblem


@dataclass(slots=True)
class VariantPlan:
    row: int
    sku: str
    barcode: str | None
    options: dict[str, str]
    price: int | None  # own price, None: the product's
    stock: int | None  # None: unchanged (or 0 when new)
    active: bool
    title: str = ""


@dataclass(slots=True)
class ProductPlan:
    row: int
    sku: str
    values: dict[str, Any]  # product columns as they will be stored (present columns only)
    option_names: list[str]
    variants: list[VariantPlan] = field(default_factory=list)
    grouped: bool = False
    raw: dict[str, str] = field(default_factory=dict)  # first row's product-level cells


@dataclass(slots=True)
class Planned:
    """The file's products in file order, the columns it has, warnings and its row count."""

    products: list[ProductPlan]
    present: set[str]
    warnings: list[str]
    rows: int


def plan_products(sheet: Sheet, path: Path) -> Planned:
    """Check every row and group them into products. Raises :class:`ImportFailed` listing
    every problem (a missing required column stops before the rows are read)."""
    warnings: list[str] = []
    out = Collector(sheet.headers, {}, sheet.letters)
    index = map_headers(sheet, out, warnings)
    if any(p.code == "import.missing_column" for p in out.problems):
        raise ImportFailed(path, out.problems)
    grouping = _Grouping(out)
    check = RowChecker(out)
    count = 0
    for n, cells, texts in filled_rows(sheet, index, path):
        count += 1
        sku, parent = check.sku(n, texts), check.parent(n, texts)
        group = grouping.group_of(parent)
        row = check.values(
            n, sku, cells, texts,
            product_row=not parent or parent not in grouping.products,
            inherited_options=group.option_names if group is not None else (),
        )  # fmt: skip
        if parent:
            grouping.add_variant(parent, row)
        else:
            grouping.add_simple(row)
    if count == 0 and not out.problems:
        problem = ImportProblem(0, "", "the file has a header but no products", "import.no_rows")
        raise ImportFailed(path, [problem])
    if out.problems:
        raise ImportFailed(path, out.problems)
    products = list(grouping.products.values())
    for plan in products:
        for vp in plan.variants:
            vp.title = variant_title(vp.options, plan.option_names)
    return Planned(products, set(index), warnings, count)


class _Grouping:
    """The products so far, by SKU (a product with options: by its parent SKU)."""

    def __init__(self, out: Collector) -> None:
        self.add = out.add
        self.products: dict[str, ProductPlan] = {}
        self.simple_rows: dict[str, int] = {}  # product without options → its row
        self.parent_first: dict[str, int] = {}  # parent SKU → its first variant row

    def group_of(self, parent: str) -> ProductPlan | None:
        """The product with options a variant row joins (not its first row's)."""
        if not parent:
            return None
        group = self.products.get(parent)
        return group if group is not None and group.grouped else None

    def add_simple(self, row: RowValues) -> None:
        """A row without ``parent_sku``: a product whose one variant has its SKU."""
        sku, n = row.sku, row.row
        if sku in self.parent_first:
            self.add(
                n,
                "sku",
                "import.variant_mismatch",
                f"SKU {sku} is also the parent_sku of the variants from row "
                f"{self.parent_first[sku]}",
            )
        if not sku:
            return
        self.simple_rows[sku] = n
        # "active" is the product's on a row without options; the variant takes its price.
        variant = _variant(row, price=None, active=True)
        self.products[sku] = ProductPlan(
            row=n,
            sku=sku,
            values=_product_values(row),
            option_names=row.option_names,
            variants=[variant],
            raw=row.raw,
        )

    def add_variant(self, parent: str, row: RowValues) -> None:
        """A variant row of the product ``parent`` (its first row defines the product)."""
        n = row.row
        if parent in self.simple_rows:
            self.add(
                n,
                "parent_sku",
                "import.variant_mismatch",
                f"{parent} is a product without options in row {self.simple_rows[parent]}",
            )
            return
        variant = _variant(row, price=row.money["price"], active=row.active)
        plan = self.products.get(parent)
        if plan is None:
            self.parent_first[parent] = n
            plan = self.products[parent] = ProductPlan(
                row=n,
                sku=parent,
                values=_product_values(row),
                option_names=row.option_names,
                grouped=True,
                raw=row.raw,
            )
            if variant.price == row.money["price"]:
                variant.price = None
        else:
            self._join(plan, row, variant)
        if row.sku:
            plan.variants.append(variant)

    def _join(self, plan: ProductPlan, row: RowValues, variant: VariantPlan) -> None:
        """A later row of ``plan``: product-level cells must agree with its first row's, and
        its options must differ from every other variant's."""
        n = row.row
        for key in PRODUCT_LEVEL:
            mine, theirs = row.raw[key], plan.raw[key]
            if mine and mine != theirs:
                self.add(
                    n,
                    key,
                    "import.variant_mismatch",
                    f"“{mine}” differs from row {plan.row} (“{theirs}”), the first row of "
                    f"product {plan.sku}: variants share it",
                )
        if variant.price is not None and variant.price == plan.values.get("price_satang"):
            variant.price = None
        if row.active:
            plan.values["active"] = True
        combo = _combo(row.options, plan.option_names)
        for other in plan.variants:
            if any(combo) and combo == _combo(other.options, plan.option_names):
                self.add(
                    n,
                    "option1_value",
                    "import.duplicate_variant",
                    f"row {other.row} has the same options ({' / '.join(c for c in combo if c)})",
                )
                break


def _combo(options: dict[str, str], names: Sequence[str]) -> tuple[str, ...]:
    return tuple(options.get(o, "") for o in names)


def _variant(row: RowValues, *, price: int | None, active: bool) -> VariantPlan:
    return VariantPlan(
        row=row.row,
        sku=row.sku,
        barcode=row.barcode,
        options=row.options,
        price=price,
        stock=row.stock,
        active=active,
    )


def _product_values(row: RowValues) -> dict[str, Any]:
    return {
        "name_th": row.name,
        "name_en": row.name_en,
        "description": row.description,
        "price_satang": row.money["price"],
        "compare_at_satang": row.money["compare_at_price"],
        "cost_satang": row.money["cost"],
        "category": row.category,
        "tags": split_tags(row.tags),
        "active": row.active,
        "low_stock_threshold": DEFAULT_THRESHOLD if row.threshold is None else row.threshold,
    }
