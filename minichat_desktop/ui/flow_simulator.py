"""The flow simulator: a phone-like chat in the flow editor's side panel where the owner plays
the shopper and the flow being edited answers — with the shop's real products, prices, stock
and PromptPay, on a scratch copy of the database (:mod:`minichat_desktop.app.flow_trial`), so
nothing it does reaches the shop's data.

The shop's messages are on the left as a shopper sees them (text, answer buttons and quick
replies that can be pressed, product cards with their pictures, the cart, the order, the
PromptPay QR), each with a small caption naming the step that said it; the shopper's are on
the right. The flow starts as its trigger would: typing (a keyword, shown as suggestions), a
"simulate an event" button for an event, a "start" button for a button or intent start.
Waits show as "(รอ 3 วัน)" with a "ข้ามเวลา" button; a handoff as "ส่งต่อให้แอดมิน".
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import flow_trial
from minichat_desktop.domain.thai import chat_baht
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.ui import flow_steps, theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.errors import error_text
from minichat_desktop.ui.i18n import current_language
from minichat_desktop.ui.inbox import ElidedLabel
from minichat_desktop.ui.tables import plain_label
from minichat_desktop.ui.wrap_layout import WrapLayout
from relay import protocol as p

log = logging.getLogger(__name__)

__all__ = ["FlowSimulator"]

CARD_WIDTH = 148
PICTURE_HEIGHT = 84
QR_SIZE = 200
SNIPPET = 26  # characters of a step's text in its caption
LEADING_VOWELS = "เแโใไ"
BUBBLE_SHARE = 0.8  # of the chat's width, at most
BUBBLE_PADDING = 24  # the bubble's padding (theme: 10 px a side) and a little air


class FlowSimulator(QWidget):
    """:meth:`load` a flow (as the editor holds it), then chat with it. "Restart" (and every
    :meth:`load`) starts a new trial on a fresh copy of the shop's data."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.trial: flow_trial.FlowTrial | None = None
        self.flow: tuple[str, dict[str, Any], list[dict[str, Any]], int | None] | None = None
        self.quick_buttons: list[QPushButton] = []
        self.busy = False
        self._again = False  # a restart was asked for while busy
        self.turns = 0  # answers shown since the trial started (-1: a trial is being made)
        self._build()
        self.destroyed.connect(_closer(self))
        self.retranslate()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(6)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("LaneTitle")
        head.addWidget(self.title, 1)
        self.restart_button = theme.push_button(self.restart)
        head.addWidget(self.restart_button)
        col.addLayout(head)
        self.hint = QLabel()
        self.hint.setObjectName("Muted")
        self.hint.setWordWrap(True)
        col.addWidget(self.hint)
        self.area = QScrollArea()
        self.area.setObjectName("SimPhone")
        self.area.setWidgetResizable(True)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.chat = QWidget()
        self.chat.setObjectName("SimPhone")
        self.lines = QVBoxLayout(self.chat)
        self.lines.setContentsMargins(8, 8, 8, 8)
        self.lines.setSpacing(6)
        self.lines.addStretch(1)
        self.area.setWidget(self.chat)
        self.area.verticalScrollBar().rangeChanged.connect(self._to_bottom)
        col.addWidget(self.area, 1)
        self.starters = WrapLayout(spacing=6)
        col.addLayout(self.starters)
        row = QHBoxLayout()
        self.input = QLineEdit()
        self.input.returnPressed.connect(self.send)
        row.addWidget(self.input, 1)
        self.send_button = theme.push_button(self.send, primary=True)
        row.addWidget(self.send_button)
        col.addLayout(row)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Try the flow"))
        self.restart_button.setText(self.tr("Restart"))
        self.hint.setText(self.tr("Your real products and prices; nothing is saved to the shop."))
        self.input.setPlaceholderText(self.tr("Type as the shopper…"))
        self.send_button.setText(self.tr("Send"))
        self._fill_starters()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ the flow

    def load(
        self,
        name: str,
        trigger: dict[str, Any],
        nodes: list[dict[str, Any]],
        flow_id: int | None = None,
    ) -> None:
        """Try this flow (the stored format; unsaved changes included). ``flow_id``: the
        stored flow it is a version of, so other flows' buttons that start it start this
        version. Starts a new trial."""
        self.flow = (name, dict(trigger), [dict(n) for n in nodes], flow_id)
        self._fill_starters()
        self.restart()

    @asyncSlot()
    async def restart(self) -> None:
        """A new trial: a fresh copy of the shop's data, an empty chat. Asked while a call is
        under way (the editor loads a changed flow), it starts when that call ends."""
        if self.flow is None:
            return
        if self.busy:
            self._again = True
            return
        self._set_busy(True)
        try:
            await self._renew()
        finally:
            self._set_busy(False)

    async def _renew(self) -> None:
        """Close the trial, open one of :attr:`flow` (again while a newer flow was loaded
        meanwhile); the caller holds :attr:`busy`."""
        self._again = True
        while self._again and self.flow is not None:
            self._again = False
            self._clear()
            self.turns = -1
            old, self.trial = self.trial, None
            try:
                if old is not None:
                    await self.ctx.ops.call(old.close)
                name, trigger, nodes, flow_id = self.flow
                self.trial = await self.ctx.ops.call(
                    flow_trial.FlowTrial.open,
                    self.ctx.ops.db,
                    self.ctx.data_dir,
                    name,
                    trigger,
                    nodes,
                    flow_id=flow_id,
                )
            except Exception as exc:
                self._problem(exc)
            self.turns = 0

    def shutdown(self) -> None:
        """Drop the scratch copy now (the screen closes)."""
        if self.trial is not None:
            self.trial.close()
            self.trial = None

    # ------------------------------------------------------------------ the owner acts

    @asyncSlot()
    async def send(self) -> None:
        words = self.input.text().strip()
        if not words or self.trial is None or self.busy:
            return
        self.input.clear()
        await self._do(self.trial.say, words)

    async def press(self, button: p.Button) -> None:
        """The shopper presses ``button`` (an answer button, a quick reply, a card's)."""
        if self.trial is not None and not self.busy:
            await self._do(self.trial.press, button)

    @asyncSlot()
    async def start_flow(self) -> None:
        if self.trial is not None and not self.busy:
            await self._do(self.trial.start)

    @asyncSlot()
    async def skip_time(self) -> None:
        if self.trial is not None and not self.busy:
            await self._do(self.trial.skip_time)

    async def _do(self, fn: Any, *args: Any) -> None:
        self._set_busy(True)
        try:
            turn = await self.ctx.ops.call(fn, *args)
            if self._again:  # a changed flow was loaded meanwhile: this answer is not its
                await self._renew()
            else:
                self._show(turn)
        except Exception as exc:
            self._problem(exc)
        finally:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for w in (self.input, self.send_button, self.restart_button):
            w.setEnabled(not busy)

    def _problem(self, exc: BaseException) -> None:
        if isinstance(exc, UserError) and exc.code == "flow.bad_node":
            self._note(self.tr("Cannot try it yet: %1").replace("%1", self._node_problem(exc)))
        elif isinstance(exc, DomainError):
            self._note(self.tr("Cannot try it yet: %1").replace("%1", error_text(exc)))
        else:
            log.error("flow simulator failed", exc_info=exc)
            self._note(self.tr("Something went wrong; the details are in the log file."))

    def _node_problem(self, exc: UserError) -> str:
        node = int(exc.params.get("node", 0) or 0)
        raw = self.flow[2][node - 1] if self.flow and 0 < node <= len(self.flow[2]) else {}
        title = step_title(raw) if raw else ""
        if current_language() == "th":
            what = f"{exc.params.get('field_th', '')} {exc.params.get('problem_th', '')}"
        else:
            what = f"{exc.params.get('field', '')} {exc.params.get('problem', '')}"
        return self.tr("step “%1”: %2").replace("%1", title).replace("%2", what.strip())

    # ------------------------------------------------------------------ showing

    def _clear(self) -> None:
        while self.lines.count() > 1:
            item = self.lines.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.quick_buttons = []

    def _add(self, widget: QWidget) -> None:
        self.lines.insertWidget(self.lines.count() - 1, widget)

    def _to_bottom(self, _low: int, high: int) -> None:
        self.area.verticalScrollBar().setValue(high)

    def _show(self, turn: flow_trial.Turn) -> None:
        for b in self.quick_buttons:
            b.setEnabled(False)  # as in LINE: quick replies go with the next message
        self.quick_buttons = []
        for said in turn.said:
            if said.who == "shopper":
                self._add(_row(_bubble(said.text, "SimShopper"), right=True))
            else:
                self._add(self._shop_message(said, turn.pictures))
        if turn.handed_off:
            self._note(self.tr("Handed over to an admin"))
        if turn.waiting is not None:
            self._waiting(turn.waiting)
        if turn.ended:
            self._note(self.tr("The flow ended"))
        self.turns += 1

    def _note(self, text: str) -> QLabel:
        label = plain_label(text, "SimNote")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._add(label)
        return label

    def _waiting(self, waiting: flow_trial.Waiting) -> None:
        span = duration(waiting.minutes)
        if waiting.kind == "wait":
            text = self.tr("(waiting %1)").replace("%1", span)
        else:
            text = self.tr("(with no answer, it goes on by itself in %1)").replace("%1", span)
        self._note(text)
        skip = theme.push_button(self.skip_time, self.tr("Skip the time"))
        skip.setProperty("quick", True)
        self.quick_buttons.append(skip)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(skip, 0, Qt.AlignmentFlag.AlignHCenter)
        self._add(box)

    def _shop_message(self, said: flow_trial.Said, pictures: dict[str, str]) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(3)
        body = said.body
        if said.image_path:
            col.addWidget(_row(_qr(said.image_path)))
            if said.caption:
                col.addWidget(_row(_bubble(said.caption, "SimShop")))
        elif isinstance(body, p.Text):
            col.addWidget(_row(_bubble(body.text, "SimShop")))
        elif isinstance(body, p.Buttons):
            col.addWidget(_row(self._buttons_bubble(body)))
        elif isinstance(body, p.ProductCard | p.Carousel):
            cards = (body.card,) if isinstance(body, p.ProductCard) else body.cards
            if isinstance(body, p.Carousel) and body.text:
                col.addWidget(_row(_bubble(body.text, "SimShop")))
            col.addWidget(self._cards(cards, pictures))
        elif isinstance(body, p.CartSummary):
            col.addWidget(_row(self._cart(body)))
        elif isinstance(body, p.OrderStatus):
            col.addWidget(_row(self._order(body)))
        if said.quick:
            col.addWidget(self._quick_row(said.quick))
        # One line cut to the chat's width; the whole title shows on hover.
        col.addWidget(ElidedLabel(self._caption(said.step), objectName="SimStep"))
        return box

    def _caption(self, step: str) -> str:
        # The trial's nodes, as validated: a node the editor gave no id has one there.
        node = self.trial.nodes.get(step) if step and self.trial is not None else None
        if node is None:
            return self.tr("The bot's own answer (outside the flow)")
        return self.tr("From step: %1").replace("%1", step_title(node))

    def _button(self, b: p.Button, *, quick: bool = False) -> QPushButton:
        button = QPushButton(b.label)
        if quick:
            button.setProperty("quick", True)
        button.clicked.connect(lambda _=False, b=b: self._press_soon(b))
        if b.action is p.ButtonAction.URL:
            button.setToolTip(b.url or "")
        return button

    @asyncSlot()
    async def _press_soon(self, button: p.Button) -> None:
        await self.press(button)

    def _quick_row(self, buttons: tuple[p.Button, ...]) -> QWidget:
        box = QWidget()
        wrap = WrapLayout(box, spacing=4)
        for b in buttons:
            button = self._button(b, quick=True)
            self.quick_buttons.append(button)
            wrap.addWidget(button)
        return box

    def _buttons_bubble(self, body: p.Buttons) -> QWidget:
        frame, col = _framed(8)
        text = plain_label(body.text)
        text.setWordWrap(True)
        col.addWidget(text)
        for b in body.buttons:
            col.addWidget(self._button(b))
        return _limited(frame)

    def _cards(self, cards: tuple[p.Card, ...], pictures: dict[str, str]) -> QWidget:
        strip = QScrollArea()
        strip.setObjectName("Plain")
        strip.setFrameShape(QFrame.Shape.NoFrame)
        strip.setWidgetResizable(True)
        strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        row = QHBoxLayout(inner)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        for card in cards:
            row.addWidget(self._card(card, pictures.get(card.product_id, "")))
        row.addStretch(1)
        strip.setWidget(inner)
        strip.setMinimumHeight(inner.sizeHint().height() + strip.horizontalScrollBar().height())
        return strip

    def _card(self, card: p.Card, picture: str) -> QWidget:
        frame, col = _framed(6)
        frame.setFixedWidth(CARD_WIDTH)
        col.setSpacing(3)
        pic = QLabel()
        pic.setObjectName("SimPicture")
        pic.setFixedSize(CARD_WIDTH - 12, PICTURE_HEIGHT)
        pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pm = QPixmap(picture) if picture else QPixmap()
        if pm.isNull():
            pic.setText(self.tr("No picture"))
        else:
            pic.setPixmap(
                pm.scaled(
                    pic.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        col.addWidget(pic)
        title = plain_label(card.title)
        title.setWordWrap(True)
        col.addWidget(title)
        price = chat_baht(card.price_satang)
        if not card.in_stock:
            price += " · " + self.tr("out of stock")
        col.addWidget(plain_label(price, "SimPrice"))
        if card.subtitle:
            sub = plain_label(card.subtitle, "SimNote")
            sub.setWordWrap(True)
            col.addWidget(sub)
        col.addStretch(1)
        for b in card.buttons:
            col.addWidget(self._button(b))
        return frame

    def _cart(self, cart: p.CartSummary) -> QWidget:
        frame, col = _framed(10)
        col.setSpacing(2)
        col.addWidget(plain_label(self.tr("Cart"), "LaneTitle"))
        for it in cart.items:
            name = f"{it.name} ({it.variant})" if it.variant else it.name
            col.addWidget(_money_line(f"{name} × {it.quantity}", it.line_total_satang))
        col.addWidget(_money_line(self.tr("Goods total"), cart.subtotal_satang))
        if cart.discount_satang:
            col.addWidget(_money_line(self.tr("Discount"), -cart.discount_satang))
        if cart.shipping_satang:
            col.addWidget(_money_line(self.tr("Shipping fee"), cart.shipping_satang))
        col.addWidget(_money_line(self.tr("Grand total"), cart.total_satang, strong=True))
        for b in cart.buttons:
            col.addWidget(self._button(b))
        return _limited(frame)

    def _order(self, order: p.OrderStatus) -> QWidget:
        frame, col = _framed(10)
        col.addWidget(plain_label(self.tr("Order %1").replace("%1", order.order_no), "LaneTitle"))
        if order.status_label:
            col.addWidget(plain_label(order.status_label))
        col.addWidget(_money_line(self.tr("Grand total"), order.total_satang, strong=True))
        if order.tracking_no:
            col.addWidget(plain_label(f"{order.carrier or ''} {order.tracking_no}".strip()))
        return _limited(frame)

    # ------------------------------------------------------------------ how it starts

    def _fill_starters(self) -> None:
        while self.starters.count():
            item = self.starters.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        trigger = self.flow[1] if self.flow else {}
        kind = trigger.get("type")
        if kind == "keyword":
            self.starters.addWidget(plain_label(self.tr("Start by typing:"), "SimNote"))
            for word in [str(k) for k in trigger.get("keywords") or []][:3]:
                say = p.Button(word[: p.MAX_LABEL], p.ButtonAction.MESSAGE, text=word)
                self.starters.addWidget(self._button(say, quick=True))
        elif kind == "event":
            event = {
                "order_delivered": self.tr("the order reached the shopper"),
                "cart_abandoned": self.tr("the shopper left a cart"),
            }.get(str(trigger.get("event")), str(trigger.get("event")))
            text = self.tr("Simulate an event: %1").replace("%1", event)
            self.starters.addWidget(theme.push_button(self.start_flow, text))
        elif kind in ("button", "intent"):
            self.starters.addWidget(theme.push_button(self.start_flow, self.tr("Start the flow")))


# ---------------------------------------------------------------------------- pieces


def _closer(sim: FlowSimulator) -> Any:
    trial_of = sim.__dict__  # the dict outlives the C++ object the signal is about

    def close(*_: Any) -> None:
        trial = trial_of.get("trial")
        if trial is not None:
            trial.close()

    return close


class Bubble(QLabel):
    """A chat bubble: as wide as its text, at most :data:`BUBBLE_SHARE` of the chat's width
    (then wrapped), as in a phone's chat."""

    def __init__(self, text: str, kind: str) -> None:
        super().__init__(text)
        self.setObjectName(kind)
        self.setTextFormat(Qt.TextFormat.PlainText)  # shop data: never HTML
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

    def _width(self) -> int:
        fm = self.fontMetrics()
        natural = max((fm.horizontalAdvance(line) for line in self.text().split("\n")), default=0)
        natural += BUBBLE_PADDING
        row = self.parentWidget()
        room = row.width() if row is not None and row.width() > 50 else 300
        return max(40, min(natural, int(room * BUBBLE_SHARE)))

    def sizeHint(self) -> QSize:
        width = self._width()
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class _Row(QWidget):
    """A line of the chat: re-measures its bubble when the chat's width changes."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for child in self.findChildren(Bubble, options=Qt.FindChildOption.FindDirectChildrenOnly):
            child.updateGeometry()


def _bubble(text: str, kind: str) -> QLabel:
    return Bubble(text, kind)


def _framed(margin: int) -> tuple[QFrame, QVBoxLayout]:
    """A white card of the chat (buttons, cart, order, product) and its column."""
    frame = QFrame()
    frame.setObjectName("SimCard")
    col = QVBoxLayout(frame)
    col.setContentsMargins(margin, margin - 2 if margin > 8 else margin, margin, margin)
    return frame, col


def _limited(widget: QWidget) -> QWidget:
    widget.setMaximumWidth(280)
    widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    return widget


def _row(widget: QWidget, *, right: bool = False) -> QWidget:
    """``widget`` on the left (the shop) or on the right (the shopper)."""
    box = _Row()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    if right:
        row.addStretch(1)
    row.addWidget(widget)
    if not right:
        row.addStretch(1)
    return box


def _money_line(label: str, satang: int, *, strong: bool = False) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    name = plain_label(label)
    name.setWordWrap(True)
    amount = plain_label(("-" if satang < 0 else "") + chat_baht(abs(satang)))
    if strong:
        name.setObjectName("LaneTitle")
        amount.setObjectName("LaneTitle")
    row.addWidget(name, 1)
    row.addWidget(amount, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    return box


def _qr(path: str) -> QLabel:
    label = QLabel()
    pm = QPixmap(str(Path(path)))
    if not pm.isNull():
        label.setPixmap(pm.scaledToWidth(QR_SIZE, Qt.TransformationMode.SmoothTransformation))
    label.setObjectName("SimCard")
    return label


# ---------------------------------------------------------------------------- words


def t(text: str) -> str:
    from minichat_desktop.ui.i18n import t as translate

    return translate(text)


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def step_title(node: dict[str, Any]) -> str:
    """What the owner calls a step: the name the editor gave it, else its kind (as the canvas
    names kinds) and the start of its text ("Question · มีงบประมาณเท่าไหร่…") — never its id."""
    own = node.get("step_name") or node.get("label")  # the editor's name; "label": older
    if isinstance(own, str) and own.strip():
        return own.strip()
    kind = str(node.get("type", ""))
    kinds = flow_steps.kind_names()  # the canvas's words: one vocabulary
    if kind == "action":
        return flow_steps.action_names().get(str(node.get("action", "")), kinds["action"])
    name = kinds.get(kind, t("Step"))
    # A name filled in when sent ({order_number}) shows as "…": what is there depends.
    words = _PLACEHOLDER.sub("…", str(node.get("text") or "")).split("\n")[0]
    words = " ".join(words.split())
    if kind == "wait":
        words = duration(int(node.get("minutes") or 0))
    if not words:
        return name
    return f"{name} · {_cut(words, SNIPPET)}"


def _cut(words: str, limit: int) -> str:
    """``words`` cut to about ``limit`` characters at a space (Thai has none between words,
    but one between phrases), else where no vowel or tone mark is parted from its letter."""
    if len(words) <= limit:
        return words
    head = words[:limit]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    else:
        while head and _mark(words[len(head)]):
            head = head[:-1]
        while head and head[-1] in LEADING_VOWELS:  # written before the letter they go with
            head = head[:-1]
    return head.rstrip(" …") + "…"


def _mark(char: str) -> bool:
    """A Thai vowel or tone mark that belongs to the letter before it."""
    return unicodedata.category(char) == "Mn" or char in "ะาำ"


def duration(minutes: int) -> str:
    """A span as a person says it: "3 วัน", "1 ชั่วโมง 30 นาที" / "3 days"."""
    days, rest = divmod(max(0, minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    for n, one, many in (
        (days, "1 day", "%1 days"),
        (hours, "1 hour", "%1 hours"),
        (mins, "1 minute", "%1 minutes"),
    ):
        if n:
            parts.append(t(one) if n == 1 else t(many).replace("%1", f"{n:,}"))
    return " ".join(parts) or t("a moment")
