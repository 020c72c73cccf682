"""A believable demo shop: a VAT-registered Thai clothing-and-lifestyle shop with a catalog,
customers and two months of orders, for ``minichat --demo``, screenshots and benchmarks.

Everything is written through the domain's use cases (no SQL of its own), in one unit of work,
so the data obeys every rule the app enforces: the stock ledger adds up, stock never goes below
zero, order numbers have no gaps, tax IDs, barcodes and Thailand Post tracking numbers carry
valid check digits. The same ``seed`` and ``now`` give the same shop, order for order.

Status changes (packed, shipped, delivered, cancelled, refunded, with their credit notes) are
recorded at their own believable times after the order, and so are two partial refunds of
delivered orders (:func:`_partial_refunds`: an amount off after a complaint, early in the two
months; one unit sent back and restocked, lately), each with its credit note; what the domain
does not let a use case backdate is left at the time of the fill: stock movements and notes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import (
    Channel,
    IdentityKind,
    MovementReason,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    PipelineStatus,
    Product,
)
from minichat_desktop.domain.sales import orders, refunds
from minichat_desktop.domain.sales.orders import LineInput, NewOrder, OrderFilters
from minichat_desktop.domain.sales.tax_documents import Buyer
from minichat_desktop.domain.thai import s10_check_digit, thai_id_check_digit
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database

ACTOR = "demo"
OWNER = "เจ้าของร้าน"
STAFF = "พนักงานหน้าร้าน"
DAYS = 60


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What :func:`fill_demo_shop` created."""

    products: int
    active_products: int
    variants: int
    categories: int
    customers: int
    orders: int
    orders_by_status: Mapping[str, int] = field(default_factory=dict)
    orders_by_channel: Mapping[str, int] = field(default_factory=dict)
    revenue_satang: int = 0  # paid orders, less their partial refunds
    stock_units: int = 0
    first_order_number: str = ""
    last_order_number: str = ""


# ---------------------------------------------------------------------------- check digits


def ean13_check_digit(twelve_digits: str) -> int:
    """EAN-13 check digit of the first 12 digits (weights 1,3,1,3,… from the left)."""
    if len(twelve_digits) != 12 or not twelve_digits.isdigit():
        raise ValueError(f"expected 12 digits, got {twelve_digits!r}")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve_digits))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    return (
        len(code) == 13
        and code.isascii()
        and code.isdigit()
        and int(code[12]) == ean13_check_digit(code[:12])
    )


def _tax_id(first12: str) -> str:
    return first12 + str(thai_id_check_digit(first12))


def _s10(prefix: str, serial: int) -> str:
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}TH"


# ---------------------------------------------------------------------------- the shop

SHOP_PROFILE: dict[str, object] = {
    "name": "ร้านมินิแชท เซเลกต์",
    "name_en": "MiniChat Select",
    "address": "88/8 อาคารสามย่านเฮาส์ ชั้น 1 ถนนพระรามที่ 4 แขวงวังใหม่ เขตปทุมวัน กรุงเทพมหานคร 10330",
    "phone": "02-215-8899",
    "email": "hello@minichatselect.co.th",
    "tax_id": _tax_id("010556512345"),
    "branch_code": "00000",
    "branch_name": "",
    "vat_registered": True,
    "prices_include_vat": True,
    "promptpay_id": "0891234567",
    "order_prefix": "MC",
}

BANK_ACCOUNTS = (
    ("ธนาคารกสิกรไทย", "บจก. มินิแชท เซเลกต์", "123-8-45671-9", "สาขาสามย่าน มิตรทาวน์"),
    ("ธนาคารไทยพาณิชย์", "บจก. มินิแชท เซเลกต์", "407-223918-6", "สาขาจามจุรีสแควร์"),
)

# ---------------------------------------------------------------------------- the catalog

COLOR_CODES = {
    "ขาว": "WHT",
    "ดำ": "BLK",
    "แดง": "RED",
    "กรมท่า": "NVY",
    "เทา": "GRY",
    "ครีม": "CRM",
    "เขียว": "GRN",
    "ชมพู": "PNK",
    "น้ำตาล": "BRN",
    "ฟ้า": "SKY",
    "เบจ": "BGE",
    "กากี": "KHK",
    "แดงอิฐ": "BRK",
    "ชมพูนู้ด": "NUD",
    "ส้มอิฐ": "TER",
}

SIZES = ("S", "M", "L", "XL")


@dataclass(frozen=True, slots=True)
class _P:
    sku: str
    category: str
    name_th: str
    name_en: str
    description: str
    price: int  # baht
    compare_at: int | None
    cost: int
    tags: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    weight: int = 250
    stock: tuple[int, int] = (8, 30)  # opening stock range per variant


C_TEE, C_SHIRT, C_PANTS, C_BAG = "เสื้อยืด", "เสื้อเชิ้ต", "กางเกง", "กระเป๋า"
C_SHOES, C_JEWEL, C_HOME, C_BEAUTY = "รองเท้า", "เครื่องประดับ", "ของใช้ในบ้าน", "ความงาม"
CATEGORIES = (C_TEE, C_SHIRT, C_PANTS, C_BAG, C_SHOES, C_JEWEL, C_HOME, C_BEAUTY)

COLOR = "สี"
SIZE = "ไซส์"

