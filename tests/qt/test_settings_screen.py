"""The Settings screen on a real database (and, for the pushes, a real relay process)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from support.boxes import Boxes
from support.relay_proc import Relay
from support.waiting import until

from minichat_desktop import paths
from minichat_desktop.domain import shop
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import BotMode
from minichat_desktop.domain.thai import thai_id_check_digit
from minichat_desktop.secrets import LINE_SECRET, LINE_TOKEN, RELAY_TOKEN, ai_key
from minichat_desktop.ui import i18n
from minichat_desktop.ui.app import start_relay_link
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.settings_common import Tone
from minichat_desktop.ui.settings_screen import SettingsScreen
from minichat_desktop.ui.th import THAI
from relay import protocol as p

UI = Path(__file__).resolve().parents[2] / "minichat_desktop" / "ui"


def _tax_id(twelve: str) -> str:
    return twelve + str(thai_id_check_digit(twelve))


@pytest.fixture
def dialogs(qapp: Any) -> Iterator[list[tuple[str, str]]]:
    """The warning and crash boxes shown (each closed as a person would); questions are
    answered Yes."""
    boxes = Boxes().start()
    yield boxes.shown
    boxes.stop()


@pytest.fixture
def screen_for(qtbot: Any) -> Iterator[Callable[[AppContext], SettingsScreen]]:
    """Makes settings screens, kept alive for the test and deleted after it."""
    made: list[SettingsScreen] = []

    def make(ctx: AppContext) -> SettingsScreen:
        screen = SettingsScreen(ctx)
        qtbot.addWidget(screen)
        screen.resize(1180, 820)
        made.append(screen)
        return screen

    yield make
    for screen in made:
        _delete(screen)
    made.clear()
    gc.collect()  # here, on the GUI thread (see _delete)


def _delete(widget: QWidget) -> None:
    """Delete a widget now, on this (the GUI) thread. Left to Python's garbage collector, a
    widget caught in a reference cycle (slots that are lambdas over ``self``) may be freed
    later on whatever thread runs the collection, e.g. a database worker, and Qt then fires
    one of its timers into freed memory."""
    if shiboken6.isValid(widget):
        shiboken6.delete(widget)


async def test_pages_are_built_when_first_shown(
    make_ctx: Callable[..., AppContext], screen_for: Any
) -> None:
    """The pages that answer the relay's welcome and the first page come with the screen;
    the others are built when chosen in the list (or used), once."""
    screen = screen_for(make_ctx())
    assert set(screen.built) == {"setup", "profile", "relay", "widget", "line"}
    assert screen.stack.widget(SettingsScreen.ORDER.index("printers")).widget() is None
    screen.nav.setCurrentRow(SettingsScreen.ORDER.index("printers"))
    printers = screen.built["printers"]
    assert screen.stack.currentWidget().widget() is printers is screen.printers
    assert screen.bot is screen.page("bot") and len(screen.pages) == len(SettingsScreen.ORDER)
    assert set(screen.built) == set(SettingsScreen.ORDER)


async def test_profile_save_round_trips_through_the_domain(
    make_ctx: Callable[..., AppContext], screen_for: Any, dialogs: list[Any]
) -> None:
    """Saved profile fields come back from shop.get_profile, normalised, and are audited."""
    ctx = make_ctx()
    page = screen_for(ctx).profile
    tax_id = _tax_id("010555812345")
    page.name.setText("ร้านป้าแดง")
    page.name_en.setText("Auntie Daeng")
    page.address.setPlainText("12 ถนนนิมมานเหมินท์ เชียงใหม่ 50200")
    page.phone.setText("053-111-222")
    page.email.setText("daeng@example.co.th")
    page.tax_id.setText(tax_id)
    page.branch_code.setText("00001")
    page.branch_name.setText("นิมมาน")
    page.vat_registered.setChecked(True)
    page.prices_include_vat.setChecked(False)
    page.promptpay_id.setText("081-234-5678")
    page.order_prefix.setText("dg")
    page.save_profile.click()
    await until(lambda: page.feedback.tone is not None)

    assert dialogs == []
    assert page.feedback.tone is Tone.OK
    prof = ctx.ops.read_now(shop.get_profile)
    assert (prof.name, prof.name_en, prof.phone, prof.email) == (
        "ร้านป้าแดง",
        "Auntie Daeng",
        "053-111-222",
        "daeng@example.co.th",
    )
    assert prof.address == "12 ถนนนิมมานเหมินท์ เชียงใหม่ 50200"
    assert (prof.tax_id, prof.branch_code, prof.branch_name) == (tax_id, "00001", "นิมมาน")
    assert (prof.vat_registered, prof.prices_include_vat) == (True, False)
    assert (prof.promptpay_id, prof.order_prefix) == ("0812345678", "DG")
    assert page.order_prefix.text() == "DG"  # the form shows what was stored
    assert not page.qr_image.pixmap().isNull()  # the PromptPay QR preview
    audit = ctx.ops.read_now(shop.audit_log, entity="shop")
    assert audit[0].action == "shop.update" and audit[0].changes["order_prefix"][1] == "DG"


async def test_bad_tax_id_shows_the_error_and_keeps_what_was_typed(
    make_ctx: Callable[..., AppContext], screen_for: Any, dialogs: list[Any]
) -> None:
    """A tax ID with a wrong check digit: a Thai message, nothing stored, the form intact."""
    ctx = make_ctx()
    page = screen_for(ctx).profile
    good = _tax_id("010555812345")
    bad = good[:12] + str((int(good[12]) + 1) % 10)
    page.name.setText("ร้านป้าแดง")
    page.tax_id.setText(bad)
    assert page.tax_hint.text() == "เลขตรวจสอบไม่ตรง"
    page.save_profile.click()
    await until(lambda: page.feedback.tone is not None)

    text = "เลขประจำตัวผู้เสียภาษีไม่ถูกต้อง (ต้องมี 13 หลักและเลขตรวจสอบถูกต้อง)"
    assert dialogs == [("กรุณาตรวจสอบ", text)]
    assert page.feedback.tone is Tone.ERROR and page.feedback.text() == text
    assert (page.tax_id.text(), page.name.text()) == (bad, "ร้านป้าแดง")
    prof = ctx.ops.read_now(shop.get_profile)
    assert (prof.tax_id, prof.name) == ("", "")


async def test_bank_account_and_vat_rate_are_added(
    make_ctx: Callable[..., AppContext], screen_for: Any, dialogs: list[Any]
) -> None:
    """Bank accounts are added and removed, VAT rates set with their start date."""
    ctx = make_ctx()
    page = screen_for(ctx).profile
    page.bank_name.setCurrentText("ธนาคารกสิกรไทย")
    page.bank_account_name.setText("นางแดง ใจดี")
    page.bank_number.setText("123-4-56789-0")
    assert await page.add_bank_now()
    accounts = ctx.ops.read_now(shop.get_profile).bank_accounts
    assert [(a.bank, a.account_number) for a in accounts] == [("ธนาคารกสิกรไทย", "123-4-56789-0")]
    assert page.banks.rowCount() == 1 and page.banks.item(0, 2).text() == "123-4-56789-0"
    assert await page.remove_bank_now(accounts[0].id)
    assert ctx.ops.read_now(shop.get_profile).bank_accounts == ()

    page.vat_rate.setText("10")
    page.vat_from.setDate(dt.date(2027, 10, 1))
    page.vat_note.setText("สิ้นสุดอัตราลด")
    assert await page.set_vat_now()
    assert (dt.date(2027, 10, 1), 1000, "สิ้นสุดอัตราลด") in ctx.ops.read_now(shop.vat_rates)
    actions = [e.action for e in ctx.ops.read_now(shop.audit_log)]
    assert actions[:3] == ["vat.set", "bank.remove", "bank.add"]
    assert page.audit.rowCount() == 3
    assert page.audit.item(0, 2).text() == "ตั้งอัตรา VAT"
    assert dialogs == []


async def test_secrets_go_to_the_keyring_only(
    make_ctx: Callable[..., AppContext],
    screen_for: Any,
    dialogs: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Shop token, LINE credentials and an AI key: in the keyring, not in SQLite, QSettings
    or the log."""
    caplog.set_level(logging.DEBUG)
    ctx = make_ctx()
    screen = screen_for(ctx)
    values = {
        RELAY_TOKEN: "relay-tok-8f3a91c2d7e4b605",
        LINE_SECRET: "line-secret-5b7c9e1f3a2d4c6e",
        LINE_TOKEN: "line-token-AbCdEf0123456789xyz",
        ai_key("openrouter"): "sk-or-v1-7d1e2f3a4b5c6d7e8f9a",
    }
    screen.relay.url.setText("https://relay.example.com/")
    screen.relay.token.setText(values[RELAY_TOKEN])
    assert screen.relay.save_now()
    screen.line.secret.setText(values[LINE_SECRET])
    screen.line.token.setText(values[LINE_TOKEN])
    assert not await screen.line.save_now()  # offline: stored, pushed on the next connection
    assert screen.line.feedback.tone is Tone.INFO
    ai = screen.bot  # the AI provider, model, key and brand voice are on the bot page
    ai.provider.setCurrentIndex(ai.provider.findData("openrouter"))
    ai.model.setText("meta-llama/llama-3.1-8b-instruct")
    ai.key.setText(values[ai_key("openrouter")])
    ai.brand_voice.setPlainText("สุภาพ เป็นกันเอง")
    assert await ai.save_now()

    for name, value in values.items():
        assert ctx.secrets.get(name) == value
    assert ctx.settings.value("relay/url") == "https://relay.example.com"
    assert ctx.ops.read_now(shop.get_setting, "ai.provider") == "openrouter"
    assert ctx.ops.read_now(shop.get_setting, "line.pending_push") == "set"
    ctx.settings.sync()
    db_path = paths.database_path(ctx.data_dir)
    stored = b"".join(
        f.read_bytes()
        for f in (
            db_path,
            Path(f"{db_path}-wal"),
            Path(f"{db_path}-shm"),
            ctx.data_dir / "desktop.ini",
        )
        if f.exists()
    )
    assert Path(f"{db_path}-wal").exists()  # the writes above are (at least) in the WAL
    assert b"relay.example.com" in stored  # the non-secret setting is there
    for value in values.values():
        assert value.encode() not in stored
        assert value not in caplog.text
    # The masked fields show dots until "show" is pressed.
    assert screen.line.secret.edit.displayText() != values[LINE_SECRET]
    screen.line.secret.toggle.click()
    assert screen.line.secret.edit.displayText() == values[LINE_SECRET]
    assert dialogs == []


