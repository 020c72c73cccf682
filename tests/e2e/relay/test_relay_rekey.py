"""Changing the relay key (``minichat-relay rotate-key``, relay/rekey.py): the relay takes the
new key and the old one, the credentials are sealed again while it serves LINE, and
afterwards the new key alone opens them; a key list that opens nothing changes nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from support.postgres import PostgresServer
from support.relay_proc import line_env
from test_relay_line import event, signed_post

from relay import protocol as p
from relay.meta_store import MetaCredentials, MetaStore
from relay.storage import LineCredentials, Store, StoreError
from relay.store_pg import PgStore

SECRET = "channel-secret-rekey-0123456789"
TOKEN = "channel-token-rekey-XYZ"
META = {
    "MINICHAT_META_APP_SECRET": "app-secret-rekey",
    "MINICHAT_META_PAGE_TOKEN": "page-token-rekey",
    "MINICHAT_META_VERIFY_TOKEN": "verify-rekey",
}


def _line_text(clients: Any, relay: Any, shop_id: str, n: int) -> None:
    """A shopper's LINE text, signed with the channel secret the relay must open to check it."""
    message = {"id": f"70{n}", "type": "text", "text": "ขอราคาหน่อยค่ะ 🙏"}
    ev = event("message", f"ev-rekey-{n}", reply_token=f"reply-rekey-{n}", message=message)
    res = signed_post(clients, f"{relay.url}/line/{shop_id}/webhook", [ev], secret=SECRET)
    assert res.status_code == 200


async def _answer(clients: Any, relay: Any, token: str, n: int) -> None:
    desk, _ = await clients.desktop(relay, token)
    inbound = await desk.recv_type(p.Inbound, timeout=20)
    await desk.send(p.Ack(inbound.seq))
    await desk.send(p.Send(inbound.conversation, clients.text(f"r-{n}", "290 บาทค่ะ")))
    assert (await desk.recv_type(p.Accepted, timeout=20)).id == f"r-{n}"
    await desk.close()


def _opened(data_dir: Path, key: str, shop_id: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The shop's LINE and Meta credentials as a store given only ``key`` opens them."""
    monkeypatch.setenv("MINICHAT_RELAY_KEY", key)
    store = Store(data_dir)
    try:
        return store.line_credentials(shop_id), MetaStore(store).credentials(shop_id)
    finally:
        store.close()


def test_the_key_changes_while_the_relay_serves_line(
    relay_factory: Any, clients: Any, line_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = relay_factory(env={"MINICHAT_RELAY_KEY": old})
    shop_id, token = clients.add_shop(first.data_dir, "ร้านเปลี่ยนกุญแจ")
    with_old = {"MINICHAT_RELAY_KEY": old}
    res = clients.run_cli(
        first.data_dir, "shops", "line", shop_id, env={**with_old, **line_env(SECRET, TOKEN)}
    )
    assert res.returncode == 0, res.stderr
    res = clients.run_cli(first.data_dir, "shops", "meta", shop_id, env={**with_old, **META})
    assert res.returncode == 0, res.stderr

    # 1. the relay restarted with the new key first, the old one after it (a key file's lines)
    keys = f"{new}\n{old}\n"
    relay = relay_factory(env={"MINICHAT_RELAY_KEY": keys}, data_dir=first.data_dir).start()
    _line_text(clients, relay, shop_id, 1)
    asyncio.run(_answer(clients, relay, token, 1))
    assert line_api.wait_for("/v2/bot/message/reply")[0]["auth"] == f"Bearer {TOKEN}"

    # 2. sealed again while it serves
    res = clients.run_cli(relay.data_dir, "rotate-key", env={"MINICHAT_RELAY_KEY": keys})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1]) == {"line_shops": 1, "meta_shops": 1}
    assert "drop the old key" in res.stdout
    _line_text(clients, relay, shop_id, 2)  # the serving relay opens what was sealed anew
    asyncio.run(_answer(clients, relay, token, 2))
    replies = line_api.wait_for("/v2/bot/message/reply", n=2)
    assert [r["auth"] for r in replies] == [f"Bearer {TOKEN}"] * 2
    assert relay.stop() == 0

    # 3. the new key alone opens them, the old one no longer does
    creds = (LineCredentials(SECRET, TOKEN), MetaCredentials(*META.values()))
    assert _opened(relay.data_dir, new, shop_id, monkeypatch) == creds
    with pytest.raises(StoreError, match="cannot decrypt the LINE credentials"):
        _opened(relay.data_dir, old, shop_id, monkeypatch)

    # a key list that opens none of them: refused, nothing changed
    stranger = Fernet.generate_key().decode()
    res = clients.run_cli(relay.data_dir, "rotate-key", env={"MINICHAT_RELAY_KEY": stranger})
    assert res.returncode == 2
    assert res.stderr.startswith(
        f"minichat-relay: none of the keys given opens the credentials of 1 shop(s) ({shop_id}):"
        " nothing was changed."
    )
    assert _opened(relay.data_dir, new, shop_id, monkeypatch) == creds


def test_rotate_key_needs_a_key(clients: Any, tmp_path: Path) -> None:
    res = clients.run_cli(tmp_path / "empty", "rotate-key")
    assert res.returncode == 2
    assert res.stderr.startswith(
        f"minichat-relay: no relay key here ({tmp_path / 'empty' / 'relay.key'}):"
    )
    assert "Traceback" not in res.stderr


def test_rotate_key_on_the_shared_postgresql_store(
    postgres: PostgresServer, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same on PostgreSQL (each shop's rows written under its lock, as the relays do)."""
    url = postgres.new_database()
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    shops = []
    for n in range(3):
        res = clients.run_cli(
            tmp_path, "--store", url, "shops", "add", f"ร้าน {n}", env={"MINICHAT_RELAY_KEY": old}
        )
        shops.append(json.loads(res.stdout.splitlines()[-1])["shop_id"])
        env = {"MINICHAT_RELAY_KEY": old, **line_env(f"{SECRET}-{n}", f"{TOKEN}-{n}")}
        assert (
            clients.run_cli(
                tmp_path, "--store", url, "shops", "line", shops[-1], env=env
            ).returncode
            == 0
        )
    res = clients.run_cli(
        tmp_path, "--store", url, "rotate-key", env={"MINICHAT_RELAY_KEY": f"{new},{old}"}
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1]) == {"line_shops": 3, "meta_shops": 0}
    monkeypatch.setenv("MINICHAT_RELAY_KEY", new)
    store = PgStore(url, tmp_path)
    try:
        opened = [store.line_credentials(s) for s in shops]
    finally:
        store.close()
    assert opened == [LineCredentials(f"{SECRET}-{n}", f"{TOKEN}-{n}") for n in range(3)]
