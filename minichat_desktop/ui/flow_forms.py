"""The side form of the step picked on the flow canvas, in plain words: a message's text with
chips and its buttons that open other flows (picked by name), a question's answer buttons as
a list, a condition from three drop-downs, a wait in days / hours / minutes, an action's
fields as pickers from the shop's own catalogue, tags and pipeline.

The form edits a copy of the step and says ``edited(node, field)`` after every change; the
screen makes that an undoable change. It never shows ids, answer names or operators.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.ui import flow_steps as steps
from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.placeholder_edit import PlaceholderEdit
from minichat_desktop.ui.wrap_layout import WrapLayout

Node = dict[str, Any]


def question_kinds() -> dict[str, str]:
    return {
        "text": t("Any text"),
        "number": t("Number"),
        "phone": t("Phone number"),
        "choice": t("One of the answer buttons"),
        "rating": t("Stars 1-5"),
    }


ACTION_DEFAULTS: dict[str, Node] = {
    "show_products": {"limit": 3},
    "add_to_cart": {"quantity": 1},
    "set_status": {"status": "qualified"},
    "apply_discount": {"percent": 5, "valid_hours": 24},
    "save_review": {"var": "rating"},
}


@dataclass
class ShopLists:
    """What the pickers offer, read from the shop when the screen loads."""

    flows: list[tuple[int, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    products: list[tuple[str, str]] = field(default_factory=list)  # (sku, label)
    tags: list[str] = field(default_factory=list)


def narrow(box: QComboBox) -> QComboBox:
    """A drop-down as wide as the form gives it, not as its longest item (the form is a
    narrow side pane; the list itself opens wide)."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    return box


def combo(items: dict[Any, str], current: Any) -> QComboBox:
    box = narrow(QComboBox())
    for key, label in items.items():
        box.addItem(label, key)
    box.setCurrentIndex(max(box.findData(current), 0))
    return box


