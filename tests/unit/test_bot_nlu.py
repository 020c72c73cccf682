"""The bot's understanding: intents, entities, the catalog matcher and the labelled set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from minichat_desktop.demo import shop as demo
from minichat_desktop.domain.bot import nlu
from minichat_desktop.domain.bot.catalog_match import CatalogEntry, CatalogMatcher
from minichat_desktop.domain.bot.normalize import clean, parse_thai_number, skeleton
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.storage.db import Database

LABELLED = Path(__file__).resolve().parents[1] / "data" / "bot_labelled.jsonl"


@pytest.fixture(scope="module")
def demo_matcher() -> CatalogMatcher:
    """The demo shop's catalog, ids numbered in catalog order."""
    entries = [
        CatalogEntry(i, p.sku, p.name_th, p.name_en, p.category)
        for i, p in enumerate(demo.PRODUCTS, 1)
    ]
    return CatalogMatcher(entries, demo.CATEGORIES)


def skus(result: nlu.Classification) -> list[str]:
    return [p["sku"] for p in result.entities.get("product", [])]


# ---------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("หนึ่ง", 1),
        ("สอง", 2),
        ("สิบ", 10),
        ("สิบเอ็ด", 11),
        ("ยี่สิบ", 20),
        ("ยี่สิบห้า", 25),
        ("สามร้อย", 300),
        ("สามร้อยห้าสิบ", 350),
        ("หนึ่งร้อยเอ็ด", 101),
        ("พันห้า", 1500),
        ("สองพัน", 2000),
        ("หนึ่งหมื่น", 10_000),
    ],
)
def test_thai_number_words_read_as_numbers(words: str, value: int) -> None:
    """Thai number words, including the spoken short form พันห้า, give their value."""
    assert parse_thai_number(words) == value


@pytest.mark.parametrize("words", ["", "สองสาม", "ตัว", "สองตัว"])
def test_text_that_is_not_a_number_word_gives_none(words: str) -> None:
    assert parse_thai_number(words) is None


def test_clean_folds_what_shoppers_type() -> None:
    """Thai digits, repeated letters, doubled marks, zero-width spaces and full-width Latin."""
    assert clean("มากกกก ค่ะะะ ๓ ตัว\u200b ＣＦ  XXL") == "มาก ค่ะ 3 ตัว cf xxl"
    assert clean("เเดง") == "แดง"


def test_skeleton_makes_spelling_variants_meet() -> None:
    assert skeleton("โอเวอร์ไซซ์") == skeleton("โอเวอร์ไซส์")
    assert skeleton("T-Shirt") == "tshirt"


# ---------------------------------------------------------------------------- intents


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("สวัสดีค่ะ", "greeting"),
        ("หวัดดีจ้าาา", "greeting"),
        ("hello", "greeting"),
        ("ขอบคุณมากค่ะ 🙏", "goodbye"),
        ("บายจ้า", "goodbye"),
        ("เสื้อยืดคอกลมราคาเท่าไหร่คะ", "price_check"),
        ("กี่บาทคะ", "price_check"),
        ("how much is it?", "price_check"),
        ("มีเสื้อยืดสีแดงไหม", "product_inquiry"),
        ("รองเท้าผ้าใบมีเบอร์ 40 มั้ย", "product_inquiry"),
        ("do you have this in black?", "product_inquiry"),
        ("CF", "make_purchase"),
        ("cf 2 ตัวค่ะ", "make_purchase"),
        ("เอาสีดำ L สองตัว", "make_purchase"),
        ("add to cart please", "make_purchase"),
        ("ของถึงไหนแล้วคะ", "order_status"),
        ("MC-2026-000123 ส่งยังคะ", "order_status"),
        ("ได้ของแล้วแต่ชำรุดค่ะ 😡", "complaint"),
        ("ขอคืนเงินค่ะ ของไม่ตรงปก", "complaint"),
        ("ค่าส่งเท่าไหร่คะ", "general_question"),
        ("เก็บเงินปลายทางได้ไหม", "general_question"),
        ("ร้านเปิดกี่โมงคะ", "general_question"),
        ("ขอคุยกับแอดมินหน่อยค่ะ", "ask_human"),
        ("โอนแล้วค่ะ แนบสลิปนะคะ", "payment_notice"),
        ("0812345678", "provide_info"),
    ],
)
def test_intents_of_typical_messages(text: str, intent: str) -> None:
    assert nlu.classify(text).intent == intent


