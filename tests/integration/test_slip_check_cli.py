"""``minichat slip-check``, run in this process (the in-memory keyring lives per process)
against the SlipOK stand-in on its own thread: the key from stdin or the environment into
the keyring, never the command line; the connection test; a slip checked against an order."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from support.slip_services import FakeSlipOK, Slip

from minichat_desktop.cli import main
from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.secrets import Secrets, slip_key
from minichat_desktop.storage.db import Database

KEY = "SLIPOK-CLI-KEY-5521"
PAYLOAD = "0041000600000101030040220014242082547BPM049885102TH9104E3F6"


@pytest.fixture
def slipok() -> Iterator[FakeSlipOK]:
    """The stand-in on an event loop of its own thread (the CLI runs its own loop)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeSlipOK(KEY)
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    yield fake
    asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def shop_dir(tmp_path: Path) -> Iterator[tuple[Path, str, dt.datetime]]:
    folder = tmp_path / "shop"
    db = Database.open(folder)
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.add_bank_account(
            s, "owner", bank="กสิกรไทย", account_name="ร้าน", account_number="1234512345"
        )
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=104000, stock=5), "owner"
        )
        order = orders.place_order(
            s, NewOrder(channel=Channel.WIDGET, lines=[LineInput(quantity=1, sku="P1")]), "bot"
        )
    db.dispose()
    yield folder, order.number, order.created_at


def _run(folder: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(folder), "slip-check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_setup_reads_the_key_from_stdin_into_the_keyring_and_checks_a_slip(
    shop_dir: tuple[Path, str, dt.datetime],
    slipok: FakeSlipOK,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, number, placed = shop_dir
    slipok.add(Slip(PAYLOAD, "014242082547BPM04988", Decimal("1040.00"), placed))
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    code, out, _ = _run(
        folder,
        capsys,
        "setup",
        "slipok",
        "--branch-id",
        slipok.branch,
        "--base-url",
        slipok.base_url,
        "--key-stdin",
    )
    assert code == 0
    assert out == (
        f"online slip check: slipok, branch 12345 at {slipok.base_url}; key saved; "
        "auto-confirm off\n"
    )
    assert Secrets(folder).get(slip_key("slipok")) == KEY

    code, out, _ = _run(folder, capsys, "show", "--json")
    assert code == 0
    assert json.loads(out) == {
        "provider": "slipok",
        "branch_id": "12345",
        "base_url": slipok.base_url,
        "timeout_s": 15.0,
        "auto_confirm": False,
        "key_saved": True,
    }
    assert KEY not in out

    assert _run(folder, capsys, "test")[:2] == (0, "slipok: connected (quota 100)\n")

    code, out, _ = _run(folder, capsys, "verify", number, PAYLOAD, "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["status"], result["amount_satang"], result["reasons"]) == ("passed", 104000, [])

    code, out, _ = _run(folder, capsys, "verify", number, PAYLOAD)
    assert code == 0
    assert out.splitlines()[0] == f"{number}: failed"
    assert out.splitlines()[1].startswith("  - The slip service says this slip was checked before")


def test_the_key_may_come_from_the_environment_and_a_refused_key_exits_2(
    shop_dir: tuple[Path, str, dt.datetime],
    slipok: FakeSlipOK,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, _, _ = shop_dir
    monkeypatch.setenv("SLIP_KEY", "not-the-key")
    code, _, _ = _run(
        folder,
        capsys,
        "setup",
        "slipok",
        "--branch-id",
        slipok.branch,
        "--base-url",
        slipok.base_url,
        "--key-env",
        "SLIP_KEY",
    )
    assert code == 0
    code, _, err = _run(folder, capsys, "test")
    assert code == 2
    assert err == "error: The slip service refused the API key: check it in Settings\n"


def test_bad_setups_exit_2_and_change_nothing(
    shop_dir: tuple[Path, str, dt.datetime],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, _, _ = shop_dir
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    code, _, err = _run(folder, capsys, "setup", "easyslip", "--key-stdin")
    assert (code, err) == (2, "error: --key-stdin: the first line of stdin is empty\n")
    code, _, err = _run(folder, capsys, "setup", "slipok")
    assert code == 2
    assert err == (
        "error: SlipOK needs its branch id (digits, from the SlipOK LINE menu), not ''\n"
    )
    assert _run(folder, capsys, "show")[:2] == (0, "online slip check: off\n")
    code, _, err = _run(folder, capsys, "verify", "MC-NOPE", PAYLOAD)
    assert code == 2
