"""Starting the desktop app: logging, the database, Qt with the Thai font and translator, one
qasync event loop for everything, the relay link, and (``--demo``) a local relay and test page.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import logging.handlers
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, QUrl, SignalInstance
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from minichat_desktop import paths
from minichat_desktop.errors import DomainError
from minichat_desktop.secrets import (
    LINE_SECRET,
    LINE_TOKEN,
    META_APP_SECRET,
    META_PAGE_TOKEN,
    META_VERIFY_TOKEN,
    RELAY_TOKEN,
    Secrets,
)
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.qt_bridge import SyncSignals
from minichat_desktop.ui import i18n, single_instance, theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.gc_thread import GuiThreadCollector
from minichat_desktop.ui.ops import Ops

if TYPE_CHECKING:
    from minichat_desktop.embedded_relay import EmbeddedRelay
    from minichat_desktop.storage.folder_lock import FolderLock
    from minichat_desktop.sync.client import RelayClient
    from minichat_desktop.sync.supervisor import Supervisor
    from minichat_desktop.ui.main_window import MainWindow
    from minichat_desktop.ui.problems import CrashHooks

log = logging.getLogger(__name__)

DEMO_DIR = paths.project_root() / ".data" / "demo"


def setup_logging(data_dir: Path, verbose: bool = False) -> Path:
    """English logs to ``logs/minichat.log`` in the data folder (rotated). No secrets or
    message bodies are logged anywhere in the app."""
    folder = data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "minichat.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for console in root.handlers:  # the terminal keeps to warnings; the file has the rest
        if type(console) is logging.StreamHandler:
            console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("websockets").setLevel(logging.WARNING)
    return path


def prepare_demo(db: Database) -> None:
    """Fill an empty demo database with the demo shop and its chats."""
    from minichat_desktop.demo.chats import prepare_demo_shop

    prepare_demo_shop(db)


def build_context(data_dir: Path, db: Database) -> AppContext:
    ops = Ops(db)
    secrets = Secrets(data_dir)
    settings = AppContext.settings_for(data_dir)
    signals = SyncSignals()
    return AppContext(
        data_dir=data_dir, ops=ops, secrets=secrets, settings=settings, signals=signals
    )


def start_relay_link(ctx: AppContext, **options: Any) -> RelayClient:
    """The shop's relay link, with the shop token and LINE credentials from the keyring, set as
    ``ctx.relay`` (``options`` go to :class:`RelayClient`, e.g. a test's short backoff); the
    caller runs it."""
    from minichat_desktop.sync.client import RelayClient

    def token() -> str | None:
        try:
            return ctx.secrets.get(RELAY_TOKEN)
        except DomainError as exc:
            log.warning("shop token unavailable: %s", exc.message)
            return None

    def line_credentials() -> tuple[str | None, str | None]:
        try:
            return ctx.secrets.get(LINE_SECRET), ctx.secrets.get(LINE_TOKEN)
        except DomainError as exc:
            log.warning("LINE credentials unavailable: %s", exc.message)
            return None, None

    def meta_credentials() -> tuple[str | None, str | None, str | None]:
        try:
            keys = (META_APP_SECRET, META_PAGE_TOKEN, META_VERIFY_TOKEN)
            secret, page_token, verify = (ctx.secrets.get(k) for k in keys)
        except DomainError as exc:
            log.warning("Facebook credentials unavailable: %s", exc.message)
            return None, None, None
        return secret, page_token, verify

    client = RelayClient(
        ctx.ops.db,
        ctx.relay_url,
        token,
        ctx.signals,
        line_credentials=line_credentials,
        meta_credentials=meta_credentials,
        **options,
    )
    ctx.relay = client
    return client


def run_app(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_path
    if args.demo and not args.data_dir and not os.environ.get("MINICHAT_DATA_DIR"):
        data_dir = DEMO_DIR
    log_path = setup_logging(data_dir, getattr(args, "verbose", False))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MiniChat")
    app.setOrganizationName("MiniChat")
    collector = GuiThreadCollector(app)
    try:
        theme.apply(app)  # type: ignore[arg-type]
    except RuntimeError as exc:
        QMessageBox.critical(None, "MiniChat", str(exc))
        return 1
    claimed = _claim_folder(data_dir)
    if isinstance(claimed, int):
        return claimed  # another app runs on this folder: handed over, or refused
    folder_lock, instance = claimed
    try:
        db = Database.open(data_dir)
    except DomainError as exc:
        QMessageBox.critical(None, "MiniChat", exc.message)
        return 2 if exc.__class__.__name__ == "UserError" else 1
    ctx = build_context(data_dir, db)
    i18n.set_language(str(ctx.settings.value("ui/language", "th")))
    relay_url = getattr(args, "relay_url", None)
    if relay_url:
        _use_relay(ctx, relay_url)
    if args.demo:
        prepare_demo(db)
    relay = _start_demo_relay(ctx, data_dir) if args.demo and not relay_url else None
    log.info("MiniChat starting with data in %s (log %s)", data_dir, log_path)
    try:
        return asyncio.run(
            _main(app, ctx, open_page=args.demo, instance=instance),  # type: ignore[arg-type]
            loop_factory=_loop_factory,
        )
    finally:
        if relay is not None:
            relay.stop()
        ctx.ops.shutdown()
        _close_database(db)
        ctx.settings.sync()
        instance.close()
        folder_lock.release()
        collector.stop()


def _claim_folder(data_dir: Path) -> tuple[FolderLock, single_instance.InstanceServer] | int:
    """The folder's lock and the socket a second launch talks to, or that launch's exit code
    (its message in the UI language the folder's settings name)."""
    i18n.set_language(str(AppContext.settings_for(data_dir).value("ui/language", "th")))
    return single_instance.claim(data_dir)


def _close_database(db: Database) -> None:
    """After the last write: fold the WAL into the database file (a copy of the folder is then
    the one file) and close every connection."""
    db.checkpoint()
    db.dispose()


def _use_relay(ctx: AppContext, url: str) -> None:
    """``--relay-url``: this relay (e.g. one started separately for the demo), its shop token
    from ``MINICHAT_RELAY_TOKEN`` when given (kept in the keyring) or the keyring's."""
    ctx.settings.setValue("relay/url", url.rstrip("/"))
    token = os.environ.get("MINICHAT_RELAY_TOKEN")
    if token:
        _keep_token(ctx, token)


def _keep_token(ctx: AppContext, token: str) -> None:
    try:
        ctx.secrets.set(RELAY_TOKEN, token)
    except DomainError:
        # No keyring on this machine: keep the token in memory for this run.
        import keyring

        from minichat_desktop.keyring_memory import MemoryKeyring

        keyring.set_keyring(MemoryKeyring())
        ctx.secrets.set(RELAY_TOKEN, token)


def _start_demo_relay(ctx: AppContext, data_dir: Path) -> EmbeddedRelay:
    """The demo's own relay (on the port it had last time), its address and token set."""
    from minichat_desktop.embedded_relay import EmbeddedRelay

    relay = EmbeddedRelay(data_dir / "relay", "ร้านมินิแชท เซเลกต์").start()
    ctx.settings.setValue("relay/url", relay.url)
    _keep_token(ctx, relay.token)
    ctx.test_page_url = relay.test_page
    print(f"MiniChat demo: the shop's widget test page is {relay.test_page}", flush=True)
    return relay


QUIT_WITHIN_S = 4.5


class _QuitDeadline(QObject):
    """Once quitting starts, the process ends within :data:`QUIT_WITHIN_S` seconds. The
    orderly way (relay link, embedded relay, database, in order) takes well under a second;
    if it has not finished by then — a stuck task, a nested event loop — a watchdog thread
    ends the process: SQLite's journal keeps the database whole, and the embedded relay stops
    when its pipe from this process closes. One per window (:meth:`of`)."""

    def __init__(self, seconds: float = QUIT_WITHIN_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.seconds = seconds
        self._timer: threading.Timer | None = None

    @classmethod
    def of(cls, window: QWidget) -> _QuitDeadline:
        """The window's deadline, made on first use."""
        found = window.findChild(cls)
        return found if isinstance(found, cls) else cls(parent=window)

    def arm(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        log.error("quit: not finished within %.1f s; ending the process", self.seconds)
        logging.shutdown()
        os._exit(1)


def _wire_quit(app: QApplication, window: QWidget, closed: SignalInstance) -> None:
    """Every way of quitting — the window closed, SIGTERM/SIGINT (:func:`_close_on_signals`),
    the session ending (logout) — closes the window, which ends :func:`_main`, and arms the
    quit deadline."""
    deadline = _QuitDeadline.of(window)
    closed.connect(deadline.arm)
    app.aboutToQuit.connect(deadline.arm)
    app.commitDataRequest.connect(lambda _manager: QTimer.singleShot(0, window.close))


def _close_on_signals(window: QWidget) -> None:
    """SIGTERM / SIGINT (a service manager, Ctrl+C in a terminal) close the window like the
    person would, so the relay link, the embedded relay and the database shut down in order.
    A timer wakes the interpreter now and then: Python runs signal handlers only between its
    own bytecodes, never while Qt waits for events."""

    deadline = _QuitDeadline.of(window)

    def on_signal(*_: object) -> None:
        deadline.arm()
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    waker = QTimer(window)
    waker.timeout.connect(lambda: None)
    waker.start(300)


def _loop_factory() -> asyncio.AbstractEventLoop:
    import qasync

    return qasync.QEventLoop(QApplication.instance())


async def purge_analytics(ctx: AppContext) -> int:
    """Apply the analytics retention once (at start, after the window is shown), on the
    database thread; returns how many events went. A database problem is logged and left for
    the next start: it must never stop the app."""
    from minichat_desktop.domain.activity import analytics

    try:
        gone = await ctx.ops.write(analytics.purge_expired)
    except DomainError as exc:
        log.warning("analytics: expired events not purged: %s", exc.message)
        return 0
    if gone:
        log.info("analytics: %d expired events purged", gone)
    return gone


BROADCAST_EVERY_S = 30.0


async def send_due_broadcasts(ctx: AppContext, now: dt.datetime | None = None) -> int:
    """Queue the messages of scheduled broadcasts due at ``now`` (default: now), batch by
    batch (the relay link wakes as each is committed); returns how many were queued. A
    database problem is logged and retried on the next round."""
    from minichat_desktop.app import marketing

    try:
        report = await ctx.ops.run(marketing.send_due_broadcasts, now or dt.datetime.now(dt.UTC))
    except DomainError as exc:
        log.warning("broadcasts: not sent this round: %s", exc.message)
        return 0
    return report.queued


async def release_live_carts(ctx: AppContext, now: dt.datetime | None = None) -> int:
    """Give back the stock of unpaid live carts whose hold ran out (lives ended earlier);
    returns how many carts. A database problem is logged and retried on the next round."""
    from minichat_desktop.app import live

    try:
        return await ctx.ops.run(live.release_due, lambda: now or dt.datetime.now(dt.UTC))
    except DomainError as exc:
        log.warning("live selling: carts not released this round: %s", exc.message)
        return 0


SEGMENTS_MAX_AGE = 12 * 3600.0  # RFM recency moves with the calendar


async def refresh_segments(ctx: AppContext, max_age_s: float = SEGMENTS_MAX_AGE) -> bool:
    """Recompute the customers' RFM segments when they are older than ``max_age_s`` (or were
    never computed); True when they were. Well under a second for 100k orders, off the UI
    thread."""
    import datetime as dt

    from minichat_desktop.domain.customers import rfm

    now = dt.datetime.now(dt.UTC)
    try:
        last = await ctx.ops.read(rfm.last_computed)
        if last is not None and (now - last).total_seconds() < max_age_s:
            return False
        await ctx.ops.write(rfm.recompute, now)
    except DomainError as exc:
        log.warning("customers: segments not recomputed: %s", exc.message)
        return False
    return True


def watch_for_problems(window: MainWindow) -> tuple[Supervisor, CrashHooks]:
    """What nobody caught (a slot, an async slot, a thread, the event loop) and background
    work that dies: logged with the traceback and shown in the window's status bar, never a
    modal box; the app keeps running. Returns the supervisor to run the app's long-lived work
    under, and the hooks (installed)."""
    from minichat_desktop.sync.supervisor import Supervisor
    from minichat_desktop.ui.problems import CrashHooks

    hooks = CrashHooks(window.problems.show_crash)
    hooks.install(asyncio.get_running_loop())
    return Supervisor(window.problems.show_job_crash), hooks


def start_background(ctx: AppContext, supervisor: Supervisor) -> RelayClient:
    """Start the app's long-lived work, each under ``supervisor`` (a job that dies is
    logged, told and started again after a backoff): the relay link (and its bot's flow
    timers), the housekeeping rounds, the analytics purge and the Thai word list (documents
    break lines with it; ~0.5 s to load, before the first print). Returns the relay link
    (also ``ctx.relay``)."""
    from minichat_desktop.domain import thai_lines

    client = start_relay_link(ctx, spawn=supervisor.start)
    supervisor.start("relay link", client.run)

    async def warm_up() -> None:
        await asyncio.get_running_loop().run_in_executor(None, thai_lines.warm_up)

    async def purge() -> None:
        await purge_analytics(ctx)

    supervisor.start("thai word list", warm_up)
    supervisor.start("analytics purge", purge)
    supervisor.start("housekeeping", lambda: _housekeeping(ctx))
    return client


async def stop_background(client: RelayClient, supervisor: Supervisor) -> None:
    """The relay link first (what it is storing completes), then whatever else still runs
    (a write under way completes on its thread: ``Ops.shutdown`` waits for it)."""
    await client.stop()
    await supervisor.stop()


async def back_up_when_due(ctx: AppContext, now: dt.datetime | None = None) -> bool:
    """The daily encrypted backup (:mod:`minichat_desktop.storage.backups`) when it is due,
    off the UI thread; True when one was written. A failure is kept in the state and told to
    the owner as a notification by ``backups.run``, never raised here."""
    from minichat_desktop.storage import backups
    from minichat_desktop.ui.context import load_backup_state, save_backup_state

    now = now or dt.datetime.now(dt.UTC)
    state = load_backup_state(ctx.settings)
    if not backups.due(state, now):
        return False
    # Through Ops.run: a failure's notification reaches the screens like any other write.
    new_state, result = await ctx.ops.run(backups.run, ctx.secrets, state, now)
    save_backup_state(ctx.settings, new_state)
    return result is not None


# A backup at quit must fit in the quit deadline (QUIT_WITHIN_S): about 0.45 s for a 24 MB
# shop here (bench/bench_backups.py). A larger shop's is made at the next start instead.
QUIT_BACKUP_MAX_BYTES = 100 * 1024 * 1024


def _backs_up_in_time(db: Database) -> bool:
    try:
        return db.path.stat().st_size <= QUIT_BACKUP_MAX_BYTES
    except OSError:
        return False


async def _housekeeping(ctx: AppContext) -> None:
    """While the app runs: due broadcasts go out, segments stay fresh, the daily backup."""
    rounds_per_check = max(1, int(3600 / BROADCAST_EVERY_S))
    n = 0
    while True:
        if n % rounds_per_check == 0:  # at start, then hourly: recompute when stale
            await refresh_segments(ctx)
        await send_due_broadcasts(ctx)
        await release_live_carts(ctx)
        await back_up_when_due(ctx)
        n += 1
        await asyncio.sleep(BROADCAST_EVERY_S)


class _StallMeter:
    """For the cold-start benchmark: the longest time the event loop could not answer (a
    timer asking every 5 ms) between the first paint and every screen built."""

    def __init__(self) -> None:
        import time

        self._clock = time.perf_counter
        self._last = self._clock()
        self.worst = 0.0
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(5)

    def _tick(self) -> None:
        now = self._clock()
        self.worst = max(self.worst, now - self._last)
        self._last = now

    def stop(self) -> float:
        self._tick()
        self._timer.stop()
        return round(self.worst * 1000, 1)


# What the window paints first needs none of these (see domain/inbox_reads.py and lazy.py).
AFTER_FIRST_PAINT = (
    "minichat_desktop.domain.models",
    "minichat_desktop.domain.conversations.conversations",
    "minichat_desktop.domain.catalog.products",
    "minichat_desktop.domain.sales.orders",
    "minichat_desktop.domain.customers.customers",
    "minichat_desktop.domain.activity.notifications",
    "minichat_desktop.sync.client",
    # and the Qt-free parts of the settings screen and printing, so they open at once
    "minichat_desktop.ai.config",
    "minichat_desktop.domain.bot.engine",
    "minichat_desktop.documents.api",
)


def load_domain() -> None:
    """Import SQLAlchemy, the models and the use cases the screens and the relay link need.
    Run in a worker thread once the window is painted, so the window keeps answering (Python
    imports are thread-safe; these modules make no Qt objects)."""
    import importlib

    for name in AFTER_FIRST_PAINT:
        importlib.import_module(name)


async def _main(
    app: QApplication,
    ctx: AppContext,
    *,
    open_page: bool,
    instance: single_instance.InstanceServer | None = None,
) -> int:
    from minichat_desktop.ui.main_window import MainWindow

    # The window closing ends the app through this coroutine (so the relay link and the
    # database close in order); Qt must not stop the event loop under us.
    app.setQuitOnLastWindowClosed(False)
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    window = MainWindow(ctx)
    window.closed.connect(closing.set)
    _wire_quit(app, window, window.closed)
    if instance is not None:  # a second launch on this folder brings this window up
        instance.show_requested.connect(window.bring_to_front)
    window.show()
    _close_on_signals(window)
    supervisor, _hooks = watch_for_problems(window)
    bench = bool(os.environ.get("MINICHAT_BENCH_STARTUP"))
    window.repaint()  # the first paint, now
    await asyncio.sleep(0)
    stalls = _StallMeter() if bench else None
    if bench or os.environ.get("MINICHAT_TELL_SHOWN"):
        # bench/bench_inbox.py, bench/bench_bundle.py and tests/package: the window is up and
        # the inbox usable (only the startup bench then quits by itself).
        print(json.dumps({"event": "window-shown"}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, load_domain)
    for name in window.AFTER_PAINT:  # one at a time, input handled in between
        window.section_screen(name)
        await asyncio.sleep(0)
    if stalls is not None:
        worst = stalls.stop()
        print(json.dumps({"event": "all-screens-ready", "worst_stall_ms": worst}), flush=True)
        QTimer.singleShot(0, window.close)
    client = start_background(ctx, supervisor)
    if open_page and ctx.test_page_url and not os.environ.get("MINICHAT_NO_BROWSER"):
        QDesktopServices.openUrl(QUrl(ctx.test_page_url))
    await closing.wait()
    await stop_background(client, supervisor)
    if _backs_up_in_time(ctx.ops.db):  # at quit, when the last backup is a day old
        await back_up_when_due(ctx)
    return 0
