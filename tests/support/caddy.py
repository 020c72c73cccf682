"""Debian's Caddy as a real subprocess in front of relay processes, with deploy/Caddyfile's
own site block (the shop header its balancing hashes, its retries and health checks) served
over plain HTTP on 127.0.0.1 and a free port: what the operator's Caddy does, without
certificates.

Caddy's admin endpoint is off (no fixed port 2019 shared with other tests) and its storage
and autosaved configuration live in the given folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from support.relay_proc import PROJECT

CADDYFILE = PROJECT / "deploy" / "Caddyfile"
INSTALL_HINT = "caddy is missing: apt-get install caddy (scripts/setup installs it)"


def site_body(caddyfile: str) -> str:
    """The inside of ``caddyfile``'s ``{$RELAY_DOMAIN} { … }`` site block, as written there
    (comments and all)."""
    lines = caddyfile.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("{$RELAY_DOMAIN} {"))
    depth = 0
    for end in range(start, len(lines)):
        code = lines[end].split("#", 1)[0]
        # (placeholders such as "{$VAR:default}" or "{re.shop.1}" open and close on one line)
        code = re.sub(r"\{[^{}\s]*\}", "", code)
        depth += code.count("{") - code.count("}")
        if depth == 0:
            return "\n".join(lines[start + 1 : end]) + "\n"
    raise ValueError("the Caddyfile's site block does not close")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class CaddyFront:
    """Caddy on ``http://127.0.0.1:<port>`` proxying to ``upstreams`` (host:port), which it
    gets as deploy/compose.yaml hands them over: RELAY_UPSTREAMS. ``ws`` and ``url`` make it
    usable wherever the tests take a relay."""

    folder: Path
    upstreams: list[str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return "ws" + self.url.removeprefix("http")

    @property
    def log_path(self) -> Path:
        return self.folder / "caddy.log"

    def config(self) -> str:
        body = site_body(CADDYFILE.read_text())
        site = f"http://127.0.0.1:{self.port} {{\n\tbind 127.0.0.1\n{body}}}\n"
        return "{\n\tadmin off\n}\n\n" + site

    def start(self, timeout: float = 30) -> CaddyFront:
        caddy = shutil.which("caddy")
        if caddy is None:
            raise RuntimeError(INSTALL_HINT)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = self.port or _free_port()
        path = self.folder / "Caddyfile"
        path.write_text(self.config())
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.folder),
            "XDG_DATA_HOME": str(self.folder / "data"),
            "XDG_CONFIG_HOME": str(self.folder / "config"),
            "RELAY_UPSTREAMS": " ".join(self.upstreams),
        }
        log = self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            [caddy, "run", "--config", str(path), "--adapter", "caddyfile"],
            stdout=log,
            stderr=log,
            env=env,
            cwd=self.folder,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"caddy did not start: {self.log()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)  # (a process starting: there is no clock to inject here)
        self.stop()
        raise RuntimeError(f"caddy did not listen on {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
