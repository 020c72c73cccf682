"""Shared by the relay benchmarks: start a relay subprocess, make a shop, percentiles."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# the checkout's virtualenv, else the interpreter running the benchmark (a git worktree has none)
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable


def raise_nofile(n: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


class RelayProc:
    """A relay subprocess on port 0 with rate limits off (one IP plays thousands of shoppers)."""

    def __init__(
        self, data_dir: Path, *extra: str, env: dict[str, str] | None = None, cpu: int | None = None
    ) -> None:
        out = subprocess.run(
            [PYTHON, "-m", "relay", "--data-dir", str(data_dir), "shops", "add", "ร้านทดสอบความเร็ว"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        shop = json.loads(out.stdout.strip().splitlines()[-1])
        self.shop_id: str = shop["shop_id"]
        self.token: str = shop["token"]
        self.data_dir = data_dir
        cmd = [
            PYTHON,
            "-m",
            "relay",
            "--data-dir",
            str(data_dir),
            "--log-level",
            "WARNING",
            "serve",
            "--port",
            "0",
            "--ip-rate",
            "0",
            "--ip-sockets",
            "0",
            "--shopper-rate",
            "0",
            *extra,
        ]
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            cmd = ["taskset", "-c", str(cpu), *cmd]
        self._cmd = cmd
        self._env = {**os.environ, **(env or {})}
        self.restart()

    def restart(self) -> None:
        self.proc = subprocess.Popen(
            self._cmd, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, cwd=ROOT, env=self._env
        )
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.port: int = info["port"]
        self.metrics_port: int | None = info.get("metrics_port")  # with --metrics-port 0
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def stop(self) -> None:
        if self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def metric(port: int, name: str) -> float:
    """One unlabelled sample from the relay's Prometheus listener (NaN when absent)."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return float("nan")


def write_syscalls(pid: int) -> int:
    """write/send system calls the process made so far (Linux /proc/PID/io ``syscw``)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    return 0


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q / 100 * len(s)))]


def fmt_ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def uvloop_run(coro: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        import asyncio

        return asyncio.run(coro)
