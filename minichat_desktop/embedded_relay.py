"""The relay started on 127.0.0.1 for ``minichat --demo``: a real relay process of our own,
with its own data folder beside the shop's, and a fresh shop token each start (so the demo
never needs a keyring to remember one)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from minichat_desktop.errors import EnvironmentProblem

log = logging.getLogger(__name__)


@dataclass
class EmbeddedRelay:
    data_dir: Path
    shop_name: str
    proc: subprocess.Popen[str] | None = None
    url: str = ""
    shop_id: str = ""
    token: str = ""

    def _cli(self, *args: str) -> dict[str, object]:
        res = subprocess.run(
            [sys.executable, "-m", "relay", "--data-dir", str(self.data_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if res.returncode != 0:
            raise EnvironmentProblem(
                "env.relay_start", f"the local relay could not be prepared: {res.stderr.strip()}"
            )
        return dict(json.loads(res.stdout.strip().splitlines()[-1]))

    def start(self) -> EmbeddedRelay:
        """Create the demo shop on first use, issue a token, and serve on a free port."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        id_file = self.data_dir / "demo-shop-id"
        if id_file.exists():
            self.shop_id = id_file.read_text().strip()
            self.token = str(self._cli("shops", "rotate-token", self.shop_id)["token"])
        else:
            made = self._cli("shops", "add", self.shop_name)
            self.shop_id, self.token = str(made["shop_id"]), str(made["token"])
            id_file.write_text(self.shop_id)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "relay",
                "--data-dir",
                str(self.data_dir),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--demo-page",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise EnvironmentProblem("env.relay_start", "the local relay did not start")
        info = json.loads(line)
        self.url = f"http://127.0.0.1:{info['port']}"
        log.info("embedded relay on %s for shop %s", self.url, self.shop_id)
        return self

    @property
    def test_page(self) -> str:
        return f"{self.url}/demo/{self.shop_id}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None
