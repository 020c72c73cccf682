"""Thai for first-run setup: the checklist (setup_checklist), Settings → Set up
(settings_setup) and the owner-facing Relay page (settings_screen)."""

TEXTS = {
    # the checklist
    "Set up": "เริ่มต้นใช้งาน",
    "Set up your shop": "ตั้งค่าร้านให้พร้อมขาย",
    "Seven steps from installed to selling. Skip any of them and come back later: "
    "the counter works offline without them.": "7 ขั้นจากติดตั้งเสร็จจนพร้อมขาย ข้ามขั้นไหนไปก่อนก็ได้"
    " แล้วค่อยกลับมาทำ หน้าร้านขายแบบออฟไลน์ได้แม้ยังไม่ได้ตั้งค่า",
    "Shop setup: {done} of {total} steps": "ตั้งค่าร้าน {done} จาก {total} ขั้น",
    "All steps": "ดูทุกขั้น",
    "Show on the dashboard": "แสดงในภาพรวม",
    "Review": "ดูอีกครั้ง",
    "Set it up": "ตั้งค่า",
    "Skip for now": "ข้ามไปก่อน",
    "Do it now": "ทำตอนนี้",
    "Done": "เสร็จแล้ว",
    "Skipped for now": "ข้ามไว้ก่อน",
    "To do": "ยังไม่ได้ทำ",
    "Skipped for now: {steps}": "ข้ามไว้ก่อน: {steps}",
    "All set: your shop is ready to sell.": "ตั้งค่าครบแล้ว ร้านของคุณพร้อมขาย",
    "Nothing here is needed to sell at the counter.": "ขายหน้าร้านได้เลยโดยไม่ต้องทำขั้นเหล่านี้ก่อน",
    # the steps
    "Shop profile and tax ID": "ข้อมูลร้านและเลขประจำตัวผู้เสียภาษี",
    "Products": "สินค้า",
    "Chat on your website": "แชทบนเว็บไซต์",
    "Your name, phone and address print on every receipt and tax invoice.": "ชื่อร้าน เบอร์โทร"
    " และที่อยู่จะพิมพ์บนใบเสร็จและใบกำกับภาษีทุกใบ",
    "Customers pay by scanning your QR at the counter and in chats.": "ลูกค้าสแกน QR"
    " จ่ายเงินได้ทั้งที่หน้าร้านและในแชท",
    "Sell at the counter and let the bot answer prices and stock.": "ขายหน้าร้านได้"
    " และให้บอทตอบราคาและสต็อกแทนคุณ",
    "Shoppers on your website chat with you here.": "ลูกค้าที่เข้าเว็บไซต์ของคุณทักแชทมาที่นี่ได้",
    "Answer your LINE Official Account's chats in MiniChat.": "ตอบแชท LINE Official Account"
    " ของร้านใน MiniChat",
    "Receipts and shipping labels come out right the first time.": "ใบเสร็จและใบปะหน้าพัสดุ"
    "พิมพ์ออกมาถูกต้องตั้งแต่ครั้งแรก",
    "Carries website and LINE chats to this computer.": "ส่งแชทจากเว็บไซต์และ LINE มาที่เครื่องนี้",
    # the panels
    "Fill in the shop's name, phone and address. The 13-digit tax ID is checked when you save "
    "(a VAT-registered shop needs it).": "กรอกชื่อร้าน เบอร์โทร และที่อยู่"
    " ระบบตรวจเลขประจำตัวผู้เสียภาษี 13 หลักให้ตอนบันทึก (ร้านที่จด VAT ต้องกรอก)",
    "Open shop profile": "เปิดข้อมูลร้าน",
    "Add your PromptPay ID (the phone number or tax ID your bank linked) in the shop profile; "
    "a test QR for ฿1 then shows here.": "ใส่พร้อมเพย์ของร้าน (เบอร์โทรหรือเลขประจำตัวที่ผูกกับบัญชี)"
    " ในข้อมูลร้าน แล้ว QR ทดสอบ ฿1 จะแสดงที่นี่",
    "Scan this QR with your own banking app. It should show your shop's name and ฿1.00 — you "
    "don't need to pay. If the name is wrong, check the PromptPay ID.": "สแกน QR นี้ด้วยแอปธนาคาร"
    "ของคุณเอง ต้องขึ้นชื่อร้านและยอด ฿1.00 ไม่ต้องโอนจริง ถ้าชื่อไม่ถูกต้อง ให้ตรวจเลขพร้อมเพย์",
    "Import your products from an Excel or CSV file (download the template: Thai headers, two "
    "example rows), or add the first product by hand.": "นำเข้าสินค้าจากไฟล์ Excel หรือ CSV"
    " (ดาวน์โหลดแม่แบบที่มีหัวคอลัมน์ภาษาไทยและตัวอย่าง 2 แถว) หรือเพิ่มสินค้าชิ้นแรกเอง",
    "Import a file…": "นำเข้าไฟล์…",
    "Download the template…": "ดาวน์โหลดแม่แบบ…",
    "Add the first product": "เพิ่มสินค้าชิ้นแรก",
    "Paste this line into your website's HTML, just before </body>. The chat button then shows "
    "on every page.": "วางบรรทัดนี้ใน HTML ของเว็บไซต์ ก่อน </body> แล้วปุ่มแชทจะแสดงทุกหน้า",
    "Send a test message": "ลองส่งข้อความทดสอบ",
    "Allowed websites…": "เว็บไซต์ที่อนุญาต…",
    "Only the websites you allow may show your chat: add your site's address "
    "(e.g. https://www.myshop.com) under Allowed websites.": "แชทจะแสดงได้เฉพาะบนเว็บไซต์ที่อนุญาต"
    " ใส่ที่อยู่เว็บไซต์ของคุณ (เช่น https://www.myshop.com) ในเว็บไซต์ที่อนุญาต",
    "Open the LINE Developers console (https://developers.line.biz) and log in.": "เปิด LINE"
    " Developers console (https://developers.line.biz) แล้วเข้าสู่ระบบ",
    "Create a Messaging API channel for your LINE Official Account.": "สร้างช่อง Messaging API"
    " ให้ LINE Official Account ของร้าน",
    "Copy the channel secret (Basic settings) and issue a channel access token (Messaging API); "
    "enter both here.": "คัดลอก Channel secret (แท็บ Basic settings) และออก Channel access token"
    " (แท็บ Messaging API) แล้วใส่ทั้งสองค่าใน MiniChat",
    "Paste the webhook URL below into Messaging API → Webhook URL.": "วาง Webhook URL ด้านล่าง"
    "ในแท็บ Messaging API → Webhook URL",
    "Turn on “Use webhook”, then press Verify here.": "เปิด “Use webhook” แล้วกดตรวจสอบที่นี่",
    "Enter the channel's keys…": "ใส่รหัสของช่อง LINE…",
    "Verify": "ตรวจสอบ",
    "Asking LINE…": "กำลังถาม LINE…",
    "MiniChat is offline: connect to the relay first (step Relay).": "MiniChat ออฟไลน์อยู่"
    " เชื่อมต่อรีเลย์ก่อน (ขั้นการเชื่อมต่อรีเลย์)",
    "No answer from the relay. Try again in a moment.": "รีเลย์ไม่ตอบ ลองใหม่อีกสักครู่",
    "LINE is not set up on the relay yet: enter the channel secret and access token and press "
    "Save and connect.": "ยังไม่ได้ตั้งค่า LINE บนรีเลย์ ใส่ Channel secret และ Channel access"
    " token แล้วกดบันทึกและเชื่อมต่อ",
    "LINE refused the channel access token. Issue a new one in the LINE Developers console "
    "(Messaging API) and enter it again.": "LINE ไม่รับ Channel access token ออกใหม่ใน LINE"
    " Developers console (แท็บ Messaging API) แล้วใส่อีกครั้ง",
    "The channel secret is wrong: LINE's test message failed the signature check. Copy the "
    "channel secret again from Basic settings.": "Channel secret ไม่ถูกต้อง ข้อความทดสอบจาก LINE"
    " ไม่ผ่านการตรวจลายเซ็น คัดลอก Channel secret ใหม่จากแท็บ Basic settings",
    "LINE could not reach the webhook URL (it got {code}). The relay must be reachable from the "
    "internet over https.": "LINE ส่งไปที่ Webhook URL ไม่สำเร็จ (ได้ผล {code}) รีเลย์ต้องเข้าถึง"
    "ได้จากอินเทอร์เน็ตผ่าน https",
    "The LINE console has another webhook URL. Paste the URL above into Messaging API → Webhook "
    "URL.": "Webhook URL ใน LINE console ไม่ตรงกับของร้าน วาง URL ด้านบนในแท็บ Messaging API →"
    " Webhook URL",
    "Turn on “Use webhook” in the LINE console (Messaging API).": "เปิด “Use webhook” ใน LINE"
    " console (แท็บ Messaging API)",
    "LINE did not answer. Try again in a few minutes.": "LINE ไม่ตอบ ลองใหม่ในอีกไม่กี่นาที",
    "LINE works: chats to {name} come to MiniChat.": "LINE ใช้งานได้ แชทที่ส่งถึง {name}"
    " จะเข้ามาที่ MiniChat",
    "Choose the receipt printer and paper width and the label printer, then print a test on "
    "each to see Thai text and the shop's name come out right.": "เลือกเครื่องพิมพ์ใบเสร็จ"
    " ขนาดกระดาษ และเครื่องพิมพ์ฉลาก แล้วพิมพ์ทดสอบแต่ละเครื่องเพื่อดูว่าภาษาไทยและชื่อร้านออกมาถูกต้อง",
    "Print a test receipt": "พิมพ์ใบเสร็จทดสอบ",
    "Print a test label": "พิมพ์ฉลากทดสอบ",
    "Label printer test page": "หน้าทดสอบเครื่องพิมพ์ฉลาก",
    "Test label sent to the printer.": "ส่งฉลากทดสอบไปที่เครื่องพิมพ์แล้ว",
    "Printer settings…": "ตั้งค่าเครื่องพิมพ์…",
    "MiniChat uses the relay on this computer unless your provider gave you another address. "
    "Test it: it says whether the relay answers, takes your shop's key, and which shop it "
    "is.": "MiniChat ใช้รีเลย์ในเครื่องนี้ เว้นแต่ผู้ให้บริการให้ที่อยู่อื่นมา กดทดสอบเพื่อดูว่า"
    "รีเลย์ตอบไหม รับรหัสร้านไหม และเป็นร้านไหน",
    "Relay settings…": "ตั้งค่ารีเลย์…",
    "Copied.": "คัดลอกแล้ว",
    "Paste the line above into your website and add its address under Allowed websites; this "
    "button then opens it for a test message.": "วางบรรทัดด้านบนในเว็บไซต์ของคุณ"
    " แล้วใส่ที่อยู่เว็บไซต์ในเว็บไซต์ที่อนุญาต จากนั้นปุ่มนี้จะเปิดเว็บไซต์ให้ลองส่งข้อความ",
    "Opened {url}: send a message from the chat button.": "เปิด {url} แล้ว ลองส่งข้อความจากปุ่มแชท",
    "Could not open the browser: open {url}": "เปิดเบราว์เซอร์ไม่ได้ ให้เปิด {url} เอง",
    # the relay page
    "The relay carries chats from your website and LINE to this computer. MiniChat uses the "
    "relay on this computer unless your relay provider gave you an address and a shop "
    "key.": "รีเลย์ส่งแชทจากเว็บไซต์และ LINE มาที่เครื่องนี้ MiniChat ใช้รีเลย์ในเครื่องนี้"
    " เว้นแต่ผู้ให้บริการรีเลย์ให้ที่อยู่และรหัสร้านมา",
    "Use the default": "ใช้ค่าเริ่มต้น",
    "Shop key": "รหัสร้าน",
    "The key your relay provider gave you for this shop (it starts with mcs_). It stays in "
    "this computer's keyring.": "รหัสที่ผู้ให้บริการรีเลย์ให้มาสำหรับร้านนี้ (ขึ้นต้นด้วย mcs_)"
    " เก็บไว้ในที่เก็บรหัสผ่านของเครื่องนี้เท่านั้น",
    "Using the relay on this computer (the default).": "ใช้รีเลย์ในเครื่อง (ค่าเริ่มต้น)",
    "Using your relay provider's address.": "ใช้ที่อยู่ของผู้ให้บริการรีเลย์",
    "Testing…": "กำลังทดสอบ…",
    "The relay answers.": "รีเลย์ตอบกลับ",
    "The relay does not answer: check the address and the internet connection.": "รีเลย์ไม่ตอบ"
    " ตรวจที่อยู่และการเชื่อมต่ออินเทอร์เน็ต",
    "The shop key is accepted.": "รีเลย์รับรหัสร้านแล้ว",
    "The relay refused the shop key: copy it again from your provider.": "รีเลย์ไม่รับรหัสร้าน"
    " คัดลอกรหัสจากผู้ให้บริการอีกครั้ง",
    "Shop: {name}": "ร้าน: {name}",
}
