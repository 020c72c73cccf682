"""`minichat bot classify`, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minichat_desktop import paths
from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.storage.db import Database

MINICHAT = [sys.executable, "-m", "minichat_desktop.cli"]


def run(
    data: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args],
        input=stdin.encode("utf-8") if stdin is not None else None,
        capture_output=True,
        timeout=60,
        env={**os.environ, **(env or {})},
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
                sku="TS-RED",
                name_th="เสื้อยืดคอกลมสีแดง",
                name_en="Red crew neck tee",
                price_satang=19_900,
                category="เสื้อยืด",
                stock=4,
            ),
            "t",
        )
    db.dispose()
    return folder


def test_classify_one_message_as_json(shop_dir: Path) -> None:
    done = run(shop_dir, "bot", "classify", "เสื้อยืดคอกลมสีแดง เอา ๒ ตัวค่ะ", "--json")
    assert done.returncode == 0, done.stderr
    line = done.stdout.decode("utf-8")
    assert "แดง" in line  # UTF-8 Thai, not \\u escapes
    obj = json.loads(line)
    assert set(obj) == {"intent", "confidence", "entities"}
    assert obj["intent"] == "make_purchase"
    assert 0 < obj["confidence"] <= 1
    [product] = obj["entities"].pop("product")
    assert (product["sku"], product["name"]) == ("TS-RED", "เสื้อยืดคอกลมสีแดง")
    assert obj["entities"] == {"category": ["เสื้อยืด"], "color": "แดง", "quantity": 2}


def test_stdin_gives_one_json_line_per_message(shop_dir: Path) -> None:
    messages = ["สวัสดีค่ะ", "", "งบ 500 มีอะไรบ้าง", "CF", "MC-2026-7 ถึงไหนแล้ว"]
    done = run(shop_dir, "bot", "classify", "-", "--json", stdin="\n".join(messages) + "\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(messages)
    results = [json.loads(x) for x in lines]
    assert [r["intent"] for r in results] == [
        "greeting",
        "unknown",
        "product_inquiry",
        "make_purchase",
        "order_status",
    ]
    assert results[1] == {"intent": "unknown", "confidence": 0.0, "entities": {}}
    assert results[2]["entities"] == {"price_max": 50_000}
    assert results[4]["entities"] == {"order_number": "MC-2026-000007"}


def test_output_is_utf8_whatever_the_locale(shop_dir: Path) -> None:
    done = run(
        shop_dir,
        "bot",
        "classify",
        "สีแดง",
        "--json",
        env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.decode("utf-8"))["entities"] == {"color": "แดง"}


def test_human_readable_output(shop_dir: Path) -> None:
    done = run(shop_dir, "bot", "classify", "เสื้อยืดคอกลมสีแดงราคาเท่าไหร่")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("utf-8").splitlines()
    assert lines[0].startswith("price_check (")
    assert "  product: TS-RED เสื้อยืดคอกลมสีแดง" in lines[1]


def test_no_database_means_no_catalog_and_nothing_created(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    done = run(folder, "bot", "classify", "เสื้อยืดคอกลมสีแดง", "--json")
    assert done.returncode == 0, done.stderr
    assert "product" not in json.loads(done.stdout)["entities"]
    assert not paths.database_path(folder).exists()


def test_no_catalog_flag_skips_product_matching(shop_dir: Path) -> None:
    done = run(shop_dir, "bot", "classify", "เสื้อยืดคอกลมสีแดง", "--json", "--no-catalog")
    assert done.returncode == 0, done.stderr
    assert "product" not in json.loads(done.stdout)["entities"]


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_a_usage_error(shop_dir: Path, text: str) -> None:
    done = run(shop_dir, "bot", "classify", text)
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"TEXT is empty" in done.stderr
    assert b"Traceback" not in done.stderr


def test_missing_text_is_a_usage_error(shop_dir: Path) -> None:
    done = run(shop_dir, "bot", "classify")
    assert done.returncode == 2
    assert b"TEXT" in done.stderr


def test_bot_group_lists_its_commands(shop_dir: Path) -> None:
    done = run(shop_dir, "bot", "--help")
    assert done.returncode == 0
    assert b"classify" in done.stdout
    bare = run(shop_dir, "bot")
    assert bare.returncode == 2 and b"classify" in bare.stdout


def test_recommend_prints_words_and_cards(shop_dir: Path) -> None:
    done = run(shop_dir, "bot", "recommend", "มีเสื้อยืดสีแดงไหม งบ 300", "--json")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout.decode("utf-8"))
    assert obj["intent"] == "product_inquiry"
    assert obj["text"].splitlines()[:2] == [
        "แนะนำตัวนี้ค่ะ (เสื้อยืด สีแดง งบไม่เกิน ฿300)",
        "1. เสื้อยืดคอกลมสีแดง — ฿199",
    ]
    [r] = obj["recommendations"]
    assert (r["sku"], r["price_satang"], r["in_stock"]) == ("TS-RED", 19_900, True)
    assert obj["message"]["kind"] == "carousel"
    assert obj["message"]["cards"][0]["price_satang"] == 19_900
    plain = run(shop_dir, "bot", "recommend", "red tee", "--lang", "en")
    assert plain.returncode == 0, plain.stderr
    assert "Red crew neck tee — ฿199" in plain.stdout.decode("utf-8")


def test_recommend_needs_a_database(tmp_path: Path) -> None:
    done = run(tmp_path / "none", "bot", "recommend", "เสื้อ")
    assert done.returncode == 2
    assert b"no shop database" in done.stderr
    assert not (tmp_path / "none").exists() or not paths.database_path(tmp_path / "none").exists()


@pytest.mark.parametrize("limit", ["0", "13"])
def test_recommend_limit_is_checked(shop_dir: Path, limit: str) -> None:
    done = run(shop_dir, "bot", "recommend", "เสื้อ", "--limit", limit)
    assert done.returncode == 2
    assert b"--limit" in done.stderr


def test_context_ttl_is_shown_and_set(shop_dir: Path) -> None:
    assert run(shop_dir, "bot", "context-ttl").stdout == (
        b"the bot remembers a conversation for 30 minutes\n"
    )
    assert run(shop_dir, "bot", "context-ttl", "45").returncode == 0
    assert b"45 minutes" in run(shop_dir, "bot", "context-ttl").stdout
    for bad, message in (("0", b"out of range"), ("1441", b"out of range"), ("x", b"whole")):
        done = run(shop_dir, "bot", "context-ttl", bad)
        assert done.returncode == 2 and message in done.stderr
    assert b"45 minutes" in run(shop_dir, "bot", "context-ttl").stdout  # nothing half-stored
