"""A small shop for the sales bot's tests: real products with variants and stock, a PromptPay ID,
a bank account, and shopper conversations made the way the relay makes them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 11, 20, 5, 0, tzinfo=dt.UTC)
PROMPTPAY_ID = "0812345678"
_uids = itertools.count(1)


@dataclass(frozen=True)
class BotShop:
    tee_red_m: int  # variant ids
    tee_red_l: int
    tee_black_m: int
    tee_id: int  # product id
    mug: int
    mug_id: int
    cap: int  # one in stock


def make_shop(db: Database, *, promptpay: bool = True, bank: bool = True) -> BotShop:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านมินิ", promptpay_id=PROMPTPAY_ID if promptpay else ""
        )
        if bank:
            shop.add_bank_account(
                s, "owner", bank="กสิกรไทย", account_name="ร้านมินิ", account_number="123-4-56789-0"
            )
        tee = catalog.save_product(
            s,
            ProductInput(
                sku="TEE",
                name_th="เสื้อยืดคอกลม",
                name_en="Crew-neck T-shirt",
                price_satang=29000,
                category="เสื้อผ้า",
                option_names=["สี", "ไซส์"],
                variants=[
                    VariantInput("TEE-RED-M", {"สี": "แดง", "ไซส์": "M"}, stock=5),
                    VariantInput("TEE-RED-L", {"สี": "แดง", "ไซส์": "L"}, stock=2),
                    VariantInput("TEE-BLK-M", {"สี": "ดำ", "ไซส์": "M"}, stock=3, price_satang=31000),
                ],
            ),
            "owner",
        )
        mug = catalog.save_product(
            s,
            ProductInput(sku="MUG", name_th="แก้วมัคเซรามิก", price_satang=15050, stock=10),
            "owner",
        )
        cap = catalog.save_product(
            s, ProductInput(sku="CAP", name_th="หมวกแก๊ป", price_satang=19900, stock=1), "owner"
        )
        return BotShop(
            tee_red_m=tee.variants[0].id,
            tee_red_l=tee.variants[1].id,
            tee_black_m=tee.variants[2].id,
            tee_id=tee.id,
            mug=mug.variants[0].id,
            mug_id=mug.id,
            cap=cap.variants[0].id,
        )


def shopper_says(
    db: Database, ref: str, text: str, at: dt.datetime = NOW
) -> tuple[int, dict[str, object]]:
    """Store a shopper's text as the relay would; returns (conversation id, message)."""
    message: dict[str, object] = {"id": f"w-{next(_uids)}", "kind": "text", "text": text}
    with db.write() as s:
        rec = convs.record_inbound(s, ref, message, at)
        assert rec is not None
        return rec.conversation.id, message


def new_conversation(db: Database, ref: str = "widget:shopper0001") -> int:
    conv_id, _ = shopper_says(db, ref, "สวัสดีค่ะ")
    return conv_id