async def test_bad_relay_address_is_refused_and_kept(
    make_ctx: Callable[..., AppContext], screen_for: Any, dialogs: list[Any]
) -> None:
    ctx = make_ctx()
    page = screen_for(ctx).relay
    page.url.setText("relay.example.com")
    page.token.setText("tok-123")
    assert not page.save_now()
    assert dialogs == [("กรุณาตรวจสอบ", "ที่อยู่รีเลย์ต้องขึ้นต้นด้วย https:// (หรือ http://)")]
    assert page.url.text() == "relay.example.com" and page.token.text() == "tok-123"
    assert ctx.secrets.get(RELAY_TOKEN) is None
    assert ctx.settings.value("relay/url") is None


async def test_ai_keys_typed_for_two_providers_are_both_kept(
    make_ctx: Callable[..., AppContext], screen_for: Any, dialogs: list[Any]
) -> None:
    """Switching provider does not lose a key typed for the previous one."""
    ctx = make_ctx()
    ai = screen_for(ctx).bot
    ai.provider.setCurrentIndex(ai.provider.findData("groq"))
    ai.key.setText("gsk_first")
    ai.provider.setCurrentIndex(ai.provider.findData("anthropic"))
    assert ai.key.text() == ""
    ai.provider.setCurrentIndex(ai.provider.findData("groq"))
    assert ai.key.text() == "gsk_first"  # typed, not saved yet: still there
    ai.provider.setCurrentIndex(ai.provider.findData("anthropic"))
    ai.key.setText("sk-ant-second")
    assert await ai.save_now()
    assert ctx.secrets.get(ai_key("groq")) == "gsk_first"
    assert ctx.secrets.get(ai_key("anthropic")) == "sk-ant-second"
    ai.provider.setCurrentIndex(ai.provider.findData("groq"))
    assert ai.key.text() == ""  # saved keys are never shown again, only that one is kept
    assert ai.keys.saved == {"groq": True, "anthropic": True}


