"""``line_verify``: the relay proves a shop's LINE channel works — the token against LINE's bot
info, the secret through a signed test webhook LINE posts to the relay, and the webhook
settings of the LINE console — and says which one is wrong."""

from __future__ import annotations

import asyncio
from typing import Any

from support.recorder import Recorder

from minichat_desktop.storage.db import Database
from minichat_desktop.sync.client import RelayClient
from relay import protocol as p

SECRET = "channel-secret-verify-0123456789"
TOKEN = "channel-token-verify"


def _verify(r: Any, token: str, clients: Any, arun: Any, secret: str, channel: str) -> Any:
    """Store ``secret``/``channel`` token on the relay as the desktop does, then verify."""

    async def go() -> p.LineVerified:
        desk, welcome = await clients.desktop(r, token)
        await desk.send(p.SetLineCredentials("cfg-1", secret, channel))
        assert await desk.recv_type(p.Ok) == p.Ok("cfg-1")
        hook = f"{r.url}/line/{welcome.shop_id}/webhook"
        await desk.send(p.VerifyLine("v-1", hook))
        answer = await desk.recv_type(p.LineVerified, timeout=15)
        await desk.close()
        return answer

    return arun(go())


def _line(line_api: Any, r: Any, shop_id: str, *, active: bool = True) -> None:
    """The LINE console as the owner left it: the channel's secret and token, the webhook URL
    pasted and "Use webhook" on (or off)."""
    line_api.channel_secret = SECRET
    line_api.channel_token = TOKEN
    line_api.webhook = {"endpoint": f"{r.url}/line/{shop_id}/webhook", "active": active}


def test_verify_succeeds_with_the_bots_name(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """Right token and secret, URL set and in use: ok, with the bot's name and basic id; LINE
    really posted a signed test webhook and the relay accepted it."""
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    _line(line_api, r, shop_id)
    answer = _verify(r, token, clients, arun, SECRET, TOKEN)
    assert answer == p.LineVerified("v-1", p.LineCheck.OK, "ร้านทดสอบ", "@123abcde", 200)
    tests = line_api.calls_to("/v2/bot/channel/webhook/test")
    assert [c["json"] for c in tests] == [{"endpoint": f"{r.url}/line/{shop_id}/webhook"}]
    assert tests[0]["auth"] == f"Bearer {TOKEN}"


def test_verify_fails_with_a_wrong_token(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """A token LINE does not know: token_rejected, and no test webhook is asked for."""
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    _line(line_api, r, shop_id)
    answer = _verify(r, token, clients, arun, SECRET, "not-the-channel-token")
    assert answer.result is p.LineCheck.TOKEN_REJECTED
    assert answer.bot_name is None
    assert "Authentication failed" in (answer.detail or "")
    assert line_api.calls_to("/v2/bot/channel/webhook/test") == []


def test_verify_fails_with_a_wrong_secret(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """The relay holds another secret than the channel's: LINE's signed test webhook gets the
    relay's 401, and the answer says the signature (the secret) is wrong — the token was fine."""
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    _line(line_api, r, shop_id)
    answer = _verify(r, token, clients, arun, "some-other-secret-abcdef", TOKEN)
    assert (answer.result, answer.status_code, answer.bot_name) == (
        p.LineCheck.SIGNATURE_WRONG,
        401,
        "ร้านทดสอบ",
    )
    assert "wrong signature" in r.log()


def test_verify_says_when_the_webhook_is_not_set_or_off(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any
) -> None:
    """Credentials right but the LINE console has no webhook URL: webhook_not_set; the URL set
    but "Use webhook" off: webhook_off."""
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    _line(line_api, r, shop_id)
    line_api.webhook = {"endpoint": "", "active": False}
    assert _verify(r, token, clients, arun, SECRET, TOKEN).result is p.LineCheck.WEBHOOK_NOT_SET
    _line(line_api, r, shop_id, active=False)
    assert _verify(r, token, clients, arun, SECRET, TOKEN).result is p.LineCheck.WEBHOOK_OFF


def test_verify_without_credentials_or_for_another_shop(
    relay_factory: Any, clients: Any, arun: Any
) -> None:
    """No LINE credentials on the relay: not_configured; an endpoint of another shop is refused
    as a bad frame (the relay does not have LINE post anywhere it is told)."""
    r = relay_factory()
    _, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()

    async def go() -> tuple[Any, Any]:
        desk, welcome = await clients.desktop(r, token)
        await desk.send(p.VerifyLine("v-1", f"{r.url}/line/{welcome.shop_id}/webhook"))
        first = await desk.recv_type(p.LineVerified)
        await desk.send(p.VerifyLine("v-2", f"{r.url}/line/another-shop/webhook"))
        second = await desk.recv_type(p.Error)
        await desk.close()
        return first, second

    first, second = arun(go())
    assert first == p.LineVerified("v-1", p.LineCheck.NOT_CONFIGURED)
    assert (second.code, second.ref) == (p.ErrorCode.BAD_FRAME, "v-2")


def test_the_desktops_link_asks_and_gets_the_answer(
    relay_factory: Any, clients: Any, line_api: Any, arun: Any, db: Database
) -> None:
    """The app's own relay link (``RelayClient.verify_line``) sends ``line_verify`` and returns
    the relay's answer; offline it returns None at once."""
    r = relay_factory()
    shop_id, token = clients.add_shop(r.data_dir, "ร้านทดสอบ")
    r.start()
    _line(line_api, r, shop_id)
    hook = f"{r.url}/line/{shop_id}/webhook"

    async def go() -> tuple[Any, Any]:
        rec = Recorder()
        client = RelayClient(db, r.url, lambda: token, rec, backoff_base=0.05, bot=False)
        offline = await client.verify_line(hook)
        task = asyncio.create_task(client.run())
        try:
            await asyncio.wait_for(rec.online.wait(), 10)
            assert await client.send_live(p.SetLineCredentials("cfg-1", SECRET, TOKEN))
            return offline, await client.verify_line(hook, timeout=15)
        finally:
            await client.stop()
            await asyncio.wait_for(task, 10)

    offline, answer = arun(go())
    assert offline is None
    assert (answer.result, answer.bot_name) == (p.LineCheck.OK, "ร้านทดสอบ")
