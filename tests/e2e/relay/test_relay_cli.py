"""minichat-relay's command line: outputs, exit codes, --help everywhere."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from support.relay_proc import line_env

from relay import pg_schema
from relay.storage import SCHEMA_VERSION, LineCredentials, Store


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["shops"],
        ["shops", "add"],
        ["shops", "list"],
        ["shops", "rotate-token"],
        ["shops", "line"],
        ["shops", "origins"],
        ["shops", "remove"],
        ["backup"],
        ["restore"],
        ["rotate-key"],
        ["move-to"],
    ],
)
def test_help_everywhere(tmp_path: Path, clients: Any, args: list[str]) -> None:
    res = clients.run_cli(tmp_path, *args, "--help")
    assert res.returncode == 0
    assert res.stdout.startswith("usage: minichat-relay")


def test_version_says_the_release_and_the_table_layouts(tmp_path: Path, clients: Any) -> None:
    """``--version``: what an operator compares with a refusal such as "upgraded by a newer
    relay (schema 4; this relay knows up to 3)"."""
    res = clients.run_cli(tmp_path, "--version")
    assert (res.returncode, res.stdout) == (
        0,
        f"minichat-relay {metadata.version('minichat')} (tables: SQLite schema"
        f" {SCHEMA_VERSION}, PostgreSQL schema {pg_schema.newest()})\n",
    )


def test_shop_administration_round_trip(tmp_path: Path, clients: Any) -> None:
    """add → list → line → origins → rotate-token → remove, with exact outputs and codes."""
    res = clients.run_cli(tmp_path, "shops", "add", "ร้านป้าแดง")
    assert res.returncode == 0
    created = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(created) == {"shop_id", "token"}
    assert created["token"].startswith("mcs_") and len(created["token"]) == 47
    shop = created["shop_id"]

    res = clients.run_cli(tmp_path, "shops", "list", "--json")
    listed = json.loads(res.stdout)
    assert (
        listed["shop_id"],
        listed["name"],
        listed["line_configured"],
        listed["allowed_origins"],
        listed["pending_for_desktop"],
    ) == (shop, "ร้านป้าแดง", False, [], 0)
    assert "mcs_" not in res.stdout

    res = clients.run_cli(tmp_path, "shops", "line", shop, env=line_env("abc", "def"))
    assert (res.returncode, json.loads(res.stdout)) == (
        0,
        {"shop_id": shop, "line_configured": True},
    )

    res = clients.run_cli(
        tmp_path, "shops", "origins", shop, "https://Shop.Example/", "http://localhost:8000"
    )
    assert json.loads(res.stdout)["allowed_origins"] == [
        "https://shop.example",
        "http://localhost:8000",
    ]
    res = clients.run_cli(tmp_path, "shops", "origins", shop, "ftp://nope")
    assert res.returncode == 2
    assert (
        res.stderr
        == "minichat-relay: origins[0]: must be an origin like https://shop.example or *\n"
    )

    res = clients.run_cli(tmp_path, "shops", "rotate-token", shop)
    rotated = json.loads(res.stdout.strip().splitlines()[-1])
    assert rotated["shop_id"] == shop and rotated["token"] != created["token"]

    res = clients.run_cli(tmp_path, "shops", "rotate-token", "shop_nope")
    assert res.returncode == 2
    assert (
        res.stderr == "minichat-relay: no such shop: shop_nope (see: minichat-relay shops list)\n"
    )
    assert "Traceback" not in res.stderr

    assert clients.run_cli(tmp_path, "shops", "remove", shop).returncode == 2
    res = clients.run_cli(tmp_path, "shops", "remove", shop, "--yes")
    assert (res.returncode, json.loads(res.stdout)) == (0, {"shop_id": shop, "removed": True})
    assert (
        clients.run_cli(tmp_path, "shops", "list").stdout
        == "no shops yet: minichat-relay shops add NAME\n"
    )