@pytest.mark.parametrize("text", ["", "   ", "...", "?!"])
def test_message_without_letters_is_unknown(text: str) -> None:
    result = nlu.classify(text)
    assert (result.intent, result.confidence, result.entities) == ("unknown", 0.0, {})


def test_only_particles_is_a_call_for_attention() -> None:
    assert nlu.classify("แอดมินคะ").intent == "greeting"


def test_clear_message_is_confident_and_mixed_one_is_not() -> None:
    assert nlu.classify("สวัสดีค่ะ").confidence > 0.9
    assert nlu.classify("สวัสดีค่ะ").confidence > nlu.classify("ok ราคา").confidence


def test_every_intent_is_one_of_the_documented_names() -> None:
    assert set(nlu.SEED_INTENTS) == {
        "product_inquiry",
        "price_check",
        "order_status",
        "make_purchase",
        "complaint",
        "general_question",
        "greeting",
        "goodbye",
    }
    for text in ["สวัสดี", "CF", "ค่าส่ง", "อะไรนะ", "ขอบคุณ", "โอนแล้ว", "ของเสีย"]:
        assert nlu.classify(text).intent in nlu.INTENTS


# ---------------------------------------------------------------------------- entities


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("เอา 2 ตัวค่ะ", 2),
        ("เอาสองตัวค่ะ", 2),
        ("จอง ๓ ชิ้น", 3),
        ("ครีมกันแดด x2", 2),
        ("สิบเอ็ดชิ้น", 11),
        ("I'll take two pieces", 2),
        ("buy 4", 4),
    ],
)
def test_quantity(text: str, quantity: int) -> None:
    assert nlu.classify(text).entities["quantity"] == quantity


@pytest.mark.parametrize(
    "text", ["ราคา 199 บาท", "ไซส์ 40", "CF 1", "0812345678", "MC-2026-000123", "เสื้อ 2XL"]
)
def test_numbers_that_are_not_quantities(text: str) -> None:
    assert "quantity" not in nlu.classify(text).entities


@pytest.mark.parametrize(
    ("text", "colour"),
    [
        ("สีแดง", "แดง"),
        ("red please", "แดง"),
        ("สีกรม", "กรมท่า"),
        ("navy", "กรมท่า"),
        ("ลิปสีชมพูนู้ด", "ชมพูนู้ด"),
        ("สีเงิน", "เงิน"),
    ],
)
def test_colour_is_the_canonical_thai_word(text: str, colour: str) -> None:
    assert nlu.classify(text).entities["color"] == colour


@pytest.mark.parametrize("text", ["ผ้าขาวม้าราคาเท่าไหร่", "ครีมกันแดดมีไหม", "โอนเงินแล้ว"])
def test_words_that_only_contain_a_colour(text: str) -> None:
    assert "color" not in nlu.classify(text).entities


def test_two_colours_keep_their_order() -> None:
    e = nlu.classify("สั่งสีดำได้สีกรม").entities
    assert (e["color"], e["colors"]) == ("ดำ", ["ดำ", "กรมท่า"])


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("ไซส์ M", "M"),
        ("size xl", "XL"),
        ("xxl มีไหม", "2XL"),
        ("เบอร์ ๔๑", "41"),
        ("เอว 30", "30"),
        ("ฟรีไซส์ไหม", "FREE"),
        ("สีดำ L", "L"),
    ],
)
def test_size(text: str, size: str) -> None:
    assert nlu.classify(text).entities["size"] == size