PRODUCTS: tuple[_P, ...] = (
    # เสื้อยืด
    _P(
        "TS-001",
        C_TEE,
        "เสื้อยืดคอกลม Cotton 100%",
        "Crew Neck Tee Cotton 100%",
        "ผ้าคอตตอน 100% เนื้อนุ่ม ใส่สบาย ไม่ย้วย ซักแล้วสีไม่ตก",
        199,
        259,
        85,
        ("ขายดี", "cotton", "สีแดง"),
        ((COLOR, ("ขาว", "ดำ", "แดง", "กรมท่า")), (SIZE, SIZES)),
        180,
    ),
    _P(
        "TS-002",
        C_TEE,
        "เสื้อยืดโอเวอร์ไซซ์ ผ้านิ่ม",
        "Oversized Soft Tee",
        "ทรงโอเวอร์ไซซ์ ไหล่ตก ผ้าคอตตอนผสม นุ่มพิเศษ",
        259,
        None,
        110,
        ("ขายดี", "oversize"),
        ((COLOR, ("ขาว", "ดำ", "เทา", "ครีม")), (SIZE, ("M", "L", "XL"))),
        200,
    ),
    _P(
        "TS-003",
        C_TEE,
        "เสื้อยืดคอวี ผ้าคอตตอนสแปนเด็กซ์",
        "V-Neck Stretch Tee",
        "คอวี ผ้ายืดหยุ่น กระชับตัว ใส่ทำงานหรือใส่เที่ยวก็ได้",
        229,
        None,
        95,
        ("สีแดง",),
        ((COLOR, ("ขาว", "ดำ", "แดง")), (SIZE, ("S", "M", "L"))),
        170,
    ),
    _P(
        "TS-004",
        C_TEE,
        "เสื้อยืดสีแดง ลายช้างไทย",
        "Red Thai Elephant Tee",
        "เสื้อยืดสีแดงสกรีนลายช้างไทย ของฝากยอดนิยมของนักท่องเที่ยว",
        290,
        350,
        120,
        ("ของฝาก", "ลายไทย", "สีแดง"),
        ((SIZE, SIZES),),
        190,
    ),
    _P(
        "TS-005",
        C_TEE,
        "เสื้อโปโล ปักโลโก้",
        "Embroidered Polo Shirt",
        "ผ้าจูติ ระบายอากาศดี ปักโลโก้ที่อก รับปักชื่อบริษัท",
        390,
        450,
        170,
        ("ยูนิฟอร์ม",),
        ((COLOR, ("ขาว", "กรมท่า", "เขียว")), (SIZE, SIZES)),
        230,
    ),
    _P(
        "TS-006",
        C_TEE,
        "เสื้อยืดแขนยาว Basic",
        "Basic Long Sleeve Tee",
        "แขนยาวผ้าคอตตอน ใส่ในห้องแอร์หรือกันแดด",
        290,
        None,
        125,
        (),
        ((COLOR, ("ขาว", "ดำ", "กรมท่า")), (SIZE, ("M", "L", "XL"))),
        220,
    ),
    _P(
        "TS-007",
        C_TEE,
        "เสื้อกล้าม ผ้าร่อง",
        "Ribbed Tank Top",
        "ผ้าร่องยืด ทรงเข้ารูป ใส่ซ้อนหรือใส่เดี่ยวก็สวย",
        159,
        None,
        60,
        ("ใหม่",),
        ((COLOR, ("ขาว", "ดำ")), (SIZE, ("S", "M", "L"))),
        120,
    ),
    _P(
        "TS-008",
        C_TEE,
        "เสื้อยืดเด็ก ลายการ์ตูน",
        "Kids Cartoon Tee",
        "เสื้อยืดเด็ก ผ้านุ่ม สกรีนลายการ์ตูนสีสดใส ปลอดภัยต่อผิวเด็ก",
        179,
        None,
        70,
        ("เด็ก",),
        ((SIZE, ("S", "M", "L")),),
        120,
    ),
    # เสื้อเชิ้ต
    _P(
        "SH-001",
        C_SHIRT,
        "เสื้อเชิ้ตลินิน แขนสั้น",
        "Short Sleeve Linen Shirt",
        "ผ้าลินินผสมคอตตอน ระบายอากาศดีมาก เหมาะกับอากาศร้อน",
        590,
        690,
        260,
        ("ลินิน", "ขายดี"),
        ((COLOR, ("ขาว", "ครีม", "ฟ้า")), (SIZE, SIZES)),
        260,
    ),
    _P(
        "SH-002",
        C_SHIRT,
        "เสื้อเชิ้ตอ็อกซ์ฟอร์ด แขนยาว",
        "Oxford Long Sleeve Shirt",
        "ผ้าอ็อกซ์ฟอร์ดหนานุ่ม รีดง่าย ใส่ทำงานได้ทุกวัน",
        690,
        None,
        300,
        ("ทำงาน",),
        ((COLOR, ("ขาว", "ฟ้า")), (SIZE, ("M", "L", "XL"))),
        300,
    ),
    _P(
        "SH-003",
        C_SHIRT,
        "เสื้อฮาวาย ลายดอกชบา",
        "Hibiscus Hawaiian Shirt",
        "ผ้าเรยอนพลิ้วเบา ลายดอกชบา ใส่ไปทะเลหรืองานสงกรานต์",
        450,
        None,
        190,
        ("ทะเล", "สงกรานต์"),
        ((COLOR, ("แดง", "กรมท่า")), (SIZE, ("M", "L", "XL"))),
        200,
    ),
    _P(
        "SH-004",
        C_SHIRT,
        "เสื้อเชิ้ตยีนส์ แขนยาว",
        "Denim Shirt",
        "ผ้ายีนส์ฟอกนุ่ม ใส่เป็นเสื้อคลุมก็เท่",
        790,
        890,
        350,
        (),
        ((SIZE, ("M", "L", "XL")),),
        380,
    ),
    _P(
        "SH-005",
        C_SHIRT,
        "เสื้อเบลาส์ผ้าไหมอิตาลี",
        "Italian Silk Blouse",
        "ผ้าไหมอิตาลี ทิ้งตัว ไม่ยับง่าย คอปกบัว",
        650,
        None,
        280,
        ("ผู้หญิง",),
        ((COLOR, ("ขาว", "ชมพู")), (SIZE, ("S", "M", "L"))),
        180,
    ),
    _P(
        "SH-006",
        C_SHIRT,
        "เสื้อพื้นเมืองผ้าฝ้าย คอจีน",
        "Cotton Mandarin Collar Shirt",
        "ผ้าฝ้ายทอมือจากเชียงใหม่ คอจีน กระดุมกะลา ฟรีไซซ์ (อก 44 นิ้ว)",
        490,
        None,
        210,
        ("ผ้าฝ้าย", "ลายไทย"),
        (),
        250,
        (6, 10),
    ),
    # กางเกง
    _P(
        "PT-001",
        C_PANTS,
        "กางเกงยีนส์ขากระบอก",
        "Straight Leg Jeans",
        "ยีนส์ผ้าหนา 13 ออนซ์ ทรงกระบอกเล็ก ไม่ยืด",
        890,
        1090,
        400,
        ("ยีนส์",),
        (("เอว", ("28", "30", "32", "34")),),
        600,
    ),
    _P(
        "PT-002",
        C_PANTS,
        "กางเกงชิโน่ ขายาว",
        "Chino Pants",
        "ผ้าชิโน่ยืดเล็กน้อย ทรงสลิม ใส่ทำงานหรือใส่เที่ยว",
        690,
        None,
        300,
        ("ทำงาน",),
        ((COLOR, ("กากี", "ดำ", "กรมท่า")), (SIZE, SIZES)),
        450,
    ),
    _P(
        "PT-003",
        C_PANTS,
        "กางเกงขาสั้น ผ้าลินิน",
        "Linen Shorts",
        "ขาสั้นเหนือเข่า เอวยางยืดมีเชือกผูก ผ้าลินินเย็นสบาย",
        390,
        None,
        160,
        ("ลินิน",),
        ((COLOR, ("ครีม", "ดำ")), (SIZE, ("M", "L", "XL"))),
        250,
    ),
    _P(
        "PT-004",
        C_PANTS,
        "กางเกงเลผ้าฝ้าย",
        "Thai Fisherman Pants",
        "กางเกงเลทรงไทย ผ้าฝ้าย ฟรีไซซ์ ผูกเอวได้ตามขนาด",
        250,
        None,
        95,
        ("ของฝาก", "ลายไทย"),
        (),
        250,
        (20, 40),
    ),
    _P(
        "PT-005",
        C_PANTS,
        "กางเกงวอร์มจ็อกเกอร์",
        "Jogger Sweatpants",
        "ผ้าสำลีด้านในนุ่ม ปลายขาจั๊ม ใส่ออกกำลังกายหรืออยู่บ้าน",
        490,
        590,
        210,
        ("กีฬา",),
        ((COLOR, ("เทา", "ดำ")), (SIZE, ("M", "L", "XL"))),
        400,
    ),
    _P(
        "PT-006",
        C_PANTS,
        "กระโปรงพลีทยาว",
        "Long Pleated Skirt",
        "กระโปรงพลีทยาวคลุมเข่า เอวยางยืด ฟรีไซซ์",
        590,
        None,
        240,
        ("ผู้หญิง",),
        ((COLOR, ("ดำ", "เบจ")),),
        300,
    ),
    # กระเป๋า
    _P(
        "BG-001",
        C_BAG,
        "กระเป๋าผ้าแคนวาส Tote",
        "Canvas Tote Bag",
        "ผ้าแคนวาสหนา 16 ออนซ์ มีช่องซิปด้านใน ใส่โน้ตบุ๊ก 14 นิ้วได้",
        290,
        None,
        110,
        ("รักษ์โลก", "ขายดี"),
        ((COLOR, ("ครีม", "ดำ", "กรมท่า")),),
        350,
    ),
    _P(
        "BG-002",
        C_BAG,
        "กระเป๋าสะพายข้างหนังแท้",
        "Leather Crossbody Bag",
        "หนังวัวแท้ สายปรับความยาวได้ มีใบรับประกัน 1 ปี",
        1290,
        1590,
        560,
        ("หนังแท้", "ของขวัญ"),
        ((COLOR, ("ดำ", "น้ำตาล")),),
        550,
    ),
    _P(
        "BG-003",
        C_BAG,
        "กระเป๋าเป้ กันน้ำ 20 ลิตร",
        "Waterproof Backpack 20L",
        "ผ้าไนลอนเคลือบกันน้ำ ช่องใส่โน้ตบุ๊ก 15.6 นิ้ว",
        990,
        None,
        430,
        ("เดินทาง",),
        (),
        700,
        (5, 8),
    ),
    _P(
        "BG-004",
        C_BAG,
        "กระเป๋าสตางค์ใบสั้น",
        "Short Wallet",
        "หนังแท้ 6 ช่องบัตร ช่องใส่เหรียญมีซิป",
        490,
        None,
        200,
        ("หนังแท้", "ของขวัญ"),
        ((COLOR, ("ดำ", "น้ำตาล")),),
        150,
    ),
    _P(
        "BG-005",
        C_BAG,
        "กระเป๋าผ้าปักลายช้าง",
        "Elephant Embroidered Pouch",
        "กระเป๋าใบเล็กปักลายช้าง ใส่เหรียญ หูฟัง หรือเครื่องสำอาง",
        150,
        None,
        55,
        ("ของฝาก", "ลายไทย"),
        (),
        60,
        (20, 50),
    ),
    _P(
        "BG-006",
        C_BAG,
        "กระเป๋าสานกระจูด",
        "Krajood Woven Bag",
        "งานสานกระจูดมือจากพัทลุง บุผ้าด้านใน",
        390,
        None,
        170,
        ("งานฝีมือ", "รักษ์โลก"),
        (),
        300,
        (8, 15),
    ),
    _P(
        "BG-007",
        C_BAG,
        "กระเป๋าคาดอก Nylon (เลิกจำหน่าย)",
        "Nylon Sling Bag (discontinued)",
        "รุ่นเก่า เลิกจำหน่ายแล้ว",
        350,
        None,
        150,
        (),
        (),
        250,
        (2, 4),
    ),
    # รองเท้า
    _P(
        "SO-001",
        C_SHOES,
        "รองเท้าผ้าใบ Canvas ทรงเตี้ย",
        "Low-top Canvas Sneakers",
        "ผ้าใบแคนวาส พื้นยางกันลื่น ใส่ได้ทุกวัน",
        790,
        990,
        340,
        ("ขายดี",),
        ((COLOR, ("ขาว", "ดำ")), (SIZE, ("38", "39", "40", "41", "42"))),
        700,
    ),
    _P(
        "SO-002",
        C_SHOES,
        "รองเท้าแตะหนังแท้",
        "Leather Sandals",
        "หนังแท้ พื้นยางนุ่ม เย็บมือ",
        590,
        None,
        250,
        ("หนังแท้",),
        ((COLOR, ("น้ำตาล", "ดำ")), (SIZE, ("39", "40", "41", "42"))),
        500,
    ),
    _P(
        "SO-003",
        C_SHOES,
        "รองเท้าแตะฟองน้ำ",
        "Rubber Flip Flops",
        "ยางพาราแท้ นุ่ม ทนทาน",
        99,
        None,
        35,
        ("ยางพารา",),
        ((COLOR, ("ขาว", "ดำ", "แดง")), (SIZE, ("39", "40", "41", "42"))),
        250,
    ),
    _P(
        "SO-004",
        C_SHOES,
        "รองเท้าคัทชูหนังนิ่ม",
        "Soft Leather Flats",
        "หนังนิ่ม พื้นบุฟองน้ำ ใส่ทำงานทั้งวันไม่กัดเท้า",
        690,
        None,
        290,
        ("ผู้หญิง", "ทำงาน"),
        ((COLOR, ("ดำ", "เบจ")), (SIZE, ("36", "37", "38", "39"))),
        450,
    ),
    _P(
        "SO-005",
        C_SHOES,
        "ถุงเท้าข้อสั้น แพ็ก 5 คู่",
        "Ankle Socks 5-Pack",
        "ผ้าคอตตอนผสมสแปนเด็กซ์ 5 คู่ 5 สี",
        159,
        None,
        60,
        ("คุ้มค่า",),
        (),
        150,
        (30, 60),
    ),
    # เครื่องประดับ
    _P(
        "AC-001",
        C_JEWEL,
        "สร้อยคอเงินแท้ 925",
        "Sterling Silver Necklace 925",
        "เงินแท้ 92.5% ยาว 18 นิ้ว พร้อมกล่องของขวัญ",
        1290,
        1490,
        520,
        ("เงินแท้", "ของขวัญ"),
        (),
        20,
        (6, 12),
    ),
    _P(
        "AC-002",
        C_JEWEL,
        "ต่างหูมุกน้ำจืด",
        "Freshwater Pearl Earrings",
        "มุกน้ำจืดแท้ ก้านเงินแท้ ไม่แพ้",
        590,
        None,
        230,
        ("ของขวัญ", "ผู้หญิง"),
        (),
        10,
        (8, 15),
    ),
    _P(
        "AC-003",
        C_JEWEL,
        "กำไลข้อมือหินนำโชค",
        "Lucky Stone Bracelet",
        "หินธรรมชาติ 8 มม. ร้อยเอ็นยืด เสริมดวงการเงิน",
        259,
        None,
        90,
        ("มูเตลู",),
        (),
        30,
        (15, 30),
    ),
    _P(
        "AC-004",
        C_JEWEL,
        "แหวนเงินลายไทย",
        "Thai Pattern Silver Ring",
        "แหวนเงินแท้ แกะลายกนก งานช่างเชียงใหม่",
        450,
        None,
        180,
        ("เงินแท้", "ลายไทย"),
        ((SIZE, ("52", "54", "56", "58")),),
        10,
    ),
    _P(
        "AC-005",
        C_JEWEL,
        "หมวกบักเก็ต",
        "Bucket Hat",
        "ผ้าคอตตอน ปีกกว้างกันแดด พับเก็บได้",
        290,
        None,
        110,
        ("กันแดด",),
        ((COLOR, ("ดำ", "ครีม", "กากี")),),
        100,
    ),
    _P(
        "AC-006",
        C_JEWEL,
        "ผ้าพันคอไหมไทย",
        "Thai Silk Scarf",
        "ไหมไทยแท้ ทอมือ ขนาด 50x180 ซม.",
        890,
        None,
        380,
        ("ไหมไทย", "ของขวัญ", "สีแดง"),
        ((COLOR, ("แดง", "กรมท่า", "เขียว")),),
        120,
    ),
    _P(
        "AC-007",
        C_JEWEL,
        "นาฬิกาข้อมือสายหนัง",
        "Leather Strap Watch",
        "ระบบควอตซ์ญี่ปุ่น กันน้ำ 3 ATM สายหนังแท้ รับประกัน 1 ปี",
        1890,
        2290,
        820,
        ("ของขวัญ", "หนังแท้"),
        (),
        80,
        (4, 6),
    ),
    # ของใช้ในบ้าน
    _P(
        "HM-001",
        C_HOME,
        "แก้วเซรามิก ลายเบญจรงค์",
        "Benjarong Ceramic Mug",
        "แก้วเซรามิกลายเบญจรงค์ ขอบทอง 350 มล. เข้าไมโครเวฟไม่ได้",
        290,
        None,
        120,
        ("ของฝาก", "ลายไทย"),
        (),
        400,
        (10, 25),
    ),
    _P(
        "HM-002",
        C_HOME,
        "เทียนหอมตะไคร้",
        "Lemongrass Scented Candle",
        "ไขถั่วเหลือง กลิ่นตะไคร้หอม จุดได้ 30 ชั่วโมง",
        259,
        None,
        90,
        ("อโรมา",),
        (),
        250,
        (15, 30),
    ),
    _P(
        "HM-003",
        C_HOME,
        "ผ้าขาวม้าทอมือ",
        "Handwoven Pha Khao Ma",
        "ผ้าขาวม้าทอมือ ผ้าฝ้าย ใช้ได้สารพัดประโยชน์",
        190,
        None,
        70,
        ("ผ้าฝ้าย", "ของฝาก"),
        ((COLOR, ("แดง", "ฟ้า", "เขียว")),),
        150,
    ),
    _P(
        "HM-004",
        C_HOME,
        "ปลอกหมอนอิงผ้าฝ้ายปักมือ",
        "Hand-Embroidered Cushion Cover",
        "ขนาด 45x45 ซม. ปักมือลายดอกไม้ มีซิปซ่อน",
        350,
        None,
        140,
        ("งานฝีมือ",),
        (),
        200,
        (10, 20),
    ),
    _P(
        "HM-005",
        C_HOME,
        "ก้านไม้หอมปรับอากาศ กลิ่นมะลิ",
        "Jasmine Reed Diffuser",
        "น้ำหอมปรับอากาศ 100 มล. พร้อมก้านไม้ 6 ก้าน",
        390,
        450,
        150,
        ("อโรมา", "ของขวัญ"),
        (),
        300,
        (10, 20),
    ),
    _P(
        "HM-006",
        C_HOME,
        "กระติ๊บข้าวเหนียวไม้ไผ่",
        "Bamboo Sticky Rice Basket",
        "งานจักสานไม้ไผ่ ขนาดกลาง ใส่ข้าวเหนียวได้ 2-3 คน",
        120,
        None,
        45,
        ("งานฝีมือ",),
        (),
        150,
        (10, 25),
    ),
    _P(
        "HM-007",
        C_HOME,
        "ชุดจานเซรามิก 4 ใบ",
        "Ceramic Plate Set of 4",
        "จานเซรามิก 8 นิ้ว 4 ใบ เคลือบด้าน เข้าเครื่องล้างจานได้",
        590,
        None,
        250,
        ("ของขวัญ",),
        (),
        1800,
        (6, 12),
    ),
    # ความงาม
    _P(
        "BT-001",
        C_BEAUTY,
        "ลิปสติกเนื้อแมตต์",
        "Matte Lipstick",
        "เนื้อแมตต์ติดทนนาน ไม่ตกร่อง มีวิตามินอี",
        259,
        None,
        80,
        ("ขายดี", "แต่งหน้า"),
        (("เฉดสี", ("แดงอิฐ", "ชมพูนู้ด", "ส้มอิฐ")),),
        30,
    ),
    _P(
        "BT-002",
        C_BEAUTY,
        "ครีมกันแดด SPF50 PA++++",
        "Sunscreen SPF50 PA++++",
        "เนื้อบางเบา ไม่เหนอะหนะ กันน้ำกันเหงื่อ 40 มล.",
        390,
        450,
        150,
        ("กันแดด", "ขายดี"),
        (),
        60,
        (20, 40),
    ),
    _P(
        "BT-003",
        C_BEAUTY,
        "สบู่สมุนไพรขมิ้น",
        "Turmeric Herbal Soap",
        "สบู่ขมิ้นชันทำมือ ลดสิว ผิวกระจ่างใส 100 กรัม",
        69,
        None,
        22,
        ("สมุนไพร",),
        (),
        110,
        (30, 60),
    ),
    _P(
        "BT-004",
        C_BEAUTY,
        "ยาดมสมุนไพร",
        "Herbal Inhaler",
        "สมุนไพรไทยอบแห้ง การบูร พิมเสน ในขวดแก้ว",
        39,
        None,
        12,
        ("สมุนไพร", "ของฝาก"),
        (),
        30,
        (40, 80),
    ),
    _P(
        "BT-005",
        C_BEAUTY,
        "น้ำมันมะพร้าวสกัดเย็น 100 มล.",
        "Cold-Pressed Coconut Oil 100 ml",
        "มะพร้าวออร์แกนิก สกัดเย็น ใช้บำรุงผิวและผม",
        190,
        None,
        70,
        ("ออร์แกนิก",),
        (),
        130,
        (15, 30),
    ),
    _P(
        "BT-006",
        C_BEAUTY,
        "เซรั่มวิตามินซี",
        "Vitamin C Serum",
        "วิตามินซี 10% ผิวกระจ่างใส ลดจุดด่างดำ 30 มล.",
        590,
        690,
        210,
        ("ผิวใส",),
        (),
        60,
        (6, 10),
    ),
    _P(
        "BT-007",
        C_BEAUTY,
        "โลชั่นทาผิว กลิ่นมะลิ",
        "Jasmine Body Lotion",
        "บำรุงผิวชุ่มชื้น กลิ่นมะลิหอมอ่อน ๆ 250 มล.",
        290,
        None,
        100,
        ("อโรมา",),
        (),
        280,
        (12, 25),
    ),
)

