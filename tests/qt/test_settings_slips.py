"""Settings → Payment slips (the online slip check) on a real database, the in-memory keyring
and, for the connection test, the SlipOK and EasySlip stand-ins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from support.boxes import Boxes
from support.slip_services import FakeEasySlip, FakeSlipOK
from support.waiting import until

from minichat_desktop.app import slip_verify
from minichat_desktop.app.slip_verify import SlipCheckSettings
from minichat_desktop.secrets import slip_key
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.settings_common import Tone
from minichat_desktop.ui.settings_screen import SettingsScreen
from minichat_desktop.ui.settings_slips import SlipCheckPage

SECRET = "SLIPOK-KEY-THAT-MUST-NEVER-BE-IN-SQLITE-9090"
ES_SECRET = "0b3f9a2c-5d6e-4f70-8a91-b2c3d4e5f607"


@pytest.fixture
def dialogs(qapp: Any) -> Iterator[list[tuple[str, str]]]:
    boxes = Boxes().start()
    yield boxes.shown
    boxes.stop()


@pytest.fixture
def page_for(qtbot: Any) -> Iterator[Callable[[AppContext], SlipCheckPage]]:
    def make(ctx: AppContext) -> SlipCheckPage:
        page = SlipCheckPage(ctx)
        qtbot.addWidget(page)
        page.resize(1000, 900)
        return page

    yield make


@pytest.fixture
async def slipok() -> AsyncIterator[FakeSlipOK]:
    fake = FakeSlipOK(SECRET)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def easyslip() -> AsyncIterator[FakeEasySlip]:
    fake = FakeEasySlip(ES_SECRET)
    await fake.start()
    yield fake
    await fake.stop()


def _db_bytes(ctx: AppContext) -> bytes:
    path = Path(ctx.ops.db.path)
    data = path.read_bytes()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if extra.exists():
            data += extra.read_bytes()
    return data


async def test_off_by_default_then_saved_with_the_key_in_the_keyring_only(
    make_ctx: Callable[..., AppContext], page_for: Any, dialogs: list[Any]
) -> None:
    """The group starts off (no service, auto-confirm off); a saved key goes to the keyring,
    the field then shows only that one is saved, and the database file never holds it."""
    ctx = make_ctx()
    page = page_for(ctx)
    assert page.box.title() == "ตรวจสลิปออนไลน์"
    assert page.provider.currentData() == ""
    assert page.key_state.text() == "ไม่ได้ตรวจสลิปออนไลน์ จึงไม่ต้องมีคีย์"
    assert not page.auto_confirm.isChecked() and not page.auto_confirm.isEnabled()
    assert page.auto_confirm.text() == "ยืนยันรับชำระอัตโนมัติเมื่อตรวจผ่าน"

    page.provider.setCurrentIndex(page.provider.findData("slipok"))
    assert page.key_state.text() == "ยังไม่ได้บันทึกคีย์"
    assert page.branch.isEnabled()
    page.key.setText(SECRET)
    page.branch.setText(" 12345 ")
    page.auto_confirm.setChecked(True)
    assert await page.save_now(), page.feedback.text()
    assert page.feedback.tone is Tone.OK
    assert page.feedback.text() == "บันทึกแล้ว ระบบจะตรวจสลิปออนไลน์"
    assert page.feedback.status_tone == "ok"  # drawn with the check icon
    assert dialogs == []

    assert ctx.ops.read_now(slip_verify.load_settings) == SlipCheckSettings(
        provider="slipok", branch_id="12345", auto_confirm=True
    )
    assert ctx.secrets.get(slip_key("slipok")) == SECRET
    assert page.key.text() == ""
    assert page.key_state.text() == "มีคีย์บันทึกไว้ในที่เก็บรหัสผ่านของระบบแล้ว"
    assert page.key.edit.placeholderText() == "พิมพ์คีย์ใหม่เพื่อแทนคีย์เดิม"
    assert SECRET.encode() not in _db_bytes(ctx)

    again = page_for(ctx)
    assert (again.provider.currentData(), again.branch.text()) == ("slipok", "12345")
    assert again.auto_confirm.isChecked()
    assert again.key.text() == ""
    assert again.key_state.text() == "มีคีย์บันทึกไว้ในที่เก็บรหัสผ่านของระบบแล้ว"
    assert again.remove_key_now()
    assert ctx.secrets.get(slip_key("slipok")) is None
    assert again.key_state.text() == "ยังไม่ได้บันทึกคีย์"


async def test_slipok_without_a_branch_id_is_refused_in_thai_and_nothing_is_stored(
    make_ctx: Callable[..., AppContext], page_for: Any, dialogs: list[Any]
) -> None:
    ctx = make_ctx()
    page = page_for(ctx)
    page.provider.setCurrentIndex(page.provider.findData("slipok"))
    page.key.setText(SECRET)
    page.branch.setText("สาขา 1")
    assert not await page.save_now()
    box = page.message
    await until(lambda: not shiboken6.isValid(box))  # answered and deleted, as a person would
    expected = "SlipOK ต้องมีรหัสสาขา (ตัวเลข ดูได้ในเมนู SlipOK บน LINE)"
    assert page.feedback.tone is Tone.ERROR
    assert page.feedback.text() == expected
    assert dialogs == [("กรุณาตรวจสอบ", expected)]
    assert page.branch.text() == "สาขา 1"  # what was typed stays
    assert page.key.text() == SECRET
    assert ctx.ops.read_now(slip_verify.load_settings) == SlipCheckSettings()
    assert ctx.secrets.get(slip_key("slipok")) is None


async def test_connection_test_says_the_quota_or_why_not_in_thai(
    make_ctx: Callable[..., AppContext],
    page_for: Any,
    slipok: FakeSlipOK,
    easyslip: FakeEasySlip,
    dialogs: list[Any],
) -> None:
    """The test uses the form's values (unsaved) and the typed key; a refused key and an
    unreachable service are said in Thai; nothing is saved."""
    ctx = make_ctx()
    page = page_for(ctx)
    page.provider.setCurrentIndex(page.provider.findData("slipok"))
    page.branch.setText(slipok.branch)
    page.base_url.setText(slipok.base_url)
    page.key.setText(SECRET)
    assert await page.test_now()
    assert page.test_result.text() == "เชื่อมต่อได้แล้ว โควตาตรวจสลิปคงเหลือ: 100"
    assert page.test_result.status_tone == "ok"  # drawn with the check icon
    assert slipok.requests[0].headers["x-authorization"] == SECRET
    assert page.test_button.isEnabled()

    page.key.setText("wrong")
    assert not await page.test_now()
    assert page.test_result.text() == "ผู้ให้บริการตรวจสลิปไม่รับคีย์ API โปรดตรวจคีย์ในหน้าตั้งค่า"

    page.provider.setCurrentIndex(page.provider.findData("easyslip"))
    assert not page.branch.isEnabled()
    page.base_url.setText(easyslip.base_url)
    page.key.setText(ES_SECRET)
    assert await page.test_now()
    assert easyslip.requests[0].path == "/api/v1/me"

    page.base_url.setText("http://127.0.0.1:9")
    assert not await page.test_now()
    assert page.test_result.text() == ("ติดต่อผู้ให้บริการตรวจสลิปไม่ได้ ตรวจอินเทอร์เน็ตแล้วลองใหม่")
    assert ctx.ops.read_now(slip_verify.load_settings) == SlipCheckSettings()
    assert dialogs == []


async def test_the_settings_screen_lists_payment_slips(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    screen = SettingsScreen(make_ctx())
    qtbot.addWidget(screen)
    names = [screen.nav.item(i).text() for i in range(screen.nav.count())]
    assert names.index("สลิปโอนเงิน") == SettingsScreen.ORDER.index("slips")
    screen.show_page(names.index("สลิปโอนเงิน"))
    assert screen.stack.currentWidget().widget() is screen.slips
