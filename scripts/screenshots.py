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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "minichat_desktop.keyring_memory.MemoryKeyring")

from PySide6.QtWidgets import QApplication

from minichat_desktop.domain.db import Database
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