INACTIVE = {"BG-007"}
OUT_OF_STOCK = {"SH-006", "BG-003"}
LOW_STOCK = {"TS-007": 2, "AC-007": 1, "BT-006": 3, "AC-002": 2}

# ---------------------------------------------------------------------------- customers

FIRST_NAMES = (
    "นภัสสร",
    "ธนพล",
    "ศิริพร",
    "กิตติพงษ์",
    "พิมพ์ชนก",
    "ณัฐวุฒิ",
    "วรรณา",
    "อนุชา",
    "ชนิดา",
    "ปิยะพงษ์",
    "สุภาวดี",
    "ธีรเดช",
    "กัญญารัตน์",
    "วีระพล",
    "อรอุมา",
    "สมชาย",
    "ปวีณา",
    "จักรพันธ์",
    "มณีรัตน์",
    "ภานุวัฒน์",
    "รัชนีกร",
    "สุรเชษฐ์",
    "ดวงใจ",
    "ชัยวัฒน์",
    "พรทิพย์",
    "ณัฐธิดา",
    "อภิชาติ",
    "เบญจวรรณ",
    "ศุภชัย",
    "ลลิตา",
    "ธนากร",
    "จิราพร",
    "วิชัย",
    "ปาริชาต",
    "อัญชลี",
    "กฤษดา",
)
LAST_NAMES = (
    "วงศ์ใหญ่",
    "ศรีสวัสดิ์",
    "ทองดี",
    "แก้วมณี",
    "บุญมา",
    "สุขเจริญ",
    "จันทร์หอม",
    "พรหมวงศ์",
    "รุ่งเรืองศรี",
    "อินทร์แก้ว",
    "ชัยมงคล",
    "ปัญญาดี",
    "สายทอง",
    "เพชรรัตน์",
    "นาคสวัสดิ์",
    "ศรีวิไล",
    "มีสุข",
    "ธนกุล",
    "วัฒนชัย",
    "ใจดี",
)

