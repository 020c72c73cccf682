"""`minichat backup --now/--list` and `minichat restore` of encrypted backups, run as real
processes (each with its own in-memory keyring: the key reaches them as a recovery phrase)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage import backups
from minichat_desktop.storage.db import Database

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]
KEY = bytes(range(32))
PHRASE = backups.recovery_phrase(KEY)
TAKEN = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)


def run(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """An encrypted backup (2 orders) of a shop, in the folder ``usb``."""
    db = Database.open(tmp_path / "shop")
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(s, "owner", name="ร้านมินิแชท")
        catalog.save_product(
            s,
            catalog.ProductInput(sku="TS-RED", name_th="เสื้อยืดสีแดง", price_satang=25900, stock=9),
            "owner",
        )
        for _ in range(2):
            orders.place_order(
                s,
                orders.NewOrder(Channel.LINE, [orders.LineInput(quantity=1, sku="TS-RED")]),
                "bot",
            )
    usb = tmp_path / "usb"
    usb.mkdir()
    result = backups.make_backup(db, usb, KEY, TAKEN)
    db.dispose()
    return result.path


def test_list_shows_what_each_backup_holds(made: Path, tmp_path: Path) -> None:
    result = run(
        tmp_path / "new",
        *("backup", "--list", "--folder", str(made.parent), "--json"),
        "--recovery-phrase-stdin",
        stdin=PHRASE,
    )
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["file"] == str(made) and row["taken_at"] == "2026-12-05T02:00:00+00:00"
    m = row["manifest"]
    assert (m["shop_name"], m["products"], m["orders"], m["customers"]) == ("ร้านมินิแชท", 1, 2, 0)


def test_list_without_the_key_says_so(made: Path, tmp_path: Path) -> None:
    result = run(tmp_path / "new", "backup", "--list", "--folder", str(made.parent))
    assert result.returncode == 0, result.stderr
    assert "1 backups in" in result.stdout and "cannot read: no backup key" in result.stdout


def test_restore_an_encrypted_backup_with_the_phrase(made: Path, tmp_path: Path) -> None:
    other = tmp_path / "new"
    result = run(other, "restore", str(made), "--recovery-phrase-stdin", stdin=PHRASE.lower())
    assert result.returncode == 0, result.stderr
    assert "'ร้านมินิแชท'" in result.stdout and "2 orders" in result.stdout
    assert len(json.loads(run(other, "orders", "list", "--json").stdout)) == 2


@pytest.mark.parametrize(
    ("phrase", "needle"),
    [
        (backups.recovery_phrase(bytes(32)), "made with another key"),
        ("Q" + PHRASE[1:], "typo"),
        ("", "recovery phrase has 56"),
    ],
)
def test_a_wrong_phrase_exits_2_and_changes_nothing(
    made: Path, tmp_path: Path, phrase: str, needle: str
) -> None:
    other = tmp_path / "new"
    result = run(other, "restore", str(made), "--recovery-phrase-stdin", stdin=phrase)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert not (other / "minichat.sqlite3").exists()


def test_restore_without_a_key_asks_for_the_phrase(made: Path, tmp_path: Path) -> None:
    result = run(tmp_path / "new", "restore", str(made))
    assert result.returncode == 2
    assert "--recovery-phrase-stdin" in result.stderr


def test_a_damaged_backup_exits_2_with_a_clear_message(made: Path, tmp_path: Path) -> None:
    data = made.read_bytes()
    made.write_bytes(data[: len(data) - 10])
    result = run(tmp_path / "new", "restore", str(made), "--recovery-phrase-stdin", stdin=PHRASE)
    assert result.returncode == 2
    assert "is damaged (the file is cut short)" in result.stderr
    assert "Traceback" not in result.stderr


def test_backup_now_writes_a_verified_backup(made: Path, tmp_path: Path) -> None:
    """Into the folder given (this process's key is its own: the list cannot read it)."""
    usb = tmp_path / "usb2"
    usb.mkdir()
    result = run(tmp_path / "shop", "backup", "--now", "--folder", str(usb))
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout and "NOT" not in result.stdout
    [written] = usb.iterdir()
    assert written.name.endswith(".mcbak") and backups.is_encrypted_backup(written)


def test_backup_now_into_a_missing_folder_exits_1(tmp_path: Path) -> None:
    result = run(tmp_path / "shop", "backup", "--now", "--folder", str(tmp_path / "unplugged"))
    assert result.returncode == 1
    assert "is not there" in result.stderr


def test_backup_needs_one_thing_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "shop", "backup")
    assert result.returncode == 2 and "give one of FILE, --now or --list" in result.stderr
