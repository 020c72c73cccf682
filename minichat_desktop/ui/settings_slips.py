"""Settings → Payment slips: the optional online slip check (issue 15 item 4) — which service
checks slips (none, SlipOK, EasySlip), its API key, SlipOK's branch id, a connection test, and
whether a payment whose check passes is confirmed without the owner's click (off unless the
owner turns it on).

The key is kept only in the keyring (``ctx.secrets`` under :func:`secrets.slip_key`): the page
shows whether one is saved, never the key; typing a new one replaces it on Save, and Remove
deletes it. The rest is in the shop database through :mod:`minichat_desktop.app.slip_verify`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)
from qasync import asyncSlot

from minichat_desktop.app import slip_verify
from minichat_desktop.app.slip_verify import SlipCheckSettings
from minichat_desktop.domain.payments.verification import OnlineCheck, Outcome, reason_for
from minichat_desktop.errors import DomainError
from minichat_desktop.formats.slip_services import SERVICE_NAMES, Service
from minichat_desktop.secrets import slip_key
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.settings_common import (
    Page,
    ProviderKeys,
    SecretField,
    Tone,
    alive,
    button_row,
    explain,
    form,
    primary,
    report,
)

log = logging.getLogger(__name__)

PROVIDERS = ("", *Service)  # "" = no online check


def probe_service(settings: SlipCheckSettings, key: str | None) -> OnlineCheck:
    """Ask the service about the account; runs on a worker thread with its own event loop.
    Never raises for the network or the service."""
    return asyncio.run(slip_verify.test_connection(settings, key))


class SlipCheckPage(Page):
    """The online slip check: service, key, branch id, connection test, auto-confirm."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.box = QGroupBox()
        f = form()
        self.box.setLayout(f)
        self.provider = QComboBox()
        self.provider.setMaximumWidth(380)
        for name in PROVIDERS:
            self.provider.addItem(SERVICE_NAMES[Service(name)] if name else "", name)
        self.key = SecretField()
        self.key_state = QLabel(objectName="Muted")
        self.remove_key = QPushButton()
        self.remove_key.clicked.connect(self.on_remove_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_state, 1)
        key_row.addWidget(self.remove_key)
        self.branch = QLineEdit()
        self.branch.setMaximumWidth(200)
        self.base_url = QLineEdit()
        self.auto_confirm = QCheckBox()
        self.auto_help = QLabel(objectName="Muted")
        self.auto_help.setWordWrap(True)
        self.test_button = QPushButton()
        self.test_button.clicked.connect(self.on_test)
        self.test_result = theme.StatusLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        self.labels = [QLabel() for _ in range(8)]
        fields: list[Any] = [
            self.provider,
            self.key,
            key_row,
            self.branch,
            self.base_url,
            self.auto_confirm,
            self.auto_help,
            test_row,
        ]
        for label, field in zip(self.labels, fields, strict=True):
            f.addRow(label, field)
        self.body.addWidget(self.box)
        self.save = primary(QPushButton())
        self.save.clicked.connect(self.on_save)
        self.body.addLayout(button_row(self.save))
        self.body.addStretch(1)

        self.keys = ProviderKeys(ctx, self.key, slip_key)
        self.provider.currentIndexChanged.connect(self.on_provider)
        self.retranslate()
        self.load()

    # ------------------------------------------------------------------ texts

    def retranslate(self) -> None:
        self.title.setText(self.tr("Payment slips"))
        self.intro.setText(
            self.tr(
                "MiniChat reads the QR code on a transfer slip by itself. A slip-verification "
                "service can also ask the bank whether the transfer really happened: choose "
                "one here if you have an account with it."
            )
        )
        self.box.setTitle(self.tr("Online slip check"))
        for label, text in zip(
            self.labels,
            (
                self.tr("Service"),
                self.tr("API key"),
                "",
                self.tr("Branch ID"),
                self.tr("Server address"),
                "",
                "",
                "",
            ),
            strict=True,
        ):
            label.setText(text)
        self.provider.setItemText(0, self.tr("None (check slips by eye)"))
        self.key.retranslate()
        self.remove_key.setText(self.tr("Remove saved key"))
        self.branch.setPlaceholderText(self.tr("SlipOK only, e.g. 12345"))
        self.base_url.setPlaceholderText(self.tr("leave empty for the service's own address"))
        self.auto_confirm.setText(self.tr("Confirm payment automatically when the check passes"))
        self.auto_help.setText(
            self.tr(
                "Off: you confirm every payment with one click. On: a payment is confirmed "
                "when the service finds the transfer, the amount equals the order's total, the "
                "money went to one of your accounts and the time is right."
            )
        )
        self.test_button.setText(self.tr("Test connection"))
        self.save.setText(self.tr("Save slip check settings"))
        self.show_provider_fields()
        self.show_key_state()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        self.show_settings(self.ctx.ops.read_now(slip_verify.load_settings))

    def show_settings(self, s: SlipCheckSettings) -> None:
        self.provider.blockSignals(True)
        self.provider.setCurrentIndex(self.provider.findData(s.provider))
        self.provider.blockSignals(False)
        self.branch.setText(s.branch_id)
        self.base_url.setText(s.base_url)
        self.auto_confirm.setChecked(s.auto_confirm)
        self.keys.reset(s.provider)
        self.show_provider_fields()
        self.show_key_state()

    def _has_key(self, provider: str) -> bool:
        """Whether the keyring holds a key for ``provider`` (remembered per page load)."""
        try:
            return self.keys.has(provider)
        except DomainError as exc:
            self.feedback.say(explain(exc), Tone.ERROR)
            return False

    def show_provider_fields(self) -> None:
        provider = str(self.provider.currentData() or "")
        for widget in (self.key, self.remove_key, self.base_url, self.auto_confirm):
            widget.setEnabled(bool(provider))
        self.test_button.setEnabled(bool(provider))
        self.branch.setEnabled(provider == Service.SLIPOK)

    def show_key_state(self) -> None:
        name = str(self.provider.currentData() or "")
        if not name:
            self.key_state.setText(self.tr("No online check: no key needed."))
            self.key.setPlaceholderText("")
            self.remove_key.setEnabled(False)
            return
        saved = self._has_key(name)
        self.key_state.setText(
            self.tr("A key is saved in the system keyring.")
            if saved
            else self.tr("No key saved yet.")
        )
        self.key.setPlaceholderText(
            self.tr("type a new key to replace the saved one")
            if saved
            else self.tr("paste the API key here")
        )
        self.remove_key.setEnabled(saved)

    def on_provider(self, _index: int) -> None:
        self.keys.switch(str(self.provider.currentData() or ""))
        self.show_provider_fields()
        self.show_key_state()

    def _form(self) -> SlipCheckSettings:
        return SlipCheckSettings(
            provider=str(self.provider.currentData() or ""),
            branch_id=self.branch.text().strip(),
            base_url=self.base_url.text().strip(),
            auto_confirm=self.auto_confirm.isChecked(),
        )

    # ------------------------------------------------------------------ saving

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save_now()

    async def save_now(self) -> bool:
        """Store the form (a bad value stores nothing and keeps what was typed) and the key
        typed, if any, in the keyring."""
        s = self._form()
        try:
            saved = await self.ctx.ops.write(
                slip_verify.save_settings,
                s.provider,
                branch_id=s.branch_id,
                base_url=s.base_url,
                auto_confirm=s.auto_confirm,
            )
            self.keys.store(saved.provider)
        except DomainError as exc:
            if alive(self):
                self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        if not alive(self):
            return True
        log.info(
            "slip check settings saved (%s, auto-confirm %s)",
            saved.provider or "none",
            "on" if saved.auto_confirm else "off",
        )
        self.key.setText("")
        self.base_url.setText(saved.base_url)
        self.show_key_state()
        if saved.provider and not self._has_key(saved.provider):
            self.feedback.say(
                self.tr("Saved. Add the API key, or slips are not checked online."), Tone.INFO
            )
        elif saved.provider:
            self.feedback.say(self.tr("Saved. Slips are checked online."))
        else:
            self.feedback.say(self.tr("Saved. Slips are not checked online."))
        return True

    @Slot()
    def on_remove_key(self) -> None:
        self.remove_key_now()

    def remove_key_now(self) -> bool:
        provider = str(self.provider.currentData() or "")
        if not provider:
            return False
        try:
            self.keys.remove(provider)
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.show_key_state()
        self.feedback.say(self.tr("The saved API key was removed."))
        return True

    # ------------------------------------------------------------------ connection test

    @asyncSlot()
    async def on_test(self) -> None:
        await self.test_now()

    async def test_now(self) -> bool:
        """Ask the chosen service about the account with the form's values (before saving)
        and the typed or saved key, on a worker thread; say in the page what came back."""
        s = self._form()
        if not s.provider:
            return False
        key = self.key.text()
        if not key:
            try:
                key = self.ctx.secrets.get(slip_key(s.provider)) or ""
            except DomainError as exc:
                self._say_test(explain(exc))
                return False
        self.test_button.setEnabled(False)
        self.test_result.say(
            self.tr("Asking {provider}…").format(provider=SERVICE_NAMES[Service(s.provider)]),
            None,
        )
        check = await asyncio.to_thread(probe_service, s, key)
        if not alive(self):
            return check.outcome is Outcome.PASSED
        self.test_button.setEnabled(True)
        if check.outcome is not Outcome.PASSED:
            log.info("slip service test (%s) failed: %s", s.provider, check.code)
            self._say_test(reason_for(check.code, check).text(i18n.current_language()))
            return False
        remaining = check.message.removeprefix("quota ")
        if remaining == "unlimited":
            remaining = self.tr("no limit")
        self.test_result.say(self.tr("Connected. Checks left: {left}").format(left=remaining), "ok")
        return True

    def _say_test(self, text: str) -> None:
        self.test_result.say(text, "error")
