"""The Settings screen: a list of pages on the left (set up, shop profile, relay, website
widget, LINE, Facebook & Instagram, AI, chat, notifications and language, printers, sales bot,
payment slips, backups), each saving on its own with a line saying what happened, and keeping
what the person typed when something is wrong.

Where things are kept: secrets (shop token, LINE and Meta credentials, AI and slip-check keys)
only in the keyring via ``ctx.secrets``; this computer's preferences in ``ctx.settings``; the shop's
settings in the shop database through domain use cases."""

from __future__ import annotations

import logging
from typing import Any, overload

from PySide6.QtCore import QEvent, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import relay_link
from minichat_desktop.domain import placeholders
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.secrets import LINE_SECRET, LINE_TOKEN, RELAY_TOKEN
from minichat_desktop.sync.client import Probe, probe
from minichat_desktop.sync.status import LinkState, Status
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.context import DEFAULT_RELAY_URL, AppContext
from minichat_desktop.ui.dialogs import confirm
from minichat_desktop.ui.placeholder_edit import FieldButtons, PlaceholderEdit
from minichat_desktop.ui.settings_backups import BackupsPage
from minichat_desktop.ui.settings_bot import BotPage
from minichat_desktop.ui.settings_common import (
    Page,
    SecretField,
    Tone,
    alive,
    button_row,
    danger,
    explain,
    forget_secrets,
    form,
    frame_ref,
    keep_secrets,
    primary,
    report,
    show_connected,
)
from minichat_desktop.ui.settings_meta import MetaPage
from minichat_desktop.ui.settings_printers import PrintersPage
from minichat_desktop.ui.settings_profile import ProfilePage
from minichat_desktop.ui.settings_setup import SetupPage
from minichat_desktop.ui.settings_slips import SlipCheckPage
from minichat_desktop.ui.settings_widget import WidgetPage
from relay import protocol as p

log = logging.getLogger(__name__)

# Shop settings (non-secret) kept in the shop database.


def _valid_http_url(text: str) -> bool:
    url = QUrl(text, QUrl.ParsingMode.StrictMode)
    return url.isValid() and url.scheme() in ("http", "https") and bool(url.host())


def _status_text(widget: QWidget, status: Status) -> tuple[str, str]:
    color = {
        LinkState.ONLINE: theme.GREEN,
        LinkState.CONNECTING: theme.AMBER,
        LinkState.OFFLINE: theme.RED,
    }[status.state]
    label = {
        LinkState.ONLINE: widget.tr("Online"),
        LinkState.CONNECTING: widget.tr("Connecting…"),
        LinkState.OFFLINE: widget.tr("Offline"),
    }[status.state]
    if status.state is not LinkState.ONLINE and status.reason:
        reasons = {
            "not started": widget.tr("not connected yet"),
            "stopped": widget.tr("stopped"),
            "connection closed": widget.tr("connection closed"),
            "no shop token set (Settings → Relay)": widget.tr("no shop token: enter it below"),
            "the relay refused the shop token": widget.tr(
                "the relay refused the shop token: check it below"
            ),
            "another MiniChat is connected for this shop": widget.tr(
                "another MiniChat is connected for this shop; to use this one, press Save and"
                " reconnect"
            ),
            "relay unreachable (connection refused)": widget.tr(
                "relay unreachable: check the address and the internet connection"
            ),
            "no answer from the relay lately": widget.tr("no answer from the relay lately"),
            "the relay link stopped after an error (see the log)": widget.tr(
                "the relay link stopped after an error; restarting"
            ),
        }
        label += " — " + reasons.get(status.reason, status.reason)
    return color, label


# ---------------------------------------------------------------------------- relay


