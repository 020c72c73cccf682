"""Render every screen of the app to PNG with the demo shop, offscreen, for a person to look at.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default: .data/screens)

Keep this script working as screens are added: it is how we look at what we build.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "minichat_desktop.keyring_memory.MemoryKeyring")

from PySide6.QtWidgets import QApplication

from minichat_desktop.storage.db import Database
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.app import build_context, prepare_demo


async def shoot(out: Path) -> list[Path]:
    from minichat_desktop.ui.main_window import MainWindow

    made: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp))
        prepare_demo(db)
        ctx = build_context(Path(tmp), db)
        for lang in ("th", "en"):
            i18n.set_language(lang)
            window = MainWindow(ctx)
            window.resize(1366, 820)
            window.show()
            await asyncio.sleep(0.3)
            for row, name in enumerate(window.SECTIONS):
                window.nav.setCurrentRow(row)
                if name == "inbox" and window.inbox.list_model.rowCount():
                    window.inbox.open_conversation(window.inbox.list_model.rows[0].id)
                if name == "pos":
                    await _fill_till(window.section_screen("pos"), made, out, lang)
                if name in ("orders", "catalog", "customers"):
                    # a row chosen: its detail pane beside the list
                    table = getattr(window.section_screen(name), "table")  # noqa: B009
                    for _ in range(50):
                        if table.model().rowCount():
                            break
                        await asyncio.sleep(0.05)
                    table.selectRow(0)
                await asyncio.sleep(0.3)
                path = out / f"{name}-{lang}.png"
                window.grab().save(str(path))
                made.append(path)
            window.close()
            window.deleteLater()
            await asyncio.sleep(0.05)
        ctx.ops.shutdown()
        db.dispose()
    return made


async def _fill_till(till: Any, made: list[Path], out: Path, lang: str) -> None:
    """A sale in progress: a shift open, three items on the bill, a discount; and the
    payment dialog over it."""
    from minichat_desktop.ui.pos_dialogs import PayDialog

    if till.shift is None:
        await till.open_shift(200_000)
    till.new_sale()
    for button in till.quick_buttons[:3]:
        button.click()
    till.model.set_quantity(0, 2)
    till.order_discount = 2_000
    till._totals_changed()
    dialog = PayDialog(sum(ln.total_satang for ln in till.model.lines) - 2_000, "0812345678", till)
    dialog.show()
    dialog.show_promptpay()
    await asyncio.sleep(0.3)
    path = out / f"pos-pay-{lang}.png"
    dialog.grab().save(str(path))
    made.append(path)
    dialog.close()
    dialog.deleteLater()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".data/screens")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    theme.apply(app)  # type: ignore[arg-type]
    app.setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    import qasync

    made = asyncio.run(shoot(out), loop_factory=lambda: qasync.QEventLoop(app))
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