# (subdistrict, district, province, postcode): real places and their postcodes.
PLACES = (
    ("แขวงลุมพินี", "เขตปทุมวัน", "กรุงเทพมหานคร", "10330"),
    ("แขวงจอมพล", "เขตจตุจักร", "กรุงเทพมหานคร", "10900"),
    ("แขวงบางนาเหนือ", "เขตบางนา", "กรุงเทพมหานคร", "10260"),
    ("แขวงสีลม", "เขตบางรัก", "กรุงเทพมหานคร", "10500"),
    ("แขวงคลองตันเหนือ", "เขตวัฒนา", "กรุงเทพมหานคร", "10110"),
    ("ตำบลศรีภูมิ", "อำเภอเมืองเชียงใหม่", "เชียงใหม่", "50200"),
    ("ตำบลในเมือง", "อำเภอเมืองขอนแก่น", "ขอนแก่น", "40000"),
    ("ตำบลหาดใหญ่", "อำเภอหาดใหญ่", "สงขลา", "90110"),
    ("ตำบลตลาดใหญ่", "อำเภอเมืองภูเก็ต", "ภูเก็ต", "83000"),
    ("ตำบลในเมือง", "อำเภอเมืองนครราชสีมา", "นครราชสีมา", "30000"),
    ("ตำบลบางพูด", "อำเภอปากเกร็ด", "นนทบุรี", "11120"),
    ("ตำบลปากน้ำ", "อำเภอเมืองสมุทรปราการ", "สมุทรปราการ", "10270"),
    ("ตำบลหนองปรือ", "อำเภอบางละมุง", "ชลบุรี", "20150"),
    ("ตำบลเวียง", "อำเภอเมืองเชียงราย", "เชียงราย", "57000"),
    ("ตำบลในเมือง", "อำเภอเมืองอุบลราชธานี", "อุบลราชธานี", "34000"),
    ("ตำบลคลองหนึ่ง", "อำเภอคลองหลวง", "ปทุมธานี", "12120"),
    ("ตำบลมะขามเตี้ย", "อำเภอเมืองสุราษฎร์ธานี", "สุราษฎร์ธานี", "84000"),
    ("ตำบลหมากแข้ง", "อำเภอเมืองอุดรธานี", "อุดรธานี", "41000"),
    ("ตำบลหัวหิน", "อำเภอหัวหิน", "ประจวบคีรีขันธ์", "77110"),
    ("ตำบลในเมือง", "อำเภอเมืองพิษณุโลก", "พิษณุโลก", "65000"),
)
ROADS = (
    "ถนนพหลโยธิน",
    "ถนนสุขุมวิท",
    "ถนนเพชรเกษม",
    "ถนนมิตรภาพ",
    "ถนนนิมมานเหมินท์",
    "ถนนรัชดาภิเษก",
    "ถนนศรีนครินทร์",
    "ถนนแจ้งวัฒนะ",
    "ถนนราษฎร์อุทิศ",
)

