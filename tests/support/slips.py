"""Realistic transfer-slip pictures for the tests and the bench: a banking app's screenshot
(1080×2340, bank header, Thai text in Sarabun, amount, date, the slip-verification QR small in
a corner), saved as PNG/JPEG/WebP from ~200 KB to ~5 MB (photo-like noise makes the size), one
stored sideways with an EXIF orientation tag, one a phone photo of a screen (perspective, mild
blur, a darker surround)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from minichat_desktop.domain.payments.slips import build_slip_qr
from minichat_desktop.domain.promptpay import promptpay_payload

SIZE = (1080, 2340)
GREEN = (0, 166, 81)  # a bank's header colour


def _font_dir() -> Path:
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.__file__).parent / "files"


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "Sarabun-Bold.ttf" if bold else "Sarabun-Regular.ttf"
    return ImageFont.truetype(str(_font_dir() / name), size)


def qr_image(payload: str, side: int) -> Image.Image:
    """The QR of ``payload`` drawn ``side`` px wide (a bank app's small mini QR)."""
    qr = qrcode.QRCode(border=2, box_size=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return img.resize((side, side), Image.Resampling.NEAREST)


@dataclass(frozen=True)
class SlipText:
    bank_th: str = "ธนาคารกสิกรไทย"
    amount: str = "1,040.00"
    when: str = "6 ธ.ค. 69 14:05 น."
    sender: str = "นาย สมชาย ใจดี"
    receiver: str = "บจก. มินิแชท เซเลกต์"
    ref: str = "016340141523ATF05798"


def slip_screen(
    qr_payload: str | None, text: SlipText | None = None, qr_side: int = 190
) -> Image.Image:
    """A 1080×2340 banking-app slip with the QR of ``qr_payload`` (None: no QR at all) in
    the bottom-right corner, ``qr_side`` px wide."""
    t = text or SlipText()
    img = Image.new("RGB", SIZE, (246, 248, 247))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, SIZE[0], 300), fill=GREEN)
    d.ellipse((60, 90, 180, 210), fill=(255, 255, 255))
    d.text((220, 105), t.bank_th, font=_font(64, True), fill="white")
    d.text((220, 190), "K PLUS", font=_font(40), fill=(220, 245, 230))
    d.rounded_rectangle((50, 360, 1030, 2240), radius=40, fill="white")
    d.text((110, 420), "โอนเงินสำเร็จ", font=_font(72, True), fill=GREEN)
    d.text((110, 530), t.when, font=_font(44), fill=(90, 90, 90))
    rows = [
        ("จาก", t.sender, "ธ.กสิกรไทย xxx-x-x1234-x"),
        ("ไปยัง", t.receiver, "ธ.กสิกรไทย xxx-x-x5671-x"),
    ]
    y = 680
    for label, name, account in rows:
        d.text((110, y), label, font=_font(40), fill=(120, 120, 120))
        d.text((300, y), name, font=_font(50, True), fill=(30, 30, 30))
        d.text((300, y + 70), account, font=_font(42), fill=(90, 90, 90))
        y += 230
    d.line((110, 1180, 970, 1180), fill=(220, 220, 220), width=3)
    d.text((110, 1230), "เลขที่รายการ:", font=_font(40), fill=(120, 120, 120))
    d.text((110, 1290), t.ref, font=_font(46), fill=(30, 30, 30))
    d.text((110, 1420), "จำนวน:", font=_font(44), fill=(120, 120, 120))
    d.text((110, 1490), f"{t.amount} บาท", font=_font(96, True), fill=(20, 20, 20))
    d.text((110, 1660), "ค่าธรรมเนียม: 0.00 บาท", font=_font(40), fill=(120, 120, 120))
    d.text((110, 2050), "สแกนตรวจสอบสลิป", font=_font(36), fill=(150, 150, 150))
    if qr_payload is not None:
        img.paste(qr_image(qr_payload, qr_side), (1030 - 60 - qr_side, 2240 - 60 - qr_side))
    return img


