"""Settings → Facebook & Instagram: the steps a shop owner follows in their Meta app, the
webhook URL and verify token to paste there (with Copy), the app secret and Page access token
(kept in the keyring only), Save (``meta_credentials`` to the relay), Disconnect (all null) and
Verify (``meta_verify``), whose answer is said in plain words with what to do next.

The verify token is made here (``secrets.token_urlsafe``) the first time the page loads and
kept in the keyring; the owner never types it. Saved while the relay is not connected, the
credentials wait in the keyring and go out on the next welcome while the app is open."""

from __future__ import annotations

import logging
import secrets

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)
from qasync import asyncSlot

from minichat_desktop.app import relay_link
from minichat_desktop.errors import DomainError
from minichat_desktop.secrets import META_APP_SECRET, META_PAGE_TOKEN, META_VERIFY_TOKEN
from minichat_desktop.sync.status import Status
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import confirm
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
from relay import protocol as p

log = logging.getLogger(__name__)

FIELDS = ", ".join(p.META_FIELDS)


def _copy_row(shown: QLineEdit | QLabel, button: QPushButton) -> QHBoxLayout:
    if isinstance(shown, QLineEdit):
        shown.setReadOnly(True)
    row = QHBoxLayout()
    row.addWidget(shown, 1)
    row.addWidget(button)
    return row