CUSTOMER_TAGS = ("vip", "ลูกค้าประจำ", "สนใจโปรโมชัน", "ชอบผ้าลินิน", "ขายส่ง", "ซื้อเป็นของขวัญ")

COMPANIES = (
    ("บริษัท สยามครีเอทีฟ จำกัด", "010555812347"),
    ("ห้างหุ้นส่วนจำกัด เชียงใหม่คราฟท์", "050356201234"),
)

CARRIERS = ("Thailand Post", "Kerry Express", "Flash Express", "J&T Express")
FREE_SHIPPING_FROM = 100_000  # satang
SHIPPING_FEES = {"Thailand Post": 50, "Kerry Express": 60, "Flash Express": 45, "J&T Express": 40}
CANCEL_REASONS = (
    "ลูกค้าไม่โอนเงินภายใน 24 ชั่วโมง",
    "ลูกค้าขอยกเลิก เปลี่ยนใจ",
    "ลูกค้าสั่งซ้ำ ยกเลิกออเดอร์เก่า",
)
REFUND_REASONS = ("สินค้าไซส์ไม่พอดี ลูกค้าส่งคืน", "สินค้ามีตำหนิ คืนเงินเต็มจำนวน")
ORDER_NOTES = (
    "ลูกค้าขอให้ห่อของขวัญ",
    "โทรแจ้งก่อนส่ง",
    "ฝากไว้ที่ป้อมยาม",
    "ขอใบกำกับภาษีเต็มรูป",
    "ส่งด่วน ใช้ของวันเสาร์นี้",
)
STAFF_NOTES = ("แพ็กของแล้ว รอรถขนส่งมารับ", "ลูกค้าทักแชตถามเลขพัสดุ", "เช็กสลิปกับบัญชีแล้ว ยอดตรง")


# ---------------------------------------------------------------------------- fill


@dataclass(slots=True)
class _Cust:
    id: int
    name: str
    phone: str
    channel: Channel
    place: tuple[str, str, str, str]
    address: str
    buys: bool
    tax_id: str = ""
    branch: str = ""
    ref: str = ""


def _variant_rows(p: _P) -> list[tuple[str, dict[str, str]]]:
    """(variant SKU, options) of a product; a product without options has none."""
    if not p.options:
        return []
    names = [n for n, _ in p.options]
    rows = []
    for combo in itertools.product(*(values for _, values in p.options)):
        parts = [COLOR_CODES.get(v, v) for v in combo]
        rows.append((f"{p.sku}-{'-'.join(parts)}", dict(zip(names, combo, strict=True))))
    return rows


def _fill_catalog(session: Session, rng: random.Random) -> None:
    barcode_serial = itertools.count(1)

    def barcode() -> str:
        first12 = f"8851234{next(barcode_serial):05d}"
        return first12 + str(ean13_check_digit(first12))

    for p in PRODUCTS:
        variants = [
            VariantInput(sku=vsku, options=opts, barcode=barcode(), stock=rng.randint(*p.stock))
            for vsku, opts in _variant_rows(p)
        ]
        colors = next((vals for name, vals in p.options if name == COLOR), ())
        catalog.save_product(
            session,
            ProductInput(
                sku=p.sku,
                name_th=p.name_th,
                name_en=p.name_en,
                description=p.description,
                price_satang=p.price * 100,
                compare_at_satang=p.compare_at * 100 if p.compare_at else None,
                cost_satang=p.cost * 100,
                category=p.category,
                tags=[*p.tags, *(f"สี{c}" for c in colors if f"สี{c}" not in p.tags)],
                barcode=None if variants else barcode(),
                stock=0 if variants else rng.randint(*p.stock),
                option_names=[name for name, _ in p.options],
                variants=variants,
                active=p.sku not in INACTIVE,
                low_stock_threshold=3 if variants else 5,
                weight_grams=p.weight,
            ),
            ACTOR,
            stock_reason=MovementReason.IMPORT,
        )


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        number = rng.choice(("081", "082", "084", "086", "089", "091", "092", "095", "061", "063"))
        number += f"{rng.randrange(10_000_000):07d}"
        if number not in used:
            used.add(number)
            return number


def _street(rng: random.Random) -> str:
    house = (
        f"{rng.randint(1, 299)}/{rng.randint(1, 99)}"
        if rng.random() < 0.5
        else str(rng.randint(5, 999))
    )
    soi = f" ซอย {rng.randint(1, 60)}" if rng.random() < 0.6 else ""
    moo = f" หมู่ {rng.randint(1, 12)}" if rng.random() < 0.3 else ""
    return f"{house}{moo}{soi} {rng.choice(ROADS)}"


def _fill_customers(session: Session, rng: random.Random, now: dt.datetime) -> list[_Cust]:
    """The demo's 40 customers: 36 people across the channels and pipeline stages, two
    companies that ask for tax invoices, and two people who wrote on LINE and on the widget.
    Draws from ``rng`` in a fixed order, so a seed gives the same customers."""
    used_phones: set[str] = set()
    names = [f"{f} {ln}" for f, ln in zip(FIRST_NAMES, itertools.cycle(LAST_NAMES), strict=False)]
    rng.shuffle(names)
    # Pipeline spread for 36 people: most buyers are converted; the rest at earlier stages.
    statuses = (
        [PipelineStatus.CONVERTED] * 15
        + [PipelineStatus.QUALIFIED] * 6
        + [PipelineStatus.CONTACTED] * 6
        + [PipelineStatus.NEW] * 5
        + [PipelineStatus.LOST] * 4
    )
    channels = (
        [Channel.LINE] * 15 + [Channel.WIDGET] * 11 + [Channel.MANUAL] * 6 + [Channel.POS] * 4
    )
    rng.shuffle(channels)
    people = [
        _add_person(session, rng, now, i, name, channels[i], statuses[i], used_phones)
        for i, name in enumerate(names[:36])
    ]
    companies = _add_companies(session, rng, used_phones)
    return [*people, *companies, *_add_twins(session, rng, used_phones)]