def add_noise(img: Image.Image, sigma: float) -> Image.Image:
    """Sensor-like grain (what makes a photo's file large)."""
    if sigma <= 0:
        return img
    grain = Image.effect_noise(img.size, sigma).convert("RGB")
    flat = Image.new("RGB", img.size, (128, 128, 128))
    return ImageChops.add(img, ImageChops.subtract(grain, flat, offset=128), offset=-128)


def phone_photo(screen: Image.Image, size: tuple[int, int] = (3000, 4000)) -> Image.Image:
    """``screen`` as a phone photo of a monitor: on a dark surround, a mild perspective (the
    top narrower), slightly turned and blurred."""
    w, h = size
    bg = Image.new("RGB", size, (52, 48, 46))
    sw, sh = int(w * 0.62), int(h * 0.84)
    inner = screen.resize((sw, sh), Image.Resampling.BICUBIC)
    # QUAD maps the output's corners (UL, LL, LR, UR) from the source: narrower top.
    squeeze = int(sw * 0.04)
    warped = inner.transform(
        (sw, sh),
        Image.Transform.QUAD,
        (-squeeze, 0, 0, sh, sw, sh, sw + squeeze, 0),
        Image.Resampling.BICUBIC,
        fillcolor=(52, 48, 46),
    )
    bg.paste(warped, ((w - sw) // 2, (h - sh) // 2))
    turned = bg.rotate(3, resample=Image.Resampling.BICUBIC, fillcolor=(52, 48, 46))
    return turned.filter(ImageFilter.GaussianBlur(1.1))


def encode(img: Image.Image, fmt: str, *, quality: int = 90, exif_rotated: bool = False) -> bytes:
    """The picture as a file's bytes. ``exif_rotated``: the pixels stored turned a quarter
    (as a phone held sideways stores them) with EXIF orientation 6 saying how to stand them up."""
    out = io.BytesIO()
    kwargs: dict[str, object] = {}
    if exif_rotated:
        img = img.transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[0x0112] = 6
        kwargs["exif"] = exif.tobytes()
    if fmt in ("JPEG", "WEBP"):
        kwargs["quality"] = quality
    img.save(out, fmt, **kwargs)
    return out.getvalue()


KBANK_QR = build_slip_qr("004", "016340141523ATF05798")
SCB_QR = build_slip_qr("014", "2025120614052312345678")


@dataclass(frozen=True)
class SlipFile:
    name: str
    data: bytes
    payload: str | None  # the QR it carries (None: no QR)


def slip_files(payload: str = KBANK_QR) -> list[SlipFile]:
    """The range of pictures shoppers send, each carrying ``payload``: a PNG
    screenshot (~1.4 MB), a chat-recompressed JPEG (~200 KB), a grainy WebP, a JPEG stored sideways
    with EXIF orientation, and a ~5 MB phone photo of a screen."""
    screen = slip_screen(payload)
    return [
        SlipFile("screenshot.png", encode(add_noise(screen, 1), "PNG"), payload),
        SlipFile("chat.jpg", encode(add_noise(screen, 3), "JPEG", quality=80), payload),
        SlipFile("grainy.webp", encode(add_noise(screen, 14), "WEBP", quality=90), payload),
        SlipFile(
            "sideways.jpg",
            encode(add_noise(screen, 8), "JPEG", quality=92, exif_rotated=True),
            payload,
        ),
        SlipFile("photo.jpg", big_photo(payload), payload),
    ]


def big_photo(payload: str | None = KBANK_QR) -> bytes:
    """A ~5 MB JPEG phone photo (3000×4000) of the slip on a screen (None: a slip without
    its QR)."""
    photo = add_noise(phone_photo(slip_screen(payload)), 14)
    return encode(photo, "JPEG", quality=92)


def promptpay_forwarded() -> bytes:
    """A shopper forwards the shop's own PromptPay QR back (a payment QR, not a slip's)."""
    qr = promptpay_payload("0812345678")
    return encode(slip_screen(qr, qr_side=420), "JPEG", quality=85)


def no_qr() -> bytes:
    """A slip cropped above its QR (or a product photo): no QR at all."""
    return encode(slip_screen(None), "JPEG", quality=85)
