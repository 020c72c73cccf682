"""The `minichat` command-line contract, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.sales import orders
from minichat_desktop.storage.db import Database

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    db = Database.open(folder)
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(
            s,
            catalog.ProductInput(
                sku="TS-RED", name_th="เสื้อยืดสีแดง", name_en="Red tee", price_satang=125050, stock=4
            ),
            "o",
        )
        orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.LINE,
                customer_name="สมชาย",
                lines=[orders.LineInput(quantity=2, sku="TS-RED")],
            ),
            "bot",
        )
    db.dispose()
    return folder


@pytest.mark.parametrize(
    "cmd",
    [
        [],
        ["demo-data"],
        ["db"],
        ["db", "upgrade"],
        ["backup"],
        ["restore"],
        ["products"],
        ["products", "import"],
        ["products", "export"],
        ["products", "template"],
        ["products", "search"],
        ["orders"],
        ["orders", "list"],
        ["orders", "export"],
        ["promptpay"],
    ],
)
def test_every_command_has_help(tmp_path: Path, cmd: list[str]) -> None:
    result = run(tmp_path, *cmd, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: minichat" in result.stdout


def test_products_search_json(shop_dir: Path) -> None:
    result = run(shop_dir, "products", "search", "แดง", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["sku"], r["name"], r["stock"]) for r in rows] == [("TS-RED", "เสื้อยืดสีแดง", 2)]
    assert '"price": 1250.50' in result.stdout  # exact money, not a float's digits


def test_products_search_limit_and_bad_limit(shop_dir: Path) -> None:
    assert json.loads(run(shop_dir, "products", "search", "zzz", "--json").stdout) == []
    bad = run(shop_dir, "products", "search", "x", "--limit", "0")
    assert bad.returncode == 2 and "--limit" in bad.stderr and "Traceback" not in bad.stderr
    catalog_db = Database.open(shop_dir)
    with catalog_db.write() as s:
        catalog.save_product(
            s,
            catalog.ProductInput(sku="TS-RED-2", name_th="เสื้อยืดสีแดงเข้ม", price_satang=9900),
            "o",
        )
    catalog_db.dispose()
    one = run(shop_dir, "products", "search", "เสื้อยืดสีแดง", "--limit", "1", "--json")
    assert one.returncode == 0, one.stderr
    assert len(json.loads(one.stdout)) == 1
    assert "showing the best 1 matches; more products match" in one.stderr
    both = run(shop_dir, "products", "search", "เสื้อยืดสีแดง", "--limit", "2", "--json")
    assert (len(json.loads(both.stdout)), both.stderr) == (2, "")


def test_orders_list_json(shop_dir: Path) -> None:
    result = run(shop_dir, "orders", "list", "--status", "pending", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 1
    row = rows[0]
    assert row["number"].startswith("MC-") and row["status"] == "pending"
    assert row["customer"] == "สมชาย" and row["created_at"].endswith("+07:00")
    assert '"total": 2501.00' in result.stdout
    assert json.loads(run(shop_dir, "orders", "list", "--status", "shipped", "--json").stdout) == []


def test_orders_list_never_stops_silently(tmp_path: Path) -> None:
    """More orders than the limit: the newest N are listed and standard error says how many
    were left out; --limit 0 lists them all (was: a silent stop at 200)."""
    folder = tmp_path / "busy"
    db = Database.open(folder)
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(
            s,
            catalog.ProductInput(sku="CUP", name_th="แก้วกาแฟ", price_satang=5900, stock=1000),
            "o",
        )
        for i in range(203):
            orders.place_order(
                s,
                orders.NewOrder(
                    channel=Channel.POS,
                    customer_name=f"ลูกค้า {i}",
                    lines=[orders.LineInput(quantity=1, sku="CUP")],
                ),
                "owner",
            )
    db.dispose()

    default = run(folder, "orders", "list", "--json")
    assert default.returncode == 0, default.stderr
    listed = json.loads(default.stdout)
    assert len(listed) == 200 and listed[0]["customer"] == "ลูกค้า 202"
    assert "showing the newest 200 of 203 orders" in default.stderr
    assert "--limit 0" in default.stderr

    every = run(folder, "orders", "list", "--json", "--limit", "0")
    assert (every.returncode, every.stderr) == (0, "")
    assert len(json.loads(every.stdout)) == 203

    exact = run(folder, "orders", "list", "--limit", "203")
    assert (exact.returncode, exact.stderr, len(exact.stdout.splitlines())) == (0, "", 203)

    bad = run(folder, "orders", "list", "--limit", "-1")
    assert bad.returncode == 2 and "--limit" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["orders", "list", "--status", "lost"], "unknown status"),
        (["orders", "list", "--from", "2026-02-30"], "not a date"),
        (["orders", "list", "--from", "2026-03-02", "--to", "2026-03-01"], "--from"),
        (["promptpay", "--id", "0812"], "promptpay"),
        (["promptpay", "--id", "0812345678", "--amount", "abc"], "not a number"),
        (["promptpay", "--id", "0812345678", "--amount", "-5"], "amount"),
        (["restore", "/nonexistent/backup.sqlite3"], "no backup file"),
        (["products", "frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_exit_2_with_a_message_and_no_traceback(
    shop_dir: Path, args: list[str], needle: str
) -> None:
    result = run(shop_dir, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert needle in result.stderr.lower() or needle in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_promptpay_payload_is_the_last_line(tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    result = run(
        tmp_path, "promptpay", "--id", "0812345678", "--amount", "1,250.50", "--png", str(png)
    )
    assert result.returncode == 0, result.stderr
    payload = result.stdout.strip().splitlines()[-1]
    assert payload.startswith("000201010212") and "54071250.50" in payload
    assert png.read_bytes().startswith(b"\x89PNG")


def test_environment_error_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(blocker / "data", "orders", "list")
    assert result.returncode == 1 and "cannot create the data folder" in result.stderr


def test_backup_and_restore(shop_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    assert run(shop_dir, "backup", str(target)).returncode == 0
    other = tmp_path / "other"
    result = run(other, "restore", str(target))
    assert result.returncode == 0, result.stderr
    rows = json.loads(run(other, "orders", "list", "--json").stdout)
    assert len(rows) == 1


def test_import_export_template_round_trip(shop_dir: Path, tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    assert run(shop_dir, "products", "template", str(template)).returncode == 0
    good = tmp_path / "good.csv"
    good.write_text(
        'sku,name,price,stock,category\nMUG-9,แก้วมัคลายช้าง,"1,250.00",7,ของใช้\n', encoding="utf-8"
    )
    result = run(shop_dir, "products", "import", str(good))
    assert result.returncode == 0, result.stderr
    assert "1 products created" in result.stdout
    rows = json.loads(run(shop_dir, "products", "search", "ลายช้าง", "--json").stdout)
    assert [(r["sku"], r["stock"]) for r in rows] == [("MUG-9", 7)]
    assert '"price": 1250.00' in run(shop_dir, "products", "search", "MUG-9", "--json").stdout
    out = tmp_path / "orders.xlsx"
    exported = run(shop_dir, "orders", "export", str(out))
    assert exported.returncode == 0 and "exported 1 orders" in exported.stdout


def test_bad_import_lists_every_problem_and_stores_nothing(shop_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price\nA-1,ของดี,abc\n,ไม่มีรหัส,10\n", encoding="utf-8")
    result = run(shop_dir, "products", "import", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "row 2, column price" in result.stderr
    assert "row 3, column sku" in result.stderr
    assert json.loads(run(shop_dir, "products", "search", "ของดี", "--json").stdout) == []
