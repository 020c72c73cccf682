"""`minichat bot chat`, `bot switch` and `bot ai` as real processes on a real shop folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.bot_shop import make_shop

from minichat_desktop.domain.bot.engine import ENABLED_KEY
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import get_setting
from minichat_desktop.storage.db import Database

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]
ENV = {**os.environ, "PYTHON_KEYRING_BACKEND": "minichat_desktop.keyring_memory.MemoryKeyring"}


def run(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        env=ENV,
    )


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    db = Database.open(folder, backup=False)
    make_shop(db)
    db.dispose()
    return folder


def test_chat_sells_in_the_terminal(shop_dir: Path) -> None:
    lines = [
        "มีเสื้อยืดสีแดงไหม",
        "#1",  # add to cart → choose an option
        "#2",  # red L
        "#1",  # check out
        "สมหญิง ใจดี",
        "0812345678",
        "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ 10110",
        "#3",  # Kerry
        "#1",  # transfer
        "#1",  # confirm
        "/quit",
    ]
    res = run(shop_dir, "bot", "chat", stdin="\n".join(lines) + "\n")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "🛍  เสื้อยืดคอกลม  ฿290.00" in out
    assert "เสื้อยืดคอกลม (แดง / L) × 1  ฿290.00" in out
    assert "ยอดรวม ฿340.00" in out
    qr = next(line for line in out.splitlines() if "file:" in line).split("file: ")[1]
    assert Path(qr).is_file() and Path(qr).read_bytes()[:4] == b"\x89PNG"
    db = Database.open(shop_dir, backup=False)
    try:
        with db.read() as s:
            (only,) = orders.list_orders(s)
    finally:
        db.dispose()
    assert (only.channel, only.total_satang, only.status) == ("manual", 34000, "pending")
    assert f"สั่งซื้อสำเร็จค่ะ 🎉 เลขที่ออเดอร์ {only.number}" in out


def test_switch_and_ai_settings(shop_dir: Path) -> None:
    assert run(shop_dir, "bot", "switch", "on").stdout.strip() == "bot on"
    res = run(shop_dir, "bot", "chat", "--ai", stdin="/quit\n")
    assert res.returncode == 2
    assert "no AI provider is set up" in res.stderr
    bad = run(shop_dir, "bot", "ai", "groq", "--base-url", "ftp://x")
    assert bad.returncode == 2 and "is not an http(s) address" in bad.stderr
    ok = run(shop_dir, "bot", "ai", "ollama", "--base-url", "http://127.0.0.1:9")
    assert ok.stdout.strip() == "AI: ollama qwen2.5:7b at http://127.0.0.1:9"
    db = Database.open(shop_dir, backup=False)
    try:
        with db.read() as s:
            assert get_setting(s, ENABLED_KEY) is True
    finally:
        db.dispose()
    # Nothing listens on port 9: the bot answers on rules all the same.
    res = run(shop_dir, "bot", "chat", "--ai", stdin="หมวกแก๊ปราคาเท่าไหร่\n/quit\n")
    assert res.returncode == 0, res.stderr
    assert "หมวกแก๊ป ราคา ฿199 เหลือ 1 ชิ้นค่ะ" in res.stdout
    assert "failed 1)" in res.stdout
