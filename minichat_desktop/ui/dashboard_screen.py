"""The dashboard: the shop's numbers for a range of days at a glance — sales, orders, new
customers, conversion and average order value against the period before; the daily sales
line, the best sellers, the channel split, and how the bot is doing.

The figures come from :func:`minichat_desktop.domain.reporting.dashboard.dashboard` through
``ctx.ops`` (off the UI thread; only the latest answer is shown), with the screen's own day
cache, so a refresh reads only the days whose data changed. The screen refreshes itself when
orders, conversations, customers or the catalog change (``ops.changed`` topics and the relay's
signals, coalesced), and once a minute as a fallback for changes made elsewhere (another
process, the bot runner); while hidden it only notes that it is stale.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QHorizontalBarSeries,
    QLineSeries,
    QPieSeries,
    QPieSlice,
    QValueAxis,
)
from PySide6.QtCore import QDate, QDateTime, QEvent, QLocale, QMargins, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.domain import glossary
from minichat_desktop.domain.reporting import dashboard as dash
from minichat_desktop.domain.shop import bangkok_today
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import DomainError
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.date_edit import DateEdit
from minichat_desktop.ui.errors import error_text
from minichat_desktop.ui.setup_checklist import SetupChecklist

log = logging.getLogger(__name__)

# What, when changed, changes a figure on this screen.
TOPICS = frozenset({"orders", "pos", "conversations", "customers", "catalog", "documents"})
COALESCE_MS = 400
FALLBACK_MS = 60_000
CHANNEL_COLORS = theme.CHANNEL_COLORS
PRESETS = ("today", "7d", "30d", "this_month", "last_month", "custom")


def nice_scale(top: float, most_ticks: int = 5) -> tuple[float, int]:
    """An axis from 0 that ends above ``top`` on a round step (1, 2, 2.5 or 5 times a
    power of ten), in at most ``most_ticks`` steps: (the end, the number of steps).
    ``nice_scale(19_700)`` is ``(20_000, 4)`` — not an axis to 30,000."""
    if top <= 0:
        return 100.0, 4
    power = 10 ** math.floor(math.log10(top / most_ticks))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        steps = (
            math.floor(top / step + 1e-9) + 1
        )  # room above the top: a point never sits on the edge
        if steps <= most_ticks:
            return steps * step, max(steps, 1)
    return most_ticks * 10 * power, most_ticks  # not reached: factor 10 always fits


def value_range(low: float, high: float) -> tuple[float, float, int]:
    """An axis that takes in ``low`` (below zero on a day refunds outweighed sales) and
    ``high`` on :func:`nice_scale`'s round steps, with a tick at zero: (start, end, ticks)."""
    end, steps = nice_scale(max(high, 0.0))
    step = end / steps
    below = math.ceil(-low / step - 1e-9) if low < 0 else 0
    return -below * step, end, steps + below + 1


