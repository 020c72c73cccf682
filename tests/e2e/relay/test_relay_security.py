"""Isolation between shops, authentication, origins, rate limits, sizes, and garbage frames."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay import protocol as p


def test_two_shops_never_see_each_other(relay_factory: Any, clients: Any, arun: Any) -> None:
    """Shop B's desktop gets none of shop A's traffic and cannot write into A's conversations;
    A's session token means nothing to B."""
    r = relay_factory()
    a_id, a_token = clients.add_shop(r.data_dir, "ร้าน A")
    b_id, b_token = clients.add_shop(r.data_dir, "ร้าน B")
    r.start()

    async def go() -> None:
        da, wa_ = await clients.desktop(r, a_token)
        db, wb_ = await clients.desktop(r, b_token)
        assert (wa_.shop_id, wb_.shop_id) == (a_id, b_id)
        wa, wwa = await clients.widget(r, a_id)
        await wa.send(p.WidgetSend(clients.text("secret-1", "ที่อยู่ของฉันคือ...")))
        assert (await da.recv_type(p.Inbound)).message.id == "secret-1"
        await db.nothing(0.5)
        await db.send(p.Send(wwa.conversation, clients.text("evil", "สวัสดีจากร้าน B")))
        err = await db.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.NOT_FOUND, "evil")
        await wa.nothing(0.3, ignore=(p.WidgetReceipt, p.Accepted))
        wb, wwb = await clients.widget(r, b_id, session=wwa.session)
        assert wwb.session != wwa.session and wwb.conversation != wwa.conversation
        assert wwb.history == ()
        await db.send(p.Read(wwa.conversation, "secret-1"))
        assert (await db.recv_type(p.Error)).code is p.ErrorCode.NOT_FOUND
        for peer in (da, db, wa, wb):
            await peer.close()

    arun(go())


def test_auth_origin_and_version_checks(shop_relay: Any, clients: Any, arun: Any) -> None:
    """Wrong token → 401 before the upgrade; a foreign origin → 403; an unknown protocol
    version → error frame and close 4002; healthz answers."""
    r = shop_relay.relay
    res = clients.run_cli(
        r.data_dir, "shops", "origins", shop_relay.shop_id, "https://shop.example"
    )
    assert res.returncode == 0
    assert json.loads(res.stdout)["allowed_origins"] == ["https://shop.example"]
    assert httpx.get(f"{r.url}/healthz").json() == {"status": "ok", "protocol": 1}

    async def go() -> None:
        with pytest.raises(websockets.InvalidStatus) as exc:
            await websockets.connect(
                f"{r.ws}/ws/desktop", additional_headers={"Authorization": "Bearer mcs_nope"}
            )
        assert exc.value.response.status_code == 401
        with pytest.raises(websockets.InvalidStatus) as exc:
            await websockets.connect(f"{r.ws}/ws/desktop")
        assert exc.value.response.status_code == 401
        with pytest.raises(websockets.InvalidStatus) as exc:
            await websockets.connect(
                f"{r.ws}/ws/widget?shop={shop_relay.shop_id}",
                additional_headers={"Origin": "https://evil.example"},
            )
        assert exc.value.response.status_code == 403
        with pytest.raises(websockets.InvalidStatus) as exc:
            await websockets.connect(f"{r.ws}/ws/widget?shop=shop_doesnotexist")
        assert exc.value.response.status_code == 404
        w, _ = await clients.widget(r, shop_relay.shop_id, origin="https://shop.example")
        await w.close()
        w, _ = await clients.widget(
            r, shop_relay.shop_id, origin=r.url
        )  # the relay's own demo page
        await w.close()

        ws = await websockets.connect(f"{r.ws}/ws/widget?shop={shop_relay.shop_id}")
        await ws.send(json.dumps({"type": "hello", "protocol": [99]}))
        err = p.decode_to_widget(await ws.recv())
        assert err == p.Error(
            p.ErrorCode.UNSUPPORTED_VERSION,
            "protocol: none of [99] is supported (relay speaks [1])",
        )
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4002

        # rotating the token locks the old one out
        res = clients.run_cli(r.data_dir, "shops", "rotate-token", shop_relay.shop_id)
        new_token = json.loads(res.stdout.strip().splitlines()[-1])["token"]
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(
                f"{r.ws}/ws/desktop",
                additional_headers={"Authorization": f"Bearer {shop_relay.token}"},
            )
        d, _ = await clients.desktop(r, new_token)
        await d.close()

    arun(go())


