"""Thai for Settings → Payment slips (ui/settings_slips.py), and for the slip check's setting
error codes."""

TEXTS = {
    "Payment slips": "สลิปโอนเงิน",
    "MiniChat reads the QR code on a transfer slip by itself. A slip-verification service can also ask the bank whether the transfer really happened: choose one here if you have an account with it.": "MiniChat อ่าน QR บนสลิปโอนเงินได้เอง และถ้าคุณมีบัญชีกับบริการตรวจสลิป ก็ให้บริการนั้นถามธนาคารได้ว่ามีการโอนจริง เลือกบริการได้ที่นี่",
    "Online slip check": "ตรวจสลิปออนไลน์",
    "Service": "ผู้ให้บริการ",
    "Branch ID": "รหัสสาขา (Branch ID)",
    "None (check slips by eye)": "ไม่ใช้ (ตรวจสลิปด้วยตาเอง)",
    "SlipOK only, e.g. 12345": "เฉพาะ SlipOK เช่น 12345",
    "leave empty for the service's own address": "เว้นว่างเพื่อใช้ที่อยู่ของผู้ให้บริการ",
    "Confirm payment automatically when the check passes": "ยืนยันรับชำระอัตโนมัติเมื่อตรวจผ่าน",
    "Off: you confirm every payment with one click. On: a payment is confirmed when the service finds the transfer, the amount equals the order's total, the money went to one of your accounts and the time is right.": "ปิด: คุณกดยืนยันรับชำระเองทุกครั้ง เปิด: ระบบยืนยันให้เมื่อผู้ให้บริการพบรายการโอน ยอดตรงกับยอดออเดอร์ เงินเข้าบัญชีของร้าน และเวลาโอนถูกต้อง",
    "Save slip check settings": "บันทึกการตั้งค่าตรวจสลิป",
    "No online check: no key needed.": "ไม่ได้ตรวจสลิปออนไลน์ จึงไม่ต้องมีคีย์",
    "Saved. Add the API key, or slips are not checked online.": "บันทึกแล้ว ใส่คีย์ API ด้วย ไม่อย่างนั้นจะยังไม่ตรวจสลิปออนไลน์",
    "Saved. Slips are checked online.": "บันทึกแล้ว ระบบจะตรวจสลิปออนไลน์",
    "Saved. Slips are not checked online.": "บันทึกแล้ว ไม่ตรวจสลิปออนไลน์",
    "Connected. Checks left: {left}": "เชื่อมต่อได้แล้ว โควตาตรวจสลิปคงเหลือ: {left}",
}

ERRORS = {
    "slipcheck.unknown_provider": "ไม่รู้จักผู้ให้บริการตรวจสลิปนี้ เลือก SlipOK หรือ EasySlip",
    "slipcheck.bad_url": "ที่อยู่เซิร์ฟเวอร์ต้องขึ้นต้นด้วย http:// หรือ https://",
    "slipcheck.bad_branch": "SlipOK ต้องมีรหัสสาขา (ตัวเลข ดูได้ในเมนู SlipOK บน LINE)",
    "slipcheck.bad_timeout": "เวลารอผลตรวจสลิปต้องเป็น 3 ถึง 60 วินาที",
}
