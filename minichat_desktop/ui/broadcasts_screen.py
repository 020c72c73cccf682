"""The broadcasts screen: write a message and/or pick products for cards, choose who gets it
(RFM segments, tags, pipeline statuses, widget and/or LINE) with a live count of recipients
and of the LINE pushes it needs against the quota left this month, send it now or at a set
time, and follow each broadcast's delivery results.

Sending goes through :mod:`minichat_desktop.domain.marketing.broadcasts`: "send now" makes it
due and queues the first batches at once; the app's scheduler calls ``broadcasts.send_due`` for
scheduled ones and for what is left of a large one.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import shiboken6
from PySide6.QtCore import QDateTime, QEvent, Qt, QTimer, QTimeZone, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import marketing
from minichat_desktop.domain import inbox_reads
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.domain.marketing.broadcasts import Audience, AudiencePreview, BroadcastView
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.customers_screen import (
    PIPELINE,
    SEGMENTS,
    channel_label,
    local_time,
    segment_label,
    status_label,
)
from minichat_desktop.ui.date_edit import DateTimeEdit
from minichat_desktop.ui.dialogs import ask
from minichat_desktop.ui.empty_state import EmptyState
from minichat_desktop.ui.errors import error_text, show_error
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.line_preview import LinePreview
from minichat_desktop.ui.tables import ColumnFitter, cell_item
from minichat_desktop.ui.theme import push_button
from relay import protocol as p

log = logging.getLogger(__name__)

PREVIEW_DEBOUNCE_MS = 200


def broadcast_status_label(status: str) -> str:
    return {
        "draft": t("Draft"),
        "scheduled": t("Scheduled"),
        "sending": t("Sending"),
        "sent": t("Sent"),
        "cancelled": t("Cancelled"),
    }.get(status, status)


def result_label(status: str, detail: str = "") -> str:
    if status == "skipped":
        return {
            "opted_out": t("Skipped: opted out"),
            "unfollowed": t("Skipped: blocked the shop on LINE"),
            "line_quota": t("Skipped: LINE quota used up"),
            "outside_window": t("Skipped: over 24 hours since they last wrote"),
            "cancelled": t("Skipped: broadcast cancelled"),
        }.get(detail, t("Skipped"))
    return {
        "pending": t("Waiting"),
        "queued": t("Waiting for the relay"),
        "sent": t("Sent"),
        "delivered": t("Delivered"),
        "read": t("Read"),
        "failed": t("Failed"),
    }.get(status, status)


def _checkable(list_widget: QListWidget, text: str, data: Any, checked: bool = False) -> None:
    item = QListWidgetItem(text)
    item.setData(Qt.ItemDataRole.UserRole, data)
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    list_widget.addItem(item)


def _checked(list_widget: QListWidget) -> list[Any]:
    return [
        list_widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(list_widget.count())
        if list_widget.item(i).checkState() == Qt.CheckState.Checked
    ]


def _small_list(height: int = 110) -> QListWidget:
    w = QListWidget()
    w.setFixedHeight(height)
    w.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    return w


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(28)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setShowGrid(False)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setHighlightSections(False)
    return table


class BroadcastsScreen(QWidget):
    """Broadcasts: the list with delivery results on the left, the composer on the right."""

    sent = Signal(int)  # broadcast id queued (or scheduled)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.busy = 0
        self.editing_id: int | None = None
        self.selected_id: int | None = None
        self.preview: AudiencePreview | None = None
        self.dialog: QDialog | None = None
        self.message: QMessageBox | None = None
        self.broadcasts: list[BroadcastView] = []
        self.shop_name = ""
        self._preview_seq = 0

        self.title = QLabel(objectName="Title")
        self.new_button = push_button(self.new_broadcast)
        left = self._build_list()
        scroll = self._build_composer()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([620, 620])
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addStretch(1)
        bar.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self._connect()
        self.retranslate()
        self._fill(ctx.ops.read_now(marketing.broadcasts_overview))
        self.refresh_preview()

    # ------------------------------------------------------------------ building

    @staticmethod
    def _bold_label() -> QLabel:
        return theme.role(QLabel(), "strong")

    @staticmethod
    def _note_label() -> QLabel:
        label = QLabel()
        label.setObjectName("Muted")
        label.setWordWrap(True)
        return label

    def _build_list(self) -> QWidget:
        """The broadcasts, and the delivery results of the one selected."""
        self.table = _table(5)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c, w in ((1, 100), (2, 130), (3, 80), (4, 80)):
            header.resizeSection(c, w)
        self.column_fitter = ColumnFitter(self.table, 0, (3, 2), min_stretch=120)  # to, when
        self.table.itemSelectionChanged.connect(self._picked)
        self.results_title = self._bold_label()
        self.results_summary = self._note_label()
        self.results = _table(3)
        rh = self.results.horizontalHeader()
        rh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        rh.resizeSection(1, 90)
        rh.resizeSection(2, 220)
        self.results_fitter = ColumnFitter(self.results, 0, (1,), min_stretch=120)  # via
        self.cancel_button = push_button(self.cancel_selected)
        self.edit_button = push_button(self.edit_selected)
        for b in (self.cancel_button, self.edit_button):
            b.setEnabled(False)  # until a broadcast that can be changed is picked
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.table, 3)
        # In the list's place while the shop has sent nothing: what will appear here.
        self.empty = EmptyState()
        self.empty.setVisible(False)
        lcol.addWidget(self.empty, 3)
        self.results_box = QWidget()
        rcol = QVBoxLayout(self.results_box)
        rcol.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.results_title, 1)
        head.addWidget(self.edit_button)
        head.addWidget(self.cancel_button)
        rcol.addLayout(head)
        rcol.addWidget(self.results_summary)
        rcol.addWidget(self.results, 1)
        self.results_box.setVisible(False)  # until a broadcast is picked
        lcol.addWidget(self.results_box, 2)
        return left

    def _build_composer(self) -> QWidget:
        """The message, its audience and how many it reaches (scrolling), and under them,
        always in sight, when it goes and the buttons that save or send it."""
        form = QWidget()
        col = QVBoxLayout(form)
        col.setContentsMargins(12, 0, 12, 8)
        self._build_message(col)
        self._build_audience(col)
        col.addWidget(self._build_reach())
        col.addStretch(1)
        scroll = QScrollArea(objectName="Plain")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(form)
        composer = QWidget()
        composer.setMinimumWidth(500)
        outer = QVBoxLayout(composer)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        footer = QVBoxLayout()
        footer.setContentsMargins(12, 6, 12, 0)
        self._build_when(footer)
        outer.addLayout(footer)
        return composer

    def _build_message(self, col: QVBoxLayout) -> None:
        self.compose_title = QLabel()
        theme.role(self.compose_title, "heading")
        col.addWidget(self.compose_title)
        self.name_label = QLabel()
        self.name = QLineEdit()
        self.text_label = QLabel()
        self.text = QPlainTextEdit()
        self.text.setFixedHeight(80)
        self.text_count = QLabel(objectName="Muted")
        self.products_label = QLabel()
        self.product_search = QLineEdit()
        self.product_search.setClearButtonEnabled(True)
        self.products = _small_list(104)
        self.products_count = QLabel(objectName="Muted")
        col.addWidget(self.name_label)
        col.addWidget(self.name)
        col.addWidget(self.text_label)
        col.addWidget(self.text)
        col.addWidget(self.text_count, 0, Qt.AlignmentFlag.AlignRight)
        self.line_title = QLabel(objectName="Muted")
        self.line_preview = LinePreview()
        col.addWidget(self.line_title)
        col.addWidget(self.line_preview)
        prow = QHBoxLayout()
        prow.addWidget(self.products_label)
        prow.addWidget(self.product_search, 1)
        col.addLayout(prow)
        col.addWidget(self.products)
        col.addWidget(self.products_count)

    def _build_audience(self, col: QVBoxLayout) -> None:
        """Who gets it: segments, pipeline statuses and tags, and through which channels."""
        self.audience_title = self._bold_label()
        col.addWidget(self.audience_title)
        grid = QGridLayout()
        self.segments_label = QLabel()
        self.statuses_label = QLabel()
        self.tags_label = QLabel()
        self.segments = _small_list(104)
        self.statuses = _small_list(104)
        self.tags = _small_list(104)
        for s in SEGMENTS:
            _checkable(self.segments, "", s)
        for s in PIPELINE:
            _checkable(self.statuses, "", s)
        grid.addWidget(self.segments_label, 0, 0)
        grid.addWidget(self.statuses_label, 0, 1)
        grid.addWidget(self.tags_label, 0, 2)
        grid.addWidget(self.segments, 1, 0)
        grid.addWidget(self.statuses, 1, 1)
        grid.addWidget(self.tags, 1, 2)
        col.addLayout(grid)
        chrow = QHBoxLayout()
        self.via_label = QLabel()
        self.via_widget = QCheckBox(checked=True)
        self.via_line = QCheckBox(checked=True)
        self.via_messenger = QCheckBox("Messenger", checked=True)
        self.via_instagram = QCheckBox("Instagram", checked=True)
        chrow.addWidget(self.via_label)
        for _channel, box in self._via():
            chrow.addWidget(box)
        chrow.addStretch(1)
        col.addLayout(chrow)
        self.audience_hint = self._note_label()
        col.addWidget(self.audience_hint)

    def _build_reach(self) -> QFrame:
        """How many the audience reaches, who is left out, and the LINE quota."""
        box = theme.frame_card()
        box.setObjectName("Reach")
        bcol = QVBoxLayout(box)
        self.reach = self._bold_label()
        self.left_out = self._note_label()
        qrow = QHBoxLayout()
        self.quota = QLabel()
        self.quota.setWordWrap(True)
        self.refresh_quota = push_button(self.ask_quota)
        qrow.addWidget(self.quota, 1)
        qrow.addWidget(self.refresh_quota)
        bcol.addWidget(self.reach)
        bcol.addWidget(self.left_out)
        bcol.addLayout(qrow)
        return box

    def _build_when(self, col: QVBoxLayout) -> None:
        """Now or at a time, and the buttons that save or send."""
        wrow = QHBoxLayout()
        self.when_now = QRadioButton(checked=True)
        self.when_later = QRadioButton()
        self.when = DateTimeEdit()
        self.when.setTimeZone(_bangkok_zone())
        self.when.setDateTime(QDateTime.currentDateTime().addSecs(3600))
        self.when.setEnabled(False)
        self.when_later.toggled.connect(self.when.setEnabled)
        wrow.addWidget(self.when_now)
        wrow.addWidget(self.when_later)
        wrow.addWidget(self.when, 1)
        col.addLayout(wrow)
        brow = QHBoxLayout()
        self.draft_button = push_button(self.save_draft)
        self.send_button = push_button(self.send, primary=True)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        brow.addWidget(self.feedback, 1)
        brow.addWidget(self.draft_button)
        brow.addWidget(self.send_button)
        col.addLayout(brow)

    def _connect(self) -> None:
        """A changed audience recounts the reach (after a pause); the message's length and
        the products chosen are counted as they change."""
        self.timer = QTimer(self, singleShot=True, interval=PREVIEW_DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh_preview)
        for lw in (self.segments, self.statuses, self.tags):
            lw.itemChanged.connect(lambda _i: self.timer.start())
        for _channel, cb in self._via():
            cb.toggled.connect(lambda _c: self.timer.start())
        self.text.textChanged.connect(self._count_text)
        self.products.itemChanged.connect(lambda _i: self._count_products())
        self.product_search.textChanged.connect(self._filter_products)
        self.ctx.ops.changed.connect(self.on_changed)
        # Bound methods, not lambdas: Qt drops them with the screen (the link outlives it).
        self.ctx.signals.line_quota_sig.connect(self._quota_changed)
        # Receipts (sent, delivered, read) move the results of the broadcast shown.
        self.results_timer = QTimer(self, singleShot=True, interval=500)
        self.results_timer.timeout.connect(self._refresh_results)
        self.ctx.signals.conversations_changed_sig.connect(self._conversations_changed)
        self.ctx.signals.status_changed_sig.connect(self._link_changed)

    def _via(self) -> tuple[tuple[str, QCheckBox], ...]:
        """The channel boxes, by the channel each stands for."""
        return (
            ("widget", self.via_widget),
            ("line", self.via_line),
            ("messenger", self.via_messenger),
            ("instagram", self.via_instagram),
        )

    def _quota_changed(self, _quota: object) -> None:
        self.timer.start()

    def _conversations_changed(self, _ids: object) -> None:
        self.results_timer.start()

    def _link_changed(self, _status: object) -> None:
        self._show_preview()

    # ------------------------------------------------------------------ language

    def retranslate(self) -> None:
        self.title.setText(self.tr("Broadcasts"))
        self.new_button.setText(self.tr("New broadcast"))
        self.line_title.setText(self.tr("How it looks in LINE"))
        self._show_line_preview()
        self.empty.say(
            self.tr("No broadcasts yet"),
            self.tr(
                "Write a message on the right, pick who gets it and send it now or at a time: "
                "what you send, and who read it, will be listed here."
            ),
        )
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Title"),
                self.tr("Status"),
                self.tr("When"),
                self.tr("To"),
                self.tr("Sent"),
            ]
        )
        self.results.setHorizontalHeaderLabels(
            [self.tr("Customer"), self.tr("Via"), self.tr("Result")]
        )
        self.edit_button.setText(self.tr("Edit"))
        self.cancel_button.setText(self.tr("Cancel broadcast"))
        self.name_label.setText(self.tr("Title (only you see it)"))
        self.text_label.setText(self.tr("Message"))
        self.text.setPlaceholderText(self.tr("e.g. 20% off everything this weekend only!"))
        self.products_label.setText(self.tr("Products as cards"))
        self.product_search.setPlaceholderText(self.tr("Find a product"))
        self.audience_title.setText(self.tr("Who gets it"))
        self.segments_label.setText(self.tr("Segments"))
        self.statuses_label.setText(self.tr("Pipeline"))
        self.tags_label.setText(self.tr("Tags"))
        for i, s in enumerate(SEGMENTS):
            self.segments.item(i).setText(segment_label(s))
        for i, s in enumerate(PIPELINE):
            self.statuses.item(i).setText(status_label(s))
        self.via_label.setText(self.tr("Send through"))
        self.via_widget.setText(self.tr("Website chat"))
        self.via_line.setText("LINE")
        self.audience_hint.setText(
            self.tr(
                "Nothing ticked in a box means everyone. Customers who opted out are "
                "always left out."
            )
        )
        self.refresh_quota.setText(self.tr("Check quota"))
        self.when_now.setText(self.tr("Send now"))
        self.when_later.setText(self.tr("Send at"))
        self.draft_button.setText(self.tr("Save draft"))
        self._show_compose_title()
        self._count_text()
        self._count_products()
        self._show_preview()
        self._show_send_label()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _show_compose_title(self) -> None:
        self.compose_title.setText(
            self.tr("New broadcast") if self.editing_id is None else self.tr("Edit broadcast")
        )

    def _show_send_label(self) -> None:
        self.send_button.setText(self.tr("Send…"))

    # ------------------------------------------------------------------ filling

    def _fill(self, overview: marketing.BroadcastsOverview) -> None:
        broadcasts, products, tags = list(overview.broadcasts), overview.products, overview.tags
        self.broadcasts = broadcasts
        # Read with each refresh, not on every key typed into the message.
        self.shop_name = self.ctx.ops.peek(inbox_reads.shop_name)
        self.table.setVisible(bool(broadcasts))
        self.empty.setVisible(not broadcasts)
        self.table.setRowCount(len(broadcasts))
        for r, b in enumerate(broadcasts):
            when = b.sent_at or b.scheduled_at or b.created_at
            to = sum(b.recipients.values())
            reached = b.recipients.get("sent", 0)
            cells = (
                b.title,
                broadcast_status_label(b.status),
                local_time(when),
                f"{to:,}" if to else "—",
                f"{reached:,}" if to else "—",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, b.id)
                if c == 1 and b.status == "cancelled":
                    item.setForeground(QColor(theme.MUTED))
                self.table.setItem(r, c, item)
            if b.id == self.selected_id:
                self.table.selectRow(r)
        if self.products.count() == 0 or len(products) != self.products.count():
            chosen = set(_checked(self.products))
            self.products.blockSignals(True)
            self.products.clear()
            for pid, name, price in products:
                _checkable(
                    self.products,
                    f"{name}  ·  {format_baht(price, symbol=True)}",
                    pid,
                    pid in chosen,
                )
            self.products.blockSignals(False)
        chosen_tags = set(_checked(self.tags))
        self.tags.blockSignals(True)
        self.tags.clear()
        for tag in tags:
            _checkable(self.tags, tag, tag, tag in chosen_tags)
        self.tags.blockSignals(False)
        self._count_products()

    def _count_text(self) -> None:
        self._show_line_preview()
        n = p.utf16_len(self.text.toPlainText())  # as the relay and LINE count
        self.text_count.setText(self.tr("{n} / {max} characters").format(n=n, max=p.MAX_TEXT))
        theme.tone(self.text_count, "error" if n > p.MAX_TEXT else None)

    def _show_line_preview(self) -> None:
        """The message as a shopper will see it in LINE (text, then the picked cards)."""
        picked = set(_checked(self.products))
        cards = []
        for i in range(self.products.count()):
            item = self.products.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in picked:
                cards.append(item.text().replace("  ·  ", "\n"))
        self.line_preview.show_message(
            self.shop_name,
            self.text.toPlainText(),
            cards,
            self.tr("Your message shows here as your customers will see it in LINE."),
        )

    def _count_products(self) -> None:
        self._show_line_preview()
        n = len(_checked(self.products))
        self.products_count.setText(
            self.tr("{n} products picked (at most {max})").format(n=n, max=p.MAX_CARDS)
        )
        theme.tone(self.products_count, "error" if n > p.MAX_CARDS else None)

    def _filter_products(self, text: str) -> None:
        q = text.strip().casefold()
        for i in range(self.products.count()):
            item = self.products.item(i)
            item.setHidden(bool(q) and q not in item.text().casefold())

    @asyncSlot(set)
    async def on_changed(self, topics: set[str]) -> None:
        if not topics & {"broadcasts", "customers", "catalog"}:
            return
        self.busy += 1
        try:
            self._fill(await self.ctx.ops.read(marketing.broadcasts_overview))
            if self.selected_id is not None:
                await self.show_results(self.selected_id)
            self.timer.start()
        finally:
            self.busy -= 1

    # ------------------------------------------------------------------ audience

    def audience(self) -> Audience:
        channels = tuple(c for c, box in self._via() if box.isChecked())
        return Audience(
            tuple(_checked(self.segments)),
            tuple(_checked(self.tags)),
            tuple(_checked(self.statuses)),
            channels,
        )

    def _outside_window(self, counts: dict[str, int]) -> list[str]:
        """ "นอกช่วง 24 ชม. ของ Messenger: 12 คน" for each Meta channel with someone left
        out that way (Meta lets a broadcast reach only who wrote within 24 hours)."""
        return [
            self.tr("Outside {channel}'s 24-hour window: {n}").format(
                channel=channel_label(channel), n=f"{counts[channel]:,}"
            )
            for channel in ("messenger", "instagram")
            if counts.get(channel)
        ]

    @asyncSlot()
    async def refresh_preview(self) -> None:
        if not shiboken6.isValid(self.timer):
            return  # the screen was closed before this ran (it is asked for on opening)
        self.timer.stop()
        self._preview_seq += 1
        seq = self._preview_seq
        self.busy += 1
        try:
            preview = await self.ctx.ops.read(bc.preview_audience, self.audience())
        except DomainError as exc:
            if seq == self._preview_seq:
                self.preview = None
                self.reach.setText(error_text(exc))
                self.left_out.setText("")
            return
        finally:
            self.busy -= 1
        if seq == self._preview_seq and shiboken6.isValid(self.reach):
            self.preview = preview
            self._show_preview()

    def _show_preview(self) -> None:
        pre = self.preview
        if pre is None:
            self.reach.setText("")
            self.left_out.setText("")
            self.quota.setText("")
            return
        self.reach.setText(self._reach_text(pre))
        left_out = self.tr(
            "Left out: {opted} opted out, {blocked} blocked the shop on LINE, "
            "{nochat} never chatted"
        ).format(
            opted=f"{pre.opted_out:,}",
            blocked=f"{pre.unfollowed:,}",
            nochat=f"{pre.unreachable:,}",
        )
        self.left_out.setText(" · ".join([left_out, *self._outside_window(pre.outside_window)]))
        q = pre.quota
        if pre.line == 0:
            text, warn = self.tr("No LINE pushes needed."), False
        elif q is None:
            text, warn = (
                self.tr(
                    "Needs {n} LINE pushes. The quota left is not known yet: press Check quota."
                ).format(n=f"{pre.line:,}"),
                False,
            )
        elif q.limit is None:
            text, warn = (
                self.tr("Needs {n} LINE pushes; your LINE plan has no monthly limit.").format(
                    n=f"{pre.line:,}"
                ),
                False,
            )
        else:
            text = self.tr("Needs {n} LINE pushes; {left} of {limit} left this month.").format(
                n=f"{pre.line:,}", left=f"{q.remaining:,}", limit=f"{q.limit:,}"
            )
            warn = pre.over_quota > 0
            if warn:
                text += " " + self.tr("{over} LINE recipients will be skipped.").format(
                    over=f"{pre.over_quota:,}"
                )
        self.quota.setText(text)
        theme.tone(self.quota, "error" if warn else None)
        online = self.ctx.relay is not None and self.ctx.relay.online
        self.refresh_quota.setEnabled(online)

    @asyncSlot()
    async def ask_quota(self) -> bool:
        """Ask the relay for the LINE quota (the answer arrives as a line_quota frame, is
        stored by the sync client, and refreshes the preview)."""
        if self.ctx.relay is None:
            return False
        return await self.ctx.relay.send_live(p.GetLineQuota(f"q-{secrets.token_hex(4)}"))

    # ------------------------------------------------------------------ composing

    def new_broadcast(self) -> None:
        self.editing_id = None
        self.name.clear()
        self.text.clear()
        for lw in (self.products, self.segments, self.statuses, self.tags):
            for i in range(lw.count()):
                lw.item(i).setCheckState(Qt.CheckState.Unchecked)
        for _channel, box in self._via():
            box.setChecked(True)
        self.when_now.setChecked(True)
        self.feedback.setText("")
        self._show_compose_title()
        self.name.setFocus()

    def _load_into_composer(self, b: BroadcastView) -> None:
        self.editing_id = b.id
        self.name.setText(b.title)
        self.text.setPlainText(b.text)
        for lw, chosen in (
            (self.products, set(b.product_ids)),
            (self.segments, set(b.audience.segments)),
            (self.statuses, set(b.audience.statuses)),
            (self.tags, set(b.audience.tags)),
        ):
            lw.blockSignals(True)
            for i in range(lw.count()):
                item = lw.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in chosen
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            lw.blockSignals(False)
        for channel, box in self._via():
            box.setChecked(channel in b.audience.channels)
        if b.scheduled_at is not None and b.status == "scheduled":
            self.when_later.setChecked(True)
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(b.scheduled_at.timestamp())))
        else:
            self.when_now.setChecked(True)
        self._show_compose_title()
        self._count_products()
        self.timer.start()

    def _fields(self) -> dict[str, Any]:
        return {
            "title": self.name.text(),
            "text": self.text.toPlainText(),
            "product_ids": [int(x) for x in _checked(self.products)],
            "audience": self.audience(),
        }

    def _say(self, text: str, *, warn: bool = False) -> None:
        self.feedback.setText(text)
        theme.tone(self.feedback, "error" if warn else "ok")

    async def _store(self) -> BroadcastView | None:
        try:
            view = await self.ctx.ops.write(
                marketing.save_broadcast,
                self.editing_id,
                self.ctx.ops.actor,
                **self._fields(),
            )
        except DomainError as exc:
            self._say(error_text(exc), warn=True)  # what was typed stays
            return None
        self.editing_id = view.id
        self.selected_id = view.id
        self._show_compose_title()
        return view

    @asyncSlot()
    async def save_draft(self) -> BroadcastView | None:
        self.busy += 1
        try:
            view = await self._store()
            if view is not None:
                self._say(self.tr("Draft saved."))
            return view
        finally:
            self.busy -= 1

    def _reach_text(self, pre: AudiencePreview) -> str:
        """How many it reaches, by channel (Messenger and Instagram when the shop is there)."""
        reach = self.tr("{n} recipients: {widget} on the website, {line} on LINE").format(
            n=f"{pre.recipients:,}", widget=f"{pre.widget:,}", line=f"{pre.line:,}"
        )
        if pre.messenger or pre.instagram or pre.outside_window:  # a shop on Meta
            reach += ", " + self.tr("{messenger} on Messenger, {instagram} on Instagram").format(
                messenger=f"{pre.messenger:,}", instagram=f"{pre.instagram:,}"
            )
        return reach

    def _confirm_text(self, pre: AudiencePreview, at: dt.datetime | None) -> str:
        lines = [self._reach_text(pre), *self._outside_window(pre.outside_window)]
        if pre.over_quota:
            lines.append(
                self.tr("{over} LINE recipients will be skipped.").format(
                    over=f"{pre.over_quota:,}"
                )
            )
        if at is not None:
            lines.append(self.tr("It will be sent on {when}.").format(when=local_time(at)))
        return "\n".join(lines)

    @asyncSlot()
    async def send(self) -> bc.SendReport | BroadcastView | None:
        """Save, confirm with the recipient count (and the LINE quota), then send now or
        schedule."""
        at: dt.datetime | None = None
        if self.when_later.isChecked():
            at = dt.datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), dt.UTC)
            if at <= dt.datetime.now(dt.UTC):
                self._say(error_text(_past_time()), warn=True)
                return None
        self.busy += 1
        try:
            view = await self._store()
            if view is None:
                return None
            pre = await self.ctx.ops.read(bc.preview_audience, view.audience)
            self.preview = pre
            self._show_preview()
            if pre.recipients == 0:
                self._say(self.tr("Nobody matches: change who gets it."), warn=True)
                return None
            box = QMessageBox(self)
            theme.message_icon(box, "question")
            box.setWindowTitle(self.tr("Send broadcast"))
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setText(self._confirm_text(pre, at))
            box.setStandardButtons(
                QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel
            )
            box.button(QMessageBox.StandardButton.Ok).setText(
                self.tr("Send now") if at is None else self.tr("Schedule")
            )
            box.button(QMessageBox.StandardButton.Cancel).setText(self.tr("Not yet"))
            if await ask(box, self) != QMessageBox.StandardButton.Ok.value:
                return None
            try:
                if at is None:
                    report = await self.ctx.ops.run(
                        marketing.send_now, view.id, self.ctx.ops.actor, dt.datetime.now(dt.UTC)
                    )
                    self._say(self.tr("Sent to the outbox: it goes out as the relay takes it."))
                    result: bc.SendReport | BroadcastView = report
                else:
                    now = dt.datetime.now(dt.UTC)
                    result = await self.ctx.ops.write(
                        bc.schedule, view.id, self.ctx.ops.actor, at, now
                    )
                    self._say(self.tr("Scheduled for {when}.").format(when=local_time(at)))
            except DomainError as exc:
                show_error(self, exc)
                return None
            self.editing_id = None
            self._show_compose_title()
            self.sent.emit(view.id)
            return result
        finally:
            self.busy -= 1

    # ------------------------------------------------------------------ results

    def _picked(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            bid = int(cell_item(self.table, rows[0].row(), 0).data(Qt.ItemDataRole.UserRole))
            if bid != self.selected_id:
                self.selected_id = bid
                self.show_results(bid)

    @asyncSlot(int)
    async def show_results(self, broadcast_id: int) -> bc.BroadcastResults | None:
        self.busy += 1
        try:
            res = await self.ctx.ops.read(bc.results, broadcast_id)
        except DomainError as exc:
            log.info("broadcast %s is gone: %s", broadcast_id, exc.message)
            return None
        finally:
            self.busy -= 1
        if self.selected_id != broadcast_id:
            return None
        b = res.broadcast
        self.results_box.setVisible(True)
        self.results_title.setText(b.title)
        c = res.counts
        parts = [
            self.tr("Read {n}").format(n=c.get("read", 0)),
            self.tr("Delivered {n}").format(n=c.get("delivered", 0)),
            self.tr("Sent {n}").format(n=c.get("sent", 0)),
            self.tr("Waiting {n}").format(n=c.get("queued", 0) + c.get("pending", 0)),
            self.tr("Failed {n}").format(n=c.get("failed", 0)),
            self.tr("Skipped {n}").format(n=c.get("skipped", 0)),
        ]
        parts += self._outside_window(res.outside_window)
        self.results_summary.setText(" · ".join(parts))
        self.results.setRowCount(len(res.recipients))
        for r, rec in enumerate(res.recipients):
            cells = (
                rec.customer_name or t("(no name)"),
                channel_label(rec.channel) or "—",
                result_label(rec.status, rec.detail),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 2 and rec.status in ("failed", "skipped"):
                    item.setForeground(QColor(theme.RED if rec.status == "failed" else theme.MUTED))
                self.results.setItem(r, col, item)
        self.cancel_button.setEnabled(b.status in ("draft", "scheduled", "sending"))
        self.edit_button.setEnabled(b.status in ("draft", "scheduled"))
        return res

    def _refresh_results(self) -> None:
        if self.selected_id is not None and self.isVisible():
            self.show_results(self.selected_id)

    @asyncSlot()
    async def edit_selected(self) -> None:
        if self.selected_id is None:
            return
        b = next((x for x in self.broadcasts if x.id == self.selected_id), None)
        if b is not None:
            self._load_into_composer(b)

    @asyncSlot()
    async def cancel_selected(self) -> BroadcastView | None:
        if self.selected_id is None:
            return None
        self.busy += 1
        try:
            view = await self.ctx.ops.write(bc.cancel, self.selected_id, self.ctx.ops.actor)
        except DomainError as exc:
            show_error(self, exc)
            return None
        finally:
            self.busy -= 1
        if self.editing_id == view.id:
            self.new_broadcast()
        return view


def _past_time() -> DomainError:
    return UserError("broadcast.past_time", "the time set has passed")


def _bangkok_zone() -> QTimeZone:
    return QTimeZone(str(BANGKOK).encode())


__all__ = ["BroadcastsScreen"]
