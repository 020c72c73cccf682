"""The flow simulator (ui/flow_simulator.py) on a real shop: the built-in product finder
answered by typing and by pressing its answer buttons ends on product cards with the
catalog's pictures; a hand-made flow with a question, a condition and two branches takes
each branch, waits, skips the time; the captions name steps by their words, never their ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel, QPushButton
from support.waiting import until

from minichat_desktop.demo.shop import fill_demo_shop
from minichat_desktop.domain.bot.flows import builtins
from minichat_desktop.domain.models import Product
from minichat_desktop.domain.shop import get_profile
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.flow_simulator import FlowSimulator, duration, step_title
from minichat_desktop.ui.inbox import ElidedLabel


def _shop(new_db: Callable[[], Database]) -> tuple[Database, dict[str, Any]]:
    """The demo shop, a picture on every product it sells, and its built-in flows."""
    db = new_db()
    fill_demo_shop(db, seed=7)
    folder = db.path.parent / "media" / "products"
    folder.mkdir(parents=True)
    picture = QImage(120, 120, QImage.Format.Format_RGB32)
    picture.fill(QColor("#64B5F6"))
    picture.save(str(folder / "shirt.png"))
    with db.write() as s:
        flows = {f.builtin: f for f in builtins.ensure_builtin_flows(s)}
        for product in s.query(Product).where(Product.active.is_(True)).all():
            product.images = ["media/products/shirt.png"]
    return db, flows


def _simulator(qtbot: Any, ctx: AppContext) -> FlowSimulator:
    sim = FlowSimulator(ctx)
    qtbot.addWidget(sim)
    sim.resize(380, 560)  # the editor's side panel on a 1366×728 window
    sim.show()
    return sim


async def _turn(sim: FlowSimulator, act: Callable[[], object]) -> None:
    """Do ``act`` and wait for the simulator to show the bot's answer."""
    seen = sim.turns
    act()
    await until(lambda: sim.turns > seen and not sim.busy)


def _texts(sim: FlowSimulator, name: str) -> list[str]:
    """The texts of the chat's labels named ``name``, whole (a caption shows cut to fit)."""
    labels = [w for w in sim.chat.findChildren(QLabel) if w.objectName() == name]
    return [w.full_text() if isinstance(w, ElidedLabel) else w.text() for w in labels]


def _button(sim: FlowSimulator, text: str) -> QPushButton:
    found = [
        b for b in sim.findChildren(QPushButton) if b.text() == text and b.isEnabled()
    ]  # the newest one: older quick replies are switched off
    assert found, f"no button {text!r}"
    return found[-1]


