"""Settings → Sales bot on a real database, the in-memory keyring and, for the connection test,
a local server that speaks Ollama's NDJSON chat stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from support.boxes import Boxes

from minichat_desktop.ai import config as ai_config
from minichat_desktop.ai.providers import Provider
from minichat_desktop.domain import shop
from minichat_desktop.domain.bot import cart, context, engine
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import BotMode
from minichat_desktop.secrets import ai_key
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.settings_bot import BotPage
from minichat_desktop.ui.settings_common import Tone
from minichat_desktop.ui.settings_screen import SettingsScreen

SECRET = "sk-or-v1-THIS-KEY-MUST-NEVER-BE-IN-SQLITE-4242"


@pytest.fixture
def dialogs(qapp: Any) -> Iterator[list[tuple[str, str]]]:
    """The warning and crash boxes shown (each closed as a person would); questions are
    answered Yes."""
    boxes = Boxes().start()
    yield boxes.shown
    boxes.stop()


@pytest.fixture
def page_for(qtbot: Any) -> Iterator[Callable[[AppContext], BotPage]]:
    def make(ctx: AppContext) -> BotPage:
        page = BotPage(ctx)
        qtbot.addWidget(page)
        page.resize(1000, 1500)
        return page

    yield make


def _db_bytes(ctx: AppContext) -> bytes:
    path = Path(ctx.ops.db.path)
    data = path.read_bytes()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if extra.exists():
            data += extra.read_bytes()
    return data


def _row(page: BotPage, code: str) -> int:
    return next(r for r, m in enumerate(page.methods) if m.code == code)


async def test_loads_changes_saves_and_reloads(
    make_ctx: Callable[..., AppContext], page_for: Any, dialogs: list[Any]
) -> None:
    """Every field goes to its domain setting in one save, and a fresh page shows it back;
    the API key goes to the keyring only, never into the database file."""
    ctx = make_ctx()
    page = page_for(ctx)
    assert not page.enabled.isChecked()
    assert page.ttl.value() == 30
    assert page.methods == list(cart.DEFAULT_SHIPPING.methods)
    assert page.method_fee[_row(page, "kerry")].text() == "50.00"
    assert page.free_over.text() == "1,000.00"
    assert page.key_state.text() == "ไม่ใช้ AI จึงไม่ต้องมีคีย์"

    page.enabled.setChecked(True)
    page.mode.setCurrentIndex(page.mode.findData("passive"))
    page.keywords.setText(" ส่งไหม, โปร ,, ส่งไหม ")
    page.ttl.setValue(90)
    page.provider.setCurrentIndex(page.provider.findData("openrouter"))
    assert page.key_state.text() == "ยังไม่ได้บันทึกคีย์"
    page.model.setText("openai/gpt-4o-mini")
    page.timeout.setValue(20)
    page.brand_voice.setPlainText("ร่าเริง ลงท้ายด้วย ค่า")
    page.key.setText(SECRET)
    page.method_fee[_row(page, "kerry")].setText("฿55")
    page.method_on[_row(page, "jt")].setChecked(False)
    page.free_over.setText("")
    page.cod_fee.setText("25.50")
    page.default_method.setCurrentIndex(page.default_method.findData("flash"))
    assert page.default_method.findData("jt") == -1  # switched off: not suggested

    assert await page.save_now(), page.feedback.text()
    assert page.feedback.tone is Tone.OK
    assert page.feedback.text() == "บันทึกแล้ว บอทเริ่มตอบลูกค้าแล้ว"
    assert page.feedback.status_tone == "ok"  # drawn with the check icon
    assert dialogs == []

    assert ctx.ops.read_now(engine.bot_enabled) is True
    assert ctx.ops.read_now(convs.default_bot_mode) is BotMode.PASSIVE
    assert ctx.ops.read_now(shop.get_setting, convs.PASSIVE_KEYWORDS_KEY) == ["ส่งไหม", "โปร"]
    assert ctx.ops.read_now(context.ttl_minutes) == 90
    config = ctx.ops.read_now(ai_config.load_config)
    assert config is not None
    assert (config.provider, config.model, config.timeout, config.brand_voice) == (
        Provider.OPENROUTER,
        "openai/gpt-4o-mini",
        20.0,
        "ร่าเริง ลงท้ายด้วย ค่า",
    )
    rules = ctx.ops.read_now(cart.shipping_rules)
    assert rules.method("kerry") is not None and rules.method("kerry").fee_satang == 5500
    assert rules.method("jt") is None
    assert (rules.free_over_satang, rules.cod_fee_satang, rules.default_method) == (
        None,
        2550,
        "flash",
    )

    assert ctx.secrets.get(ai_key("openrouter")) == SECRET
    assert page.key.text() == ""  # the key is not kept on screen after saving
    assert page.key_state.text() == "มีคีย์บันทึกไว้ในที่เก็บรหัสผ่านของระบบแล้ว"
    assert SECRET.encode() not in _db_bytes(ctx)

    again = page_for(ctx)
    assert again.enabled.isChecked()
    assert again.mode.currentData() == "passive"
    assert again.keywords.text() == "ส่งไหม, โปร"
    assert again.ttl.value() == 90
    assert again.provider.currentData() == "openrouter"
    assert (again.model.text(), again.timeout.value()) == ("openai/gpt-4o-mini", 20)
    assert again.key.text() == ""
    assert again.key_state.text() == "มีคีย์บันทึกไว้ในที่เก็บรหัสผ่านของระบบแล้ว"
    assert again.method_fee[_row(again, "kerry")].text() == "55.00"
    assert not again.method_on[_row(again, "jt")].isChecked()
    assert again.free_over.text() == ""
    assert again.cod_fee.text() == "25.50"
    assert again.default_method.currentData() == "flash"

    assert again.remove_key_now()
    assert ctx.secrets.get(ai_key("openrouter")) is None
    assert again.key_state.text() == "ยังไม่ได้บันทึกคีย์"


async def test_a_bad_baht_amount_is_named_in_thai_and_nothing_is_stored(
    make_ctx: Callable[..., AppContext], page_for: Any, dialogs: list[Any]
) -> None:
    """A fee that is not an amount stops the whole save with a Thai message naming the field;
    the switch typed alongside it is not stored either, and the typed text stays."""
    ctx = make_ctx()
    page = page_for(ctx)
    page.enabled.setChecked(True)
    page.method_fee[_row(page, "kerry")].setText("ห้าสิบ")
    assert not await page.save_now()
    expected = "ค่าส่งKerry Express: " + "ใส่จำนวนเงิน เช่น 1,250.00"
    assert page.feedback.tone is Tone.ERROR
    assert page.feedback.text() == expected
    assert dialogs == [("กรุณาตรวจสอบ", expected)]
    assert page.method_fee[_row(page, "kerry")].text() == "ห้าสิบ"
    assert ctx.ops.read_now(engine.bot_enabled) is False
    assert ctx.ops.read_now(shop.get_setting, cart.SHIPPING_KEY) is None

    page.method_fee[_row(page, "kerry")].setText("50")
    page.cod_fee.setText("12.345")
    assert not await page.save_now()
    assert page.feedback.text() == "ค่าบริการเก็บเงินปลายทาง: ทศนิยมไม่เกิน 2 ตำแหน่ง (สตางค์)"


async def test_a_domain_refusal_is_shown_in_thai(
    make_ctx: Callable[..., AppContext], page_for: Any, dialogs: list[Any]
) -> None:
    """Switching every shipping method off is refused by the domain, in Thai."""
    ctx = make_ctx()
    page = page_for(ctx)
    for on in page.method_on:
        on.setChecked(False)
    assert not await page.save_now()
    assert page.feedback.text() == "ต้องเปิดให้เลือกวิธีส่งอย่างน้อยหนึ่งวิธี"
    assert ctx.ops.read_now(shop.get_setting, cart.SHIPPING_KEY) is None


async def test_discount_codes_are_added_listed_and_switched_off(
    make_ctx: Callable[..., AppContext], page_for: Any, dialogs: list[Any]
) -> None:
    ctx = make_ctx()
    page = page_for(ctx)
    assert page.disc_table.rowCount() == 0
    page.code.setText("new year 10")
    page.kind.setCurrentIndex(page.kind.findData("percent"))
    page.value.setText("12.5")
    page.min_order.setText("500")
    page.max_uses.setValue(100)
    assert await page.add_code_now(), page.feedback.text()
    assert page.feedback.text() == "บันทึกโค้ดส่วนลด NEWYEAR10 แล้ว"
    assert page.feedback.status_tone == "ok"  # drawn with the check icon

    page.code.setText("LESS50")
    page.kind.setCurrentIndex(page.kind.findData("fixed"))
    page.value.setText("50")
    assert await page.add_code_now()

    page.code.setText("BAD")
    page.value.setText("1.234")
    assert not await page.add_code_now()
    assert page.feedback.text() == "ส่วนลด: ทศนิยมไม่เกิน 2 ตำแหน่ง (สตางค์)"
    page.kind.setCurrentIndex(page.kind.findData("percent"))
    page.value.setText("150")
    assert not await page.add_code_now()
    assert page.feedback.text().startswith("ส่วนลดแบบเปอร์เซ็นต์ต้องอยู่ระหว่าง 0.01 ถึง 100")

    codes = {d.code: d for d in ctx.ops.read_now(cart.list_discount_codes)}
    assert set(codes) == {"NEWYEAR10", "LESS50"}
    assert (codes["NEWYEAR10"].kind, codes["NEWYEAR10"].value) == ("percent", 1250)
    assert codes["NEWYEAR10"].min_subtotal_satang == 50_000
    assert codes["NEWYEAR10"].max_uses == 100
    assert (codes["LESS50"].kind, codes["LESS50"].value, codes["LESS50"].max_uses) == (
        "fixed",
        5000,
        None,
    )
    table = [
        [page.disc_table.item(r, c).text() for c in range(5)]
        for r in range(page.disc_table.rowCount())
    ]
    assert table == [
        ["LESS50", "฿50.00", "—", "0", "เปิด"],
        ["NEWYEAR10", "12.5 %", "฿500.00", "0 จาก 100", "เปิด"],
    ]

    page.disc_table.selectRow(1)
    assert page.toggle_code.text() == "ปิดใช้โค้ดนี้"
    assert await page.set_code_active("NEWYEAR10", False)
    (off,) = [d for d in ctx.ops.read_now(cart.list_discount_codes) if d.code == "NEWYEAR10"]
    assert off.active is False and off.value == 1250 and off.max_uses == 100
    assert page.disc_table.item(1, 4).text() == "ปิด"


# ---------------------------------------------------------------------------- connection test


class FakeOllama:
    """``POST /api/chat`` answering with Ollama's NDJSON stream (or a 404 for an unknown
    model, as Ollama does)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        if body["model"] != "qwen2.5:7b":
            return web.json_response(
                {"error": f"model '{body['model']}' not found, try pulling it first"}, status=404
            )
        res = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await res.prepare(request)
        for piece, done in (("O", False), ("K", False), ("", True)):
            obj = {"model": body["model"], "message": {"role": "assistant", "content": piece}}
            obj["done"] = done
            await res.write((json.dumps(obj) + "\n").encode())
        await res.write_eof()
        return res


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    server = FakeOllama()
    app = web.Application()
    app.router.add_post("/api/chat", server.handle)
    server.runner = web.AppRunner(app)
    await server.runner.setup()
    site = web.TCPSite(server.runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await server.runner.cleanup()


async def test_connection_test_reports_in_thai(
    make_ctx: Callable[..., AppContext], page_for: Any, ollama: FakeOllama, dialogs: list[Any]
) -> None:
    """The test asks the provider with the form's values (unsaved) and says what came back."""
    ctx = make_ctx()
    page = page_for(ctx)
    page.provider.setCurrentIndex(page.provider.findData("ollama"))
    page.base_url.setText(ollama.url)
    page.model.setText("qwen2.5:7b")
    assert await page.test_now()
    assert page.test_result.text() == "เชื่อมต่อได้: qwen2.5:7b ตอบว่า “OK”"
    assert page.test_result.status_tone == "ok"  # drawn with the check icon
    assert ollama.bodies[0]["model"] == "qwen2.5:7b"
    assert page.test_button.isEnabled()

    page.model.setText("no-such-model")
    assert not await page.test_now()
    assert page.test_result.text() == "ผู้ให้บริการไม่รับคำขอ ตรวจสอบชื่อโมเดล"
    assert ctx.ops.read_now(ai_config.load_config) is None  # nothing was saved
    assert dialogs == []


async def test_settings_screen_lists_printers_and_sales_bot(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx()
    screen = SettingsScreen(ctx)
    qtbot.addWidget(screen)
    names = [screen.nav.item(i).text() for i in range(screen.nav.count())]
    assert {"เครื่องพิมพ์", "บอทขายของและ AI"} <= set(names)
    assert "ผู้ช่วย AI" not in names  # one place for the AI settings: the bot page
    screen.show_page(names.index("บอทขายของและ AI"))
    assert screen.stack.currentWidget().widget() is screen.bot