class RelayPage(Page):
    """Where chats from the website and LINE come in: the relay's address (the one on this
    computer by default), the shop's key, a connection test, and the link's live state."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.box = QGroupBox()
        f = form()
        self.box.setLayout(f)
        self.url = QLineEdit()
        self.url.textChanged.connect(lambda _t: self.show_default())
        self.use_default = QPushButton()
        self.use_default.clicked.connect(lambda: self.url.setText(DEFAULT_RELAY_URL))
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.use_default)
        self.url_note = QLabel(objectName="Muted")
        self.url_note.setWordWrap(True)
        self.token = SecretField()
        self.token_note = QLabel(objectName="Muted")
        self.token_note.setWordWrap(True)
        self.url_label, self.token_label, self.state_label = QLabel(), QLabel(), QLabel()
        state_row = QHBoxLayout()
        self.dot = QLabel()
        self.state = QLabel()
        self.state.setWordWrap(True)
        state_row.addWidget(self.dot)
        state_row.addWidget(self.state, 1)
        f.addRow(self.url_label, url_row)
        f.addRow("", self.url_note)
        f.addRow(self.token_label, self.token)
        f.addRow("", self.token_note)
        f.addRow(self.state_label, state_row)
        self.shop_label = QLabel()
        self.shop_info = QLabel(objectName="Muted")
        self.shop_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f.addRow(self.shop_label, self.shop_info)
        self.body.addWidget(self.box)
        self.test_result = theme.StatusList()
        self.body.addWidget(self.test_result)
        self.test = QPushButton()
        self.test.clicked.connect(self.on_test)
        self.save = primary(QPushButton())
        self.save.clicked.connect(self.on_save)
        self.body.addLayout(button_row(self.test, self.save))
        self.body.addStretch(1)

        self.status = ctx.relay.status if ctx.relay else Status(LinkState.OFFLINE, "")
        self.welcome: p.DesktopWelcome | None = ctx.relay.welcome if ctx.relay else None
        self.last_probe: Probe | None = None
        ctx.signals.status_changed_sig.connect(self.show_status)
        ctx.signals.welcomed_sig.connect(self.on_welcomed)
        self.retranslate()
        self.load()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Relay connection"))
        self.intro.setText(
            self.tr(
                "The relay carries chats from your website and LINE to this computer. "
                "MiniChat uses the relay on this computer unless your relay provider gave you "
                "an address and a shop key."
            )
        )
        self.box.setTitle(self.tr("Connection"))
        self.url_label.setText(self.tr("Relay address"))
        self.use_default.setText(self.tr("Use the default"))
        self.token_label.setText(self.tr("Shop key"))
        self.token_note.setText(
            self.tr(
                "The key your relay provider gave you for this shop (it starts with mcs_). It "
                "stays in this computer's keyring."
            )
        )
        self.state_label.setText(self.tr("Status"))
        self.shop_label.setText(self.tr("Shop on the relay"))
        self.url.setPlaceholderText("https://relay.example.com")
        self.token.retranslate()
        self.test.setText(self.tr("Test connection"))
        self.save.setText(self.tr("Save and reconnect"))
        self.show_default()
        self.show_status(self.status)
        self.show_welcome()
        self.show_probe(self.last_probe)

    def show_default(self) -> None:
        default = self.url.text().strip().rstrip("/") == DEFAULT_RELAY_URL
        self.url_note.setText(
            self.tr("Using the relay on this computer (the default).")
            if default
            else self.tr("Using your relay provider's address.")
        )
        self.use_default.setEnabled(not default)

    def load(self) -> None:
        self.url.setText(self.ctx.relay_url)
        try:
            self.token.setText(self.ctx.secrets.get(RELAY_TOKEN) or "")
        except DomainError as exc:
            self.feedback.say(explain(exc), Tone.ERROR)

    @asyncSlot()
    async def on_test(self) -> None:
        await self.test_connection()

    async def test_connection(self) -> Probe | None:
        """A real hello to the address and key as typed (saved or not): reachable, key
        accepted, the shop's name on the relay."""
        url = self.url.text().strip().rstrip("/")
        if not _valid_http_url(url):
            self.feedback.say(
                self.tr("The relay address must start with https:// (or http://)."), Tone.ERROR
            )
            return None
        self.test.setEnabled(False)
        self.test_result.setText(self.tr("Testing…"))
        try:
            if self.ctx.relay is not None:
                result = await self.ctx.relay.probe(url, self.token.text())
            else:
                result = await probe(url, self.token.text())
        finally:
            if alive(self):
                self.test.setEnabled(True)
        if alive(self):
            self.show_probe(result)
        return result

    def show_probe(self, result: Probe | None) -> None:
        self.last_probe = result
        if result is None:
            self.test_result.setText("")
            return
        # Each check on its own line with our check or alert icon.
        lines: list[tuple[str, str | None]] = [
            (self.tr("The relay answers."), "ok") if result.reachable else (self.tr(
                "The relay does not answer: check the address and the internet connection."
            ), "error"),
        ]  # fmt: skip
        if result.token_accepted is not None:
            lines.append(
                (self.tr("The shop key is accepted."), "ok")
                if result.token_accepted
                else (
                    self.tr("The relay refused the shop key: copy it again from your provider."),
                    "error",
                )
            )
        if result.shop_name:
            lines.append((self.tr("Shop: {name}").format(name=result.shop_name), "ok"))
        self.test_result.show_lines(lines)

    @Slot(object)
    def show_status(self, status: Status) -> None:
        self.status = status
        color, label = _status_text(self, status)
        self.dot.setPixmap(theme.dot(color))
        self.state.setText(label)

    @Slot(object)
    def on_welcomed(self, welcome: p.DesktopWelcome) -> None:
        self.welcome = welcome
        self.show_welcome()

    def show_welcome(self) -> None:
        if self.welcome is None:
            self.shop_info.setText(self.tr("not connected yet"))
        else:
            self.shop_info.setText(f"{self.welcome.shop_name} ({self.welcome.shop_id})")

    @Slot()
    def on_save(self) -> None:
        self.save_now()

    def save_now(self) -> bool:
        url = self.url.text().strip().rstrip("/")
        if not _valid_http_url(url):
            exc = UserError(
                "relay.invalid_url",
                self.tr("The relay address must start with https:// (or http://)."),
            )
            self.feedback.say(report(self, exc), Tone.ERROR)
            self.url.setFocus()
            return False
        try:
            self.ctx.secrets.set(RELAY_TOKEN, self.token.text())
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.ctx.settings.setValue("relay/url", url)
        self.ctx.settings.sync()
        self.url.setText(url)
        if self.ctx.relay is not None:
            self.ctx.relay.reconfigure(url)
            self.feedback.say(self.tr("Saved. Connecting to the relay…"))
        else:
            self.feedback.say(self.tr("Saved. MiniChat connects with these at its next start."))
        return True


