"""Settings → Set up: the whole first-run checklist, each step opening its panel under it —
the ฿1 PromptPay test QR, the product file buttons, the website's embed snippet, LINE step by
step with Verify, the printers' test page and the relay's connection test.

The panels do a step's work inline where it is small (copy, scan, verify) and otherwise lead to
the page that already does it (shop profile, allowed websites, LINE credentials, printers,
relay), through :attr:`SetupPage.open_requested` — nothing is done twice."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
)
from qasync import asyncSlot

from minichat_desktop.app import setup
from minichat_desktop.app.settings import load_widget_settings
from minichat_desktop.app.setup import Step
from minichat_desktop.sync.client import widget_test_page
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.settings_common import Page, Tone, alive, primary
from minichat_desktop.ui.setup_checklist import SetupChecklist, copy_row, open_url, pixmap_of
from relay import protocol as p


def _panel() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("Card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(16, 12, 16, 12)
    layout.setSpacing(8)
    return frame, layout


def _note() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for b in buttons:
        row.addWidget(b)
    row.addStretch(1)
    return row


class SetupPage(Page):
    """Every step with its state; "Set up" opens the step's panel under the list."""

    open_requested = Signal(str)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.checklist = SetupChecklist(ctx)
        self.checklist.open_requested.connect(self.follow)
        self.body.addWidget(self.checklist)
        self.panel_title = QLabel(objectName="Title")
        self.body.addWidget(self.panel_title)
        self.panels: dict[Step, QFrame] = {}
        self.current: Step | None = None
        self._build_profile()
        self._build_promptpay()
        self._build_products()
        self._build_website()
        self._build_line()
        self._build_printers()
        self._build_relay()
        for panel in self.panels.values():
            panel.hide()
            self.body.addWidget(panel)
        self.body.addStretch(1)
        # a method, not a lambda: the context's signals outlive this page, and only a slot of a
        # QObject is disconnected when it is deleted
        ctx.signals.welcomed_sig.connect(self.on_welcomed)
        self.retranslate()
        self.open_step(None)

    # ------------------------------------------------------------------ the panels

    def _link(self, ref: str) -> QPushButton:
        button = QPushButton()
        button.clicked.connect(lambda: self.open_requested.emit(ref))
        return button

    def _build_profile(self) -> None:
        frame, col = _panel()
        self.profile_note = _note()
        self.profile_open = primary(self._link("settings:profile"))
        col.addWidget(self.profile_note)
        col.addLayout(_buttons(self.profile_open))
        self.panels[Step.PROFILE] = frame

    def _build_promptpay(self) -> None:
        frame, col = _panel()
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.promptpay_note = _note()
        self.promptpay_open = self._link("settings:profile")
        row = QHBoxLayout()
        row.addWidget(self.qr)
        side = QVBoxLayout()
        side.addWidget(self.promptpay_note)
        side.addLayout(_buttons(self.promptpay_open))
        side.addStretch(1)
        row.addLayout(side, 1)
        col.addLayout(row)
        self.panels[Step.PROMPTPAY] = frame

    def _build_products(self) -> None:
        frame, col = _panel()
        self.products_note = _note()
        self.import_button = primary(self._link("catalog:import"))
        self.template_button = self._link("catalog:template")
        self.new_button = self._link("catalog:new")
        col.addWidget(self.products_note)
        col.addLayout(_buttons(self.import_button, self.template_button, self.new_button))
        self.panels[Step.PRODUCTS] = frame

    def _build_website(self) -> None:
        frame, col = _panel()
        self.website_note = _note()
        self.snippet = QLineEdit()
        self.snippet_copy = QPushButton()
        self.snippet_copy.clicked.connect(self.on_copied)
        self.test_message = primary(QPushButton())
        self.test_message.clicked.connect(self.on_test_message)
        self.origins_button = self._link("settings:widget")
        self.origins_note = _note()
        self.origins_note.setObjectName("Muted")
        col.addWidget(self.website_note)
        col.addLayout(copy_row(self.snippet, self.snippet_copy))
        col.addWidget(self.origins_note)
        col.addLayout(_buttons(self.test_message, self.origins_button))
        self.panels[Step.WEBSITE] = frame

    def _build_line(self) -> None:
        frame, col = _panel()
        self.line_steps = _note()
        self.hook = QLineEdit()
        self.hook_copy = QPushButton()
        self.hook_copy.clicked.connect(self.on_copied)
        self.line_open = self._link("settings:line")
        self.verify = primary(QPushButton())
        self.verify.clicked.connect(self.on_verify)
        self.verify_result = theme.StatusLabel()
        self.verify_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.line_steps)
        col.addLayout(copy_row(self.hook, self.hook_copy))
        col.addLayout(_buttons(self.line_open, self.verify))
        col.addWidget(self.verify_result)
        self.panels[Step.LINE] = frame

    def _build_printers(self) -> None:
        frame, col = _panel()
        self.printers_note = _note()
        self.printer_test = primary(self._link("do:printer-test"))
        self.label_test = self._link("do:label-test")
        self.printers_open = self._link("settings:printers")
        col.addWidget(self.printers_note)
        col.addLayout(_buttons(self.printer_test, self.label_test, self.printers_open))
        self.panels[Step.PRINTERS] = frame

    def _build_relay(self) -> None:
        frame, col = _panel()
        self.relay_note = _note()
        self.relay_test = primary(self._link("do:relay-test"))
        self.relay_open = self._link("settings:relay")
        col.addWidget(self.relay_note)
        col.addLayout(_buttons(self.relay_test, self.relay_open))
        self.panels[Step.RELAY] = frame

    # ------------------------------------------------------------------ texts

    def retranslate(self) -> None:
        self.title.setText(self.tr("Set up your shop"))
        self.intro.setText(
            self.tr(
                "Seven steps from installed to selling. Skip any of them and come back later: "
                "the counter works offline without them."
            )
        )
        self.checklist.retranslate()
        self.profile_note.setText(
            self.tr(
                "Fill in the shop's name, phone and address. The 13-digit tax ID is checked "
                "when you save (a VAT-registered shop needs it)."
            )
        )
        self.profile_open.setText(self.tr("Open shop profile"))
        self.promptpay_open.setText(self.tr("Open shop profile"))
        self.products_note.setText(
            self.tr(
                "Import your products from an Excel or CSV file (download the template: Thai "
                "headers, two example rows), or add the first product by hand."
            )
        )
        self.import_button.setText(self.tr("Import a file…"))
        self.template_button.setText(self.tr("Download the template…"))
        self.new_button.setText(self.tr("Add the first product"))
        self.website_note.setText(
            self.tr(
                "Paste this line into your website's HTML, just before </body>. The chat "
                "button then shows on every page."
            )
        )
        self.snippet_copy.setText(self.tr("Copy"))
        self.test_message.setText(self.tr("Send a test message"))
        self.origins_button.setText(self.tr("Allowed websites…"))
        self.origins_note.setText(
            self.tr(
                "Only the websites you allow may show your chat: add your site's address "
                "(e.g. https://www.myshop.com) under Allowed websites."
            )
        )
        self._retranslate_line()
        self.hook_copy.setText(self.tr("Copy"))
        self.line_open.setText(self.tr("Enter the channel's keys…"))
        self.verify.setText(self.tr("Verify"))
        self.printers_note.setText(
            self.tr(
                "Choose the receipt printer and paper width and the label printer, then print "
                "a test on each to see Thai text and the shop's name come out right."
            )
        )
        self.printer_test.setText(self.tr("Print a test receipt"))
        self.label_test.setText(self.tr("Print a test label"))
        self.printers_open.setText(self.tr("Printer settings…"))
        self.relay_note.setText(
            self.tr(
                "MiniChat uses the relay on this computer unless your provider gave you "
                "another address. Test it: it says whether the relay answers, takes your "
                "shop's key, and which shop it is."
            )
        )
        self.relay_test.setText(self.tr("Test connection"))
        self.relay_open.setText(self.tr("Relay settings…"))
        self.show_links()
        if self.current is not None:
            self.panel_title.setText(self.checklist.texts.title(self.current))

    def _retranslate_line(self) -> None:
        steps = [
            self.tr("Open the LINE Developers console (https://developers.line.biz) and log in."),
            self.tr("Create a Messaging API channel for your LINE Official Account."),
            self.tr(
                "Copy the channel secret (Basic settings) and issue a channel access token "
                "(Messaging API); enter both here."
            ),
            self.tr("Paste the webhook URL below into Messaging API → Webhook URL."),
            self.tr("Turn on “Use webhook”, then press Verify here."),
        ]
        self.line_steps.setText("\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1)))

    # ------------------------------------------------------------------ behaviour

    def relay_url(self) -> str:
        return (self.ctx.relay.url if self.ctx.relay else self.ctx.relay_url).rstrip("/")

    def shop_id(self) -> str:
        welcome = self.ctx.relay.welcome if self.ctx.relay is not None else None
        return welcome.shop_id if welcome is not None else ""

    @Slot(object)
    def on_welcomed(self, _welcome: object) -> None:
        self.show_links()

    def show_links(self) -> None:
        """The snippet and the webhook URL need the shop's id, known once the relay answered."""
        shop_id = self.shop_id()
        waiting = self.tr("shown once MiniChat has connected to the relay")
        self.snippet.setText(setup.embed_snippet(self.relay_url(), shop_id) if shop_id else "")
        self.hook.setText(setup.webhook_url(self.relay_url(), shop_id) if shop_id else "")
        for field, copy in ((self.snippet, self.snippet_copy), (self.hook, self.hook_copy)):
            field.setPlaceholderText(waiting)
            copy.setEnabled(bool(shop_id))
        self.test_message.setEnabled(bool(shop_id or self.ctx.test_page_url))
        self.verify.setEnabled(bool(shop_id))

    def open_step(self, step: Step | None) -> None:
        """Open ``step``'s panel under the list (None: none open)."""
        self.current = step
        for key, panel in self.panels.items():
            panel.setVisible(key is step)
        self.panel_title.setVisible(step is not None)
        if step is not None:
            self.panel_title.setText(self.checklist.texts.title(step))
        if step is Step.PROMPTPAY:
            self.show_qr()
        if step is not None:  # the panel is under the list: bring it into view
            QTimer.singleShot(0, lambda: self.scroll_to(self.panels[step]))

    def scroll_to(self, panel: QFrame) -> None:
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None and alive(panel):
            area.ensureWidgetVisible(panel, 0, 60)

    @Slot(str)
    def follow(self, ref: str) -> None:
        kind, _, name = ref.partition(":")
        if kind == "setup" and name in Step.__members__.values():
            self.open_step(Step(name))
        elif kind != "setup":
            self.open_requested.emit(ref)

    @asyncSlot()
    async def show_qr(self) -> None:
        png = await self.ctx.ops.read(setup.promptpay_test_card)
        if not alive(self):
            return
        if png is None:
            self.qr.clear()
            self.qr.hide()
            self.promptpay_note.setText(
                self.tr(
                    "Add your PromptPay ID (the phone number or tax ID your bank linked) in "
                    "the shop profile; a test QR for ฿1 then shows here."
                )
            )
            return
        self.qr.setPixmap(pixmap_of(png, 240))
        self.qr.show()
        self.promptpay_note.setText(
            self.tr(
                "Scan this QR with your own banking app. It should show your shop's name and "
                "฿1.00 — you don't need to pay. If the name is wrong, check the PromptPay ID."
            )
        )

    @Slot()
    def on_copied(self) -> None:
        self.feedback.say(self.tr("Copied."))

    @asyncSlot()
    async def on_test_message(self) -> None:
        await self.send_test_message()

    async def send_test_message(self) -> str | None:
        """Open a page with the shop's chat to send a test message from: the relay's own test
        page when it serves one, else the first allowed website (where the snippet should be
        pasted). Returns the address opened (None: there is none yet, and the owner is told)."""
        url = self.ctx.test_page_url or await widget_test_page(self.relay_url(), self.shop_id())
        if url is None:
            stored = await self.ctx.ops.read(load_widget_settings)
            sites = [o for o in (stored.origins or []) if o != "*"]
            url = sites[0] if sites else None
        if not alive(self):
            return url
        if url is None:
            self.feedback.say(
                self.tr(
                    "Paste the line above into your website and add its address under Allowed "
                    "websites; this button then opens it for a test message."
                ),
                Tone.INFO,
            )
        elif not open_url(url):
            self.feedback.say(self.tr("Could not open the browser: open {url}").format(url=url))
        else:
            self.feedback.say(
                self.tr("Opened {url}: send a message from the chat button.").format(url=url)
            )
        return url

    @asyncSlot()
    async def on_verify(self) -> None:
        await self.verify_line()

    async def verify_line(self) -> p.LineVerified | None:
        """Ask the relay to verify LINE (``line_verify``) and say what it found."""
        hook = self.hook.text()
        if self.ctx.relay is None or not self.ctx.relay.online or not hook:
            self.verify_result.setText(
                self.tr("MiniChat is offline: connect to the relay first (step Relay).")
            )
            return None
        self.verify.setEnabled(False)
        self.verify_result.setText(self.tr("Asking LINE…"))
        try:
            answer = await self.ctx.relay.verify_line(hook)
        finally:
            if alive(self):
                self.verify.setEnabled(True)
        if alive(self):
            text, ok = self.verify_text(answer)
            self.verify_result.say(text, "ok" if ok else "error")
            self.feedback.say(text, Tone.OK if ok else Tone.ERROR)
            if ok:
                self.checklist.refresh()
        return answer

    def verify_text(self, answer: p.LineVerified | None) -> tuple[str, bool]:
        """What the owner reads for the relay's answer, and whether it is good news."""
        if answer is None:
            return self.tr("No answer from the relay. Try again in a moment."), False
        c = p.LineCheck
        texts = {
            c.NOT_CONFIGURED: self.tr(
                "LINE is not set up on the relay yet: enter the channel secret and access "
                "token and press Save and connect."
            ),
            c.TOKEN_REJECTED: self.tr(
                "LINE refused the channel access token. Issue a new one in the LINE "
                "Developers console (Messaging API) and enter it again."
            ),
            c.SIGNATURE_WRONG: self.tr(
                "The channel secret is wrong: LINE's test message failed the signature check. "
                "Copy the channel secret again from Basic settings."
            ),
            c.WEBHOOK_UNREACHABLE: self.tr(
                "LINE could not reach the webhook URL (it got {code}). The relay must be "
                "reachable from the internet over https."
            ).format(code=answer.status_code if answer.status_code else "no answer"),
            c.WEBHOOK_NOT_SET: self.tr(
                "The LINE console has another webhook URL. Paste the URL above into "
                "Messaging API → Webhook URL."
            ),
            c.WEBHOOK_OFF: self.tr("Turn on “Use webhook” in the LINE console (Messaging API)."),
            c.LINE_UNAVAILABLE: self.tr("LINE did not answer. Try again in a few minutes."),
        }
        if answer.result is c.OK:
            name = answer.bot_name or "LINE"
            basic = f" ({answer.basic_id})" if answer.basic_id else ""
            return self.tr("LINE works: chats to {name} come to MiniChat.").format(
                name=name + basic
            ), True
        return texts[answer.result], False
