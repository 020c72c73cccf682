"""Thai for Settings → Facebook & Instagram (ui/settings_meta.py)."""

TEXTS = {
    "Facebook & Instagram": "Facebook และ Instagram",
    "Answer your Facebook Page's Messenger chats, Instagram messages and live comments in "
    "MiniChat. You need a Meta app for your shop (free); follow the steps below once.": "ตอบแชท Messenger ของเพจ Facebook ข้อความ Instagram และคอมเมนต์ไลฟ์ได้ใน MiniChat ร้านต้องมีแอป Meta ของตัวเอง (ฟรี) ทำตามขั้นตอนด้านล่างครั้งเดียวก็พอ",
    "How to connect": "วิธีเชื่อมต่อ",
    "1. Open developers.facebook.com → My Apps. Create an app of type “Business” (or choose "
    "the one you already have).": "1. เปิด developers.facebook.com → My Apps (แอปของฉัน) แล้วสร้างแอปประเภท “Business” (หรือเลือกแอปที่มีอยู่แล้ว)",
    "2. In the app, add the products “Messenger” and “Instagram”. Connect your Facebook Page; "
    "to get Instagram messages too, link the shop's Instagram professional account to that "
    "Page.": "2. ในแอป เพิ่มผลิตภัณฑ์ “Messenger” และ “Instagram” แล้วเชื่อมเพจ Facebook ของร้าน ถ้าต้องการรับข้อความ Instagram ด้วย ให้ผูกบัญชี Instagram แบบมืออาชีพของร้านกับเพจนั้น",
    "3. Messenger → Settings → Access tokens: add your Page and press “Generate token”. Paste "
    "it below as the Page access token. The app secret is in App settings → Basic (press "
    "Show). Then press Save and connect.": "3. ไปที่ Messenger → Settings → Access tokens เพิ่มเพจของร้านแล้วกด “Generate token” นำโทเค็นมาวางในช่อง Page access token ด้านล่าง ส่วน App secret อยู่ที่ App settings → Basic (กด Show) จากนั้นกด “บันทึกและเชื่อมต่อ”",
    "4. Messenger → Settings → Webhooks: paste the callback URL and the verify token from "
    "this page and press “Verify and save” in Meta.": "4. ไปที่ Messenger → Settings → Webhooks วาง Callback URL และ Verify token จากหน้านี้ แล้วกด “Verify and save” ในหน้าของ Meta",
    "5. Still in Webhooks, subscribe your Page to the webhook fields listed below. Then press "
    "Verify here: MiniChat checks everything and says what is missing.": "5. ยังอยู่ในหน้า Webhooks ให้เพจของร้านสมัครรับ (Subscribe) ฟิลด์ตามรายการด้านล่าง จากนั้นกด “ตรวจสอบ” ที่หน้านี้ MiniChat จะตรวจทุกอย่างและบอกว่ายังขาดอะไร",
    "To paste into your Meta app": "สำหรับวางในแอป Meta",
    "Callback URL": "Callback URL",
    "Verify token": "Verify token",
    "Webhook fields": "ฟิลด์ Webhook",
    "From your Meta app": "จากแอป Meta ของร้าน",
    "App secret": "App secret",
    "Page access token": "Page access token",
    "Disconnect Facebook": "ยกเลิกการเชื่อมต่อ Facebook",
    "Callback URL copied.": "คัดลอก Callback URL แล้ว",
    "Verify token copied.": "คัดลอก Verify token แล้ว",
    "Webhook fields copied.": "คัดลอกรายชื่อฟิลด์ Webhook แล้ว",
    "Give both the app secret and the Page access token.": "กรุณาใส่ทั้ง App secret และ Page access token",
    "Stop receiving Messenger and Instagram chats in MiniChat? The app secret and Page access "
    "token are removed from this computer and from the relay.": "หยุดรับแชท Messenger และ Instagram ใน MiniChat ไหม? App secret และ Page access token จะถูกลบออกจากเครื่องนี้และจากรีเลย์",
    "Saved and sent. Now paste the callback URL and verify token into Meta.": "บันทึกและส่งแล้ว ต่อไปให้นำ Callback URL และ Verify token ไปวางในแอป Meta",
    "Facebook and Instagram disconnected.": "ยกเลิกการเชื่อมต่อ Facebook และ Instagram แล้ว",
    "Saved on this computer. MiniChat is not connected to the relay: it sends this as soon as "
    "the connection is back.": "บันทึกไว้ในเครื่องนี้แล้ว แต่ตอนนี้ MiniChat ยังไม่ได้เชื่อมต่อรีเลย์ จะส่งให้เองทันทีที่เชื่อมต่อได้",
    "Status": "สถานะ",
    "connected": "เชื่อมต่อแล้ว",
    "not connected": "ยังไม่ได้เชื่อมต่อ",
    "unknown until MiniChat connects to the relay": "ยังไม่ทราบ จนกว่า MiniChat จะเชื่อมต่อรีเลย์",
    "MiniChat is not connected to the relay, so Facebook cannot be checked. Connect first "
    "(Settings → Relay), then press Verify again.": "MiniChat ยังไม่ได้เชื่อมต่อรีเลย์ จึงตรวจสอบ Facebook ไม่ได้ เชื่อมต่อก่อน (ตั้งค่า → รีเลย์) แล้วกด “ตรวจสอบ” อีกครั้ง",
    "Asking Facebook…": "กำลังถาม Facebook…",
    "It works: chats to the Page “{page}” come to MiniChat.": "ใช้งานได้แล้ว แชทที่ส่งถึงเพจ “{page}” จะเข้ามาที่ MiniChat",
    "Instagram @{name} is linked too.": "ผูกกับ Instagram @{name} แล้วด้วย",
    "No Instagram account is linked to this Page: link one in the Page's settings to get "
    "Instagram messages too.": "เพจนี้ยังไม่ได้ผูกบัญชี Instagram ถ้าต้องการรับข้อความ Instagram ด้วย ให้ผูกบัญชีในการตั้งค่าเพจ",
    "(Meta said: {said})": "(Meta แจ้งว่า: {said})",
    "Facebook is not set up on the relay yet: enter the app secret and the Page access token "
    "and press Save and connect.": "ยังไม่ได้ตั้งค่า Facebook บนรีเลย์ ใส่ App secret และ Page access token แล้วกด “บันทึกและเชื่อมต่อ”",
    "Facebook refused the Page access token (it expired or was copied wrong). Generate a new "
    "one in Messenger → Settings → Access tokens, paste it and press Save and connect.": "Facebook ไม่รับ Page access token (หมดอายุหรือคัดลอกมาไม่ครบ) สร้างโทเค็นใหม่ที่ Messenger → Settings → Access tokens วางแล้วกด “บันทึกและเชื่อมต่อ”",
    "The app secret is wrong: it is not the secret of the app this Page access token belongs "
    "to. Copy it again from App settings → Basic and press Save and connect.": "App secret ไม่ถูกต้อง: ไม่ใช่ secret ของแอปที่ออก Page access token นี้ คัดลอกใหม่จาก App settings → Basic แล้วกด “บันทึกและเชื่อมต่อ”",
    "The token and secret are right, but your Meta app does not receive the Page's messages "
    "yet. In Messenger → Settings → Webhooks, subscribe the Page “{page}” to: {fields}.": "โทเค็นและ secret ถูกต้องแล้ว แต่แอป Meta ยังไม่ได้รับข้อความของเพจ ไปที่ Messenger → Settings → Webhooks แล้วให้เพจ “{page}” สมัครรับ: {fields}",
    "Almost done: the Page “{page}” is connected, but some webhook fields are not subscribed. "
    "In Messenger → Settings → Webhooks, also subscribe to: {fields}.": "ใกล้เสร็จแล้ว เพจ “{page}” เชื่อมต่อแล้ว แต่ยังไม่ได้สมัครรับบางฟิลด์ ไปที่ Messenger → Settings → Webhooks แล้วสมัครรับเพิ่ม: {fields}",
    "Facebook refused the check. Make sure the token is a Page access token of this Page, made "
    "in the same app, with the Messenger permissions.": "Facebook ปฏิเสธการตรวจสอบ ตรวจดูว่าโทเค็นเป็น Page access token ของเพจนี้ สร้างจากแอปเดียวกัน และได้รับสิทธิ์ของ Messenger",
    "The relay could not reach Facebook. Check the relay's internet connection, then press "
    "Verify again.": "รีเลย์ติดต่อ Facebook ไม่ได้ ตรวจสอบอินเทอร์เน็ตของรีเลย์ แล้วกด “ตรวจสอบ” อีกครั้ง",
    "Facebook is not answering right now. Nothing is wrong with your settings: try again in a "
    "few minutes.": "ตอนนี้ Facebook ไม่ตอบ การตั้งค่าของร้านไม่มีปัญหา ลองใหม่อีกสักครู่",
}
