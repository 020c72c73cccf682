"""Thai for the flow simulator (ui/flow_simulator.py): the trial chat beside the flow editor."""

TEXTS = {
    "Try the flow": "ทดลองแชท",
    "Restart": "เริ่มใหม่",
    "Your real products and prices; nothing is saved to the shop.": (
        "ใช้สินค้าและราคาจริง แต่ไม่บันทึกอะไรลงร้าน"
    ),
    "Type as the shopper…": "พิมพ์แบบลูกค้า…",
    "Send": "ส่ง",
    "Cannot try it yet: %1": "ยังทดลองไม่ได้: %1",
    "Something went wrong; the details are in the log file.": (
        "เกิดปัญหาที่ไม่คาดคิด รายละเอียดอยู่ในไฟล์บันทึก"
    ),
    "step “%1”: %2": "ขั้น “%1”: %2",
    "Handed over to an admin": "ส่งต่อให้แอดมิน",
    "The flow ended": "จบโฟลว์แล้ว",
    "(waiting %1)": "(รอ %1)",
    "(with no answer, it goes on by itself in %1)": "(ถ้าไม่ตอบ จะไปต่อเองใน %1)",
    "Skip the time": "ข้ามเวลา",
    "The bot's own answer (outside the flow)": "บอทตอบเอง (นอกโฟลว์)",
    "From step: %1": "จากขั้น: %1",
    "No picture": "ไม่มีรูป",
    "out of stock": "สินค้าหมด",
    "Cart": "ตะกร้าสินค้า",
    "Goods total": "รวมค่าสินค้า",
    "Discount": "ส่วนลด",
    "Shipping fee": "ค่าส่ง",
    "Grand total": "ยอดรวม",
    "Order %1": "ออเดอร์ %1",
    "Start by typing:": "เริ่มโดยพิมพ์:",
    "the order reached the shopper": "ของถึงลูกค้าแล้ว",
    "the shopper left a cart": "ลูกค้าทิ้งตะกร้าไว้",
    "Simulate an event: %1": "จำลองเหตุการณ์: %1",
    "Start the flow": "เริ่มโฟลว์",
    # steps, as the caption under a message names them
    "Step": "ขั้นตอน",
    # spans of time
    "1 day": "1 วัน",
    "%1 days": "%1 วัน",
    "1 hour": "1 ชั่วโมง",
    "%1 hours": "%1 ชั่วโมง",
    "1 minute": "1 นาที",
    "%1 minutes": "%1 นาที",
    "a moment": "ครู่เดียว",
}

ERRORS = {
    "env.trial_folder": "สร้างโฟลเดอร์ทดลองใน {path} ไม่ได้ ตรวจดูว่าดิสก์ยังมีที่ว่างและเขียนได้ แล้วกดเริ่มใหม่",
    "env.trial_copy": "คัดลอกข้อมูลร้านไว้ทดลองที่ {path} ไม่ได้ ลองเพิ่มที่ว่างในดิสก์ แล้วกดเริ่มใหม่",
}