def test_a_lone_letter_in_english_prose_is_not_a_size() -> None:
    assert "size" not in nlu.classify("I'm looking for a gift").entities


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("งบ 500", None, 50_000),
        ("ไม่เกิน 1,200 บาท", None, 120_000),
        ("ราคา 300-500 บาท", 30_000, 50_000),
        ("between 200 and 400 baht", 20_000, 40_000),
        ("1000 ขึ้นไป", 100_000, None),
        ("under 1.5k", None, 150_000),
        ("ประมาณ 300 บาท", 24_000, 36_000),
        ("งบสามร้อย", None, 30_000),
    ],
)
def test_price_range_in_satang(text: str, lo: int | None, hi: int | None) -> None:
    e = nlu.classify(text).entities
    assert (e.get("price_min"), e.get("price_max")) == (lo, hi)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("เบอร์ 081-234-5678 ค่ะ", "0812345678"),
        ("+66 91 234 5678", "0912345678"),
        ("โทร ๐๘๙๗๖๕๔๓๒๑", "0897654321"),
        ("02-215-8899", "022158899"),
    ],
)
def test_phone_is_digits_only(text: str, phone: str) -> None:
    assert nlu.classify(text).entities["phone"] == phone


def test_email_is_lower_case() -> None:
    assert nlu.classify("mail: Nok.Shop@Gmail.com").entities["email"] == "nok.shop@gmail.com"


@pytest.mark.parametrize(
    "text", ["MC-2026-000123", "mc-2026-123", "mc2026000123", "ออเดอร์ MC 2026 000123 ค่ะ"]
)
def test_order_number_is_upper_case_and_padded(text: str) -> None:
    assert nlu.classify(text).entities["order_number"] == "MC-2026-000123"


# ---------------------------------------------------------------------------- products


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("เสื้อยืดคอกลมสีขาว", "TS-001"),
        ("เสื้อคอกลม", "TS-001"),  # the type word shortened
        ("เสื้อโอเวอไซส์", "TS-002"),  # misspelt
        ("oversize tee", "TS-002"),  # English
        ("รองเท่าผ้าใบ", "SO-001"),  # a common typo
        ("ลิปแมท", "BT-001"),  # short form
        ("sunscreen", "BT-002"),
        ("กางเกงยีนส์", "PT-001"),  # the jeans, not the denim shirt
        ("BG-006", "BG-006"),  # the SKU
    ],
)
def test_product_found_despite_spelling(demo_matcher: CatalogMatcher, text: str, sku: str) -> None:
    assert skus(nlu.classify(text, demo_matcher))[0] == sku


@pytest.mark.parametrize("text", ["มีรองเท้าไหม", "ส่งสลิปแล้ว", "price?", "ชื่อ วิภา แก้วมณี", "สวัสดีค่ะ"])
def test_no_product_when_none_is_named(demo_matcher: CatalogMatcher, text: str) -> None:
    assert "product" not in nlu.classify(text, demo_matcher).entities


def test_product_entity_shape(demo_matcher: CatalogMatcher) -> None:
    [first, *_] = nlu.classify("เสื้อยืดคอกลม", demo_matcher).entities["product"]
    assert set(first) == {"product_id", "sku", "name", "score"}
    assert (first["product_id"], first["name"]) == (1, "เสื้อยืดคอกลม Cotton 100%")
    assert 0.62 <= first["score"] <= 1.0


def test_category_entity(demo_matcher: CatalogMatcher) -> None:
    assert nlu.classify("มีกระเป๋าอะไรบ้าง", demo_matcher).entities["category"] == ["กระเป๋า"]
    assert nlu.classify("any bags?", demo_matcher).entities["category"] == ["กระเป๋า"]
    assert "category" not in nlu.classify("what do you have", demo_matcher).entities


