"""Thai for Meta's messaging window: the line above the inbox's composer and what the
broadcasts screen says about Messenger and Instagram recipients."""

TEXTS = {
    "You can reply for another {left}": "ตอบได้อีก {left}",
    "Over 24 hours: only messages from you (not the bot) can be sent, for another {left}": (
        "เกิน 24 ชม. แล้ว: ส่งได้เฉพาะข้อความจากคุณ (ไม่ใช่บอท) อีก {left}"
    ),
    "The customer has not written for over 7 days: nothing can be sent until "
    "they write to you": "ลูกค้ายังไม่ตอบกลับเกิน 7 วัน: ส่งข้อความไม่ได้จนกว่าลูกค้าจะทักมา",
    "The customer has not written in this chat: nothing can be sent until "
    "they write to you": "ลูกค้ายังไม่เคยทักมาในแชทนี้: ส่งข้อความไม่ได้จนกว่าลูกค้าจะทักมา",
    "Messenger and Instagram let the shop answer for 24 hours after the "
    "customer's last message (the bot too); after that only a person may answer, "
    "for up to 7 days.": (
        "Messenger และ Instagram ให้ร้านตอบได้ภายใน 24 ชม. หลังข้อความล่าสุดของลูกค้า"
        " (บอทตอบได้ด้วย) หลังจากนั้นให้คนตอบเองได้อีกไม่เกิน 7 วัน"
    ),
    "{n} days": "{n} วัน",
    "{h} hr {m} min": "{h} ชม. {m} นาที",
    "{h} hr": "{h} ชม.",
    "{m} min": "{m} นาที",
    # the broadcasts screen
    "Skipped: over 24 hours since they last wrote": "ข้าม: ลูกค้าทักมาเกิน 24 ชม. แล้ว",
    "{messenger} on Messenger, {instagram} on Instagram": (
        "Messenger {messenger} คน, Instagram {instagram} คน"
    ),
    "Outside {channel}'s 24-hour window: {n}": "นอกช่วง 24 ชม. ของ {channel}: {n} คน",
}

ERRORS = {
    "message.window_closed": (
        "ลูกค้ายังไม่ตอบกลับเกิน 7 วัน: Messenger และ Instagram ส่งข้อความไม่ได้จนกว่าลูกค้าจะทักมา"
    ),
}
