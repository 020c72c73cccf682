"""The first-run checklist ("ตั้งค่าร้าน 3 จาก 7 ขั้น"): a card on the dashboard of a new shop
(the next step, the progress, Hide) and the whole list with each step's panel in Settings →
Set up.

What counts as done is :mod:`minichat_desktop.app.setup`'s; this module only shows it and
leads the owner to where each step is done. Where that is another screen or settings page,
:attr:`SetupChecklist.open_requested` says so with a ref the window follows: ``setup:<step>``
(this list, that step open), ``settings:<page>``, ``catalog:import|template|new``, and
``do:printer-test`` / ``do:label-test`` / ``do:relay-test`` (the Printers and Relay pages'
own tests).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import setup
from minichat_desktop.app.setup import Outside, Step, StepState
from minichat_desktop.errors import DomainError
from minichat_desktop.secrets import LINE_SECRET, LINE_TOKEN
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.settings_common import alive, primary

_STATE_COLORS = {
    StepState.DONE: theme.GREEN,
    StepState.SKIPPED: theme.AMBER,
    StepState.TODO: theme.FAINT,
}


def outside(ctx: AppContext) -> Outside:
    """What the checklist needs from outside the shop database: LINE credentials in the
    keyring (or the relay says LINE is set up), and whether the relay link got in."""
    welcome = ctx.relay.welcome if ctx.relay is not None else None
    try:
        keys = bool(ctx.secrets.get(LINE_SECRET)) and bool(ctx.secrets.get(LINE_TOKEN))
    except DomainError:
        keys = False
    line = keys or bool(welcome is not None and welcome.line_configured)
    return Outside(line_configured=line, relay_linked=welcome is not None)


class StepTexts(QObject):
    """Translated names and reasons of the steps (a QObject, so ``tr`` finds them)."""

    def title(self, step: Step) -> str:
        return {
            Step.PROFILE: self.tr("Shop profile and tax ID"),
            Step.PROMPTPAY: self.tr("PromptPay"),
            Step.PRODUCTS: self.tr("Products"),
            Step.WEBSITE: self.tr("Chat on your website"),
            Step.LINE: self.tr("LINE Official Account"),
            Step.PRINTERS: self.tr("Printers"),
            Step.RELAY: self.tr("Relay connection"),
        }[step]

    def why(self, step: Step) -> str:
        return {
            Step.PROFILE: self.tr("Your name, phone and address print on every receipt and tax "
                                  "invoice."),
            Step.PROMPTPAY: self.tr("Customers pay by scanning your QR at the counter and in "
                                    "chats."),
            Step.PRODUCTS: self.tr("Sell at the counter and let the bot answer prices and stock."),
            Step.WEBSITE: self.tr("Shoppers on your website chat with you here."),
            Step.LINE: self.tr("Answer your LINE Official Account's chats in MiniChat."),
            Step.PRINTERS: self.tr("Receipts and shipping labels come out right the first time."),
            Step.RELAY: self.tr("Carries website and LINE chats to this computer."),
        }[step]  # fmt: skip

    def state(self, state: StepState) -> str:
        return {
            StepState.DONE: self.tr("Done"),
            StepState.SKIPPED: self.tr("Skipped for now"),
            StepState.TODO: self.tr("To do"),
        }[state]

    def progress(self, done: int, total: int) -> str:
        return self.tr("Shop setup: {done} of {total} steps").format(done=done, total=total)


class StepRow(QFrame):
    """One step: its state, name and why, and its buttons (set up / skip for now / do it now)."""

    go = Signal(object)  # Step
    skip = Signal(object, bool)  # Step, skipped

    def __init__(self, step: Step, texts: StepTexts) -> None:
        super().__init__()
        self.setObjectName("Card")
        self.step, self.texts = step, texts
        self.state = StepState.TODO
        self.dot = QLabel()
        self.title = QLabel()
        theme.role(self.title, "strong")
        self.chip = QLabel(objectName="Muted")
        self.why = QLabel(objectName="Muted")
        self.why.setWordWrap(True)
        self.go_button = QPushButton()
        self.go_button.clicked.connect(lambda: self.go.emit(self.step))
        self.skip_button = QPushButton()
        self.skip_button.setFlat(True)
        self.skip_button.clicked.connect(
            lambda: self.skip.emit(self.step, self.state is not StepState.SKIPPED)
        )
        text = QVBoxLayout()
        text.setSpacing(2)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.chip)
        head.addStretch(1)
        text.addLayout(head)
        text.addWidget(self.why)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        row.addWidget(self.dot, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        row.addWidget(self.skip_button)
        row.addWidget(self.go_button)
        self.retranslate()

    def show_state(self, state: StepState) -> None:
        self.state = state
        self.retranslate()

    def retranslate(self) -> None:
        self.dot.setPixmap(theme.dot(_STATE_COLORS[self.state], 12))
        self.title.setText(self.texts.title(self.step))
        self.chip.setText("· " + self.texts.state(self.state))
        self.why.setText(self.texts.why(self.step))
        done = self.state is StepState.DONE
        self.go_button.setText(self.tr("Review") if done else self.tr("Set it up"))
        primary(self.go_button).setProperty("primary", not done)
        self.go_button.style().polish(self.go_button)
        self.skip_button.setText(
            self.tr("Do it now") if self.state is StepState.SKIPPED else self.tr("Skip for now")
        )
        self.skip_button.setVisible(not done)


class SetupChecklist(QWidget):
    """The checklist. ``compact`` (the dashboard's card): the progress, the next step to do,
    "All steps" and "Hide"; otherwise every step, in order. Reads and stores through
    ``ctx.ops``; :attr:`open_requested` asks the window to go where a step is done."""

    open_requested = Signal(str)
    loaded = Signal(object)  # setup.Checklist

    def __init__(self, ctx: AppContext, *, compact: bool = False) -> None:
        super().__init__()
        self.ctx, self.compact = ctx, compact
        self.texts = StepTexts(self)
        self.checklist: setup.Checklist | None = None
        self.heading = QLabel()
        theme.role(self.heading, "heading")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.bar.setRange(0, len(Step))
        self.all_button = QPushButton()
        self.all_button.clicked.connect(lambda: self.open_requested.emit("setup:"))
        self.hide_button = QPushButton()
        self.hide_button.setFlat(True)
        self.hide_button.clicked.connect(
            lambda: self.set_hidden(not (self.checklist is not None and self.checklist.hidden))
        )
        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addWidget(self.bar, 1)
        head.addWidget(self.all_button)
        head.addWidget(self.hide_button)
        self.all_button.setVisible(compact)
        self.rows = {step: StepRow(step, self.texts) for step in Step}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(head)
        self.done_note = QLabel(objectName="Muted")
        self.done_note.setWordWrap(True)
        layout.addWidget(self.done_note)
        for row in self.rows.values():
            row.go.connect(self.on_go)
            row.skip.connect(self.on_skip)
            layout.addWidget(row)
        ctx.ops.changed.connect(self.on_changed)
        # a method, not a lambda: the context's signals outlive this card (see on_welcomed)
        ctx.signals.welcomed_sig.connect(self.on_welcomed)
        self.retranslate()

    def retranslate(self) -> None:
        self.all_button.setText(self.tr("All steps"))
        self.hide_button.setText(self.tr("Hide"))
        for row in self.rows.values():
            row.retranslate()
        self.show_checklist(self.checklist)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    @Slot(set)
    def on_changed(self, topics: set[str]) -> None:
        if topics & {"shop", "catalog", "conversations"} and self.isVisible():
            self.refresh()

    @Slot(object)
    def on_welcomed(self, _welcome: object) -> None:
        """The relay link (re)connected: the relay step may be done now. A slot of this
        QObject, so that a deleted card is disconnected instead of starting a read for it."""
        self.refresh()

    @asyncSlot()
    async def refresh(self) -> None:
        """Read the checklist again (after a change, or when shown)."""
        checklist = await self.ctx.ops.read(setup.checklist, outside(self.ctx))
        if alive(self):
            self.show_checklist(checklist)
            self.loaded.emit(checklist)

    def show_checklist(self, checklist: setup.Checklist | None) -> None:
        self.checklist = checklist
        if checklist is None:
            self.heading.setText(self.texts.progress(0, len(Step)))
            return
        self.heading.setText(self.texts.progress(checklist.done, checklist.total))
        self.bar.setValue(checklist.done)
        next_step = self.next_step()
        for view in checklist.steps:
            row = self.rows[view.step]
            row.show_state(view.state)
            row.setVisible(not self.compact or view.step is next_step)
        self.hide_button.setText(
            self.tr("Show on the dashboard") if checklist.hidden else self.tr("Hide")
        )
        if checklist.complete:
            self.done_note.setText(self.tr("All set: your shop is ready to sell."))
        elif checklist.skipped:
            names = ", ".join(self.texts.title(s) for s in checklist.skipped)
            self.done_note.setText(self.tr("Skipped for now: {steps}").format(steps=names))
        else:
            self.done_note.setText(self.tr("Nothing here is needed to sell at the counter."))
        self.done_note.setVisible(not self.compact or checklist.complete)

    def next_step(self) -> Step | None:
        """The first step to do (else the first skipped one)."""
        if self.checklist is None:
            return None
        for wanted in (StepState.TODO, StepState.SKIPPED):
            for view in self.checklist.steps:
                if view.state is wanted:
                    return view.step
        return None

    @Slot(object)
    def on_go(self, step: Step) -> None:
        self.open_requested.emit(f"setup:{step.value}")

    @asyncSlot(object, bool)
    async def on_skip(self, step: Step, skipped: bool) -> None:
        await self.ctx.ops.write(setup.skip_step, step, skipped)
        if alive(self):
            await self.refresh()

    @asyncSlot(bool)
    async def set_hidden(self, hidden: bool) -> None:
        """Hide the checklist from the dashboard (Settings → Set up keeps it), or show it."""
        await self.ctx.ops.write(setup.hide_checklist, hidden)
        if alive(self):
            await self.refresh()


def copy_row(field: QLineEdit, button: QPushButton) -> QHBoxLayout:
    """A read-only field with a Copy button beside it."""
    field.setReadOnly(True)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(button)
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(field.text()))
    return row


def open_url(url: str) -> bool:
    """Open ``url`` in the owner's browser."""
    return bool(url) and QDesktopServices.openUrl(QUrl(url))


def pixmap_of(png: bytes, width: int) -> QPixmap:
    pix = QPixmap()
    pix.loadFromData(png, "PNG")
    return pix.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