async def test_widget_preview_follows_colour_and_position(
    make_ctx: Callable[..., AppContext], screen_for: Any
) -> None:
    """The drawn launcher takes the typed colour at once, and moves with the position."""
    ctx = make_ctx()
    screen = screen_for(ctx)
    screen.show_page(SettingsScreen.ORDER.index("widget"))
    screen.show()
    page = screen.widget
    preview = page.preview

    def launcher_pixel() -> QColor:
        image = preview.grab().toImage()
        return QColor(image.pixel(preview.colour_point()))

    assert launcher_pixel().name().upper() == "#06C755"
    page.color.setText("#E4572E")
    assert launcher_pixel().name().upper() == "#E4572E"
    page.color.setText("#E457")  # half typed: the last good colour stays
    assert launcher_pixel().name().upper() == "#E4572E"
    right = preview.launcher_rect().center().x()
    page.position.setCurrentIndex(page.position.findData("left"))
    assert preview.launcher_rect().center().x() < right
    assert launcher_pixel().name().upper() == "#E4572E"
    page.welcome_th.setPlainText("สวัสดีค่ะ ร้านป้าแดงยินดีต้อนรับ")
    assert preview.welcome_text() == "สวัสดีค่ะ ร้านป้าแดงยินดีต้อนรับ"


