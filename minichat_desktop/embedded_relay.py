"""The relay started on 127.0.0.1 for ``minichat --demo``: a real relay process of our own,
with its own data folder beside the shop's, and a fresh shop token each start (so the demo
never needs a keyring to remember one).

It keeps its port across starts (``<relay data>/port``; another only when that one is taken), so
a widget page left open reconnects by itself, and it ends with the app: it watches a pipe from
the app and stops when the pipe closes, so even a killed app leaves no relay behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from minichat_desktop import build_info
from minichat_desktop.errors import EnvironmentProblem
from minichat_desktop.files import atomic_write_bytes

log = logging.getLogger(__name__)

# In the frozen program sys.executable is MiniChat itself, with no ``-m``: its entry point
# (packaging/minichat_entry.py) runs the relay's command line when this comes first instead.
FROZEN_RELAY_COMMAND = "__relay__"


def relay_command() -> list[str]:
    """How to start ``minichat-relay``: this interpreter with ``-m relay``, or, frozen, this
    program with its hidden relay command (no system Python is needed either way)."""
    if build_info.frozen():
        return [sys.executable, FROZEN_RELAY_COMMAND]
    return [sys.executable, "-m", "relay"]


def _no_window() -> int:
    """On Windows the relay is a console program: without this flag each start would open a
    console window beside the app."""
    return getattr(subprocess, "CREATE_NO_WINDOW", 0)


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
            [*relay_command(), "--data-dir", str(self.data_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
            creationflags=_no_window(),
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
        wanted = self._stored_port()
        port = self._serve(wanted) if wanted else None
        if port is None:  # never started here, or the port is taken now: any free port
            port = self._serve(0)
        if port is None:
            raise EnvironmentProblem("env.relay_start", "the local relay did not start")
        if port != wanted:
            atomic_write_bytes(self.port_file, f"{port}\n".encode())
        self.url = f"http://127.0.0.1:{port}"
        log.info("embedded relay on %s for shop %s", self.url, self.shop_id)
        return self

    @property
    def port_file(self) -> Path:
        """The port this relay listened on last: the next start asks for it again, so a
        widget page left open reconnects to the same address."""
        return self.data_dir / "port"

    def _stored_port(self) -> int:
        try:
            port = int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return 0
        return port if 0 < port < 65536 else 0

    def _serve(self, port: int) -> int | None:
        """Start ``serve`` on ``port`` (0: any free one); the port it listens on, or None when
        it could not listen. Its standard input is a pipe from this process: when
        this process ends, however it ends, the relay sees the pipe close and stops."""
        proc = subprocess.Popen(
            [
                *relay_command(),
                "--data-dir",
                str(self.data_dir),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--demo-page",
                "--stop-at-stdin-eof",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            creationflags=_no_window(),
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            proc.wait(10)
            _close_pipes(proc)
            if port:
                log.info("embedded relay: port %d is taken; choosing another", port)
            return None
        self.proc = proc
        return int(json.loads(line)["port"])

    @property
    def test_page(self) -> str:
        return f"{self.url}/demo/{self.shop_id}"

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the relay the orderly way (it closes its sockets and commits): its pipe closed,
        and SIGTERM where there is one; killed if it has not ended within ``timeout``
        seconds."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            if sys.platform != "win32":  # there terminate() is a kill
                proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded relay did not stop in %.0f s: killed", timeout)
                proc.kill()
                proc.wait(5)
        _close_pipes(proc)


def _close_pipes(proc: subprocess.Popen[str]) -> None:
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