def _add_person(
    session: Session,
    rng: random.Random,
    now: dt.datetime,
    i: int,
    name: str,
    channel: Channel,
    status: PipelineStatus,
    used_phones: set[str],
) -> _Cust:
    """The ``i``-th demo person: an identity by channel, an address, tags, notes by pipeline
    stage and a last contact in the demo's months."""
    phone = _phone(rng, used_phones) if channel != Channel.WIDGET or rng.random() < 0.6 else ""
    if channel == Channel.LINE:
        ref = "U" + f"{rng.getrandbits(128):032x}"
        view = customers.find_or_create(
            session, IdentityKind.LINE, ref, ACTOR, name=name, phone=phone
        )
    elif channel == Channel.WIDGET:
        ref = f"ws_{rng.getrandbits(64):016x}"
        view = customers.find_or_create(
            session, IdentityKind.WIDGET, ref, ACTOR, name=name, phone=phone
        )
    else:
        ref = ""
        view = customers.create_customer(session, ACTOR, name=name, phone=phone)
    place = rng.choice(PLACES)
    street = _street(rng)
    tags = [t for t in CUSTOMER_TAGS if rng.random() < 0.15]
    if status == PipelineStatus.CONVERTED and rng.random() < 0.3:
        tags = ["ลูกค้าประจำ", *tags]
    fields: dict[str, object] = {
        "status": status,
        "tags": tags,
        "address": street,
        "subdistrict": place[0],
        "district": place[1],
        "province": place[2],
        "postcode": place[3],
    }
    if rng.random() < 0.4:
        fields["email"] = f"customer{i + 1:02d}@example.co.th"
    if status == PipelineStatus.LOST:
        fields["notes"] = "ถามราคาแล้วเงียบ ไม่ตอบแชตเกิน 2 สัปดาห์"
    elif status == PipelineStatus.QUALIFIED:
        fields["notes"] = "สนใจสินค้า ถามไซส์และค่าส่งแล้ว รอตัดสินใจ"
    customers.update_customer(session, view.id, ACTOR, **fields)
    customers.touch_contacted(session, view.id, now - dt.timedelta(days=rng.randint(0, DAYS)))
    return _Cust(
        view.id,
        name,
        phone,
        channel,
        place,
        street,
        status in (PipelineStatus.CONVERTED, PipelineStatus.QUALIFIED),
        ref=ref,
    )


def _add_companies(session: Session, rng: random.Random, used_phones: set[str]) -> list[_Cust]:
    """Two companies that ask for full tax invoices."""
    out: list[_Cust] = []
    for (company, first12), place in zip(COMPANIES, (PLACES[4], PLACES[5]), strict=True):
        phone = _phone(rng, used_phones)
        street = _street(rng)
        view = customers.create_customer(
            session,
            ACTOR,
            name=company,
            phone=phone,
            status=PipelineStatus.CONVERTED,
            tags=["ขายส่ง", "ต้องการใบกำกับภาษี"],
            address=street,
            subdistrict=place[0],
            district=place[1],
            province=place[2],
            postcode=place[3],
            tax_id=_tax_id(first12),
            branch="สำนักงานใหญ่",
            email=f"purchase@{first12[-4:]}.co.th",
        )
        out.append(
            _Cust(
                view.id,
                company,
                phone,
                Channel.MANUAL,
                place,
                street,
                True,
                _tax_id(first12),
                "สำนักงานใหญ่",
            )
        )
    return out


def _add_twins(session: Session, rng: random.Random, used_phones: set[str]) -> list[_Cust]:
    """Two people who wrote on LINE and, as someone new, on the website widget: the same phone
    is in both chats. The domain links a phone to one customer only, so the widget twin keeps
    the phone in its notes and order; the owner merges them."""
    out: list[_Cust] = []
    for first, last in (("ปิยะนุช", "แสงทอง"), ("ธนวัฒน์", "รักไทย")):
        phone = _phone(rng, used_phones)
        place = rng.choice(PLACES)
        street = _street(rng)
        line = customers.find_or_create(
            session,
            IdentityKind.LINE,
            "U" + f"{rng.getrandbits(128):032x}",
            ACTOR,
            name=f"{first} {last}",
            phone=phone,
        )
        customers.update_customer(
            session,
            line.id,
            ACTOR,
            status=PipelineStatus.CONVERTED,
            address=street,
            subdistrict=place[0],
            district=place[1],
            province=place[2],
            postcode=place[3],
        )
        widget_ref = f"ws_{rng.getrandbits(64):016x}"
        widget = customers.find_or_create(
            session, IdentityKind.WIDGET, widget_ref, ACTOR, name=first
        )
        customers.update_customer(
            session,
            widget.id,
            ACTOR,
            status=PipelineStatus.CONTACTED,
            notes=f"แจ้งเบอร์ {phone[:3]}-{phone[3:6]}-{phone[6:]} ในแชตหน้าเว็บ "
            "(เบอร์เดียวกับลูกค้าใน LINE)",
        )
        out.append(_Cust(line.id, f"{first} {last}", phone, Channel.LINE, place, street, True))
        out.append(
            _Cust(widget.id, first, phone, Channel.WIDGET, place, street, True, ref=widget_ref)
        )
    return out


_STATUS_BY_AGE: tuple[tuple[float, tuple[tuple[OrderStatus, int], ...]], ...] = (
    (
        1.0,
        (
            (OrderStatus.PENDING, 50),
            (OrderStatus.CONFIRMED, 30),
            (OrderStatus.PROCESSING, 15),
            (OrderStatus.CANCELLED, 5),
        ),
    ),
    (
        3.0,
        (
            (OrderStatus.PENDING, 8),
            (OrderStatus.CONFIRMED, 20),
            (OrderStatus.PROCESSING, 35),
            (OrderStatus.SHIPPED, 32),
            (OrderStatus.CANCELLED, 5),
        ),
    ),
    (
        7.0,
        (
            (OrderStatus.PROCESSING, 5),
            (OrderStatus.SHIPPED, 45),
            (OrderStatus.DELIVERED, 40),
            (OrderStatus.CANCELLED, 7),
            (OrderStatus.REFUNDED, 3),
        ),
    ),
    (
        1e9,
        (
            (OrderStatus.SHIPPED, 2),
            (OrderStatus.DELIVERED, 84),
            (OrderStatus.CANCELLED, 8),
            (OrderStatus.REFUNDED, 6),
        ),
    ),
)


def _status_for(rng: random.Random, age_days: float) -> OrderStatus:
    for limit, weights in _STATUS_BY_AGE:
        if age_days < limit:
            return rng.choices([s for s, _ in weights], [w for _, w in weights])[0]
    raise AssertionError("unreachable")


@dataclass(slots=True)
class _Plan:
    at: dt.datetime
    channel: Channel
    status: OrderStatus


def _plan_orders(rng: random.Random, now: dt.datetime) -> list[_Plan]:
    bangkok = shop.BANGKOK
    today = now.astimezone(bangkok).replace(hour=0, minute=0, second=0, microsecond=0)
    plans: list[_Plan] = []
    for day in range(DAYS, -1, -1):
        base = today - dt.timedelta(days=day)
        weekend = base.weekday() >= 5
        # The last days are busy: a payday promotion is running.
        n_online = rng.randint(1, 3) + (1 if weekend else 0) + (2 if day < 3 else 0)
        n_pos = rng.choice((0, 1, 1, 2)) + (1 if weekend else 0)
        for _ in range(n_online):
            at = base + dt.timedelta(minutes=rng.randint(7 * 60, 23 * 60 + 30))
            channel = rng.choices((Channel.LINE, Channel.WIDGET, Channel.MANUAL), (50, 38, 12))[0]
            plans.append(_Plan(at.astimezone(dt.UTC), channel, OrderStatus.PENDING))
        for _ in range(n_pos):
            at = base + dt.timedelta(minutes=rng.randint(10 * 60, 20 * 60))
            plans.append(_Plan(at.astimezone(dt.UTC), Channel.POS, OrderStatus.DELIVERED))
    plans = [p for p in plans if p.at < now - dt.timedelta(minutes=5)]
    plans.sort(key=lambda p: p.at)
    for p in plans:
        if p.channel != Channel.POS:
            p.status = _status_for(rng, (now - p.at).total_seconds() / 86400)
    # Every status shows up at least three times, whatever the dice said.
    online = [p for p in plans if p.channel != Channel.POS]
    counts = Counter(p.status for p in online)
    for wanted in OrderStatus:
        while counts[wanted] < 3:
            donor = next(
                p for p in reversed(online) if counts[p.status] > 3 and _fits(wanted, p, now)
            )
            counts[donor.status] -= 1
            donor.status = wanted
            counts[wanted] += 1
    return plans