class DurationEdit(QWidget):
    """Days, hours and minutes side by side; ``minutes()`` is the total."""

    changed = Signal()

    def __init__(self, minutes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = WrapLayout(self)  # side by side, or under each other in a narrow form
        row.setContentsMargins(0, 0, 0, 0)
        days, rest = divmod(max(minutes, 0), 24 * 60)
        self.days = self._spin(days, 30, t("days"), row)
        self.hours = self._spin(rest // 60, 23, t("hours"), row)
        self.mins = self._spin(rest % 60, 59, t("min"), row)

    def _spin(self, value: int, high: int, unit: str, row: WrapLayout) -> QSpinBox:
        box = QSpinBox()
        box.setRange(0, high)
        box.setValue(value)
        box.setSuffix(f" {unit}")
        box.valueChanged.connect(self.changed)
        row.addWidget(box)
        return box

    def minutes(self) -> int:
        return self.days.value() * 24 * 60 + self.hours.value() * 60 + self.mins.value()


class RowsEditor(QWidget):
    """A list of rows (an answer button's text; a button's text and flow) with add and
    remove; ``changed`` after each edit."""

    changed = Signal()

    def __init__(
        self, rows: list[Node], flows: list[tuple[int, str]] | None, add_label: str
    ) -> None:
        super().__init__()
        self.rows = copy.deepcopy(rows)
        self.flows = flows
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.lines: list[QLineEdit] = []
        self.pickers: list[QComboBox] = []
        self.holder = QVBoxLayout()
        self.box.addLayout(self.holder)
        self.add_btn = QPushButton(add_label)
        self.add_btn.clicked.connect(self.add_row)
        self.box.addWidget(self.add_btn, 0, Qt.AlignmentFlag.AlignLeft)
        self._draw()

    def _draw(self) -> None:
        while self.holder.count():
            item = self.holder.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        self.lines, self.pickers = [], []
        for i, row in enumerate(self.rows):
            line = QWidget()
            h = QHBoxLayout(line)
            h.setContentsMargins(0, 0, 0, 0)
            text = QLineEdit(str(row.get("label", "")))
            text.setPlaceholderText(t("Button text"))
            text.textEdited.connect(lambda s, i=i: self._label(i, s))
            h.addWidget(text, 1)
            self.lines.append(text)
            if self.flows is not None:
                pick = combo({0: t("(pick a flow)"), **dict(self.flows)}, row.get("flow", 0))
                pick.currentIndexChanged.connect(lambda _x, i=i, p=pick: self._flow(i, p))
                h.addWidget(pick, 1)
                self.pickers.append(pick)
            gone = QToolButton()
            gone.setIcon(theme.icon("close"))
            gone.setToolTip(t("Remove"))
            gone.clicked.connect(lambda _=False, i=i: self.remove_row(i))
            h.addWidget(gone)
            self.holder.addWidget(line)

    def _label(self, i: int, text: str) -> None:
        row = self.rows[i]
        if self.flows is None and row.get("value", row.get("label")) == row.get("label"):
            row["value"] = text.strip()  # the stored answer follows the button's text
        row["label"] = text
        self.changed.emit()

    def _flow(self, i: int, pick: QComboBox) -> None:
        self.rows[i]["flow"] = int(pick.currentData() or 0)
        self.changed.emit()

    def add_row(self) -> None:
        self.rows.append(
            {"label": "", "flow": 0} if self.flows is not None else {"label": "", "value": ""}
        )
        self._draw()
        self.lines[-1].setFocus()
        self.changed.emit()

    def remove_row(self, i: int) -> None:
        del self.rows[i]
        self._draw()
        self.changed.emit()


class StepForm(QWidget):
    """The picked step's fields; empty (with a hint) when no step is picked."""

    edited = Signal(dict, str)  # the step as edited, the field that changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lists = ShopLists()
        self.node: Node = {}
        self.nodes: list[Node] = []
        self.fields: dict[str, QWidget] = {}
        self.form = QFormLayout(self)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.show_step(None, [])

    def show_step(self, node: Node | None, nodes: list[Node]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        self.node = copy.deepcopy(node) if node else {}
        self.nodes = nodes
        if node is None:
            hint = QLabel(t("Pick a step on the canvas to edit it, or add one from the palette."))
            hint.setWordWrap(True)
            self.form.addRow(hint)
            return
        kind = str(node.get("type"))
        head = QLabel(f"<b>{steps.kind_names().get(kind, kind)}</b>")
        self.form.addRow(head)
        name = QLineEdit(str(node.get("step_name") or ""))
        name.setPlaceholderText(steps.step_title({**node, "step_name": ""}))
        name.textEdited.connect(lambda s: self._set("step_name", s))
        self._row(t("Step name"), "step_name", name)
        builder: Callable[[Node], None] = {
            "message": self._message,
            "question": self._question,
            "condition": self._condition,
            "wait": self._wait,
            "action": self._action,
            "handoff": self._handoff,
        }.get(kind, lambda _n: None)
        builder(node)

    # ------------------------------------------------------------------ helpers

    def _row(self, label: str, key: str, widget: QWidget) -> None:
        self.fields[key] = widget
        self.form.addRow(label, widget)

    def _set(self, key: str, value: Any) -> None:
        if value in ("", None) and key in ("step_name", "code", "category", "sku"):
            self.node.pop(key, None)
        else:
            self.node[key] = value
        self.edited.emit(copy.deepcopy(self.node), key)

    def _chips(self, label: str, key: str) -> None:
        names = {**steps.placeholder_names(), **steps.answers(self.nodes)}
        edit = PlaceholderEdit()
        lines = edit.fontMetrics().lineSpacing() * 3.6
        edit.setMinimumHeight(int(lines) + 12)
        edit.setMaximumHeight(int(lines * 1.6) + 12)
        edit.set_template(str(self.node.get(key) or ""), names)
        edit.edited.connect(lambda: self._set(key, edit.template()))
        insert = QToolButton()
        insert.setText(t("Insert shop data"))  # theme draws the menu's chevron
        insert.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(insert)
        for name, shown in names.items():
            action = menu.addAction(shown)
            action.setData(name)
        menu.triggered.connect(lambda action: edit.insert_field(str(action.data())))
        insert.setMenu(menu)
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(edit)
        v.addWidget(insert, 0, Qt.AlignmentFlag.AlignLeft)
        self._row(label, key, box)
        self.fields[f"{key}_edit"] = edit
        self.fields[f"{key}_insert"] = insert

    def _answer_picker(self, label: str, key: str, empty: str) -> None:
        items = {"": empty, **steps.answers(self.nodes)}
        box = combo(items, self.node.get(key, ""))
        box.currentIndexChanged.connect(lambda _i: self._set(key, box.currentData()))
        self._row(label, key, box)

    # ------------------------------------------------------------------ kinds

    def _message(self, node: Node) -> None:
        self._chips(t("Message"), "text")
        rows = RowsEditor(node.get("buttons") or [], self.lists.flows, t("Add a button"))
        rows.changed.connect(lambda: self._set("buttons", copy.deepcopy(rows.rows)))
        self._row(t("Buttons that open another flow"), "buttons", rows)

    def _question(self, node: Node) -> None:
        self._chips(t("Question"), "text")
        kind = combo(question_kinds(), node.get("kind", "text"))
        kind.currentIndexChanged.connect(lambda _i: self._set("kind", kind.currentData()))
        self._row(t("The answer is"), "kind", kind)
        rows = RowsEditor(node.get("choices") or [], None, t("Add an answer button"))
        rows.changed.connect(lambda: self._set("choices", copy.deepcopy(rows.rows)))
        self._row(t("Answer buttons"), "choices", rows)
        optional = QCheckBox(t("The shopper may skip it"))
        optional.setChecked(bool(node.get("optional")))
        optional.toggled.connect(lambda on: self._set("optional", on))
        self._row("", "optional", optional)
        again = QLineEdit(str(node.get("error") or ""))
        again.setPlaceholderText(t("e.g. Please tap a button"))
        again.textEdited.connect(lambda s: self._set("error", s))
        self._row(t("Asked again with"), "error", again)
        minutes = int(node.get("timeout_minutes") or 0)
        wait = QCheckBox(t("Stop waiting for the answer after"))
        wait.setChecked(minutes > 0)
        span = DurationEdit(minutes or 24 * 60)
        span.setEnabled(minutes > 0)

        def timeout() -> None:
            span.setEnabled(wait.isChecked())
            self._set("timeout_minutes", span.minutes() if wait.isChecked() else 0)

        wait.toggled.connect(timeout)
        span.changed.connect(timeout)
        self._row("", "timeout_on", wait)
        self._row("", "timeout_minutes", span)

    def _condition(self, node: Node) -> None:
        fields = {"": t("(pick)"), **steps.condition_fields(self.nodes)}
        what = combo(fields, node.get("field", ""))
        what.currentIndexChanged.connect(lambda _i: self._set("field", what.currentData()))
        self._row(t("Check"), "field", what)
        op = combo(steps.op_names(), node.get("op", "eq"))
        op.currentIndexChanged.connect(lambda _i: self._set("op", op.currentData()))
        self._row(t("Is"), "op", op)
        value = narrow(QComboBox())
        value.setEditable(True)
        question = next(
            (n for n in self.nodes if f"state.{n.get('var')}" == node.get("field")), None
        )
        if question is not None:
            for c in question.get("choices") or []:
                value.addItem(c["label"], c["value"])
        if str(node.get("field")) == "customer.status":
            for key, label in steps.status_names().items():
                value.addItem(label, key)
        at = value.findData(str(node.get("value", "")))
        if at >= 0:
            value.setCurrentIndex(at)
        else:
            value.setCurrentText(str(node.get("value", "")))
        value.currentTextChanged.connect(lambda _s: self._set("value", _typed(value)))
        self._row(t("Value"), "value", value)

    def _wait(self, node: Node) -> None:
        span = DurationEdit(int(node.get("minutes") or 60))
        span.changed.connect(lambda: self._set("minutes", span.minutes()))
        self._row(t("Wait for"), "minutes", span)

    def _handoff(self, node: Node) -> None:
        self._chips(t("Message to the shopper"), "text")
        self._chips(t("Note for the owner"), "note")

    def _action(self, node: Node) -> None:
        what = combo(steps.action_names(), node.get("action", "show_products"))

        def changed() -> None:
            # The other action's fields go; the new one's start from sensible values.
            keep = ("id", "type", "next", "pos", "step_name")
            self.node = {k: v for k, v in self.node.items() if k in keep}
            self.node.update(ACTION_DEFAULTS.get(str(what.currentData()), {}))
            self._set("action", what.currentData())
            # Its fields change with it; not inside the drop-down's own signal (it goes too).
            QTimer.singleShot(0, lambda: self.show_step(self.node, self.nodes))

        what.currentIndexChanged.connect(lambda _i: changed())
        self._row(t("Does"), "action", what)
        action = str(node.get("action"))
        if action == "show_products":
            cats = {"": t("Any category"), **{c: c for c in self.lists.categories}}
            self._pick(t("Category"), "category", cats)
            for key, label in (
                ("budget_var", t("Budget from the answer to")),
                ("color_var", t("Colour from the answer to")),
                ("size_var", t("Size from the answer to")),
            ):
                self._answer_picker(label, key, t("(not used)"))
            self._number(t("How many products"), "limit", 1, 10, 3)
        elif action == "add_to_cart":
            self._pick(
                t("Product"), "sku", {"": t("(pick a product)"), **dict(self.lists.products)}
            )
            self._number(t("Quantity"), "quantity", 1, 999, 1)
        elif action == "tag_customer":
            self._tag()
        elif action == "set_status":
            self._pick(t("Status"), "status", steps.status_names())
        elif action == "notify_owner":
            title = QLineEdit(str(node.get("title") or ""))
            title.textEdited.connect(lambda s: self._set("title", s))
            self._row(t("Notice heading"), "title", title)
            self._chips(t("Details"), "body")
        elif action == "apply_discount":
            self._discount(node)
        elif action == "save_review":
            self._answer_picker(t("Rating from the answer to"), "var", t("(pick a question)"))

    def _pick(self, label: str, key: str, items: dict[Any, str]) -> None:
        box = combo(items, self.node.get(key, ""))
        box.currentIndexChanged.connect(lambda _i: self._set(key, box.currentData()))
        self._row(label, key, box)

    def _number(self, label: str, key: str, low: int, high: int, default: int) -> None:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(int(self.node.get(key) or default))
        box.valueChanged.connect(lambda v: self._set(key, v))
        self._row(label, key, box)

    def _tag(self) -> None:
        box = narrow(QComboBox())
        box.setEditable(True)
        box.addItems(self.lists.tags)
        box.setCurrentText(str(self.node.get("tag") or ""))
        box.currentTextChanged.connect(lambda s: self._set("tag", s.strip()))
        self._row(t("Tag"), "tag", box)

    def _discount(self, node: Node) -> None:
        code = QLineEdit(str(node.get("code") or ""))
        code.setPlaceholderText(t("leave empty for a new code"))
        code.textEdited.connect(lambda s: self._set("code", s.strip()))
        self._row(t("Existing code"), "code", code)
        self._number(t("New code: percent off"), "percent", 1, 90, 5)
        self._number(t("New code: valid for hours"), "valid_hours", 1, 2160, 24)
        self._number(t("Minimum purchase (baht)"), "min_baht", 0, 1_000_000, 0)


def _typed(box: QComboBox) -> Any:
    """A condition's value: a picked item's stored value, or what was typed (a number when
    it reads as one)."""
    at = box.findText(box.currentText())
    if at >= 0 and box.itemData(at) is not None:
        return box.itemData(at)
    text = box.currentText().strip()
    try:
        return int(text)
    except ValueError:
        return text
