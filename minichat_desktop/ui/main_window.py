"""The main window: a sidebar of sections, the screens, and a status bar that always shows
the relay link (online / connecting / offline, with the reason), the notifications, and a
notice when something went wrong in the background (:mod:`minichat_desktop.ui.problems`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop import paths
from minichat_desktop.domain import inbox_reads
from minichat_desktop.sync.status import LinkState, Status
from minichat_desktop.ui import theme
from minichat_desktop.ui.chat_models import conversation_title
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import ask
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.inbox import InboxScreen
from minichat_desktop.ui.notifications_panel import NotificationsPanel
from minichat_desktop.ui.problems import ProblemNotice

if TYPE_CHECKING:
    from minichat_desktop.ui.catalog_screen import CatalogScreen
    from minichat_desktop.ui.settings_screen import SettingsScreen


def reason_text(reason: str) -> str:
    """The sync client's (English, logged) reason in the UI's language; details kept."""
    known = {
        "not started": t("not connected yet"),
        "stopped": t("stopped"),
        "connection closed": t("connection closed; reconnecting"),
        "relay did not answer in time": t("the relay did not answer in time"),
        "no shop token set (Settings → Relay)": t("no shop token yet (Settings → Relay)"),
        "the relay refused the shop token": t(
            "the relay refused the shop token (Settings → Relay)"
        ),
        "another MiniChat is connected for this shop": t(
            "another MiniChat is connected for this shop; to use this one: Settings → Relay →"
            " Save and reconnect"
        ),
        "this MiniChat is too old for the relay; update it": t(
            "this MiniChat is too old for the relay; please update it"
        ),
        "no answer from the relay lately": t("no answer from the relay lately"),
        "the relay link stopped after an error (see the log)": t(
            "the relay link stopped after an error; restarting"
        ),
    }
    if reason in known:
        return known[reason]
    if reason.startswith("relay unreachable"):
        return t("the relay cannot be reached") + reason[len("relay unreachable") :]
    return reason


class ConnectionIndicator(QWidget):
    """Always-visible state of the relay link."""

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        self.dot = QLabel()
        self.text = QLabel()
        layout.addWidget(self.dot)
        layout.addWidget(self.text)
        self.status = Status(LinkState.OFFLINE, "not started")
        self.show_status(self.status)

    def show_status(self, status: Status) -> None:
        self.status = status
        color = {
            LinkState.ONLINE: theme.GREEN,
            LinkState.CONNECTING: theme.AMBER,
            LinkState.OFFLINE: theme.RED,
        }[status.state]
        self.dot.setPixmap(theme.dot(color))
        label = {
            LinkState.ONLINE: self.tr("Online"),
            LinkState.CONNECTING: self.tr("Connecting…"),
            LinkState.OFFLINE: self.tr("Offline"),
        }[status.state]
        if status.state is not LinkState.ONLINE and status.reason:
            label += f" — {reason_text(status.reason)}"
        self.text.setText(label)
        self.setToolTip(self.tr("Connection to the relay (chats from the web widget and LINE)"))


class MainWindow(QMainWindow):
    # name, then the screen's module and class (imported when first shown: cold start).
    SECTIONS = (
        "inbox",
        "orders",
        "pos",
        "live",
        "catalog",
        "customers",
        "broadcasts",
        "flows",
        "dashboard",
        "settings",
    )
    SCREENS: ClassVar[dict[str, tuple[str, str]]] = {
        "orders": ("minichat_desktop.ui.orders_screen", "OrdersScreen"),
        "pos": ("minichat_desktop.ui.pos_screen", "PosScreen"),
        "live": ("minichat_desktop.ui.live_screen", "LiveScreen"),
        "catalog": ("minichat_desktop.ui.catalog_screen", "CatalogScreen"),
        "customers": ("minichat_desktop.ui.customers_screen", "CustomersScreen"),
        "broadcasts": ("minichat_desktop.ui.broadcasts_screen", "BroadcastsScreen"),
        "flows": ("minichat_desktop.ui.flows_editor", "FlowsScreen"),
        "dashboard": ("minichat_desktop.ui.dashboard_screen", "DashboardScreen"),
        "settings": ("minichat_desktop.ui.settings_screen", "SettingsScreen"),
    }
    AFTER_PAINT: ClassVar[tuple[str, ...]] = ("catalog",)  # see build_rest
    # How often the status bar asks the relay link for its state: a link that fell silent
    # (sync/liveness.py) shows so within this much after the liveness bound, with no frame
    # or asyncio task needed (a Qt timer runs even while the event loop's tasks are stuck).
    LINK_CHECK_MS = 5000
    # Below this window width the sidebar shows icons only (names in tooltips), so that a
    # screen at the minimum size gets the 150 px the names would take.
    COMPACT_BELOW = 1200
    SIDEBAR_WIDTH = 210
    SIDEBAR_COMPACT_WIDTH = 64
    closed = Signal()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setMinimumSize(1000, 640)

        # The inbox is what the owner sees first; the other screens are built when first
        # shown, and the catalog right after the window's first paint (build_rest),
        # which keeps the cold start short.
        self.inbox = InboxScreen(ctx)
        self.inbox.settings_wanted.connect(self._setup_channels)
        self.screens: dict[str, QWidget] = {"inbox": self.inbox}
        self.stack = QStackedWidget()
        self.stack.addWidget(self.inbox)
        self._slots: dict[str, QWidget] = {}
        for name in self.SECTIONS[1:]:
            slot = QWidget()
            QVBoxLayout(slot).setContentsMargins(0, 0, 0, 0)
            self.stack.addWidget(slot)
            self._slots[name] = slot

        sidebar = QWidget(objectName="Sidebar")
        sidebar.setFixedWidth(self.SIDEBAR_WIDTH)
        self.sidebar = sidebar
        self.compact = False
        self._labels: list[str] = [""] * len(self.SECTIONS)
        self._waiting = 0
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 8)
        self.brand = QLabel("MiniChat", objectName="Brand")
        self.shop_name = QLabel(objectName="ShopName")
        self.shop_name.setWordWrap(True)
        self.nav = QListWidget()
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for name in self.SECTIONS:
            QListWidgetItem(theme.icon(name), "", self.nav)
        self.nav.currentRowChanged.connect(self._show_section)
        side.addWidget(self.brand)
        side.addWidget(self.shop_name)
        side.addWidget(self.nav, 1)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.indicator = ConnectionIndicator()
        self.statusBar().addWidget(self.indicator)
        self.bell = QToolButton()
        self.bell.setIcon(theme.icon("bell"))
        self.bell.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.bell.setAutoRaise(True)
        self.bell.clicked.connect(self.show_notifications)
        self.statusBar().addPermanentWidget(self.bell)
        self.help_button = QToolButton()
        self.help_button.setAutoRaise(True)
        self.help_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        help_menu = QMenu(self.help_button)
        self.about_action = help_menu.addAction("", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.help_button.setMenu(help_menu)
        self.statusBar().addPermanentWidget(self.help_button)
        self.dialog: QDialog | None = None  # the dialog open now (ui/dialogs.ask sets it)
        self.problems = ProblemNotice(ctx.data_dir / "logs")
        self.statusBar().addWidget(self.problems)
        self._link_check = QTimer(self)
        self._link_check.timeout.connect(self.check_link)
        self._link_check.start(self.LINK_CHECK_MS)
        self.panel = NotificationsPanel(ctx, self)
        self.panel.open_requested.connect(self.open_ref)
        self.panel.changed.connect(self.refresh_counts)

        self._make_shortcuts()
        self._make_tray()
        ctx.signals.status_changed_sig.connect(self.indicator.show_status)
        ctx.signals.messages_stored_sig.connect(self.on_messages)
        ctx.ops.changed.connect(self.on_changed)
        self.retranslate()
        self.restore_state()
        self.nav.setCurrentRow(0)
        self.refresh_counts()
        self.refresh_shop_name()

    # ------------------------------------------------------------------ setup

    @property
    def catalog(self) -> CatalogScreen | None:
        return self.screens.get("catalog")  # type: ignore[return-value]

    @property
    def settings_screen(self) -> SettingsScreen | None:
        return self.screens.get("settings")  # type: ignore[return-value]

    def build_rest(self) -> None:
        """Build the screens worth having ready before they are asked for (the catalog: the
        counter and the inbox's product picker read it). Called after the first paint. No
        screen has to exist for the relay link: it catches the relay up by itself."""
        for name in self.AFTER_PAINT:
            self.section_screen(name)

    def section_screen(self, name: str) -> QWidget:
        """The section's screen, built the first time it is asked for."""
        built = self.screens.get(name)
        if built is None:
            module_name, class_name = self.SCREENS[name]
            cls = getattr(importlib.import_module(module_name), class_name)
            built = cls(self.ctx)
            layout = self._slots[name].layout()
            assert layout is not None
            layout.addWidget(built)
            self.screens[name] = built
            opened = getattr(built, "conversation_opened", None)
            if opened is not None:  # e.g. a chat double-clicked in a customer's profile
                opened.connect(self.open_conversation)
            wanted = getattr(built, "open_requested", None)
            if wanted is not None:  # the setup checklist leads to where a step is done
                wanted.connect(self.open_ref)
        return built

    def open_conversation(self, conversation_id: int) -> None:
        self.nav.setCurrentRow(0)
        self.inbox.open_conversation(conversation_id)

    def screen_at(self, row: int) -> QWidget:
        return self.section_screen(self.SECTIONS[row])

    def _make_shortcuts(self) -> None:
        for i in range(len(self.SECTIONS)):
            QShortcut(
                QKeySequence(f"Ctrl+{(i + 1) % 10}"),
                self,
                activated=lambda i=i: self.nav.setCurrentRow(i),
            )
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, activated=self.show_notifications)
        QShortcut(QKeySequence.StandardKey.HelpContents, self, activated=self.show_about)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.focus_search)
        quit_action = QAction(self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    def _make_tray(self) -> None:
        self.tray: QSystemTrayIcon | None = None
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        self.tray = QSystemTrayIcon(theme.icon("minichat"), self)
        menu = QMenu(self)
        self.tray_open = menu.addAction("", self.bring_to_front)
        self.tray_quit = menu.addAction("", self.close)
        self.tray.setContextMenu(menu)
        self.tray.activated.connect(lambda *_: self.bring_to_front())
        self.tray.messageClicked.connect(self.bring_to_front)
        self.tray.show()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("MiniChat — shop and chats"))
        names = {
            "inbox": self.tr("Inbox"),
            "orders": self.tr("Orders"),
            "pos": self.tr("Counter"),
            "live": self.tr("Live selling"),
            "catalog": self.tr("Catalog"),
            "customers": self.tr("Customers"),
            "broadcasts": self.tr("Broadcasts"),
            "flows": self.tr("Sales flows"),
            "dashboard": self.tr("Dashboard"),
            "settings": self.tr("Settings"),
        }
        self._labels = [names[name] for name in self.SECTIONS]
        self.help_button.setText(self.tr("Help"))
        self.about_action.setText(self.tr("About MiniChat"))
        self._name_sections()
        self.indicator.show_status(self.indicator.status)
        if self.tray is not None:
            self.tray_open.setText(self.tr("Open MiniChat"))
            self.tray_quit.setText(self.tr("Quit"))
            self.tray.setToolTip("MiniChat")
        self.refresh_counts()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def restore_state(self) -> None:
        geometry = self.ctx.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.ctx.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ctx.settings.setValue("window/geometry", self.saveGeometry())
        self.ctx.settings.setValue("window/state", self.saveState())
        self.ctx.settings.sync()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)
        self.closed.emit()

    # ------------------------------------------------------------------ behaviour

    def _show_section(self, row: int) -> None:
        self.screen_at(row)
        self.stack.setCurrentIndex(row)

    def _setup_channels(self) -> None:
        """From the empty inbox: Settings, at the website widget's page."""
        screen = self.show_section("settings")
        show_page = getattr(screen, "show_page", None)
        order = getattr(screen, "ORDER", ())
        if callable(show_page) and "widget" in order:
            show_page(order.index("widget"))

    @Slot()
    def check_link(self) -> None:
        """Ask the relay link for its state now (it reports a change to the status bar)."""
        if self.ctx.relay is not None:
            self.ctx.relay.check()

    def show_section(self, name: str) -> QWidget:
        self.nav.setCurrentRow(self.SECTIONS.index(name))
        return self.section_screen(name)

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def focus_search(self) -> None:
        screen = self.screen_at(self.nav.currentRow())
        focus = getattr(screen, "focus_search", None)
        if callable(focus):
            focus()

    @asyncSlot()
    async def show_about(self) -> None:
        """Help → About (also F1): the version, the data and log folders, updates."""
        from minichat_desktop.ui.about_dialog import AboutDialog

        await ask(AboutDialog(self.ctx, self), self)

    def show_notifications(self) -> None:
        self.panel.refresh()
        pos = self.bell.mapToGlobal(self.bell.rect().topRight())
        self.panel.popup_at(pos)

    @Slot(str)
    def open_ref(self, ref: str) -> None:
        kind, _, ident = ref.partition(":")
        if kind == "conversation" and ident.isdigit():
            self.nav.setCurrentRow(0)
            self.inbox.open_conversation(int(ident))
        elif kind == "product":
            self.show_section("catalog")
        elif kind == "order" and ident.isdigit():
            screen = self.show_section("orders")
            opener = getattr(screen, "open_order", None)
            if callable(opener):
                opener(int(ident))
        elif kind in ("setup", "settings", "do"):
            self.open_setting(ref)
        elif kind == "catalog":
            self.open_catalog(ident)
        self.bring_to_front()

    def open_setting(self, ref: str) -> None:
        """``setup:<step>`` (Settings → Set up with that step open), ``settings:<page>``, or a
        page's own test (``do:printer-test``, ``do:relay-test``)."""
        from minichat_desktop.ui.settings_screen import SettingsScreen

        screen = self.show_section("settings")
        assert isinstance(screen, SettingsScreen)
        kind, _, ident = ref.partition(":")
        if kind == "setup":
            screen.show_setup(ident)
        else:
            screen.follow(ref)

    def open_catalog(self, action: str) -> None:
        """The products screen, and its import, template download or new product."""
        from minichat_desktop.ui.catalog_screen import CatalogScreen

        screen = self.show_section("catalog")
        assert isinstance(screen, CatalogScreen)
        if action == "import":
            screen.choose_import()
        elif action == "template":
            screen.choose_template()
        elif action == "new":
            screen.new_product()

    def refresh_counts(self) -> None:
        waiting, unread = self.ctx.ops.peek(inbox_reads.badges)
        self.bell.setText(str(unread) if unread else "")
        self.bell.setToolTip(self.tr("Notifications (Ctrl+Shift+N)"))
        self._waiting = waiting
        self._name_sections()

    def _name_sections(self) -> None:
        """The sidebar's names (only the inbox's waiting count when compact); every name, with
        its shortcut, in the tooltip."""
        for i, label in enumerate(self._labels):
            item = self.nav.item(i)
            count = self._waiting if i == 0 else 0
            if self.compact:
                item.setText(str(count) if count else "")
            else:
                item.setText(f"{label}  ({count})" if count else label)
            tip = f"{label} ({count})" if count else label
            item.setToolTip(f"{tip} (Ctrl+{(i + 1) % 10})")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        compact = event.size().width() < self.COMPACT_BELOW
        if compact != self.compact:
            self.compact = compact
            width = self.SIDEBAR_COMPACT_WIDTH if compact else self.SIDEBAR_WIDTH
            self.sidebar.setFixedWidth(width)
            self.brand.setVisible(not compact)
            self.shop_name.setVisible(not compact)
            self._name_sections()

    def refresh_shop_name(self) -> None:
        self.shop_name.setText(self.ctx.ops.peek(inbox_reads.shop_name))

    @Slot(set)
    def on_changed(self, topics: set[str]) -> None:
        if topics & {"conversations", "notifications"}:
            self.refresh_counts()
        if "shop" in topics:
            self.refresh_shop_name()

    @asyncSlot(list)
    async def on_messages(self, stored: list[inbox_reads.Inbound]) -> None:
        self.refresh_counts()
        looking = self.isActiveWindow() and self.stack.currentWidget() is self.inbox
        fresh = [s for s in stored if not (looking and self.inbox.current_id == s.conversation.id)]
        if not fresh:
            return
        last = fresh[-1]
        title = conversation_title(last.conversation)
        if last.new_conversation:
            title = self.tr("New chat: {name}").format(name=title)
        self.notify(title, last.message.text)

    def notify(self, title: str, body: str) -> None:
        """A tray message with the sender and a preview, and a sound (each if enabled)."""
        settings = self.ctx.settings
        if self.tray is not None and settings.value("notify/tray", True, type=bool):
            self.tray.showMessage(title, body[:200], QSystemTrayIcon.MessageIcon.Information, 6000)
        if settings.value("notify/sound", True, type=bool):
            QTimer.singleShot(0, self._play_sound)

    def _play_sound(self) -> None:
        effect = getattr(self, "_sound", None)
        if effect is None:
            from PySide6.QtMultimedia import QSoundEffect

            effect = QSoundEffect(self)
            effect.setSource(
                QUrl.fromLocalFile(
                    str(paths.project_root() / "resources" / "sounds" / "notify.wav")
                )
            )
            effect.setVolume(0.6)
            self._sound = effect
        effect.play()
