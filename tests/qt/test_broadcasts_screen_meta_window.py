"""The broadcasts screen with Messenger and Instagram customers (issue 19): the reach counts
them, says who is past Meta's 24-hour window ("นอกช่วง 24 ชม. ของ Messenger: 1 คน") before
sending, and the results count and name them after. Real widgets offscreen on a real
database."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox
from support.waiting import until

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.ui.broadcasts_screen import BroadcastsScreen
from minichat_desktop.ui.context import AppContext


def _customers(ctx: AppContext) -> None:
    now = dt.datetime.now(dt.UTC)
    with ctx.ops.db.write() as s:
        for ref, name, hours in (
            ("messenger:1001", "สด ใหม่", 2),
            ("messenger:1002", "มา ช้า", 30),
            ("instagram:2001", "ไอจี เก่า", 72),
            ("widget:web-session-1", "เว็บ หนึ่ง", 5),
        ):
            rec = convs.record_inbound(
                s, ref, {"id": ref, "kind": "text", "text": "สวัสดี"}, now - dt.timedelta(hours=hours)
            )
            assert rec is not None and rec.conversation.customer_id is not None
            customers.update_customer(s, rec.conversation.customer_id, "owner", name=name)


async def _idle(w: BroadcastsScreen) -> None:
    await asyncio.sleep(0.05)
    await until(lambda: w.busy == 0 and not w.timer.isActive())
    await asyncio.sleep(0.02)


async def test_meta_recipients_past_the_window_are_counted_before_and_after(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx()
    _customers(ctx)
    w = BroadcastsScreen(ctx)
    w.resize(1300, 860)
    w.show()
    try:
        await _idle(w)
        w.refresh_preview()
        await _idle(w)
        assert w.reach.text() == (
            "ผู้รับ 2 คน: หน้าเว็บ 1 คน, LINE 0 คน, Messenger 1 คน, Instagram 0 คน"
        )
        assert w.left_out.text().endswith(
            " · นอกช่วง 24 ชม. ของ Messenger: 1 คน · นอกช่วง 24 ชม. ของ Instagram: 1 คน"
        )
        w.via_instagram.setChecked(False)
        await _idle(w)
        assert "Instagram: 1" not in w.left_out.text()
        w.via_instagram.setChecked(True)
        await _idle(w)
        w.name.setText("โปรเมตา")
        w.text.setPlainText("ลด 10% วันนี้ค่ะ")
        task = asyncio.ensure_future(w.send())
        await until(lambda: isinstance(w.dialog, QMessageBox))
        box = w.dialog
        assert isinstance(box, QMessageBox)
        assert "นอกช่วง 24 ชม. ของ Messenger: 1 คน" in box.text().splitlines()
        box.button(QMessageBox.StandardButton.Ok).click()
        report = await task
        assert isinstance(report, bc.SendReport) and report.queued == 2
        await _idle(w)
        w.table.selectRow(0)
        await _idle(w)
        assert w.results_summary.text().endswith(
            "นอกช่วง 24 ชม. ของ Messenger: 1 คน · นอกช่วง 24 ชม. ของ Instagram: 1 คน"
        )
        results = {
            w.results.item(r, 0).text(): w.results.item(r, 2).text()
            for r in range(w.results.rowCount())
        }
        assert results["มา ช้า"] == "ข้าม: ลูกค้าทักมาเกิน 24 ชม. แล้ว"
        assert results["ไอจี เก่า"] == "ข้าม: ลูกค้าทักมาเกิน 24 ชม. แล้ว"
    finally:
        w.timer.stop()
        await _idle(w)
        w.close()
        w.deleteLater()
        await asyncio.sleep(0.05)
