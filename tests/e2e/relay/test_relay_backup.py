"""``minichat-relay backup`` and ``restore`` (relay/backup.py): a backup taken while the relay
serves holds everything acknowledged before it, restores into a new folder and serves again;
a restore never runs beside a serving relay, never takes a file it cannot serve, and keeps the
database it replaces."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.relay_proc import PROJECT, add_shop, line_env

from relay import protocol as p
from relay.storage import SCHEMA_VERSION

# LINE counts text in UTF-16 units; what a shopper types carries Thai and emoji
QUESTION = "มีเสื้อยืดสีแดงไซซ์ M ไหมคะ 👕🙏 ({n})"


async def _chat(
    relay: Any, shop_id: str, token: str, clients: Any, first: int, count: int, session: str | None
) -> str:
    """``count`` shopper messages, each accepted (stored) by the relay, seen by the desktop;
    returns the widget session's token."""
    desk, _ = await clients.desktop(relay, token)
    w, welcome = await clients.widget(relay, shop_id, session=session)
    for n in range(first, first + count):
        await w.send(p.WidgetSend(clients.text(f"m{n}", QUESTION.format(n=n))))
        accepted = await w.recv_type(p.Accepted, timeout=20)
        assert accepted.id == f"m{n}"
        got = await desk.recv_type(p.Inbound, timeout=20)
        assert got.message.id == f"m{n}"
        await desk.send(p.Ack(got.seq))
    await w.close()
    await desk.close()
    return str(welcome.session)


async def _history(relay: Any, shop_id: str, session: str, clients: Any) -> list[str]:
    w, welcome = await clients.widget(relay, shop_id, session=session)
    await w.close()
    return [item.message.id for item in welcome.history]


def test_backup_while_serving_restores_elsewhere(
    relay_factory: Any, clients: Any, tmp_path: Path
) -> None:
    """A backup taken while the relay serves holds every message accepted before it and none
    after; restored into a new folder with its key, it serves the same shop, history and LINE
    credentials."""
    r = relay_factory("--shopper-rate", "0")  # (30 messages in a row: no rate limit here)
    shop_id, token = add_shop(r.data_dir, "ร้านป้าแดง")
    assert (
        clients.run_cli(r.data_dir, "shops", "line", shop_id, env=line_env("s3", "t3")).returncode
        == 0
    )
    r.start()
    session = asyncio.run(_chat(r, shop_id, token, clients, 0, 30, None))

    backups = tmp_path / "backups"
    backups.mkdir()
    res = clients.run_cli(r.data_dir, "backup", str(backups))  # the relay still serving
    assert res.returncode == 0, res.stderr
    made = Path(json.loads(res.stdout.splitlines()[-1])["backup"])
    assert made.parent == backups and made.name.startswith("relay-")
    assert "1 shop, 30 messages" in res.stdout and f"{r.data_dir / 'relay.key'}" in res.stdout
    assert stat.S_IMODE(made.stat().st_mode) == 0o600  # the shoppers' messages
    assert [f.name for f in backups.iterdir()] == [made.name]  # one file: no -wal, no .partial
    db = sqlite3.connect(made)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()

    asyncio.run(_chat(r, shop_id, token, clients, 30, 5, session))  # after the backup
    assert r.stop() == 0

    new = tmp_path / "restored"
    new.mkdir()
    shutil.copy(r.data_dir / "relay.key", new / "relay.key")
    res = clients.run_cli(new, "restore", str(made))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1]) == {"restored": str(made), "replaced": None}
    listed = json.loads(clients.run_cli(new, "shops", "list", "--json").stdout)
    assert (listed["shop_id"], listed["line_configured"]) == (shop_id, True)

    again = relay_factory("--shopper-rate", "0", data_dir=new).start()
    assert asyncio.run(_history(again, shop_id, session, clients)) == [f"m{n}" for n in range(30)]


