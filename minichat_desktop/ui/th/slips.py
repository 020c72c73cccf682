"""Thai for payment slips: the slip dialog, the check's chip on the order, attaching a slip."""

TEXTS = {
    "Slip not checked": "ยังไม่ได้ตรวจสลิป",
    "Slip used before": "สลิปซ้ำ",
    "QR not read": "อ่าน QR ไม่ได้",
    "Not a slip QR": "ไม่ใช่ QR สลิป",
    "Slip QR read": "อ่าน QR สลิปแล้ว",
    "This slip was received before slips were checked: check the amount yourself.": "สลิปนี้ได้รับก่อนมีการตรวจสลิป — ตรวจยอดเองก่อนยืนยัน",
    "This slip was already used for order {number}. Check with the customer before confirming.": "สลิปนี้เคยใช้กับออเดอร์ {number} — ตรวจสอบกับลูกค้าก่อนยืนยัน",
    "The QR on this slip could not be read — check the amount yourself before confirming.": "อ่าน QR บนสลิปไม่ได้ — ตรวจยอดเองก่อนยืนยัน",
    "The QR in this picture is not a bank slip's (a payment QR, or an edited slip) — check the amount yourself before confirming.": "QR ในรูปนี้ไม่ใช่ QR ของสลิปธนาคาร (อาจเป็น QR รับเงิน หรือสลิปที่ถูกแก้ไข) — ตรวจยอดเองก่อนยืนยัน",
    "Online check: passed": "ตรวจสลิปออนไลน์: ผ่าน",
    "Online check: failed": "ตรวจสลิปออนไลน์: ไม่ผ่าน",
    "Online check: no answer": "ตรวจสลิปออนไลน์: ไม่ได้คำตอบ",
    "Amount due": "ยอดที่ต้องชำระ",
    "Sent from": "โอนจาก",
    "Transfer ref.": "เลขที่รายการ",
    "Received": "ได้รับเมื่อ",
    "Confirm payment {amount}": "ยืนยันรับชำระ {amount}",
    "Attach a slip…": "แนบสลิป…",
    "Choose the payment slip picture": "เลือกรูปสลิปโอนเงิน",
    "Pictures (*.jpg *.jpeg *.png *.webp *.gif *.bmp *.tif *.tiff)": "รูปภาพ (*.jpg *.jpeg *.png *.webp *.gif *.bmp *.tif *.tiff)",
}

ERRORS = {
    "slip.not_image": "{file} ไม่ใช่รูปภาพที่เปิดได้ กรุณาเลือกไฟล์ JPEG, PNG หรือ WebP",
    "slip.too_large": "{file} ใหญ่เกินกว่ารูปสลิป ({limit} MB) กรุณาเลือกรูปสลิปโดยตรง",
    "slip.unreadable": "อ่านไฟล์รูปสลิป {file} ไม่ได้ ตรวจว่าไฟล์ยังอยู่และเปิดได้ แล้วลองอีกครั้ง",
    "slip.unwritable": "บันทึกรูปสลิปลงโฟลเดอร์ข้อมูลไม่ได้ ({path}) ตรวจพื้นที่ดิสก์แล้วลองอีกครั้ง",
    "slip.not_found": "ไม่พบสลิป {slip}",
}
