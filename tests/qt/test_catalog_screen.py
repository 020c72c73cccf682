"""The catalog screen on a real database: search as you type, filters, editing, variants,
stock adjustments with the ledger, import (problems and success), export, plain-text names."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QImage, QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog
from support.waiting import until

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.models import MovementReason
from minichat_desktop.formats import importer
from minichat_desktop.storage.db import Database
from minichat_desktop.ui import catalog_labels, i18n, theme
from minichat_desktop.ui.catalog_models import ProductTableModel
from minichat_desktop.ui.catalog_screen import CatalogScreen
from minichat_desktop.ui.context import AppContext

ACTOR = "owner"


def cells(screen: CatalogScreen) -> list[list[str]]:
    model = screen.model
    return [
        [model.data(model.index(r, c)) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def skus(screen: CatalogScreen) -> list[str]:
    return [h.sku for h in screen.model.rows]


def add(ctx: AppContext, **fields: Any) -> catalog.ProductView:
    return ctx.ops.write_now(catalog.save_product, ProductInput(**fields), ACTOR)


def fill(ctx: AppContext) -> dict[str, catalog.ProductView]:
    return {
        "shirt": add(
            ctx,
            sku="TS-001",
            name_th="เสื้อยืดคอกลม สีแดง",
            name_en="Crew-neck T-shirt, red",
            price_satang=29_000,
            category="เสื้อผ้า",
            stock=25,
        ),
        "pants": add(
            ctx,
            sku="PT-001",
            name_th="กางเกงยีนส์ขายาว",
            name_en="Long jeans",
            price_satang=125_000,
            category="เสื้อผ้า",
            stock=3,
            low_stock_threshold=5,
        ),
        "bag": add(
            ctx,
            sku="BG-001",
            name_th="กระเป๋าผ้าแคนวาส",
            name_en="Canvas tote",
            price_satang=35_050,
            category="กระเป๋า",
            stock=0,
        ),
        "old": add(
            ctx,
            sku="BG-002",
            name_th="กระเป๋าสานรุ่นเก่า",
            price_satang=19_900,
            category="กระเป๋า",
            stock=9,
            active=False,
        ),
    }


async def idle(screen: CatalogScreen) -> None:
    """Wait until the screen has nothing on its way: a test must not end while an async slot
    is still running (its next step would run after the test's loop has stopped)."""
    await asyncio.sleep(0.05)
    await until(
        lambda: screen.busy == 0 and not screen.model._fetching and not screen.timer.isActive()
    )
    await asyncio.sleep(0.02)


async def settle(screen: CatalogScreen) -> None:
    """Drop the screen before the loop closes."""
    screen.timer.stop()
    await idle(screen)
    screen.close()
    screen.deleteLater()
    await asyncio.sleep(0.05)


@pytest.fixture
async def shop(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> AsyncIterator[tuple[AppContext, CatalogScreen, dict[str, catalog.ProductView]]]:
    ctx = make_ctx()
    products = fill(ctx)
    screen = CatalogScreen(ctx)
    screen.resize(1280, 760)
    screen.show()
    await until(lambda: screen.model.rowCount() == 3)
    yield ctx, screen, products
    await settle(screen)


async def type_query(qtbot: Any, screen: CatalogScreen, text: str) -> None:
    """Type key by key, as a keyboard would (QTest.keyClicks cannot send Thai characters)."""
    screen.search.clear()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                screen.search, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch)
            )
        await asyncio.sleep(0.03)


# ---------------------------------------------------------------------------- search


async def test_typing_thai_shows_the_match_with_exact_cells(shop: Any, qtbot: Any) -> None:
    """Typing Thai key by key finds the product after the pause; cells are exact."""
    _, screen, _ = shop
    await type_query(qtbot, screen, "ยีนส์")
    await until(lambda: skus(screen) == ["PT-001"])
    assert cells(screen) == [["PT-001", "กางเกงยีนส์ขายาว", "เสื้อผ้า", "1,250.00", "3"]]
    assert screen.count_label.text() == "1 รายการ"
    await idle(screen)


async def test_one_thai_character_finds_names_starting_with_it(shop: Any, qtbot: Any) -> None:
    """A 1-character Thai query works (too short for the trigram index)."""
    _, screen, _ = shop
    await type_query(qtbot, screen, "ก")
    # Names starting with ก (in stock first), then names containing it (เสื้อยืดคอกลม).
    await until(lambda: skus(screen) == ["PT-001", "BG-001", "TS-001"])
    await idle(screen)


