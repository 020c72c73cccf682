"""The dashboard screen and the reports dialog on a real database: the figures of a range in
the tiles and charts, a refresh when an order is placed elsewhere, English on request, and a
report exported (and one cancelled, leaving no file)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCharts import QHorizontalBarSeries, QLineSeries, QPieSeries
from support.waiting import until

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.conversations import conversations
from minichat_desktop.domain.models import Channel, PaymentMethod
from minichat_desktop.domain.sales import orders, refunds
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.shop import BANGKOK, bangkok_today
from minichat_desktop.ui import i18n
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dashboard_screen import (
    DashboardScreen,
    even_ticks,
    nice_scale,
    preset_range,
    value_range,
)
from minichat_desktop.ui.reports_dialog import ReportsDialog
from relay import protocol as p

D1, D3 = dt.date(2026, 3, 10), dt.date(2026, 3, 12)


async def settle(*widgets: Any) -> None:
    """Nothing left on its way, then close and delete (inside the test's loop)."""
    await asyncio.sleep(0.05)
    for w in widgets:
        if isinstance(w, DashboardScreen):
            w._coalesce.stop()
            w._fallback.stop()
            await until(lambda w=w: w.busy == 0)
        if isinstance(w, ReportsDialog):
            await until(lambda w=w: not w.running)
    for w in widgets:
        w.close()
        w.deleteLater()
    await asyncio.sleep(0.05)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), BANGKOK)


def fill(ctx: AppContext) -> None:
    """Three sales in 10–12 March 2026 (500.00 LINE, 120.00 counter, 360.00 widget) and a
    chat the bot answered in 30 s."""

    def setup(s: Any) -> None:
        shop.ensure_defaults(s)
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อยืดสีแดง", price_satang=25_000, stock=50), "o"
        )
        catalog.save_product(
            s, ProductInput(sku="P2", name_th="แก้วน้ำลายช้าง", price_satang=12_000, stock=50), "o"
        )
        for when, channel, sku, qty, ref in (
            (at(D1, 10), Channel.LINE, "P1", 2, "line:u1"),
            (at(D1 + dt.timedelta(days=1), 14), Channel.POS, "P2", 1, ""),
            (at(D3, 9), Channel.WIDGET, "P2", 3, ""),
        ):
            orders.place_order(
                s,
                NewOrder(channel=channel, lines=[LineInput(quantity=qty, sku=sku)],
                         created_at=when, conversation_ref=ref,
                         payment_method=PaymentMethod.PROMPTPAY),
                "owner",
            )  # fmt: skip
        rec = conversations.record_inbound(
            s, "line:u1", {"id": "m1", "kind": "text", "text": "มีไซส์ M ไหม"}, at=at(D1, 9)
        )
        assert rec is not None
        conversations.queue_outgoing(
            s, rec.conversation.id, p.Text("มีค่ะ"), "bot", at=at(D1, 9) + dt.timedelta(seconds=30)
        )

    ctx.ops.write_now(setup)