def even_ticks(points: int, most: int = 8) -> tuple[int, int]:
    """Ticks at a whole number of buckets apart for ``points`` buckets (days or hours):
    (buckets between two ticks, the number of intervals). The axis may run past the last
    bucket to the next tick; labels then fall on whole days or hours, never 3.3 apart."""
    span = max(points - 1, 1)
    step = math.ceil(span / (most - 1))
    return step, math.ceil(span / step)


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The Bangkok dates a preset covers (``custom`` is handled by the caller)."""
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - dt.timedelta(days=6), today
    if preset == "30d":
        return today - dt.timedelta(days=29), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(f"not a preset range: {preset}")


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# ---------------------------------------------------------------------------- tiles


class Tile(QFrame):
    """A KPI: its name, the value, and the change against the previous period."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Tile")
        theme.card(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        col = QVBoxLayout(self)
        col.setContentsMargins(14, 10, 14, 10)
        col.setSpacing(2)
        self.name = QLabel(objectName="Muted")
        self.value = QLabel()
        theme.role(self.value, "figure")
        self.value.setTextFormat(Qt.TextFormat.PlainText)
        self.change = QLabel()
        self.change.setTextFormat(Qt.TextFormat.PlainText)
        for w in (self.name, self.value, self.change):
            col.addWidget(w)
        # The name and the change wrap: five tiles side by side fit a window at its minimum
        # size (a one-line "▲ 12% from the previous period" made the row wider than it).
        self.name.setWordWrap(True)
        self.change.setWordWrap(True)

    def show_value(self, name: str, value: str, change: str = "", tone: str = "muted") -> None:
        self.name.setText(name)
        self.value.setText(value)
        self.change.setText(change)
        theme.tone(self.change, {"up": "ok", "down": "error"}.get(tone, "muted"))


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    font = QFont(theme.FONT_FAMILY, 11)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setBackgroundRoundness(10)
    chart.setMargins(QMargins(6, 6, 6, 6))
    chart.legend().setFont(QFont(theme.FONT_FAMILY, 9))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    # Axis numbers as people write money: 10,000 not 10000 (QLocale groups the thousands).
    chart.setLocale(QLocale(QLocale.Language.English, QLocale.Country.Thailand))
    chart.setLocalizeNumbers(True)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(260)
    return chart, view


# ---------------------------------------------------------------------------- the screen


class DashboardScreen(QWidget):
    """``DashboardScreen(ctx)``; :attr:`refreshed` is emitted each time new figures show."""

    refreshed = Signal(object)  # DashboardData
    open_requested = Signal(str)  # the setup card leads to where a step is done

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.data: dash.DashboardData | None = None
        # Closed days' figures kept between refreshes: a refresh reads what changed.
        self.cache = dash.DashboardCache()
        self._generation = 0
        self._stale = False
        self.busy = 0

        self.title = QLabel(objectName="Title")
        self.range_box = QComboBox()
        for key in PRESETS:
            self.range_box.addItem("", key)
        self.range_box.setCurrentIndex(PRESETS.index("30d"))
        today = bangkok_today()
        self.date_from = DateEdit(today - dt.timedelta(days=29))
        self.date_to = DateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self._custom_changed())
        self.dash = QLabel("–")
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.report_button = QPushButton()
        self.report_button.setProperty("primary", True)
        self.report_button.clicked.connect(self.open_reports)
        self.updated = QLabel(objectName="Muted")

        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addSpacing(16)
        bar.addWidget(self.range_box)
        bar.addWidget(self.date_from)
        bar.addWidget(self.dash)
        bar.addWidget(self.date_to)
        bar.addStretch(1)
        bar.addWidget(self.updated)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.report_button)

        self.error = QLabel()
        theme.tone(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()

        tiles = QHBoxLayout()
        tiles.setSpacing(10)
        self.tiles = {k: Tile() for k in ("sales", "orders", "customers", "conversion", "aov")}
        for tile in self.tiles.values():
            tiles.addWidget(tile)

        self.sales_chart, self.sales_view = _chart("")
        self.products_chart, self.products_view = _chart("")
        self.channels_chart, self.channels_view = _chart("")
        charts = QGridLayout()
        charts.setSpacing(10)
        charts.addWidget(self.sales_view, 0, 0, 1, 2)
        charts.addWidget(self.products_view, 1, 0)
        charts.addWidget(self.channels_view, 1, 1)
        charts.setColumnStretch(0, 3)
        charts.setColumnStretch(1, 2)

        self.bot_title = QLabel()
        theme.role(self.bot_title, "heading")
        bot = QHBoxLayout()
        bot.setSpacing(10)
        self.bot_tiles = {k: Tile() for k in ("chats", "closed", "handoff", "response")}
        for tile in self.bot_tiles.values():
            bot.addWidget(tile)

        # A new shop's first-run checklist: the next step and the progress, until every step
        # is done or the owner hides it (Settings → Set up keeps it).
        self.setup_card = QFrame()
        self.setup_card.setObjectName("Card")
        self.setup = SetupChecklist(ctx, compact=True)
        self.setup.open_requested.connect(self.open_requested)
        self.setup.loaded.connect(lambda c: self.setup_card.setVisible(c.on_dashboard))
        card = QVBoxLayout(self.setup_card)
        card.setContentsMargins(12, 10, 12, 10)
        card.addWidget(self.setup)
        self.setup_card.hide()

        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(10)
        col.addWidget(self.setup_card)
        col.addWidget(self.error)
        col.addLayout(tiles)
        col.addLayout(charts)
        col.addWidget(self.bot_title)
        col.addLayout(bot)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)

        self._coalesce = QTimer(self, singleShot=True, interval=COALESCE_MS)
        self._coalesce.timeout.connect(lambda: self.refresh())
        self._fallback = QTimer(self, interval=FALLBACK_MS)
        self._fallback.timeout.connect(self._data_may_have_changed)
        self._fallback.start()
        self.range_box.currentIndexChanged.connect(lambda _i: self._range_changed())
        ctx.ops.changed.connect(self.on_changed)
        # slots of this QObject, not lambdas: the context's signals outlive the screen
        ctx.signals.messages_stored_sig.connect(self.on_chats_changed)
        ctx.signals.conversations_changed_sig.connect(self.on_chats_changed)

        self.retranslate()
        self._range_changed()

    # ------------------------------------------------------------------ language

    def retranslate(self) -> None:
        self.title.setText(self.tr("Dashboard"))
        names = {
            "today": self.tr("Today"),
            "7d": self.tr("Last 7 days"),
            "30d": self.tr("Last 30 days"),
            "this_month": self.tr("This month"),
            "last_month": self.tr("Last month"),
            "custom": self.tr("Custom range"),
        }
        for i, key in enumerate(PRESETS):
            self.range_box.setItemText(i, names[key])
        self.refresh_button.setText(self.tr("Refresh"))
        self.report_button.setText(self.tr("Reports…"))
        self.bot_title.setText(self.tr("Bot performance"))
        self.sales_chart.setTitle(self.tr("Daily sales (baht)"))
        self.products_chart.setTitle(self.tr("Best sellers (baht)"))
        self.channels_chart.setTitle(self.tr("Sales by channel"))
        if self.data is not None:
            self.show_data(self.data)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ range

    def current_range(self) -> tuple[dt.date, dt.date]:
        key = str(self.range_box.currentData())
        if key == "custom":
            return _pydate(self.date_from.date()), _pydate(self.date_to.date())
        return preset_range(key, bangkok_today())

    def set_range(self, preset: str, date_from: dt.date | None = None,
                  date_to: dt.date | None = None) -> None:  # fmt: skip
        """Pick a preset (or ``custom`` with dates) as the person would."""
        if preset == "custom" and date_from is not None and date_to is not None:
            for edit, day in ((self.date_from, date_from), (self.date_to, date_to)):
                edit.blockSignals(True)
                edit.setDate(_qdate(day))
                edit.blockSignals(False)
        index = PRESETS.index(preset)
        if self.range_box.currentIndex() == index:
            self._range_changed()
        else:
            self.range_box.setCurrentIndex(index)

    def _range_changed(self) -> None:
        custom = self.range_box.currentData() == "custom"
        if not custom:
            lo, hi = self.current_range()
            for edit, day in ((self.date_from, lo), (self.date_to, hi)):
                edit.blockSignals(True)
                edit.setDate(_qdate(day))
                edit.blockSignals(False)
        for w in (self.date_from, self.date_to):
            w.setEnabled(custom)
        self.refresh()

    def _custom_changed(self) -> None:
        if self.range_box.currentData() == "custom":
            self._coalesce.start()

    # ------------------------------------------------------------------ refreshing

    def on_changed(self, topics: set[str]) -> None:
        if TOPICS & set(topics):
            self._data_may_have_changed()

    @Slot(object)
    def on_chats_changed(self, _what: object) -> None:
        self._data_may_have_changed()

    def _data_may_have_changed(self) -> None:
        if self.isVisible():
            self._coalesce.start()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.setup.refresh()  # the card shows itself (or not) once the checklist is read
        if self._stale:
            self._stale = False
            self._coalesce.start()

    @asyncSlot()
    async def refresh(self) -> None:
        """Load the figures for the current range; an older answer arriving late is dropped."""
        self._coalesce.stop()
        self._generation += 1
        generation = self._generation
        lo, hi = self.current_range()
        self.busy += 1
        try:
            data = await self.ctx.ops.read(dash.dashboard, lo, hi, cache=self.cache)
        except DomainError as exc:
            if generation == self._generation:
                self.error.setText(error_text(exc))
                self.error.show()
            return
        except Exception:
            log.exception("dashboard refresh failed for %s..%s", lo, hi)
            if generation == self._generation:
                self.error.setText(
                    self.tr("The figures could not be loaded. Details are in the log file.")
                )
                self.error.show()
            return
        finally:
            self.busy -= 1
        if generation != self._generation:
            return
        self.error.hide()
        self.show_data(data)
        self.refreshed.emit(data)
        if self.cache.missing(lo, hi, bangkok_today()):
            # The first look at a range was answered directly; read its days for the next.
            self.busy += 1
            try:
                await self.ctx.ops.read(self.cache.warm, lo, hi)
            except Exception:
                log.exception("dashboard cache warm-up failed for %s..%s", lo, hi)
            finally:
                self.busy -= 1

    # ------------------------------------------------------------------ showing

    def show_data(self, data: dash.DashboardData) -> None:
        self.data = data
        now, before = data.current, data.previous
        ch = data.change

        def change_text(value: float | None) -> tuple[str, str]:
            if value is None:
                return self.tr("no earlier figures to compare"), "muted"
            arrow = "▲" if value > 0 else "▼" if value < 0 else "="
            tone = "up" if value > 0 else "down" if value < 0 else "muted"
            return self.tr("{arrow} {pct} vs previous period").format(
                arrow=arrow, pct=f"{abs(value) * 100:.1f}%"
            ), tone

        def show(key: str, name: str, value: str, delta: float | None) -> None:
            text, tone = change_text(delta)
            self.tiles[key].show_value(name, value, text, tone)

        show("sales", self.tr("Sales"), format_baht(now.sales_satang, symbol=True),
             ch(now.sales_satang, before.sales_satang))  # fmt: skip
        show("orders", self.tr("New orders"), f"{now.orders:,}", ch(now.orders, before.orders))
        show("customers", self.tr("New customers"), f"{now.new_customers:,}",
             ch(now.new_customers, before.new_customers))  # fmt: skip
        conv_delta = (
            None if now.conversion is None or before.conversion is None
            else now.conversion - before.conversion
        )  # fmt: skip
        if conv_delta is None:
            conv_text = self.tr("{n} of {total} chats bought").format(
                n=f"{now.converted:,}", total=f"{now.conversations:,}"
            )
            tone = "muted"
        else:
            conv_text = self.tr("{sign}{pts} points vs previous period").format(
                sign="+" if conv_delta >= 0 else "−", pts=f"{abs(conv_delta) * 100:.1f}"
            )
            tone = "up" if conv_delta > 0 else "down" if conv_delta < 0 else "muted"
        self.tiles["conversion"].show_value(
            self.tr("Conversion"), percent(now.conversion), conv_text, tone
        )
        show("aov", self.tr("Average order"), format_baht(now.average_order_satang, symbol=True),
             ch(now.average_order_satang, before.average_order_satang))  # fmt: skip

        bot = data.bot
        self.bot_tiles["chats"].show_value(
            self.tr("Chats the bot answered"), f"{bot.conversations:,}",
            self.tr("of {n} chats in the period").format(n=f"{now.conversations:,}"),
        )  # fmt: skip
        self.bot_tiles["closed"].show_value(
            self.tr("Closed by the bot alone"), f"{bot.closed_by_bot:,}",
            self.tr("{pct} of the bot's chats").format(pct=percent(bot.bot_close_rate)),
        )  # fmt: skip
        self.bot_tiles["handoff"].show_value(
            self.tr("Handed to a person"), percent(bot.handoff_rate),
            self.tr("{n} chats taken over or escalated").format(n=f"{bot.handed_off:,}"),
        )  # fmt: skip
        self.bot_tiles["response"].show_value(
            self.tr("First reply (median)"), self.duration(bot.first_response_median_s),
            self.tr("{n} chats not answered yet").format(n=f"{bot.unanswered:,}")
            if bot.unanswered else self.tr("every chat answered"),
        )  # fmt: skip

        self._draw_sales(data)
        self._draw_products(data)
        self._draw_channels(data)
        stamp = dt.datetime.now().strftime("%H:%M")
        self.updated.setText(self.tr("Updated {time}").format(time=stamp))

    def duration(self, seconds: float | None) -> str:
        """A short human duration: 45 s, 3 min 20 s, 2 h 5 min."""
        if seconds is None:
            return "—"
        s = round(seconds)
        if s < 60:
            return self.tr("{s} s").format(s=s)
        if s < 3600:
            return self.tr("{m} min {s} s").format(m=s // 60, s=s % 60)
        return self.tr("{h} h {m} min").format(h=s // 3600, m=s % 3600 // 60)

    def _clear(self, chart: QChart) -> None:
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)

    def _axis_font(self) -> QFont:
        return QFont(theme.FONT_FAMILY, 8)

    def _draw_sales(self, data: dash.DashboardData) -> None:
        chart = self.sales_chart
        self._clear(chart)
        series = QLineSeries()
        series.setName(self.tr("Sales"))
        pen = QPen(QColor(theme.GREEN))
        pen.setWidth(3)
        series.setPen(pen)
        series.setPointsVisible(len(data.series) <= 45)
        # The bucket still running (today, this hour) is drawn apart, dashed: its low value is
        # "so far", not a fall.
        now = dt.datetime.now(dt.UTC)
        size = dt.timedelta(hours=1) if data.bucket == "hour" else dt.timedelta(days=1)
        done = [pt for pt in data.series if pt.start + size <= now]
        running = [pt for pt in data.series if pt.start + size > now and pt.start <= now]
        for pt in done:
            # Plotting only: the chart needs a number; money stays exact everywhere else.
            series.append(QDateTime(pt.start).toMSecsSinceEpoch(), pt.sales_satang / 100)
        chart.addSeries(series)
        so_far = QLineSeries()
        so_far.setName(self.tr("So far"))
        dashed = QPen(QColor(theme.GREEN), 2, Qt.PenStyle.DashLine)
        so_far.setPen(dashed)
        so_far.setPointsVisible(True)
        for pt in ([done[-1]] if done and running else []) + running[:1]:
            so_far.append(QDateTime(pt.start).toMSecsSinceEpoch(), pt.sales_satang / 100)
        chart.addSeries(so_far)
        top = max((pt.sales_satang / 100 for pt in data.series), default=0.0)
        x = self._time_axis(data)
        y = QValueAxis()
        low = min((pt.sales_satang / 100 for pt in data.series), default=0.0)  # refunds > sales
        start, end, ticks = value_range(low, top)
        y.setRange(start, end)
        y.setTickCount(ticks)
        y.setLabelFormat("%.0f")
        y.setLabelsFont(self._axis_font())
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for line in (series, so_far):
            line.attachAxis(x)
            line.attachAxis(y)
        chart.legend().hide()

    def _time_axis(self, data: dash.DashboardData) -> QDateTimeAxis:
        """Days (or hours) on whole-bucket ticks (even_ticks)."""
        x = QDateTimeAxis()
        hourly = data.bucket == "hour"
        x.setFormat("HH:00" if hourly else "dd/MM")
        x.setLabelsFont(self._axis_font())
        if data.series:
            step, intervals = even_ticks(len(data.series))
            first = QDateTime(data.series[0].start)
            seconds = step * (3600 if hourly else 86400)
            x.setRange(first, first.addSecs(seconds * intervals))
            x.setTickCount(intervals + 1)
        return x

    def _draw_products(self, data: dash.DashboardData) -> None:
        chart = self.products_chart
        self._clear(chart)
        ranks = list(reversed(data.top_products[:8]))  # the best at the top
        bars = QBarSet(self.tr("Sales"))
        bars.setColor(QColor(theme.GREEN))
        names = []
        for r in ranks:
            bars.append(r.sales_satang / 100)
            name = r.name if len(r.name) <= 22 else r.name[:21] + "…"
            names.append(name)
        series = QHorizontalBarSeries()
        series.append(bars)
        series.setBarWidth(0.6)
        chart.addSeries(series)
        y = QBarCategoryAxis()
        y.append(names or [self.tr("No sales yet")])
        y.setLabelsFont(QFont(theme.FONT_FAMILY, 9))
        y.setTruncateLabels(False)
        x = QValueAxis()
        values = [r.sales_satang / 100 for r in ranks]
        start, end, ticks = value_range(min(values, default=0.0), max(values, default=0.0))
        x.setRange(start, end)  # below zero for a product refunded more than sold
        x.setTickCount(ticks)
        x.setLabelFormat("%.0f")
        x.setLabelsFont(self._axis_font())
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x)
        series.attachAxis(y)
        chart.legend().hide()

    def channel_name(self, channel: str) -> str:
        return glossary.name_of(glossary.CHANNEL, channel, i18n.current_language())

    def _draw_channels(self, data: dash.DashboardData) -> None:
        chart = self.channels_chart
        self._clear(chart)
        series = QPieSeries()
        # Shares of the channels that sold more than they refunded (a slice cannot be less).
        total = sum(c.sales_satang for c in data.channels if c.sales_satang > 0)
        for c in data.channels:
            if c.sales_satang <= 0:
                continue
            share = c.sales_satang / total
            # The share inside the ring (every slice of 6 % or more: a label outside it was cut
            # off at the chart's edge); the channel's name with its share in the legend.
            piece = series.append(f"{share * 100:.0f}%", c.sales_satang / 100)
            piece.setColor(QColor(CHANNEL_COLORS.get(c.channel, theme.MUTED)))
            piece.setLabelFont(QFont(theme.FONT_FAMILY, 9, QFont.Weight.DemiBold))
            piece.setLabelColor(QColor(theme.WHITE))
            piece.setLabelPosition(QPieSlice.LabelPosition.LabelInsideHorizontal)
            piece.setLabelVisible(share >= 0.06)
            piece.setProperty("legend", f"{self.channel_name(c.channel)} {share * 100:.0f}%")
        series.setHoleSize(0.45)
        series.setPieSize(0.8)
        chart.addSeries(series)
        legend = chart.legend()
        legend.setVisible(series.count() > 0)
        legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
        for marker, piece in zip(legend.markers(series), series.slices(), strict=True):
            marker.setLabel(str(piece.property("legend")))
        if series.count() == 0:
            chart.setTitle(self.tr("Sales by channel") + " — " + self.tr("No sales yet"))
        else:
            chart.setTitle(self.tr("Sales by channel"))

    # ------------------------------------------------------------------ reports

    def open_reports(self) -> Any:
        from minichat_desktop.ui.reports_dialog import ReportsDialog

        lo, hi = self.current_range()
        dialog = ReportsDialog(self.ctx, self, date_from=lo, date_to=hi)
        dialog.finished.connect(dialog.deleteLater)
        self.reports_dialog = dialog
        dialog.open()
        return dialog


__all__ = ["DashboardScreen", "preset_range"]