def _fits(status: OrderStatus, plan: _Plan, now: dt.datetime) -> bool:
    age = (now - plan.at).total_seconds() / 86400
    if status in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
        return age < 4
    if status == OrderStatus.DELIVERED:
        return age > 3
    return True


def _tracking(rng: random.Random, carrier: str) -> str:
    if carrier == "Thailand Post":
        return _s10(rng.choice(("EF", "EG", "ED", "RB")), rng.randrange(10**8))
    if carrier == "Kerry Express":
        return f"KEX{rng.randrange(10**12):012d}"
    if carrier == "Flash Express":
        return f"TH{rng.randrange(10**10):010d}{rng.choice('ABCDEFGH')}"
    return f"8{rng.randrange(10**11):011d}"


def _fill_orders(
    session: Session, rng: random.Random, now: dt.datetime, people: list[_Cust]
) -> None:
    sellable = [
        (p, row)
        for p in PRODUCTS
        if p.sku not in INACTIVE
        for row in (_variant_rows(p) or [(p.sku, {})])
    ]
    variant_ids = {v.sku: v.id for pv in catalog.list_products(session) for v in pv.variants}
    # Best sellers (tagged ขายดี) sell three times as often; things over 1,000 baht half as often.
    weights = [
        (3 if "ขายดี" in p.tags else 1) * (0.5 if p.price >= 1000 else 1.0) for p, _ in sellable
    ]
    buyers = [c for c in people if c.buys]
    online_buyers = [c for c in buyers if c.channel != Channel.POS] or buyers
    shop_customers = [c for c in people if c.channel == Channel.POS]
    twins = [
        c
        for c in people
        if c.channel == Channel.WIDGET
        and c.phone
        and any(o.channel == Channel.LINE and o.phone == c.phone for o in people)
    ]
    tp_serial = itertools.count(rng.randrange(10**7, 5 * 10**7), 7)
    prices = {vsku: p.price * 100 for p, (vsku, _) in sellable}

    for plan in _plan_orders(rng, now):
        n_lines = rng.choices((1, 2, 3), (55, 33, 12))[0]
        picks: dict[str, int] = {}
        while len(picks) < n_lines:
            _p, (vsku, _o) = rng.choices(sellable, weights)[0]
            picks[vsku] = rng.choices((1, 2, 3), (80, 15, 5))[0]
        for vsku, qty in picks.items():
            level = stock.level(session, variant_ids[vsku])
            if level.stock < qty:
                # Receiving goods: the shop tops up before it would run dry.
                stock.adjust_stock(
                    session,
                    level.variant_id,
                    rng.randint(10, 24),
                    MovementReason.ADJUSTMENT,
                    ACTOR,
                    note="รับสินค้าเข้าล็อตใหม่จากซัพพลายเออร์",
                )
        lines = [LineInput(quantity=q, variant_id=variant_ids[s]) for s, q in picks.items()]
        if plan.channel == Channel.POS:
            _counter_sale(session, rng, now, plan, lines, shop_customers)
            continue
        candidates = [c for c in online_buyers if c.channel == plan.channel] or online_buyers
        cust = rng.choice(candidates)
        if plan.channel == Channel.WIDGET and twins and plan.status == OrderStatus.DELIVERED:
            # The widget twin of a LINE customer buys once, with the phone she gave in chat.
            cust = twins.pop(0)
        subtotal = sum(prices[s] * q for s, q in picks.items())
        _online_order(session, rng, now, plan, lines, subtotal, cust, tp_serial)


def _later(
    order_id: int, step: int, after: dt.datetime, now: dt.datetime, *, hours: tuple[int, int]
) -> dt.datetime:
    """A time some hours after ``after`` (in the range given), never past ``now``. Drawn from
    the order id and step, not the shop's generator, so the rest of the demo stays the same."""
    minutes = random.Random(order_id * 16 + step).randint(hours[0] * 60, hours[1] * 60)
    return min(after + dt.timedelta(minutes=minutes), now)


def _counter_sale(
    session: Session,
    rng: random.Random,
    now: dt.datetime,
    plan: _Plan,
    lines: list[LineInput],
    regulars: Sequence[_Cust],
) -> None:
    cust = rng.choice(regulars) if regulars and rng.random() < 0.3 else None
    cash = rng.random() < 0.7
    view = orders.place_order(
        session,
        NewOrder(
            channel=Channel.POS,
            lines=lines,
            payment_method=PaymentMethod.CASH if cash else PaymentMethod.PROMPTPAY,
            customer_id=cust.id if cust else None,
            customer_name=cust.name if cust else "",
            customer_phone=cust.phone if cust else "",
            completed=True,
            payment_ref="" if cash else f"{plan.at:%Y%m%d}{rng.randrange(10**10):010d}",
            created_at=plan.at,
        ),
        STAFF,
    )
    # A walk-in returns goods to a regular the shop knows: the credit note names the buyer.
    if rng.random() < 0.04 and cust is not None:
        orders.change_status(
            session,
            view.id,
            OrderStatus.REFUNDED,
            OWNER,
            note="ลูกค้านำสินค้ามาคืนที่หน้าร้าน",
            at=_later(view.id, 0, plan.at, now, hours=(2, 72)),
            buyer=Buyer(
                name=cust.name,
                tax_id=cust.tax_id,
                branch=cust.branch,
                address=" ".join((cust.address, *cust.place)),
                phone=cust.phone,
            ),
        )


def _online_order(
    session: Session,
    rng: random.Random,
    now: dt.datetime,
    plan: _Plan,
    lines: list[LineInput],
    subtotal: int,
    cust: _Cust,
    tp_serial: itertools.count[int],
) -> None:
    status = plan.status
    cod = status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED) and rng.random() < 0.1
    carrier = rng.choices(CARRIERS, (30, 30, 25, 15))[0]
    discount, code = 0, ""
    roll = rng.random()
    if roll < 0.12 and subtotal > 5000:
        discount, code = 5000, "NEWMEMBER50"
    elif roll < 0.2 and sum(ln.quantity for ln in lines) >= 2 and subtotal > 10000:
        discount, code = 10000, "BUY2SAVE100"
    # Shipping is free from 1,000 baht after discounts.
    fee = 0 if subtotal - discount >= FREE_SHIPPING_FROM else SHIPPING_FEES[carrier] * 100
    phone = cust.phone or _phone(rng, set())
    new = NewOrder(
        channel=plan.channel,
        lines=lines,
        payment_method=PaymentMethod.COD
        if cod
        else rng.choice((PaymentMethod.PROMPTPAY, PaymentMethod.BANK_TRANSFER)),
        customer_id=cust.id,
        customer_name=cust.name,
        customer_phone=phone,
        customer_tax_id=cust.tax_id,
        customer_branch=cust.branch,
        ship_name=cust.name,
        ship_phone=phone,
        ship_address=cust.address,
        ship_subdistrict=cust.place[0],
        ship_district=cust.place[1],
        ship_province=cust.place[2],
        ship_postcode=cust.place[3],
        shipping_method=carrier,
        shipping_satang=fee,
        discount_satang=discount,
        discount_code=code,
        cod=cod,
        note=rng.choice(ORDER_NOTES) if rng.random() < 0.2 else "",
        conversation_ref=f"{plan.channel}:{cust.ref}" if cust.ref else "",
        created_at=plan.at,
    )
    view = orders.place_order(session, new, OWNER if plan.channel == Channel.MANUAL else "bot")
    oid = view.id
    paid_at = min(plan.at + dt.timedelta(minutes=rng.randint(3, 240)), now)

    def pay(at: dt.datetime) -> None:
        orders.mark_paid(
            session,
            oid,
            OWNER,
            reference=f"{at.astimezone(shop.BANGKOK):%Y%m%d}{rng.randrange(10**12):012d}",
            paid_at=at,
        )

    if status == OrderStatus.PENDING:
        return
    if status == OrderStatus.CANCELLED:
        orders.change_status(
            session,
            oid,
            OrderStatus.CANCELLED,
            OWNER,
            rng.choice(CANCEL_REASONS),
            at=_later(oid, 0, plan.at, now, hours=(1, 48)),
        )
        return
    if not cod:
        pay(paid_at)
    else:
        orders.change_status(
            session, oid, OrderStatus.CONFIRMED, OWNER, "ยืนยันเก็บเงินปลายทาง", at=paid_at
        )
    if status == OrderStatus.CONFIRMED:
        return
    packed_at = _later(oid, 1, paid_at, now, hours=(1, 20))
    orders.change_status(session, oid, OrderStatus.PROCESSING, OWNER, at=packed_at)
    if rng.random() < 0.15:
        orders.add_note(session, oid, rng.choice(STAFF_NOTES), STAFF)
    if status == OrderStatus.PROCESSING:
        return
    done_at = packed_at
    if status != OrderStatus.REFUNDED or rng.random() < 0.5:
        if carrier == "Thailand Post":
            tracking = _s10(rng.choice(("EF", "EG", "ED", "RB")), next(tp_serial) % 10**8)
        else:
            tracking = _tracking(rng, carrier)
        orders.set_shipping(session, oid, STAFF, carrier=carrier, tracking_number=tracking)
        done_at = _later(oid, 2, packed_at, now, hours=(2, 30))
        orders.change_status(session, oid, OrderStatus.SHIPPED, STAFF, at=done_at)
        if status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED):
            done_at = _later(oid, 3, done_at, now, hours=(18, 96))
            orders.change_status(session, oid, OrderStatus.DELIVERED, STAFF, at=done_at)
            if cod:  # the carrier hands the cash over on delivery
                pay(done_at)
    if status == OrderStatus.REFUNDED:
        orders.change_status(
            session,
            oid,
            OrderStatus.REFUNDED,
            OWNER,
            rng.choice(REFUND_REASONS),
            at=_later(oid, 4, done_at, now, hours=(24, 24 * 7)),
        )


