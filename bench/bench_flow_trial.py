"""The flow simulator's start (``app/flow_trial.py``): how long the scratch copy of a big shop
takes, and one simulated chat on it.

Builds (or reuses, with ``--data DIR``) the shop of ``bench_dashboard.py``: ``--orders``
orders (default 100,000), 30,000 customers, ``--conversations`` chats (default 40,000, about
400,000 messages), inserted in bulk. Then ``--rounds`` times (default 3): ``FlowTrial.open``
with the built-in product finder (the backup-API copy into ``<data>/trial/``, the flow saved
in it), the finder answered to its product cards, and ``close``. Prints the database size and
the median wall and CPU time of the open, the chat and the close.

    .venv/bin/python bench/bench_flow_trial.py [--data /tmp/bench-flow-trial]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import build  # noqa: E402

from minichat_desktop import paths  # noqa: E402
from minichat_desktop.app.flow_trial import FlowTrial  # noqa: E402
from minichat_desktop.domain.bot.flows import builtins  # noqa: E402
from minichat_desktop.storage.db import Database  # noqa: E402


def _timed(fn: object) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run(folder: Path, rounds: int) -> None:
    db = Database.open(folder, backup=False)
    with db.write() as s:
        finder = {f.builtin: f for f in builtins.ensure_builtin_flows(s)}[
            builtins.BUILTIN_DISCOVERY
        ]
    db.checkpoint()
    size = paths.database_path(folder).stat().st_size
    print(f"database: {size / 1e6:,.0f} MB")
    figures: dict[str, list[tuple[float, float]]] = {"open": [], "chat": [], "close": []}
    for _ in range(rounds):
        wall, cpu, trial = _timed(
            lambda: FlowTrial.open(db, folder, finder.name, finder.trigger, finder.nodes)
        )
        figures["open"].append((wall, cpu))
        assert isinstance(trial, FlowTrial)

        def chat(trial: FlowTrial = trial) -> object:
            for words in ("ช่วยเลือก", "500", "ดำ", "M"):
                turn = trial.say(words)
            return turn

        wall, cpu, _ = _timed(chat)
        figures["chat"].append((wall, cpu))
        wall, cpu, _ = _timed(trial.close)
        figures["close"].append((wall, cpu))
    for name, rows in figures.items():
        wall = statistics.median(w for w, _ in rows)
        cpu = statistics.median(c for _, c in rows)
        median = f"{wall * 1000:,.0f} ms wall, {cpu * 1000:,.0f} ms CPU"
        print(f"{name:>5}: {median} (median of {rounds})")
    db.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--conversations", type=int, default=40_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data", type=Path, help="keep the built shop here (reused when present)")
    args = ap.parse_args()
    if args.data is not None:
        if not paths.database_path(args.data).exists():
            build(args.data, args.orders, args.conversations).dispose()
        run(args.data, args.rounds)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp), args.orders, args.conversations).dispose()
        run(Path(tmp), args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
