"""First-run setup on screen, on a new empty shop: the dashboard's card and Settings → Set up
follow the shop's data (progress moves as steps are done or skipped; a skipped step comes
back), the step panels show the ฿1 PromptPay QR and the embed snippet, and Settings → Relay's
Test connection says what a real relay process answered."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget
from support.fake_line import FakeLine
from support.relay_proc import Relay, add_shop
from support.waiting import until

from minichat_desktop.app import setup
from minichat_desktop.app.settings import store_widget_settings
from minichat_desktop.app.setup import Step, StepState
from minichat_desktop.domain import shop
from minichat_desktop.secrets import RELAY_TOKEN
from minichat_desktop.ui.app import start_relay_link
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dashboard_screen import DashboardScreen
from minichat_desktop.ui.main_window import MainWindow
from minichat_desktop.ui.settings_screen import SettingsScreen
from relay import protocol as p


class Opened(QObject):
    """Stands where the browser would be: Qt hands it the URLs the app opens."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


def _shown[W: QWidget](qtbot: Any, widget: W) -> W:
    """``widget`` on screen at the window's minimum size."""
    qtbot.addWidget(widget)
    widget.resize(1000, 640)
    widget.show()
    return widget


def _delete(widget: Any) -> None:
    if shiboken6.isValid(widget):
        shiboken6.delete(widget)
    gc.collect()


@contextlib.asynccontextmanager
async def _linked(ctx: AppContext, url: str, token: str) -> AsyncIterator[SettingsScreen]:
    """Settings on screen with the app's relay link to ``url`` online (stopped inside the
    test's loop afterwards)."""
    ctx.secrets.set(RELAY_TOKEN, token)
    ctx.settings.setValue("relay/url", url)
    client = start_relay_link(ctx, backoff_base=0.05)
    task = asyncio.ensure_future(client.run())
    screen = SettingsScreen(ctx)
    try:
        screen.resize(1366, 728)
        screen.show()
        await until(lambda: client.online, 10)
        yield screen
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)
        await asyncio.sleep(0.2)
        _delete(screen)
        ctx.relay = None