# ---------------------------------------------------------------------------- LINE


class LinePage(Page):
    """The LINE Official Account's channel secret and access token, pushed to the relay."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.state_box = QGroupBox()
        sf = form()
        self.state_box.setLayout(sf)
        self.configured = QLabel()
        self.configured.setWordWrap(True)
        self.quota = QLabel()
        self.refresh_quota = QPushButton()
        self.refresh_quota.clicked.connect(self.on_refresh_quota)
        quota_row = QHBoxLayout()
        quota_row.addWidget(self.quota, 1)
        quota_row.addWidget(self.refresh_quota)
        self.webhook = QLineEdit()
        self.webhook.setReadOnly(True)
        self.copy_webhook = QPushButton()
        self.copy_webhook.clicked.connect(self.on_copy_webhook)
        hook_row = QHBoxLayout()
        hook_row.addWidget(self.webhook, 1)
        hook_row.addWidget(self.copy_webhook)
        self.state_labels = [QLabel() for _ in range(3)]
        state_fields: tuple[QWidget | QLayout, ...] = (self.configured, quota_row, hook_row)
        for label, field in zip(self.state_labels, state_fields, strict=True):
            sf.addRow(label, field)
        self.body.addWidget(self.state_box)

        self.creds_box = QGroupBox()
        cf = form()
        self.creds_box.setLayout(cf)
        self.secret = SecretField()
        self.token = SecretField()
        self.cred_labels = [QLabel(), QLabel()]
        cf.addRow(self.cred_labels[0], self.secret)
        cf.addRow(self.cred_labels[1], self.token)
        self.help = QLabel(objectName="Muted")
        self.help.setWordWrap(True)
        cf.addRow(self.help)
        self.body.addWidget(self.creds_box)
        self.disconnect_button = danger(QPushButton())
        self.disconnect_button.clicked.connect(self.on_disconnect)
        self.save = primary(QPushButton())
        self.save.clicked.connect(self.on_save)
        self.body.addLayout(button_row(self.disconnect_button, self.save))
        self.body.addStretch(1)

        self.welcome: p.DesktopWelcome | None = ctx.relay.welcome if ctx.relay else None
        self.line_configured: bool | None = self.welcome.line_configured if self.welcome else None
        self.last_quota: p.LineQuota | None = None
        ctx.signals.welcomed_sig.connect(self.on_welcomed)
        ctx.signals.line_quota_sig.connect(self.on_quota)
        ctx.signals.caught_up_sig.connect(self.on_caught_up)
        ctx.signals.status_changed_sig.connect(self.on_status)
        self.retranslate()
        self.load()

    def retranslate(self) -> None:
        self.title.setText(self.tr("LINE Official Account"))
        self.intro.setText(
            self.tr(
                "Answer your LINE Official Account's chats in MiniChat. Copy the channel "
                "secret and channel access token from the LINE Developers console."
            )
        )
        self.state_box.setTitle(self.tr("Status"))
        for label, text in zip(
            self.state_labels,
            (self.tr("LINE"), self.tr("Push messages this month"), self.tr("Webhook URL")),
            strict=True,
        ):
            label.setText(text)
        self.refresh_quota.setText(self.tr("Refresh"))
        self.copy_webhook.setText(self.tr("Copy"))
        self.creds_box.setTitle(self.tr("Channel"))
        self.cred_labels[0].setText(self.tr("Channel secret"))
        self.cred_labels[1].setText(self.tr("Channel access token"))
        self.secret.retranslate()
        self.token.retranslate()
        self.help.setText(
            self.tr(
                "After saving, paste the webhook URL above into the LINE Developers console "
                "(Messaging API → Webhook settings), turn on “Use webhook” and press Verify."
            )
        )
        self.disconnect_button.setText(self.tr("Disconnect LINE"))
        self.save.setText(self.tr("Save and connect"))
        self.show_state()

    def load(self) -> None:
        try:
            self.secret.setText(self.ctx.secrets.get(LINE_SECRET) or "")
            self.token.setText(self.ctx.secrets.get(LINE_TOKEN) or "")
        except DomainError as exc:
            self.feedback.say(explain(exc), Tone.ERROR)

    def webhook_url(self) -> str:
        if self.welcome is None:
            return ""
        base = (self.ctx.relay.url if self.ctx.relay else self.ctx.relay_url).rstrip("/")
        return f"{base}/line/{self.welcome.shop_id}/webhook"

    def show_state(self) -> None:
        online = self.ctx.relay is not None and self.ctx.relay.online
        show_connected(
            self.configured,
            self.line_configured,
            (
                self.tr("unknown until MiniChat connects to the relay"),
                self.tr("connected"),
                self.tr("not connected"),
            ),
        )
        q = self.last_quota
        if q is None:
            self.quota.setText("—")
        else:
            limit = self.tr("no limit") if q.limit is None else f"{q.limit:,}"
            text = self.tr("{used} of {limit} ({month})").format(
                used=f"{q.used:,}", limit=limit, month=q.month
            )
            if q.exceeded:
                text += " — " + self.tr("quota used up: LINE replies still work, pushes do not")
            self.quota.setText(text)
            theme.tone(self.quota, "error" if q.exceeded else None)
        self.refresh_quota.setEnabled(online and bool(self.line_configured))
        url = self.webhook_url()
        self.webhook.setText(url)
        self.webhook.setPlaceholderText(self.tr("shown once MiniChat has connected to the relay"))
        self.copy_webhook.setEnabled(bool(url))

    @asyncSlot(object)
    async def on_welcomed(self, welcome: p.DesktopWelcome) -> None:
        self.welcome = welcome
        self.line_configured = welcome.line_configured
        self.show_state()
        if welcome.line_configured and self.isVisible():
            await self.ask_quota()

    @Slot(object)
    def on_caught_up(self, sent: tuple[str, ...]) -> None:
        """The relay link sent a LINE change saved while offline (app.relay_link)."""
        if not ({"line_set", "line_cleared"} & set(sent)) or not alive(self):
            return
        self.line_configured = "line_set" in sent
        self.show_state()
        if self.feedback.tone is Tone.INFO:
            self.feedback.say(
                self.tr("Saved and sent: LINE chats now come to MiniChat.")
                if self.line_configured
                else self.tr("LINE disconnected.")
            )

    @Slot(object)
    def on_status(self, _status: Status) -> None:
        self.show_state()

    @Slot(object)
    def on_quota(self, quota: p.LineQuota) -> None:
        self.last_quota = quota
        self.show_state()

    @asyncSlot()
    async def on_refresh_quota(self) -> None:
        await self.ask_quota()

    async def ask_quota(self) -> bool:
        if self.ctx.relay is None:
            return False
        return await self.ctx.relay.send_live(p.GetLineQuota(frame_ref("q")))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.line_configured and self.ctx.relay is not None and self.ctx.relay.online:
            self.on_refresh_quota()

    @Slot()
    def on_copy_webhook(self) -> None:
        QGuiApplication.clipboard().setText(self.webhook.text())
        self.feedback.say(self.tr("Webhook URL copied."))

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save_now()

    def _secret_fields(self) -> tuple[tuple[str, SecretField], ...]:
        return ((LINE_SECRET, self.secret), (LINE_TOKEN, self.token))

    async def save_now(self) -> bool:
        incomplete = self.tr("Give both the channel secret and the channel access token.")
        if not keep_secrets(self, self._secret_fields(), incomplete):
            return False
        return await self.push(True)

    @asyncSlot()
    async def on_disconnect(self) -> None:
        if await confirm(
            self,
            self.tr("Disconnect LINE"),
            self.tr(
                "Stop receiving LINE chats in MiniChat? The credentials are removed from this "
                "computer and from the relay."
            ),
        ):
            await self.disconnect_now()

    async def disconnect_now(self) -> bool:
        if not forget_secrets(self, self._secret_fields()):
            return False
        return await self.push(False)

    async def push(self, connect: bool) -> bool:
        """Send the credentials (or their removal) to the relay; when offline, remember that
        they wait (the relay link sends them on its next connection: app.relay_link).
        Returns whether it went out now."""
        frame = p.SetLineCredentials(frame_ref("line"), None, None)
        if connect:
            try:
                secret, token = self.ctx.secrets.get(LINE_SECRET), self.ctx.secrets.get(LINE_TOKEN)
            except DomainError as exc:
                self.feedback.say(report(self, exc), Tone.ERROR)
                return False
            if not secret or not token:
                return False
            frame = p.SetLineCredentials(frame.ref, secret, token)
        sent = False
        if self.ctx.relay is not None and self.ctx.relay.online:
            sent = await self.ctx.relay.send_live(frame)
        await self.ctx.ops.write(
            relay_link.line_pending, None if sent else ("set" if connect else "clear")
        )
        if not alive(self):
            return sent
        if sent:
            log.info("LINE credentials %s on the relay", "set" if connect else "cleared")
            self.line_configured = connect
            self.show_state()
            self.feedback.say(
                self.tr("Saved and sent: LINE chats now come to MiniChat.")
                if connect
                else self.tr("LINE disconnected.")
            )
        else:
            self.feedback.say(
                self.tr(
                    "Saved on this computer. MiniChat is offline: the relay gets it when the "
                    "connection is back."
                ),
                Tone.INFO,
            )
        return sent


# ---------------------------------------------------------------------------- AI


class ChatPage(Page):
    """The canned responses (ready-made replies). The bot's default mode and question words
    are on the sales bot's page, with the rest of the bot."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.canned_box = QGroupBox()
        row = QHBoxLayout(self.canned_box)
        left = QVBoxLayout()
        self.canned = QListWidget(objectName="CannedList")
        self.canned.setSpacing(4)
        self.canned.setFixedWidth(240)
        self.canned.currentItemChanged.connect(self.on_pick_canned)
        self.new_canned = QPushButton()
        self.new_canned.clicked.connect(self.on_new_canned)
        left.addWidget(self.canned, 1)
        left.addWidget(self.new_canned)
        row.addLayout(left)
        right = QVBoxLayout()
        ef = form()
        self.canned_title = QLineEdit()
        self.canned_text = PlaceholderEdit()
        self.canned_text.setMinimumHeight(96)
        self.canned_labels = [QLabel(), QLabel(), QLabel()]
        ef.addRow(self.canned_labels[0], self.canned_title)
        ef.addRow(self.canned_labels[1], self.canned_text)
        self.fields = FieldButtons(self.canned_text, list(placeholders.FIELDS))
        ef.addRow(self.canned_labels[2], self.fields)
        right.addLayout(ef)
        self.delete_canned = danger(QPushButton())
        self.delete_canned.clicked.connect(self.on_delete_canned)
        self.save_canned = primary(QPushButton())
        self.save_canned.clicked.connect(self.on_save_canned)
        right.addLayout(button_row(self.delete_canned, self.save_canned))
        right.addStretch(1)
        row.addLayout(right, 1)
        self.body.addWidget(self.canned_box, 1)

        self.editing_id: int | None = None
        self.retranslate()
        self.load()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Canned responses"))
        self.intro.setText(self.tr("Ready-made replies for you and your staff."))
        self.canned_box.setTitle("")  # the page is about them: its title says so
        self.new_canned.setText(self.tr("New response"))
        self.canned_labels[0].setText(self.tr("Title"))
        self.canned_labels[1].setText(self.tr("Text"))
        self.canned_labels[2].setText(self.tr("Insert"))
        self.fields.retranslate()
        self.fields.setToolTip(self.tr("Filled in from the chat's customer, order and shop"))
        self.delete_canned.setText(self.tr("Delete"))
        self.save_canned.setText(self.tr("Save response"))

    def load(self) -> None:
        self.show_canned(self.ctx.ops.read_now(convs.list_canned))

    def show_canned(self, items: list[convs.CannedView], select: int | None = None) -> None:
        self.canned.blockSignals(True)
        self.canned.clear()
        chosen = None
        for c in items:
            item = QListWidgetItem(c.title, self.canned)
            item.setData(Qt.ItemDataRole.UserRole, (c.id, c.text))
            item.setToolTip(c.text)
            if c.id == select:
                chosen = item
        self.canned.blockSignals(False)
        if chosen is None and select is None and self.canned.count():
            chosen = self.canned.item(0)
        if chosen is not None:
            self.canned.setCurrentItem(chosen)
        else:
            self.start_new()

    def start_new(self) -> None:
        self.canned.blockSignals(True)
        self.canned.setCurrentRow(-1)
        self.canned.clearSelection()
        self.canned.blockSignals(False)
        self.editing_id = None
        self.canned_title.clear()
        self.canned_text.clear()
        self.delete_canned.setEnabled(False)

    @Slot()
    def on_new_canned(self) -> None:
        self.start_new()
        self.canned_title.setFocus()

    @Slot(QListWidgetItem, QListWidgetItem)
    def on_pick_canned(self, item: QListWidgetItem | None, _prev: Any = None) -> None:
        if item is None:
            return
        cid, text = item.data(Qt.ItemDataRole.UserRole)
        self.editing_id = int(cid)
        self.canned_title.setText(item.text())
        self.canned_text.set_template(text)
        self.delete_canned.setEnabled(True)

    @asyncSlot()
    async def on_save_canned(self) -> None:
        await self.save_canned_now()

    async def save_canned_now(self) -> bool:
        try:
            saved = await self.ctx.ops.write(
                convs.save_canned,
                self.canned_title.text(),
                self.canned_text.template(),
                self.editing_id,
            )
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.show_canned(await self.ctx.ops.read(convs.list_canned), select=saved.id)
        self.feedback.say(self.tr("Canned response “{title}” saved.").format(title=saved.title))
        return True

    @asyncSlot()
    async def on_delete_canned(self) -> None:
        if self.editing_id is None:
            return
        if await confirm(
            self,
            self.tr("Delete canned response"),
            self.tr("Delete “{title}”?").format(title=self.canned_title.text()),
        ):
            await self.delete_canned_now()

    async def delete_canned_now(self) -> bool:
        if self.editing_id is None:
            return False
        title = self.canned_title.text()
        try:
            await self.ctx.ops.write(convs.delete_canned, self.editing_id)
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.show_canned(await self.ctx.ops.read(convs.list_canned))
        self.feedback.say(self.tr("Canned response “{title}” deleted.").format(title=title))
        return True


