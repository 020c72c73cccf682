"""Save a PNG of every Settings page, drawn offscreen with the demo shop, to look at them.

    .venv/bin/python scripts/screenshot_settings.py [OUT_FOLDER] [--lang th|en]

Runs with ``QT_QPA_PLATFORM=offscreen`` and an in-memory keyring unless told otherwise; the demo
shop goes into a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "minichat_desktop.keyring_memory.MemoryKeyring")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication

from minichat_desktop.ui.context import AppContext

SIZE = (1180, 820)


def render(ctx: AppContext, folder: Path, prefix: str = "settings") -> list[Path]:
    """Draw each settings page of ``ctx``'s shop into ``folder``; returns the files."""
    from minichat_desktop.ui.settings_screen import SettingsScreen

    folder.mkdir(parents=True, exist_ok=True)
    screen = SettingsScreen(ctx)
    screen.resize(*SIZE)
    screen.show()
    app = QApplication.instance()
    assert app is not None
    names = SettingsScreen.ORDER
    out = []
    for i, name in enumerate(names):
        screen.show_page(i)
        app.processEvents()
        path = folder / f"{prefix}-{i + 1}-{name}.png"
        screen.grab().save(str(path))
        out.append(path)
    # The profile page's other tabs.
    for tab in range(1, screen.profile.tabs.count()):
        screen.show_page(0)
        screen.profile.tabs.setCurrentIndex(tab)
        app.processEvents()
        path = folder / f"{prefix}-1{chr(ord('a') + tab)}-profile-tab{tab}.png"
        screen.grab().save(str(path))
        out.append(path)
    screen.profile.tabs.setCurrentIndex(0)
    screen.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="screenshots", type=Path)
    parser.add_argument("--lang", choices=("th", "en"), default="th")
    args = parser.parse_args()

    from minichat_desktop.demo import shop as demo
    from minichat_desktop.domain.conversations import conversations
    from minichat_desktop.storage.db import Database
    from minichat_desktop.ui import i18n, theme
    from minichat_desktop.ui.app import build_context

    app = QApplication.instance() or QApplication([])
    theme.apply(app)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="minichat-shots-") as tmp:
        db = Database.open(Path(tmp), backup=False)
        try:
            demo.fill_demo_shop(db)
            with db.write() as s:
                conversations.ensure_default_canned(s)
            ctx = build_context(Path(tmp), db)
            i18n.set_language(args.lang)
            for path in render(ctx, args.out, f"settings-{args.lang}"):
                print(path)
            ctx.ops.shutdown()
        finally:
            db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