def test_matcher_from_database_follows_catalog_changes(db: Database) -> None:
    """Built once; rebuilt only when a product is added or changed."""
    with db.write() as s:
        catalog.save_product(
            s, catalog.ProductInput(sku="MUG-1", name_th="แก้วมัคลายแมว", price_satang=15000), "t"
        )
    with db.read() as s:
        matcher = CatalogMatcher.load(s)
        assert matcher.refreshed(s) is matcher
    assert skus(nlu.classify("แก้วมัคลายแมวราคาเท่าไหร่", matcher)) == ["MUG-1"]
    with db.write() as s:
        catalog.save_product(
            s,
            catalog.ProductInput(sku="BAG-9", name_th="กระเป๋าถือหนังจระเข้", price_satang=99000),
            "t",
        )
    with db.read() as s:
        assert matcher.refreshed(s, max_age=60) is matcher  # a check that recent is trusted
        fresh = matcher.refreshed(s)
    assert fresh is not matcher
    assert skus(nlu.classify("กระเป๋าหนังจระเข้", fresh)) == ["BAG-9"]


def test_inactive_products_are_not_matched() -> None:
    matcher = CatalogMatcher([CatalogEntry(1, "OLD-1", "กระเป๋าคาดอกไนลอน", active=False)])
    assert "product" not in nlu.classify("กระเป๋าคาดอกไนลอน", matcher).entities


# ---------------------------------------------------------------------------- output and AI


def test_to_json_is_one_line_of_utf8_thai() -> None:
    text = nlu.classify("เอาสีแดง 2 ตัว").to_json()
    assert "\n" not in text and "แดง" in text
    obj = json.loads(text)
    assert obj == {
        "intent": "make_purchase",
        "confidence": obj["confidence"],
        "entities": {"color": "แดง", "quantity": 2},
    }


def test_ai_is_asked_only_when_the_rules_are_unsure() -> None:
    asked: list[str] = []

    def ai(text: str, rule: nlu.Classification) -> dict[str, Any]:
        asked.append(text)
        return {"intent": "complaint", "confidence": 0.8}

    sure = nlu.classify("สวัสดีค่ะ", ai=ai)
    unsure = nlu.classify("อืม ก็ดีนะแต่ว่า", ai=ai)
    assert (sure.intent, sure.source) == ("greeting", "rules")
    assert (unsure.intent, unsure.confidence, unsure.source) == ("complaint", 0.8, "ai")
    assert asked == ["อืม ก็ดีนะแต่ว่า"]


def test_an_ai_answer_naming_no_known_intent_is_ignored() -> None:
    result = nlu.classify("อืม ก็ดีนะแต่ว่า", ai=lambda t, r: {"intent": "buy_now"})
    assert result.source == "rules"
    assert nlu.classify("อืม", ai=lambda t, r: None).source == "rules"


def test_parse_ai_answer() -> None:
    assert nlu.parse_ai_answer('Sure: {"intent": "price_check", "confidence": 0.9}') == {
        "intent": "price_check",
        "confidence": 0.9,
    }
    assert nlu.parse_ai_answer('{"intent": "nonsense"}') is None
    assert nlu.parse_ai_answer("no json here") is None
    assert "price_check" in nlu.ai_prompt("ราคา?")


# ---------------------------------------------------------------------------- the labelled set


def labelled() -> list[dict[str, Any]]:
    with LABELLED.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_labelled_set_is_big_varied_and_held_out() -> None:
    rows = labelled()
    splits = Counter(r["split"] for r in rows)
    assert len(rows) >= 300
    assert set(splits) == {"tune", "holdout"}
    assert splits["holdout"] / len(rows) >= 0.3
    assert {r.get("batch", 1) for r in rows if r["split"] == "tune"} == {1}
    assert {r["intent"] for r in rows} == set(nlu.INTENTS)
    assert len({r["text"] for r in rows}) == len(rows)
    demo_skus = {p.sku for p in demo.PRODUCTS}
    for r in rows:
        for sku in r["entities"].get("product", []):
            assert sku in demo_skus, r["text"]


@pytest.mark.parametrize(("split", "floor"), [("tune", 0.95), ("holdout", 0.9)])
def test_intent_accuracy_on_the_labelled_set(
    demo_matcher: CatalogMatcher, split: str, floor: float
) -> None:
    rows = [r for r in labelled() if r["split"] == split]
    right = sum(nlu.classify(r["text"], demo_matcher).intent == r["intent"] for r in rows)
    assert right / len(rows) >= floor
