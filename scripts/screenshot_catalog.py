"""Screenshots of the catalog screen on the demo shop, offscreen: the list with a product
open, the edit dialog, the stock dialog and the import-problems dialog.

    .venv/bin/python scripts/screenshot_catalog.py [OUT_DIR]

``render(ctx, out_dir)`` is what a general screenshot script can call with its own context.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "minichat_desktop.keyring_memory.MemoryKeyring")

from PySide6.QtWidgets import QApplication, QWidget

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.ui.context import AppContext

BAD_CSV = (
    "รหัสสินค้า (sku),ชื่อสินค้า (name),ราคา (price),สต็อก (stock),หมวดหมู่ (category)\n"
    "TS-900,เสื้อยืดคอวี สีกรม,290,12,เสื้อยืด\n"
    "TS-901,,350,5,เสื้อยืด\n"
    "TS-902,เสื้อยืดโอเวอร์ไซส์,๓๙๐.๕๕๕,-3,เสื้อยืด\n"
    "TS-903,กางเกงผ้าลินิน,1.250,4,กางเกง\n"
)


async def _settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)
    QApplication.processEvents()


def _save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(f"wrote {path}")


async def render(ctx: AppContext, out_dir: Path) -> list[Path]:
    """Open the catalog screen on ``ctx`` and save PNGs into ``out_dir``; returns them."""
    from minichat_desktop.ui.catalog_screen import CatalogScreen

    out_dir.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    screen = CatalogScreen(ctx)
    screen.resize(1280, 760)
    screen.show()
    await _settle()
    # A product with variants and some history, and a row of the list selected.
    hits = ctx.ops.read_now(catalog.search_products, "เสื้อยืด", limit=5)
    screen.search.setText("เสื้อ")
    await _settle(0.4)
    if hits:
        row = screen.model.row_of(hits[0].product_id)
        screen.table.selectRow(max(row, 0))
        await _settle(0.4)
    made.append(out_dir / "catalog-list.png")
    _save(screen, made[-1])

    screen.low_stock.setChecked(True)
    screen.search.clear()
    await _settle(0.5)
    if screen.model.rowCount():
        screen.table.selectRow(0)
        await _settle(0.4)
    made.append(out_dir / "catalog-low-stock.png")
    _save(screen, made[-1])
    screen.low_stock.setChecked(False)
    await _settle(0.3)

    if hits:
        view = ctx.ops.read_now(catalog.get_product, hits[0].product_id)
        dialog = screen._open_product_dialog(view)
        await _settle()
        made.append(out_dir / "catalog-edit.png")
        _save(dialog, made[-1])
        dialog.tabs.setCurrentIndex(1)
        await _settle(0.2)
        made.append(out_dir / "catalog-edit-variants.png")
        _save(dialog, made[-1])
        dialog.reject()
        await screen.open_product(view.id)
        stock_dialog = screen.adjust_stock(view.variants[0].id)
        if stock_dialog is not None:
            await _settle(0.2)
            made.append(out_dir / "catalog-stock.png")
            _save(stock_dialog, made[-1])
            stock_dialog.reject()

    bad = Path(tempfile.mkdtemp(prefix="minichat-shot-")) / "สินค้าใหม่.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    await screen.import_file(bad)
    await _settle()
    if screen.problems_dialog is not None:
        made.append(out_dir / "catalog-import-problems.png")
        _save(screen.problems_dialog, made[-1])
        screen.problems_dialog.reject()
    await _settle(0.2)
    screen.close()
    screen.deleteLater()
    await _settle(0.1)
    return made


def main() -> int:
    import qasync

    from minichat_desktop.demo import shop as demo
    from minichat_desktop.storage.db import Database
    from minichat_desktop.ui import i18n, theme
    from minichat_desktop.ui.app import build_context

    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing the screen must not stop the loop
    theme.apply(app)  # type: ignore[arg-type]
    i18n.set_language("th")
    folder = Path(tempfile.mkdtemp(prefix="minichat-demo-"))
    db = Database.open(folder, backup=False)
    demo.fill_demo_shop(db)
    ctx = build_context(folder, db)
    try:
        asyncio.run(render(ctx, out_dir), loop_factory=lambda: qasync.QEventLoop(app))
    finally:
        ctx.ops.shutdown()
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
