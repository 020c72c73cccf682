"""What a person sees when something goes wrong: their mistake (what and how to fix it), the
environment (retry, nothing lost) or our bug (a short apology with the log's path). Never a
traceback in a dialog.

The one error path of the UI: :func:`show_error` (or :func:`report_error`, which can word the
person's mistakes its own way) opens a message box without a modal loop — a nested loop inside
a coroutine stops every other task, see ``ui/dialogs.py`` — and keeps it on ``parent.message``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from minichat_desktop.errors import DomainError, EnvironmentProblem, UserError
from minichat_desktop.ui import theme
from minichat_desktop.ui.dialogs import inform
from minichat_desktop.ui.i18n import current_language, t
from minichat_desktop.ui.th import ERRORS as MORE_ERRORS

log = logging.getLogger(__name__)

# Thai texts for error codes; {name} fields come from the error's params.
THAI_ERRORS: dict[str, str] = {
    "stock.insufficient": "สต็อก {sku} ไม่พอ: เหลือ {available} ต้องการ {requested}",
    "stock.reason_required": "กรุณาระบุเหตุผลของการปรับสต็อก (นับใหม่ ของเสีย ฯลฯ)",
    "stock.zero_change": "จำนวนที่ปรับต้องไม่เป็นศูนย์",
    "stock.negative_count": "จำนวนที่นับได้ต้องไม่ติดลบ",
    "product.sku_required": "กรุณาใส่รหัสสินค้า (SKU)",
    "product.name_required": "กรุณาใส่ชื่อสินค้า",
    "product.negative_money": "ราคา/ต้นทุนต้องไม่ติดลบ",
    "variant.sku_taken": "รหัส {sku} ถูกใช้กับสินค้าอื่นแล้ว",
    "variant.barcode_taken": "บาร์โค้ด {barcode} ถูกใช้กับสินค้าอื่นแล้ว",
    "variant.duplicate_sku": "ตัวเลือกสินค้าสองรายการใช้รหัสซ้ำกัน",
    "variant.duplicate_barcode": "ตัวเลือกสินค้าสองรายการใช้บาร์โค้ดซ้ำกัน",
    "message.empty": "ข้อความว่างเปล่า",
    "message.too_long": "ข้อความยาวเกิน {max} ตัวอักษร",
    "shop.invalid_tax_id": "เลขประจำตัวผู้เสียภาษีไม่ถูกต้อง (ต้องมี 13 หลักและเลขตรวจสอบถูกต้อง)",
    "shop.invalid_promptpay": "พร้อมเพย์ไม่ถูกต้อง: ใช้เบอร์มือถือ เลขบัตรประชาชน/เลขผู้เสียภาษี 13 หลัก หรือ e-Wallet 15 หลัก",
    "shop.invalid_branch": "รหัสสาขาต้องเป็นตัวเลข 5 หลัก (สำนักงานใหญ่ใช้ 00000)",
    "shop.invalid_prefix": "คำนำหน้าเลขออเดอร์ใช้ตัวอักษรอังกฤษหรือตัวเลข 1-6 ตัว",
    "shop.invalid_pos_number": "หมายเลขเครื่อง POS ใช้ตัวอักษรอังกฤษและตัวเลขตามที่กรมสรรพากรอนุมัติ (เช่น E0123456789012)",
    "document.credit_note_buyer_required": "ใบลดหนี้ของออเดอร์ {order} ต้องมีชื่อและที่อยู่ของผู้ซื้อ",
    "document.full_issued": "ออเดอร์ {order} มีใบกำกับภาษีเต็มรูป {number} แล้ว กรุณาพิมพ์ใบนั้นหรือสำเนาแทนใบกำกับภาษีอย่างย่อ",
    "shop.vat_needs_tax_id": "ร้านที่จดทะเบียน VAT ต้องมีเลขประจำตัวผู้เสียภาษี",
    "canned.empty": "ข้อความสำเร็จรูปต้องมีชื่อและข้อความ",
    "canned.unknown_field": "ไม่รู้จักช่อง {{{field}}} ใช้ปุ่มเพิ่มข้อมูลใต้ข้อความแทน",
    "canned.bad_braces": "วงเล็บปีกกา {{ หรือ }} ในข้อความไม่ครบคู่ ใช้ปุ่มเพิ่มข้อมูลใต้ข้อความแทนการพิมพ์เอง",
    "customer.invalid_phone": "เบอร์โทรไม่ถูกต้อง",
    "customer.phone_taken": "เบอร์นี้เป็นของลูกค้าอีกคน ให้รวมรายชื่อแทน",
    "env.db_locked": "ฐานข้อมูลกำลังถูกใช้งานโดยโปรแกรมอื่น ลองใหม่อีกครั้ง",
    "env.disk_full": "ดิสก์เต็ม บันทึกไม่ได้ ข้อมูลเดิมยังอยู่ครบ",
    "env.keyring": "ใช้ที่เก็บรหัสผ่านของระบบไม่ได้ ข้อมูลลับจึงยังไม่ถูกบันทึก",
}
THAI_ERRORS.update(MORE_ERRORS)  # each screen's own codes (ui/th/<screen>.py ERRORS)


def error_text(exc: DomainError) -> str:
    if current_language() == "th" and exc.code in THAI_ERRORS:
        params: dict[str, Any] = dict(exc.params)
        try:
            return THAI_ERRORS[exc.code].format(**params)
        except (KeyError, IndexError, ValueError):
            return THAI_ERRORS[exc.code]
    return exc.message


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox:
    """Tell the person, without waiting: the box is opened and returned at once, and kept on
    ``parent.message``; our bugs are logged with their traceback (never shown)."""
    return report_error(parent, exc)


def report_error(
    parent: QWidget | None,
    exc: BaseException,
    *,
    explain: Callable[[UserError], str] = error_text,
) -> QMessageBox:
    """Tell the person as :func:`show_error` does; ``explain`` words the person's own
    mistakes where a screen says more than the error's text (e.g. naming the order)."""
    title, text, bug = _said(parent, exc, explain)
    box = inform(parent, title, text, warn=True)
    if bug:
        theme.message_icon(box, "error")
    return box


def _said(
    parent: QWidget | None, exc: BaseException, explain: Callable[[UserError], str]
) -> tuple[str, str, bool]:
    """The title and text for ``exc``, and whether it is our bug; logs what is not the
    person's mistake."""
    if isinstance(exc, UserError):
        return t("Please check"), explain(exc), False
    if isinstance(exc, EnvironmentProblem):
        log.warning("environment problem: %s", exc.message)
        return (
            t("Could not finish"),
            error_text(exc) + "\n\n" + t("Nothing was lost. Please try again."),
            False,
        )
    where = type(parent).__name__ if parent is not None else "the app"
    log.error("unexpected error in %s", where, exc_info=exc)
    return (
        t("Something went wrong"),
        t("MiniChat hit a problem it did not expect. Details are in the log file.")
        + f"\n\n{logging_path()}",
        True,
    )


def logging_path() -> str:
    """The app's log file ("" when it logs to no file; a log thrown away is no file)."""
    for handler in logging.getLogger().handlers:
        filename = getattr(handler, "baseFilename", None)
        if filename and filename != os.devnull:
            return str(filename)
    return ""