async def test_the_product_finder_answered_by_typing_and_buttons_shows_cards(
    qtbot: Any, make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """Typing a keyword starts the built-in finder; a typed budget, a pressed colour button and
    a typed size end on the catalog's product cards with their pictures and prices."""
    db, flows = _shop(new_db)
    ctx = make_ctx(db)
    sim = _simulator(qtbot, ctx)
    finder = flows[builtins.BUILTIN_DISCOVERY]
    sim.load(finder.name, finder.trigger, finder.nodes, finder.id)
    await until(lambda: sim.trial is not None and not sim.busy)
    await _turn(sim, lambda: qtbot.mouseClick(_button(sim, "ช่วยเลือก"), Qt.MouseButton.LeftButton))
    assert _texts(sim, "SimShopper") == ["ช่วยเลือก"]
    assert _texts(sim, "SimShop")[-1].startswith("ยินดีช่วยเลือกค่ะ 😊 มีงบประมาณเท่าไหร่คะ")
    assert _texts(sim, "SimStep")[-1] == "จากขั้น: คำถาม · ยินดีช่วยเลือกค่ะ 😊…"
    qtbot.keyClicks(sim.input, "2000")
    await _turn(sim, lambda: qtbot.keyClick(sim.input, Qt.Key.Key_Return))
    assert _texts(sim, "SimShop")[-1] == "ชอบสีไหนเป็นพิเศษไหมคะ"
    await _turn(sim, lambda: qtbot.mouseClick(_button(sim, "ขาว"), Qt.MouseButton.LeftButton))
    assert _texts(sim, "SimShopper")[-1] == "ขาว"
    qtbot.keyClicks(sim.input, "M")
    await _turn(sim, lambda: qtbot.mouseClick(sim.send_button, Qt.MouseButton.LeftButton))
    with db.read() as s:
        names = {p.name_th: p.price_satang for p in s.query(Product)}
    cards = [w for w in sim.chat.findChildren(QLabel) if w.objectName() == "SimPicture"]
    assert cards and all(c.pixmap() is not None and not c.pixmap().isNull() for c in cards)
    titles = [t for t in (w.text() for w in sim.chat.findChildren(QLabel)) if t in names]
    assert titles, "no product of the catalog on a card"
    prices = _texts(sim, "SimPrice")
    assert prices[0] == f"฿{names[titles[0]] // 100:,}"
    assert "จากขั้น: แสดงสินค้าแนะนำ" in _texts(sim, "SimStep")
    assert _texts(sim, "SimNote")[-1] == "จบโฟลว์แล้ว"


HAND_MADE: list[dict[str, Any]] = [
    {
        "id": "q_speed",
        "type": "question",
        "text": "อยากได้ของเร็วแค่ไหนคะ",
        "var": "speed",
        "kind": "choice",
        "choices": [{"label": "ด่วน", "value": "fast"}, {"label": "ไม่รีบ", "value": "slow"}],
        "next": "c_fast",
    },
    {
        "id": "c_fast",
        "type": "condition",
        "field": "state.speed",
        "op": "eq",
        "value": "fast",
        "then": "m_fast",
        "else": "w_slow",
    },
    {"id": "m_fast", "type": "message", "text": "ส่ง EMS ให้พรุ่งนี้เลยค่ะ", "next": ""},
    {"id": "w_slow", "type": "wait", "minutes": 3 * 24 * 60, "next": "m_slow"},
    {"id": "m_slow", "type": "message", "text": "ของกำลังไปถึงนะคะ {shop}", "next": ""},
]


async def test_a_hand_made_flow_takes_both_branches_and_skips_a_wait(
    qtbot: Any, make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """A button-started flow: answering "ด่วน" takes the condition's yes branch; after
    "Restart", a typed "ไม่รีบ" takes the other, which waits three days ("(รอ 3 วัน)") until
    "ข้ามเวลา" is pressed. No caption shows a step id or a variable name."""
    db, _ = _shop(new_db)
    ctx = make_ctx(db)
    sim = _simulator(qtbot, ctx)
    sim.load("ถามความเร็ว", {"type": "button"}, HAND_MADE)
    await until(lambda: sim.trial is not None and not sim.busy)
    await _turn(sim, lambda: qtbot.mouseClick(_button(sim, "เริ่มโฟลว์"), Qt.MouseButton.LeftButton))
    assert _texts(sim, "SimShop") == ["อยากได้ของเร็วแค่ไหนคะ"]
    await _turn(sim, lambda: qtbot.mouseClick(_button(sim, "ด่วน"), Qt.MouseButton.LeftButton))
    assert _texts(sim, "SimShop")[-1] == "ส่ง EMS ให้พรุ่งนี้เลยค่ะ"
    assert _texts(sim, "SimStep")[-1] == "จากขั้น: ข้อความ · ส่ง EMS ให้พรุ่งนี้เลยค่ะ"
    assert _texts(sim, "SimNote") == ["จบโฟลว์แล้ว"]

    seen = id(sim.trial)
    qtbot.mouseClick(sim.restart_button, Qt.MouseButton.LeftButton)
    await until(lambda: sim.trial is not None and id(sim.trial) != seen and not sim.busy)
    assert _texts(sim, "SimShop") == []
    await _turn(sim, lambda: qtbot.mouseClick(_button(sim, "เริ่มโฟลว์"), Qt.MouseButton.LeftButton))
    sim.input.insert("ไม่รีบ")  # Thai arrives as an input method commits it (QTest types ASCII)
    await _turn(sim, lambda: qtbot.keyClick(sim.input, Qt.Key.Key_Return))
    assert _texts(sim, "SimNote") == ["(รอ 3 วัน)"]
    await _turn(sim, lambda: qtbot.mouseClick(_button(sim, "ข้ามเวลา"), Qt.MouseButton.LeftButton))
    with db.read() as s:
        shop = get_profile(s).name
    assert shop and _texts(sim, "SimShop")[-1] == f"ของกำลังไปถึงนะคะ {shop}"
    captions = " ".join(_texts(sim, "SimStep"))
    for hidden in ("q_speed", "c_fast", "m_fast", "w_slow", "m_slow", "speed", "{shop}"):
        assert hidden not in captions
    assert _texts(sim, "SimNote")[-1] == "จบโฟลว์แล้ว"
    sim.shutdown()
    assert not any((Path(db.path.parent) / "trial").iterdir())


async def test_a_flow_that_cannot_run_says_which_step_in_english(
    qtbot: Any, make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """An unsaved flow with an empty message names the step by its kind and place in the
    chat, in the UI's language, instead of starting."""
    db, _ = _shop(new_db)
    ctx = make_ctx(db, lang="en")
    sim = _simulator(qtbot, ctx)
    nodes = [{"id": "n1", "type": "message", "text": "Hello", "next": "n2"}]
    nodes.append({"id": "n2", "type": "question", "text": "", "var": "x", "next": ""})
    sim.load("Broken", {"type": "keyword", "keywords": ["hi"]}, nodes)
    await until(lambda: bool(_texts(sim, "SimNote")) and not sim.busy)
    assert sim.trial is None
    assert _texts(sim, "SimNote") == ["Cannot try it yet: step “Question”: text missing"]
    assert sim.hint.text() == "Your real products and prices; nothing is saved to the shop."


async def test_a_flow_loaded_while_a_trial_is_being_made_is_the_one_tried(
    qtbot: Any, make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """The editor loads a changed flow while the first copy is still being made: once that
    is done the simulator starts again with the changed flow."""
    db, _ = _shop(new_db)
    ctx = make_ctx(db)
    sim = _simulator(qtbot, ctx)
    first = [{"id": "a", "type": "message", "text": "สวัสดีค่ะ", "next": ""}]
    changed = [{"id": "a", "type": "message", "text": "สวัสดีค่ะ ร้านเปิดแล้ว", "next": ""}]
    sim.load("ทักทาย", {"type": "button"}, first)
    await until(lambda: sim.busy)
    sim.load("ทักทาย", {"type": "button"}, changed)
    await until(lambda: sim.trial is not None and not sim.busy)
    await _turn(sim, lambda: qtbot.mouseClick(_button(sim, "เริ่มโฟลว์"), Qt.MouseButton.LeftButton))
    assert _texts(sim, "SimShop") == ["สวัสดีค่ะ ร้านเปิดแล้ว"]
    assert _texts(sim, "SimStep") == ["จากขั้น: ข้อความ · สวัสดีค่ะ ร้านเปิดแล้ว"]


async def test_steps_the_editor_gave_no_id_are_named_in_english(
    qtbot: Any, make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """Nodes without ids (the stored format fills them in) still get their captions, in
    English when the app is in English; a typed keyword starts the flow."""
    db, _ = _shop(new_db)
    ctx = make_ctx(db, lang="en")
    sim = _simulator(qtbot, ctx)
    nodes: list[dict[str, Any]] = [
        {"type": "question", "text": "Your phone number?", "var": "phone", "kind": "phone"},
        {"type": "message", "text": "Thanks, we will call {phone}"},
    ]
    nodes[0]["next"] = "n2"
    sim.load("Call back", {"type": "keyword", "keywords": ["callback"]}, nodes)
    await until(lambda: sim.trial is not None and not sim.busy)
    qtbot.keyClicks(sim.input, "a callback tomorrow")
    await _turn(sim, lambda: qtbot.keyClick(sim.input, Qt.Key.Key_Return))
    qtbot.keyClicks(sim.input, "081-234-5678")
    await _turn(sim, lambda: qtbot.keyClick(sim.input, Qt.Key.Key_Return))
    assert _texts(sim, "SimShop") == ["Your phone number?", "Thanks, we will call 0812345678"]
    assert _texts(sim, "SimStep") == [
        "From step: Question · Your phone number?",
        "From step: Message · Thanks, we will call …",
    ]
    assert _texts(sim, "SimNote") == ["The flow ended"]


async def test_a_data_folder_where_no_copy_can_be_made_says_what_to_do(
    qtbot: Any, make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """When the scratch folder cannot be made (here a file stands where trial/ goes), the
    chat says so in Thai, where and what to do, and nothing starts."""
    db, flows = _shop(new_db)
    (db.path.parent / "trial").write_text("not a folder")
    ctx = make_ctx(db)
    sim = _simulator(qtbot, ctx)
    finder = flows[builtins.BUILTIN_DISCOVERY]
    sim.load(finder.name, finder.trigger, finder.nodes, finder.id)
    await until(lambda: bool(_texts(sim, "SimNote")) and not sim.busy)
    assert sim.trial is None
    assert _texts(sim, "SimNote") == [
        f"ยังทดลองไม่ได้: สร้างโฟลเดอร์ทดลองใน {db.path.parent / 'trial'} ไม่ได้"
        " ตรวจดูว่าดิสก์ยังมีที่ว่างและเขียนได้ แล้วกดเริ่มใหม่"
    ]


async def test_step_titles_read_as_the_owner_names_steps(
    make_ctx: Callable[..., AppContext],
) -> None:
    """A step is named by the name the editor gave it, else its kind and the start of its
    words (cut at a phrase, or before a letter's vowel marks, never through them); a wait by
    its span."""
    make_ctx()
    long_thai = {"type": "question", "text": "ขอเบอร์โทรศัพท์ที่ติดต่อได้สะดวกที่สุดค่ะ"}
    assert step_title(long_thai) == "คำถาม · ขอเบอร์โทรศัพท์ที่ติดต่อ…"
    assert step_title({"type": "message", "text": "สวัสดี", "step_name": "ทักทาย"}) == "ทักทาย"
    assert step_title({"type": "message", "text": "สวัสดี", "label": "ทักทาย"}) == "ทักทาย"
    assert step_title({"type": "wait", "minutes": 1530}) == "รอ · 1 วัน 1 ชั่วโมง 30 นาที"
    assert step_title({"type": "action", "action": "apply_discount"}) == "ให้โค้ดส่วนลด"
    assert step_title({"type": "condition", "field": "state.rating"}) == "เงื่อนไข"
    assert duration(0) == "ครู่เดียว"
