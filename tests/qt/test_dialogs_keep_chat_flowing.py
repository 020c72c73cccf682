"""A dialog open on any screen never stops the chat (issue 13): with a real relay process, the
desktop's real relay link and the sales bot on, a shopper's message sent while a dialog is open
is stored and answered by the bot before the dialog is closed, and so is one sent after.

Before, Orders → More → "Save invoice as PDF" on an unpaid order showed its warning with a
nested event loop inside the slot's coroutine; asyncio then refused to step every other task
("Cannot enter into task … while another task OrdersScreen._print() is being executed") and
the shop went silent while the status bar still said online."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QWidget
from shiboken6 import isValid
from support.bot_shop import BotShop, make_shop
from support.boxes import choose_file
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.bot.engine import ENABLED_KEY
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import Channel, OrderStatus
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import put_setting
from minichat_desktop.secrets import RELAY_TOKEN
from minichat_desktop.sync.client import RelayClient
from minichat_desktop.ui.app import start_relay_link
from minichat_desktop.ui.context import AppContext

QUESTION = "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่"
DEADLINE_MS = 20_000  # a test here takes 1-2 s


@dataclass
class Chat:
    """The desktop linked to a relay, its bot on, and a shopper on the web widget."""

    ctx: AppContext
    client: RelayClient
    shopper: Shopper
    shop: BotShop
    uids: Any = None

    async def flows(self) -> None:
        """The shopper asks; the message is stored and the bot answers the price and the
        product card."""
        uids = self.uids = self.uids or itertools.count(1)
        uid = f"w-{next(uids)}"
        await self.shopper.say(uid, QUESTION)
        answer = await self.shopper.next_message(timeout=10)
        card = await self.shopper.next_message(timeout=10)
        assert stored(self.ctx, uid)
        assert answer["kind"] == "text" and "ราคา ฿290 " in answer["text"]
        assert (card["kind"], card["card"]["title"]) == ("product_card", "เสื้อยืดคอกลม")
        assert self.client.online


def stored(ctx: AppContext, uid: str) -> bool:
    with ctx.ops.db.read() as s:
        return any(
            m.uid == uid and m.direction == "in"
            for c in convs.list_conversations(s)
            for m in convs.messages(s, c.id)
        )


@pytest.fixture
def chat(relay: Any, make_ctx: Callable[..., AppContext]) -> Any:
    """``async with chat as c``: everything async starts and stops inside the test's loop."""
    r, shop_id, token = relay

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[Chat]:
        ctx = make_ctx()
        shop = make_shop(ctx.ops.db)
        with ctx.ops.db.write() as s:
            put_setting(s, ENABLED_KEY, True)
        ctx.settings.setValue("relay/url", r.url)
        ctx.secrets.set(RELAY_TOKEN, token)
        client = start_relay_link(ctx)
        task = asyncio.ensure_future(client.run())
        shopper = Shopper(r, shop_id)
        try:
            await until(lambda: client.online)
            await shopper.connect()
            c = Chat(ctx, client, shopper, shop)
            await c.flows()  # the customer exists before the screens open
            yield c
        finally:
            await shopper.close()
            await client.stop()
            await asyncio.wait_for(task, 10)

    return session()


@pytest.fixture(autouse=True)
def no_nested_loop(caplog: pytest.LogCaptureFixture) -> Any:
    """What a nested loop in a coroutine logs ("Cannot enter into task …") never appears, and
    no dialog is left to a deadline. A nested loop loses the wake-up of every other task, the
    test's own included, so the test would hang for good: at the deadline (a Qt timer, so it
    fires inside a nested loop too) the dialogs left are closed and the loop is stopped, which
    ends the test as failed."""
    left: list[str] = []

    def deadline() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QDialog) and w.isVisible():
                left.append(f"{type(w).__name__} {w.windowTitle()!r}")
                w.reject()
        if left:
            asyncio.get_event_loop().stop()

    timer = QTimer(singleShot=True, interval=DEADLINE_MS)
    timer.timeout.connect(deadline)
    timer.start()
    with caplog.at_level(logging.ERROR):
        yield
    timer.stop()
    assert left == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def while_open(
    chat: Chat,
    is_open: Callable[[], bool],
    close: Callable[[], object],
) -> None:
    """The chat flows while the dialog is open (and it stays open), then after it closed."""
    await until(is_open)
    await chat.flows()
    assert is_open()
    close()
    await chat.flows()