def test_restore_refuses_what_it_cannot_serve(
    relay_factory: Any, clients: Any, tmp_path: Path
) -> None:
    """Never beside a serving relay; never a file that is not a relay's, a newer relay's, or
    one whose credentials this relay's key cannot open (unless they are left out); the
    database it replaces is kept; nothing changes when it refuses."""
    r = relay_factory()
    shop_id, _ = add_shop(r.data_dir, "ร้านเก่า")
    assert (
        clients.run_cli(r.data_dir, "shops", "line", shop_id, env=line_env("s", "t")).returncode
        == 0
    )
    made = tmp_path / "one.sqlite3"
    assert clients.run_cli(r.data_dir, "backup", str(made)).returncode == 0
    res = clients.run_cli(r.data_dir, "backup", str(made))
    assert (res.returncode, res.stderr) == (
        2,
        f"minichat-relay: {made} exists: a backup never overwrites a file; give a new name\n",
    )
    r.start()
    res = clients.run_cli(r.data_dir, "restore", str(made))
    assert r.proc is not None
    assert res.returncode == 2
    assert f"a relay (process {r.proc.pid}) is serving {r.data_dir}: stop it first" in res.stderr
    assert r.stop() == 0
    add_shop(r.data_dir, "ร้านใหม่")  # made after the backup: kept in the database put aside

    other = tmp_path / "other"  # a folder with a key of its own
    other.mkdir()
    add_shop(other, "ร้านอื่น")
    before = (other / "relay.sqlite3").read_bytes()
    res = clients.run_cli(other, "restore", str(made))
    assert res.returncode == 2
    assert "sealed with another key than this relay's" in res.stderr
    assert "--forget-credentials" in res.stderr and "Traceback" not in res.stderr
    assert (other / "relay.sqlite3").read_bytes() == before

    for bad, why in _bad_backups(tmp_path, made):
        res = clients.run_cli(r.data_dir, "restore", str(bad))
        assert (res.returncode, why in res.stderr) == (2, True), res.stderr

    res = clients.run_cli(other, "restore", str(made), "--forget-credentials")
    assert res.returncode == 0, res.stderr
    aside = Path(json.loads(res.stdout.splitlines()[-1])["replaced"])
    assert aside.name.startswith("relay.sqlite3.before-restore-")
    listed = json.loads(clients.run_cli(other, "shops", "list", "--json").stdout)
    assert (listed["name"], listed["line_configured"]) == ("ร้านเก่า", False)
    assert not (other / "relay.sqlite3-wal").exists()  # the old one's would replay onto it

    res = clients.run_cli(r.data_dir, "restore", str(made))
    assert res.returncode == 0, res.stderr
    aside = Path(json.loads(res.stdout.splitlines()[-1])["replaced"])
    kept = sqlite3.connect(aside)
    assert sorted(n for (n,) in kept.execute("SELECT name FROM shops")) == ["ร้านเก่า", "ร้านใหม่"]
    kept.close()
    names = [
        json.loads(line)["name"]
        for line in clients.run_cli(r.data_dir, "shops", "list", "--json").stdout.splitlines()
    ]
    assert names == ["ร้านเก่า"]

    res = clients.run_cli(r.data_dir, "--store", "postgresql://u@h/db", "backup", str(tmp_path))
    assert res.returncode == 2 and "pg_dump" in res.stderr


def _bad_backups(tmp_path: Path, good: Path) -> list[tuple[Path, str]]:
    """Files a restore must refuse, with the words of its refusal."""
    text = tmp_path / "notes.txt"
    text.write_text("ไม่ใช่ฐานข้อมูล\n" * 100, encoding="utf-8")
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(good, newer)
    db = sqlite3.connect(newer)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    foreign = tmp_path / "foreign.sqlite3"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    return [
        (text, f"{text} is not a relay backup: it is not a SQLite database"),
        (newer, f"was made by a newer relay (its tables are version {SCHEMA_VERSION + 1}"),
        (foreign, f"{foreign} is not a relay database"),
        (tmp_path / "missing.sqlite3", "is not a file: give the path of a backup"),
    ]


def test_restore_as_root_leaves_files_the_relay_can_open(clients: Any, tmp_path: Path) -> None:
    """An administrator restoring as root into the relay user's folder: the database and the
    lock file belong to that user, not to root (the relay could not open them)."""
    src = tmp_path / "src"
    src.mkdir()
    add_shop(src, "ร้านทดสอบ")
    made = tmp_path / "b.sqlite3"
    assert clients.run_cli(src, "backup", str(made)).returncode == 0
    folder = tmp_path / "relay-user"
    folder.mkdir()
    owner = 65534 if os.geteuid() == 0 else os.geteuid()  # nobody, where root may give it
    os.chown(folder, owner, -1)
    assert clients.run_cli(folder, "restore", str(made)).returncode == 0
    assert (folder / "relay.sqlite3").stat().st_uid == owner
    assert (folder / "relay.lock").stat().st_uid == owner


