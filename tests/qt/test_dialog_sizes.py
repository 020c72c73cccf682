"""Every dialog of the window, filled from the demo shop, opens at a size that fits a shop's
1366×768 laptop above its taskbar and inside the 1000×640 minimum window, in Thai and English,
with nothing drawn over something else or cut off (issue 16 item 2; ``support/geometry.py``).
The new-product dialog once drew its category box over the description."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog
from support.geometry import layout_problems, overlaps

from minichat_desktop.domain.catalog import products
from minichat_desktop.domain.models import OrderStatus
from minichat_desktop.domain.sales import order_notify
from minichat_desktop.domain.sales.tax_documents import Buyer
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.about_dialog import AboutDialog
from minichat_desktop.ui.app import prepare_demo
from minichat_desktop.ui.catalog_dialogs import ProductDialog, StockDialog
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.inbox import ProductPicker
from minichat_desktop.ui.orders_dialogs import (
    PaymentDialog,
    ShippingDialog,
    StatusDialog,
    TemplatesDialog,
)
from minichat_desktop.ui.pos_dialogs import BuyerDialog as CounterBuyerDialog
from minichat_desktop.ui.pos_dialogs import MoneyDialog, PayDialog
from minichat_desktop.ui.printing import BuyerDialog, ReplacementDialog
from minichat_desktop.ui.reports_dialog import ReportsDialog

# The most a dialog may take: 768 less a taskbar (40) and a title bar (~32) on the laptop.
MOST = (1000, 696)


def _dialogs(ctx: AppContext) -> dict[str, Callable[[], QDialog]]:
    with ctx.ops.db.read() as s:
        shirt = products.get_product(s, 1)
        categories = products.list_categories(s)
        templates = order_notify.get_templates(s)
    statuses = [OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.CANCELLED]
    return {
        "new product": lambda: ProductDialog(ctx, None, categories),
        "edit product": lambda: ProductDialog(ctx, shirt, categories),
        "stock": lambda: StockDialog(ctx, shirt),
        "send a product": lambda: ProductPicker(ctx),
        "order status": lambda: StatusDialog(None, ["MC-2026-000001"], statuses, has_chat=True),
        "mark paid": lambda: PaymentDialog(
            None, "MC-2026-000001", "1,040.00", "bank_transfer", has_chat=True
        ),
        "shipping": lambda: ShippingDialog(
            None, "MC-2026-000001", "kerry", "", can_ship=True, has_chat=True
        ),
        "messages to customers": lambda: TemplatesDialog(None, templates),
        "open shift": lambda: MoneyDialog("เปิดกะ", "เงินทอนตั้งต้น", None, reason=True),
        "take payment": lambda: PayDialog(104_000, "0812345678"),
        "counter buyer": lambda: CounterBuyerDialog({}),
        "credit note buyer": lambda: BuyerDialog(None, Buyer(name="คุณเอ"), credit=True),
        "replacement": lambda: ReplacementDialog(None),
        "reports": lambda: ReportsDialog(ctx),
        "about": lambda: AboutDialog(ctx),
    }


@pytest.mark.parametrize("lang", ["th", "en"])
async def test_every_dialog_fits_and_draws_nothing_over_anything(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database], lang: str
) -> None:
    db = new_db()
    prepare_demo(db)
    ctx = make_ctx(db, lang=lang)
    seen: dict[str, Any] = {}
    for name, make in _dialogs(ctx).items():
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
