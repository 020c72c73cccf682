"""Thai for the main window, errors and notifications."""

TEXTS = {
    "Online": "ออนไลน์",
    "Connecting…": "กำลังเชื่อมต่อ…",
    "Offline": "ออฟไลน์",
    "Connection to the relay (chats from the web widget and LINE)": "การเชื่อมต่อกับรีเลย์ (แชทจากวิดเจ็ตบนเว็บและ LINE)",
    "MiniChat — shop and chats": "MiniChat — ร้านค้าและแชท",
    "Inbox": "กล่องข้อความ",
    "Catalog": "สินค้า",
    "Settings": "ตั้งค่า",
    "Open MiniChat": "เปิด MiniChat",
    "Quit": "ออก",
    "Notifications (Ctrl+Shift+N)": "การแจ้งเตือน (Ctrl+Shift+N)",
    "New chat: {name}": "แชทใหม่: {name}",
    "Please check": "กรุณาตรวจสอบ",
    "Could not finish": "ทำรายการไม่สำเร็จ",
    "Nothing was lost. Please try again.": "ข้อมูลไม่สูญหาย กรุณาลองใหม่อีกครั้ง",
    "Something went wrong": "เกิดข้อผิดพลาด",
    "MiniChat hit a problem it did not expect. Details are in the log file.": "MiniChat พบปัญหาที่ไม่คาดคิด รายละเอียดอยู่ในไฟล์บันทึก",
    "Notifications": "การแจ้งเตือน",
    "Mark all read": "อ่านทั้งหมดแล้ว",
    "No notifications": "ไม่มีการแจ้งเตือน",
}
