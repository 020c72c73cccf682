"""The installable program's size on disk and its start-up time (issue 18 item 3).

Measures the bundle scripts/package built (``dist/MiniChat``, built first when it is not
there; or ``--bundle``):

- size on disk (allocated blocks, as ``du`` counts them) and file count, and its biggest parts;
- ``minichat --version``: process start to exit (the frozen interpreter's own start-up);
- the window: process start to the first paint with the inbox usable, and to every screen
  built (the app says so under ``MINICHAT_BENCH_STARTUP=1``, then quits), on a demo shop made
  by the frozen program itself; the same from the source checkout for comparison.

Each run is a fresh process with nothing of the project around it (tests/support/frozen.py).
"Cold" here is the first run after the build (the files may still be in the OS page cache: this
machine is shared, so the cache is not dropped); then the median of ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_inbox import cold_start
from support.frozen import PROJECT, clean_env


def disk_usage(folder: Path) -> tuple[int, int, dict[str, int]]:
    """(bytes allocated, files, bytes by top-level part of _internal and PySide6/Qt)."""
    total, files, parts = 0, 0, {}
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_blocks * 512
        total += size
        files += 1
        rel = path.relative_to(folder).parts
        key = "/".join(rel[:4] if rel[1:3] == ("PySide6", "Qt") else rel[:2])
        parts[key] = parts.get(key, 0) + size
    return total, files, parts


def time_version(exe: Path, runs: int) -> list[float]:
    took = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "--version"], env=clean_env(), capture_output=True, check=True)
        took.append((time.perf_counter() - t0) * 1000)
    return took


def _line(name: str, values: list[float]) -> str:
    rest = values[1:] or values
    return (
        f"{name:<34} first {values[0]:7.0f} ms   median of the next {len(rest)}: "
        f"{statistics.median(rest):7.0f} ms"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", type=Path, default=PROJECT / "dist" / "MiniChat")
    ap.add_argument("--runs", type=int, default=5, help="runs after the first (default 5)")
    args = ap.parse_args()
    exe = args.bundle / ("minichat.exe" if os.name == "nt" else "minichat")
    if not exe.is_file() and args.bundle == PROJECT / "dist" / "MiniChat":
        print("no bundle yet: building it (scripts/package)", flush=True)
        subprocess.run(["bash", str(PROJECT / "scripts" / "package")], check=True)
    if not exe.is_file():
        raise SystemExit(f"no {exe}: build it with scripts/package")

    total, files, parts = disk_usage(args.bundle)
    print(f"bundle {args.bundle}: {total / 2**20:.0f} MiB on disk, {files:,} files")
    for key, size in sorted(parts.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {size / 2**20:7.1f} MiB  {key}")

    print(_line("minichat --version", time_version(exe, args.runs + 1)))
    with tempfile.TemporaryDirectory() as tmp:
        shop = Path(tmp) / "shop"
        subprocess.run(
            [str(exe), "--data-dir", str(shop), "demo-data"],
            env=clean_env(),
            capture_output=True,
            check=True,
        )
        for name, command, env in (
            ("frozen", [str(exe)], clean_env()),
            (
                "source checkout",
                [sys.executable, "-m", "minichat_desktop.cli"],
                {**clean_env(), "PYTHONPATH": str(PROJECT)},
            ),
        ):
            shown, ready, _stalls = cold_start(shop, args.runs + 1, command, env)
            print(_line(f"{name}: window shown", shown))
            print(_line(f"{name}: every screen built", ready))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
