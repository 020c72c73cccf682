"""The bot runner with an AI provider (a local server speaking Ollama's NDJSON): the model's
wording reaches the outbox only when every number in it is in the database facts; an unsure
message is classified by the model; no relay for the QR → its caption is sent instead."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.bot_shop import make_shop, new_conversation, shopper_says
from test_ai_providers import FakeProvider, ndjson

from minichat_desktop.ai.config import save_config
from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot.engine import set_bot_enabled
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database
from minichat_desktop.sync.bot_runner import BotRunner

REF = "widget:runner00001"


@pytest.fixture
async def server() -> AsyncIterator[FakeProvider]:
    s = FakeProvider()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def runner(db: Database, tmp_path: Path) -> AsyncIterator[BotRunner]:
    r = BotRunner(
        db,
        relay_url=lambda: "http://127.0.0.1:9",
        token=lambda: None,
        data_dir=tmp_path,
    )
    yield r
    await r.stop()


def _ollama(text: str) -> object:
    return ndjson({"message": {"content": text}, "done": False}, {"message": {}, "done": True})


def _sent(db: Database, conv: int) -> list[str]:
    with db.read() as s:
        return [
            str(m.body.get("text") or m.body.get("caption") or m.text)
            for m in convs.messages(s, conv)
            if m.direction == "out"
        ]


async def _ask(db: Database, runner: BotRunner, said: str) -> int:
    conv, msg = shopper_says(db, REF, said)
    await runner.handle(conv, msg)
    return conv


def _setup(db: Database, server: FakeProvider) -> None:
    make_shop(db)
    with db.write() as s:
        set_bot_enabled(s, True)
        save_config(s, "ollama", base_url=server.url, brand_voice="ร่าเริงสดใส")


async def test_grounded_ai_wording_is_sent(
    db: Database, server: FakeProvider, runner: BotRunner
) -> None:
    _setup(db, server)
    server.script = [_ollama("มีค่าา! เสื้อยืดคอกลมสีแดงราคา 290 บาท ไซส์ M เหลือ 5 ตัว ไซส์ L เหลือ 2 ตัวค่ะ")]
    conv = await _ask(db, runner, "มีเสื้อยืดคอกลมสีแดงไหม")
    sent = _sent(db, conv)
    assert sent[0] == "มีค่าา! เสื้อยืดคอกลมสีแดงราคา 290 บาท ไซส์ M เหลือ 5 ตัว ไซส์ L เหลือ 2 ตัวค่ะ"
    assert sent[1] == "[สินค้า] เสื้อยืดคอกลม"
    _, _, body = server.requests[0]
    assert "ร่าเริงสดใส" in body["messages"][0]["content"]
    assert "5 in stock" in body["messages"][1]["content"]


async def test_invented_numbers_never_reach_the_shopper(
    db: Database, server: FakeProvider, runner: BotRunner
) -> None:
    _setup(db, server)
    server.script = [_ollama("มีค่ะ ลดเหลือ 199 บาทวันนี้วันเดียว เหลือ 1 ตัวสุดท้าย!")]
    conv = await _ask(db, runner, "มีเสื้อยืดคอกลมสีแดงไหม")
    assert _sent(db, conv)[0].splitlines() == [
        "เสื้อยืดคอกลม แดง / M ราคา ฿290 เหลือ 5 ชิ้นค่ะ",
        "เสื้อยืดคอกลม แดง / L ราคา ฿290 เหลือ 2 ชิ้นค่ะ",
    ]


async def test_an_unsure_message_is_classified_by_the_model(
    db: Database, server: FakeProvider, runner: BotRunner
) -> None:
    _setup(db, server)
    server.script = [
        _ollama('{"intent": "ask_human", "confidence": 0.9}'),
    ]
    conv = await _ask(db, runner, "ช่วยหน่อยได้ป่าว")  # the rules: general_question, 0.2
    _, _, first = server.requests[0]
    assert first["format"] == "json"
    assert "ช่วยหน่อยได้ป่าว" in first["messages"][1]["content"]
    with db.read() as s:
        assert convs.get_conversation(s, conv).status == "escalated"


async def test_provider_down_the_rule_answer_goes_out(db: Database, runner: BotRunner) -> None:
    make_shop(db)
    with db.write() as s:
        set_bot_enabled(s, True)
        save_config(s, "ollama", base_url="http://127.0.0.1:9", timeout_s=3)
    conv = await _ask(db, runner, "หมวกแก๊ปราคาเท่าไหร่")
    assert _sent(db, conv)[0] == "หมวกแก๊ป ราคา ฿199 เหลือ 1 ชิ้นค่ะ"


async def test_switched_off_bot_answers_nothing(db: Database, runner: BotRunner) -> None:
    make_shop(db)
    conv = await _ask(db, runner, "หมวกแก๊ปราคาเท่าไหร่")
    assert _sent(db, conv) == [] and runner.answered == 0


async def test_qr_without_a_relay_is_sent_as_its_caption(db: Database, runner: BotRunner) -> None:
    ids = make_shop(db)
    with db.write() as s:
        set_bot_enabled(s, True)
    conv = new_conversation(db, REF)
    with db.write() as s:
        carts.add_item(s, conv, ids.cap, 1)
    steps = [
        {"kind": "postback", "data": "checkout:start"},
        {"kind": "text", "text": "สมชาย ใจดี"},
        {"kind": "text", "text": "0891234567"},
        {"kind": "text", "text": "1 ถนนนิมมานเหมินท์ ต.สุเทพ อ.เมือง จ.เชียงใหม่ 50200"},
        {"kind": "postback", "data": "ship:kerry"},
        {"kind": "postback", "data": "pay:transfer"},
        {"kind": "postback", "data": "checkout:confirm"},
    ]
    for n, step in enumerate(steps):
        message = {"id": f"w-{n}", **step}
        with db.write() as s:
            convs.record_inbound(s, REF, message)
        await runner.handle(conv, message)
    sent = _sent(db, conv)
    qr = [t for t in sent if t.startswith("สแกนจ่ายพร้อมเพย์")]
    assert qr == ["สแกนจ่ายพร้อมเพย์ ฿249 (ออเดอร์ MC-2026-000001)"]
    assert json.dumps(sent, ensure_ascii=False).count("MC-2026-000001") >= 2
