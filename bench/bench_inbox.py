"""The inbox under load, and the app's cold start.

1. Inbox with 5,000 conversations and 200,000 messages (offscreen Qt, real SQLite file):
   - opening a conversation → first paint of its messages: p50/p95/max over 30 conversations
     (target ≤ 300 ms);
   - scrolling: the conversation list through all 5,000 (pages loaded as you go) and one long
     conversation up through 5,000 older messages; the worst single step (a stall is > 50 ms);
   - memory: the process's resident set after all that (target ≤ 300 MB).
2. Cold start: ``minichat`` (a fresh process) until the main window is shown and the event loop
   is idle (target ≤ 1.5 s), median of 5.

    .venv/bin/python bench/bench_inbox.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "minichat_desktop.keyring_memory.MemoryKeyring")

ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "สวัสดีค่ะ",
    "มีเสื้อยืดสีแดงไหม",
    "ราคาเท่าไหร่",
    "ไซส์ M",
    "ส่งของวันไหน",
    "โอนแล้วค่ะ",
    "ขอบคุณครับ",
    "Do you ship to Chiang Mai?",
    "ขอดูรูปเพิ่มได้ไหม",
    "CF 2 ตัวค่ะ",
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build(folder: Path, conversations: int, messages: int, long_one: int) -> None:
    """Fill a shop database quickly with Core inserts (the shape the app writes)."""
    from sqlalchemy import insert

    from minichat_desktop.domain.models import ChatMessage, Conversation, Customer
    from minichat_desktop.storage.db import Database

    db = Database.open(folder)
    rng = random.Random(5)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    per = messages // conversations
    with db.write() as s:
        s.execute(
            insert(Customer),
            [
                {
                    "name": f"ลูกค้า {i}",
                    "phone": f"08{i:08d}",
                    "tags": [],
                    "created_at": start,
                    "updated_at": start,
                }
                for i in range(conversations)
            ],
        )
        convs = []
        for i in range(conversations):
            at = start + dt.timedelta(minutes=i * 7)
            convs.append(
                {
                    "ref": f"widget:bench{i:08d}",
                    "channel": "widget",
                    "customer_id": i + 1,
                    "title": "",
                    "status": "active",
                    "mode": "bot",
                    "bot_mode": "active",
                    "taken_over_by": "",
                    "unread": rng.randint(0, 3),
                    "tags": [],
                    "notes": "",
                    "last_message_at": at,
                    "last_preview": rng.choice(WORDS),
                    "following": True,
                    "created_at": at,
                }
            )
        s.execute(insert(Conversation), convs)
        rows = []
        for c in range(conversations):
            n = long_one if c == 0 else per
            base = start + dt.timedelta(minutes=c * 7)
            for k in range(n):
                text = rng.choice(WORDS)
                direction = "in" if k % 2 == 0 else "out"
                rows.append(
                    {
                        "conversation_id": c + 1,
                        "uid": f"m{c}-{k}",
                        "direction": direction,
                        "author": "shopper" if direction == "in" else "bot",
                        "kind": "text",
                        "text": text,
                        "body": {"id": f"m{c}-{k}", "kind": "text", "text": text},
                        "state": "" if direction == "in" else "read",
                        "created_at": base + dt.timedelta(seconds=k),
                    }
                )
            if len(rows) > 20_000:
                s.execute(insert(ChatMessage), rows)
                rows = []
        if rows:
            s.execute(insert(ChatMessage), rows)
    db.dispose()


async def measure_inbox(folder: Path, samples: int, conversations: int) -> dict[str, float]:
    from minichat_desktop.storage.db import Database
    from minichat_desktop.ui.app import build_context
    from minichat_desktop.ui.inbox import InboxScreen

    db = Database.open(folder)
    ctx = build_context(folder, db)
    screen = InboxScreen(ctx)
    screen.resize(1280, 800)
    screen.show()
    await asyncio.sleep(0.2)
    rng = random.Random(9)
    opens = []
    for cid in rng.sample(range(2, conversations + 1), samples):
        t0 = time.perf_counter()
        screen.open_conversation(cid)
        screen.messages.viewport().repaint()  # paints synchronously: the first paint
        opens.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.01)
    # Scroll the conversation list to the end, page by page.
    bar = screen.list.verticalScrollBar()
    list_steps = []
    for _ in range(400):
        t0 = time.perf_counter()
        bar.setValue(bar.maximum())
        screen.list.viewport().repaint()
        list_steps.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.02)  # the next page loads off the UI thread meanwhile
        if screen.list_model.rowCount() >= conversations and not screen.list_model.more:
            break
    loaded = screen.list_model.rowCount()
    # Scroll up through the long conversation.
    screen.open_conversation(1)
    mbar = screen.messages.verticalScrollBar()
    msg_steps = []
    for _ in range(200):
        t0 = time.perf_counter()
        mbar.setValue(min(mbar.maximum(), 30))  # scroll up the way a wheel does
        mbar.setValue(0)
        screen.messages.viewport().repaint()
        msg_steps.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.02)
        if not screen.msg_model.has_older:
            break
    result = {
        "open_p50_ms": statistics.median(opens),
        "open_p95_ms": statistics.quantiles(opens, n=20)[-1],
        "open_max_ms": max(opens),
        "list_rows_loaded": loaded,
        "list_worst_step_ms": max(list_steps),
        "long_chat_rows_loaded": screen.msg_model.rowCount(),
        "long_chat_worst_step_ms": max(msg_steps),
        "rss_mb": rss_mb(),
    }
    screen.close()
    screen.deleteLater()
    await asyncio.sleep(0.05)
    ctx.ops.shutdown()
    db.dispose()
    return result


def cold_start(
    folder: Path,
    runs: int,
    command: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[list[float], list[float], list[float]]:
    """Wall time from starting the process to (1) the window painted with the inbox usable and
    (2) every screen built (``MINICHAT_BENCH_STARTUP=1`` makes the app say so, then quit), and
    (3) the longest the window could not answer input in between. ``command`` is the app
    (default: this interpreter's ``-m minichat_desktop.cli``; bench_bundle.py passes the frozen
    program) and ``env`` its environment (default: this one)."""
    shown_ms: list[float] = []
    ready_ms: list[float] = []
    stalls_ms: list[float] = []
    env = {**(os.environ if env is None else env), "MINICHAT_BENCH_STARTUP": "1"}
    env["MINICHAT_NO_BROWSER"] = "1"
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                *(command or [sys.executable, "-m", "minichat_desktop.cli"]),
                "--data-dir",
                str(folder),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith('{"event": "window-shown"'):
                shown_ms.append((time.perf_counter() - t0) * 1000)
            elif line.startswith('{"event": "all-screens-ready"'):
                ready_ms.append((time.perf_counter() - t0) * 1000)
                stalls_ms.append(json.loads(line)["worst_stall_ms"])
                break
        _, err = proc.communicate(timeout=60)
        if len(ready_ms) != len(shown_ms) or not ready_ms:
            raise SystemExit(f"app did not start: {err[-2000:]}")
    return shown_ms, ready_ms, stalls_ms


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 conversations / 20,000 messages")
    args = ap.parse_args()
    conversations, messages = (1000, 20_000) if args.quick else (5000, 200_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shop"
        t0 = time.perf_counter()
        build(folder, conversations, messages, long_one=5000)
        print(
            f"built {conversations:,} conversations / {messages:,} messages in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        import qasync
        from PySide6.QtWidgets import QApplication

        from minichat_desktop.ui import theme

        app = QApplication.instance() or QApplication([])
        theme.apply(app)  # type: ignore[arg-type]
        app.setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
        res = asyncio.run(
            measure_inbox(folder, 30, conversations), loop_factory=lambda: qasync.QEventLoop(app)
        )
        print(
            f"open a conversation to first paint: p50 {res['open_p50_ms']:.1f} ms, "
            f"p95 {res['open_p95_ms']:.1f} ms, max {res['open_max_ms']:.1f} ms "
            f"(target ≤ 300 ms)"
        )
        print(
            f"conversation list: {int(res['list_rows_loaded']):,} rows loaded while scrolling, "
            f"worst step {res['list_worst_step_ms']:.1f} ms (stall > 50 ms)"
        )
        print(
            f"long chat: {int(res['long_chat_rows_loaded']):,} messages loaded scrolling up, "
            f"worst step {res['long_chat_worst_step_ms']:.1f} ms"
        )
        print(f"resident memory: {res['rss_mb']:.0f} MB (target ≤ 300 MB)")
        shown, ready, stalls = cold_start(folder, 5)
        print(
            f"cold start to the window shown with the inbox usable: median "
            f"{statistics.median(shown):.0f} ms, max {max(shown):.0f} ms (target ≤ 1500 ms); "
            f"all screens built: median {statistics.median(ready):.0f} ms, the window "
            f"unresponsive at most {statistics.median(stalls):.0f} ms at a time meanwhile"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
