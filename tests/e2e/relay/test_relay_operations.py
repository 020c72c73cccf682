"""The relay as a service: /healthz, /readyz through a SIGTERM and a broken store, and the
Prometheus metrics after real traffic (issue 18, item 6). The relay runs as a process on
port 0; shoppers and the desktop are real WebSocket clients; LINE is the stand-in server."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from cryptography.fernet import Fernet
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from support.relay_proc import Relay, add_shop, line_env, one_shop_relay
from support.waiting import until
from websockets.exceptions import InvalidStatus

from relay import protocol as p
from relay.storage import SCHEMA_VERSION, LineCredentials, Store

SECRET = "channel-secret-0123456789abcdef"
TOKEN = "channel-token-XYZ"
USER = "U206d25c2ea6bd87c17655609a1c37cb8"
PREFIX = "minichat_relay_"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of a /metrics answer, parsed by Prometheus' own client library."""
    res = httpx.get(url, timeout=10)
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out: Samples = {}
    for family in text_string_to_metric_families(res.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((PREFIX + name, frozenset(labels.items())))


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in samples.items() if n == PREFIX + name}


def get(relay: Any, path: str) -> httpx.Response:
    return httpx.get(f"{relay.url}{path}", timeout=10)


def test_health_endpoints_answer_and_metrics_are_off_by_default(shop_relay: Any) -> None:
    """/healthz and /readyz answer 200; with no --metrics-port there is no metrics listener
    and the public port has no /metrics."""
    relay = shop_relay.relay
    assert get(relay, "/healthz").json() == {"status": "ok", "protocol": 1}
    ready = get(relay, "/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert "metrics_port" not in relay.listening
    assert get(relay, "/metrics").status_code == 404


def test_readyz_turns_503_on_sigterm_while_open_sockets_drain(
    relay_factory: Any, clients: Any, arun: Any
) -> None:
    """After SIGTERM /readyz answers 503 at once (and the metrics say draining) while
    /healthz stays 200 and the open sockets still carry messages for the drain grace; a
    second SIGTERM ends the grace: the sockets close with 1001, the process exits 0."""
    # the metrics listener from the environment this time
    relay = relay_factory("--drain-grace", "120", env={"MINICHAT_RELAY_METRICS_PORT": "0"})
    shop_id, token = clients.add_shop(relay.data_dir, "ร้านทดสอบ")
    relay.start()

    async def go() -> None:
        desk, _ = await clients.desktop(relay, token)
        shopper, _ = await clients.widget(relay, shop_id)
        assert value(scrape(relay.metrics_url), "draining") == 0
        relay.proc.send_signal(signal.SIGTERM)
        await until(lambda: get(relay, "/readyz").status_code == 503)
        assert get(relay, "/readyz").json() == {"status": "unavailable", "reason": "shutting_down"}
        assert get(relay, "/healthz").status_code == 200
        assert value(scrape(relay.metrics_url), "draining") == 1

        await shopper.send(p.WidgetSend(clients.text("w-1", "ยังส่งได้ระหว่างรอปิด")))
        assert (await shopper.recv_type(p.Accepted)).id == "w-1"
        assert (await desk.recv_type(p.Inbound)).message.id == "w-1"

        relay.proc.send_signal(signal.SIGTERM)
        for peer in (shopper, desk):
            await peer.ws.wait_closed()
            assert peer.ws.close_code == 1001

    arun(go())
    assert relay.stop() == 0
    log = relay.log()
    assert "not ready: shutting down" in log
    assert log.index("draining") < log.index("INFO relay: shutting down\n") < log.index("stopped")


def _remove(db: Path) -> None:
    os.remove(db)


def _replace(db: Path) -> None:
    """A restore copied over the running relay's file (a new file under the same name)."""
    copy = db.with_name("restored.sqlite3")
    shutil.copyfile(db, copy)
    os.replace(copy, db)


def _drop_tables(db: Path) -> None:
    """Another program damaged the schema: the relay's own queries fail."""
    with sqlite3.connect(db) as other:
        other.execute("DROP TABLE shops")


@pytest.mark.parametrize(
    ("damage", "logged"),
    [
        (_remove, "is gone"),
        (_replace, "was replaced by another file"),
        (_drop_tables, "does not answer: no such table: shops"),
    ],
)
def test_readyz_503_when_the_store_is_unusable(
    tmp_path: Path, damage: Any, logged: str, arun: Any
) -> None:
    """The database file removed, replaced under the running process, or its tables gone:
    /readyz answers 503 "store_unavailable" (the detail in the log), /healthz stays 200."""
    relay, _, _ = one_shop_relay(tmp_path)
    try:
        assert get(relay, "/readyz").status_code == 200
        damage(tmp_path / "relay.sqlite3")
        res = get(relay, "/readyz")
        assert (res.status_code, res.json()) == (
            503,
            {"status": "unavailable", "reason": "store_unavailable"},
        )
        assert get(relay, "/healthz").status_code == 200
    finally:
        relay.stop()
    errors = [line for line in relay.log().splitlines() if " ERROR " in line]
    assert len(errors) == 1, errors  # logged once, not at every probe
    assert "not ready: store:" in errors[0] and logged in errors[0]


def _noise_png(side: int) -> bytes:
    """A PNG that does not compress: about 3 bytes a pixel."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def test_readyz_503_while_commits_fail_and_ready_again_after(
    tmp_path: Path, clients: Any, arun: Any
) -> None:
    """The disk fills up (here: a file-size limit on the relay process, so the database's
    write-ahead log cannot grow past 400 KB): the commits of a picture and of a LINE webhook
    fail, both answer 503 (no traceback), /readyz says "store_unavailable" and the failures
    are counted; the next commit that goes through (a desktop connecting) makes the relay
    ready again."""
    relay = Relay(tmp_path, ["--metrics-port", "0"], wrapper=["prlimit", "--fsize=400000"])
    shop_id, token = add_shop(tmp_path, "ร้านดิสก์เต็ม")
    res = clients.run_cli(tmp_path, "shops", "line", shop_id, env=line_env(SECRET, TOKEN))
    assert res.returncode == 0, res.stderr
    relay.start()
    try:
        event = {"type": "unfollow", "source": {"type": "user", "userId": USER}}
        body = json.dumps({"destination": "U0", "events": [event], "pad": "x" * 500_000})
        hook = httpx.post(
            f"{relay.url}/line/{shop_id}/webhook",
            content=body.encode(),
            headers={"X-Line-Signature": clients.sign(SECRET, body.encode())},
            timeout=10,
        )
        assert (hook.status_code, hook.json()["error"]) == (503, "unavailable")
        res = httpx.post(
            f"{relay.url}/desktop/media",
            content=_noise_png(500),  # about 750 KB
            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"},
            timeout=10,
        )
        assert (res.status_code, res.json()["error"]) == (503, "unavailable")
        ready = get(relay, "/readyz")
        assert (ready.status_code, ready.json()["reason"]) == (503, "store_unavailable")
        assert value(scrape(relay.metrics_url), "commit_failures_total") == 2
        assert value(scrape(relay.metrics_url), "webhook_ack_seconds_count") == 0

        async def connect() -> None:
            desk, welcome = await clients.desktop(relay, token)
            assert welcome.shop_id == shop_id
            await desk.close()

        arun(connect())
        assert get(relay, "/readyz").status_code == 200
    finally:
        relay.stop()
    log = relay.log()
    assert "not ready: store: commit failed: " in log and "ready again" in log
    assert f"shop {shop_id}: upload of " in log and f"shop {shop_id}: webhook of " in log
    assert "Traceback" not in log


def _webhook(clients: Any, relay: Any, shop_id: str) -> httpx.Response:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),  # its reply token still fresh
        "source": {"type": "user", "userId": USER},
        "webhookEventId": "ev-metrics-1",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "reply-metrics",
        "message": {"id": "7001", "type": "text", "text": "สวัสดี from LINE"},
    }
    body = json.dumps({"destination": "U0", "events": [event]}).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": clients.sign(SECRET, body)}
    url = f"{relay.url}/line/{shop_id}/webhook"
    return httpx.post(url, content=body, headers=headers, timeout=10)


def test_metrics_count_real_traffic_on_their_own_listener(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """A shopper's message (and one refused by the rate limit), the desktop's reply, a LINE
    webhook, a LINE reply and a push that LINE fails once: the metrics listener shows each,
    the stream depth follows the desktop's acks, and the public port has no /metrics."""
    relay = relay_factory("--metrics-port", "0", "--shopper-rate", "0.001", "--shopper-burst", "1")
    shop_id, token = clients.add_shop(relay.data_dir, "ร้านนับ")
    res = clients.run_cli(relay.data_dir, "shops", "line", shop_id, env=line_env(SECRET, TOKEN))
    assert res.returncode == 0, res.stderr
    relay.start()
    assert relay.listening["metrics_port"] != relay.port
    assert get(relay, "/metrics").status_code == 404

    async def go() -> None:
        desk, _ = await clients.desktop(relay, token)
        shopper, welcome = await clients.widget(relay, shop_id)
        await shopper.send(p.WidgetSend(clients.text("w-1", "สวัสดีค่ะ")))
        assert (await shopper.recv_type(p.Accepted)).id == "w-1"
        await shopper.send(p.WidgetSend(clients.text("w-2", "ฮัลโหล")))
        refused = await shopper.recv_type(p.Error)
        assert (refused.code, refused.ref) == (p.ErrorCode.RATE_LIMITED, "w-2")
        assert (await desk.recv_type(p.Inbound)).message.id == "w-1"
        await desk.send(p.Send(welcome.conversation, clients.text("s-1", "สวัสดีค่ะ ร้านเอง")))
        assert (await desk.recv_type(p.Accepted)).id == "s-1"
        assert (await shopper.recv_type(p.WidgetMessage)).item.message.id == "s-1"

        assert _webhook(clients, relay, shop_id).status_code == 200
        line_in = await desk.recv_type(p.Inbound)
        await desk.send(p.Send(line_in.conversation, clients.text("s-2", "ตอบทาง LINE")))
        assert (await desk.recv_type(p.Receipt)).ids == ("s-2",)  # by the free reply token
        line_api.push_status.append((500, {"message": "Internal error"}))
        await desk.send(p.Send(line_in.conversation, clients.text("s-3", "ส่งอีกครั้ง")))
        last = await desk.recv_type(p.Receipt, timeout=15)  # pushed: LINE failed once, then took it
        assert (last.ids, last.status) == (("s-3",), p.ReceiptStatus.SENT)

        m = scrape(relay.metrics_url)
        assert value(m, "open_sockets", kind="desktop") == 1
        assert value(m, "open_sockets", kind="widget") == 1
        # nothing acked yet: every stream item is still the desktop's to acknowledge
        assert series(m, "stream_depth") == {frozenset({("shop", shop_id)}): last.seq}
        assert value(m, "stream_items") == last.seq
        assert value(m, "shops_behind") == 1
        await desk.send(p.Ack(last.seq))
        await until(lambda: value(scrape(relay.metrics_url), "stream_items") == 0)
        assert series(scrape(relay.metrics_url), "stream_depth") == {}
        await shopper.close()
        await desk.close()
        await until(lambda: series(scrape(relay.metrics_url), "open_sockets") == closed)

    closed = {frozenset({("kind", "desktop")}): 0, frozenset({("kind", "widget")}): 0}
    arun(go())
    m = scrape(relay.metrics_url)
    assert series(m, "messages_total") == {
        frozenset({("channel", "widget"), ("direction", "in")}): 1,
        frozenset({("channel", "widget"), ("direction", "out")}): 1,
        frozenset({("channel", "line"), ("direction", "in")}): 1,
        frozenset({("channel", "line"), ("direction", "out")}): 2,
        # Meta's channels: their series exist from the start, at 0
        **{
            frozenset({("channel", channel), ("direction", direction)}): 0
            for channel in ("messenger", "instagram")
            for direction in ("in", "out")
        },
    }
    assert series(m, "line_api_calls_total") == {
        frozenset({("call", "reply"), ("result", "ok")}): 1,
        frozenset({("call", "push"), ("result", "server_error")}): 1,
        frozenset({("call", "push"), ("result", "ok")}): 1,
        # the shopper's profile (relay/profiles.py): not the stand-in's friend, a 404
        frozenset({("call", "profile"), ("result", "client_error")}): 1,
    }
    assert value(m, "line_api_seconds_count", call="reply") == 1
    assert value(m, "line_api_seconds_count", call="push") == 2
    assert value(m, "line_api_seconds_bucket", call="push", le="+Inf") == 2
    assert value(m, "webhook_ack_seconds_count") == 1
    assert 0 < (value(m, "webhook_ack_seconds_sum") or 0) < 5
    assert value(m, "rate_limited_total", limit="shopper") == 1
    assert value(m, "rate_limited_total", limit="ip_connect") == 0
    assert value(m, "commit_failures_total") == 0
    # what runs: the installed version, the SQLite layout (no PostgreSQL layout on SQLite)
    assert series(m, "build_info") == {
        frozenset(
            {
                ("version", metadata.version("minichat")),
                ("sqlite_schema", str(SCHEMA_VERSION)),
                ("postgresql_schema", ""),
            }
        ): 1
    }


def test_metrics_listener_errors_say_which_address(tmp_path: Path, clients: Any) -> None:
    """A bad --metrics-port is a user error (2); a metrics port in use is an environment
    error (1) naming the metrics address, and the public port is not left bound."""
    res = clients.run_cli(tmp_path, "serve", "--port", "0", "--metrics-port", "70000")
    assert (res.returncode, res.stderr) == (
        2,
        "minichat-relay: --metrics-port (or $MINICHAT_RELAY_METRICS_PORT): must be 0-65535, "
        "not '70000'\n",
    )
    res = clients.run_cli(
        tmp_path, "serve", "--port", "0", env={"MINICHAT_RELAY_METRICS_PORT": "nine"}
    )
    assert res.returncode == 2 and "not 'nine'" in res.stderr
    res = clients.run_cli(tmp_path, "serve", "--port", "0", "--drain-grace", "-1")
    assert (res.returncode, res.stderr) == (
        2,
        "minichat-relay: --drain-grace: must be 0-3600 seconds\n",
    )
    res = clients.run_cli(tmp_path, "serve", "--port", "0", "--ip-sockets", "-5")
    assert (res.returncode, res.stderr) == (
        2,
        "minichat-relay: --ip-sockets: must be 0 (no limit) or more\n",
    )
    res = clients.run_cli(tmp_path, "serve", "--port", "0", "--keep-free-mb", "-1")
    assert (res.returncode, res.stderr) == (
        2,
        "minichat-relay: --keep-free-mb: must be 0 (no check) or more\n",
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = clients.run_cli(tmp_path, "serve", "--port", "0", "--metrics-port", str(port))
    assert res.returncode == 1
    assert f"minichat-relay: cannot listen on 127.0.0.1:{port}: " in res.stderr
    assert "Traceback" not in res.stderr


def test_one_address_keeps_only_so_many_widget_sockets_open(
    relay_factory: Any, clients: Any, arun: Any
) -> None:
    """--ip-sockets caps the widget sockets one address has open at once (a page that opens
    the chat in a loop, a host that never closes what it opens: the rate of new connections
    alone lets it fill the relay's descriptors in hours). Over it → HTTP 429 with Retry-After
    and a message that says what to do, counted, logged once until the address is below the
    cap again; a socket that ends, whichever way, makes room again; other addresses are not
    held back. An IPv6 address counts as its /64: the one subscriber may use any address in
    it, and each new one gets no new allowance."""
    relay = relay_factory("--trust-proxy", "--ip-sockets", "3", "--metrics-port", "0")
    shop_id, _ = clients.add_shop(relay.data_dir, "ร้านจำกัดการเชื่อมต่อ")
    relay.start()
    url = f"{relay.ws}/ws/widget?shop={shop_id}"
    addresses = iter(range(1, 1000))

    def here() -> dict[str, str]:  # (the proxy writes a new address of the same /64 each time)
        return {"X-Forwarded-For": f"2001:db8:ab:cd::{next(addresses):x}"}

    async def refused() -> Any:  # (the HTTP answer to the upgrade)
        with pytest.raises(InvalidStatus) as exc:
            await websockets.connect(url, additional_headers=here())
        return exc.value.response

    async def room() -> bool:  # (the relay sees a close on its next read: retried until then)
        try:
            ws = await websockets.connect(url, additional_headers=here())
        except InvalidStatus:
            return False
        await ws.close()
        return True

    async def until_room(why: str) -> None:
        deadline = time.monotonic() + 10
        while not await room():
            assert time.monotonic() < deadline, why
            await asyncio.sleep(0.05)

    async def go() -> None:
        async def widget() -> Any:
            ws = await websockets.connect(url, additional_headers=here())
            await ws.send(json.dumps({"type": "hello", "protocol": [1]}))
            assert json.loads(await ws.recv())["type"] == "welcome"
            return ws

        held = [await widget() for _ in range(3)]  # three chats open, welcomed
        answer = await refused()
        assert (answer.status_code, answer.headers["Retry-After"]) == (429, "30")
        assert json.loads(answer.body) == {
            "error": "rate_limited",
            "message": "too many open connections from this address (at most 3);"
            " close some chat windows and try again",
        }
        assert (await refused()).status_code == 429  # (counted again, not logged again)
        elsewhere = {"X-Forwarded-For": "2001:db8:ab:ce::1"}  # another subscriber's /64
        other = await websockets.connect(url, additional_headers=elsewhere)
        await held.pop().close()  # one chat closed: room for one more
        await until_room("a closed socket made no room")
        held.append(await websockets.connect(url, additional_headers=here()))  # no hello
        assert (await refused()).status_code == 429
        await held.pop().close()  # it gives up before its hello: room again
        await until_room("a socket closed before its hello made no room")
        for ws in [*held, other]:
            await ws.close()

    arun(go())
    assert value(scrape(relay.metrics_url), "rate_limited_total", limit="ip_sockets") == 3
    # logged once each time the address reached the cap (not at every refusal: no log flood)
    said = "widget sockets from 2001:db8:ab:cd::/64 refused: 3 open already"
    assert relay.log().count(said) == 2


def test_shoppers_pictures_stop_before_the_disk_is_full(
    relay_factory: Any, clients: Any, arun: Any, tmp_path: Path
) -> None:
    """--keep-free-mb: a shopper's picture that would leave less free disk than that is
    refused (503 with Retry-After, saying why) before its body is read, and nothing is
    stored; counted, logged once a minute at most. The chat goes on and the shop's own
    pictures still go: the messages keep the room the public's pictures may not take."""
    more_than_free = (shutil.disk_usage(tmp_path).free >> 20) + 1024
    relay = relay_factory("--keep-free-mb", str(more_than_free), "--metrics-port", "0")
    shop_id, token = clients.add_shop(relay.data_dir, "ร้านดิสก์ใกล้เต็ม")
    relay.start()
    out = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(out, "PNG")
    slip = out.getvalue()  # ~360 KB of noise: a real slip's size

    async def go() -> None:
        widget, welcome = await clients.widget(relay, shop_id)
        upload = f"{relay.url}/widget/{shop_id}/upload"
        auth = {"Authorization": f"Bearer {welcome.session}", "Content-Type": "image/png"}
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(2):
                res = await http.post(upload, content=slip, headers=auth)
                assert (res.status_code, res.headers["Retry-After"]) == (503, "300")
                assert res.json() == {
                    "error": "unavailable",
                    "message": "image: the relay is short of disk space; send it again later",
                }
            mine = await http.post(
                f"{relay.url}/desktop/media",
                content=slip,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"},
            )
            assert mine.status_code == 201, mine.text
        await widget.send(p.WidgetSend(clients.text("w-1", "โอนแล้วนะคะ")))
        assert (await widget.recv_type(p.Accepted)).id == "w-1"
        await widget.close()

    arun(go())
    assert value(scrape(relay.metrics_url), "rate_limited_total", limit="disk_room") == 2
    assert relay.log().count("disk almost full: ") == 1
    db = sqlite3.connect(f"file:{relay.data_dir / 'relay.sqlite3'}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT COUNT(*) FROM media").fetchone()[0] == 1  # (the shop's)
    finally:
        db.close()


def test_behind_a_proxy_the_limits_count_the_address_the_proxy_wrote(
    relay_factory: Any, clients: Any, arun: Any
) -> None:
    """With --trust-proxy the per-IP limit counts the last X-Forwarded-For entry (the one the
    proxy appended): a client writing a new address of its own into the header each time is
    still refused; another client behind the same proxy is not; the refusal is counted."""
    relay = relay_factory(
        "--trust-proxy", "--ip-rate", "0.001", "--ip-burst", "2", "--metrics-port", "0"
    )
    shop_id, _ = clients.add_shop(relay.data_dir, "ร้านหลังพร็อกซี")
    relay.start()

    async def connect(forwarded: str) -> int:
        try:
            ws = await websockets.connect(
                f"{relay.ws}/ws/widget?shop={shop_id}",
                additional_headers={"X-Forwarded-For": forwarded},
            )
        except InvalidStatus as exc:
            return int(exc.response.status_code)
        await ws.close()
        return 101

    async def go() -> list[int]:
        spoofed = [await connect(f"203.0.113.{i}, 198.51.100.7") for i in range(3)]
        return [*spoofed, await connect("203.0.113.50, 198.51.100.8")]

    assert arun(go()) == [101, 101, 429, 101]
    assert value(scrape(relay.metrics_url), "rate_limited_total", limit="ip_connect") == 1


def test_the_relay_key_from_a_secret_file(
    tmp_path: Path, clients: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MINICHAT_RELAY_KEY_FILE (a Docker secret, a systemd credential) encrypts the LINE
    credentials, and no relay.key is written into the data folder; the same key given as
    MINICHAT_RELAY_KEY reads them back. A missing or wrong file, or both variables, exit 1."""
    key = Fernet.generate_key().decode()
    secret = tmp_path / "run" / "relay_key"
    secret.parent.mkdir()
    secret.write_text(key + "\n")  # secrets are often written with a newline
    data = tmp_path / "data"
    with_file = {"MINICHAT_RELAY_KEY_FILE": str(secret)}
    res = clients.run_cli(data, "shops", "add", "ร้านกุญแจ", env=with_file)
    assert res.returncode == 0, res.stderr
    shop_id = json.loads(res.stdout.strip().splitlines()[-1])["shop_id"]
    res = clients.run_cli(
        data, "shops", "line", shop_id, env={**with_file, **line_env(SECRET, TOKEN)}
    )
    assert res.returncode == 0, res.stderr
    assert not (data / "relay.key").exists()

    (tmp_path / "bad").write_text("not a key")
    (tmp_path / "empty").write_text("\n")
    for env, said in [
        ({"MINICHAT_RELAY_KEY_FILE": str(tmp_path / "none")}, "cannot read the key file"),
        ({"MINICHAT_RELAY_KEY_FILE": str(tmp_path / "bad")}, "is not a valid Fernet key"),
        ({**with_file, "MINICHAT_RELAY_KEY": key}, "set MINICHAT_RELAY_KEY or"),
        # a command that read the key wrongly (a typo in `$(cat …)`): never a new key instead
        ({"MINICHAT_RELAY_KEY": ""}, "MINICHAT_RELAY_KEY is empty: give the relay's key"),
        (
            {"MINICHAT_RELAY_KEY_FILE": str(tmp_path / "empty")},
            "(MINICHAT_RELAY_KEY_FILE) is empty",
        ),
    ]:
        res = clients.run_cli(data, "shops", "list", env=env)
        assert res.returncode == 2 and said in res.stderr, (env, res.stderr)
        assert "Traceback" not in res.stderr
        assert not (data / "relay.key").exists()

    monkeypatch.setenv("MINICHAT_RELAY_KEY", key)
    store = Store(data)
    try:
        assert store.line_credentials(shop_id) == LineCredentials(SECRET, TOKEN)
    finally:
        store.close()