async def drop(screen: QWidget, *pending: asyncio.Future[Any] | Coroutine[Any, Any, Any]) -> None:
    for job in pending:
        await job
    timer = getattr(screen, "timer", None)
    if timer is not None:
        timer.stop()
    await until(lambda: getattr(screen, "busy", 0) == 0)
    await asyncio.sleep(0.1)
    screen.close()
    screen.deleteLater()
    await asyncio.sleep(0.05)


def _unpaid_order(chat: Chat) -> orders.OrderView:
    with chat.ctx.ops.db.write() as s:
        return orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.WIDGET,
                lines=[orders.LineInput(1, variant_id=chat.shop.tee_red_m)],
                customer_name="สมศรี",
            ),
            "bot",
        )


async def _orders_screen(chat: Chat) -> Any:
    from minichat_desktop.ui.orders_screen import OrdersScreen

    screen = OrdersScreen(chat.ctx)
    screen.resize(1300, 800)
    screen.show()
    await until(lambda: screen.busy == 0)
    return screen


async def test_the_not_paid_warning_of_an_unpaid_invoice(chat: Any) -> None:
    """Orders → More → Save invoice as PDF on an unpaid order: the warning names the order,
    and the chat and the bot go on while it is shown and after."""
    async with chat as c:
        order = _unpaid_order(c)
        screen = await _orders_screen(c)
        await screen.open_order(order.id)
        screen.detail.save_invoice_action.trigger()

        def box() -> QMessageBox | None:
            message = getattr(screen, "message", None)
            if isinstance(message, QMessageBox) and isValid(message) and message.isVisible():
                return message
            return None

        await until(lambda: box() is not None)
        warning = box()
        assert warning is not None
        assert order.number in warning.text() and "ยังไม่ได้ชำระ" in warning.text()
        await while_open(c, lambda: box() is warning, lambda: warning.done(0))
        assert box() is None
        await drop(screen)


async def test_an_orders_status_change(chat: Any) -> None:
    """The status dialog of an order, then the change it asked for."""
    from minichat_desktop.ui.orders_dialogs import StatusDialog

    async with chat as c:
        order = _unpaid_order(c)
        screen = await _orders_screen(c)
        await screen.open_order(order.id)
        task = screen.change_status()
        await until(lambda: isinstance(screen.dialog, StatusDialog))
        dialog = screen.dialog
        dialog.status.setCurrentIndex(dialog.status.findData(OrderStatus.CONFIRMED.value))
        await while_open(c, lambda: screen.dialog is dialog, dialog.accept)
        changed = await task
        assert changed is not None
        with c.ctx.ops.db.read() as s:
            assert orders.get_order(s, order.id).status == OrderStatus.CONFIRMED
        await drop(screen)


async def test_the_counters_close_shift(chat: Any) -> None:
    """Close shift (Z): the cash count, then the Z report."""
    from minichat_desktop.ui.pos_dialogs import MoneyDialog
    from minichat_desktop.ui.pos_screen import PosScreen

    async with chat as c:
        screen = PosScreen(c.ctx)
        screen.show()
        assert await screen.open_shift(50_000)
        task = screen.shift_action()
        await until(lambda: isinstance(screen.dialog, MoneyDialog))
        dialog = screen.dialog
        dialog.amount.setText("500.00")
        await while_open(c, lambda: screen.dialog is dialog, lambda: dialog._done(1))
        await task
        assert screen.shift is None
        assert "รายงานปิดกะ (Z)" in screen.dialog.view.toPlainText()
        screen.dialog.close()
        await drop(screen)


async def test_the_catalogs_import_file_choice(chat: Any) -> None:
    """Catalog → Import: the file dialog, cancelled."""
    from minichat_desktop.ui.catalog_screen import CatalogScreen

    async with chat as c:
        screen = CatalogScreen(c.ctx)
        screen.resize(1300, 800)
        screen.show()
        task = screen.choose_import()
        await until(lambda: isinstance(getattr(screen, "dialog", None), QFileDialog))
        dialog = screen.dialog
        await while_open(c, lambda: screen.dialog is dialog, dialog.reject)
        await task
        assert screen.dialog is None
        await drop(screen)


