"""What the file's products change in the stored catalog: the rows to insert, the fields to
update, the variants to add, change or deactivate and the stock levels to set — decided by
comparing each :class:`~.plan.ProductPlan` with the product stored under its SKU. No SQL here:
:mod:`.store` reads what exists and writes these.

A column absent from the file leaves that field as stored; an existing product none of whose
fields, variants or stock change is counted unchanged and not written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from minichat_desktop.domain.catalog.products import search_fields, variant_title
from minichat_desktop.formats.importer.plan import ProductPlan

PRODUCT_FIELDS: Final = (
    "name_th",
    "name_en",
    "description",
    "price_satang",
    "compare_at_satang",
    "cost_satang",
    "category_id",
    "tags",
    "option_names",
    "active",
    "low_stock_threshold",
    "search_name",
    "search_codes",
    "search_extra",
)
SEARCH_FIELDS: Final = ("search_name", "search_codes", "search_extra")
_COLUMN_FIELDS: Final = {
    "name": ("name_th",),
    "name_en": ("name_en",),
    "description": ("description",),
    "price": ("price_satang",),
    "compare_at_price": ("compare_at_satang",),
    "cost": ("cost_satang",),
    "category": ("category",),
    "tags": ("tags",),
    "active": ("active",),
    "low_stock_threshold": ("low_stock_threshold",),
}
_VARIANT_FIELDS: Final = ("barcode", "options", "title", "price_satang", "position", "active")


@dataclass(slots=True)
class Stored:
    """What the shop holds for the file's SKUs: products by SKU and their variants by product
    id (in position order), as plain attribute objects; every category by name."""

    products: dict[str, Any]
    variants: dict[int, list[Any]]
    categories: dict[str, int]


@dataclass(slots=True)
class Changes:
    """Rows in their stored form (JSON as text, times as ``stamp``); ``_id`` keys name the
    row to update."""

    new_products: list[tuple[dict[str, Any], ProductPlan]] = field(default_factory=list)
    search_updates: list[dict[str, Any]] = field(default_factory=list)  # search text changes
    plain_updates: list[dict[str, Any]] = field(default_factory=list)
    variant_updates: list[dict[str, Any]] = field(default_factory=list)
    new_variants: list[tuple[dict[str, Any], int]] = field(default_factory=list)  # (row, stock)
    stock_sets: list[tuple[int, int, bool]] = field(default_factory=list)  # (id, delta, tracked)
    created: int = 0
    updated: int = 0
    unchanged: int = 0


_JSON_CACHE: dict[tuple[Any, ...], str] = {}


def stored_json(value: list[str] | dict[str, str]) -> str:
    """What SQLAlchemy's JSON type stores (``json.dumps`` with default settings). Tag lists
    and options repeat across a file, and dumping Thai text (escaped) is not cheap: memoised."""
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    key = (type(value), *(value.items() if isinstance(value, dict) else value))
    text = _JSON_CACHE.get(key)
    if text is None:
        if len(_JSON_CACHE) > 10_000:
            _JSON_CACHE.clear()
        text = _JSON_CACHE[key] = json.dumps(value)
    return text


def decide(plans: list[ProductPlan], stored: Stored, present: set[str], stamp: str) -> Changes:
    """Compare every plan with ``stored``. ``present``: the file's columns; ``stamp``: now,
    as stored."""
    changes = Changes()
    diff = _Diff(stored, present, stamp, changes)
    for p in plans:
        old = stored.products.get(p.sku)
        if old is None:
            changes.created += 1
            changes.new_products.append((new_product_row(p, stored.categories, stamp), p))
        else:
            diff.existing(p, old)
    return changes


def new_product_row(p: ProductPlan, categories: dict[str, int], stamp: str) -> dict[str, Any]:
    vals = p.values
    category = vals["category"]
    variant_keys = [(v.sku, v.barcode, v.title) for v in p.variants]
    s_name, s_codes, s_extra = search_fields(
        vals["name_th"], vals["name_en"], p.sku, variant_keys, vals["tags"], category
    )
    return {
        "sku": p.sku,
        "name_th": vals["name_th"],
        "name_en": vals["name_en"],
        "description": vals["description"],
        "price_satang": vals["price_satang"],
        "compare_at_satang": vals["compare_at_satang"],
        "cost_satang": vals["cost_satang"],
        "category_id": categories.get(category) if category else None,
        "tags": stored_json(vals["tags"]),
        "images": "[]",
        "option_names": stored_json(p.option_names),
        "active": vals["active"],
        "track_inventory": True,
        "low_stock_threshold": vals["low_stock_threshold"],
        "weight_grams": None,
        "search_name": s_name,
        "search_codes": s_codes,
        "search_extra": s_extra,
        "created_at": stamp,
        "updated_at": stamp,
    }


def new_variant_row(product_id: int, position: int, **values: Any) -> dict[str, Any]:
    return {"product_id": product_id, **values, "stock": 0, "position": position}


class _Diff:
    """Compares plans with stored products, adding what differs to ``changes``."""

    def __init__(self, stored: Stored, present: set[str], stamp: str, changes: Changes) -> None:
        self.stored = stored
        self.present = present
        self.stamp = stamp
        self.changes = changes
        self.fields = {f for c in present for f in _COLUMN_FIELDS.get(c, ())}
        self.options_present = bool(present & {"option1_name", "option2_name"})
        self.category_names = {cid: name for name, cid in stored.categories.items()}

    def existing(self, p: ProductPlan, old: Any) -> None:
        merged, category = self._merged(p, old)
        olds = self.stored.variants.get(old.id, [])
        changed, titles = self._variants(p, old, olds, merged["option_names"])
        final_keys = self._final_keys(p, olds, titles)
        (merged["search_name"], merged["search_codes"], merged["search_extra"]) = search_fields(
            merged["name_th"], merged["name_en"], p.sku, final_keys, merged["tags"], category
        )
        changes = self.changes
        if not changed and all(merged[f] == getattr(old, f) for f in PRODUCT_FIELDS):
            changes.unchanged += 1
            return
        changes.updated += 1
        merged["tags"] = stored_json(merged["tags"])
        merged["option_names"] = stored_json(merged["option_names"])
        row = {"_id": old.id, **merged, "updated_at": self.stamp}
        if all(merged[f] == getattr(old, f) for f in SEARCH_FIELDS):
            changes.plain_updates.append(row)
        else:
            changes.search_updates.append(row)

    def _merged(self, p: ProductPlan, old: Any) -> tuple[dict[str, Any], str]:
        """The product's fields after the import (absent columns keep the stored value), and
        its category's name."""
        merged: dict[str, Any] = {f: getattr(old, f) for f in PRODUCT_FIELDS}
        category = self.category_names.get(old.category_id, "") if old.category_id else ""
        for f in self.fields:
            if f == "category":
                category = p.values["category"]
                merged["category_id"] = self.stored.categories.get(category) if category else None
            else:
                merged[f] = p.values[f]
        if self.options_present:
            merged["option_names"] = p.option_names
        return merged, category

    def _variants(
        self, p: ProductPlan, old: Any, olds: list[Any], option_names: list[str]
    ) -> tuple[bool, dict[str, str]]:
        """Add the product's new, changed and no longer listed variants and its stock levels
        to set; whether any changed, and each listed variant's title."""
        present, changes = self.present, self.changes
        by_sku = {v.sku: v for v in olds}
        changed = False
        titles: dict[str, str] = {}
        for position, v in enumerate(p.variants):
            o = by_sku.get(v.sku)
            options = v.options if self.options_present else (dict(o.options) if o else {})
            title = titles[v.sku] = variant_title(options, option_names)
            if o is None:
                changed = True
                row = new_variant_row(
                    old.id,
                    position,
                    sku=v.sku,
                    barcode=v.barcode if "barcode" in present else None,
                    options=stored_json(options),
                    title=title,
                    price_satang=v.price if "price" in present else None,
                    active=v.active if "active" in present else True,
                )
                changes.new_variants.append((row, v.stock or 0))
                continue
            vrow: dict[str, Any] = {
                "barcode": v.barcode if "barcode" in present else o.barcode,
                "options": options,
                "title": title,
                "price_satang": v.price if "price" in present else o.price_satang,
                "position": position,
                "active": v.active if "active" in present else o.active,
            }
            if any(vrow[k] != getattr(o, k) for k in vrow):
                changed = True
                changes.variant_updates.append({"_id": o.id, "_old_barcode": o.barcode, **vrow})
            if v.stock is not None and v.stock != o.stock:
                changed = True
                changes.stock_sets.append((o.id, v.stock - o.stock, bool(old.track_inventory)))
        listed = {v.sku for v in p.variants}
        for o in olds:
            if o.sku not in listed and o.active:
                changed = True
                unlisted = {f: getattr(o, f) for f in _VARIANT_FIELDS}
                unlisted.update(options=dict(o.options), active=False)
                changes.variant_updates.append({"_id": o.id, "_old_barcode": o.barcode, **unlisted})
        return changed, titles

    def _final_keys(
        self, p: ProductPlan, olds: list[Any], titles: dict[str, str]
    ) -> list[tuple[str, str | None, str]]:
        """``(sku, barcode, title)`` of the product's variants after the import, in the
        catalog's order: stored ones by position, then new ones."""
        barcode_present = "barcode" in self.present
        planned = {v.sku: v for v in p.variants}
        keys = []
        for o in olds:
            v = planned.get(o.sku)
            barcode = v.barcode if barcode_present and v is not None else o.barcode
            keys.append((o.sku, barcode, titles.get(o.sku, o.title)))
        stored_skus = {o.sku for o in olds}
        for v in p.variants:
            if v.sku not in stored_skus:
                keys.append((v.sku, v.barcode if barcode_present else None, titles[v.sku]))
        return keys