async def test_the_dashboard_card_follows_a_new_shop(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """A new shop: the card says 0 of 7 and offers the first step; filling in the profile moves
    it to 1 of 7 and the next step; skipping it moves on; Hide takes the card away."""
    ctx = make_ctx()
    screen = _shown(qtbot, DashboardScreen(ctx))
    card = screen.setup
    await until(lambda: screen.setup_card.isVisible())
    assert card.heading.text() == "ตั้งค่าร้าน 0 จาก 7 ขั้น"
    assert [s for s, row in card.rows.items() if row.isVisibleTo(card)] == [Step.PROFILE]

    await ctx.ops.write(
        shop.update_profile, "owner", name="ร้านป้าแดง", phone="0812345678", address="กรุงเทพฯ"
    )
    await until(lambda: card.heading.text() == "ตั้งค่าร้าน 1 จาก 7 ขั้น")
    assert [s for s, row in card.rows.items() if row.isVisibleTo(card)] == [Step.PROMPTPAY]

    qtbot.mouseClick(card.rows[Step.PROMPTPAY].skip_button, Qt.MouseButton.LeftButton)
    await until(lambda: card.rows[Step.PRODUCTS].isVisibleTo(card))
    assert card.checklist is not None and card.checklist.skipped == (Step.PROMPTPAY,)

    qtbot.mouseClick(card.hide_button, Qt.MouseButton.LeftButton)
    await until(lambda: not screen.setup_card.isVisible())
    with ctx.ops.db.read() as s:
        assert setup.checklist(s, setup.Outside()).hidden is True
    screen.close()


async def test_settings_set_up_lists_skipped_steps_and_brings_them_back(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """Every step is listed with its state; a skipped step reads "ข้ามไว้ก่อน" and is named
    under the list; "ทำตอนนี้" puts it back to do; a step's button opens its panel."""
    ctx = make_ctx()
    screen = _shown(qtbot, SettingsScreen(ctx))
    page = screen.setup
    assert screen.nav.item(0).text() == "เริ่มต้นใช้งาน"
    rows = page.checklist.rows
    await until(lambda: page.checklist.checklist is not None)
    assert all(row.isVisibleTo(page) for row in rows.values())
    assert rows[Step.LINE].chip.text() == "· ยังไม่ได้ทำ"

    qtbot.mouseClick(rows[Step.LINE].skip_button, Qt.MouseButton.LeftButton)
    await until(lambda: rows[Step.LINE].state is StepState.SKIPPED)
    assert rows[Step.LINE].chip.text() == "· ข้ามไว้ก่อน"
    assert rows[Step.LINE].skip_button.text() == "ทำตอนนี้"
    assert page.checklist.done_note.text() == "ข้ามไว้ก่อน: LINE Official Account"
    assert page.checklist.heading.text() == "ตั้งค่าร้าน 0 จาก 7 ขั้น"

    qtbot.mouseClick(rows[Step.LINE].skip_button, Qt.MouseButton.LeftButton)
    await until(lambda: rows[Step.LINE].state is StepState.TODO)

    hide = page.checklist.hide_button
    qtbot.mouseClick(hide, Qt.MouseButton.LeftButton)  # off the dashboard; back again here
    await until(lambda: hide.text() == "แสดงในภาพรวม")
    qtbot.mouseClick(hide, Qt.MouseButton.LeftButton)
    await until(lambda: hide.text() == "ซ่อน")
    with ctx.ops.db.read() as s:
        assert setup.checklist(s, setup.Outside()).on_dashboard is True

    qtbot.mouseClick(rows[Step.PROMPTPAY].go_button, Qt.MouseButton.LeftButton)
    assert page.current is Step.PROMPTPAY and page.panels[Step.PROMPTPAY].isVisibleTo(page)
    await until(lambda: "ใส่พร้อมเพย์" in page.promptpay_note.text())
    await ctx.ops.write(shop.update_profile, "owner", name="ร้านป้าแดง", promptpay_id="0812345678")
    page.open_step(Step.PROMPTPAY)
    await until(lambda: page.qr.pixmap() is not None and not page.qr.pixmap().isNull())
    assert page.qr.pixmap().width() == 240
    await until(lambda: rows[Step.PROMPTPAY].state is StepState.DONE)
    assert page.checklist.heading.text() == "ตั้งค่าร้าน 1 จาก 7 ขั้น"
    screen.close()
    _delete(screen)


async def test_set_up_shows_the_snippet_and_tests_the_relay(
    relay: tuple[Relay, str, str], make_ctx: Callable[..., AppContext]
) -> None:
    """Linked to a real relay: the website panel shows the shop's embed snippet and the LINE
    panel its webhook URL; the relay step is done; Settings → Relay's Test connection reports
    the shop for the right key, a refused key, and an address where nothing listens."""
    r, shop_id, token = relay
    ctx = make_ctx()
    async with _linked(ctx, r.url, token) as screen:
        page = screen.show_setup("website")
        assert page.snippet.text() == setup.embed_snippet(r.url, shop_id)
        assert page.hook.text() == f"{r.url}/line/{shop_id}/webhook"
        await until(lambda: page.checklist.rows[Step.RELAY].state is StepState.DONE)

        # "send a test message": no test page on this relay, no site allowed yet -> say how;
        # with the owner's site allowed -> that site opens in the browser
        opened = Opened()
        QDesktopServices.setUrlHandler("https", opened, "open")
        try:
            assert await page.send_test_message() is None
            assert page.feedback.text().startswith("วางบรรทัดด้านบนในเว็บไซต์ของคุณ")
            await ctx.ops.write(store_widget_settings, {}, ["https://daeng.example"])
            assert await page.send_test_message() == "https://daeng.example"
            assert opened.urls == ["https://daeng.example"]
        finally:
            QDesktopServices.unsetUrlHandler("https")

        relay_page = screen.relay
        good = await relay_page.test_connection()
        assert good is not None and (good.reachable, good.token_accepted) == (True, True)
        assert relay_page.test_result.text().splitlines()[-1] == "ร้าน: ร้านทดสอบ"
        assert [r.status_tone for r in relay_page.test_result.rows] == ["ok", "ok", "ok"]
        relay_link = ctx.relay
        assert relay_link is not None
        await until(lambda: relay_link.online, 10)  # the link took the shop back after the probe

        relay_page.token.setText("mcs_wrong")
        refused = await relay_page.test_connection()
        assert refused is not None and refused.token_accepted is False
        assert relay_page.test_result.text().splitlines()[1] == (
            "รีเลย์ไม่รับรหัสร้าน คัดลอกรหัสจากผู้ให้บริการอีกครั้ง"
        )
        assert relay_page.test_result.rows[1].status_tone == "error"  # the alert icon

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        relay_page.url.setText(f"http://127.0.0.1:{port}")
        nothing = await relay_page.test_connection()
        assert nothing is not None and nothing.reachable is False
        assert relay_page.test_result.text() == ("รีเลย์ไม่ตอบ ตรวจที่อยู่และการเชื่อมต่ออินเทอร์เน็ต")
        assert relay_page.url_note.text() == "ใช้ที่อยู่ของผู้ให้บริการรีเลย์"
        relay_page.use_default.click()
        assert relay_page.url_note.text() == "ใช้รีเลย์ในเครื่อง (ค่าเริ่มต้น)"


async def test_line_verify_from_set_up(tmp_path: Path, make_ctx: Callable[..., AppContext]) -> None:
    """The owner enters the channel's secret and token, pastes the webhook URL into LINE and
    presses Verify: the relay (a process) asks the stand-in LINE, which posts a signed test
    webhook back; the panel says LINE works with the bot's name. With a secret that is not the
    channel's, it says the secret is wrong."""
    fake = FakeLine()
    r = Relay(tmp_path / "relay", env={"MINICHAT_LINE_API_BASE": fake.url})
    r.data_dir.mkdir(parents=True)
    shop_id, token = add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    hook = f"{r.url}/line/{shop_id}/webhook"
    fake.channel_secret, fake.channel_token = "channel-secret-qt-01234", "channel-token-qt"
    fake.webhook = {"endpoint": hook, "active": True}
    ctx = make_ctx()
    try:
        async with _linked(ctx, r.url, token) as screen:
            screen.line.secret.setText(fake.channel_secret)
            screen.line.token.setText(fake.channel_token)
            assert await screen.line.save_now()
            page = screen.show_setup("line")
            assert page.hook.text() == hook
            answer = await page.verify_line()
            assert answer is not None and answer.result is p.LineCheck.OK
            assert page.verify_result.text() == (
                "LINE ใช้งานได้ แชทที่ส่งถึง ร้านทดสอบ (@123abcde) จะเข้ามาที่ MiniChat"
            )
            assert page.verify_result.status_tone == "ok"  # drawn with the check icon
            await until(lambda: page.checklist.rows[Step.LINE].state is StepState.DONE)

            fake.channel_secret = "the-channel-was-given-a-new-secret"
            answer = await page.verify_line()
            assert answer is not None and answer.result is p.LineCheck.SIGNATURE_WRONG
            assert page.verify_result.text().startswith("Channel secret ไม่ถูกต้อง")
    finally:
        r.stop()
        fake.close()


async def test_each_step_leads_where_it_is_done(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """In the window: the dashboard card's button opens Settings → Set up at that step; a
    panel's buttons open the shop profile page and the catalog's new product form."""
    ctx = make_ctx()
    window = _shown(qtbot, MainWindow(ctx))
    try:
        dashboard = window.show_section("dashboard")
        assert isinstance(dashboard, DashboardScreen)
        await until(lambda: dashboard.setup_card.isVisible())
        go = dashboard.setup.rows[Step.PROFILE].go_button
        qtbot.mouseClick(go, Qt.MouseButton.LeftButton)
        settings = window.settings_screen
        assert settings is not None and window.stack.currentWidget().isAncestorOf(settings)
        page = settings.setup
        assert settings.stack.currentIndex() == SettingsScreen.ORDER.index("setup")
        assert page.current is Step.PROFILE and page.panels[Step.PROFILE].isVisible()

        qtbot.mouseClick(page.profile_open, Qt.MouseButton.LeftButton)
        assert settings.stack.currentIndex() == SettingsScreen.ORDER.index("profile")

        window.open_ref("setup:products")
        assert page.panels[Step.PRODUCTS].isVisible()
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
        catalog = window.catalog
        assert catalog is not None and window.stack.currentWidget().isAncestorOf(catalog)
        await until(lambda: catalog.product_dialog.isVisible())
        catalog.product_dialog.reject()
    finally:
        window.close()
