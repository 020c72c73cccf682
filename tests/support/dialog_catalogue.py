"""Every dialog of the window, made from the demo shop: what tests/qt/test_dialog_sizes.py
checks at a shop laptop's size and scripts/screenshots.py --dialogs grabs for a person to
look at. A new dialog goes here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog

from minichat_desktop.domain.catalog import products
from minichat_desktop.domain.models import OrderStatus
from minichat_desktop.domain.sales import order_notify
from minichat_desktop.domain.sales.tax_documents import Buyer
from minichat_desktop.ui.about_dialog import AboutDialog
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


def dialogs(ctx: AppContext) -> dict[str, Callable[[], QDialog]]:
    """Each dialog by a short name, made when called (the shop must hold the demo data)."""
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
