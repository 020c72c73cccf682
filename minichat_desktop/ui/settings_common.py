"""Pieces the settings pages share: a page frame with a title and a feedback line, a masked
secret field with a show toggle, and a yes/no question."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from enum import StrEnum

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.errors import error_text, show_error
from minichat_desktop.ui.i18n import t


class Tone(StrEnum):
    OK = "ok"
    INFO = "info"
    ERROR = "error"


_TONES = {Tone.OK: "ok", Tone.INFO: "warn", Tone.ERROR: "error"}


class Feedback(theme.StatusLabel):
    """One line under a page's Save button saying what happened (saved, offline, error), with
    its tone's icon."""

    def __init__(self) -> None:
        super().__init__()
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tone: Tone | None = None

    def say(self, text: str, tone: Tone = Tone.OK) -> None:  # type: ignore[override]
        self.tone = tone
        super().say(text, _TONES[tone])

    def clear_message(self) -> None:
        self.tone = None
        super().say("", None)


class Page(QWidget):
    """A settings page: a title, a muted intro line, the page's body and a feedback line.

    Subclasses fill :attr:`body` and implement :meth:`retranslate` (called again when the
    language changes)."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.setSpacing(10)
        self.title = QLabel(objectName="Title")
        self.intro = QLabel(objectName="Muted")
        self.intro.setWordWrap(True)
        outer.addWidget(self.title)
        outer.addWidget(self.intro)
        self.body = QVBoxLayout()
        self.body.setSpacing(10)
        outer.addLayout(self.body, 1)
        self.feedback = Feedback()
        outer.addWidget(self.feedback)

    def retranslate(self) -> None:  # pragma: no cover - every page overrides it
        raise NotImplementedError


def form() -> QFormLayout:
    """A form with labels on the left, fields growing to the right."""
    layout = QFormLayout()
    layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    layout.setHorizontalSpacing(14)
    layout.setVerticalSpacing(8)
    return layout


def primary(button: QPushButton) -> QPushButton:
    button.setProperty("primary", True)
    return button


def danger(button: QPushButton) -> QPushButton:
    button.setProperty("danger", True)
    return button


def button_row(*buttons: QWidget, stretch_first: bool = True) -> QHBoxLayout:
    row = QHBoxLayout()
    if stretch_first:
        row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    return row


class SecretField(QWidget):
    """A masked line edit with a Show/Hide toggle. The text lives only in this widget and
    the keyring: it is never written to logs or settings files."""

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhNoPredictiveText
            | Qt.InputMethodHint.ImhSensitiveData
        )
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._toggled)
        row.addWidget(self.edit, 1)
        row.addWidget(self.toggle)
        self.retranslate()

    def _toggled(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.retranslate()

    def retranslate(self) -> None:
        self.toggle.setText(self.tr("Hide") if self.toggle.isChecked() else self.tr("Show"))

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def setPlaceholderText(self, text: str) -> None:
        self.edit.setPlaceholderText(text)


class ProviderKeys:
    """The API key of each provider a settings page offers, kept in the keyring under
    ``name_of(provider)``: whether one is saved (asked once per page load), and what was typed
    for each provider while the owner switches between them before saving. ``needs(provider)``
    says whether a provider takes a key at all. Keyring failures raise :class:`DomainError`."""

    def __init__(
        self,
        ctx: AppContext,
        field: SecretField,
        name_of: Callable[[str], str],
        needs: Callable[[str], bool] = bool,
    ) -> None:
        self.ctx, self.field, self.name_of, self.needs = ctx, field, name_of, needs
        self.saved: dict[str, bool] = {}
        self.typed: dict[str, str] = {}  # typed, not saved yet, per provider
        self.current = ""

    def reset(self, provider: str) -> None:
        """A fresh page load showing ``provider``: nothing typed, nothing remembered."""
        self.field.setText("")
        self.saved, self.typed, self.current = {}, {}, provider

    def has(self, provider: str) -> bool:
        if provider not in self.saved:
            self.saved[provider] = self.ctx.secrets.has(self.name_of(provider))
        return self.saved[provider]

    def switch(self, provider: str) -> None:
        """The page now shows ``provider``: keep what was typed for the one before."""
        if self.current:
            self.typed[self.current] = self.field.text()
        self.current = provider
        self.field.setText(self.typed.get(provider, ""))

    def store(self, provider: str) -> None:
        """Save every key typed (``provider``'s from the field) in the keyring."""
        if provider:
            self.typed[provider] = self.field.text()
        for name, typed in list(self.typed.items()):
            if typed and name and self.needs(name):
                self.ctx.secrets.set(self.name_of(name), typed)
                self.saved[name] = True
                del self.typed[name]

    def remove(self, provider: str) -> None:
        self.ctx.secrets.set(self.name_of(provider), None)
        self.saved[provider] = False
        self.field.setText("")


def keep_secrets(page: Page, fields: Sequence[tuple[str, SecretField]], incomplete: str) -> bool:
    """Store what each ``(keyring name, field)`` holds in the keyring, all or none: an empty
    field is said (``incomplete``, a box and the page's feedback line) and focused; a keyring
    failure is said. Returns whether all were stored."""
    empty = [field for _, field in fields if not field.text()]
    if empty:
        code = "secrets.incomplete"
        page.feedback.say(report(page, UserError(code, incomplete)), Tone.ERROR)
        empty[0].edit.setFocus()
        return False
    try:
        for name, field in fields:
            page.ctx.secrets.set(name, field.text())
    except DomainError as exc:
        page.feedback.say(report(page, exc), Tone.ERROR)
        return False
    return True


def forget_secrets(page: Page, fields: Sequence[tuple[str, SecretField]]) -> bool:
    """Remove each ``(keyring name, field)`` from the keyring and empty its field (a keyring
    failure is said, and the fields keep what they show). Returns whether all were removed."""
    try:
        for name, _ in fields:
            page.ctx.secrets.set(name, None)
    except DomainError as exc:
        page.feedback.say(report(page, exc), Tone.ERROR)
        return False
    for _, field in fields:
        field.setText("")
    return True


def show_connected(label: QLabel, connected: bool | None, texts: tuple[str, str, str]) -> None:
    """A channel's status line: ``texts`` are (unknown, connected, not connected), said as
    the relay last told (None: it has not yet)."""
    unknown, yes, no = texts
    label.setText(unknown if connected is None else yes if connected else no)
    theme.tone(theme.role(label, "strong" if connected else ""), "ok" if connected else "muted")


def frame_ref(kind: str) -> str:
    """A fresh ``ref`` for a frame to the relay (its answer carries it back)."""
    return f"{kind}-{secrets.token_hex(4)}"


def alive(widget: QWidget) -> bool:
    """Whether ``widget`` still exists: a slot that awaited may resume after the screen was
    closed (at shutdown), and must not touch it then."""
    return shiboken6.isValid(widget)


def _local_texts() -> dict[str, str]:
    """Texts for error codes the shared error table does not know yet (by UI language)."""
    return {
        "bank.required": t("Give the bank and the account name."),
        "bank.invalid_number": t("A bank account number has 10 to 15 digits."),
        "bank.not_found": t("That bank account was already removed."),
        "vat.invalid_rate": t("A VAT rate is between 0 and 100 %."),
        "canned.not_found": t("That canned response was already deleted."),
    }


def explain(exc: BaseException) -> str:
    """The text of an error for a page's feedback line, with no dialog: loading a page (at the
    app's start) must never stop the person with a popup, e.g. when the keyring is missing."""
    if isinstance(exc, DomainError):
        text = _local_texts().get(exc.code)
        if text is not None:
            exc = type(exc)(exc.code, text, **dict(exc.params))
        return error_text(exc)
    return t("Something went wrong")


def report(parent: QWidget, exc: BaseException) -> str:
    """Show an error the usual way (:func:`show_error`) and return the text said, for the
    page's feedback line."""
    if isinstance(exc, DomainError):
        text = _local_texts().get(exc.code)
        if text is not None:
            exc = type(exc)(exc.code, text, **dict(exc.params))
        show_error(parent, exc)
        return error_text(exc)
    show_error(parent, exc)
    return t("Something went wrong")
