"""Sales flows: the list of the shop's flows (switch on/off, built-in badge, order) and an
editor for one — its trigger, its nodes as a list and as a diagram (boxes and arrows:
``flow_diagram.py``; click a box to edit it) with a form per node kind, the links to the next
node as drop-downs. Validation happens in the domain (:mod:`domain.bot.flows`); its
error names the node and field, shown in the owner's language, and that node is selected."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.domain.bot import flows
from minichat_desktop.domain.bot.nlu import INTENTS
from minichat_desktop.errors import UserError
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import ask
from minichat_desktop.ui.errors import error_text, show_error
from minichat_desktop.ui.flow_diagram import FlowDiagram
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.theme import push_button


def node_kinds() -> dict[str, str]:
    return {
        "message": t("Message"),
        "question": t("Question"),
        "action": t("Action"),
        "condition": t("Condition"),
        "wait": t("Wait"),
        "handoff": t("Hand over to staff"),
    }


def trigger_kinds() -> dict[str, str]:
    return {
        "keyword": t("Keywords"),
        "intent": t("What the shopper wants"),
        "button": t("Button only"),
        "event": t("Event"),
    }


def events() -> dict[str, str]:
    return {
        "cart_abandoned": t("Cart left untouched"),
        "order_delivered": t("Order delivered"),
    }


def actions() -> dict[str, str]:
    return {
        "show_products": t("Show products"),
        "show_cart": t("Show the cart"),
        "add_to_cart": t("Add to cart"),
        "checkout": t("Start checkout"),
        "tag_customer": t("Tag the customer"),
        "set_status": t("Set pipeline status"),
        "notify_owner": t("Notify the owner"),
        "apply_discount": t("Give a discount"),
        "save_review": t("Save the rating"),
    }


def question_kinds() -> dict[str, str]:
    return {
        "text": t("Any text"),
        "number": t("Number"),
        "phone": t("Phone number"),
        "choice": t("One of the choices"),
        "rating": t("Stars 1-5"),
    }


def ops() -> dict[str, str]:
    return {
        "eq": t("equals"),
        "ne": t("is not"),
        "lt": t("less than"),
        "le": t("at most"),
        "gt": t("more than"),
        "ge": t("at least"),
        "contains": t("contains"),
        "set": t("is filled in"),
        "unset": t("is empty"),
    }


def statuses() -> dict[str, str]:
    return {
        "new": t("New lead"),
        "contacted": t("Contacted"),
        "qualified": t("Qualified"),
        "converted": t("Converted"),
        "lost": t("Lost lead"),
    }


# Which fields each action shows: (key, label, kind) — kind text, int or status.
def action_fields() -> dict[str, list[tuple[str, str, str]]]:
    return {
        "show_products": [
            ("category", t("Category (empty: any)"), "text"),
            ("budget_var", t("Budget from answer"), "text"),
            ("color_var", t("Colour from answer"), "text"),
            ("size_var", t("Size from answer"), "text"),
            ("limit", t("How many products"), "int"),
        ],
        "show_cart": [],
        "add_to_cart": [
            ("sku", t("Product code (SKU)"), "text"),
            ("quantity", t("Quantity"), "int"),
        ],
        "checkout": [],
        "tag_customer": [("tag", t("Tag"), "text")],
        "set_status": [("status", t("Status"), "status")],
        "notify_owner": [
            ("title", t("Notification title"), "text"),
            ("body", t("Details"), "text"),
        ],
        "apply_discount": [
            ("code", t("Existing code (or leave empty)"), "text"),
            ("percent", t("New code: percent off"), "int"),
            ("valid_hours", t("New code: valid for hours"), "int"),
            ("min_baht", t("Minimum purchase (baht)"), "int"),
        ],
        "save_review": [("var", t("Rating from answer"), "text")],
    }


def _combo(items: dict[str, str], current: str) -> QComboBox:
    box = QComboBox()
    for key, label in items.items():
        box.addItem(label, key)
    idx = box.findData(current)
    box.setCurrentIndex(max(idx, 0))
    return box


def _spin(value: Any, low: int = 0, high: int = 1_000_000) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    try:
        box.setValue(int(value or 0))
    except (TypeError, ValueError):
        box.setValue(0)
    return box


def node_summary(i: int, node: dict[str, Any]) -> str:
    kind = node_kinds().get(node.get("type", ""), node.get("type", ""))
    if node.get("type") == "action":
        what = actions().get(node.get("action", ""), "")
    elif node.get("type") == "condition":
        what = (
            f"{node.get('field', '')} {ops().get(node.get('op', ''), '')} {node.get('value', '')}"
        )
    elif node.get("type") == "wait":
        what = t("{minutes} min").format(minutes=node.get("minutes", 0))
    else:
        what = str(node.get("text", "")).replace("\n", " ")
    if len(what) > 48:
        what = what[:47] + "…"
    return f"{i}. [{kind}] {what}  ({node.get('id', '')})"


class FlowsScreen(QWidget):
    """Flows list on the left, the editor on the right."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.flows: list[flows.FlowView] = []
        self.flow_id: int | None = None
        self.builtin = ""
        self.nodes: list[dict[str, Any]] = []
        self.current = -1
        self.fields: dict[str, Any] = {}
        self._loading = False
        self.busy = 0
        self.dialog: QMessageBox | None = None

        split = QSplitter(Qt.Orientation.Horizontal, self)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.addWidget(split)
        split.addWidget(self._build_flow_list())
        split.addWidget(self._build_editor())
        split.setStretchFactor(1, 3)
        split.setSizes([230, 970])

        self.reload_now()

    # ------------------------------------------------------------------ building

    def _build_flow_list(self) -> QWidget:
        """The flows in the order they are tried, ticked when on, and what moves them."""
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        title = QLabel(self.tr("Bot flows"))
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        lv.addWidget(title)
        hint = QLabel(
            self.tr("Tick to switch a flow on. Flows higher in the list are tried first.")
        )
        hint.setWordWrap(True)
        lv.addWidget(hint)
        self.flow_list = QListWidget()
        self.flow_list.setWordWrap(True)  # a long flow name wraps (no sideways scrolling)
        self.flow_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.flow_list.currentRowChanged.connect(self._pick_flow)
        self.flow_list.itemChanged.connect(self._toggled)
        lv.addWidget(self.flow_list, 1)
        row = QHBoxLayout()
        self.new_btn = push_button(self.new_flow, self.tr("New flow"))
        self.delete_btn = push_button(self.delete_flow, self.tr("Delete"))
        self.up_btn = push_button(lambda: self.move_flow(-1), "▲")
        self.up_btn.setToolTip(self.tr("Move up"))
        self.down_btn = push_button(lambda: self.move_flow(1), "▼")
        self.down_btn.setToolTip(self.tr("Move down"))
        for b in (self.new_btn, self.delete_btn, self.up_btn, self.down_btn):
            row.addWidget(b)
        lv.addLayout(row)
        return left

    def _build_editor(self) -> QWidget:
        """The flow shown: its name and trigger, its steps beside the step's form, and the
        buttons that save or restore it."""
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 0, 0, 0)
        rv.addLayout(self._build_head())
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self._build_steps())
        self.form_box = QFrame()
        self.form_box.setFrameShape(QFrame.Shape.StyledPanel)
        box_layout = QVBoxLayout(self.form_box)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(
            QFormLayout.RowWrapPolicy.WrapLongRows
        )  # labels above, if narrow
        box_layout.addLayout(self.form)
        box_layout.addStretch(1)
        # The step's form scrolls rather than squeezing its rows onto each other on a
        # laptop screen (a message box drawn over the field below it).
        form_scroll = QScrollArea()
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        form_scroll.setWidget(self.form_box)
        body.addWidget(form_scroll)
        body.setStretchFactor(1, 1)
        body.setSizes([300, 520])  # the form gets the room first (it cannot wrap)
        rv.addWidget(body, 1)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b42318;")
        rv.addWidget(self.error)
        bottom = QHBoxLayout()
        self.status = QLabel()
        bottom.addWidget(self.status, 1)
        self.reset_btn = push_button(self.reset_builtin, self.tr("Restore as shipped"))
        bottom.addWidget(self.reset_btn)
        self.save_btn = QPushButton(self.tr("Save flow"))
        self.save_btn.setDefault(True)
        self.save_btn.clicked.connect(self.save)
        bottom.addWidget(self.save_btn)
        rv.addLayout(bottom)
        return right

    def _build_head(self) -> QFormLayout:
        """The flow's name, whether it is on, and what starts it."""
        head = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. Help me choose"))
        head.addRow(self.tr("Flow name"), self.name)
        self.enabled = QCheckBox(self.tr("Switched on"))
        self.badge = QLabel()
        self.badge.setStyleSheet(
            "background: #e8f0fe; color: #1a56db; border-radius: 8px; padding: 2px 8px;"
        )
        er = QHBoxLayout()
        er.addWidget(self.enabled)
        er.addWidget(self.badge)
        er.addStretch(1)
        head.addRow("", er)
        self.trigger_type = _combo(trigger_kinds(), "keyword")
        self.trigger_type.currentIndexChanged.connect(self._trigger_changed)
        head.addRow(self.tr("Starts on"), self.trigger_type)
        self.keywords = QLineEdit()
        self.keywords.setPlaceholderText(self.tr("words, separated by commas"))
        head.addRow(self.tr("Keywords"), self.keywords)
        self.intent = _combo({i: i for i in INTENTS}, "product_inquiry")
        head.addRow(self.tr("Intent"), self.intent)
        self.trigger_event = _combo(events(), "cart_abandoned")
        self.trigger_event.currentIndexChanged.connect(self._trigger_changed)
        head.addRow(self.tr("Event"), self.trigger_event)
        self.minutes = _spin(60, 1, 10080)
        self.minutes.setSuffix(" " + self.tr("min"))
        head.addRow(self.tr("Untouched for"), self.minutes)
        self.head = head
        return head

    def _build_steps(self) -> QWidget:
        """The steps as a list and as a diagram, and what adds, removes and moves them."""
        nodes_box = QWidget()
        nv = QVBoxLayout(nodes_box)
        nv.setContentsMargins(0, 0, 0, 0)
        nv.addWidget(QLabel(self.tr("Steps (the first one starts the flow)")))
        self.node_list = QListWidget()
        self.node_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.node_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.node_list.setMaximumHeight(150)
        self.node_list.currentRowChanged.connect(self._pick_node)
        nv.addWidget(self.node_list)
        self.diagram = FlowDiagram(lambda node: node_summary(0, node).split(" ", 1)[1])
        self.diagram.picked.connect(self.node_list.setCurrentRow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.StyledPanel)
        scroll.setWidget(self.diagram)
        nv.addWidget(scroll, 1)
        nb = QHBoxLayout()
        self.add_kind = _combo(node_kinds(), "message")
        self.add_btn = push_button(self.add_node, self.tr("Add step"))
        nb.addWidget(self.add_kind, 1)
        nb.addWidget(self.add_btn)
        nv.addLayout(nb)
        nb2 = QHBoxLayout()
        self.remove_btn = push_button(self.remove_node, self.tr("Remove step"))
        self.node_up = push_button(lambda: self.move_node(-1), "▲")
        self.node_down = push_button(lambda: self.move_node(1), "▼")
        for b in (self.remove_btn, self.node_up, self.node_down):
            nb2.addWidget(b)
        nv.addLayout(nb2)
        return nodes_box

    # ------------------------------------------------------------------ loading

    def reload_now(self, select_id: int | None = None) -> None:
        """First paint: the flows (the built-ins installed on the way)."""
        views = self.ctx.ops.write_now(flows.ensure_builtin_flows)
        self._fill_list(views, select_id)

    def _fill_list(self, views: list[flows.FlowView], select_id: int | None = None) -> None:
        self.flows = views
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
        self.show_flow(self.flows[row])

    def show_flow(self, v: flows.FlowView | None) -> None:
        self.error.clear()
        self.status.clear()
        self.flow_id = v.id if v else None
        self.builtin = v.builtin if v else ""
        self.name.setText(v.name if v else "")
        self.enabled.setChecked(v.enabled if v else True)
        self.badge.setText(self.tr("Built in") if self.builtin else "")
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
        self.nodes = (
            copy.deepcopy(v.nodes)
            if v
            else [{"id": "n1", "type": "message", "text": "", "next": ""}]
        )
        self.current = -1
        self._refresh_nodes(0)

    def _trigger_changed(self) -> None:
        kind = self.trigger_type.currentData()
        event = self.trigger_event.currentData()
        self.head.setRowVisible(self.keywords, kind == "keyword")
        self.head.setRowVisible(self.intent, kind == "intent")
        self.head.setRowVisible(self.trigger_event, kind == "event")
        self.head.setRowVisible(self.minutes, kind == "event" and event == "cart_abandoned")

    # ------------------------------------------------------------------ nodes

    def _refresh_nodes(self, select: int) -> None:
        self._loading = True
        self.node_list.clear()
        for i, node in enumerate(self.nodes, 1):
            self.node_list.addItem(node_summary(i, node))
        self._loading = False
        self.current = -1
        if self.nodes:
            select = max(0, min(select, len(self.nodes) - 1))
            self.node_list.setCurrentRow(select)
            self._pick_node(select)
        else:
            self._clear_form()
            self.diagram.show_nodes(self.nodes, -1)

    def _pick_node(self, row: int) -> None:
        if self._loading or row == self.current:
            return
        self.commit_node()
        self.current = row
        if 0 <= row < len(self.nodes):
            self._build_form(self.nodes[row])
        self.diagram.show_nodes(self.nodes, row)

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}

    def _links(self, current: str) -> QComboBox:
        items = {"": self.tr("(end of flow)")}
        for i, n in enumerate(self.nodes, 1):
            items[n["id"]] = f"{i}. {n['id']}"
        box = _combo(items, current)
        if current and box.findData(current) < 0:
            box.addItem(current, current)
            box.setCurrentIndex(box.count() - 1)
        return box

    def _text(self, key: str, label: str, value: Any, multi: bool = False) -> None:
        if multi:
            w: Any = QPlainTextEdit(str(value or ""))
            w.setFixedHeight(80)
        else:
            w = QLineEdit(str(value or ""))
        self.fields[key] = w
        self.form.addRow(label, w)

    def _build_form(self, node: dict[str, Any]) -> None:
        self._clear_form()
        kind = node.get("type", "message")
        self.form.addRow(QLabel(f"<b>{node_kinds().get(kind, kind)}</b>"))
        self._text("id", self.tr("Step id"), node.get("id"))
        if kind in ("message", "question", "handoff"):
            self._text("text", self.tr("Text"), node.get("text"), multi=True)
        if kind == "message":
            lines = "\n".join(f"{b['label']} = {b['flow']}" for b in node.get("buttons") or [])
            self._text(
                "buttons", self.tr("Buttons that start flows (label = flow number)"), lines, True
            )
            self.fields["buttons"].setToolTip(
                self.tr("Flow numbers: {ids}").format(ids=self._ids())
            )
        if kind == "question":
            self._text("var", self.tr("Save answer as"), node.get("var"))
            box = _combo(question_kinds(), node.get("kind", "text"))
            self.fields["kind"] = box
            self.form.addRow(self.tr("Answer kind"), box)
            lines = "\n".join(
                c["label"]
                if c["label"] == c.get("value")
                else f"{c['label']} = {c.get('value', '')}"
                for c in node.get("choices") or []
            )
            self._text("choices", self.tr("Choices (one a line, label = value)"), lines, True)
            opt = QCheckBox(self.tr("The shopper may skip it"))
            opt.setChecked(bool(node.get("optional")))
            self.fields["optional"] = opt
            self.form.addRow("", opt)
            self._text("error", self.tr("Asked again with"), node.get("error"))
            self.fields["timeout_minutes"] = _spin(node.get("timeout_minutes"), 0, 43200)
            self.form.addRow(
                self.tr("Wait for the answer (min, 0: always)"), self.fields["timeout_minutes"]
            )
            self.fields["timeout_next"] = self._links(str(node.get("timeout_next") or ""))
            self.form.addRow(self.tr("When no answer comes"), self.fields["timeout_next"])
        elif kind == "action":
            box = _combo(actions(), node.get("action", "show_products"))
            box.currentIndexChanged.connect(self._action_changed)
            self.fields["action"] = box
            self.form.addRow(self.tr("Does"), box)
            for key, label, fkind in action_fields().get(box.currentData(), []):
                if fkind == "int":
                    low = 1 if key in ("quantity", "limit", "valid_hours") else 0
                    self.fields[key] = _spin(node.get(key) or low, low)
                    self.form.addRow(label, self.fields[key])
                elif fkind == "status":
                    self.fields[key] = _combo(statuses(), node.get(key, "qualified"))
                    self.form.addRow(label, self.fields[key])
                else:
                    self._text(key, label, node.get(key))
        elif kind == "condition":
            self._text("field", self.tr("Check"), node.get("field", "state."))
            self.fields["op"] = _combo(ops(), node.get("op", "eq"))
            self.form.addRow(self.tr("Is"), self.fields["op"])
            self._text("value", self.tr("Value"), node.get("value"))
            self.fields["then"] = self._links(str(node.get("then") or ""))
            self.form.addRow(self.tr("If true, go to"), self.fields["then"])
            self.fields["else"] = self._links(str(node.get("else") or ""))
            self.form.addRow(self.tr("Otherwise, go to"), self.fields["else"])
        elif kind == "wait":
            self.fields["minutes"] = _spin(node.get("minutes") or 60, 1, 43200)
            self.form.addRow(self.tr("Wait (minutes)"), self.fields["minutes"])
        elif kind == "handoff":
            self._text("note", self.tr("Note for the owner"), node.get("note"))
        if kind != "condition":
            self.fields["next"] = self._links(str(node.get("next") or ""))
            self.form.addRow(self.tr("Then go to"), self.fields["next"])

    def _action_changed(self) -> None:
        self.commit_node()
        if 0 <= self.current < len(self.nodes):
            self._build_form(self.nodes[self.current])

    def commit_node(self) -> None:
        """The form's values into the node being edited."""
        if not 0 <= self.current < len(self.nodes) or not self.fields:
            return
        node = self.nodes[self.current]
        old_id = node.get("id", "")
        for key, w in self.fields.items():
            if isinstance(w, QPlainTextEdit):
                value: Any = w.toPlainText()
            elif isinstance(w, QLineEdit):
                value = w.text().strip()
            elif isinstance(w, QComboBox):
                value = w.currentData()
            elif isinstance(w, QSpinBox):
                value = w.value()
            elif isinstance(w, QCheckBox):
                value = w.isChecked()
            else:
                continue
            node[key] = value
        if node.get("type") == "message":
            node["buttons"] = [
                self._button(line)
                for line in str(node.get("buttons", "")).splitlines()
                if line.strip()
            ]
        if node.get("type") == "question":
            node["choices"] = [
                self._choice(line)
                for line in str(node.get("choices", "")).splitlines()
                if line.strip()
            ]
            if not node.get("timeout_minutes"):
                node.pop("timeout_minutes", None)
        if node.get("type") == "action":
            for key in ("code",):
                if not node.get(key):
                    node.pop(key, None)
            if node.get("action") == "apply_discount" and node.get("code"):
                node.pop("percent", None)
        if node.get("type") == "condition":
            node["value"] = self._value(node.get("value", ""))
        new_id = node.get("id", "")
        if old_id and new_id and new_id != old_id:
            for other in self.nodes:  # keep the links to a renamed step
                for link in ("next", "then", "else", "timeout_next"):
                    if other.get(link) == old_id:
                        other[link] = new_id
        item = self.node_list.item(self.current)
        if item is not None:
            item.setText(node_summary(self.current + 1, node))
        self.diagram.update()

    def _ids(self) -> str:
        return ", ".join(f"{v.id} {v.name}" for v in self.flows)

    @staticmethod
    def _button(line: str) -> dict[str, Any]:
        label, _, target = line.rpartition("=")
        if not label:
            label, target = target, ""
        number = target.strip()
        return {"label": label.strip(), "flow": int(number) if number.isdigit() else 0}

    @staticmethod
    def _choice(line: str) -> dict[str, str]:
        label, sep, value = line.partition("=")
        label = label.strip()
        return {"label": label, "value": value.strip() if sep else label}

    @staticmethod
    def _value(text: Any) -> Any:
        s = str(text).strip()
        try:
            return int(s)
        except ValueError:
            try:
                return float(s)
            except ValueError:
                return s

    def _new_id(self) -> str:
        used = {n.get("id") for n in self.nodes}
        n = len(self.nodes) + 1
        while f"n{n}" in used:
            n += 1
        return f"n{n}"

    def add_node(self) -> None:
        self.commit_node()
        kind = self.add_kind.currentData()
        node: dict[str, Any] = {"id": self._new_id(), "type": kind, "next": ""}
        if kind == "question":
            node.update(text="", var=f"answer{len(self.nodes) + 1}", kind="text")
        elif kind == "action":
            node.update(action="show_products", limit=3)
        elif kind == "condition":
            node.update(field="state.", op="eq", value="", then="", **{"else": ""})
        elif kind == "wait":
            node.update(minutes=60)
        else:
            node.update(text="")
        at = self.current + 1 if self.current >= 0 else len(self.nodes)
        # The step before now leads to the new one when it led nowhere.
        if 0 <= self.current < len(self.nodes) and not self.nodes[self.current].get("next"):
            if self.nodes[self.current].get("type") not in ("condition", "handoff"):
                self.nodes[self.current]["next"] = node["id"]
        self.nodes.insert(at, node)
        self._refresh_nodes(at)

    def remove_node(self) -> None:
        if not 0 <= self.current < len(self.nodes):
            return
        gone = self.nodes.pop(self.current)
        for other in self.nodes:
            for link in ("next", "then", "else", "timeout_next"):
                if other.get(link) == gone.get("id"):
                    other[link] = gone.get("next", "")
        self.current = -1
        self.fields = {}
        self._refresh_nodes(min(self.node_list.currentRow(), len(self.nodes) - 1))

    def move_node(self, delta: int) -> None:
        self.commit_node()
        i, j = self.current, self.current + delta
        if not (0 <= i < len(self.nodes) and 0 <= j < len(self.nodes)):
            return
        self.nodes[i], self.nodes[j] = self.nodes[j], self.nodes[i]
        self.current = -1
        self._refresh_nodes(j)

    # ------------------------------------------------------------------ saving

    def definition(self) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        self.commit_node()
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
        views = await self.ctx.ops.read(flows.list_flows)
        self._fill_list(views, view.id)
        self.status.setText(self.tr("Saved."))

    def show_problem(self, exc: UserError) -> None:
        self.error.setText(error_text(exc))
        node = int(exc.params.get("node") or 0)
        if 1 <= node <= len(self.nodes):
            self.current = -1
            self._refresh_nodes(node - 1)
            field = self.fields.get(str(exc.params.get("field", "")))
            if field is not None:
                field.setFocus()
        elif exc.params.get("field") == "name":
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
            QMessageBox.Icon.Question,
            self.tr("Delete flow"),
            self.tr("Delete “{name}”? Its runs in conversations stop.").format(
                name=self.name.text()
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
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
