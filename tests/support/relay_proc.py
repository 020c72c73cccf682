"""The relay as a real subprocess on 127.0.0.1, port 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def relay_cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "relay", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=PROJECT,
        env={**os.environ, **(env or {})},
    )


def line_env(secret: str, token: str) -> dict[str, str]:
    """The environment ``minichat-relay shops line`` reads the LINE credentials from."""
    return {"MINICHAT_LINE_CHANNEL_SECRET": secret, "MINICHAT_LINE_CHANNEL_TOKEN": token}


def add_shop(data_dir: Path, name: str) -> tuple[str, str]:
    """Create a shop; returns (shop_id, token)."""
    res = relay_cli(data_dir, "shops", "add", name)
    assert res.returncode == 0, res.stderr
    obj = json.loads(res.stdout.strip().splitlines()[-1])
    return obj["shop_id"], obj["token"]


@dataclass
class Relay:
    """A relay subprocess. ``start`` (again) after ``kill``/``stop`` restarts it on a new port
    (or on ``port`` when given)."""

    data_dir: Path
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    wrapper: list[str] = field(default_factory=list)  # runs the relay, e.g. ["prlimit", ...]
    proc: subprocess.Popen[str] | None = None
    port: int = 0
    listening: dict[str, Any] = field(default_factory=dict)  # the relay's "listening" line
    log_path: Path | None = None
    _log_file: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> Relay:
        self.log_path = self.data_dir / f"relay-{time.monotonic_ns()}.log"
        log = self._log_file = open(self.log_path, "w")  # noqa: SIM115 - closed in _reap
        self.proc = subprocess.Popen(
            [
                *self.wrapper,
                PYTHON,
                "-m",
                "relay",
                "--data-dir",
                str(self.data_dir),
                "serve",
                "--port",
                str(port),
                *self.extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=PROJECT,
            env={**os.environ, **self.env},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            self._reap()
            raise RuntimeError(f"relay did not start: {self.log_path.read_text()}")
        info = json.loads(line)
        assert info["event"] == "listening"
        self.port = int(info["port"])
        self.listening = info
        return self

    def _reap(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        self.proc = None

    def stop(self, timeout: float = 10) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise
        finally:
            if self.proc.returncode is not None:
                self._reap()
        return rc

    @property
    def metrics_url(self) -> str:
        """The metrics listener's /metrics (started with ``--metrics-port``)."""
        return f"http://127.0.0.1:{self.listening['metrics_port']}/metrics"

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reap()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path else ""


def stopped_logs(relays: list[Relay]) -> list[str]:
    """Stop the relays still running; their logs, each checked for a traceback."""
    for r in relays:
        if r.proc is not None:
            r.stop()
    logs = [r.log() for r in relays]
    for log in logs:
        assert "Traceback" not in log, log[-3000:]
    return logs


def one_shop_relay(folder: Path, env: dict[str, str] | None = None) -> tuple[Relay, str, str]:
    """A started relay with one shop: (relay, shop_id, token). Stop it with ``relay.stop()``."""
    relay = Relay(folder, env=env or {})
    relay.data_dir.mkdir(parents=True, exist_ok=True)
    shop_id, token = add_shop(relay.data_dir, "ร้านทดสอบ")
    relay.start()
    return relay, shop_id, token


def meta_shop_relay(
    folder: Path,
    meta_api_url: str,
    secret: str,
    page_token: str = "page-token-1",
    name: str = "ร้านทดสอบ",
) -> tuple[Relay, str, str]:
    """A started relay whose one shop has its Facebook Page set up by the operator's CLI,
    talking to Meta at ``meta_api_url`` (support.fake_meta): (relay, shop_id, token). Verify
    token ``verify-me``. Stop it with ``relay.stop()``."""
    relay = Relay(folder, env={"MINICHAT_META_API_BASE": meta_api_url})
    relay.data_dir.mkdir(parents=True, exist_ok=True)
    shop_id, token = add_shop(relay.data_dir, name)
    env = {
        "MINICHAT_META_APP_SECRET": secret,
        "MINICHAT_META_PAGE_TOKEN": page_token,
        "MINICHAT_META_VERIFY_TOKEN": "verify-me",
    }
    res = relay_cli(relay.data_dir, "shops", "meta", shop_id, env=env)
    assert res.returncode == 0, res.stderr
    relay.start()
    return relay, shop_id, token