class MetaPage(Page):
    """The shop's Facebook Page and Instagram account, connected through the relay."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.steps_box = QGroupBox()
        steps = QVBoxLayout(self.steps_box)
        self.steps = [QLabel() for _ in range(5)]
        for label in self.steps:
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            steps.addWidget(label)
        self.body.addWidget(self.steps_box)

        self.hook_box = QGroupBox()
        hf = form()
        self.hook_box.setLayout(hf)
        self.webhook = QLineEdit()
        self.copy_webhook = QPushButton()
        self.copy_webhook.clicked.connect(self.on_copy_webhook)
        self.verify_token = QLineEdit()
        self.copy_verify_token = QPushButton()
        self.copy_verify_token.clicked.connect(self.on_copy_verify_token)
        half = len(p.META_FIELDS) // 2  # two lines: the whole list is seen at any width
        lines = (", ".join(p.META_FIELDS[:half]) + ",", ", ".join(p.META_FIELDS[half:]))
        self.fields = QLabel("\n".join(lines))
        self.fields.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_fields = QPushButton()
        self.copy_fields.clicked.connect(self.on_copy_fields)
        self.hook_labels = [QLabel() for _ in range(3)]
        rows = (
            _copy_row(self.webhook, self.copy_webhook),
            _copy_row(self.verify_token, self.copy_verify_token),
            _copy_row(self.fields, self.copy_fields),
        )
        for label, row in zip(self.hook_labels, rows, strict=True):
            hf.addRow(label, row)
        self.body.addWidget(self.hook_box)

        self.creds_box = QGroupBox()
        cf = form()
        self.creds_box.setLayout(cf)
        self.secret = SecretField()
        self.token = SecretField()
        self.cred_labels = [QLabel(), QLabel(), QLabel()]
        self.configured = QLabel()  # whether the relay holds the credentials (its welcome says)
        self.configured.setWordWrap(True)
        cf.addRow(self.cred_labels[2], self.configured)
        cf.addRow(self.cred_labels[0], self.secret)
        cf.addRow(self.cred_labels[1], self.token)
        self.body.addWidget(self.creds_box)

        self.disconnect_button = danger(QPushButton())
        self.disconnect_button.clicked.connect(self.on_disconnect)
        self.verify = QPushButton()
        self.verify.clicked.connect(self.on_verify)
        self.save = primary(QPushButton())
        self.save.clicked.connect(self.on_save)
        self.body.addLayout(button_row(self.disconnect_button, self.verify, self.save))
        self.verify_result = theme.StatusLabel()
        self.verify_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.verify_result)
        self.body.addStretch(1)

        self.answer: p.MetaVerified | None = None
        welcome = ctx.relay.welcome if ctx.relay else None
        # whether the relay holds the credentials: its welcome says, a save or disconnect changes
        self.meta_configured: bool | None = welcome.meta_configured if welcome else None
        ctx.signals.welcomed_sig.connect(self.on_welcomed)
        ctx.signals.caught_up_sig.connect(self.on_caught_up)
        ctx.signals.status_changed_sig.connect(self.on_status)
        self.retranslate()
        self.load()

    # ---- texts

    def retranslate(self) -> None:
        self.title.setText(self.tr("Facebook & Instagram"))
        self.intro.setText(
            self.tr(
                "Answer your Facebook Page's Messenger chats, Instagram messages and live "
                "comments in MiniChat. You need a Meta app for your shop (free); follow the "
                "steps below once."
            )
        )
        self.steps_box.setTitle(self.tr("How to connect"))
        for label, text in zip(self.steps, self._step_texts(), strict=True):
            label.setText(text)
        self.hook_box.setTitle(self.tr("To paste into your Meta app"))
        for label, text in zip(
            self.hook_labels,
            (self.tr("Callback URL"), self.tr("Verify token"), self.tr("Webhook fields")),
            strict=True,
        ):
            label.setText(text)
        for button in (self.copy_webhook, self.copy_verify_token, self.copy_fields):
            button.setText(self.tr("Copy"))
        self.creds_box.setTitle(self.tr("From your Meta app"))
        self.cred_labels[0].setText(self.tr("App secret"))
        self.cred_labels[1].setText(self.tr("Page access token"))
        self.cred_labels[2].setText(self.tr("Status"))
        self.secret.retranslate()
        self.token.retranslate()
        self.disconnect_button.setText(self.tr("Disconnect Facebook"))
        self.verify.setText(self.tr("Verify"))
        self.save.setText(self.tr("Save and connect"))
        if self.answer is not None:
            text, ok = self.verify_text(self.answer)
            self.verify_result.say(text, "ok" if ok else "error")
        self.show_state()

    def _step_texts(self) -> list[str]:
        return [
            self.tr(
                "1. Open developers.facebook.com → My Apps. Create an app of type “Business” "
                "(or choose the one you already have)."
            ),
            self.tr(
                "2. In the app, add the products “Messenger” and “Instagram”. Connect your "
                "Facebook Page; to get Instagram messages too, link the shop's Instagram "
                "professional account to that Page."
            ),
            self.tr(
                "3. Messenger → Settings → Access tokens: add your Page and press “Generate "
                "token”. Paste it below as the Page access token. The app secret is in App "
                "settings → Basic (press Show). Then press Save and connect."
            ),
            self.tr(
                "4. Messenger → Settings → Webhooks: paste the callback URL and the verify "
                "token from this page and press “Verify and save” in Meta."
            ),
            self.tr(
                "5. Still in Webhooks, subscribe your Page to the webhook fields listed below. "
                "Then press Verify here: MiniChat checks everything and says what is missing."
            ),
        ]

    # ---- state

    def load(self) -> None:
        """The saved credentials into the fields; a verify token made now if there is none."""
        try:
            self.secret.setText(self.ctx.secrets.get(META_APP_SECRET) or "")
            self.token.setText(self.ctx.secrets.get(META_PAGE_TOKEN) or "")
            verify = self.ctx.secrets.get(META_VERIFY_TOKEN)
            if not verify:
                verify = secrets.token_urlsafe(24)
                self.ctx.secrets.set(META_VERIFY_TOKEN, verify)
            self.verify_token.setText(verify)
            self.verify_token.setCursorPosition(0)
        except DomainError as exc:
            self.feedback.say(explain(exc), Tone.ERROR)
        self.show_state()

    def webhook_url(self) -> str:
        """``<relay URL>/meta/<shop id>/webhook`` (empty until the relay has welcomed us)."""
        welcome = self.ctx.relay.welcome if self.ctx.relay else None
        if welcome is None:
            return ""
        base = (self.ctx.relay.url if self.ctx.relay else self.ctx.relay_url).rstrip("/")
        return f"{base}/meta/{welcome.shop_id}/webhook"

    def show_state(self) -> None:
        self.show_configured()
        url = self.webhook_url()
        self.webhook.setText(url)
        self.webhook.setCursorPosition(0)  # the start of a long URL, not its end
        self.webhook.setPlaceholderText(self.tr("shown once MiniChat has connected to the relay"))
        self.copy_webhook.setEnabled(bool(url))
        self.copy_verify_token.setEnabled(bool(self.verify_token.text()))

    def show_configured(self) -> None:
        """Connected or not, as the relay last said (unknown before its first welcome)."""
        show_connected(
            self.configured,
            self.meta_configured,
            (
                self.tr("unknown until MiniChat connects to the relay"),
                self.tr("connected"),
                self.tr("not connected"),
            ),
        )

    @Slot(object)
    def on_welcomed(self, welcome: p.DesktopWelcome) -> None:
        """Show the callback URL and whether the relay holds the credentials (what was saved
        while offline is sent by the relay link itself: app.relay_link)."""
        if alive(self):
            self.meta_configured = welcome.meta_configured
            self.show_state()

    @Slot(object)
    def on_caught_up(self, sent: tuple[str, ...]) -> None:
        """The relay link sent a change saved while offline."""
        if not ({"meta_set", "meta_cleared"} & set(sent)) or not alive(self):
            return
        self.meta_configured = "meta_set" in sent
        self.show_state()
        if self.feedback.tone is Tone.INFO:
            self.feedback.say(
                self.tr("Saved and sent. Now paste the callback URL and verify token into Meta.")
                if "meta_set" in sent
                else self.tr("Facebook and Instagram disconnected.")
            )

    @Slot(object)
    def on_status(self, _status: Status) -> None:
        if alive(self):
            self.show_state()

    # ---- copy

    def _copy(self, text: str, said: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.feedback.say(said)

    @Slot()
    def on_copy_webhook(self) -> None:
        self._copy(self.webhook.text(), self.tr("Callback URL copied."))

    @Slot()
    def on_copy_verify_token(self) -> None:
        self._copy(self.verify_token.text(), self.tr("Verify token copied."))

    @Slot()
    def on_copy_fields(self) -> None:
        self._copy(FIELDS, self.tr("Webhook fields copied."))

    # ---- save, disconnect

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save_now()

    def _secret_fields(self) -> tuple[tuple[str, SecretField], ...]:
        return ((META_APP_SECRET, self.secret), (META_PAGE_TOKEN, self.token))

    async def save_now(self) -> bool:
        """Keep the typed secret and token in the keyring and send them to the relay.
        Returns whether they went out now."""
        incomplete = self.tr("Give both the app secret and the Page access token.")
        if not keep_secrets(self, self._secret_fields(), incomplete):
            return False
        return await self.push(True)

    @asyncSlot()
    async def on_disconnect(self) -> None:
        if await confirm(
            self,
            self.tr("Disconnect Facebook"),
            self.tr(
                "Stop receiving Messenger and Instagram chats in MiniChat? The app secret and "
                "Page access token are removed from this computer and from the relay."
            ),
        ):
            await self.disconnect_now()

    async def disconnect_now(self) -> bool:
        """Remove the secret and token here and on the relay (all null)."""
        if not forget_secrets(self, self._secret_fields()):
            return False
        self.answer = None
        self.verify_result.say("", None)
        return await self.push(False)

    async def push(self, connect: bool) -> bool:
        """Send the credentials (or, ``connect`` false, their removal: all null) over the
        relay link. Offline: kept as pending, sent with the next welcome."""
        frame = p.SetMetaCredentials(frame_ref("meta"), None, None, None)
        if connect:
            try:
                values = [self.ctx.secrets.get(k) for k in (META_APP_SECRET, META_PAGE_TOKEN)]
                verify = self.ctx.secrets.get(META_VERIFY_TOKEN)
            except DomainError as exc:
                self.feedback.say(report(self, exc), Tone.ERROR)
                return False
            secret, token = values
            if not secret or not token or not verify:
                return False
            frame = p.SetMetaCredentials(frame.ref, secret, token, verify)
        relay = self.ctx.relay
        sent = relay is not None and relay.online and await relay.send_live(frame)
        await self.ctx.ops.write(
            relay_link.meta_pending, None if sent else ("set" if connect else "clear")
        )
        if not alive(self):
            return sent
        if sent:
            self.meta_configured = connect
            self.show_state()
            log.info("meta credentials %s on the relay", "set" if connect else "cleared")
            self.feedback.say(
                self.tr("Saved and sent. Now paste the callback URL and verify token into Meta.")
                if connect
                else self.tr("Facebook and Instagram disconnected.")
            )
        else:
            self.feedback.say(
                self.tr(
                    "Saved on this computer. MiniChat is not connected to the relay: it sends "
                    "this as soon as the connection is back."
                ),
                Tone.INFO,
            )
        return sent

    # ---- verify

    @asyncSlot()
    async def on_verify(self) -> None:
        await self.verify_now()

    async def verify_now(self) -> p.MetaVerified | None:
        """Ask the relay to verify (``meta_verify``) and say what it found."""
        relay = self.ctx.relay
        if relay is None or not relay.online:
            self.answer = None
            self.verify_result.say(
                self.tr(
                    "MiniChat is not connected to the relay, so Facebook cannot be checked. "
                    "Connect first (Settings → Relay), then press Verify again."
                ),
                "warn",
            )
            return None
        self.verify.setEnabled(False)
        self.verify_result.say(self.tr("Asking Facebook…"), "muted")
        try:
            answer = await relay.verify_meta()
        finally:
            if alive(self):
                self.verify.setEnabled(True)
        if alive(self):
            self.answer = answer
            text, ok = self.verify_text(answer)
            self.verify_result.say(text, "ok" if ok else "error")
        return answer

    def verify_text(self, answer: p.MetaVerified | None) -> tuple[str, bool]:
        """What the owner reads for the relay's answer, and whether it is good news."""
        if answer is None:
            return self.tr("No answer from the relay. Try again in a moment."), False
        if answer.result is p.MetaCheck.OK:
            text = self.tr("It works: chats to the Page “{page}” come to MiniChat.").format(
                page=answer.page_name or answer.page_id or "Facebook"
            )
            if answer.instagram:
                text += " " + self.tr("Instagram @{name} is linked too.").format(
                    name=answer.instagram
                )
            else:
                text += " " + self.tr(
                    "No Instagram account is linked to this Page: link one in the Page's "
                    "settings to get Instagram messages too."
                )
            return text, True
        text = self._problem_text(answer)
        if answer.detail and answer.result is not p.MetaCheck.META_UNREACHABLE:
            said = f"{answer.code}: {answer.detail}" if answer.code is not None else answer.detail
            text += " " + self.tr("(Meta said: {said})").format(said=said)
        return text, False

    def _problem_text(self, answer: p.MetaVerified) -> str:
        c = p.MetaCheck
        missing = ", ".join(answer.missing)
        texts = {
            c.NOT_CONFIGURED: self.tr(
                "Facebook is not set up on the relay yet: enter the app secret and the Page "
                "access token and press Save and connect."
            ),
            c.TOKEN_REJECTED: self.tr(
                "Facebook refused the Page access token (it expired or was copied wrong). "
                "Generate a new one in Messenger → Settings → Access tokens, paste it and "
                "press Save and connect."
            ),
            c.SECRET_WRONG: self.tr(
                "The app secret is wrong: it is not the secret of the app this Page access "
                "token belongs to. Copy it again from App settings → Basic and press Save "
                "and connect."
            ),
            c.NOT_SUBSCRIBED: self.tr(
                "The token and secret are right, but your Meta app does not receive the "
                "Page's messages yet. In Messenger → Settings → Webhooks, subscribe the Page "
                "“{page}” to: {fields}."
            ),
            c.FIELDS_MISSING: self.tr(
                "Almost done: the Page “{page}” is connected, but some webhook fields are "
                "not subscribed. In Messenger → Settings → Webhooks, also subscribe to: "
                "{fields}."
            ),
            c.META_REFUSED: self.tr(
                "Facebook refused the check. Make sure the token is a Page access token of "
                "this Page, made in the same app, with the Messenger permissions."
            ),
            c.META_UNREACHABLE: self.tr(
                "The relay could not reach Facebook. Check the relay's internet connection, "
                "then press Verify again."
            ),
            c.META_UNAVAILABLE: self.tr(
                "Facebook is not answering right now. Nothing is wrong with your settings: "
                "try again in a few minutes."
            ),
        }
        page = answer.page_name or answer.page_id or ""
        return texts[answer.result].format(page=page, fields=missing)
