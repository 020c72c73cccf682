"""The customers screen: find customers (search, status, RFM segment, tag), see them as a list
or as the pipeline board (drag a card to another column to move the customer along), and the
selected customer's profile — every conversation across channels, orders, total spent, RFM
scores, tags, notes and the opt-out from broadcasts, all editable. Merge duplicates (the same
phone on LINE and the widget), recompute the RFM segments, export to Excel or CSV.

Everything that touches the database runs off the UI thread through ``ctx.ops``; the screen
refreshes when an operation reports a change to ``"customers"``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import customer_book as book
from minichat_desktop.app import customers as app_customers
from minichat_desktop.app.customer_book import CustomerRow, Profile
from minichat_desktop.app.customers import FilterChoices
from minichat_desktop.domain.customers import rfm
from minichat_desktop.domain.customers.customers import CustomerView
from minichat_desktop.domain.models import PipelineStatus
from minichat_desktop.domain.thai import format_baht, format_phone
from minichat_desktop.errors import DomainError
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.customers_board import BoardColumn, PipelineBoard
from minichat_desktop.ui.customers_labels import (
    channel_label,
    local_time,
    segment_label,
    segment_text,
    status_label,
)
from minichat_desktop.ui.detail_pane import DetailPane, FactGrid, section_title
from minichat_desktop.ui.dialogs import ask, choose_file_to_save, inform
from minichat_desktop.ui.empty_state import EmptyState
from minichat_desktop.ui.errors import report_error, show_error
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.orders_models import status_label as order_status_label
from minichat_desktop.ui.tables import ColumnFitter, RowsTableModel, list_table

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 150
SEGMENTS_DEBOUNCE_MS = 500  # orders change in bursts (a sale writes several rows)
PIPELINE = tuple(s.value for s in PipelineStatus)
SEGMENTS = tuple(s.value for s in rfm.Segment)


# ---------------------------------------------------------------------------- list model


class CustomerTableModel(RowsTableModel):
    COLUMNS = ("Name", "Phone", "Status", "Segment", "Orders", "Total spent", "Last order", "Tags")
    NAME, PHONE, STATUS, SEGMENT, ORDERS, SPENT, LAST, TAGS = range(8)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[CustomerRow] = []
        self.computing = False  # segments being computed: a missing one says so

    def set_computing(self, computing: bool) -> None:
        if computing != self.computing:
            self.computing = computing
            if self.rows:
                top, bottom = (
                    self.index(0, self.SEGMENT),
                    self.index(len(self.rows) - 1, self.SEGMENT),
                )
                self.dataChanged.emit(top, bottom)

    def set_rows(self, rows: list[CustomerRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def row_of(self, customer_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.customer.id == customer_id), -1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        c = row.customer
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.NAME:
                return c.name or t("(no name)")
            if col == self.PHONE:
                return format_phone(c.phone) if c.phone else ""
            if col == self.STATUS:
                return status_label(c.status)
            if col == self.SEGMENT:
                return segment_text(row.segment, c.order_count, self.computing)[0]
            if col == self.ORDERS:
                return f"{c.order_count:,}"
            if col == self.SPENT:
                return format_baht(c.total_spent_satang)
            if col == self.LAST:
                return local_time(row.last_order_at)
            return ", ".join(c.tags)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.ORDERS, self.SPENT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == self.NAME and c.opted_out:
                return QColor(theme.MUTED)
            if col == self.SEGMENT and segment_text(row.segment, c.order_count, False)[1]:
                return QColor(theme.MUTED)
            if col == self.SEGMENT and row.segment in ("at_risk", "cant_lose"):
                return QColor(theme.AMBER)
            if col == self.SEGMENT and row.segment == "champions":
                return QColor(theme.GREEN)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.NAME and c.opted_out:
            return t("Opted out of broadcasts")
        return None


# ---------------------------------------------------------------------------- profile


class ProfilePane(DetailPane):
    """The selected customer: facts, scores, conversations, orders; tags, notes and the
    opt-out edited in place."""

    save_requested = Signal(dict)
    conversation_opened = Signal(int)  # conversation id (double-click): the inbox shows it

    def __init__(self) -> None:
        super().__init__(min_width=380)
        self.profile: Profile | None = None
        self.computing = False  # segments being computed (see segment_text)
        col = self.column
        col.setSpacing(8)
        # names above values: a value that needs two lines wraps under its own name
        self.facts = FactGrid(6, names_above=True, spacing=14)
        col.addLayout(self.facts)

        form = QVBoxLayout()
        form.setSpacing(4)
        self.status_name = QLabel()
        self.status = QComboBox()
        for s in PIPELINE:
            self.status.addItem("", s)
        self.tags_name = QLabel()
        self.tags = QLineEdit()
        self.notes_name = QLabel()
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(70)
        self.opted_out = QCheckBox()
        self.save_button = QPushButton()
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self._save)
        for name, field in (
            (self.status_name, self.status),
            (self.tags_name, self.tags),
            (self.notes_name, self.notes),
        ):
            name.setObjectName("Muted")
            form.addWidget(name)
            form.addWidget(field)
            form.addSpacing(4)
        save_row = QHBoxLayout()
        save_row.addWidget(self.opted_out, 1)
        save_row.addWidget(self.save_button)
        form.addLayout(save_row)
        col.addLayout(form)

        self.conv_title = section_title()
        col.addWidget(self.conv_title)
        self.conversations = QListWidget()
        self.conversations.setMinimumHeight(90)
        self.conversations.setWordWrap(True)
        self.conversations.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversations.itemDoubleClicked.connect(
            lambda item: self.conversation_opened.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        )
        col.addWidget(self.conversations, 1)
        self.orders_title = section_title()
        col.addWidget(self.orders_title)
        self.orders = QTableWidget(0, 4)
        self.orders.verticalHeader().hide()
        self.orders.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.orders.setShowGrid(False)
        self.orders.setMinimumHeight(120)
        self.orders.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.orders.setWordWrap(False)
        self.orders.setTextElideMode(Qt.TextElideMode.ElideRight)
        oh = self.orders.horizontalHeader()
        oh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        oh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the status gives way
        oh.setStretchLastSection(False)
        col.addWidget(self.orders, 2)
        self.retranslate()
        self.show_profile(None)

    def retranslate(self) -> None:
        self.empty.setText(t("Pick a customer to see their chats, orders and notes."))
        self.facts.set_names(
            (
                t("Total spent"),
                t("Orders"),
                t("Segment"),
                t("RFM"),
                t("Last order"),
                t("Customer since"),
            )
        )
        for i, s in enumerate(PIPELINE):
            self.status.setItemText(i, status_label(s))
        self.status_name.setText(t("Pipeline"))
        self.tags_name.setText(t("Tags"))
        self.tags.setPlaceholderText(t("Separate tags with commas, e.g. vip, wholesale"))
        self.notes_name.setText(t("Customer notes"))
        self.opted_out.setText(t("Opted out of broadcasts"))
        self.save_button.setText(t("Save"))
        self.orders.setHorizontalHeaderLabels([t("Order"), t("Date"), t("Status"), t("Total")])
        self.show_profile(self.profile)

    def show_profile(self, prof: Profile | None) -> None:
        self.profile = prof
        self.show_body(prof is not None)
        if prof is None:
            return
        row = prof.row
        c = row.customer
        self.title.setText(c.name or t("(no name)"))
        channels = sorted({channel_label(k) for k, _v in c.identities if k in book.CHAT_KINDS})
        phone = format_phone(c.phone) if c.phone else ""
        bits = [x for x in (phone, c.email, " · ".join(channels)) if x]
        if c.province:
            bits.append(c.province)
        self.subtitle.setText("  ·  ".join(bits))
        facts = (
            format_baht(c.total_spent_satang, symbol=True),
            f"{c.order_count:,}",
            segment_text(row.segment, c.order_count, self.computing)[0],
            f"R{row.recency} F{row.frequency} M{row.monetary}" if row.segment else "—",
            local_time(row.last_order_at) or "—",
            local_time(c.created_at),
        )
        self.facts.set_values(facts)
        self.status.setCurrentIndex(max(0, self.status.findData(c.status)))
        self.tags.setText(", ".join(c.tags))
        self.notes.setPlainText(c.notes)
        self.opted_out.setChecked(c.opted_out)
        self.conv_title.setText(t("Conversations ({n})").format(n=len(prof.conversations)))
        self.conversations.clear()
        self.conversations.setVisible(bool(prof.conversations))  # no empty box
        for conv in prof.conversations:
            when = local_time(conv.last_message_at)
            item = QListWidgetItem(
                f"{channel_label(conv.channel)} · {when}\n{conv.last_preview or '—'}"
            )
            item.setData(Qt.ItemDataRole.UserRole, conv.id)
            self.conversations.addItem(item)
        self.orders_title.setText(t("Orders ({n})").format(n=len(prof.orders)))
        self.orders.setRowCount(len(prof.orders))
        for i, o in enumerate(prof.orders):
            cells = (
                o.number,
                local_time(o.created_at, short=True),
                order_status_label(o.status),
                format_baht(o.total_satang, symbol=True),
            )
            for j, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if j == 3:
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.orders.setItem(i, j, cell)

    def _save(self) -> None:
        if self.profile is None:
            return
        tags = [x.strip() for x in self.tags.text().replace("،", ",").split(",") if x.strip()]
        self.save_requested.emit(
            {
                "status": str(self.status.currentData()),
                "tags": tags,
                "notes": self.notes.toPlainText(),
                "opted_out": self.opted_out.isChecked(),
            }
        )


# ---------------------------------------------------------------------------- merging


class MergeDialog(QDialog):
    """Customers who look like one person (a phone, a name on two chat channels), a group at
    a time: choose the one to keep; the others are folded into it (chats, orders, tags,
    notes)."""

    def __init__(self, groups: list[list[CustomerView]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Merge duplicate customers"))
        self.setMinimumWidth(520)
        self.groups = groups
        layout = QVBoxLayout(self)
        intro = QLabel(
            t(
                "These customers look like one person (the same phone, a phone written in the "
                "notes, or the same name on different chat channels). Choose the one to keep; "
                "the others are merged into it with their chats, orders, tags and notes."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.group_list = QComboBox()
        for g in groups:
            self.group_list.addItem(
                t("{phone} — {n} customers").format(
                    # what they share: the phone, else (the same name on two channels) the name
                    phone=next((c.phone for c in g if c.phone), "") or g[0].name,
                    n=len(g),
                )
            )
        layout.addWidget(self.group_list)
        self.choices = QVBoxLayout()
        layout.addLayout(self.choices)
        self.radios: list[QRadioButton] = []
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(t("Merge"))
        ok.setProperty("primary", True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(t("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.group_list.currentIndexChanged.connect(self._show_group)
        self._show_group(0)

    def _show_group(self, index: int) -> None:
        for r in self.radios:
            r.setParent(None)
            r.deleteLater()
        self.radios = []
        if not self.groups:
            return
        for i, c in enumerate(self.groups[index]):
            channels = sorted({channel_label(k) for k, _v in c.identities if k in book.CHAT_KINDS})
            text = t("{name} · {channels} · {orders} orders, {spent}").format(
                name=c.name or t("(no name)"),
                channels=", ".join(channels) or "—",
                orders=c.order_count,
                spent=format_baht(c.total_spent_satang, symbol=True),
            )
            radio = QRadioButton(text)
            radio.setChecked(i == 0)
            self.choices.addWidget(radio)
            self.radios.append(radio)

    def choice(self) -> tuple[int, list[int]]:
        """(customer kept, duplicates to fold into it) for the group shown."""
        group = self.groups[self.group_list.currentIndex()]
        keep = next(i for i, r in enumerate(self.radios) if r.isChecked())
        return group[keep].id, [c.id for i, c in enumerate(group) if i != keep]


# ---------------------------------------------------------------------------- the screen


def fit_customer_columns(table: QTableView) -> ColumnFitter:
    """On a narrow window the tags, then the last order's date, then the status give way to
    the name (the profile beside the list shows them)."""
    m = CustomerTableModel
    return ColumnFitter(table, m.NAME, (m.TAGS, m.LAST, m.STATUS))


class CustomersScreen(QWidget):
    """Customers as a list or a pipeline board, with the selected customer's profile."""

    results_shown = Signal()
    conversation_opened = Signal(int)  # the lead connects this to the inbox

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.busy = 0  # async slots still running (tests wait for 0)
        self.current_id: int | None = None
        self.dialog: QDialog | None = None
        self.message: QMessageBox | None = None
        self._seq = 0
        self.last_export: Any = None
        self.last_recompute: rfm.RecomputeResult | None = None
        self.computing = False  # the segments are being recomputed
        self._fresh_from: int | None = None  # the first refresh showing recomputed segments
        self.board_counts: dict[str, int] = {}  # the lanes' counts last shown
        self.segments_computed_at: dt.datetime | None = None

        self.title = QLabel(objectName="Title")
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.merge_button = QPushButton()
        self.merge_button.clicked.connect(self.find_duplicates)
        self.export_button = QPushButton()
        self.export_menu = QMenu(self)
        self.export_xlsx = self.export_menu.addAction("", lambda: self.choose_export("xlsx"))
        self.export_csv = self.export_menu.addAction("", lambda: self.choose_export("csv"))
        self.export_button.setMenu(self.export_menu)

        self.status_filter = QComboBox()
        self.segment_filter = QComboBox()
        self.tag_filter = QComboBox()
        self.tag_filter.setMinimumWidth(130)
        self.status_name = QLabel()
        self.segment_name = QLabel()
        self.tag_name = QLabel()
        self.list_button = QPushButton(checkable=True, checked=True)
        self.board_button = QPushButton(checkable=True)
        self.list_button.clicked.connect(lambda: self.set_view("list"))
        self.board_button.clicked.connect(lambda: self.set_view("board"))
        self.count_label = QLabel(objectName="Muted")
        self.scores_label = QLabel(objectName="Muted")

        self.model = CustomerTableModel(self)
        self.table = list_table(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name
        for c, w in ((1, 110), (2, 90), (3, 125), (4, 60), (5, 95), (6, 120), (7, 140)):
            header.resizeSection(c, w)
        self.column_fitter = fit_customer_columns(self.table)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.board = PipelineBoard()
        self.board.moved.connect(self.move_customers)
        self.board.opened.connect(self.open_customer)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.board)

        self.profile = ProfilePane()
        self.profile.save_requested.connect(self.save_profile)
        self.profile.conversation_opened.connect(self.conversation_opened)

        self._lay_out()

        for s in ("", *PIPELINE):
            self.status_filter.addItem("", s)
        for s in ("", *SEGMENTS, book.NO_SEGMENT):
            self.segment_filter.addItem("", s)
        self.tag_filter.addItem("", "")

        self.segments_timer = QTimer(self, singleShot=True, interval=SEGMENTS_DEBOUNCE_MS)
        self.segments_timer.timeout.connect(self.refresh_segments)
        self.timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.search.returnPressed.connect(self.refresh)
        for box in (self.status_filter, self.segment_filter, self.tag_filter):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        ctx.ops.changed.connect(self.on_changed)

        self.retranslate()
        self._fill_choices(ctx.ops.read_now(app_customers.filter_choices))
        self.refresh()
        self.refresh_segments()  # in the background: the list shows "Computing…" meanwhile

    def _lay_out(self) -> None:
        """The search bar, the filters, and the list or board beside the profile."""
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addSpacing(12)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.merge_button)
        bar.addWidget(self.export_button)
        filters = QHBoxLayout()
        for name, box in (
            (self.status_name, self.status_filter),
            (self.segment_name, self.segment_filter),
            (self.tag_name, self.tag_filter),
        ):
            filters.addWidget(name)
            filters.addWidget(box)
            filters.addSpacing(6)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        filters.addSpacing(10)
        filters.addWidget(self.list_button)
        filters.addWidget(self.board_button)

        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.stack, 1)
        self.empty = EmptyState()  # in the list's place while the shop has no customers
        self.empty.setVisible(False)
        lcol.addWidget(self.empty, 1)
        lcol.addWidget(self.scores_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.profile)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([760, 460])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(bar)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)

    # ------------------------------------------------------------------ language

    def retranslate(self) -> None:
        self.title.setText(self.tr("Customers"))
        self.search.setPlaceholderText(self.tr("Search name, phone, e-mail or notes"))
        self.merge_button.setText(self.tr("Merge duplicates…"))
        self.export_button.setText(self.tr("Export"))
        self.export_xlsx.setText(self.tr("Excel (.xlsx)…"))
        self.export_csv.setText(self.tr("CSV (.csv)…"))
        self.status_name.setText(self.tr("Status"))
        self.segment_name.setText(self.tr("Segment"))
        self.tag_name.setText(self.tr("Tag"))
        self.list_button.setText(self.tr("List"))
        self.board_button.setText(self.tr("Board"))
        self.status_filter.setItemText(0, self.tr("All statuses"))
        for i, s in enumerate(PIPELINE, start=1):
            self.status_filter.setItemText(i, status_label(s))
        self.segment_filter.setItemText(0, self.tr("All segments"))
        for i, s in enumerate(SEGMENTS, start=1):
            self.segment_filter.setItemText(i, segment_label(s))
        self.segment_filter.setItemText(len(SEGMENTS) + 1, segment_label(""))
        self.tag_filter.setItemText(0, self.tr("All tags"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 7)
        self.board.retranslate()
        self.board.show_rows(self.model.rows, self.board_counts)  # "Last order …" on cards
        self.board.select(self.current_id)
        self.profile.retranslate()
        self._say_segments()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ list and board

    def set_view(self, which: str) -> None:
        board = which == "board"
        self.stack.setCurrentWidget(self.board if board else self.table)
        self.list_button.setChecked(not board)
        self.board_button.setChecked(board)

    def filters(self) -> dict[str, Any]:
        return {
            "search": self.search.text(),
            "status": str(self.status_filter.currentData() or "") or None,
            "segment": str(self.segment_filter.currentData() or "") or None,
            "tag": str(self.tag_filter.currentData() or "") or None,
        }

    def _fill_choices(self, choices: FilterChoices) -> None:
        tags = choices.tags
        self.segments_computed_at = choices.segments_computed_at
        current = str(self.tag_filter.currentData() or "")
        self.tag_filter.blockSignals(True)
        while self.tag_filter.count() > 1:
            self.tag_filter.removeItem(1)
        for tag in tags:
            self.tag_filter.addItem(tag, tag)
        self.tag_filter.setCurrentIndex(max(0, self.tag_filter.findData(current)))
        self.tag_filter.blockSignals(False)
        self._say_segments()

    def _say_segments(self) -> None:
        computed = self.segments_computed_at
        if self.computing:
            text = self.tr("Computing customer segments from the orders…")
        elif computed:
            text = self.tr("Segments computed {when}").format(when=local_time(computed))
        else:
            text = self.tr("Segments appear once customers have paid orders")
        self.scores_label.setText(text)

    @asyncSlot()
    async def refresh(self) -> None:
        """Show the customers for the current search and filters (only the latest answer)."""
        self.timer.stop()
        self._seq += 1
        seq = self._seq
        self.busy += 1
        try:
            found = await self.ctx.ops.read(app_customers.list_customers, **self.filters())
        except DomainError as exc:
            show_error(self, exc)
            return
        finally:
            self.busy -= 1
        if seq != self._seq:
            return
        rows, total, counts = list(found.rows), found.total, found.pipeline_counts
        self.model.set_rows(rows)
        if self._fresh_from is not None and seq >= self._fresh_from:
            self._set_computing(False, profile=False)  # these rows carry the new segments
        if any(self.filters().values()):  # a lane counts the cards it shows
            counts = {s: sum(r.customer.status == s for r in rows) for s in PIPELINE}
        self.board_counts = counts
        self.board.show_rows(rows, counts)
        self.board.select(self.current_id)
        none_at_all = not rows and not any(self.filters().values())
        self.stack.setVisible(not none_at_all)
        self.empty.setVisible(none_at_all)
        if none_at_all:
            self.empty.say(
                self.tr("No customers yet"),
                self.tr(
                    "A shopper who writes in the chat or buys becomes a customer here by "
                    "themselves, with their chats, orders and spending."
                ),
            )
        if not rows:
            text = self.tr("No customers yet") if none_at_all else self.tr("No customers match")
        elif total > len(rows):
            text = self.tr("{n} of {total} customers shown").format(
                n=f"{len(rows):,}", total=f"{total:,}"
            )
        else:
            text = self.tr("{n} customers").format(n=f"{len(rows):,}")
        self.count_label.setText(text)
        if self.current_id is not None:
            row = self.model.row_of(self.current_id)
            if row >= 0:
                self.table.selectionModel().blockSignals(True)
                self.table.selectRow(row)
                self.table.selectionModel().blockSignals(False)
        self.results_shown.emit()

    def _selection_changed(self, *_args: Any) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_customer(self.model.rows[rows[0].row()].customer.id)

    @asyncSlot(int)
    async def open_customer(self, customer_id: int) -> None:
        self.current_id = customer_id
        self.board.select(customer_id)
        self.busy += 1
        try:
            prof = await self.ctx.ops.read(book.profile, customer_id)
        except DomainError as exc:
            log.info("customer %s is gone: %s", customer_id, exc.message)
            self.current_id = None
            self.profile.show_profile(None)
            return
        finally:
            self.busy -= 1
        if self.current_id == customer_id:
            self.profile.show_profile(prof)

    @asyncSlot(set)
    async def on_changed(self, topics: set[str]) -> None:
        if "orders" in topics:  # what someone bought moves them between segments
            self.segments_timer.start()
        if not topics & {"customers", "orders"}:
            return
        self.busy += 1
        try:
            self._fill_choices(await self.ctx.ops.read(app_customers.filter_choices))
            await self.refresh()
            if self.current_id is not None:
                await self.open_customer(self.current_id)
        finally:
            self.busy -= 1

    # ------------------------------------------------------------------ editing

    @asyncSlot(list, str)
    async def move_customers(self, ids: list[int], status: str) -> None:
        """A card dropped on another column of the board: the customers take that status."""
        self.busy += 1
        try:
            await self.ctx.ops.write(book.set_statuses, ids, status, self.ctx.ops.actor)
        except DomainError as exc:
            show_error(self, exc)
        finally:
            self.busy -= 1

    @asyncSlot(dict)
    async def save_profile(self, changes: dict[str, Any]) -> None:
        if self.current_id is None:
            return
        self.busy += 1
        try:
            prof = await self.ctx.ops.write(
                app_customers.save_profile,
                self.current_id,
                self.ctx.ops.actor,
                changes,
            )
        except DomainError as exc:
            show_error(self, exc)  # the fields keep what was typed
            return
        finally:
            self.busy -= 1
        self.profile.show_profile(prof)

    @asyncSlot()
    async def refresh_segments(self) -> rfm.RecomputeResult | None:
        """Recompute the RFM segments off the UI thread if orders changed since (or they are
        old); while it runs a customer with orders but no segment shows "Computing…", never
        "No orders yet". A recompute writes the scores, so the list refreshes by itself."""
        self.segments_timer.stop()
        self.busy += 1
        self._set_computing(True)
        result = None
        try:
            now = dt.datetime.now(dt.UTC)
            # Asked on a reader first: the write lock is taken only when there is work.
            if await self.ctx.ops.read(rfm.stale, now):
                result = await self.ctx.ops.write(rfm.refresh, now)
            if result is not None:
                # "Computing…" stays until rows read from now on are shown (refresh), and the
                # profile until it is read again.
                self._fresh_from = self._seq + 1
                self._fill_choices(await self.ctx.ops.read(app_customers.filter_choices))
                await self.refresh()
                if self.current_id is not None:
                    await self.open_customer(self.current_id)
        except DomainError as exc:
            log.warning("customers: segments not recomputed: %s", exc.message)
        finally:
            # Nothing changed (or it failed): the rows shown are current. Else the rows went
            # back to plain when the refresh above (or a later one) showed the new segments.
            self._set_computing(False, rows=result is None)
            self.busy -= 1
        self.last_recompute = result
        return result

    def _set_computing(self, computing: bool, *, rows: bool = True, profile: bool = True) -> None:
        """Whether a missing segment is being computed, for the list and the board (``rows``)
        and for the profile."""
        if rows:
            if not computing:
                self._fresh_from = None
            self.computing = computing
            self.model.set_computing(computing)
            self._say_segments()
        if profile and self.profile.computing != computing:
            self.profile.computing = computing
            if self.profile.profile is not None:
                self.profile.show_profile(self.profile.profile)

    def _inform(self, title: str, text: str, *, warn: bool = False) -> QMessageBox:
        return inform(self, title, text, warn=warn)

    @asyncSlot()
    async def find_duplicates(self) -> None:
        self.busy += 1
        try:
            groups = await self.ctx.ops.read(app_customers.find_duplicates)
            if not groups:
                self._inform(self.tr("Merge duplicates"), self.tr("No duplicates found."))
                return
            dialog = MergeDialog(groups, self)
            if not await ask(dialog, self):
                return
            keep, dups = dialog.choice()
            try:
                await self.ctx.ops.write(
                    app_customers.merge_duplicates,
                    keep,
                    dups,
                    self.ctx.ops.actor,
                )
            except DomainError as exc:
                show_error(self, exc)
                return
            self.current_id = keep
            await self.open_customer(keep)
        finally:
            self.busy -= 1

    @asyncSlot(str)
    async def choose_export(self, kind: str) -> None:
        filters = (
            self.tr("Excel workbook (*.xlsx)") if kind == "xlsx" else self.tr("CSV, UTF-8 (*.csv)")
        )
        path, _ = await choose_file_to_save(
            self, self.tr("Export customers"), f"customers.{kind}", filters
        )
        if path:
            target = Path(path)
            if target.suffix.lower() != f".{kind}":
                target = target.with_suffix(f".{kind}")
            await self.export_to(target)

    async def export_to(self, path: Path) -> Any:
        """Write the customers matching the filters to ``path`` (.xlsx or .csv)."""
        f = self.filters()
        self.busy += 1
        try:
            result = await self.ctx.ops.read(book.export_customers, path, **f)
        except DomainError as exc:
            report_error(self, exc)
            return None
        finally:
            self.busy -= 1
        self.last_export = result
        self._inform(
            self.tr("Export customers"),
            self.tr("{n} customers written to {file}").format(n=f"{result.rows:,}", file=path.name),
        )
        return result

    @Slot()
    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()


__all__ = [
    "BoardColumn",
    "CustomersScreen",
    "MergeDialog",
    "PipelineBoard",
    "ProfilePane",
    # the names broadcasts_screen shares with this screen
    "channel_label",
    "local_time",
    "segment_label",
    "status_label",
]
