"""What nobody caught, and background work that dies, reach the log file and the owner (a
notice in the status bar, never a modal box) and the app keeps serving; the status bar's link
state tells the truth (real window, real database, a real relay process)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from qasync import asyncSlot
from support.relay_proc import one_shop_relay
from support.shopper import Shopper
from support.waiting import until

from minichat_desktop.domain.shop import get_setting, put_setting
from minichat_desktop.secrets import RELAY_TOKEN
from minichat_desktop.sync.liveness import BOUND
from minichat_desktop.sync.supervisor import Supervisor
from minichat_desktop.ui.app import setup_logging, start_relay_link, watch_for_problems
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.main_window import MainWindow


class Broken(QObject):
    """Two slots with bugs: a plain one and an async one."""

    @Slot()
    def plain(self) -> None:
        raise ValueError("plain slot broke")

    @asyncSlot()
    async def later(self) -> None:
        await asyncio.sleep(0)
        raise LookupError("async slot broke")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The app's own file log, set up as the app does, removed after."""
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    path = setup_logging(tmp_path / "data")
    yield path
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def modal_boxes() -> list[Any]:
    """Message boxes showing now (one another test left behind, hidden, is not ours)."""
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


async def test_errors_nobody_caught_are_logged_told_and_the_app_goes_on(
    make_ctx: Callable[..., AppContext], log_file: Path, qtbot: Any
) -> None:
    ctx = make_ctx()
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    _supervisor, hooks = watch_for_problems(window)
    try:
        broken = Broken()
        plain, later = QPushButton(), QPushButton()
        plain.clicked.connect(broken.plain)
        later.clicked.connect(broken.later)
        assert not window.problems.isVisible()

        plain.click()
        folder = str(log_file.parent)
        assert window.problems.isVisible()
        assert window.problems.text() == (
            "MiniChat พบปัญหาที่ไม่คาดคิด แต่ยังทำงานต่อ รายละเอียดอยู่ในโฟลเดอร์บันทึก: " + folder
        )
        window.problems.hide()  # as a click on it does (after opening the folder)
        later.click()
        await until(lambda: "async slot broke" in log_file.read_text(encoding="utf-8"))
        assert window.problems.isVisible()

        asyncio.get_running_loop().call_soon(_fail_in_a_callback)
        worker = threading.Thread(target=_fail_in_a_thread, name="export-worker")
        worker.start()
        worker.join()
        await until(lambda: "thread broke" in log_file.read_text(encoding="utf-8"))
        await until(lambda: "callback broke" in log_file.read_text(encoding="utf-8"))

        logged = log_file.read_text(encoding="utf-8")
        for line in (
            "ERROR minichat_desktop.ui.problems: uncaught error: ValueError",
            "ERROR minichat_desktop.ui.problems: uncaught error: LookupError",
            "ERROR minichat_desktop.ui.problems: uncaught error in thread export-worker",
            "ERROR minichat_desktop.ui.problems: event loop: Exception in callback",
        ):
            assert line in logged
        assert logged.count("Traceback (most recent call last)") == 4
        assert 'raise ValueError("plain slot broke")' in logged  # the traceback, with source
        assert modal_boxes() == []  # told without a modal box
        # The app's loop still serves: a write and a read answer, the window repaints.
        await ctx.ops.write(put_setting, "test.still_serving", "yes")
        assert await ctx.ops.read(get_setting, "test.still_serving") == "yes"
        window.repaint()
    finally:
        hooks.uninstall()
        window.close()


def _fail_in_a_callback() -> None:
    raise RuntimeError("callback broke")


def _fail_in_a_thread() -> None:
    raise OSError("thread broke")


async def test_a_background_job_that_dies_is_told_in_the_status_bar_and_restarted(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    ctx = make_ctx(lang="en")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    runs: list[int] = []
    again = asyncio.Event()

    async def rounds() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise KeyError("broadcast 7")
        again.set()

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    supervisor = Supervisor(window.problems.show_job_crash, sleep=no_wait, jitter=lambda: 1.0)
    supervisor.start("housekeeping", rounds)
    await asyncio.wait_for(again.wait(), 5)
    assert window.problems.isVisible()
    assert window.problems.text() == (
        "Scheduled broadcasts and customer segments stopped after a problem and starts again "
        f"in 1 s. Details are in the log folder: {ctx.data_dir / 'logs'}"
    )
    assert modal_boxes() == []
    await supervisor.stop()
    window.close()


class Clock:
    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped


async def test_the_status_bar_stops_saying_online_when_the_relay_falls_silent(
    make_ctx: Callable[..., AppContext], tmp_path: Path, qtbot: Any
) -> None:
    """The window asks the link for its state on a Qt timer: a link that has not heard from
    the relay within the bound shows "connecting", with no frame or asyncio task needed;
    the next frame from the relay shows it online again."""
    r, shop_id, token = one_shop_relay(tmp_path / "relay")
    ctx = make_ctx()
    ctx.settings.setValue("relay/url", r.url)
    ctx.secrets.set(RELAY_TOKEN, token)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    clock = Clock()
    client = start_relay_link(ctx, clock=clock, bot=False)
    task = asyncio.ensure_future(client.run())
    try:
        await until(lambda: window.indicator.text.text() == "ออนไลน์")
        window._link_check.setInterval(20)
        clock.skipped += BOUND + 1
        await until(lambda: window.indicator.text.text() == "กำลังเชื่อมต่อ… — รีเลย์ไม่ตอบมาสักพัก")
        shopper = Shopper(r, shop_id)
        await shopper.connect()
        await shopper.say("m1", "ยังเปิดอยู่ไหมคะ")
        await until(lambda: window.indicator.text.text() == "ออนไลน์")
        await shopper.close()
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)
        window.close()
        r.stop()