def test_rate_limits_answer_429(relay_factory: Any, clients: Any, arun: Any) -> None:
    """Per IP: too many widget connections → HTTP 429. Per shopper: too many messages →
    error rate_limited naming the dropped message."""
    r = relay_factory(
        "--ip-rate", "0.5", "--ip-burst", "4", "--shopper-rate", "0.5", "--shopper-burst", "3"
    )
    shop_id, _ = clients.add_shop(r.data_dir, "ร้านจำกัด")
    r.start()

    async def go() -> None:
        w, _ = await clients.widget(r, shop_id)
        for i in range(3):
            await w.send(p.WidgetSend(clients.text(f"ok-{i}", "hi")))
            assert (await w.recv_type(p.Accepted)).id == f"ok-{i}"
        await w.send(p.WidgetSend(clients.text("too-many", "hi")))
        err = await w.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.RATE_LIMITED, "too-many")
        statuses = []
        for _ in range(5):
            try:
                ws = await websockets.connect(f"{r.ws}/ws/widget?shop={shop_id}")
                await ws.close()
                statuses.append(101)
            except websockets.InvalidStatus as exc:
                statuses.append(exc.response.status_code)
        assert statuses == [101, 101, 101, 429, 429]
        await w.close()

    arun(go())


def test_oversized_frame_is_refused_by_id_and_a_huge_one_closes_with_1009(
    shop_relay: Any, clients: Any, arun: Any
) -> None:
    """A widget frame over 32 KB is answered too_large with its message id and the socket
    stays open; one over 4 × 32 KB closes the socket with 1009; the relay keeps serving."""

    async def go() -> None:
        w, _ = await clients.widget(shop_relay.relay, shop_relay.shop_id)
        big = p.WidgetSend(p.Message("w-big", p.Text("ก" * 4000), (), "x" * 30_000))
        raw = json.dumps(big.to_obj(), ensure_ascii=False)
        assert 32 * 1024 < len(raw.encode()) < 4 * 32 * 1024
        await w.send(raw)
        err = await w.recv_type(p.Error)
        assert (err.code, err.ref) == (p.ErrorCode.TOO_LARGE, "w-big")
        assert err.message == "frame: too large (max 32768 bytes)"
        await w.send(p.WidgetSend(p.Message("w-ok", p.Text("ok"))))
        assert (await w.recv_type(p.Accepted)).id == "w-ok"
        await w.ws.send("x" * (4 * 32 * 1024 + 1))
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                await w.ws.recv()
        assert w.ws.close_code == 1009
        w2, _ = await clients.widget(shop_relay.relay, shop_relay.shop_id)
        await w2.close()

    arun(go())


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
types = st.sampled_from(
    [
        "hello",
        "send",
        "ack",
        "read",
        "typing",
        "presence",
        "widget_config",
        "line_credentials",
        "line_quota_get",
        "nope",
    ]
)
frames = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    json_values.map(json.dumps),
    st.builds(
        lambda t, body: json.dumps({"type": t, **body}),
        types,
        st.dictionaries(
            st.sampled_from(
                [
                    "message",
                    "seq",
                    "conversation",
                    "state",
                    "up_to",
                    "ref",
                    "config",
                    "protocol",
                    "session",
                    "after",
                ]
            ),
            json_values,
            max_size=4,
        ),
    ),
    st.builds(
        lambda kind, body: json.dumps(
            {
                "type": "send",
                "conversation": "widget:AAAAAAAAAAAAAAAA",
                "message": {"id": "x1", "kind": kind, **body},
            }
        ),
        st.sampled_from([k.value for k in p.Kind]),
        st.dictionaries(
            st.sampled_from(
                [
                    "text",
                    "cards",
                    "card",
                    "buttons",
                    "items",
                    "media_id",
                    "url",
                    "phone",
                    "data",
                    "state",
                    "quick_replies",
                ]
            ),
            json_values,
            max_size=3,
        ),
    ),
)


def test_garbage_frames_never_crash_the_relay(shop_relay: Any, clients: Any, arun: Any) -> None:
    """Hypothesis throws malformed frames at both sockets; the relay answers errors, keeps
    every connection's state sane, and a normal round trip works afterwards."""
    r = shop_relay.relay

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(frames, min_size=1, max_size=15))
    def throw(batch: list[str | bytes]) -> None:
        async def go() -> None:
            w, _ = await clients.widget(r, shop_relay.shop_id)
            d, _ = await clients.desktop(r, shop_relay.token)
            for raw in batch:
                for peer in (w, d):
                    with contextlib_suppress():
                        await peer.ws.send(raw)
            for peer in (w, d):
                await peer.ws.close()

        arun(go())

    throw()

    async def after() -> None:
        d, _ = await clients.desktop(r, shop_relay.token)
        w, ww = await clients.widget(r, shop_relay.shop_id)
        await w.send(p.WidgetSend(clients.text("still-alive", "ยังทำงานอยู่")))
        got = await d.recv_type(p.Inbound)
        assert (got.conversation, got.message.id) == (ww.conversation, "still-alive")
        await d.close()
        await w.close()

    arun(after())
    assert "Traceback" not in r.log()


def contextlib_suppress() -> Any:
    import contextlib

    return contextlib.suppress(websockets.ConnectionClosed)


_ = asyncio
