"""The dialogue engine's answer time on a 10,000-product shop, rule path (no AI).

Builds the same shop as ``bench_bot.py`` (the demo shop plus generated products with colour and
size options, stock and reviews), then plays every labelled shopper message
(``tests/data/bot_labelled.jsonl``) through what the bot runner does for one message:

- **answer** — ``DialogueEngine.answer`` alone (modes, classify with the catalog, context,
  recommendations or cart/checkout, database facts), inside the write transaction;
- **message** — the whole unit of work: store the shopper's message (``record_inbound``),
  answer, queue the replies in the outbox, commit.

Conversations are reused for 12 messages each, so carts, contexts and checkouts build up as in
real chats. Then a **sale**: the steps of a full checkout (question → add → check out → name →
phone → address → shipping → payment → confirm: order placed and PromptPay QR written).

Prints p50/p95/p99/max per measure. Target: answer p95 ≤ 50 ms, message p95 ≤ 100 ms (the
shopper sees the reply well under a second even with the relay's round trips).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_bot import build, labelled, percentile  # noqa: E402

from minichat_desktop.domain import shop  # noqa: E402
from minichat_desktop.domain.bot.engine import DialogueEngine  # noqa: E402
from minichat_desktop.domain.conversations import conversations as convs  # noqa: E402
from minichat_desktop.domain.models import utcnow  # noqa: E402
from minichat_desktop.storage.db import Database  # noqa: E402

TARGET_ANSWER_P95_MS = 50.0
TARGET_MESSAGE_P95_MS = 100.0
PER_CONVERSATION = 12


def figures(name: str, ms: list[float], target: float | None = None) -> None:
    line = (
        f"{name:<9} n={len(ms):<5} p50 {percentile(ms, 0.5):6.2f} ms  "
        f"p95 {percentile(ms, 0.95):6.2f} ms  p99 {percentile(ms, 0.99):6.2f} ms  "
        f"max {max(ms):6.2f} ms  mean {statistics.fmean(ms):6.2f} ms"
    )
    if target is not None:
        verdict = "ok" if percentile(ms, 0.95) <= target else "MISSED"
        line += f"  (target p95 ≤ {target:g} ms: {verdict})"
    print(line)


def play(db: Database, engine: DialogueEngine, texts: list[str], rounds: int) -> None:
    answer_ms: list[float] = []
    message_ms: list[float] = []
    n = 0
    for r in range(rounds):
        for i, said in enumerate(texts):
            if i % PER_CONVERSATION == 0:
                ref = f"widget:bench{r:03d}{i:06d}"
            n += 1
            message: dict[str, Any] = {"id": f"w-{n}", "kind": "text", "text": said}
            t0 = time.perf_counter()
            with db.write() as s:
                rec = convs.record_inbound(s, ref, message, utcnow())
                assert rec is not None
                t1 = time.perf_counter()
                out = engine.answer(s, rec.conversation.id, message, utcnow())
                answer_ms.append((time.perf_counter() - t1) * 1000)
                for o in out:
                    if o.body is not None:
                        convs.queue_outgoing(s, rec.conversation.id, o.body, "bot", o.quick_replies)
            message_ms.append((time.perf_counter() - t0) * 1000)
    figures("answer", answer_ms, TARGET_ANSWER_P95_MS)
    figures("message", message_ms, TARGET_MESSAGE_P95_MS)


def sale(db: Database, engine: DialogueEngine, runs: int) -> None:
    steps: dict[str, list[float]] = {}
    with db.read() as s:
        from sqlalchemy import select

        from minichat_desktop.domain.models import Product, ProductVariant

        variant = s.scalar(
            select(ProductVariant.id)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(Product.active, ProductVariant.active)
            .order_by(ProductVariant.stock.desc())
            .limit(1)
        )
    script: list[tuple[str, str, str]] = [
        ("question", "text", "มีเสื้อยืดสีแดงไหม ราคาเท่าไหร่"),
        ("add", "postback", f"cart:add:{variant}:1"),
        ("checkout", "postback", "checkout:start"),
        ("name", "text", "สมหญิง ใจดี"),
        ("phone", "text", "0812345678"),
        ("address", "text", "99/1 ถ.สุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพฯ 10110"),
        ("shipping", "postback", "ship:kerry"),
        ("payment", "postback", "pay:transfer"),
        ("confirm", "postback", "checkout:confirm"),
    ]
    for r in range(runs):
        ref = f"widget:benchsale{r:06d}"
        for i, (step, kind, value) in enumerate(script):
            key = "data" if kind == "postback" else "text"
            message = {"id": f"s-{r}-{i}", "kind": kind, key: value}
            with db.write() as s:
                rec = convs.record_inbound(s, ref, message, utcnow())
                assert rec is not None
                t = time.perf_counter()
                out = engine.answer(s, rec.conversation.id, message, utcnow())
                steps.setdefault(step, []).append((time.perf_counter() - t) * 1000)
                assert out, f"no answer at {step}"
    for step, ms in steps.items():
        figures(step, ms)
    with db.read() as s:
        from minichat_desktop.domain.sales import orders

        everything = orders.list_orders(s, limit=100_000)
        placed = [o for o in everything if o.customer_name == "สมหญิง ใจดี"]
    qr = len(list((engine.media_dir or Path()).glob("qr/*.png")))
    print(f"orders placed by the chat: {len(placed)} of {runs}; QR pictures written: {qr}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sales", type=int, default=30)
    args = ap.parse_args()
    texts = [row["text"] for row in labelled()]
    folder = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    try:
        db = Database.open(folder, backup=False)
        t = time.perf_counter()
        build(db, args.products)
        with db.write() as s:
            shop.update_profile(s, "bench", promptpay_id="0812345678")
        print(f"shop built: {args.products} products in {time.perf_counter() - t:.1f} s")
        engine = DialogueEngine(folder / "media")
        t = time.perf_counter()
        with db.read() as s:
            engine.matcher(s)
        print(f"catalog matcher (first message pays it): {(time.perf_counter() - t) * 1000:.0f} ms")
        print(f"\n{len(texts)} labelled messages × {args.rounds} rounds, rule path:")
        play(db, engine, texts, args.rounds)
        print(f"\na full sale in the chat, {args.sales} times (answer only, per step):")
        sale(db, engine, args.sales)
        db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\n(measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, one process, 2 shared cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