async def test_the_range_figures_fill_tiles_and_charts(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx()
    fill(ctx)
    screen = DashboardScreen(ctx)
    try:
        screen.resize(1300, 1000)
        screen.show()
        screen.set_range("custom", D1, D3)
        await until(lambda: screen.data is not None and screen.data.date_from == D1)
        tiles = {k: (t.name.text(), t.value.text()) for k, t in screen.tiles.items()}
        assert tiles == {
            "sales": ("ยอดขาย", "฿980.00"),
            "orders": ("ออเดอร์ใหม่", "3"),
            "customers": ("ลูกค้าใหม่", "0"),
            "conversion": ("อัตราการซื้อจากแชท", "100.0%"),
            "aov": ("ยอดเฉลี่ยต่อออเดอร์", "฿326.67"),
        }
        assert screen.tiles["conversion"].change.text() == "1 จาก 1 แชทสั่งซื้อ"
        assert screen.bot_tiles["response"].value.text() == "30 วินาที"
        assert screen.bot_tiles["closed"].value.text() == "1"

        line, so_far = screen.sales_chart.series()  # past days, and today "so far" (dashed)
        assert isinstance(line, QLineSeries) and isinstance(so_far, QLineSeries)
        assert [pt.y() for pt in line.points()] == [500.0, 120.0, 360.0]
        assert so_far.points() == []  # the range is in the past: nothing still running
        (bars,) = screen.products_chart.series()
        assert isinstance(bars, QHorizontalBarSeries)
        bar_set = bars.barSets()[0]
        assert [bar_set.at(i) for i in range(bar_set.count())] == [480.0, 500.0]
        categories = screen.products_chart.axes()[0].categories()
        assert categories == ["แก้วน้ำลายช้าง", "เสื้อยืดสีแดง"]
        (pie,) = screen.channels_chart.series()
        assert isinstance(pie, QPieSeries)
        assert sorted(s.label() for s in pie.slices()) == ["12%", "37%", "51%"]  # in the ring
        names = [m.label() for m in screen.channels_chart.legend().markers(pie)]
        assert sorted(names) == ["LINE 51%", "หน้าร้าน 12%", "แชทหน้าเว็บ 37%"]

        path = Path(ctx.data_dir) / "dashboard.png"
        assert screen.grab().save(str(path))
        assert path.stat().st_size > 10_000
    finally:
        await settle(screen)


async def test_a_refund_counts_on_its_day_below_zero_when_it_is_more_than_the_sales(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """One unit of the LINE order (250.00) given back on 11 March, a day that sold 120.00:
    the day shows -130.00 below the axis's zero, the tiles and the best sellers are net, and
    the channel shares are of the channels that sold."""
    ctx = make_ctx()
    fill(ctx)

    def refund(s: Any) -> None:
        line = orders.list_orders(s, orders.OrderFilters(channel=Channel.LINE))[0]
        orders.mark_paid(s, line.id, "owner", paid_at=at(D1, 11))
        item = orders.get_order(s, line.id).items[0].id
        refunds.refund_order(
            s, line.id, refunds.RefundRequest(quantities={item: 1}, reason="ไซส์ไม่พอดี"),
            "owner", at=at(D1 + dt.timedelta(days=1), 18),
        )  # fmt: skip

    ctx.ops.write_now(refund)
    screen = DashboardScreen(ctx)
    try:
        screen.resize(1300, 1000)
        screen.show()
        screen.set_range("custom", D1, D3)
        await until(lambda: screen.data is not None and screen.data.date_from == D1)
        assert screen.tiles["sales"].value.text() == "฿730.00"
        assert screen.tiles["orders"].value.text() == "3"
        line, _so_far = screen.sales_chart.series()
        assert [pt.y() for pt in line.points()] == [500.0, -130.0, 360.0]
        y_axis = line.attachedAxes()[1]
        assert y_axis.min() < -130.0 and y_axis.max() > 500.0
        (bars,) = screen.products_chart.series()
        bar_set = bars.barSets()[0]
        assert [bar_set.at(i) for i in range(bar_set.count())] == [250.0, 480.0]
        (pie,) = screen.channels_chart.series()
        names = [m.label() for m in screen.channels_chart.legend().markers(pie)]
        assert sorted(names) == ["LINE 34%", "หน้าร้าน 16%", "แชทหน้าเว็บ 49%"]
    finally:
        await settle(screen)


async def test_a_new_order_elsewhere_refreshes_today(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx()
    fill(ctx)
    screen = DashboardScreen(ctx)
    try:
        screen.show()
        screen.set_range("today")
        await until(lambda: screen.data is not None and screen.data.date_from == bangkok_today())
        assert screen.tiles["sales"].value.text() == "฿0.00"
        await ctx.ops.write(
            orders.place_order,
            NewOrder(channel=Channel.POS, lines=[LineInput(quantity=2, sku="P1")], completed=True),
            "staff",
        )
        await until(lambda: screen.tiles["sales"].value.text() == "฿500.00")
        assert screen.tiles["orders"].value.text() == "1"
    finally:
        await settle(screen)


async def test_english_on_request(make_ctx: Callable[..., AppContext], qtbot: Any) -> None:
    ctx = make_ctx(lang="en")
    screen = DashboardScreen(ctx)
    try:
        screen.show()
        await until(lambda: screen.data is not None)
        assert screen.title.text() == "Dashboard"
        assert screen.range_box.currentText() == "Last 30 days"
        assert screen.tiles["sales"].name.text() == "Sales"
        i18n.set_language("th")
        await until(lambda: screen.title.text() == "ภาพรวม")
        assert screen.range_box.currentText() == "30 วันล่าสุด"
    finally:
        await settle(screen)


def test_presets() -> None:
    today = dt.date(2026, 3, 15)
    assert preset_range("today", today) == (today, today)
    assert preset_range("7d", today) == (dt.date(2026, 3, 9), today)
    assert preset_range("30d", today) == (dt.date(2026, 2, 14), today)
    assert preset_range("this_month", today) == (dt.date(2026, 3, 1), today)
    assert preset_range("last_month", today) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


async def test_reports_dialog_exports_and_cancels(
    make_ctx: Callable[..., AppContext], qtbot: Any, tmp_path: Path
) -> None:
    ctx = make_ctx()
    fill(ctx)
    screen = DashboardScreen(ctx)
    screen.set_range("custom", D1, D3)
    dialog = screen.open_reports()
    try:
        assert isinstance(dialog, ReportsDialog)
        assert dialog.current_range() == (D1, D3)
        out = tmp_path / "out"
        out.mkdir()
        dialog.path.setText(str(out / "sales.xlsx"))
        result = await dialog.export()
        assert result is not None and result.path == out / "sales.xlsx"
        ws = openpyxl.load_workbook(result.path)["ยอดขายรายวัน"]
        assert [ws.cell(row=r, column=2).value for r in range(6, 10)] == [1, 1, 1, 3]
        assert dialog.progress.value() == 100
        assert dialog.status.text().startswith("บันทึก ")
        assert dialog.open_button.isVisible()

        # Cancel while the report waits for a worker: it stops before writing anything.
        gate = threading.Event()
        blockers = [asyncio.ensure_future(ctx.ops.read(lambda _s: gate.wait(10))) for _ in "ab"]
        await asyncio.sleep(0.05)
        dialog.path.setText(str(out / "sales.pdf"))
        task = asyncio.ensure_future(dialog.export())
        await until(lambda: dialog.running)
        assert dialog.close_button.text() == "ยกเลิก"
        dialog.close_button.click()
        assert dialog.status.text() == "กำลังหยุด…"
        gate.set()
        assert await task is None
        await asyncio.gather(*blockers)
        assert dialog.status.text() == "ยกเลิกแล้ว ไม่มีการสร้างไฟล์"
        assert dialog.current_format() == "pdf"
        assert sorted(f.name for f in out.iterdir()) == ["sales.xlsx"]
        assert dialog.close_button.text() == "ปิด"

        # A bad folder: the reason in Thai, no file.
        dialog.path.setText(str(tmp_path / "missing" / "r.csv"))
        assert await dialog.export() is None
        assert "ไม่พบโฟลเดอร์" in dialog.status.text()
    finally:
        await settle(dialog, screen)


@pytest.mark.parametrize(
    ("top", "end", "steps"),
    [
        (19_700, 20_000, 4),
        (8_123.5, 10_000, 5),
        (450, 500, 5),
        (1, 1.25, 5),
        (500, 600, 3),
        (0, 100, 4),
    ],
)
def test_axes_end_just_above_the_top_on_round_steps(top: float, end: float, steps: int) -> None:
    """The review saw an axis to 30,000 for a top bar of 19,700."""
    assert nice_scale(top) == (end, steps)


@pytest.mark.parametrize(
    ("points", "step", "intervals"), [(30, 5, 6), (24, 4, 6), (7, 1, 6), (1, 1, 1)]
)
def test_time_ticks_fall_on_whole_days_or_hours(points: int, step: int, intervals: int) -> None:
    """30 days: a label every 5 days (not every 4.3); 24 hours: every 4 hours."""
    assert even_ticks(points) == (step, intervals)
    assert step * intervals >= points - 1


def test_a_day_of_more_refunds_than_sales_goes_below_zero_on_round_steps() -> None:
    assert value_range(-1_200, 19_700) == (-5_000, 20_000, 6)
    assert value_range(0, 19_700) == (0, 20_000, 5)