def test_nightly_backups_keep_the_newest(clients: Any, tmp_path: Path) -> None:
    """``backup FOLDER --keep N`` (the nightly timer's command) leaves the newest N backups it
    named there, the one just made always among them, and no other file is touched."""
    data = tmp_path / "data"
    data.mkdir()
    add_shop(data, "ร้านทดสอบ")
    folder = tmp_path / "backups"
    folder.mkdir()
    others = [folder / "notes.txt", folder / "relay-before-the-move.sqlite3"]
    for other in others:
        other.write_text("ของเจ้าของร้าน", encoding="utf-8")
    made: list[str] = []
    deleted: list[str] = []
    for _ in range(4):  # (within a second or two: the names take a -2, -3… of the same time)
        res = clients.run_cli(data, "backup", str(folder), "--keep", "2")
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout.splitlines()[-1])
        made.append(out["backup"])
        deleted += out["deleted"]
    assert deleted == made[:2]
    assert sorted(str(f) for f in folder.iterdir()) == sorted(made[2:] + [str(o) for o in others])
    for bad in (["--keep", "0"], ["--keep", "2", str(folder / "one.sqlite3")]):
        argv = ["backup", *(bad if len(bad) == 3 else [str(folder), *bad])]
        res = clients.run_cli(data, *argv)
        assert res.returncode == 2 and res.stderr.startswith("minichat-relay: --keep: must be 1")


def test_backup_and_restore_through_a_pipe(clients: Any, tmp_path: Path) -> None:
    """``backup -`` writes the backup to standard output and ``restore -`` reads it from
    standard input (in and out of a container without copying files into its volume); the
    words go to standard error then, and nothing is left in the data folders."""
    src = tmp_path / "src"
    src.mkdir()
    add_shop(src, "ร้านส่งผ่านท่อ")
    out = subprocess.run(
        [*_relay(src), "backup", "-"], capture_output=True, timeout=60, cwd=PROJECT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(b"SQLite format 3\x00")
    said = out.stderr.decode().splitlines()
    assert "to standard output" in said[0] and json.loads(said[-1])["backup"] == "-"
    dest = tmp_path / "dest"
    back = subprocess.run(
        [*_relay(dest), "restore", "-"],
        input=out.stdout,
        capture_output=True,
        timeout=60,
        cwd=PROJECT,
        check=False,
    )
    assert back.returncode == 0, back.stderr
    assert b"Restored the backup from standard input" in back.stdout
    assert sorted(f.name for f in dest.iterdir()) == ["relay.lock", "relay.sqlite3"]
    assert sorted(f.name for f in src.iterdir()) == ["relay.key", "relay.sqlite3"]
    listed = json.loads(clients.run_cli(dest, "shops", "list", "--json").stdout)
    assert listed["name"] == "ร้านส่งผ่านท่อ"


def test_backup_and_restore_say_what_to_do_with_paths_they_cannot_use(
    clients: Any, tmp_path: Path
) -> None:
    """A folder that does not exist yet (the trailing slash says it is one), and a backup the
    relay's user cannot read (a root-owned copy): said, exit 2, no traceback."""
    data = tmp_path / "data"
    data.mkdir()
    add_shop(data, "ร้านทดสอบ")
    res = clients.run_cli(data, "backup", f"{tmp_path / 'not-yet'}/")
    assert (res.returncode, res.stderr) == (
        2,
        f"minichat-relay: the folder {tmp_path / 'not-yet'} does not exist: create it first"
        " (owned by the relay's user), or give a file name\n",
    )
    assert not (tmp_path / "not-yet").exists()
    made = tmp_path / "b.sqlite3"
    assert clients.run_cli(data, "backup", str(made)).returncode == 0
    made.chmod(0)
    # as root, the command runs without the capability that reads any file (as in a container)
    drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"] if os.geteuid() == 0 else []
    res = subprocess.run(
        [*drop, *_relay(tmp_path / "other"), "restore", str(made)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT,
        check=False,
    )
    assert (res.returncode, res.stderr) == (
        2,
        f"minichat-relay: cannot read {made}: permission denied; give it to the relay's user"
        " (chown), or run restore as root\n",
    )


def _relay(data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "relay", "--data-dir", str(data_dir)]
