"""The README's run command end to end: ``minichat --demo`` (a real process, Qt offscreen) with
its embedded relay, the widget on the test page in headless Chromium, and the shop's database.

A shopper types on the test page → the message is in the desktop's database and inbox; the
demo shop's sales bot (switched on in the demo only) answers it on the page; the owner's reply
(stored in the outbox by another process, as a crash-safe reply would be) reaches the
shopper's page after the bot's; SIGTERM closes the app and its relay in order.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.models import ChatMessage
from minichat_desktop.storage.db import Database

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
W = "[data-minichat] >> "


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    data = tmp_path / "demo"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MINICHAT_NO_BROWSER": "1",
        "PYTHON_KEYRING_BACKEND": "minichat_desktop.keyring_memory.MemoryKeyring",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "minichat_desktop.cli", "--data-dir", str(data), "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 90
    for line in proc.stdout:
        found = re.search(r"widget test page is (http://127\.0\.0\.1:\d+/demo/\S+)", line)
        if found:
            url = found.group(1)
            break
        if time.monotonic() > deadline:
            break
    assert url, "the demo did not print its test page"
    yield proc, url, data
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
    proc.stdout.close()


def _wait(pred: object, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _bubbles(page: Page) -> list[str]:
    return page.locator(W + ".log .bub").all_inner_texts()


def test_demo_shopper_to_owner_and_back(demo_app: tuple[subprocess.Popen[str], str, Path]) -> None:
    proc, url, data = demo_app
    db = Database.open(data, migrate=False)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.click(W + ".launch")
            page.fill(W + ".bar textarea", "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")
            page.keyboard.press("Enter")

            def stored() -> convs.ConversationView | None:
                # By the message itself: the bot may answer at once, and the inbox's search
                # looks at a chat's last message (the answer by then), not the first.
                with db.read() as s:
                    conv_id = s.scalar(
                        select(ChatMessage.conversation_id).where(
                            ChatMessage.text == "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่"
                        )
                    )
                    return convs.get_conversation(s, conv_id) if conv_id else None

            _wait(lambda: stored() is not None)
            conv = stored()
            assert conv is not None and conv.channel == "widget"
            with db.read() as s:
                first = convs.messages(s, conv.id)[0]
            assert (first.direction, first.text) == ("in", "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่")

            def bot_texts() -> list[str]:
                with db.read() as s:
                    rows = convs.messages(s, conv.id)
                return [m.text for m in rows if m.author == "bot" and m.kind == "text" and m.text]

            # The demo's bot answers before anyone in the shop does, on the shopper's page.
            _wait(lambda: bool(bot_texts()), timeout=20)
            bot_said = bot_texts()[0]
            _wait(lambda: bot_said in _bubbles(page), timeout=20)
            with db.write() as s:
                convs.send_text(s, conv.id, "มีค่ะ เสื้อยืดสีแดง ลายช้างไทย 290 บาท", "owner")
            _wait(lambda: "มีค่ะ เสื้อยืดสีแดง ลายช้างไทย 290 บาท" in _bubbles(page), timeout=20)
            shown = _bubbles(page)
            assert shown.index(bot_said) < shown.index("มีค่ะ เสื้อยืดสีแดง ลายช้างไทย 290 บาท")
            browser.close()
    finally:
        db.dispose()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    relay_pid_gone = subprocess.run(
        ["pgrep", "-f", f"relay --data-dir {data / 'relay'}"], capture_output=True, text=True
    ).stdout.strip()
    assert relay_pid_gone == ""
