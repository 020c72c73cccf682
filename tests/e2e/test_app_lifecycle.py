"""The app's life as the OS sees it: ``minichat --demo`` as a real process (Qt offscreen) with its
embedded relay as a real child process.

SIGTERM ends both within 5 s with the WAL folded in; kill -9 of the app leaves no relay behind;
a second launch on the same data folder hands over to the running app (or is refused, naming
the folder) and ``minichat restore`` is refused while the app runs; the demo relay keeps its
port across restarts (another only when it is taken); ``--demo --relay-url`` uses a relay
started separately; a clean demo start sends nothing for the demo's history and logs no
WARNING or ERROR.

Process trees are read from /proc (Linux, where these run).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.relay_proc import PROJECT, Relay, add_shop

from minichat_desktop.storage.folder_lock import FolderLock
from minichat_desktop.ui.single_instance import server_name

QUIT_WITHIN_S = 5.0
START_WITHIN_S = 90.0


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MINICHAT_NO_BROWSER": "1",
        "PYTHON_KEYRING_BACKEND": "minichat_desktop.keyring_memory.MemoryKeyring",
        **extra,
    }


def _minichat(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "minichat_desktop.cli", "--data-dir", str(data), *args]


def _wait(pred: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def _log(data: Path) -> str:
    path = data / "logs" / "minichat.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class App:
    """``minichat --demo`` on ``data``, its output in a file."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data = data
        data.mkdir(parents=True, exist_ok=True)
        self.out_path = data.parent / f"{data.name}-{time.monotonic_ns()}.out"
        self._log_from = len(_log(data))  # a restart appends to the same log
        self._out = self.out_path.open("w")
        self.proc = subprocess.Popen(
            _minichat(data, "--demo", *args),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=PROJECT,
            env=env or _env(),
        )

    def log(self) -> str:
        """What this run logged."""
        return _log(self.data)[self._log_from :]

    def output(self) -> str:
        return self.out_path.read_text(encoding="utf-8")

    def wait_up(self) -> None:
        """Until the relay link is up: the event loop runs, every quit path is wired."""

        def up() -> bool:
            assert self.proc.poll() is None, f"the app ended early: {self.output()}"
            return "relay link up" in self.log()

        _wait(up, START_WITHIN_S, "the app started and linked to its relay")

    def relay_pids(self) -> list[int]:
        return _children(self.proc.pid)

    def test_page(self) -> str:
        found = re.search(
            r"widget test page is (http://127\.0\.0\.1:(\d+)/demo/\S+)", self.output()
        )
        assert found, self.output()
        return found.group(1)

    def terminate(self) -> float:
        """SIGTERM; how long the app took to end (it must end)."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(QUIT_WITHIN_S + 5)
        finally:
            self.close()
        return time.monotonic() - start

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._out.close()


@pytest.fixture
def apps() -> Iterator[list[App]]:
    """Apps a test started: none outlives it."""
    started: list[App] = []
    yield started
    for app in started:
        pids = app.relay_pids() if app.proc.poll() is None else []
        app.close()
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _count(data: Path, sql: str) -> int:
    con = sqlite3.connect(f"file:{data / 'minichat.sqlite3'}?mode=ro", uri=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_clean_demo_start_then_sigterm_ends_app_and_relay_within_5_s(
    tmp_path: Path, apps: list[App]
) -> None:
    """A fresh demo sends nothing for its historical orders and logs no WARNING/ERROR; SIGTERM
    then ends the app within 5 s with exit 0, its relay gone and the WAL folded in."""
    data = tmp_path / "demo"
    app = App(data)
    apps.append(app)
    app.wait_up()
    [relay] = app.relay_pids()
    # The bot's first timer round installs the built-in flows and, in the same transaction,
    # would have queued review requests for the demo's delivered orders.
    _wait(lambda: _count(data, "SELECT count(*) FROM flows") == 3, 30, "the first flow round")
    assert _count(data, "SELECT count(*) FROM flow_runs") == 0  # was 84 review requests
    assert _count(data, "SELECT count(*) FROM outbox") == 0
    took = app.terminate()
    assert app.proc.returncode == 0, app.output()
    assert took < QUIT_WITHIN_S
    assert not _alive(relay)
    wal = data / "minichat.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    noisy = [line for line in _log(data).splitlines() if re.search(r" (WARNING|ERROR) ", line)]
    assert noisy == []


def test_kill_9_of_the_app_leaves_no_relay(tmp_path: Path, apps: list[App]) -> None:
    """The embedded relay stops by itself when the app is killed: its pipe from the app
    closes."""
    app = App(tmp_path / "demo")
    apps.append(app)
    app.wait_up()
    [relay] = app.relay_pids()
    app.proc.kill()
    app.proc.wait(10)
    _wait(lambda: not _alive(relay), 5, "the orphaned relay stopped")
    # What a killed app does leave: its local socket's file (the next app on the folder
    # replaces it). Not littered by the tests.
    (Path(tempfile.gettempdir()) / server_name(app.data)).unlink(missing_ok=True)


def test_second_launch_hands_over_and_restore_is_refused(tmp_path: Path, apps: list[App]) -> None:
    """A second launch on the folder asks the running app to show its window and exits 0
    without opening the database; ``minichat restore`` on it exits 2 naming the folder."""
    data = tmp_path / "demo"
    first = App(data)
    apps.append(first)
    first.wait_up()
    second = subprocess.run(
        _minichat(data, "--demo"), capture_output=True, text=True, env=_env(), timeout=60
    )
    assert second.returncode == 0, second.stderr
    assert f"MiniChat is already open on {data}" in second.stdout
    assert "another launch on this folder; showing the window" in _log(data)
    assert first.proc.poll() is None and len(first.relay_pids()) == 1
    backup = tmp_path / "backup.sqlite3"
    made = subprocess.run(
        _minichat(data, "backup", str(backup)), capture_output=True, text=True, env=_env()
    )
    assert made.returncode == 0, made.stderr  # a backup is safe while the app runs
    restore = subprocess.run(
        _minichat(data, "restore", str(backup)), capture_output=True, text=True, env=_env()
    )
    assert restore.returncode == 2
    assert restore.stderr == (
        f"error: MiniChat is open on the data folder {data}: quit MiniChat first, then restore\n"
    )
    first.terminate()
    again = subprocess.run(
        _minichat(data, "restore", str(backup)), capture_output=True, text=True, env=_env()
    )
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("th", "MiniChat เปิดใช้งานโฟลเดอร์ข้อมูล {folder} อยู่แล้วแต่ไม่ตอบสนอง"),
        ("en", "MiniChat is already running on the data folder {folder} but did not answer."),
    ],
)
def test_launch_on_a_folder_held_without_an_app_exits_2_naming_it(
    tmp_path: Path, language: str, expected: str
) -> None:
    """When the folder is held and no app answers (here: the lock alone, as ``minichat
    restore`` holds it), a launch exits 2 with a message in the UI language, no traceback."""
    data = tmp_path / "shop"
    data.mkdir()
    (data / "desktop.ini").write_text(f"[ui]\nlanguage={language}\n")
    with FolderLock(data) as lock:
        assert lock.acquire()
        res = subprocess.run(
            _minichat(data), capture_output=True, text=True, env=_env(), timeout=60
        )
    assert res.returncode == 2
    assert res.stderr.startswith(expected.format(folder=data)), res.stderr
    assert "Traceback" not in res.stderr
    assert not (data / "minichat.sqlite3").exists()  # no second writer was ever opened


def test_demo_relay_keeps_its_port_and_moves_only_when_taken(
    tmp_path: Path, apps: list[App]
) -> None:
    """Restarted, the demo's relay listens where it did (an open widget page reconnects);
    when another program has that port, it takes a free one and remembers that."""
    data = tmp_path / "demo"
    first = App(data)
    apps.append(first)
    first.wait_up()
    page = first.test_page()
    port = int((data / "relay" / "port").read_text())
    assert page.startswith(f"http://127.0.0.1:{port}/demo/")
    first.terminate()

    second = App(data)
    apps.append(second)
    second.wait_up()
    assert second.test_page() == page
    second.terminate()

    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past its TIME_WAIT
        taken.bind(("127.0.0.1", port))
        taken.listen()
        third = App(data)
        apps.append(third)
        third.wait_up()
        moved = int((data / "relay" / "port").read_text())
        assert moved != port
        assert third.test_page() == page.replace(f":{port}/", f":{moved}/")
        third.terminate()


def test_demo_with_a_separate_relay_starts_none_of_its_own(tmp_path: Path, apps: list[App]) -> None:
    """``--demo --relay-url URL``: the demo shop links to that relay, and no embedded relay
    runs."""
    relay_dir = tmp_path / "relay"
    relay_dir.mkdir()
    shop_id, token = add_shop(relay_dir, "Demo on a separate relay")
    relay = Relay(relay_dir, extra_args=["--demo-page"]).start()
    try:
        data = tmp_path / "demo"
        app = App(data, "--relay-url", relay.url, env=_env(MINICHAT_RELAY_TOKEN=token))
        apps.append(app)
        app.wait_up()
        assert f"relay link up: shop {shop_id}" in app.log()
        assert app.relay_pids() == []
        assert not (data / "relay").exists()
        assert app.terminate() < QUIT_WITHIN_S
        assert app.proc.returncode == 0
    finally:
        relay.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
WIDGET = "[data-minichat] >> "


def test_an_open_widget_page_reconnects_after_the_demo_restarts(
    tmp_path: Path, apps: list[App]
) -> None:
    """A shopper's page left open while the app restarts reconnects by itself (the relay is
    back on the same port): what they typed meanwhile reaches the shop's database."""
    from playwright.sync_api import sync_playwright

    said = "ยังเปิดอยู่ไหมคะ สั่งเสื้อได้ไหม"
    data = tmp_path / "demo"
    first = App(data)
    apps.append(first)
    first.wait_up()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(first.test_page())
        page.click(WIDGET + ".launch")
        page.wait_for_selector(WIDGET + ".bar textarea")
        first.terminate()
        page.fill(WIDGET + ".bar textarea", said)  # kept in the page's outbox meanwhile
        page.keyboard.press("Enter")
        second = App(data)
        apps.append(second)
        second.wait_up()
        query = f"SELECT count(*) FROM messages WHERE text = '{said}'"
        _wait(lambda: _count(data, query) == 1, 40, "the page's message reached the shop")
        browser.close()
    second.terminate()


def test_a_stuck_quit_is_ended_by_the_deadline(tmp_path: Path) -> None:
    """Once quitting starts, the process ends within the deadline even when the orderly way
    never finishes (here the main thread waits forever), and says so in the log."""
    code = (
        "import logging, sys, threading\n"
        "logging.basicConfig(stream=sys.stderr)\n"
        "from minichat_desktop.ui.app import _QuitDeadline\n"
        "_QuitDeadline(0.5).arm()\n"
        "threading.Event().wait()\n"
    )
    start = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=30
    )
    took = time.monotonic() - start
    assert res.returncode == 1
    assert "quit: not finished within 0.5 s; ending the process" in res.stderr
    assert took < QUIT_WITHIN_S