async def test_only_the_latest_query_is_shown(shop: Any) -> None:
    """An answer to an older query that arrives late is dropped."""
    _, screen, _ = shop
    older = asyncio.ensure_future(screen.model.reload("เสื้อ", screen.filters()))
    newer = asyncio.ensure_future(screen.model.reload("กระเป๋า", screen.filters()))
    assert await older is False
    assert await newer is True
    assert skus(screen) == ["BG-001"]
    await idle(screen)


async def test_english_and_sku_search(shop: Any, qtbot: Any) -> None:
    _, screen, _ = shop
    await type_query(qtbot, screen, "tote")
    await until(lambda: skus(screen) == ["BG-001"])
    await type_query(qtbot, screen, "TS-001")
    await until(lambda: skus(screen) == ["TS-001"])
    await idle(screen)


# ---------------------------------------------------------------------------- filters


async def test_filters_category_stock_low_and_inactive(shop: Any) -> None:
    """Category, in stock only, low stock only and include inactive narrow or widen the list."""
    _, screen, _ = shop
    assert sorted(skus(screen)) == ["BG-001", "PT-001", "TS-001"]
    screen.category.setCurrentIndex(screen.category.findData("กระเป๋า"))
    await until(lambda: skus(screen) == ["BG-001"])
    screen.include_inactive.setChecked(True)
    await until(lambda: sorted(skus(screen)) == ["BG-001", "BG-002"])
    screen.in_stock.setChecked(True)
    await until(lambda: skus(screen) == ["BG-002"])
    screen.category.setCurrentIndex(0)
    screen.in_stock.setChecked(False)
    screen.include_inactive.setChecked(False)
    screen.low_stock.setChecked(True)
    await until(lambda: sorted(skus(screen)) == ["BG-001", "PT-001"])
    # The same filters apply to a search.
    screen.search.setText("ก")
    await until(lambda: sorted(skus(screen)) == ["BG-001", "PT-001"])
    screen.search.setText("ยืด")
    await until(lambda: skus(screen) == [] and screen.count_label.text() == "ไม่พบสินค้าที่ตรงกัน")
    await idle(screen)


async def test_low_and_out_of_stock_rows_are_coloured_and_inactive_greyed(shop: Any) -> None:
    _, screen, _ = shop
    screen.include_inactive.setChecked(True)
    await until(lambda: screen.model.rowCount() == 4)
    model = screen.model

    def fg(sku: str) -> str | None:
        brush = model.data(
            model.index(model.rows.index(next(h for h in model.rows if h.sku == sku)), 4),
            Qt.ItemDataRole.ForegroundRole,
        )
        return None if brush is None else brush.color().name()

    assert fg("PT-001") == QColor(theme.AMBER).name()
    assert fg("BG-001") == QColor(theme.RED).name()
    assert fg("BG-002") == "#9aa5b1"
    assert fg("TS-001") is None
    await idle(screen)