async def test_widget_save_rejects_a_bad_origin_and_keeps_the_form(
    make_ctx: Callable[..., AppContext], screen_for: Any, dialogs: list[Any]
) -> None:
    ctx = make_ctx()
    page = screen_for(ctx).widget
    page.origins.setPlainText("https://shop.example/path")
    assert not await page.save_now()
    assert dialogs and "https://myshop.co.th" in dialogs[0][1]
    assert page.origins.toPlainText() == "https://shop.example/path"
    assert ctx.ops.read_now(shop.get_setting, "widget.config") is None


async def test_canned_responses_add_edit_delete(
    make_ctx: Callable[..., AppContext], screen_for: Any, dialogs: list[Any]
) -> None:
    """Canned responses are added, edited and deleted through the domain; placeholders are
    chips named in Thai, typed around and deleted whole, and stored as {name}."""
    ctx = make_ctx()
    page = screen_for(ctx).chat
    assert page.canned.count() == 0
    page.on_new_canned()
    page.canned_title.setText("แจ้งยอด")
    page.canned_text.insertPlainText("ยอดชำระ ")  # Thai arrives through the input method
    page.fields.buttons["total"].click()
    assert page.fields.buttons["total"].text() == "+ ยอดรวม"
    QTest.keyClicks(page.canned_text, " {promo}")  # typed right after the chip
    page.save_canned.click()
    await until(lambda: page.feedback.tone is not None)
    assert [(c.title, c.text) for c in ctx.ops.read_now(convs.list_canned)] == [
        ("แจ้งยอด", "ยอดชำระ {total} {{promo}}")
    ]
    assert page.canned.currentItem().text() == "แจ้งยอด"
    # what the owner sees: the chip's name, never the code
    assert "{total}" not in page.canned_text.toPlainText()

    page.canned_text.moveCursor(QTextCursor.MoveOperation.End)
    for _ in range(len(" {promo}")):
        QTest.keyClick(page.canned_text, Qt.Key.Key_Backspace)
    QTest.keyClick(page.canned_text, Qt.Key.Key_Backspace)  # the chip, whole
    page.fields.buttons["order_number"].click()
    assert await page.save_canned_now()
    (saved,) = ctx.ops.read_now(convs.list_canned)
    assert saved.text == "ยอดชำระ {order_number}"

    # a name in braces that is no placeholder (an older text's typo) shows as it reads and is
    # kept as text, never sent as an empty gap
    page.canned_text.set_template("สวัสดี {nickname} {customer_name}")
    assert await page.save_canned_now()
    (saved,) = ctx.ops.read_now(convs.list_canned)
    assert saved.text == "สวัสดี {{nickname}} {customer_name}"

    page.on_delete_canned()
    await until(lambda: not ctx.ops.read_now(convs.list_canned))
    await until(lambda: page.canned.count() == 0)


