"""Every dialog of the window, filled from the demo shop, opens at a size that fits a shop's
1366×768 laptop above its taskbar and inside the 1000×640 minimum window, in Thai and English,
with nothing drawn over something else or cut off (issue 16 item 2; ``support/geometry.py``).
The new-product dialog once drew its category box over the description."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from support.dialog_catalogue import dialogs
from support.geometry import layout_problems, overlaps

from minichat_desktop.storage.db import Database
from minichat_desktop.ui.app import prepare_demo
from minichat_desktop.ui.context import AppContext

# The most a dialog may take: 768 less a taskbar (40) and a title bar (~32) on the laptop.
MOST = (1000, 696)


@pytest.mark.parametrize("lang", ["th", "en"])
async def test_every_dialog_fits_and_draws_nothing_over_anything(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database], lang: str
) -> None:
    db = new_db()
    prepare_demo(db)
    ctx = make_ctx(db, lang=lang)
    seen: dict[str, Any] = {}
    for name, make in dialogs(ctx).items():
        dialog = make()
        dialog.show()
        await asyncio.sleep(0.05)
        too_big = dialog.width() > MOST[0] or dialog.height() > MOST[1]
        problems = layout_problems(dialog) + overlaps(dialog)
        if too_big:
            problems.append(f"opens at {dialog.width()}×{dialog.height()}, more than {MOST}")
        if problems:
            seen[name] = problems
        dialog.close()
        dialog.deleteLater()
    assert seen == {}