async def test_scrolling_fetches_more_pages(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    """450 products: the list starts with a page of 200 and fetches more on demand."""
    ctx = make_ctx()
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sku", "name", "price", "stock"])
        for i in range(450):
            w.writerow([f"P-{i:04d}", f"สินค้าทดสอบ {i:04d}", "10", "1"])
    importer.import_products(ctx.ops.db, path, ACTOR)
    screen = CatalogScreen(ctx)
    screen.show()
    await until(lambda: screen.model.rowCount() == 200)
    assert screen.model.canFetchMore()
    screen.model.fetchMore()
    await until(lambda: screen.model.rowCount() == 400)
    screen.model.fetchMore()
    await until(lambda: screen.model.rowCount() == 450)
    assert not screen.model.canFetchMore()
    assert len({h.product_id for h in screen.model.rows}) == 450
    await settle(screen)


# ---------------------------------------------------------------------------- editing


async def test_editing_a_product_saves_it(shop: Any) -> None:
    """Name, price, category, tags and threshold edited in the dialog are stored."""
    ctx, screen, products = shop
    await screen.open_product(products["shirt"].id)
    await screen.edit_current()
    dialog = screen.product_dialog
    assert dialog is not None and dialog.sku.isReadOnly()
    dialog.name_th.setText("เสื้อยืดคอกลม สีแดงสด")
    dialog.price.setText("฿1,290.50")
    dialog.compare_at.setText("1,500")
    dialog.category.setCurrentText("เสื้อยืด")
    dialog.tags.setText("ใหม่, ขายดี")
    dialog.threshold.setValue(7)
    await dialog.save()
    saved = ctx.ops.read_now(catalog.get_product, products["shirt"].id)
    assert (saved.name_th, saved.price_satang, saved.compare_at_satang) == (
        "เสื้อยืดคอกลม สีแดงสด",
        129_050,
        150_000,
    )
    assert (saved.category, saved.tags, saved.low_stock_threshold) == (
        "เสื้อยืด",
        ("ใหม่", "ขายดี"),
        7,
    )
    assert saved.stock == 25
    await until(lambda: "เสื้อยืดคอกลม สีแดงสด" in [h.name_th for h in screen.model.rows])
    await until(lambda: screen.detail.title.text() == "เสื้อยืดคอกลม สีแดงสด")
    await idle(screen)


async def test_a_bad_price_is_marked_and_what_was_typed_is_kept(shop: Any) -> None:
    ctx, screen, products = shop
    await screen.open_product(products["shirt"].id)
    await screen.edit_current()
    dialog = screen.product_dialog
    assert dialog is not None
    dialog.name_th.setText("ชื่อใหม่")
    dialog.price.setText("12x")
    await dialog.save()
    assert dialog.isVisible()
    assert dialog.errors["price"].text() == "ใส่จำนวนเงิน เช่น 1,250.00"
    assert dialog.price.text() == "12x" and dialog.name_th.text() == "ชื่อใหม่"
    assert ctx.ops.read_now(catalog.get_product, products["shirt"].id).name_th == (
        "เสื้อยืดคอกลม สีแดง"
    )
    dialog.reject()
    await idle(screen)


async def test_a_taken_barcode_is_shown_next_to_the_field(shop: Any) -> None:
    ctx, screen, _ = shop
    add(ctx, sku="X-1", name_th="ของมีบาร์โค้ด", price_satang=100, barcode="8850000000017")
    screen.new_product()
    dialog = screen.product_dialog
    assert dialog is not None
    dialog.sku.setText("X-2")
    dialog.name_th.setText("ของใหม่")
    dialog.price.setText("10")
    dialog.barcode.setText("8850000000017")
    await dialog.save()
    assert dialog.errors["barcode"].text() == "บาร์โค้ด 8850000000017 ถูกใช้กับสินค้าอื่นแล้ว"
    assert dialog.isVisible()
    dialog.reject()
    await idle(screen)


async def test_new_product_with_opening_stock(shop: Any) -> None:
    ctx, screen, _ = shop
    screen.new_product()
    dialog = screen.product_dialog
    assert dialog is not None
    dialog.sku.setText("HT-001")
    dialog.name_th.setText("หมวกบักเก็ต")
    dialog.price.setText("250")
    dialog.opening.setValue(12)
    await dialog.save()
    view = ctx.ops.read_now(catalog.get_product_by_sku, "HT-001")
    assert (view.name_th, view.price_satang, view.stock) == ("หมวกบักเก็ต", 25_000, 12)
    await until(lambda: "HT-001" in skus(screen))
    await idle(screen)


async def test_adding_a_variant_to_a_product_without_options(shop: Any) -> None:
    """The product's own variant becomes row one (its stock kept); a new one is added."""
    ctx, screen, products = shop
    await screen.open_product(products["shirt"].id)
    await screen.edit_current()
    dialog = screen.product_dialog
    assert dialog is not None
    dialog.option_names.setText("ไซส์")
    row = dialog.add_variant()
    model = dialog.variant_model
    assert [r.sku for r in model.rows] == ["TS-001", "TS-001-2"]
    model.setData(model.index(0, 1), "M")
    model.setData(model.index(row, 1), "L")
    model.setData(model.index(row, 2), "8850000000024")
    model.setData(model.index(row, 3), "310.00")
    model.setData(model.index(row, 4), 4)
    await dialog.save()
    view = ctx.ops.read_now(catalog.get_product, products["shirt"].id)
    assert view.option_names == ("ไซส์",)
    got = [(v.sku, v.options, v.barcode, v.own_price_satang, v.stock) for v in view.variants]
    assert got == [
        ("TS-001", {"ไซส์": "M"}, None, None, 25),
        ("TS-001-2", {"ไซส์": "L"}, "8850000000024", 31_000, 4),
    ]
    await idle(screen)


async def test_pictures_are_copied_under_their_content_hash(shop: Any, tmp_path: Path) -> None:
    ctx, screen, products = shop
    picture = tmp_path / "รูปเสื้อ.PNG"
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#0E8F6E"))
    assert image.save(str(picture), "PNG")
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("hello", encoding="utf-8")
    await screen.open_product(products["shirt"].id)
    await screen.edit_current()
    dialog = screen.product_dialog
    assert dialog is not None
    dialog.add_image_files([picture, not_a_picture, picture])
    assert dialog.image_list.count() == 1
    assert dialog.images_error.text() == "notes.png ไม่ใช่ไฟล์รูป (ใช้ PNG, JPEG, WebP หรือ GIF)"
    await dialog.save()
    view = ctx.ops.read_now(catalog.get_product, products["shirt"].id)
    assert len(view.images) == 1
    stored = ctx.data_dir / view.images[0]
    assert view.images[0].startswith("media/products/") and stored.suffix == ".png"
    assert stored.read_bytes() == picture.read_bytes()
    await idle(screen)


# ---------------------------------------------------------------------------- stock


async def test_stock_adjustment_needs_a_reason_and_shows_in_the_ledger(shop: Any) -> None:
    ctx, screen, products = shop
    shirt = products["shirt"]
    await screen.open_product(shirt.id)
    dialog = screen.adjust_stock(shirt.variants[0].id)
    assert dialog is not None
    dialog.quantity.setValue(-4)
    dialog.reason.setCurrentText("")
    await dialog.save()
    assert dialog.isVisible()
    assert dialog.reason_error.text() == "กรุณาระบุเหตุผลของการปรับสต็อก (นับใหม่ ของเสีย ฯลฯ)"
    assert ctx.ops.read_now(stock.level, shirt.variants[0].id).stock == 25

    finished: list[int] = []
    dialog.finished.connect(finished.append)
    dialog.reason.setCurrentText("สินค้าชำรุด ขาดที่ตะเข็บ")
    await dialog.save()
    assert finished == [QDialog.DialogCode.Accepted]
    assert ctx.ops.read_now(stock.level, shirt.variants[0].id).stock == 21
    ledger = screen.detail.ledger_model
    await until(lambda: ledger.rowCount() == 2)
    assert [ledger.cell(0, c) for c in range(1, 5)] == [
        "TS-001",
        "-4",
        "ปรับสต็อก · สินค้าชำรุด ขาดที่ตะเข็บ",
        "เจ้าของร้าน",  # the owner, named in Thai (it read "owner")
    ]
    assert ledger.cell(1, 3) == "ปรับสต็อก · สต็อกตั้งต้น"  # the app's own words, in Thai
    await until(lambda: cells(screen)[skus(screen).index("TS-001")][4] == "21")
    await idle(screen)


async def test_counted_quantity_sets_the_level(shop: Any) -> None:
    ctx, screen, products = shop
    pants = products["pants"]
    await screen.open_product(pants.id)
    dialog = screen.adjust_stock(pants.variants[0].id)
    assert dialog is not None
    dialog.by_count.setChecked(True)
    assert dialog.quantity.value() == 3
    dialog.quantity.setValue(10)
    dialog.reason.setCurrentText("นับสต็อกใหม่")
    await dialog.save()
    assert ctx.ops.read_now(stock.level, pants.variants[0].id).stock == 10
    await until(lambda: screen.detail.ledger_model.rowCount() == 2)
    assert screen.detail.ledger_model.cell(0, 2) == "+7"
    await idle(screen)


async def test_removing_more_than_in_stock_is_refused(shop: Any) -> None:
    ctx, screen, products = shop
    pants = products["pants"]
    await screen.open_product(pants.id)
    dialog = screen.adjust_stock(pants.variants[0].id)
    assert dialog is not None
    dialog.quantity.setValue(-5)
    dialog.reason.setCurrentText("สูญหาย")
    await dialog.save()
    assert dialog.form_error.text() == "สต็อก PT-001 ไม่พอ: เหลือ 3 ต้องการ 5"
    assert ctx.ops.read_now(stock.level, pants.variants[0].id).stock == 3
    dialog.reject()
    await idle(screen)


# ---------------------------------------------------------------------------- import / export


async def test_bad_csv_lists_every_problem_and_stores_nothing(shop: Any, tmp_path: Path) -> None:
    ctx, screen, _ = shop
    path = tmp_path / "สินค้า.csv"
    path.write_text("sku,name,price,stock\nNEW-1,เสื้อใหม่,12x,3\nNEW-2,,50,-1\n", encoding="utf-8")
    before = ctx.ops.read_now(catalog.list_products)
    assert await screen.import_file(path) is None
    dialog = screen.problems_dialog
    assert dialog is not None and dialog.isVisible()
    model = dialog.model
    shown = [[model.cell(r, c) for c in range(3)] for r in range(model.rowCount())]
    assert shown == [
        ["2", "price", '"12x" ไม่ใช่ราคา (เขียนแบบ 1,250.00)'],
        ["3", "name", "ชื่อสินค้าว่าง"],
        ["3", "stock", '"-1" ติดลบ ใช้ 0 ขึ้นไป'],
    ]
    assert dialog.heading.text() == "ไม่ได้นำเข้าข้อมูลใดจาก สินค้า.csv"
    # In English the importer's own words; the English text is the tooltip either way.
    assert model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole) == (
        '"12x" is not a price (write it like 1,250.00)'
    )
    i18n.set_language("en")
    assert [model.cell(r, 2) for r in range(3)] == [
        '"12x" is not a price (write it like 1,250.00)',
        "the name is empty",
        '"-1" is negative; use 0 or more',
    ]
    assert ctx.ops.read_now(catalog.list_products) == before
    await idle(screen)


