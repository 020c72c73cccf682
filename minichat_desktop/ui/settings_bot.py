"""Settings → Sales bot: the bot's main switch, the default mode of new chats and the words a
passive bot answers to, how long it remembers a chat, the AI that may reword its answers (with a
connection test), the shipping fees it quotes and the discount codes shoppers may use.

The AI key is kept only in the keyring (``ctx.secrets`` under :func:`secrets.ai_key`): the page
shows whether one is saved, never the key itself. Everything else is in the shop database
through :mod:`minichat_desktop.app.settings`; one Save stores the switch, the AI and the
shipping rules in one transaction, so a bad value anywhere stores nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.ai.providers import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    NEEDS_KEY,
    AIClient,
    AIConfig,
    AIError,
    Provider,
)
from minichat_desktop.app import settings
from minichat_desktop.app.settings import BotChanges, BotSettings
from minichat_desktop.domain.bot import cart, context
from minichat_desktop.domain.models import BotMode
from minichat_desktop.domain.thai import ThaiFormatError, format_baht, parse_baht
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.secrets import ai_key
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.catalog_dialogs import money_error
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
from minichat_desktop.ui.tables import cell_item

log = logging.getLogger(__name__)

PROVIDERS = ("", *Provider)  # "" = no AI: the rule-based bot
PROVIDER_NAMES = {
    Provider.OLLAMA: "Ollama",
    Provider.OPENROUTER: "OpenRouter",
    Provider.GROQ: "Groq",
    Provider.ANTHROPIC: "Anthropic",
}
TEST_SYSTEM = "You check a connection. Answer with one short word."
TEST_PROMPT = "Say OK."


# ---------------------------------------------------------------------------- the AI test


def probe_provider(config: AIConfig, key: str | None) -> str:
    """Ask the provider for a one-word answer; runs on a worker thread with its own event
    loop. Raises :class:`AIError`."""
    client = AIClient(config, key)
    return asyncio.run(
        client.complete(TEST_SYSTEM, [{"role": "user", "content": TEST_PROMPT}], max_tokens=16)
    )


# ---------------------------------------------------------------------------- widgets


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _item(text: str, data: Any = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


def _money_edit(width: int = 110) -> QLineEdit:
    edit = QLineEdit()
    edit.setAlignment(Qt.AlignmentFlag.AlignRight)
    edit.setFixedWidth(width)
    return edit


class BotPage(Page):
    """The sales bot: switch, modes, memory, AI, shipping fees and discount codes."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self._build_bot()
        self._build_ai()
        self._build_shipping()
        self.save = primary(QPushButton())
        self.save.clicked.connect(self.on_save)
        self.body.addLayout(button_row(self.save))
        self._build_discounts()
        self.body.addStretch(1)

        self.methods: list[cart.ShippingMethod] = []
        self.method_on: list[QCheckBox] = []
        self.method_fee: list[QLineEdit] = []
        self.default_code = ""
        # Keys typed but not saved yet, per provider: switching provider keeps them.
        self.keys = ProviderKeys(ctx, self.key, ai_key, lambda name: Provider(name) in NEEDS_KEY)
        self.test_task: asyncio.Future[Any] | None = None
        self.provider.currentIndexChanged.connect(self.on_provider)
        self.retranslate()
        self.load()

    # ------------------------------------------------------------------ building

    def _build_bot(self) -> None:
        self.bot_box = QGroupBox()
        f = form()
        self.bot_box.setLayout(f)
        self.enabled = QCheckBox()
        self.mode = QComboBox()
        self.mode.setMaximumWidth(380)
        for mode in BotMode:
            self.mode.addItem("", mode.value)
        self.keywords = QLineEdit()
        self.keywords_help = QLabel(objectName="Muted")
        self.keywords_help.setWordWrap(True)
        self.ttl = QSpinBox()
        self.ttl.setRange(context.MIN_TTL_MINUTES, context.MAX_TTL_MINUTES)
        self.ttl.setFixedWidth(140)
        self.bot_labels = [QLabel() for _ in range(4)]
        f.addRow(self.bot_labels[0], self.enabled)
        f.addRow(self.bot_labels[1], self.mode)
        f.addRow(self.bot_labels[2], self.keywords)
        f.addRow("", self.keywords_help)
        f.addRow(self.bot_labels[3], self.ttl)
        self.body.addWidget(self.bot_box)

    def _build_ai(self) -> None:
        self.ai_box = QGroupBox()
        f = form()
        self.ai_box.setLayout(f)
        self.provider = QComboBox()
        self.provider.setMaximumWidth(380)
        for name in PROVIDERS:
            self.provider.addItem(PROVIDER_NAMES.get(Provider(name), "") if name else "", name)
        self.model = QLineEdit()
        self.base_url = QLineEdit()
        self.timeout = QSpinBox()
        self.timeout.setRange(3, 120)
        self.timeout.setFixedWidth(140)
        self.key = SecretField()
        self.key_state = QLabel(objectName="Muted")
        self.remove_key = QPushButton()
        self.remove_key.clicked.connect(self.on_remove_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_state, 1)
        key_row.addWidget(self.remove_key)
        self.brand_voice = QPlainTextEdit()
        self.brand_voice.setTabChangesFocus(True)
        self.brand_voice.setFixedHeight(64)
        self.test_button = QPushButton()
        self.test_button.clicked.connect(self.on_test)
        self.test_result = theme.StatusLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        self.ai_labels = [QLabel() for _ in range(8)]
        fields: list[Any] = [
            self.provider,
            self.model,
            self.base_url,
            self.timeout,
            self.key,
            key_row,
            self.brand_voice,
            test_row,
        ]
        for label, field in zip(self.ai_labels, fields, strict=True):
            f.addRow(label, field)
        self.body.addWidget(self.ai_box)

    def _build_shipping(self) -> None:
        self.ship_box = QGroupBox()
        col = QVBoxLayout(self.ship_box)
        self.ship_table = _table(3)
        self.ship_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        ship_header = self.ship_table.horizontalHeader()
        ship_header.setStretchLastSection(False)
        ship_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.ship_table.setMinimumHeight(190)
        col.addWidget(self.ship_table)
        f = form()
        self.free_over = _money_edit()
        self.free_help = QLabel(objectName="Muted")
        free_row = QHBoxLayout()
        free_row.addWidget(self.free_over)
        free_row.addWidget(self.free_help, 1)
        self.cod = QCheckBox()
        self.cod_fee = _money_edit()
        cod_row = QHBoxLayout()
        cod_row.addWidget(self.cod)
        cod_row.addSpacing(12)
        self.cod_fee_label = QLabel()
        cod_row.addWidget(self.cod_fee_label)
        cod_row.addWidget(self.cod_fee)
        cod_row.addStretch(1)
        self.default_method = QComboBox()
        self.default_method.setMaximumWidth(380)
        self.ship_labels = [QLabel() for _ in range(3)]
        ship_fields: tuple[QWidget | QLayout, ...] = (free_row, cod_row, self.default_method)
        for label, field in zip(self.ship_labels, ship_fields, strict=True):
            f.addRow(label, field)
        col.addLayout(f)
        self.cod.toggled.connect(self.cod_fee.setEnabled)
        self.body.addWidget(self.ship_box)

    def _build_discounts(self) -> None:
        self.disc_box = QGroupBox()
        col = QVBoxLayout(self.disc_box)
        self.disc_table = _table(5)
        self.disc_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.disc_table.setMinimumHeight(140)
        self.disc_table.itemSelectionChanged.connect(self.show_toggle)
        col.addWidget(self.disc_table)
        self.toggle_code = QPushButton()
        self.toggle_code.setEnabled(False)
        self.toggle_code.clicked.connect(self.on_toggle_code)
        col.addLayout(button_row(self.toggle_code))
        grid = QGridLayout()
        self.code = QLineEdit()
        self.code.setMaxLength(40)
        self.kind = QComboBox()
        self.kind.addItem("", "percent")
        self.kind.addItem("", "fixed")
        self.kind.currentIndexChanged.connect(lambda _i: self.show_value_hint())
        self.value = _money_edit()
        self.min_order = _money_edit()
        self.max_uses = QSpinBox()
        self.max_uses.setRange(0, 1_000_000)
        self.max_uses.setFixedWidth(110)
        self.disc_labels = [QLabel() for _ in range(5)]
        fields: list[QWidget] = [self.code, self.kind, self.value, self.min_order, self.max_uses]
        for i, (label, field) in enumerate(zip(self.disc_labels, fields, strict=True)):
            grid.addWidget(label, i // 3, (i % 3) * 2, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(field, i // 3, (i % 3) * 2 + 1)
        self.add_code = primary(QPushButton())
        self.add_code.clicked.connect(self.on_add_code)
        grid.addWidget(self.add_code, 1, 5, Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(1, 1)
        col.addLayout(grid)
        self.body.addWidget(self.disc_box)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Sales bot"))
        self.intro.setText(
            self.tr(
                "The bot answers shoppers on the website widget and LINE: it finds products, "
                "fills the cart, quotes shipping and takes the order. Prices and stock always "
                "come from your shop's data."
            )
        )
        self.bot_box.setTitle(self.tr("Bot"))
        for label, text in zip(
            self.bot_labels,
            (
                self.tr("Bot"),
                self.tr("Default bot mode"),
                self.tr("Extra question words"),
                self.tr("Remember a chat for"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.enabled.setText(self.tr("The bot answers shoppers"))
        for i, text in enumerate(
            (
                self.tr("Active: answers every message"),
                self.tr("Passive: answers questions only"),
                self.tr("Off: never answers"),
            )
        ):
            self.mode.setItemText(i, text)
        self.keywords.setPlaceholderText(self.tr("e.g. ส่งไหม, มีสีอื่น, โปร"))
        self.keywords_help.setText(
            self.tr(
                "In passive mode the bot answers messages with a question mark or a question "
                "word (ไหม, เท่าไหร่, อะไร…). Add your own words, separated by commas."
            )
        )
        self.ttl.setSuffix(" " + self.tr("minutes"))
        self.ai_box.setTitle(self.tr("AI wording (optional)"))
        for label, text in zip(
            self.ai_labels,
            (
                self.tr("Provider"),
                self.tr("Model"),
                self.tr("Server address"),
                self.tr("Time limit"),
                self.tr("API key"),
                "",
                self.tr("Brand voice"),
                "",
            ),
            strict=True,
        ):
            label.setText(text)
        self.provider.setItemText(0, self.tr("None (rule-based bot only)"))
        self.timeout.setSuffix(" " + self.tr("seconds"))
        self.key.retranslate()
        self.remove_key.setText(self.tr("Remove saved key"))
        self.test_button.setText(self.tr("Test connection"))
        self.ship_box.setTitle(self.tr("Shipping"))
        self.ship_table.setHorizontalHeaderLabels(
            [self.tr("Offered"), self.tr("Method"), self.tr("Fee (baht)")]
        )
        for label, text in zip(
            self.ship_labels,
            (self.tr("Free shipping from"), self.tr("Cash on delivery"), self.tr("Suggested")),
            strict=True,
        ):
            label.setText(text)
        self.free_over.setPlaceholderText(self.tr("never"))
        self.free_help.setText(self.tr("baht of goods; leave empty for no free shipping"))
        self.cod.setText(self.tr("Offered"))
        self.cod_fee_label.setText(self.tr("Surcharge (baht)"))
        self.save.setText(self.tr("Save bot settings"))
        self.disc_box.setTitle(self.tr("Discount codes"))
        self.disc_table.setHorizontalHeaderLabels(
            [
                self.tr("Code"),
                self.tr("Discount"),
                self.tr("Minimum order"),
                self.tr("Used"),
                self.tr("Status"),
            ]
        )
        for label, text in zip(
            self.disc_labels,
            (
                self.tr("Code"),
                self.tr("Kind"),
                self.tr("Discount"),
                self.tr("Minimum order (baht)"),
                self.tr("Uses allowed"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.kind.setItemText(0, self.tr("Percent of the goods"))
        self.kind.setItemText(1, self.tr("Baht off"))
        self.code.setPlaceholderText(self.tr("e.g. NEWYEAR10"))
        self.max_uses.setSpecialValueText(self.tr("no limit"))
        self.add_code.setText(self.tr("Add code"))
        self.show_value_hint()
        self.show_provider_fields()
        self.show_key_state()
        self.show_toggle()
        lang = i18n.current_language()
        for r, m in enumerate(self.methods):
            cell_item(self.ship_table, r, 1).setText(m.label(lang))
        self.show_default_methods()

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        self.show_settings(self.ctx.ops.read_now(settings.load_bot_settings))

    def show_settings(self, s: BotSettings) -> None:
        self.enabled.setChecked(s.enabled)
        self.mode.setCurrentIndex(self.mode.findData(s.mode.value))
        self.keywords.setText(", ".join(s.keywords))
        self.ttl.setValue(s.ttl_minutes)
        provider = s.ai.provider.value if s.ai else ""
        self.provider.blockSignals(True)
        self.provider.setCurrentIndex(self.provider.findData(provider))
        self.provider.blockSignals(False)
        self.model.setText(s.ai.model if s.ai else "")
        self.base_url.setText(s.ai.base_url if s.ai else "")
        self.timeout.setValue(round(s.ai.timeout) if s.ai else 12)
        self.brand_voice.setPlainText(s.brand_voice)
        self.keys.reset(provider)
        self.show_provider_fields()
        self.show_key_state()
        self.show_methods(s.shipping)
        self.show_discounts(s.discounts)

    def _has_key(self, provider: str) -> bool:
        """Whether the keyring holds a key for ``provider`` (remembered per page load)."""
        try:
            return self.keys.has(provider)
        except DomainError as exc:
            self.feedback.say(explain(exc), Tone.ERROR)
            return False

    def show_methods(self, rules: cart.ShippingRules) -> None:
        self.methods = list(rules.methods)
        self.ship_table.setRowCount(0)
        self.method_on = []
        self.method_fee = []
        lang = i18n.current_language()
        for r, m in enumerate(self.methods):
            self.ship_table.insertRow(r)
            on = QCheckBox()
            on.setChecked(m.enabled)
            holder = QWidget()
            box = QHBoxLayout(holder)
            box.setContentsMargins(8, 0, 0, 0)
            box.addWidget(on)
            self.ship_table.setCellWidget(r, 0, holder)
            self.ship_table.setItem(r, 1, _item(m.label(lang), m.code))
            fee = _money_edit(120)
            fee.setText(format_baht(m.fee_satang))
            self.ship_table.setCellWidget(r, 2, fee)
            on.toggled.connect(lambda _on: self.show_default_methods())
            self.method_on.append(on)
            self.method_fee.append(fee)
        self.free_over.setText(
            "" if rules.free_over_satang is None else format_baht(rules.free_over_satang)
        )
        self.cod.setChecked(rules.cod_enabled)
        self.cod_fee.setText(format_baht(rules.cod_fee_satang))
        self.cod_fee.setEnabled(rules.cod_enabled)
        self.default_code = rules.default_method
        self.show_default_methods()

    def show_default_methods(self) -> None:
        chosen = self.default_method.currentData() or self.default_code
        lang = i18n.current_language()
        self.default_method.blockSignals(True)
        self.default_method.clear()
        self.default_method.addItem(self.tr("Let the shopper choose"), "")
        for m, on in zip(self.methods, self.method_on, strict=True):
            if on.isChecked():
                self.default_method.addItem(m.label(lang), m.code)
        self.default_method.setCurrentIndex(max(0, self.default_method.findData(chosen)))
        self.default_method.blockSignals(False)

    def show_discounts(self, codes: list[cart.DiscountView]) -> None:
        self.disc_table.setRowCount(0)
        for r, d in enumerate(codes):
            self.disc_table.insertRow(r)
            if d.kind == "percent":
                amount = f"{Decimal(d.value) / 100:g} %"
            else:
                amount = format_baht(d.value, symbol=True)
            used = (
                f"{d.used_count:,}"
                if d.max_uses is None
                else self.tr("{used} of {max}").format(used=f"{d.used_count:,}", max=d.max_uses)
            )
            cells = (
                _item(d.code, (d.code, d.active)),
                _item(amount),
                _item(
                    format_baht(d.min_subtotal_satang, symbol=True)
                    if d.min_subtotal_satang
                    else "—"
                ),
                _item(used),
                _item(self.tr("On") if d.active else self.tr("Off")),
            )
            for c, cell in enumerate(cells):
                self.disc_table.setItem(r, c, cell)
        self.show_toggle()

    def show_value_hint(self) -> None:
        percent = self.kind.currentData() == "percent"
        self.value.setPlaceholderText(self.tr("e.g. 10 %") if percent else self.tr("e.g. 50.00"))

    def show_provider_fields(self) -> None:
        name = str(self.provider.currentData() or "")
        provider = Provider(name) if name else None
        for field in (self.model, self.base_url, self.timeout, self.brand_voice):
            field.setEnabled(provider is not None)
        self.test_button.setEnabled(provider is not None)
        self.model.setPlaceholderText(DEFAULT_MODEL[provider] if provider else "")
        self.base_url.setPlaceholderText(DEFAULT_BASE_URL[provider] if provider else "")
        needs_key = provider in NEEDS_KEY
        self.key.setEnabled(needs_key)
        self.remove_key.setVisible(needs_key)

    def show_key_state(self) -> None:
        name = str(self.provider.currentData() or "")
        if not name:
            self.key_state.setText(self.tr("No AI: no key needed."))
            self.key.setPlaceholderText("")
            self.remove_key.setEnabled(False)
            return
        if Provider(name) not in NEEDS_KEY:
            self.key_state.setText(self.tr("Ollama needs no API key."))
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

    @Slot()
    def show_toggle(self) -> None:
        row = self.disc_table.currentRow() if self.disc_table.selectedItems() else -1
        if row < 0:
            self.toggle_code.setEnabled(False)
            self.toggle_code.setText(self.tr("Switch the code off"))
            return
        _code, active = cell_item(self.disc_table, row, 0).data(Qt.ItemDataRole.UserRole)
        self.toggle_code.setEnabled(True)
        self.toggle_code.setText(
            self.tr("Switch the code off") if active else self.tr("Switch the code on")
        )

    @Slot(int)
    def on_provider(self, _index: int) -> None:
        self.keys.switch(str(self.provider.currentData() or ""))
        self.test_result.setText("")
        self.show_provider_fields()
        self.show_key_state()

    # ------------------------------------------------------------------ reading the form

    def _amount(self, edit: QLineEdit, label: str) -> int:
        """The baht typed in ``edit`` as satang (empty: zero). Raises :class:`UserError`
        ``bot.bad_amount`` naming the field (and focuses it)."""
        amount = self._optional_amount(edit, label)
        return 0 if amount is None else amount

    def _optional_amount(self, edit: QLineEdit, label: str) -> int | None:
        """As :meth:`_amount`, but an empty field is None."""
        text = edit.text().strip()
        if not text:
            return None
        try:
            return parse_baht(text)
        except ThaiFormatError as exc:
            edit.setFocus()
            edit.selectAll()
            raise UserError(
                "bot.bad_amount",
                f"{label}: {money_error(exc)}",
                field=label,
                hint=money_error(exc),
            ) from exc

    def _shipping_from_form(self) -> cart.ShippingRules:
        methods = []
        for m, on, fee in zip(self.methods, self.method_on, self.method_fee, strict=True):
            label = self.tr("Fee of {method}").format(method=m.label("th"))
            satang = self._amount(fee, label)
            methods.append(dataclasses.replace(m, enabled=on.isChecked(), fee_satang=satang))
        free = self._optional_amount(self.free_over, self.tr("Free shipping from"))
        cod_fee = self._amount(self.cod_fee, self.tr("COD surcharge"))
        return cart.ShippingRules(
            methods=tuple(methods),
            free_over_satang=free,
            cod_enabled=self.cod.isChecked(),
            cod_fee_satang=cod_fee,
            default_method=str(self.default_method.currentData() or ""),
        )

    def _changes(self) -> BotChanges:
        words = [w.strip() for w in self.keywords.text().replace("،", ",").split(",")]
        return BotChanges(
            enabled=self.enabled.isChecked(),
            mode=BotMode(str(self.mode.currentData())),
            keywords=list(dict.fromkeys(w for w in words if w)),
            ttl_minutes=self.ttl.value(),
            provider=str(self.provider.currentData() or ""),
            model=self.model.text().strip(),
            base_url=self.base_url.text().strip().rstrip("/"),
            timeout_s=float(self.timeout.value()),
            brand_voice=self.brand_voice.toPlainText().strip(),
            shipping=self._shipping_from_form(),
        )

    # ------------------------------------------------------------------ saving

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save_now()

    async def save_now(self) -> bool:
        try:
            changes = self._changes()
            await self.ctx.ops.write(settings.store_bot_settings, changes)
            self.keys.store(changes.provider)
        except DomainError as exc:
            if alive(self):
                self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        if not alive(self):
            return True
        log.info("bot settings saved (bot %s)", "on" if changes.enabled else "off")
        self.key.setText("")
        self.keywords.setText(", ".join(changes.keywords))
        self.base_url.setText(changes.base_url)
        self.show_key_state()
        provider = changes.provider
        if provider and Provider(provider) in NEEDS_KEY and not self._has_key(provider):
            self.feedback.say(
                self.tr("Saved. Add the API key, or the bot answers without AI."), Tone.INFO
            )
        elif changes.enabled:
            self.feedback.say(self.tr("Saved. The bot answers shoppers now."))
        else:
            self.feedback.say(self.tr("Saved. The bot is switched off."))
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
        """Ask the chosen provider (with the form's values, before saving) for one word, on a
        worker thread; say in the page what came back."""
        name = str(self.provider.currentData() or "")
        if not name:
            return False
        provider = Provider(name)
        base_url = self.base_url.text().strip().rstrip("/")
        if base_url and not base_url.startswith(("http://", "https://")):
            self._say_test(self.tr("The server address must start with http:// or https://."))
            return False
        key = self.key.text()
        if not key and provider in NEEDS_KEY:
            try:
                key = self.ctx.secrets.get(ai_key(name)) or ""
            except DomainError as exc:
                self._say_test(explain(exc))
                return False
        config = AIConfig(
            provider=provider,
            model=self.model.text().strip(),
            base_url=base_url,
            timeout=float(self.timeout.value()),
            retries=0,
        )
        self.test_button.setEnabled(False)
        self.test_result.say(
            self.tr("Asking {provider}…").format(provider=PROVIDER_NAMES[provider]), None
        )
        try:
            answer = await asyncio.to_thread(probe_provider, config, key)
        except AIError as exc:
            log.info("AI connection test to %s failed: %s", provider, exc.code)
            if alive(self):
                self._say_test(self._ai_error_text(exc))
                self.test_button.setEnabled(True)
            return False
        if not alive(self):
            return True
        self.test_button.setEnabled(True)
        self.test_result.say(
            self.tr("Connected: {model} answered “{answer}”.").format(
                model=config.model_name, answer=answer[:60] or "…"
            ),
            "ok",
        )
        return True

    def _say_test(self, text: str) -> None:
        self.test_result.say(text, "error")

    def _ai_error_text(self, exc: AIError) -> str:
        texts = {
            "ai.no_key": self.tr("No API key: paste the key from the provider's website."),
            "ai.refused": self.tr("The provider refused the key: check it and its permissions."),
            "ai.bad_request": self.tr(
                "The provider did not accept the request: check the model name."
            ),
            "ai.unavailable": self.tr(
                "Could not reach the provider: check the server address and the internet "
                "connection."
            ),
            "ai.timeout": self.tr("No answer within the time limit."),
            "ai.bad_stream": self.tr("The provider answered in a form MiniChat cannot read."),
        }
        return texts.get(exc.code, self.tr("The test failed."))

    # ------------------------------------------------------------------ discount codes

    @asyncSlot()
    async def on_add_code(self) -> None:
        await self.add_code_now()

    async def add_code_now(self) -> bool:
        kind = str(self.kind.currentData())
        try:
            if kind == "percent":
                value = self._percent()
            else:
                value = self._amount(self.value, self.tr("Discount"))
            minimum = self._amount(self.min_order, self.tr("Minimum order"))
            max_uses = self.max_uses.value() or None
            saved = await self.ctx.ops.write(
                cart.save_discount_code,
                self.code.text(),
                kind,
                value,
                min_subtotal_satang=minimum,
                max_uses=max_uses,
            )
            codes = await self.ctx.ops.read(cart.list_discount_codes)
        except DomainError as exc:
            if alive(self):
                self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        if not alive(self):
            return True
        self.show_discounts(codes)
        for w in (self.code, self.value, self.min_order):
            w.clear()
        self.max_uses.setValue(0)
        self.feedback.say(self.tr("Discount code {code} saved.").format(code=saved.code))
        return True

    def _percent(self) -> int:
        """The percent typed, in hundredths of a percent (``12.5`` → 1250)."""
        text = self.value.text().strip().rstrip("%").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal(-1)
        if not number.is_finite() or number <= 0 or number > 100 or number != round(number, 2):
            self.value.setFocus()
            raise UserError("discount.bad_value", "a percent discount is 0.01 % to 100 %")
        return int(number * 100)

    @asyncSlot()
    async def on_toggle_code(self) -> None:
        row = self.disc_table.currentRow()
        if row >= 0:
            code, active = cell_item(self.disc_table, row, 0).data(Qt.ItemDataRole.UserRole)
            await self.set_code_active(code, not active)

    async def set_code_active(self, code: str, active: bool) -> bool:
        try:
            await self.ctx.ops.write(settings.set_discount_active, code, active)
            codes = await self.ctx.ops.read(cart.list_discount_codes)
        except DomainError as exc:
            if alive(self):
                self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        if not alive(self):
            return True
        self.show_discounts(codes)
        self.feedback.say(
            (
                self.tr("Discount code {code} switched on.")
                if active
                else self.tr("Discount code {code} switched off.")
            ).format(code=code)
        )
        return True