SECRET = "0123456789abcdef0123456789abcdef"  # the shape of a LINE channel secret
TOKEN = "eyJhbGciOiJIUzI1NiJ9.long-lived/token+with=chars"


def _stored_line(data_dir: Path, shop: str) -> Any:
    store = Store(data_dir)
    try:
        return store.line_credentials(shop)
    finally:
        store.close()


def test_line_credentials_never_come_from_the_command_line(tmp_path: Path, clients: Any) -> None:
    shop, _ = clients.add_shop(tmp_path, "ร้านไลน์")
    # the old options are refused, saying how to pass the values now; nothing is stored
    res = clients.run_cli(
        tmp_path, "shops", "line", shop, "--channel-secret", SECRET, "--channel-token", TOKEN
    )
    assert res.returncode == 2
    assert "MINICHAT_LINE_CHANNEL_SECRET" in res.stderr and "ps" in res.stderr
    assert SECRET not in res.stderr and "Traceback" not in res.stderr
    assert _stored_line(tmp_path, shop) is None

    # from the environment
    res = clients.run_cli(tmp_path, "shops", "line", shop, env=line_env(SECRET, TOKEN))
    assert res.returncode == 0, res.stderr
    assert SECRET not in res.stdout + res.stderr and TOKEN not in res.stdout + res.stderr
    assert _stored_line(tmp_path, shop) == LineCredentials(SECRET, TOKEN)

    # from standard input (a pipe: two lines), when the variables are unset
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINICHAT_LINE_CHANNEL_")}
    res = subprocess.run(
        [sys.executable, "-m", "relay", "--data-dir", str(tmp_path), "shops", "line", shop],
        input=f"  {SECRET[::-1]}\r\n{TOKEN}-2\n",
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert res.returncode == 0, res.stderr
    assert _stored_line(tmp_path, shop) == LineCredentials(SECRET[::-1], f"{TOKEN}-2")

    # bad input: one line only, one variable only, a value with spaces; what was stored stays
    for kwargs, needle in (
        ({"stdin": SECRET + "\n"}, "expected two lines"),
        ({"env": {"MINICHAT_LINE_CHANNEL_SECRET": SECRET}}, "MINICHAT_LINE_CHANNEL_TOKEN is not"),
        ({"env": line_env("two words", TOKEN)}, "LINE channel secret: not a LINE channel secret"),
        ({"env": line_env(SECRET, "")}, "LINE channel access token: empty"),
    ):
        res = clients.run_cli(tmp_path, "shops", "line", shop, **kwargs)
        assert res.returncode == 2, (kwargs, res.stderr)
        assert needle in res.stderr and "Traceback" not in res.stderr
        assert _stored_line(tmp_path, shop) == LineCredentials(SECRET[::-1], f"{TOKEN}-2")

    # an unknown shop is refused before anything is read
    res = clients.run_cli(tmp_path, "shops", "line", "shop_nope", env=line_env(SECRET, TOKEN))
    assert (res.returncode, res.stderr) == (
        2,
        "minichat-relay: no such shop: shop_nope (see: minichat-relay shops list)\n",
    )

    res = clients.run_cli(tmp_path, "shops", "line", shop, "--clear")
    assert (res.returncode, json.loads(res.stdout)["line_configured"]) == (0, False)
    assert _stored_line(tmp_path, shop) is None


def test_data_dir_from_env_and_serve_errors(tmp_path: Path, clients: Any) -> None:
    """MINICHAT_RELAY_DATA_DIR picks the folder; a bad port is a user error (2); a port in use
    is an environment error (1)."""
    res = clients.run_cli(tmp_path / "unused", "serve", "--port", "70000")
    assert (res.returncode, res.stderr) == (2, "minichat-relay: --port: must be 0-65535\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = clients.run_cli(tmp_path / "d", "serve", "--port", str(port))
    assert res.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr
    assert "Traceback" not in res.stderr

    project = Path(__file__).resolve().parents[3]
    env = {**os.environ, "MINICHAT_RELAY_DATA_DIR": str(tmp_path / "envdir")}
    out = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-m", "relay", "shops", "add", "ร้านจาก env"],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1])["shop_id"].startswith("shop_")
    assert (tmp_path / "envdir" / "relay.sqlite3").exists()


def test_unusable_data_dir_is_an_environment_error(tmp_path: Path, clients: Any) -> None:
    """A data folder that cannot be created → exit 1 with a message, no traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = clients.run_cli(blocker / "sub", "shops", "list")
    assert res.returncode == 1
    assert res.stderr.startswith(f"minichat-relay: cannot open the database in {blocker / 'sub'}:")
    assert "Traceback" not in res.stderr
    # a key that is not one: the operator's setting to fix (2)
    res = clients.run_cli(tmp_path / "k", "shops", "list", env={"MINICHAT_RELAY_KEY": "short"})
    assert (res.returncode, res.stderr) == (
        2,
        "minichat-relay: MINICHAT_RELAY_KEY is not a valid Fernet key (32 url-safe base64"
        " bytes; several keys: one per line, the new one first)\n",
    )


def test_serve_stops_when_its_stdin_closes(tmp_path: Path) -> None:
    """``serve --stop-at-stdin-eof`` (how an app starts its relay): the pipe closing — the
    parent exiting, even killed — stops the relay the orderly way, exit 0."""
    proc = subprocess.Popen(
        [
            sys.executable,
            *("-m", "relay", "--data-dir", str(tmp_path)),
            *("serve", "--port", "0", "--stop-at-stdin-eof"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert json.loads(proc.stdout.readline())["event"] == "listening"
        proc.stdin.close()
        assert proc.wait(10) == 0
        assert proc.stderr is not None
        err = proc.stderr.read()
        assert "parent gone (stdin closed): stopping" in err
        assert err.rstrip().endswith("relay: stopped")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def test_one_relay_serves_a_data_folder(relay_factory: Any, clients: Any) -> None:
    """A second ``serve`` on a SQLite folder a relay serves (two writers would reuse seqs and
    store messages twice) stops with exit 2 naming the folder and the process; one that may
    wait takes over once the first has stopped; a kill -9 leaves no stale lock."""
    first = relay_factory().start()
    assert first.proc is not None
    res = clients.run_cli(first.data_dir, "serve", "--port", "0", "--lock-wait", "0")
    assert res.returncode == 2, res.stderr
    assert f"another relay (process {first.proc.pid}) is serving {first.data_dir}" in res.stderr
    assert "--store postgresql://" in res.stderr and "Traceback" not in res.stderr
    res = clients.run_cli(first.data_dir, "serve", "--lock-wait", "-1")
    assert (res.returncode, res.stderr) == (
        2,
        "minichat-relay: --lock-wait: must be 0-3600 seconds\n",
    )
    # shop administration needs no lock: it runs beside the serving relay
    assert clients.run_cli(first.data_dir, "shops", "list", "--json").returncode == 0

    second = relay_factory("--lock-wait", "60", data_dir=first.data_dir)
    started = threading.Thread(target=second.start)
    started.start()
    deadline = time.monotonic() + 30
    while "waiting for the relay serving" not in _log_so_far(second):
        assert time.monotonic() < deadline and started.is_alive(), _log_so_far(second)
        time.sleep(0.05)
    assert f"(process {first.proc.pid}) to stop" in second.log() and second.port == 0
    assert first.stop() == 0
    started.join(60)
    assert second.port > 0 and second.proc is not None
    second.kill()  # the OS drops a killed holder's lock
    third = relay_factory("--lock-wait", "0", data_dir=first.data_dir).start()
    assert third.port > 0


def _log_so_far(r: Any) -> str:
    """A relay's log while it starts (its file may not be made yet)."""
    path = r.log_path
    return path.read_text() if path is not None and path.exists() else ""
