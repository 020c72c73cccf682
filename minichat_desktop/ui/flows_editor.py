"""Sales flows: the shop's flows (switched on or off, built-in badge, the order they are
tried), a palette of steps, and the flow builder — a canvas of step cards (``flow_canvas``)
beside tabs whose first is the picked step's form (``flow_forms``).

Every change to the steps (add, move, connect, delete, a form edit) is a command on an undo
stack (Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y). Problems (``flow_steps.problems``) are shown on the
cards and in a list, naming each step by its name, and a flow with problems is not saved;
the domain's own validation runs again on save. :meth:`FlowsScreen.definition` is the flow
as it would be stored.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QColor,
    QHideEvent,
    QIcon,
    QKeySequence,
    QPixmap,
    QResizeEvent,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.domain.bot import flows
from minichat_desktop.domain.bot.nlu import INTENTS
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.marketing.broadcasts import known_tags
from minichat_desktop.errors import UserError
from minichat_desktop.ui import flow_steps as steps
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import ask, confirm
from minichat_desktop.ui.errors import error_text, show_error
from minichat_desktop.ui.flow_canvas import KIND_COLOURS, FlowCanvas, step_mime
from minichat_desktop.ui.flow_forms import ShopLists, StepForm, combo
from minichat_desktop.ui.flow_simulator import FlowSimulator
from minichat_desktop.ui.i18n import current_language, t
from minichat_desktop.ui.theme import push_button

Node = dict[str, Any]


def trigger_kinds() -> dict[str, str]:
    return {
        "keyword": t("Keywords"),
        "intent": t("What the shopper wants"),
        "button": t("Button only"),
        "event": t("Event"),
    }


def events() -> dict[str, str]:
    return {"cart_abandoned": t("Cart left untouched"), "order_delivered": t("Order delivered")}


def intents() -> dict[str, str]:
    names = {
        "product_inquiry": t("Asks about products"),
        "price_check": t("Asks a price"),
        "order_status": t("Asks where an order is"),
        "make_purchase": t("Wants to buy"),
        "complaint": t("Complains"),
        "general_question": t("Asks about the shop"),
        "greeting": t("Says hello"),
        "goodbye": t("Says goodbye"),
        "ask_human": t("Wants a person"),
        "payment_notice": t("Says they paid"),
        "provide_info": t("Gives their details"),
    }
    return {i: names.get(i, i) for i in INTENTS}


def shop_lists(session: Any) -> ShopLists:
    """The categories, products and tags the step pickers offer."""
    products = [
        (v.sku, f"{p.name_th} {v.title}".strip() if len(p.variants) > 1 else p.name_th)
        for p in catalog.list_products(session, active_only=True, limit=300)
        for v in p.variants
    ]
    return ShopLists(
        categories=catalog.list_categories(session), products=products, tags=known_tags(session)
    )


class Palette(QListWidget):
    """The kinds of step: drag one onto the canvas, or click it to add it."""

    def __init__(self) -> None:
        super().__init__()
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for kind, name in steps.kind_names().items():
            dot = QPixmap(12, 12)
            dot.fill(QColor(KIND_COLOURS[kind]))
            item = QListWidgetItem(QIcon(dot), name)
            item.setData(Qt.ItemDataRole.UserRole, kind)
            self.addItem(item)
        rows = self.sizeHintForRow(0) * self.count() + 2 * self.frameWidth() + 4
        self.setFixedHeight(rows)

    def mimeData(self, items: Any) -> QMimeData:
        return step_mime(str(items[0].data(Qt.ItemDataRole.UserRole)))


class Change(QUndoCommand):
    """One change to the steps: the whole list before and after (flows are small). Typing
    into one field of one step merges into one command."""

    def __init__(
        self, screen: FlowsScreen, before: list[Node], after: list[Node], text: str, merge: str
    ) -> None:
        super().__init__(text)
        self.screen, self.before, self.after, self.merge = screen, before, after, merge
        self.select = screen.selected
        self.first = True

    def id(self) -> int:
        return 1 if self.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if isinstance(other, Change) and other.merge and other.merge == self.merge:
            self.after = other.after
            return True
        return False

    def redo(self) -> None:
        quiet = self.first and bool(self.merge)  # the form already shows this edit
        self.first = False
        self.screen.apply(self.after, self.select, rebuild_form=not quiet)

    def undo(self) -> None:
        self.screen.apply(self.before, self.select, rebuild_form=True)


class FlowsScreen(QWidget):
    """The flows list and palette on the left, the canvas in the middle, the step's form in
    tabs on the right (``side_tabs``: more tabs can be added beside it)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.flows: list[flows.FlowView] = []
        self.flow_id: int | None = None
        self.builtin = ""
        self.nodes: list[Node] = []
        self.selected = ""
        self.found: list[steps.Problem] = []
        self._loading = False
        self.busy = 0
        self.undo_stack = QUndoStack(self)
        self._shown: tuple[str, dict[str, Any], list[Node]] | None = None

        split = QSplitter(Qt.Orientation.Horizontal, self)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.addWidget(split)
        split.addWidget(self._build_flow_list())
        split.addWidget(self._build_editor())
        split.addWidget(self._build_side())
        split.setStretchFactor(1, 1)
        split.setCollapsible(1, False)
        self.split = split
        self._narrow: bool | None = None
        self._build_actions()
        self.undo_stack.indexChanged.connect(lambda _i: self.flow_edited())
        self.name.textChanged.connect(lambda _t: self.flow_edited())
        self.keywords.textChanged.connect(lambda _t: self.flow_edited())
        self.trigger_type.currentIndexChanged.connect(lambda _i: self.flow_edited())
        self.trigger_event.currentIndexChanged.connect(lambda _i: self.flow_edited())
        self.reload_now()

    # ------------------------------------------------------------------ building

    def _build_flow_list(self) -> QWidget:
        left = QWidget()
        left.setMinimumWidth(170)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        title = QLabel(self.tr("Sales flows"))
        theme.role(title, "title")
        lv.addWidget(title)
        self.flow_list = QListWidget()
        self.flow_list.setWordWrap(True)
        self.flow_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.flow_list.setToolTip(
            self.tr("Tick to switch a flow on. Flows higher in the list are tried first.")
        )
        self.flow_list.currentRowChanged.connect(self._pick_flow)
        self.flow_list.itemChanged.connect(self._toggled)
        lv.addWidget(self.flow_list, 1)
        self.new_btn = push_button(self.new_flow, self.tr("New flow"))
        lv.addWidget(self.new_btn)
        row = QHBoxLayout()
        self.delete_btn = push_button(self.delete_flow, self.tr("Delete"))
        self.up_btn = theme.icon_button(
            lambda: self.move_flow(-1), "chevron-up", self.tr("Move up")
        )
        self.down_btn = theme.icon_button(
            lambda: self.move_flow(1), "chevron-down", self.tr("Move down")
        )
        row.addWidget(self.delete_btn, 1)  # the icon buttons take only their width
        row.addWidget(self.up_btn)
        row.addWidget(self.down_btn)
        lv.addLayout(row)
        lv.addWidget(QLabel(self.tr("Add a step (drag or click)")))
        self.step_palette = Palette()
        self.step_palette.itemClicked.connect(
            lambda item: self.add_step(str(item.data(Qt.ItemDataRole.UserRole)))
        )
        lv.addWidget(self.step_palette)
        return left

    def _build_editor(self) -> QWidget:
        mid = QWidget()
        mid.setMinimumWidth(360)
        rv = QVBoxLayout(mid)
        rv.setContentsMargins(4, 0, 4, 0)
        rv.addLayout(self._build_head())
        rv.addLayout(self._build_toolbar())
        self.canvas = FlowCanvas()
        self.canvas.picked.connect(self._picked)
        self.canvas.add_requested.connect(self._add_at)
        self.canvas.moved.connect(self.move_steps)
        self.canvas.link_requested.connect(self.connect_steps)
        self.canvas.delete_requested.connect(self.delete_items)
        self.canvas.first_requested.connect(self.make_first)
        rv.addWidget(self.canvas, 1)
        self.problem_list = QListWidget()
        self.problem_list.setWordWrap(True)
        self.problem_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.problem_list.setMaximumHeight(72)
        self.problem_list.itemClicked.connect(self._problem_clicked)
        rv.addWidget(self.problem_list)
        bottom = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        bottom.addWidget(self.status, 1)
        self.reset_btn = push_button(self.reset_builtin, self.tr("Restore as shipped"))
        bottom.addWidget(self.reset_btn)
        self.save_btn = QPushButton(self.tr("Save flow"))
        self.save_btn.setProperty("primary", True)
        self.save_btn.setDefault(True)
        self.save_btn.clicked.connect(self.save)
        bottom.addWidget(self.save_btn)
        rv.addLayout(bottom)
        return mid

    def _build_head(self) -> QVBoxLayout:
        head = QVBoxLayout()
        row = QHBoxLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("Flow name"))
        row.addWidget(self.name, 1)
        self.enabled = QCheckBox(self.tr("Switched on"))
        row.addWidget(self.enabled)
        self.badge = QLabel(self.tr("Built in"))
        row.addWidget(self.badge)
        head.addLayout(row)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel(self.tr("Starts on")))
        self.trigger_type = combo(trigger_kinds(), "keyword")
        self.trigger_type.currentIndexChanged.connect(self._trigger_changed)
        row2.addWidget(self.trigger_type)
        self.keywords = QLineEdit()
        self.keywords.setPlaceholderText(self.tr("words, with commas"))
        row2.addWidget(self.keywords, 1)
        self.intent = combo(intents(), "product_inquiry")
        row2.addWidget(self.intent, 1)
        self.trigger_event = combo(events(), "cart_abandoned")
        self.trigger_event.currentIndexChanged.connect(self._trigger_changed)
        row2.addWidget(self.trigger_event, 1)
        self.minutes = QSpinBox()
        self.minutes.setRange(1, 10080)
        self.minutes.setSuffix(" " + self.tr("min"))
        self.minutes.setMaximumWidth(120)
        row2.addWidget(self.minutes)
        head.addLayout(row2)
        return head

    def _build_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.undo_btn = QToolButton()
        self.redo_btn = QToolButton()
        self.zoom_out_btn = push_button(lambda: self.canvas.zoom(1 / 1.2), "−")
        self.zoom_out_btn.setToolTip(self.tr("Zoom out"))
        self.zoom_in_btn = push_button(lambda: self.canvas.zoom(1.2), "+")
        self.zoom_in_btn.setToolTip(self.tr("Zoom in"))
        self.fit_btn = push_button(lambda: self.canvas.fit(), self.tr("Fit"))
        self.fit_btn.setToolTip(self.tr("Show the whole flow"))
        self.remove_btn = push_button(lambda: self.canvas.delete_selected(), self.tr("Delete"))
        self.remove_btn.setToolTip(self.tr("Delete the picked step or link (Del)"))
        bar.addWidget(self.undo_btn)
        bar.addWidget(self.redo_btn)
        bar.addStretch(1)
        for b in (self.zoom_out_btn, self.zoom_in_btn, self.fit_btn, self.remove_btn):
            bar.addWidget(b)
        return bar

    def _build_side(self) -> QTabWidget:
        self.side_tabs = QTabWidget()
        self.side_tabs.setMinimumWidth(240)
        self.form = StepForm()
        self.form.edited.connect(self.edit_step)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.form)
        self.side_tabs.addTab(scroll, self.tr("This step"))
        self.simulator = FlowSimulator(self.ctx)
        self.side_tabs.addTab(self.simulator, self.tr("Try it"))
        self.side_tabs.currentChanged.connect(self._side_tab_changed)
        self._try_timer = QTimer(self, singleShot=True, interval=800)
        self._try_timer.timeout.connect(self._try_now)
        return self.side_tabs

    # ------------------------------------------------------------------ trying the flow

    def trying(self) -> bool:
        """Whether the owner is looking at the chat simulator."""
        return self.side_tabs.currentWidget() is self.simulator and self.isVisible()

    def _side_tab_changed(self, _index: int) -> None:
        if self.side_tabs.currentWidget() is self.simulator:
            self._try_now()
        else:
            self.simulator.shutdown()  # the scratch copy is not kept while nobody tries

    def _try_now(self) -> None:
        """The simulator tries the flow as it is on screen (unsaved edits included)."""
        if self.trying():
            name, trigger, nodes = self.definition()
            self.simulator.load(name, trigger, nodes, flow_id=self.flow_id)

    def flow_edited(self) -> None:
        """The flow changed on screen: tried again once the owner pauses."""
        if self.trying():
            self._try_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self._try_timer.stop()
        self.simulator.shutdown()
        super().hideEvent(event)

    def _build_actions(self) -> None:
        self.undo_action = QAction(self.tr("Undo"), self)
        self.undo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        self.undo_action.triggered.connect(self.undo_stack.undo)
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.redo_action = QAction(self.tr("Redo"), self)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(self.undo_stack.redo)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        for action, button, tip in (
            (self.undo_action, self.undo_btn, self.tr("Undo (Ctrl+Z)")),
            (self.redo_action, self.redo_btn, self.tr("Redo (Ctrl+Shift+Z)")),
        ):
            action.setEnabled(False)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
            button.setDefaultAction(action)
            button.setToolTip(tip)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Below 1100 px the list and the form give the canvas their room."""
        super().resizeEvent(event)
        narrow = self.width() < 1100
        if narrow != self._narrow:
            self._narrow = narrow
            side = 250 if narrow else 320
            left = 170 if narrow else 200
            self.split.setSizes([left, max(self.width() - side - left - 40, 300), side])

    # ------------------------------------------------------------------ loading

    def reload_now(self, select_id: int | None = None) -> None:
        """First paint: the flows (the built-ins installed on the way) and the pickers."""
        views = self.ctx.ops.write_now(flows.ensure_builtin_flows)
        self.form.lists = self.ctx.ops.read_now(shop_lists)
        self._fill_list(views, select_id)

    def _fill_list(self, views: list[flows.FlowView], select_id: int | None = None) -> None:
        self.flows = views
        self.form.lists.flows = [(v.id, v.name) for v in views]
        self._loading = True
        self.flow_list.clear()
        for v in views:
            label = v.name + (f"  · {self.tr('built-in')}" if v.builtin else "")
            item = QListWidgetItem(label)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if v.enabled else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, v.id)
            self.flow_list.addItem(item)
        self._loading = False
        want = select_id if select_id is not None else self.flow_id
        row = next((i for i, v in enumerate(views) if v.id == want), 0 if views else -1)
        if row >= 0:
            self.flow_list.setCurrentRow(row)
            self._pick_flow(row)
        else:
            self.new_flow()

    def _pick_flow(self, row: int) -> None:
        if self._loading or not 0 <= row < len(self.flows):
            return
        target = self.flows[row]
        if target.id != self.flow_id and self.unsaved():
            self._select_row_of(self.flow_id)  # stays on the flow being edited, for now
            self.leave_unsaved(target.id)
            return
        self.show_flow(target)

    def unsaved(self) -> bool:
        """Whether the flow on screen differs from the one shown or saved last."""
        return self._shown is not None and self.definition() != self._shown

    def _select_row_of(self, flow_id: int | None) -> None:
        row = next((i for i, v in enumerate(self.flows) if v.id == flow_id), -1)
        self._loading = True
        self.flow_list.setCurrentRow(row)
        self._loading = False

    @asyncSlot(int)
    async def leave_unsaved(self, flow_id: int) -> None:
        """Another flow was picked while this one has changes not saved: ask first."""
        name = self.name.text().strip() or self.tr("(no name)")
        drop = await confirm(
            self,
            self.tr("Unsaved changes"),
            self.tr("“{name}” has changes that are not saved. Leave it and lose them?").format(
                name=name
            ),
            yes=self.tr("Discard changes"),
            no=self.tr("Keep editing"),
        )
        target = next((v for v in self.flows if v.id == flow_id), None)
        if drop and target is not None:
            self._select_row_of(flow_id)
            self.show_flow(target)

    def show_flow(self, v: flows.FlowView | None) -> None:
        self.status.clear()
        self.flow_id = v.id if v else None
        self.builtin = v.builtin if v else ""
        self.name.setText(v.name if v else "")
        self.enabled.setChecked(v.enabled if v else True)
        self.badge.setVisible(bool(self.builtin))
        self.reset_btn.setVisible(bool(self.builtin))
        self.delete_btn.setEnabled(not self.builtin)
        trig: dict[str, Any] = v.trigger if v else {"type": "keyword", "keywords": []}
        self.trigger_type.setCurrentIndex(max(self.trigger_type.findData(trig.get("type")), 0))
        self.keywords.setText(", ".join(trig.get("keywords", [])))
        self.intent.setCurrentIndex(max(self.intent.findData(trig.get("intent")), 0))
        self.trigger_event.setCurrentIndex(max(self.trigger_event.findData(trig.get("event")), 0))
        self.minutes.setValue(int(trig.get("minutes", 60)))
        self._trigger_changed()
        nodes = copy.deepcopy(v.nodes) if v else []
        steps.layout(nodes)
        self.undo_stack.clear()
        self.apply(nodes, "", rebuild_form=True)
        self.canvas.fit()
        self._shown = self.definition()
        self.flow_edited()

    def _trigger_changed(self) -> None:
        kind = self.trigger_type.currentData()
        event = self.trigger_event.currentData()
        self.keywords.setVisible(kind == "keyword")
        self.intent.setVisible(kind == "intent")
        self.trigger_event.setVisible(kind == "event")
        self.minutes.setVisible(kind == "event" and event == "cart_abandoned")

    # ------------------------------------------------------------------ the steps

    def apply(self, nodes: list[Node], selected: str, *, rebuild_form: bool) -> None:
        """Show ``nodes`` as the flow's steps (undo and redo come through here)."""
        self.nodes = copy.deepcopy(nodes)
        ids = {n["id"] for n in self.nodes}
        self.selected = selected if selected in ids else ""
        self.found = steps.problems(self.nodes)
        self.canvas.show_nodes(self.nodes, {p.node_id for p in self.found}, self.selected)
        self.problem_list.clear()
        for p in self.found:
            item = QListWidgetItem(p.text)
            item.setData(Qt.ItemDataRole.UserRole, p.node_id)
            self.problem_list.addItem(item)
        self.problem_list.setVisible(bool(self.found))
        if rebuild_form:
            self.form.show_step(self.node(self.selected), self.nodes)
        else:
            self.form.nodes = self.nodes

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n["id"] == node_id), None)

    def change(self, after: list[Node], text: str, merge: str = "") -> None:
        self.status.clear()
        self.undo_stack.push(Change(self, copy.deepcopy(self.nodes), after, text, merge))

    def _picked(self, node_id: str) -> None:
        if node_id == self.selected:
            return
        self.selected = node_id
        self.form.show_step(self.node(node_id), self.nodes)

    def _problem_clicked(self, item: QListWidgetItem) -> None:
        node_id = str(item.data(Qt.ItemDataRole.UserRole) or "")
        if self.node(node_id) is not None:
            self.select_step(node_id)

    def select_step(self, node_id: str) -> None:
        """Pick a step and bring its card into view."""
        self.selected = node_id
        self.apply(self.nodes, node_id, rebuild_form=True)
        if node_id in self.canvas.cards:
            self.canvas.ensureVisible(self.canvas.cards[node_id], 40, 40)

    def _add_at(self, kind: str, at: QPointF) -> None:
        self.add_step(kind, (at.x(), at.y()))

    def add_step(self, kind: str, at: tuple[float, float] | None = None) -> None:
        """A new step (from the palette), right of the picked one or at ``at``; the picked
        step's free way on leads to it."""
        nodes = copy.deepcopy(self.nodes)
        prev = next((n for n in nodes if n["id"] == self.selected), None)
        if at is None:
            if prev is not None:
                x, y = prev["pos"]
                at = (x + steps.CARD_W + steps.COL_GAP, y)
            else:
                bottom = max((n["pos"][1] + steps.card_height(n) for n in nodes), default=-40)
                at = (0.0, bottom + steps.ROW_GAP)
        node = steps.new_step(kind, nodes, at)
        if prev is not None and prev.get("type") not in ("condition", "handoff"):
            if not prev.get("next"):
                prev["next"] = node["id"]
        nodes.append(node)
        self.selected = node["id"]
        self.change(nodes, self.tr("Add step"))

    def move_steps(self, moved: dict[str, list[int]]) -> None:
        nodes = copy.deepcopy(self.nodes)
        for n in nodes:
            if n["id"] in moved:
                n["pos"] = list(moved[n["id"]])
        self.change(nodes, self.tr("Move step"))

    def connect_steps(self, source: str, key: str, target: str) -> None:
        nodes = copy.deepcopy(self.nodes)
        for n in nodes:
            if n["id"] == source:
                steps.set_link(n, key, target)
        self.change(nodes, self.tr("Connect"))

    def delete_items(self, ids: list[str], lines: list[list[str]]) -> None:
        nodes = copy.deepcopy(self.nodes)
        for source, key in lines:
            for n in nodes:
                if n["id"] == source:
                    steps.set_link(n, key, "")
        for node_id in ids:
            nodes = steps.remove_step(nodes, node_id)
        if self.selected in ids:
            self.selected = ""
        self.change(nodes, self.tr("Delete"))

    def make_first(self, node_id: str) -> None:
        nodes = copy.deepcopy(self.nodes)
        nodes.sort(key=lambda n: n["id"] != node_id)
        self.change(nodes, self.tr("Start the flow here"))

    def edit_step(self, edited: Node, field: str) -> None:
        nodes = [copy.deepcopy(edited) if n["id"] == edited["id"] else n for n in self.nodes]
        self.change(copy.deepcopy(nodes), self.tr("Edit step"), f"{edited['id']}:{field}")

    # ------------------------------------------------------------------ saving

    def definition(self) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        """The flow as it would be stored: name, trigger, nodes."""
        kind = self.trigger_type.currentData()
        trigger: dict[str, Any] = {"type": kind}
        if kind == "keyword":
            trigger["keywords"] = [w.strip() for w in self.keywords.text().split(",") if w.strip()]
        elif kind == "intent":
            trigger["intent"] = self.intent.currentData()
        elif kind == "event":
            trigger["event"] = self.trigger_event.currentData()
            if trigger["event"] == "cart_abandoned":
                trigger["minutes"] = self.minutes.value()
        return self.name.text(), trigger, copy.deepcopy(self.nodes)

    @asyncSlot()
    async def save(self) -> None:
        if self.found:
            self.status.setText(self.tr("Not saved: fix the steps in red first."))
            self.select_step(self.found[0].node_id)
            return
        name, trigger, nodes = self.definition()
        self.busy += 1
        try:
            view = await self.ctx.ops.write(
                flows.save_flow,
                name,
                trigger,
                nodes,
                flow_id=self.flow_id,
                enabled=self.enabled.isChecked(),
            )
        except UserError as exc:
            self.show_problem(exc)
            return
        except Exception as exc:  # environment or our bug: the shared dialog
            show_error(self, exc)
            return
        finally:
            self.busy -= 1
        self.flow_id = view.id
        selected = self.selected
        views = await self.ctx.ops.read(flows.list_flows)
        self._fill_list(views, view.id)
        if selected:
            self.select_step(selected)
        self.status.setText(self.tr("Saved."))

    def show_problem(self, exc: UserError) -> None:
        """A problem the domain found: on its step, named by the step's name."""
        index = int(exc.params.get("node") or 0)
        if 1 <= index <= len(self.nodes):
            node = self.nodes[index - 1]
            if current_language() == "th":
                what = f"{exc.params.get('field_th', '')} {exc.params.get('problem_th', '')}"
            else:
                what = str(exc).split(": ", 1)[-1]
            self.status.setText(steps.step_says(node, what.strip()))
            self.select_step(node["id"])
        else:
            self.status.setText(error_text(exc))
            if exc.params.get("field") == "name":
                self.name.setFocus()

    def new_flow(self) -> None:
        self.flow_list.clearSelection()
        self.show_flow(None)
        self.name.setFocus()

    @asyncSlot()
    async def delete_flow(self) -> None:
        if self.flow_id is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            self.tr("Delete flow"),
            self.tr("Delete “{name}”? Its runs in conversations stop.").format(
                name=self.name.text()
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        theme.message_icon(box, "question")
        if await ask(box, self) != QMessageBox.StandardButton.Yes.value:
            return
        try:
            await self.ctx.ops.write(flows.delete_flow, self.flow_id)
        except UserError as exc:
            self.show_problem(exc)
            return
        self.flow_id = None
        self._fill_list(await self.ctx.ops.read(flows.list_flows))

    @asyncSlot()
    async def move_flow(self, delta: int) -> None:
        if self.flow_id is None:
            return
        views = await self.ctx.ops.write(flows.move_flow, self.flow_id, delta)
        self._fill_list(views, self.flow_id)

    @asyncSlot()
    async def reset_builtin(self) -> None:
        if self.flow_id is None or not self.builtin:
            return
        view = await self.ctx.ops.write(flows.reset_builtin, self.flow_id)
        self._fill_list(await self.ctx.ops.read(flows.list_flows), view.id)
        self.status.setText(self.tr("Restored as shipped."))

    def _toggled(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        fid = int(item.data(Qt.ItemDataRole.UserRole))
        on = item.checkState() == Qt.CheckState.Checked
        self.ctx.ops.write_now(flows.set_enabled, fid, on)
        if fid == self.flow_id:
            self.enabled.setChecked(on)
