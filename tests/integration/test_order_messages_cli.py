"""``minichat order-messages`` as a real process: show, set (a bad placeholder exits 2 with
nothing stored), reset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=90
    )


def test_set_show_and_reset_a_message(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    done = run(data, "order-messages", "set", "shipped", "ส่งแล้วค่ะ {order_number}\\nเลข {tracking}")
    assert done.returncode == 0, done.stderr
    shown = run(data, "order-messages", "show")
    assert shown.returncode == 0, shown.stderr
    assert "[shipped] (edited)\nส่งแล้วค่ะ {order_number}\nเลข {tracking}\n" in shown.stdout
    assert "[paid]\n" in shown.stdout

    bad = run(data, "order-messages", "set", "paid", "ได้รับเงิน {totl} บาท")
    assert bad.returncode == 2
    assert "unknown placeholder {totl}" in bad.stderr
    assert "[paid]\n" in run(data, "order-messages", "show").stdout  # unchanged

    unknown = run(data, "order-messages", "reset", "shiped")
    assert unknown.returncode == 2 and "shiped" in unknown.stderr
    assert run(data, "order-messages", "reset", "shipped").returncode == 0
    assert "(edited)" not in run(data, "order-messages", "show").stdout
