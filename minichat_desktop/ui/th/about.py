"""Thai for Help → About: the version, the data and log folders, and the update check."""

TEXTS = {
    "Help": "ช่วยเหลือ",
    "About MiniChat": "เกี่ยวกับ MiniChat",
    "Version {version}": "เวอร์ชัน {version}",
    "built {date}": "สร้างเมื่อ {date}",
    "Data folder": "โฟลเดอร์ข้อมูล",
    "Log folder": "โฟลเดอร์บันทึก",
    "Open folder": "เปิดโฟลเดอร์",
    "Check for updates": "ตรวจหาอัปเดต",
    "Checking for updates…": "กำลังตรวจหาอัปเดต…",
    "This is the latest version.": "เป็นเวอร์ชันล่าสุดแล้ว",
    "A newer version is out: {version}": "มีเวอร์ชันใหม่แล้ว: {version}",
    "Download": "ดาวน์โหลด",
    "There is no download for this computer's system yet.": "ยังไม่มีไฟล์ดาวน์โหลดสำหรับระบบของเครื่องนี้",
    "This copy of MiniChat has no update address. Get new versions where you got it.": "MiniChat ชุดนี้ไม่ได้ตั้งที่อยู่สำหรับตรวจหาอัปเดตไว้ ดาวน์โหลดเวอร์ชันใหม่จากที่เดียวกับที่ได้ MiniChat มา",
    "Could not check for updates: {host} cannot be reached ({detail}). Check the internet connection and try again.": "ตรวจหาอัปเดตไม่ได้: ติดต่อ {host} ไม่ได้ ({detail}) ตรวจสอบการเชื่อมต่ออินเทอร์เน็ตแล้วลองใหม่",
    "Could not check for updates: what {host} sent is not a release feed ({detail}). Try again later; if it stays so, tell whoever supplies MiniChat.": "ตรวจหาอัปเดตไม่ได้: ข้อมูลที่ได้จาก {host} ไม่ใช่ข้อมูลเวอร์ชัน ({detail}) ลองใหม่ภายหลัง ถ้ายังเป็นอยู่ แจ้งผู้ที่ให้ MiniChat มา",
}
