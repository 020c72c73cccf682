"""The window paints its first frame — the inbox's conversations, the badges, the shop's name —
before SQLAlchemy and the models are imported (half of the cold start on a small machine), and
everything loads right after. Run in a fresh interpreter: this test process has long imported
them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from minichat_desktop.domain import shop
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database

SCRIPT = r"""
import json, sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from minichat_desktop.storage.db import Database
from minichat_desktop.ui import app as app_module, theme
from minichat_desktop.ui.main_window import MainWindow

qt = QApplication([])
theme.apply(qt)
folder = Path(sys.argv[1])
db = Database.open(folder, backup=False)
ctx = app_module.build_context(folder, db)
window = MainWindow(ctx)
window.show()
window.repaint()
heavy = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("sqlalchemy", "alembic")
    or m in ("minichat_desktop.domain.models", "minichat_desktop.sync.client", "relay.protocol")
)
model = window.inbox.list_model
shown = {
    "heavy": heavy,
    "rows": [r.display_name for r in model.rows],
    "shop": window.shop_name.text(),
    "inbox": window.nav.item(0).text(),
}
app_module.load_domain()
window.build_rest()
shown["after"] = "sqlalchemy" in sys.modules and "catalog" in window.screens
print(json.dumps(shown, ensure_ascii=False))
ctx.ops.shutdown()
db.dispose()
"""


def test_first_paint_needs_no_sqlalchemy(db: Database) -> None:
    """The first frame shows real rows without SQLAlchemy; the rest loads after it."""
    with db.write() as s:
        for i, text in enumerate(["สวัสดีค่ะ", "มีไซส์ M ไหม"]):
            convs.record_inbound(s, f"widget:s{i}", {"id": f"m{i}", "kind": "text", "text": text})
        shop.update_profile(s, "owner", name="ร้านทดสอบ")
    folder = db.path.parent
    db.dispose()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["heavy"] == []
    assert len(shown["rows"]) == 2 and all(shown["rows"])
    assert shown["shop"] == "ร้านทดสอบ"
    assert "(2)" in shown["inbox"]  # two unread messages on the badge
    assert shown["after"] is True
