"""Thai for the notices of problems nobody caught and of background work that stopped."""

TEXTS = {
    "MiniChat hit a problem and kept running. Details are in the log folder: {folder}": "MiniChat พบปัญหาที่ไม่คาดคิด แต่ยังทำงานต่อ รายละเอียดอยู่ในโฟลเดอร์บันทึก: {folder}",
    "{job} stopped after a problem and starts again in {seconds} s. Details are in the log folder: {folder}": "{job} หยุดทำงานเพราะเกิดปัญหา จะเริ่มใหม่ใน {seconds} วินาที รายละเอียดอยู่ในโฟลเดอร์บันทึก: {folder}",
    "Click to open the log folder": "คลิกเพื่อเปิดโฟลเดอร์บันทึก",
    "The relay link": "การเชื่อมต่อรีเลย์",
    "The bot's flow timers": "ตัวจับเวลาของโฟลว์บอท",
    "Scheduled broadcasts and customer segments": "บรอดแคสต์ตามเวลาและกลุ่มลูกค้า",
    "Clearing old analytics": "การล้างข้อมูลสถิติเก่า",
    "Loading the Thai word list": "การโหลดคลังคำภาษาไทย",
    "no answer from the relay lately": "รีเลย์ไม่ตอบมาสักพัก",
    "the relay link stopped after an error; restarting": "การเชื่อมต่อรีเลย์หยุดเพราะเกิดข้อผิดพลาด กำลังเริ่มใหม่",
}