# ---------------------------------------------------------------------------- notifications


class NotificationsPage(Page):
    """Sound and tray messages, and the UI language (applied at once)."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.notify_box = QGroupBox()
        nb = QVBoxLayout(self.notify_box)
        self.sound = QCheckBox()
        self.tray = QCheckBox()
        nb.addWidget(self.sound)
        nb.addWidget(self.tray)
        self.body.addWidget(self.notify_box)
        self.lang_box = QGroupBox()
        lf = form()
        self.lang_box.setLayout(lf)
        self.language = QComboBox()
        self.language.setMaximumWidth(260)
        self.language.addItem("ไทย", "th")
        self.language.addItem("English", "en")
        self.lang_label = QLabel()
        lf.addRow(self.lang_label, self.language)
        self.body.addWidget(self.lang_box)
        self.body.addStretch(1)

        settings = ctx.settings
        self.sound.setChecked(bool(settings.value("notify/sound", True, type=bool)))
        self.tray.setChecked(bool(settings.value("notify/tray", True, type=bool)))
        lang = i18n.current_language()
        self.language.setCurrentIndex(max(0, self.language.findData(lang)))
        self.sound.toggled.connect(lambda on: self.store("notify/sound", on))
        self.tray.toggled.connect(lambda on: self.store("notify/tray", on))
        self.language.currentIndexChanged.connect(self.on_language)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Notifications and language"))
        self.intro.setText(self.tr("Changes here apply at once."))
        self.notify_box.setTitle(self.tr("When a shopper writes"))
        self.sound.setText(self.tr("Play a sound"))
        self.tray.setText(self.tr("Show a message near the clock (system tray)"))
        self.lang_box.setTitle(self.tr("Language"))
        self.lang_label.setText(self.tr("Language of MiniChat"))
        # The language may have been switched elsewhere: show the one in use.
        self.language.blockSignals(True)
        self.language.setCurrentIndex(max(0, self.language.findData(i18n.current_language())))
        self.language.blockSignals(False)

    def store(self, key: str, value: bool) -> None:
        self.ctx.settings.setValue(key, value)
        self.ctx.settings.sync()
        self.feedback.say(self.tr("Saved."))

    @Slot(int)
    def on_language(self, _index: int) -> None:
        lang = str(self.language.currentData())
        i18n.set_language(lang)
        self.ctx.settings.setValue("ui/language", lang)
        self.ctx.settings.sync()


# ---------------------------------------------------------------------------- the screen


class _PageSlot[P: Page]:
    """A settings page as an attribute of the screen, built the first time it is read."""

    def __init__(self, cls: type[P]) -> None:
        self.cls = cls
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, screen: None, owner: type | None = None) -> _PageSlot[P]: ...
    @overload
    def __get__(self, screen: SettingsScreen, owner: type | None = None) -> P: ...
    def __get__(self, screen: SettingsScreen | None, owner: type | None = None) -> P | _PageSlot[P]:
        if screen is None:
            return self
        return screen.page(self.name)  # type: ignore[return-value]


class SettingsScreen(QWidget):
    """All settings pages, listed on the left. A page is built when it is first shown or
    used; the relay, widget and LINE pages (they answer the relay's welcome) and the first
    page are built with the screen, so the screen costs the app's start less."""

    setup = _PageSlot(SetupPage)
    profile = _PageSlot(ProfilePage)
    relay = _PageSlot(RelayPage)
    widget = _PageSlot(WidgetPage)
    line = _PageSlot(LinePage)
    meta = _PageSlot(MetaPage)
    chat = _PageSlot(ChatPage)
    notifications = _PageSlot(NotificationsPage)
    printers = _PageSlot(PrintersPage)
    bot = _PageSlot(BotPage)
    slips = _PageSlot(SlipCheckPage)
    backups = _PageSlot(BackupsPage)
    ORDER = (
        "setup",
        "profile",
        "relay",
        "widget",
        "line",
        "meta",
        "chat",
        "notifications",
        "printers",
        "bot",
        "slips",
        "backups",
    )
    AT_ONCE = ("setup", "profile", "relay", "widget", "line")
    open_requested = Signal(str)  # a ref for the window: catalog:import|template|new

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.setObjectName("SettingsScreen")  # theme's #SettingsScreen rules: the pages' look
        self.ctx = ctx
        self.built: dict[str, Page] = {}
        self.nav = QListWidget(objectName="SettingsNav")
        self.nav.setFixedWidth(220)
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.stack = QStackedWidget()
        self._scrolls: list[QScrollArea] = []
        for _ in self.ORDER:
            QListWidgetItem("", self.nav)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            self._scrolls.append(scroll)
            self.stack.addWidget(scroll)
        for name in self.AT_ONCE:
            self.page(name)
        self.nav.currentRowChanged.connect(self._show_row)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.retranslate()
        self.nav.setCurrentRow(0)

    def page(self, name: str) -> Page:
        """The page ``name`` (one of :attr:`ORDER`), built now if it was not yet."""
        built = self.built.get(name)
        if built is None:
            slot = getattr(type(self), name)
            assert isinstance(slot, _PageSlot)
            built = self.built[name] = slot.cls(self.ctx)
            self._scrolls[self.ORDER.index(name)].setWidget(built)
            if isinstance(built, SetupPage):
                built.open_requested.connect(self.follow)
        return built

    @property
    def pages(self) -> list[Page]:
        """Every page, in the list's order (building those not built yet)."""
        return [self.page(name) for name in self.ORDER]

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(self.ORDER):
            self.page(self.ORDER[row])
            self.stack.setCurrentIndex(row)

    def retranslate(self) -> None:
        names = (
            self.tr("Set up"),
            self.tr("Shop profile"),
            self.tr("Relay"),
            self.tr("Website widget"),
            self.tr("LINE"),
            self.tr("Facebook & Instagram"),
            self.tr("Canned responses"),
            self.tr("Notifications and language"),
            self.tr("Printers"),
            self.tr("Sales bot and AI"),
            self.tr("Payment slips"),
            self.tr("Backups"),
        )
        for i, name in enumerate(names):
            self.nav.item(i).setText(name)

    def show_page(self, index: int) -> None:
        self.nav.setCurrentRow(index)

    def show_named(self, name: str) -> Page | None:
        """Show the page ``name`` (one of :attr:`ORDER`); None for a name that is not one."""
        if name not in self.ORDER:
            return None
        self.show_page(self.ORDER.index(name))
        return self.page(name)

    def show_setup(self, step: str = "") -> SetupPage:
        """Settings → Set up, with ``step``'s panel open (none for an unknown or empty one)."""
        page = self.setup
        self.show_named("setup")
        page.follow(f"setup:{step}")
        return page

    @Slot(str)
    def follow(self, ref: str) -> None:
        """Go where a setup step is done: a page here, a page's own test, or (for the window)
        another screen."""
        kind, _, name = ref.partition(":")
        if kind == "settings":
            self.show_named(name)
        elif ref == "do:printer-test":
            self.show_named("printers")
            self.printers.on_test_page()
        elif ref == "do:label-test":
            self.show_named("printers")
            self.printers.on_label_test()
        elif ref == "do:relay-test":
            self.show_named("relay")
            self.relay.on_test()
        else:
            self.open_requested.emit(ref)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            for page in self.built.values():  # the others are made in the new language
                page.retranslate()
        super().changeEvent(event)