async def test_bot_mode_and_passive_keywords_are_saved(
    make_ctx: Callable[..., AppContext], screen_for: Any
) -> None:
    ctx = make_ctx()
    page = screen_for(ctx).bot  # the one page for the bot (the canned page has none of it)
    page.mode.setCurrentIndex(page.mode.findData("passive"))
    page.keywords.setText(" ส่งไหม, โปร ,, ส่งไหม ")
    assert await page.save_now()
    assert ctx.ops.read_now(convs.default_bot_mode) is BotMode.PASSIVE
    assert ctx.ops.read_now(shop.get_setting, convs.PASSIVE_KEYWORDS_KEY) == ["ส่งไหม", "โปร"]
    assert page.keywords.text() == "ส่งไหม, โปร"


async def test_language_switch_retranslates_and_is_remembered(
    make_ctx: Callable[..., AppContext], screen_for: Any
) -> None:
    """Choosing English retranslates visible labels at once; Thai brings them back."""
    ctx = make_ctx()
    screen = screen_for(ctx)
    screen.show()
    page = screen.notifications
    assert screen.profile.title.text() == "ข้อมูลร้าน"
    assert (
        screen.nav.item(SettingsScreen.ORDER.index("notifications")).text() == "การแจ้งเตือนและภาษา"
    )
    page.language.setCurrentIndex(page.language.findData("en"))
    await until(lambda: screen.profile.title.text() == "Shop profile")
    assert i18n.current_language() == "en"
    assert ctx.settings.value("ui/language") == "en"
    assert (
        screen.nav.item(SettingsScreen.ORDER.index("notifications")).text()
        == "Notifications and language"
    )
    assert screen.profile.labels["tax_id"].text() == "Tax ID (13 digits)"
    page.language.setCurrentIndex(page.language.findData("th"))
    await until(lambda: screen.profile.title.text() == "ข้อมูลร้าน")
    assert screen.profile.labels["tax_id"].text() == "เลขผู้เสียภาษี (13 หลัก)"
    assert ctx.settings.value("ui/language") == "th"

    page.sound.setChecked(False)
    assert ctx.settings.value("notify/sound", type=bool) is False


