"""Render every screen of the app to PNG with the demo shop, offscreen, for a person to look at.

    .venv/bin/python scripts/screenshots.py [OUT_DIR] [--size WxH]... [--dialogs]

OUT_DIR defaults to .data/screens. Each screen is grabbed in Thai and English at each size
(default: 1366x728, a shop's 1366×768 laptop less its taskbar, and 1000x640, the window's
minimum; add --size 1600x1000 for a larger screen), as ``<screen>-<lang>-<W>x<H>.png``.
``--dialogs`` grabs every dialog of tests/support/dialog_catalogue.py too
(``dialog-<name>-<lang>.png``).

Keep this script working as screens are added: it is how we look at what we build.
"""

from __future__ import annotations

import argparse
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


async def shoot(out: Path, sizes: list[tuple[int, int]], with_dialogs: bool) -> list[Path]:
    made: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp))
        prepare_demo(db)
        ctx = build_context(Path(tmp), db)
        for lang in ("th", "en"):
            i18n.set_language(lang)
            for size in sizes:
                await _screens(ctx, out, lang, size, made)
            if with_dialogs:
                await _dialogs(ctx, out, lang, made)
        ctx.ops.shutdown()
        db.dispose()
    return made


async def _screens(ctx: Any, out: Path, lang: str, size: tuple[int, int], made: list[Path]) -> None:
    """Every section of the window at ``size``."""
    from minichat_desktop.ui.main_window import MainWindow

    window = MainWindow(ctx)
    window.resize(*size)
    window.show()
    await asyncio.sleep(0.3)
    tag = f"{lang}-{size[0]}x{size[1]}"
    for row, name in enumerate(window.SECTIONS):
        window.nav.setCurrentRow(row)
        if name == "inbox" and window.inbox.list_model.rowCount():
            window.inbox.open_conversation(window.inbox.list_model.rows[0].id)
        if name == "pos":
            await _fill_till(window.section_screen("pos"), made, out, tag)
        if name in ("orders", "catalog", "customers"):
            # a row chosen: its detail pane beside the list
            table = getattr(window.section_screen(name), "table")  # noqa: B009
            for _ in range(50):
                if table.model().rowCount():
                    break
                await asyncio.sleep(0.05)
            table.selectRow(0)
        await asyncio.sleep(0.3)
        path = out / f"{name}-{tag}.png"
        window.grab().save(str(path))
        made.append(path)
    window.close()
    window.deleteLater()
    await asyncio.sleep(0.05)


async def _dialogs(ctx: Any, out: Path, lang: str, made: list[Path]) -> None:
    """Every dialog of the catalogue the tests check, as it opens."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from support.dialog_catalogue import dialogs

    for name, make in dialogs(ctx).items():
        dialog = make()
        dialog.show()
        await asyncio.sleep(0.2)
        path = out / f"dialog-{name.replace(' ', '-')}-{lang}.png"
        dialog.grab().save(str(path))
        made.append(path)
        dialog.close()
        dialog.deleteLater()


async def _fill_till(till: Any, made: list[Path], out: Path, tag: str) -> None:
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
    path = out / f"pos-pay-{tag}.png"
    dialog.grab().save(str(path))
    made.append(path)
    dialog.close()
    dialog.deleteLater()


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(x) for x in text.lower().split("x"))
    except ValueError:
        msg = f"{text!r}: write a size as WIDTHxHEIGHT, e.g. 1366x728"
        raise argparse.ArgumentTypeError(msg) from None
    if width < 1000 or height < 640:
        raise argparse.ArgumentTypeError(f"{text}: the window's minimum is 1000x640")
    return width, height


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=".data/screens", help="folder for the PNGs")
    ap.add_argument("--size", type=_size, action="append", help="WxH; may be repeated")
    ap.add_argument("--dialogs", action="store_true", help="grab every dialog too")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = args.size or [(1366, 728), (1000, 640)]
    app = QApplication.instance() or QApplication([])
    theme.apply(app)  # type: ignore[arg-type]
    app.setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    import qasync

    made = asyncio.run(shoot(out, sizes, args.dialogs), loop_factory=lambda: qasync.QEventLoop(app))
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
