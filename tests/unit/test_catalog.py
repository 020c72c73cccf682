"""Catalog: products and variants, upsert by SKU, and search that works for Thai."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput, SearchFilters, VariantInput
from minichat_desktop.domain.models import AuditEntry, StockMovement
from minichat_desktop.errors import NotFound, UserError
from minichat_desktop.storage.db import Database


def _tee(sku: str = "TS-1", **kw: object) -> ProductInput:
    data = ProductInput(
        sku=sku,
        name_th="เสื้อยืดสีแดง คอกลม",
        name_en="Red Crew T-Shirt",
        price_satang=29900,
        category="เสื้อยืด",
        tags=["cotton", "ขายดี"],
        option_names=["สี", "ไซส์"],
        variants=[
            VariantInput(
                sku=f"{sku}-M", options={"สี": "แดง", "ไซส์": "M"}, barcode=f"885{sku}M", stock=5
            ),
            VariantInput(
                sku=f"{sku}-L", options={"ไซส์": "L", "สี": "แดง"}, stock=0, price_satang=31900
            ),
        ],
    )
    for k, v in kw.items():
        setattr(data, k, v)
    return data


def _simple(sku: str, name: str, price: int = 10000, stock: int = 3, **kw: object) -> ProductInput:
    return ProductInput(sku=sku, name_th=name, price_satang=price, stock=stock, **kw)  # type: ignore[arg-type]


def test_save_product_creates_variants_with_titles_prices_and_opening_stock(db: Database) -> None:
    """Variants get titles in option order, inherit the product price, and opening stock."""
    with db.write() as s:
        view = catalog.save_product(s, _tee(), "owner")
    assert [v.title for v in view.variants] == ["แดง / M", "แดง / L"]
    assert [v.price_satang for v in view.variants] == [29900, 31900]
    assert [v.stock for v in view.variants] == [5, 0]
    assert view.stock == 5 and view.category == "เสื้อยืด" and view.barcode is None
    with db.read() as s:
        moves = s.execute(select(StockMovement.quantity, StockMovement.reason)).all()
    assert [(q, str(r)) for q, r in moves] == [(5, "adjustment")]


def test_save_product_upserts_by_sku_and_deactivates_dropped_variants(db: Database) -> None:
    """Saving the same SKU again updates it; a variant no longer listed is deactivated."""
    with db.write() as s:
        first = catalog.save_product(s, _tee(), "owner")
    data = _tee(price_satang=25900, name_th="เสื้อยืดแดง")
    data.variants = data.variants[:1]
    with db.write() as s:
        second = catalog.save_product(s, data, "owner")
    assert second.id == first.id
    assert second.price_satang == 25900 and second.name_th == "เสื้อยืดแดง"
    assert [(v.sku, v.active) for v in second.variants] == [("TS-1-M", True), ("TS-1-L", False)]
    assert second.variants[0].stock == 5  # an update never touches stock
    with db.read() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        changes = s.scalars(select(AuditEntry.changes).order_by(AuditEntry.id.desc())).first()
    assert actions == ["product.create", "product.update"]
    assert changes is not None and changes["price_satang"] == [29900, 25900]


def test_simple_product_has_one_default_variant_with_its_sku_and_barcode(db: Database) -> None:
    with db.write() as s:
        view = catalog.save_product(s, _simple("MUG-1", "แก้วกาแฟ", barcode="8850000000017"), "o")
    assert len(view.variants) == 1
    assert view.variants[0].sku == "MUG-1" and view.barcode == "8850000000017"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sku": "  "}, "product.sku_required"),
        ({"name_th": ""}, "product.name_required"),
        ({"price_satang": -1}, "product.negative_money"),
        ({"cost_satang": -5}, "product.negative_money"),
        ({"low_stock_threshold": -1}, "product.negative_threshold"),
    ],
)
def test_invalid_products_are_refused_with_a_code(
    db: Database, change: dict[str, object], code: str
) -> None:
    data = _simple("X-1", "ของ")
    for k, v in change.items():
        setattr(data, k, v)
    with pytest.raises(UserError) as err, db.write() as s:
        catalog.save_product(s, data, "o")
    assert err.value.code == code


def test_duplicate_variant_sku_or_barcode_is_refused(db: Database) -> None:
    data = _tee()
    data.variants[1].sku = data.variants[0].sku
    with pytest.raises(UserError) as err, db.write() as s:
        catalog.save_product(s, data, "o")
    assert err.value.code == "variant.duplicate_sku"


def test_sku_or_barcode_of_another_product_is_refused_and_nothing_stored(db: Database) -> None:
    with db.write() as s:
        catalog.save_product(s, _simple("A-1", "หนึ่ง", barcode="111"), "o")
    with pytest.raises(UserError) as err, db.write() as s:
        catalog.save_product(s, _simple("B-1", "สอง", barcode="111"), "o")
    assert err.value.code == "variant.barcode_taken"
    clash = _tee("B-2")
    clash.variants[0].sku = "A-1"
    with pytest.raises(UserError) as err, db.write() as s:
        catalog.save_product(s, clash, "o")
    assert err.value.code == "variant.sku_taken"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(catalog.Product)) == 1


def test_find_variant_by_barcode_or_sku(db: Database) -> None:
    with db.write() as s:
        catalog.save_product(s, _tee(), "o")
        product, variant = catalog.find_variant_by_code(s, "885TS-1M") or (None, None)
        assert product is not None and variant is not None and variant.sku == "TS-1-M"
        found = catalog.find_variant_by_code(s, " TS-1-L ")
        assert found is not None and found[1].title == "แดง / L"
        assert catalog.find_variant_by_code(s, "nope") is None
        with pytest.raises(NotFound):
            catalog.get_product_by_sku(s, "nope")


@pytest.fixture
def shop_db(db: Database) -> Database:
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(s, _tee(), "o")
        catalog.save_product(
            s,
            _simple("SH-2", "เสื้อเชิ้ตลายสก๊อต", 59000, 2, name_en="Plaid Shirt", category="เสื้อเชิ้ต"),
            "o",
        )
        catalog.save_product(
            s,
            _simple(
                "BAG-9",
                "กระเป๋าผ้าแคนวาส",
                39000,
                0,
                name_en="Canvas Tote",
                category="กระเป๋า",
                tags=["แดง"],
            ),
            "o",
        )
        catalog.save_product(
            s, _simple("MUG-1", "แก้วมัค", 15000, 9, barcode="8851234567895", name_en="Mug"), "o"
        )
        catalog.save_product(s, _simple("OLD-1", "เสื้อรุ่นเก่า", 9900, 1, active=False), "o")
    return db


def _skus(db: Database, q: str, **kw: object) -> list[str]:
    with db.read() as s:
        return [h.sku for h in catalog.search_products(s, q, **kw)]  # type: ignore[arg-type]


def test_thai_substring_search_finds_words_inside_unspaced_text(shop_db: Database) -> None:
    """'แดง' sits inside 'เสื้อยืดสีแดง' with no spaces: trigram search finds it, then tags."""
    assert _skus(shop_db, "สีแดง") == ["TS-1"]
    assert _skus(shop_db, "แดง") == ["TS-1", "BAG-9"]  # name match before tag match


def test_name_prefix_ranks_in_stock_and_closer_names_first(shop_db: Database) -> None:
    """Within a tier: in stock first, then the shorter (closer) name; inactive hidden."""
    assert _skus(shop_db, "เสื้อ") == ["SH-2", "TS-1"]
    assert _skus(shop_db, "เสื้อ", filters=SearchFilters(active_only=False)) == [
        "OLD-1",
        "SH-2",
        "TS-1",
    ]
    assert _skus(shop_db, "กระเป๋า") == ["BAG-9"]


def test_one_and_two_character_queries(shop_db: Database) -> None:
    assert _skus(shop_db, "แ") == ["MUG-1", "TS-1", "BAG-9"]  # prefix first, then contains
    assert _skus(shop_db, "ผ้") == ["BAG-9"]
    assert _skus(shop_db, "mu") == ["MUG-1"]


def test_english_is_case_insensitive_and_codes_match_exactly_first(shop_db: Database) -> None:
    assert _skus(shop_db, "PLAID") == ["SH-2"]
    assert _skus(shop_db, "canvas tote") == ["BAG-9"]
    assert _skus(shop_db, "8851234567895") == ["MUG-1"]
    assert _skus(shop_db, "ts-1-m") == ["TS-1"]


def test_filters_category_price_and_stock(shop_db: Database) -> None:
    assert _skus(shop_db, "", filters=SearchFilters(category="กระเป๋า")) == ["BAG-9"]
    assert _skus(
        shop_db, "", filters=SearchFilters(price_min_satang=20000, price_max_satang=50000)
    ) == ["BAG-9", "TS-1"]
    assert "BAG-9" not in _skus(shop_db, "", filters=SearchFilters(in_stock=True))


def test_search_limit_and_hit_fields(shop_db: Database) -> None:
    with shop_db.read() as s:
        hits = catalog.search_products(s, "เสื้อ", limit=1)
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.sku, hit.price_satang, hit.stock, hit.category, hit.match) == (
        "SH-2",
        59000,
        2,
        "เสื้อเชิ้ต",
        "prefix",
    )


def test_search_quotes_and_fts_syntax_are_plain_text(shop_db: Database) -> None:
    """FTS5 operators typed by a person are searched for, not executed."""
    assert _skus(shop_db, 'เสื้อ" OR "แก้ว') == []
    assert _skus(shop_db, "NEAR(a b)") == []
    assert _skus(shop_db, "*") == []


def test_search_index_follows_renames(shop_db: Database) -> None:
    with shop_db.write() as s:
        data = _simple("MUG-1", "ถ้วยเซรามิก", 15000, 0, barcode="8851234567895")
        catalog.save_product(s, data, "o")
    assert _skus(shop_db, "แก้วมัค") == []
    assert _skus(shop_db, "เซรามิก") == ["MUG-1"]


def test_low_stock_listing(shop_db: Database) -> None:
    with shop_db.read() as s:
        low = catalog.list_products(s, low_stock_only=True)
    assert sorted(p.sku for p in low) == ["BAG-9", "OLD-1", "SH-2", "TS-1"]
    assert all(p.is_low_stock for p in low)