async def test_good_import_updates_the_table(shop: Any, tmp_path: Path) -> None:
    _, screen, _ = shop
    path = tmp_path / "good.csv"
    path.write_text(
        "รหัสสินค้า,ชื่อสินค้า,ราคา,สต็อก,หมวดหมู่\n"
        'HT-010,หมวกแก๊ปผ้าฝ้าย,"1,290.00",6,หมวก\n'
        "TS-001,เสื้อยืดคอกลม สีแดง,320,25,เสื้อผ้า\n",
        encoding="utf-8",
    )
    result = await screen.import_file(path)
    assert result is not None and (result.created, result.updated) == (1, 1)
    await until(lambda: "HT-010" in skus(screen))
    row = cells(screen)[skus(screen).index("HT-010")]
    assert row == ["HT-010", "หมวกแก๊ปผ้าฝ้าย", "หมวก", "1,290.00", "6"]
    await until(lambda: cells(screen)[skus(screen).index("TS-001")][3] == "320.00")
    assert screen.category.findData("หมวก") >= 0
    assert screen.message is not None
    assert (
        screen.message.text()
        == "เพิ่มใหม่ 1 แก้ไข 1 ไม่เปลี่ยน 0 รายการ\nบันทึกการเปลี่ยนแปลงสต็อก 1 รายการในประวัติ"
    )
    await idle(screen)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
