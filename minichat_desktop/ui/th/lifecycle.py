"""Thai for starting and quitting: a second launch on a data folder in use."""

TEXTS = {
    "MiniChat is already running on the data folder {folder} but did not answer. Quit that MiniChat (or wait for minichat restore to finish) and open it again.": "MiniChat เปิดใช้งานโฟลเดอร์ข้อมูล {folder} อยู่แล้วแต่ไม่ตอบสนอง กรุณาปิด MiniChat ตัวนั้น (หรือรอให้ minichat restore ทำงานเสร็จ) แล้วเปิดใหม่อีกครั้ง",
}