PARTIAL_REFUND_REASONS = (
    "ลูกค้าแจ้งว่าสินค้ามีตำหนิเล็กน้อย ร้านลดราคาให้ 20%",
    "ลูกค้าส่งคืน 1 ชิ้น ไซส์ไม่พอดี รับสินค้าคืนเข้าสต็อกแล้ว",
)


def _partial_refunds(session: Session, now: dt.datetime) -> None:
    """Two partial refunds of delivered online orders, at their own dates: 20 % off the first
    line of the oldest one (a complaint, two days after delivery: the first month), and one
    unit of the latest order of two or more units placed at least ten days ago sent back and
    restocked (four days after delivery: lately). Each gets its credit note (the shop is VAT
    registered: a sale with no tax invoice printed gets the one it owed first). Chosen from
    the orders as they are, drawing nothing from the shop's generator, so the rest of the demo
    stays as it was."""
    delivered = sorted(
        (
            o
            for o in orders.list_orders(
                session, OrderFilters(status=OrderStatus.DELIVERED), limit=None
            )
            if o.payment_status == PaymentStatus.PAID
            and o.channel != Channel.POS
            and not o.refunded_satang
        ),
        key=lambda o: (o.created_at, o.id),
    )
    if not delivered:
        return
    complaint = orders.get_order(session, delivered[0].id)
    returned = next(
        (
            orders.get_order(session, o.id)
            for o in reversed(delivered)
            if o.item_count >= 2 and now - o.created_at >= dt.timedelta(days=10)
        ),
        None,
    )
    first = refunds.refundable(session, complaint.id).lines[0]
    off = max(1000, first.satang_left // 5 // 1000 * 1000)  # whole tens of baht
    _refund_part(session, complaint, refunds.RefundRequest(amounts={first.item_id: off}), 0, 2, now)
    if returned is not None and returned.id != complaint.id:
        line = max(returned.items, key=lambda i: (i.quantity, -i.id))
        request = refunds.RefundRequest(quantities={line.id: 1}, restock=True)
        _refund_part(session, returned, request, 1, 4, now)


def _refund_part(
    session: Session,
    order: orders.OrderView,
    request: refunds.RefundRequest,
    reason: int,
    days: int,
    now: dt.datetime,
) -> None:
    after = order.delivered_at or order.created_at
    at = min(after + dt.timedelta(days=days, hours=3), now - dt.timedelta(minutes=1))
    address = " ".join(
        part
        for part in (
            order.ship_address,
            order.ship_subdistrict,
            order.ship_district,
            order.ship_province,
            order.ship_postcode,
        )
        if part
    )
    refunds.refund_order(
        session,
        order.id,
        dataclasses.replace(request, reason=PARTIAL_REFUND_REASONS[reason]),
        OWNER,
        at=at,
        buyer=Buyer(
            name=order.customer_name or order.ship_name,
            tax_id=order.customer_tax_id,
            branch=order.customer_branch,
            address=address,
            phone=order.customer_phone,
        ),
    )


def _final_counts(session: Session) -> None:
    """Leave a few products low and a couple out of stock, as after a stock count."""
    for pv in catalog.list_products(session):
        target = 0 if pv.sku in OUT_OF_STOCK else LOW_STOCK.get(pv.sku)
        if target is None:
            continue
        for v in pv.variants:
            stock.set_stock(session, v.id, target, ACTOR, note="นับสต็อกประจำเดือน")


def fill_demo_shop(db: Database, *, seed: int = 7, now: dt.datetime | None = None) -> DemoSummary:
    """Fill an empty shop database with the demo shop, in one unit of work.

    The same ``seed`` and ``now`` (aware; default: the current time) give the same shop:
    the same products, customers, order numbers and totals. Orders span the ``DAYS`` days up
    to ``now``. Raises :class:`UserError` (``demo.not_empty``) when the database already has
    products; nothing is written then.
    """
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    rng = random.Random(seed)
    with db.write() as session:
        if session.scalar(select(func.count(Product.id))):
            raise UserError(
                "demo.not_empty",
                f"{db.path} already has products; the demo shop needs an empty database",
                path=str(db.path),
            )
        shop.update_profile(session, ACTOR, **SHOP_PROFILE)
        for bank, name, number, branch in BANK_ACCOUNTS:
            shop.add_bank_account(
                session, ACTOR, bank=bank, account_name=name, account_number=number, branch=branch
            )
        first_day = shop.bangkok_today(now - dt.timedelta(days=DAYS + 1))
        try:
            shop.vat_rate_bp(session, first_day)
        except UserError:
            shop.set_vat_rate(session, ACTOR, 700, first_day, "อัตราลด (ข้อมูลตัวอย่าง)")
        _fill_catalog(session, rng)
        people = _fill_customers(session, rng, now)
        _fill_orders(session, rng, now, people)
        _partial_refunds(session, now)
        _final_counts(session)
        return _summary(session)


def _summary(session: Session) -> DemoSummary:
    products = catalog.list_products(session)
    all_orders = orders.list_orders(session, limit=1_000_000)
    revenue = sum(
        o.total_satang - o.refunded_satang
        for o in all_orders
        if o.payment_status == PaymentStatus.PAID
    )
    numbers = sorted(o.number for o in all_orders)
    return DemoSummary(
        products=len(products),
        active_products=sum(p.active for p in products),
        variants=sum(len(p.variants) for p in products),
        categories=len(catalog.list_categories(session)),
        customers=len(customers.list_customers(session, limit=1_000_000)),
        orders=len(all_orders),
        orders_by_status=MappingProxyType(
            dict(sorted(Counter(o.status for o in all_orders).items()))
        ),
        orders_by_channel=MappingProxyType(
            dict(sorted(Counter(o.channel for o in all_orders).items()))
        ),
        revenue_satang=revenue,
        stock_units=sum(p.stock for p in products),
        first_order_number=numbers[0] if numbers else "",
        last_order_number=numbers[-1] if numbers else "",
    )