def test_every_settings_string_has_thai() -> None:
    """Each tr("…")/t("…") in the settings modules has a Thai entry."""
    missing = []
    for path in sorted(UI.glob("settings*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            arg = node.args[0]
            if name in ("tr", "t") and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if arg.value not in THAI:
                    missing.append(f"{path.name}: {arg.value}")
    assert missing == []


# ---------------------------------------------------------------------------- real relay


Linked = Callable[
    [],
    contextlib.AbstractAsyncContextManager[tuple[AppContext, SettingsScreen, Callable[[], None]]],
]


@pytest.fixture
def linked(relay: tuple[Relay, str, str], make_ctx: Callable[..., AppContext]) -> Linked:
    """A settings screen whose RelayClient points at the real relay (``start()`` connects).

    Used as ``async with linked() as (ctx, screen, start)`` so that the client stops inside
    the test's event loop: pytest-qt processes Qt events after the test, when no loop runs,
    and the client's tasks must not wake up then."""
    r, _shop_id, token = relay

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[tuple[AppContext, SettingsScreen, Callable[[], None]]]:
        ctx = make_ctx()
        ctx.secrets.set(RELAY_TOKEN, token)
        ctx.settings.setValue("relay/url", r.url)
        client = start_relay_link(ctx, backoff_base=0.05)  # as the app does
        screen = SettingsScreen(ctx)  # deleted below, not by pytest-qt
        tasks: list[asyncio.Future[None]] = []

        def start() -> None:
            tasks.append(asyncio.ensure_future(client.run()))

        try:
            yield ctx, screen, start
        finally:
            await client.stop()
            for task in tasks:
                await asyncio.wait_for(task, 10)
            # Let the screen's async slots that are still running finish in the loop.
            await asyncio.sleep(0.2)
            _delete(screen)
            ctx.relay = None  # the client's token lambda holds ctx: break the cycle
            gc.collect()  # here, on the GUI thread (see _delete)

    return session


async def _served_config(relay: Relay, shop_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        res = await http.get(f"{relay.url}/widget/{shop_id}/config")
    res.raise_for_status()
    return dict(res.json()["config"])


async def test_widget_config_is_pushed_to_the_relay(
    relay: tuple[Relay, str, str], linked: Linked, dialogs: list[Any]
) -> None:
    """Saved while online: the relay serves the new look at once."""
    r, shop_id, _ = relay
    async with linked() as (ctx, screen, start):
        start()
        await until(lambda: ctx.relay.online, 10)
        assert screen.relay.state.text() == "ออนไลน์"
        assert screen.relay.shop_info.text() == f"ร้านทดสอบ ({shop_id})"
        page = screen.widget
        page.shop_name.setText("ร้านป้าแดง")
        page.color.setText("#e4572e")
        page.position.setCurrentIndex(page.position.findData("left"))
        page.welcome_th.setPlainText("สวัสดีค่ะ ร้านป้าแดงยินดีต้อนรับ")
        page.origins.setPlainText("https://daeng.example\nhttps://www.daeng.example/")
        page.save.click()
        await until(lambda: page.feedback.tone is not None)
        assert page.feedback.tone is Tone.OK, page.feedback.text()

        async def served() -> dict[str, Any]:
            while True:
                config = await _served_config(r, shop_id)
                if config["color"] == "#E4572E":
                    return config
                await asyncio.sleep(0.05)

        config = await asyncio.wait_for(served(), 5)
        assert (config["shop_name"], config["position"], config["welcome_th"]) == (
            "ร้านป้าแดง",
            "left",
            "สวัสดีค่ะ ร้านป้าแดงยินดีต้อนรับ",
        )
        stored = ctx.ops.read_now(shop.get_setting, "widget.config")
        assert p.WidgetConfig.from_obj(stored) == p.WidgetConfig.from_obj(config)
        assert ctx.ops.read_now(shop.get_setting, "widget.allowed_origins") == [
            "https://daeng.example",
            "https://www.daeng.example",
        ]
        # The relay now has the same origins: the next welcome says so.
        welcomes: list[p.DesktopWelcome] = []
        ctx.signals.welcomed_sig.connect(welcomes.append)
        ctx.relay.reconfigure()
        await until(lambda: bool(welcomes), 10)
        assert set(welcomes[0].allowed_origins) == {
            "https://daeng.example",
            "https://www.daeng.example",
        }
        assert dialogs == []


async def test_a_replaced_link_waits_for_save_and_reconnect(
    relay: tuple[Relay, str, str], linked: Linked, dialogs: list[Any]
) -> None:
    """Another MiniChat takes the shop's link (4000): this one says so, with how to take it
    back, and stays offline; "Save and reconnect" takes the link back."""
    import websockets

    r, _shop_id, token = relay
    async with linked() as (ctx, screen, start):
        start()
        await until(lambda: ctx.relay.online, 10)
        other = await websockets.connect(
            f"{r.ws}/ws/desktop", additional_headers={"Authorization": f"Bearer {token}"}
        )
        await other.send(p.encode(p.DesktopHello((1,), "other MiniChat")))
        assert isinstance(p.decode_to_desktop(await other.recv()), p.DesktopWelcome)
        page = screen.relay
        await until(lambda: "MiniChat อีกเครื่อง" in page.state.text(), 10)
        assert page.state.text() == (
            "ออฟไลน์ — มี MiniChat อีกเครื่องเชื่อมต่อร้านนี้อยู่ หากจะใช้เครื่องนี้ กด บันทึกและเชื่อมต่อใหม่"
        )
        assert ctx.relay.status.retry_in == 0  # no timer: it waits for the owner
        page.save.click()
        await until(lambda: ctx.relay.online, 10)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(other.recv(), 10)
        assert other.close_code == 4000
        assert dialogs == []


async def test_widget_config_saved_offline_is_pushed_on_reconnect(
    relay: tuple[Relay, str, str], linked: Linked, dialogs: list[Any]
) -> None:
    """Saved while offline: the screen says so, and the next welcome gets it to the relay."""
    r, shop_id, _ = relay
    async with linked() as (_ctx, screen, start):
        page = screen.widget
        page.color.setText("#1E88E5")
        page.away_th.setPlainText("ร้านปิดแล้วค่ะ ฝากเบอร์ไว้นะคะ")
        assert await page.save_now()
        assert page.feedback.tone is Tone.INFO
        assert "ออฟไลน์" in page.feedback.text()
        assert (await _served_config(r, shop_id))["color"] != "#1E88E5"

        start()

        async def served() -> dict[str, Any]:
            while True:
                config = await _served_config(r, shop_id)
                if config["color"] == "#1E88E5":
                    return config
                await asyncio.sleep(0.05)

        config = await asyncio.wait_for(served(), 10)
        assert config["away_th"] == "ร้านปิดแล้วค่ะ ฝากเบอร์ไว้นะคะ"
        await until(lambda: page.feedback.tone is Tone.OK)
        assert dialogs == []


async def test_line_credentials_reach_the_relay_and_show_the_webhook(
    relay: tuple[Relay, str, str], linked: Linked, dialogs: list[Any]
) -> None:
    """Saved LINE credentials configure LINE on the relay; the webhook URL names the shop."""
    r, shop_id, _ = relay
    async with linked() as (ctx, screen, start):
        page = screen.line
        start()
        await until(lambda: ctx.relay.online, 10)
        assert page.line_configured is False
        assert page.webhook.text() == f"{r.url}/line/{shop_id}/webhook"
        page.secret.setText("0123456789abcdef0123456789abcdef")
        page.token.setText("line-access-token-for-the-test")
        assert await page.save_now()
        welcomes: list[p.DesktopWelcome] = []
        ctx.signals.welcomed_sig.connect(welcomes.append)
        ctx.relay.reconfigure()
        await until(lambda: bool(welcomes), 10)
        assert welcomes[0].line_configured is True
        assert page.configured.text() == "เชื่อมต่อแล้ว"

        assert await page.disconnect_now()
        assert ctx.secrets.get(LINE_SECRET) is None and ctx.secrets.get(LINE_TOKEN) is None
        welcomes.clear()
        ctx.relay.reconfigure()
        await until(lambda: bool(welcomes), 10)
        assert welcomes[0].line_configured is False
        assert dialogs == []


async def test_line_credentials_saved_offline_are_pushed_on_connect(
    relay: tuple[Relay, str, str], linked: Linked, dialogs: list[Any]
) -> None:
    """Saved with no relay link: pushed with the next welcome, then forgotten as pending."""
    async with linked() as (ctx, screen, start):
        page = screen.line
        page.secret.setText("0123456789abcdef0123456789abcdef")
        page.token.setText("line-access-token-for-the-test")
        assert not await page.save_now()
        assert page.feedback.tone is Tone.INFO
        welcomes: list[p.DesktopWelcome] = []
        ctx.signals.welcomed_sig.connect(welcomes.append)
        start()
        await until(lambda: ctx.ops.read_now(shop.get_setting, "line.pending_push") is None, 10)
        assert welcomes[0].line_configured is False  # the first welcome came before the push
        ctx.relay.reconfigure()
        await until(lambda: len(welcomes) == 2, 10)
        assert welcomes[1].line_configured is True
        assert page.configured.text() == "เชื่อมต่อแล้ว"
        assert dialogs == []


async def test_line_quota_is_shown(make_ctx: Callable[..., AppContext], screen_for: Any) -> None:
    """The push quota the relay reports is shown, and flagged when used up."""
    ctx = make_ctx()
    page = screen_for(ctx).line
    ctx.signals.line_quota(p.LineQuota("2026-11", 1200, 5000, False))
    assert page.quota.text() == "ใช้ไป 1,200 จาก 5,000 (2026-11)"
    ctx.signals.line_quota(p.LineQuota("2026-11", 5000, 5000, True))
    assert page.quota.text().startswith("ใช้ไป 5,000 จาก 5,000 (2026-11) — โควตาหมดแล้ว")
    ctx.signals.line_quota(p.LineQuota("2026-11", 7, None, False))
    assert page.quota.text() == "ใช้ไป 7 จาก ไม่จำกัด (2026-11)"
