"""Settings → Backups offscreen on a real database: the folder chosen in the real dialog, back up
now with progress, the recovery phrase, restore after seeing what a backup holds, and a
missing folder told, not skipped; and the app's daily backup."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtWidgets import QFileDialog, QMessageBox
from support.waiting import until

from minichat_desktop import paths
from minichat_desktop.domain import shop
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage import backups
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.app import back_up_when_due
from minichat_desktop.ui.context import AppContext, load_backup_state, save_backup_state
from minichat_desktop.ui.settings_backups import BackupsPage, RestoreDialog
from minichat_desktop.ui.settings_common import Tone
from minichat_desktop.ui.settings_screen import SettingsScreen


def fill(db: Database, n_orders: int) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(s, "owner", name="ร้านป้าแดง")
        catalog.save_product(
            s,
            catalog.ProductInput(sku="TS-1", name_th="เสื้อยืด", price_satang=25900, stock=100),
            "owner",
        )
    for _ in range(n_orders):
        place(db)


def place(db: Database) -> None:
    with db.write() as s:
        orders.place_order(
            s, orders.NewOrder(Channel.LINE, [orders.LineInput(quantity=1, sku="TS-1")]), "bot"
        )


def order_count(ctx: AppContext) -> int:
    return len(ctx.ops.read_now(orders.list_orders))


@pytest.fixture
def page_for(qtbot: Any) -> Iterator[Callable[[AppContext], BackupsPage]]:
    made: list[SettingsScreen] = []

    def make(ctx: AppContext) -> BackupsPage:
        screen = SettingsScreen(ctx)
        qtbot.addWidget(screen)
        screen.resize(1180, 820)
        made.append(screen)
        screen.show_page(SettingsScreen.ORDER.index("backups"))
        return screen.backups

    yield make
    for screen in made:
        if shiboken6.isValid(screen):
            shiboken6.delete(screen)
    gc.collect()


async def test_folder_chosen_then_back_up_now_with_progress(
    make_ctx: Callable[..., AppContext], page_for: Any, tmp_path: Path
) -> None:
    ctx = make_ctx()
    fill(ctx.ops.db, 2)
    page = page_for(ctx)
    assert "ยังไม่ได้เลือก" in page.folder_hint.text()
    usb = tmp_path / "usb"
    usb.mkdir()
    page.choose.click()
    await until(lambda: isinstance(page.dialog, QFileDialog))
    dialog = page.dialog
    dialog.setDirectory(str(usb))
    await until(lambda: dialog.selectedFiles() == [str(usb)])
    dialog.accept()
    await until(lambda: load_backup_state(ctx.settings).folder == usb.resolve())
    assert page.folder.text() == str(usb.resolve()) and page.folder_hint.text() == ""

    seen: list[int] = []
    page.progress.valueChanged.connect(seen.append)
    page.feedback.clear_message()
    page.now.click()
    await until(lambda: page.feedback.tone in (Tone.OK, Tone.ERROR), timeout=20)
    assert page.feedback.tone is Tone.OK, page.feedback.text()
    assert page.feedback.text() == "สำรองข้อมูลและตรวจสอบเรียบร้อยแล้ว"
    assert page.feedback.status_tone == "ok"  # drawn with the check icon
    assert seen and seen[-1] == 100 and page.progress.isHidden()
    state = load_backup_state(ctx.settings)
    [written] = usb.iterdir()
    assert state.last_verified and state.last_path == str(written)
    assert state.last_size == written.stat().st_size
    year_be = state.last_at.astimezone(backups.BANGKOK).year + 543  # type: ignore[union-attr]
    assert str(year_be) in page.last.text() and "ตรวจสอบแล้ว" in page.last.text()
    assert page.last.status_tone == "ok"  # drawn with the check icon


async def test_the_recovery_phrase_opens_this_computers_backups(
    make_ctx: Callable[..., AppContext], page_for: Any
) -> None:
    ctx = make_ctx(lang="en")
    page = page_for(ctx)
    assert page.show_phrase.text() == "Show recovery phrase"
    page.show_phrase.click()
    phrase = page.phrase.text()
    assert len(phrase.split("-")) == 14 and not page.phrase.isHidden()
    assert backups.key_from_phrase(phrase) == backups.load_key(ctx.secrets, create=False)
    assert page.show_phrase.text() == "Hide recovery phrase"
    page.show_phrase.click()
    assert page.phrase.text() == "" and page.phrase.isHidden()


async def test_restore_shows_what_the_backup_holds_and_asks_first(
    make_ctx: Callable[..., AppContext], page_for: Any, tmp_path: Path
) -> None:
    ctx = make_ctx()
    fill(ctx.ops.db, 3)
    usb = tmp_path / "usb"
    usb.mkdir()
    save_backup_state(ctx.settings, backups.BackupState(folder=usb))
    page = page_for(ctx)
    assert await page.back_up_now()
    place(ctx.ops.db)
    place(ctx.ops.db)
    assert order_count(ctx) == 5

    page.restore.click()
    await until(lambda: isinstance(page.dialog, RestoreDialog))
    picker = page.dialog
    assert picker.list.count() == 1
    assert "ร้านป้าแดง" in picker.details.text() and "ออเดอร์ 3 รายการ" in picker.details.text()
    picker.accept()
    await until(lambda: isinstance(page.dialog, QMessageBox))
    assert "ร้านป้าแดง" in page.dialog.text() and "เก็บแยกไว้ก่อน" in page.dialog.text()
    page.dialog.done(QMessageBox.StandardButton.Yes)
    await until(lambda: "กู้คืนข้อมูลแล้ว" in page.feedback.text(), timeout=20)
    assert order_count(ctx) == 3
    aside = list(paths.backups_dir(ctx.data_dir).glob("before-restore-*.sqlite3"))
    assert len(aside) == 1  # the data as it was (5 orders) is kept


async def test_a_wrong_phrase_in_the_restore_dialog_says_so(
    make_ctx: Callable[..., AppContext], page_for: Any, tmp_path: Path
) -> None:
    ctx = make_ctx()
    fill(ctx.ops.db, 1)
    usb = tmp_path / "usb"
    usb.mkdir()
    backups.make_backup(ctx.ops.db, usb, backups.new_key())  # another computer's backup
    save_backup_state(ctx.settings, backups.BackupState(folder=usb))
    page = page_for(ctx)
    page.restore.click()
    await until(lambda: isinstance(page.dialog, RestoreDialog))
    picker = page.dialog
    ok = picker.buttons.buttons()[0]
    assert "กุญแจ" in picker.details.text() and not ok.isEnabled()
    picker.phrase.setText(backups.recovery_phrase(backups.new_key()))
    assert "ทำด้วยกุญแจอื่น" in picker.details.text() and not ok.isEnabled()
    picker.reject()
    await until(lambda: page.dialog is None)
    assert order_count(ctx) == 1


async def test_a_missing_folder_is_told_not_skipped(
    make_ctx: Callable[..., AppContext], page_for: Any, tmp_path: Path
) -> None:
    ctx = make_ctx()
    fill(ctx.ops.db, 1)
    save_backup_state(ctx.settings, backups.BackupState(folder=tmp_path / "unplugged"))
    page = page_for(ctx)
    told: list[set[str]] = []
    ctx.ops.changed.connect(told.append)
    assert not await page.back_up_now()
    assert page.feedback.tone is Tone.ERROR
    assert page.feedback.text().startswith("ไม่พบโฟลเดอร์สำรองข้อมูล")
    assert "สำรองข้อมูลครั้งล่าสุดไม่สำเร็จ" in page.problem.text()
    assert {"notifications"} in told
    with ctx.ops.db.read() as s:
        kinds = [n.kind for n in notifications.list_notifications(s)]
    assert "backup" in kinds


async def test_the_app_backs_up_daily(make_ctx: Callable[..., AppContext], tmp_path: Path) -> None:
    ctx = make_ctx()
    fill(ctx.ops.db, 1)
    usb = tmp_path / "usb"
    usb.mkdir()
    save_backup_state(ctx.settings, backups.BackupState(folder=usb))
    now = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)
    assert await back_up_when_due(ctx, now)
    assert not await back_up_when_due(ctx, now + dt.timedelta(hours=23))
    assert await back_up_when_due(ctx, now + dt.timedelta(days=1))
    assert len(list(usb.iterdir())) == 2
    assert load_backup_state(ctx.settings).last_at == now + dt.timedelta(days=1)
