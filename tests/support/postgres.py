"""A real PostgreSQL server for tests and benchmarks: Debian's ``postgresql`` package,
``initdb`` + ``pg_ctl`` in a new temporary folder, listening on 127.0.0.1 on a free port.

PostgreSQL refuses to run as root; as root (CI, the dev machines) the server runs as the
``postgres`` user that the Debian package creates, in a folder owned by it. ``stop`` /
``start`` restart the server on the same folder and port (the store-restart tests);
``kill`` is an immediate shutdown (no checkpoint: recovery replays the WAL at the next start).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl) are missing: apt-get install postgresql"
    " (scripts/setup installs it)"
)


def _bindir() -> Path:
    """The folder of initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(INSTALL_HINT)
    return Path(initdb).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in its own folder; ``url(db)`` to connect as the ``relay`` user
    (trust authentication, 127.0.0.1 only)."""

    folder: Path
    port: int = 0
    _bin: Path = field(default_factory=_bindir)
    _user: str | None = None  # the OS user the server runs as (None: ourselves)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self._bin / args[0]), *args[1:]]
        if self._user is not None:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=check)

    def init(self) -> PostgresServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._user = "postgres"
            pw = pwd.getpwnam(self._user)
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "relay",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        )
        return self

    def start(self) -> PostgresServer:
        """Start (again) on ``port`` (a free one the first time)."""
        for _ in range(5):
            port = self.port or _free_port()
            opts = (
                f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
                " -c shared_buffers=32MB -c max_connections=50 -c synchronous_commit=on"
                " -c fsync=on"
            )
            res = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log_path),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if res.returncode == 0:
                self.port = port
                return self
            if self.port:  # a restart on the same port: say why it failed
                break
        raise RuntimeError(f"postgresql did not start: {res.stderr}\n{self.log()[-2000:]}")

    def pid(self) -> int:
        """The running server's postmaster (its backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self, mode: str = "fast") -> None:
        """``fast``: a clean shutdown; ``immediate``: no checkpoint, like a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://relay@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "relay",
            "-d",
            "postgres",
            "-c",
            f"CREATE DATABASE {name}",
        )
        return self.url(name)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """A new running server in a new folder under the system's temporary folder (not
    pytest's: that one is private to root, and the server may run as ``postgres``)."""
    folder = Path(tempfile.mkdtemp(prefix="minichat-pg-"))
    return PostgresServer(folder).init().start()
