"""Thai for Settings → Backups (ui/settings_backups.py) and the backup error codes
(storage/backups.py)."""

TEXTS = {
    "Backups": "สำรองข้อมูล",
    "Every day MiniChat keeps an encrypted copy of the shop's data in the folder you choose: another disk, a USB drive or a cloud-synced folder. 7 daily, 4 weekly and 12 monthly copies are kept.": "MiniChat สำรองข้อมูลร้านแบบเข้ารหัสทุกวันไว้ในโฟลเดอร์ที่คุณเลือก เช่น ดิสก์อีกลูก แฟลชไดรฟ์ USB หรือโฟลเดอร์ที่ซิงก์กับคลาวด์ โดยเก็บรายวัน 7 ชุด รายสัปดาห์ 4 ชุด และรายเดือน 12 ชุด",
    "Where backups go": "ที่เก็บข้อมูลสำรอง",
    "Backup folder": "โฟลเดอร์สำรองข้อมูล",
    "Last backup": "สำรองครั้งล่าสุด",
    "Choose folder…": "เลือกโฟลเดอร์…",
    "Choose the backup folder": "เลือกโฟลเดอร์สำรองข้อมูล",
    "Back up now": "สำรองข้อมูลเดี๋ยวนี้",
    "Restore…": "กู้คืนข้อมูล…",
    "Recovery phrase": "รหัสกู้คืน",
    "Backups open only with this computer's key. Write the recovery phrase on paper and keep it safe: on a new computer it opens your backups. Anyone with the phrase and a backup can read the shop's data.": "ข้อมูลสำรองเปิดได้ด้วยกุญแจของคอมพิวเตอร์เครื่องนี้เท่านั้น จดรหัสกู้คืนลงกระดาษแล้วเก็บไว้ในที่ปลอดภัย เมื่อเปลี่ยนคอมพิวเตอร์ใหม่ รหัสนี้ใช้เปิดข้อมูลสำรองได้ ใครที่มีทั้งรหัสและไฟล์สำรองจะอ่านข้อมูลร้านได้",
    "Show recovery phrase": "แสดงรหัสกู้คืน",
    "Hide recovery phrase": "ซ่อนรหัสกู้คืน",
    "Not chosen yet: backups are kept beside the shop's data, on the same disk. Choose another disk, a USB drive or a cloud-synced folder.": "ยังไม่ได้เลือก: ตอนนี้ข้อมูลสำรองเก็บอยู่ข้างข้อมูลร้านในดิสก์ลูกเดียวกัน กรุณาเลือกดิสก์อีกลูก แฟลชไดรฟ์ USB หรือโฟลเดอร์ที่ซิงก์กับคลาวด์",
    "No backup yet.": "ยังไม่เคยสำรองข้อมูล",
    "✓ verified": "✓ ตรวจสอบแล้ว",
    "NOT verified: {why}": "ตรวจสอบไม่ผ่าน: {why}",
    "The last backup failed ({when}): {why}": "สำรองข้อมูลครั้งล่าสุดไม่สำเร็จ ({when}): {why}",
    "Backup folder saved. Back up now to try it.": "บันทึกโฟลเดอร์สำรองข้อมูลแล้ว กด สำรองข้อมูลเดี๋ยวนี้ เพื่อทดลอง",
    "Backing up…": "กำลังสำรองข้อมูล…",
    "The backup was written but did not verify.": "เขียนไฟล์สำรองแล้ว แต่ตรวจสอบไม่ผ่าน",
    "Backed up and verified.": "สำรองข้อมูลและตรวจสอบเรียบร้อยแล้ว",
    "Restore a backup": "กู้คืนจากข้อมูลสำรอง",
    "Recovery phrase (only for another computer's backups)": "รหัสกู้คืน (เฉพาะข้อมูลสำรองจากคอมพิวเตอร์เครื่องอื่น)",
    "No backups in this folder yet.": "ยังไม่มีข้อมูลสำรองในโฟลเดอร์นี้",
    "{shop}, taken {when}: {products} products, {orders} orders, {customers} customers": "{shop} สำรองเมื่อ {when}: สินค้า {products} รายการ ออเดอร์ {orders} รายการ ลูกค้า {customers} ราย",
    "Restore this backup?": "กู้คืนจากข้อมูลสำรองนี้?",
    "{holds}\n\nThe shop's data now will be replaced by this backup. The current data is kept aside first. MiniChat closes after restoring: open it again.": "{holds}\n\nข้อมูลร้านตอนนี้จะถูกแทนที่ด้วยข้อมูลสำรองนี้ โดยข้อมูลปัจจุบันจะถูกเก็บแยกไว้ก่อน เมื่อกู้คืนเสร็จ MiniChat จะปิดตัว กรุณาเปิดใหม่อีกครั้ง",
    "Restoring…": "กำลังกู้คืนข้อมูล…",
    "Restored. MiniChat closes now: open it again.": "กู้คืนข้อมูลแล้ว MiniChat จะปิดตัวเดี๋ยวนี้ กรุณาเปิดใหม่อีกครั้ง",
}

# Thai for storage/backups.py's error codes ({path} from the error's params).
ERRORS = {
    "backup.wrong_key": "ข้อมูลสำรอง {path} ทำด้วยกุญแจอื่น กรุณาใส่รหัสกู้คืนที่จดไว้จากคอมพิวเตอร์เครื่องที่สำรองข้อมูลนั้น",
    "backup.corrupt": "ข้อมูลสำรอง {path} เสียหาย จึงยังไม่ได้กู้คืนอะไร กรุณาเลือกข้อมูลสำรองชุดอื่น",
    "backup.not_a_backup": "{path} ไม่ใช่ไฟล์สำรองข้อมูลของ MiniChat",
    "backup.newer_format": "{path} สร้างด้วย MiniChat รุ่นใหม่กว่า กรุณาอัปเดต MiniChat",
    "backup.bad_phrase": "รหัสกู้คืนไม่ถูกต้อง (มี 14 กลุ่ม กลุ่มละ 4 ตัว) กรุณาตรวจกับที่จดไว้",
    "backup.no_key": "คอมพิวเตอร์เครื่องนี้ยังไม่มีกุญแจสำรองข้อมูล กรุณาใส่รหัสกู้คืน",
    "backup.folder_missing": "ไม่พบโฟลเดอร์สำรองข้อมูล {path} (ยังไม่ได้เสียบไดรฟ์?) กรุณาเสียบไดรฟ์ หรือเลือกโฟลเดอร์อื่นที่ ตั้งค่า → สำรองข้อมูล",
    "backup.folder_full": "โฟลเดอร์สำรองข้อมูล {path} เต็ม กรุณาลบไฟล์ที่ไม่ใช้ หรือเลือกโฟลเดอร์อื่น",
    "backup.write_failed": "เขียนไฟล์สำรองข้อมูล {path} ไม่ได้ กรุณาเลือกโฟลเดอร์อื่น",
    "backup.unreadable": "อ่านไฟล์ {path} ไม่ได้",
}
