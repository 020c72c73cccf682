"""The demo shop's payment slip: a banking app's transfer slip drawn as a JPEG, with the banks'
slip-verification QR in its corner, so a new user opening the demo's chat or order sees a real
slip, read and checked, rather than a picture that never loads."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

from minichat_desktop.domain.payments.slips import build_slip_qr
from minichat_desktop.domain.thai import format_baht, format_when
from minichat_desktop.files import atomic_write_bytes

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

SIZE = (720, 1320)
KBANK_GREEN = (0, 166, 81)
DEMO_REF = "016340141523ATF05798"
DEMO_BANK = "004"  # Kasikornbank


def _font(size: int, bold: bool = False) -> FreeTypeFont:
    import fontpkg_sarabun
    from PIL import ImageFont

    name = "Sarabun-Bold.ttf" if bold else "Sarabun-Regular.ttf"
    path = Path(fontpkg_sarabun.__file__).parent / "files" / name
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)


def slip_jpeg(
    amount_satang: int, when_utc: dt.datetime, shop: str, sender: str
) -> tuple[bytes, str]:
    """The slip's JPEG bytes and the QR payload printed on it."""
    import qrcode
    from PIL import Image, ImageDraw

    payload = build_slip_qr(DEMO_BANK, DEMO_REF)
    img = Image.new("RGB", SIZE, (246, 248, 247))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, SIZE[0], 150), fill=KBANK_GREEN)
    d.ellipse((40, 45, 100, 105), fill="white")
    d.text((120, 50), "ธนาคารกสิกรไทย", fill="white", font=_font(34, True))
    d.text((120, 98), "K PLUS", fill="white", font=_font(20))
    d.rounded_rectangle((30, 180, SIZE[0] - 30, SIZE[1] - 40), radius=24, fill="white")
    rows = [
        ("โอนเงินสำเร็จ", 40, True, KBANK_GREEN),
        (format_when(when_utc, "th"), 24, False, (90, 100, 110)),
        ("จาก", 22, False, (120, 130, 140)),
        (sender, 30, True, (31, 41, 51)),
        ("ไปยัง", 22, False, (120, 130, 140)),
        (shop, 30, True, (31, 41, 51)),
        ("เลขที่รายการ", 22, False, (120, 130, 140)),
        (DEMO_REF, 26, False, (31, 41, 51)),
        ("จำนวนเงิน", 22, False, (120, 130, 140)),
        (f"{format_baht(amount_satang)} บาท", 48, True, (31, 41, 51)),
    ]
    y = 220
    for text, size, bold, colour in rows:
        d.text((70, y), text, fill=colour, font=_font(size, bold))
        y += size + (34 if size >= 30 else 14)
    qr = qrcode.QRCode(border=2, box_size=5, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.make(fit=True)
    code = qr.make_image().get_image().convert("RGB").resize((200, 200), Image.Resampling.NEAREST)
    img.paste(code, (SIZE[0] - 270, SIZE[1] - 290))
    d.text((70, SIZE[1] - 120), "สแกนตรวจสอบสลิป", fill=(120, 130, 140), font=_font(20))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=88)
    return out.getvalue(), payload


def write_demo_slip(data_dir: Path, amount_satang: int, when_utc: dt.datetime, shop: str,
                    sender: str) -> tuple[str, str, str]:  # fmt: skip
    """Write the slip under ``media/slips``: (its path relative to the data folder, its
    SHA-256, the QR payload)."""
    data, payload = slip_jpeg(amount_satang, when_utc, shop, sender)
    relative = "media/slips/demo-slip.jpg"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)
    return relative, hashlib.sha256(data).hexdigest(), payload