async def test_the_customers_export_file_choice(chat: Any, tmp_path: Path) -> None:
    """Customers → Export CSV: the file chosen while the chat goes on is written."""
    from minichat_desktop.ui.customers_screen import CustomersScreen

    async with chat as c:
        screen = CustomersScreen(c.ctx)
        screen.resize(1300, 800)
        screen.show()
        task = screen.choose_export("csv")
        await until(lambda: isinstance(screen.dialog, QFileDialog))
        dialog = screen.dialog
        target = tmp_path / "customers.csv"
        await while_open(
            c,
            lambda: screen.dialog is dialog,
            lambda: asyncio.ensure_future(choose_file(screen, str(target))),
        )
        await task
        await until(lambda: screen.last_export is not None)
        assert screen.last_export.rows == 1 and target.exists()
        await drop(screen)


async def test_a_broadcasts_send_confirmation(chat: Any) -> None:
    """Broadcasts → Send: the confirmation with the recipient count, cancelled."""
    from minichat_desktop.ui.broadcasts_screen import BroadcastsScreen

    async with chat as c:
        screen = BroadcastsScreen(c.ctx)
        screen.resize(1300, 860)
        screen.show()
        await until(lambda: screen.busy == 0)
        screen.name.setText("โปรวันศุกร์")
        screen.text.setPlainText("ลด 10% วันนี้ค่ะ")
        task = screen.send()
        await until(lambda: isinstance(screen.dialog, QMessageBox))
        box = screen.dialog
        assert "1" in box.text()
        await while_open(
            c,
            lambda: screen.dialog is box,
            lambda: box.button(QMessageBox.StandardButton.Cancel).click(),
        )
        assert await task is None
        await drop(screen)


async def test_the_inbox_product_picker(chat: Any) -> None:
    """Inbox → Send product: the picker, cancelled."""
    from minichat_desktop.ui.inbox import InboxScreen

    async with chat as c:
        screen = InboxScreen(c.ctx)
        screen.resize(1200, 700)
        screen.show()
        await until(lambda: screen.list_model.rowCount() == 1)
        screen.open_conversation(screen.list_model.rows[0].id)
        task = screen.on_send_product()
        await until(lambda: isinstance(getattr(screen, "dialog", None), QDialog))
        picker = screen.dialog
        await while_open(c, lambda: screen.dialog is picker, picker.reject)
        await task
        await drop(screen)


async def test_reads_that_outlive_the_inbox_touch_nothing(chat: Any) -> None:
    """The window goes (the app quitting) while the inbox reads for a change that came in:
    the list, the open chat and the customer panel drop what they read instead of drawing on
    widgets that are gone. (CI once saw the customer panel's picture label deleted under it.)"""
    import shiboken6

    from minichat_desktop.ui.inbox import InboxScreen

    async with chat as c:
        screen = InboxScreen(c.ctx)
        screen.resize(1200, 700)
        screen.show()
        await until(lambda: screen.list_model.rowCount() == 1)
        cid = screen.list_model.rows[0].id
        screen.open_conversation(cid)
        assert screen.customer.customer_id is not None
        await asyncio.sleep(0.2)  # what opening the chat started has drawn
        # Both of the screens' database threads busy, so that every read below waits for them
        gate = threading.Event()
        held = [asyncio.ensure_future(c.ctx.ops.call(gate.wait, 10)) for _ in range(2)]
        reading = [
            screen.on_conversations_changed([cid]),
            screen.on_data_changed({"conversations", "customers", "orders"}),
            asyncio.ensure_future(screen.customer.refresh()),
        ]
        for _ in range(5):
            await asyncio.sleep(0)  # each has started and waits for its first read
        shiboken6.delete(screen)
        gate.set()
        results = await asyncio.gather(*held, *reading, return_exceptions=True)
        assert results[:2] == [True, True]
        assert [r for r in results if isinstance(r, BaseException)] == []