async def test_export_writes_a_file_the_importer_reads_back(
    shop: Any, tmp_path: Path, new_db: Callable[[], Database], suffix: str
) -> None:
    ctx, screen, _ = shop
    path = tmp_path / f"สินค้าทั้งหมด{suffix}"
    result = await screen.export_to(path)
    assert result is not None and result.rows == 4
    other = new_db()
    back = importer.import_products(other, path, ACTOR)
    assert (back.created, back.updated) == (4, 0)

    def facts(db: Database) -> list[tuple[Any, ...]]:
        with db.read() as s:
            return sorted(
                (p.sku, p.name_th, p.price_satang, p.category, p.stock, p.active)
                for p in catalog.list_products(s)
            )

    assert facts(other) == facts(ctx.ops.db)
    # And importing it into the same shop changes nothing.
    again = await screen.import_file(path)
    assert again is not None and (again.created, again.updated, again.unchanged) == (0, 0, 4)
    await idle(screen)


async def test_template_is_written(shop: Any, tmp_path: Path) -> None:
    _, screen, _ = shop
    path = tmp_path / "template.csv"
    await asyncio.to_thread(importer.write_template, path)
    with path.open(encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    assert header[:3] == ["รหัสสินค้า (sku)", "ชื่อสินค้า (name)", "ราคา (price)"]
    await idle(screen)


# ---------------------------------------------------------------------------- plain text, language


async def test_html_in_a_name_is_shown_literally(shop: Any, qtbot: Any) -> None:
    ctx, screen, _ = shop
    view = add(ctx, sku="HT-1", name_th="<b>html</b> ตัวหนา", name_en="<i>x</i>", price_satang=1)
    await type_query(qtbot, screen, "html")
    await until(lambda: skus(screen) == ["HT-1"])
    assert cells(screen)[0][1] == "<b>html</b> ตัวหนา"
    await screen.open_product(view.id)
    assert screen.detail.title.text() == "<b>html</b> ตัวหนา"
    assert screen.detail.title.textFormat() == Qt.TextFormat.PlainText
    assert screen.detail.subtitle.textFormat() == Qt.TextFormat.PlainText
    assert screen.detail.subtitle.text() == "<i>x</i> · HT-1"
    await idle(screen)


async def test_switching_to_english_retranslates(shop: Any) -> None:
    _, screen, _ = shop
    assert screen.title.text() == "สินค้า"
    assert screen.model.headerData(0, Qt.Orientation.Horizontal) == "รหัสสินค้า"
    i18n.set_language("en")
    await asyncio.sleep(0.05)
    assert screen.title.text() == "Catalog"
    assert screen.in_stock.text() == "In stock only"
    assert screen.model.headerData(0, Qt.Orientation.Horizontal) == "SKU"
    assert ProductTableModel.COLUMNS[0] == "SKU"
    await idle(screen)


async def test_ctrl_f_focuses_the_search(shop: Any) -> None:
    _, screen, _ = shop
    screen.activateWindow()
    screen.search.setText("abc")
    screen.table.setFocus()
    screen.focus_search()
    await asyncio.sleep(0.02)
    assert screen.search.hasFocus() and screen.search.selectedText() == "abc"
    await idle(screen)


async def test_changes_from_elsewhere_refresh_the_list(shop: Any) -> None:
    """A write anywhere that reports "catalog" refreshes the list."""
    ctx, screen, products = shop
    await ctx.ops.write(
        stock.adjust_stock,
        products["shirt"].variants[0].id,
        -20,
        MovementReason.ADJUSTMENT,
        ACTOR,
        "ขายหน้าร้าน",
    )
    await until(lambda: cells(screen)[skus(screen).index("TS-001")][4] == "5")
    await idle(screen)


async def test_variant_input_round_trip_keeps_inactive_variants(shop: Any) -> None:
    """Saving a product with an inactive variant keeps it (inactive) with its stock."""
    ctx, screen, _ = shop
    view = add(
        ctx,
        sku="SK-1",
        name_th="กระโปรงพลีท",
        price_satang=45_000,
        option_names=["สี"],
        variants=[
            VariantInput(sku="SK-1-BK", options={"สี": "ดำ"}, stock=2),
            VariantInput(sku="SK-1-WH", options={"สี": "ขาว"}, stock=1, active=False),
        ],
    )
    await screen.open_product(view.id)
    await screen.edit_current()
    dialog = screen.product_dialog
    assert dialog is not None
    assert [(r.sku, r.values, r.active) for r in dialog.variant_model.rows] == [
        ("SK-1-BK", ["ดำ"], True),
        ("SK-1-WH", ["ขาว"], False),
    ]
    await dialog.save()
    after = ctx.ops.read_now(catalog.get_product, view.id)
    assert [(v.sku, v.active, v.stock) for v in after.variants] == [
        ("SK-1-BK", True, 2),
        ("SK-1-WH", False, 1),
    ]
    await idle(screen)


async def test_barcode_labels_sheet(shop: Any, tmp_path: Path) -> None:
    """One Code 128 label per active variant (barcode, else SKU), 24 to an A4 page."""
    ctx, screen, products = shop
    views = [ctx.ops.read_now(catalog.get_product, p.id) for p in products.values()]
    labels = catalog_labels.labels_for(views * 7)
    assert labels[0] == catalog_labels.Label("เสื้อยืดคอกลม สีแดง", "TS-001", 29_000)
    assert len(labels) == 28
    path = tmp_path / "ฉลาก.pdf"
    assert await asyncio.to_thread(catalog_labels.write_label_sheet, path, labels) == 2
    assert path.read_bytes().startswith(b"%PDF")
    await idle(screen)


async def test_an_empty_catalog_points_to_adding_and_importing(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """A shop with no products sees how to add them or import a file, not an empty table; a
    search finding nothing keeps the table; the first product replaces the hint."""
    ctx = make_ctx()
    screen = CatalogScreen(ctx)
    screen.resize(1280, 760)
    screen.show()
    await idle(screen)
    assert screen.empty.isVisible() and not screen.table.isVisible()
    assert screen.empty.title.text() == "ยังไม่มีสินค้า"
    assert screen.empty.button.text() == "นำเข้าจากไฟล์…"
    fill(ctx)
    ctx.ops.changed.emit({"catalog"})  # as a save through the screen would
    await until(lambda: screen.model.rowCount() == 3)
    await idle(screen)
    assert screen.table.isVisible() and not screen.empty.isVisible()
    await settle(screen)
