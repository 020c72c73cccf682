/*! MiniChat widget — one file, no build step, no framework. Everything lives in a Shadow DOM.
 * Embed: <script src="https://RELAY/widget.js" data-shop="SHOP_ID" async></script>
 * Protocol: docs/protocol.md (version 1). Text from shoppers and shops is only ever set with
 * textContent, never parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-shop][src*='widget.js']");
  if (!script || window.__minichatWidget) return;
  var SHOP = script.getAttribute("data-shop") || "";
  var BASE = new URL(script.src, location.href).origin;
  var WS_URL = BASE.replace(/^http/, "ws") + "/ws/widget?shop=" + encodeURIComponent(SHOP);
  var KEY = "minichat:" + SHOP;
  var MAX_UPLOAD = 10 * 1024 * 1024;  // the relay's limit (protocol MAX_IMAGE_BYTES)
  var IMAGE_TYPES = { "image/jpeg": 1, "image/png": 1, "image/webp": 1 };
  var MAX_TEXT = 5000; // UTF-16 units (String.length), as the relay and LINE count
  // a message not accepted this long after it went goes again (the relay keeps an id once):
  // its commit may have failed (a full disk) while the socket stayed open
  var RESEND_MS = 5000;

  var T = {
    th: {
      open: "แชทกับร้าน", close: "ปิดแชท", online: "ออนไลน์ ตอบเร็ว", away: "ร้านไม่อยู่ในขณะนี้",
      placeholder: "พิมพ์ข้อความ…", send: "ส่ง", attach: "แนบรูปหรือสลิปโอนเงิน", typing: "ร้านกำลังพิมพ์",
      reconnecting: "กำลังเชื่อมต่อใหม่…", leavePhone: "ฝากเบอร์โทรให้ร้านติดต่อกลับ",
      name: "ชื่อ (ไม่บังคับ)", phone: "เบอร์โทรศัพท์", note: "ข้อความถึงร้าน (ไม่บังคับ)", submit: "ส่งเบอร์โทร",
      cancel: "ยกเลิก", thanks: "ขอบคุณค่ะ ร้านจะติดต่อกลับโดยเร็วที่สุด", badPhone: "กรุณากรอกเบอร์โทร เช่น 0812345678",
      badType: "รองรับเฉพาะรูป JPG, PNG หรือ WEBP", tooBig: "รูปใหญ่เกิน 10 MB", uploadFail: "อัปโหลดรูปไม่สำเร็จ ลองอีกครั้ง",
      sent: "ส่งแล้ว", delivered: "ร้านได้รับแล้ว", read: "ร้านอ่านแล้ว", failed: "ส่งไม่สำเร็จ", retry: "ส่งใหม่",
      why: { bad_frame: "ข้อความนี้มีตัวอักษรที่ส่งไม่ได้", too_large: "ข้อความยาวเกินไป", not_found: "รูปหายไป กรุณาแนบใหม่",
        forbidden: "ส่งถึงร้านนี้ไม่ได้", unavailable: "ร้านยังไม่พร้อมรับข้อความ", other: "ระบบขัดข้อง" },
      cart: "ตะกร้า", subtotal: "รวม", discount: "ส่วนลด", shipping: "ค่าส่ง", total: "ยอดสุทธิ", pieces: "ชิ้น",
      order: "คำสั่งซื้อ", tracking: "เลขพัสดุ", track: "ติดตามพัสดุ", outOfStock: "สินค้าหมด",
      takeoverStarted: "แอดมินเข้ามาดูแลคุณแล้ว", takeoverEnded: "แอดมินออกจากการสนทนา ผู้ช่วยอัตโนมัติดูแลต่อ",
      contactSent: "ฝากเบอร์โทร", lang: "EN", langLabel: "Switch to English", slip: "รูปภาพ", powered: "MiniChat",
      status: { pending: "รอดำเนินการ", awaiting_payment: "รอชำระเงิน", paid: "ชำระเงินแล้ว", packed: "แพ็กสินค้าแล้ว",
        shipped: "จัดส่งแล้ว", delivered: "ได้รับสินค้าแล้ว", cancelled: "ยกเลิกแล้ว" }
    },
    en: {
      open: "Chat with the shop", close: "Close chat", online: "Online, replies fast", away: "We're away right now",
      placeholder: "Type a message…", send: "Send", attach: "Attach a photo or payment slip", typing: "The shop is typing",
      reconnecting: "Reconnecting…", leavePhone: "Leave your phone number for a call back",
      name: "Name (optional)", phone: "Phone number", note: "Message (optional)", submit: "Send number",
      cancel: "Cancel", thanks: "Thank you! The shop will call you back soon.", badPhone: "Enter a phone number like 0812345678",
      badType: "Only JPG, PNG or WEBP pictures", tooBig: "Picture is larger than 10 MB", uploadFail: "Upload failed, please try again",
      sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent", retry: "Retry",
      why: { bad_frame: "it holds characters that can't be sent", too_large: "it is too long", not_found: "the picture is gone, attach it again",
        forbidden: "this shop can't take it", unavailable: "the shop can't take messages yet", other: "something went wrong" },
      cart: "Cart", subtotal: "Subtotal", discount: "Discount", shipping: "Shipping", total: "Total", pieces: "pcs",
      order: "Order", tracking: "Tracking no.", track: "Track parcel", outOfStock: "Out of stock",
      takeoverStarted: "A shop assistant has joined the chat", takeoverEnded: "The assistant left; the shop's bot continues",
      contactSent: "Call-back request", lang: "ไทย", langLabel: "เปลี่ยนเป็นภาษาไทย", slip: "Picture", powered: "MiniChat",
      status: { pending: "Pending", awaiting_payment: "Awaiting payment", paid: "Paid", packed: "Packed",
        shipped: "Shipped", delivered: "Delivered", cancelled: "Cancelled" }
    }
  };

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    ".mc{--c:#06C755;--on:#fff;position:fixed;bottom:20px;right:20px;z-index:2147483000;font:15px/1.5 'Sarabun','Noto Sans Thai','Leelawadee UI','Thonburi','Loma','Garuda',Tahoma,system-ui,sans-serif;color:#1f2933;-webkit-font-smoothing:antialiased}",
    ".mc.left{right:auto;left:20px}",
    "button,input,textarea{font:inherit;color:inherit}",
    "button{cursor:pointer}",
    ":focus-visible{outline:3px solid #1a73e8;outline-offset:2px}",
    ".launch{width:60px;height:60px;border-radius:50%;border:0;background:var(--c);color:var(--on);box-shadow:0 6px 20px rgba(0,0,0,.22);display:flex;align-items:center;justify-content:center;position:relative;transition:transform .15s}",
    ".launch:hover{transform:scale(1.06)}",
    ".launch svg{width:28px;height:28px;fill:currentColor}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#e02424;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid #fff}",
    ".teaser{position:absolute;bottom:72px;right:0;width:260px;background:#fff;border-radius:14px;padding:12px 14px;box-shadow:0 8px 28px rgba(0,0,0,.16);font-size:14px;cursor:pointer}",
    ".left .teaser{right:auto;left:0}",
    ".panel{position:absolute;bottom:76px;right:0;width:380px;height:min(640px,calc(100vh - 110px));background:#fff;border-radius:18px;box-shadow:0 12px 48px rgba(0,0,0,.24);display:flex;flex-direction:column;overflow:hidden}",
    ".left .panel{right:auto;left:0}",
    ".hidden{display:none!important}",
    ".head{background:var(--c);color:var(--on);padding:14px 14px 14px 16px;display:flex;align-items:center;gap:12px;flex:none}",
    ".avatar{width:40px;height:40px;border-radius:50%;background:rgba(255,255,255,.25);display:flex;align-items:center;justify-content:center;font-weight:700;font-size:18px;overflow:hidden;flex:none}",
    ".avatar img{width:100%;height:100%;object-fit:cover}",
    ".who{flex:1;min-width:0}",
    ".who b{display:block;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".who span{font-size:12.5px;opacity:.92;display:flex;align-items:center;gap:6px}",
    ".dot{width:8px;height:8px;border-radius:50%;background:#7CFC9A;box-shadow:0 0 0 2px rgba(255,255,255,.5)}",
    ".dot.off{background:#cbd2d9}",
    ".hbtn{background:rgba(255,255,255,.18);border:0;color:inherit;border-radius:10px;height:34px;min-width:34px;padding:0 8px;display:flex;align-items:center;justify-content:center;gap:4px;font-size:13px;font-weight:600;position:relative}",
    ".hbtn svg{width:20px;height:20px;fill:currentColor}",
    ".hbtn .badge{top:-6px;right:-6px;min-width:18px;height:18px;line-height:14px;font-size:11px;padding:0 4px}",
    ".banner{background:#fff8e1;border-bottom:1px solid #f3e3b3;padding:10px 14px;font-size:13.5px;color:#5f4b00;flex:none}",
    ".banner button{margin-top:6px;background:none;border:0;padding:0;color:#8a5a00;font-weight:700;text-decoration:underline}",
    ".conn{background:#eef2f7;color:#52606d;font-size:12.5px;text-align:center;padding:4px;flex:none}",
    ".log{flex:1;overflow-y:auto;padding:14px 12px 6px;background:#f5f7fa;display:flex;flex-direction:column;gap:8px;overscroll-behavior:contain}",
    ".row{display:flex;flex-direction:column;align-items:flex-start;max-width:100%}",
    ".row.me{align-items:flex-end}",
    ".bub{max-width:82%;padding:9px 13px;border-radius:18px;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08);white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}",
    ".me .bub{background:var(--c);color:var(--on);border-bottom-right-radius:6px}",
    ".row:not(.me) .bub{border-bottom-left-radius:6px}",
    ".bub img{display:block;max-width:220px;max-height:260px;border-radius:12px}",
    ".bub.pic{padding:4px;background:transparent;box-shadow:none}",
    ".meta{font-size:11px;color:#7b8794;margin:2px 6px 0;display:flex;gap:4px;align-items:center}",
    ".tick{letter-spacing:-3px;font-weight:700}.tick.read{color:var(--c)}",
    ".fail{color:#c81e1e}.fail button{background:none;border:0;color:#c81e1e;text-decoration:underline;padding:0;font-size:11px}",
    ".sys{align-self:center;font-size:12.5px;color:#52606d;background:#e4e7eb;border-radius:12px;padding:4px 12px;text-align:center;max-width:90%}",
    ".cards{display:flex;gap:10px;overflow-x:auto;max-width:100%;padding:2px 2px 8px;scroll-snap-type:x mandatory}",
    ".card{flex:none;width:200px;background:#fff;border-radius:14px;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow:hidden;scroll-snap-align:start;display:flex;flex-direction:column}",
    ".card img{width:200px;height:150px;object-fit:cover;background:#eef2f7;display:block}",
    ".card .noimg{height:72px;display:flex;align-items:center;justify-content:center;color:var(--c);background:linear-gradient(135deg,#f5f7fa,#e4e7eb)}",
    ".card .noimg svg{width:34px;height:34px;fill:currentColor;opacity:.55}",
    ".card .cb{padding:10px 12px 4px;flex:1}",
    ".card h4{margin:0 0 2px;font-size:14.5px;line-height:1.35;font-weight:600;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}",
    ".card p{margin:0;font-size:12.5px;color:#616e7c}",
    ".price{font-weight:700;color:var(--c);font-size:16px;margin-top:4px;filter:brightness(.85)}",
    ".price s{color:#9aa5b1;font-weight:400;font-size:12.5px;margin-left:6px}",
    ".oos{color:#c81e1e;font-size:12px;font-weight:600}",
    ".acts{display:flex;flex-direction:column;gap:6px;padding:8px 12px 12px}",
    ".act{border:1.5px solid var(--c);background:#fff;color:#1f2933;border-radius:10px;padding:6px 10px;font-size:13.5px;font-weight:600}",
    ".act.pri{background:var(--c);color:var(--on)}",
    ".box{background:#fff;border-radius:14px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px 14px;width:82%;max-width:300px}",
    ".box h4{margin:0 0 8px;font-size:14.5px}",
    ".line{display:flex;justify-content:space-between;gap:10px;font-size:13.5px;padding:2px 0}",
    ".line.tot{font-weight:700;border-top:1px solid #e4e7eb;margin-top:6px;padding-top:6px}",
    ".pill{display:inline-block;background:var(--c);color:var(--on);border-radius:10px;padding:1px 10px;font-size:12.5px;font-weight:600}",
    ".box .acts{padding:10px 0 0}",
    ".quick{display:flex;flex-wrap:wrap;gap:6px;padding:6px 12px 8px;background:#f5f7fa;flex:none}",
    ".chip{border:1.5px solid var(--c);background:#fff;border-radius:16px;padding:4px 12px;font-size:13.5px}",
    ".typing{align-self:flex-start;background:#fff;border-radius:18px;padding:10px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08);display:flex;gap:4px}",
    ".typing i{width:7px;height:7px;border-radius:50%;background:#9aa5b1;animation:b 1.2s infinite}",
    ".typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}",
    "@keyframes b{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}",
    ".form{padding:12px 14px;border-top:1px solid #e4e7eb;background:#fff;display:flex;flex-direction:column;gap:8px;flex:none}",
    ".form b{font-size:14px}",
    ".form input,.form textarea{border:1px solid #cbd2d9;border-radius:10px;padding:8px 10px;font-size:14px;width:100%;background:#fff}",
    ".form .err{color:#c81e1e;font-size:12.5px}",
    ".form .btns{display:flex;gap:8px;justify-content:flex-end}",
    ".form button{border-radius:10px;padding:7px 14px;border:0;font-weight:600}",
    ".form .ok{background:var(--c);color:var(--on)}.form .no{background:#eef2f7}",
    ".bar{display:flex;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid #e4e7eb;background:#fff;flex:none}",
    ".bar textarea{flex:1;resize:none;border:1px solid #cbd2d9;border-radius:20px;padding:9px 14px;max-height:120px;min-height:42px;line-height:1.4;font-size:15px;background:#fff}",
    ".ibtn{width:42px;height:42px;flex:none;border-radius:50%;border:0;background:#eef2f7;color:#52606d;display:flex;align-items:center;justify-content:center}",
    ".ibtn svg{width:22px;height:22px;fill:currentColor}",
    ".ibtn.send{background:var(--c);color:var(--on)}",
    ".note{font-size:12px;color:#c81e1e;padding:0 14px 6px;background:#fff;flex:none}",
    ".foot{font-size:10.5px;color:#9aa5b1;text-align:center;padding:0 0 6px;background:#fff;flex:none}",
    "@media (max-width:480px){.mc{bottom:14px;right:14px}.mc.left{left:14px}.panel{position:fixed;inset:0;width:100%;height:100%;border-radius:0}.mc.open .launch{display:none}.bub img{max-width:70vw}.box{width:90%}}",
    "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}"
  ].join("\n");

  var ICON = {
    chat: "M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.4 6.1L4.6 21l4.2-2.3c1 .2 2.1.3 3.2.3 5.5 0 10-3.6 10-8s-4.5-8-10-8z",
    close: "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7l-1.4-1.4L9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z",
    send: "M3.4 20.4 20.9 12 3.4 3.6 3.4 10.1 15.9 12 3.4 13.9z",
    clip: "M16.5 6.5v11a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v12.5a6 6 0 0 0 12 0v-11z",
    bag: "M18 6h-2a4 4 0 0 0-8 0H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2zm-6-2a2 2 0 0 1 2 2h-4a2 2 0 0 1 2-2zm6 16H6V8h2v2h2V8h4v2h2V8h2z",
    cart: "M7 18a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm10 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4zM7.2 14.8h9.9c.8 0 1.4-.4 1.7-1.1L22 6H5.2l-.9-2H1v2h2l3.6 7.6-1.3 2.4C4.6 17.3 5.6 19 7 19h12v-2H7.4z"
  };

  // ---- small helpers
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function svg(path) {
    var ns = "http://www.w3.org/2000/svg", s = document.createElementNS(ns, "svg"), p = document.createElementNS(ns, "path");
    s.setAttribute("viewBox", "0 0 24 24"); s.setAttribute("aria-hidden", "true"); p.setAttribute("d", path); s.appendChild(p);
    return s;
  }
  function safeUrl(u) {
    try { var x = new URL(u, BASE); return (x.protocol === "https:" || x.protocol === "http:") ? x.href : null; }
    catch (e) { return null; }
  }
  function baht(s) {
    var neg = s < 0; s = Math.abs(s);
    var b = Math.floor(s / 100), st = s % 100;
    return (neg ? "-" : "") + "฿" + b.toLocaleString("en-US") + (st ? "." + (st < 10 ? "0" : "") + st : "");
  }
  function uid() {
    if (window.crypto && crypto.randomUUID) return "w-" + crypto.randomUUID();
    return "w-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  // Text as the relay takes it: no lone surrogates (a broken emoji becomes U+FFFD), and at most
  // `max` UTF-16 units cut between graphemes (Intl.Segmenter), else between code points.
  function wellFormed(s) {
    if (s.toWellFormed) return s.toWellFormed();
    return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/g, function (m, before) {
      return (before || "") + "\uFFFD";
    });
  }
  function cut(s, max) {
    s = wellFormed(s);
    if (s.length <= max) return s;
    if (window.Intl && Intl.Segmenter && window.Symbol) {
      var it = new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s)[Symbol.iterator](), n = 0, r;
      while (!(r = it.next()).done && n + r.value.segment.length <= max) n += r.value.segment.length;
      return s.slice(0, n);
    }
    var end = max, c = s.charCodeAt(end - 1);
    if (c >= 0xD800 && c <= 0xDBFF) end--;
    return s.slice(0, end);
  }
  function load(k, d) { try { var v = localStorage.getItem(KEY + ":" + k); return v == null ? d : JSON.parse(v); } catch (e) { return d; } }
  function save(k, v) { try { localStorage.setItem(KEY + ":" + k, JSON.stringify(v)); } catch (e) { /* private mode */ } }
  function contrast(hex) {
    var n = parseInt(hex.slice(1), 16), r = n >> 16 & 255, g = n >> 8 & 255, b = n & 255;
    return (0.299 * r + 0.587 * g + 0.114 * b) > 170 ? "#111" : "#fff";
  }

  // ---- state
  var st = {
    session: load("session", null), conv: null, config: null, presence: "online", lang: load("lang", null),
    items: {}, order: [], lastSeq: 0, lastShopSeq: 0, readSeq: load("read", 0), open: false,
    outbox: load("outbox", []), ws: null, backoff: 1000, retryTimer: null, typingTimer: null, resendTimer: null,
    sentTyping: 0, cart: 0, stopped: false, connected: false, welcomed: false
  };

  // ---- DOM
  var host = el("div");
  host.setAttribute("data-minichat", SHOP);
  var root = host.attachShadow({ mode: "open" });
  var style = el("style"); style.textContent = CSS; root.appendChild(style);
  var wrap = el("div", "mc"); root.appendChild(wrap);

  var panel = el("div", "panel hidden");
  panel.setAttribute("role", "dialog"); panel.setAttribute("aria-modal", "false");
  var head = el("div", "head");
  var avatar = el("div", "avatar");
  var who = el("div", "who"), nameEl = el("b"), statusEl = el("span"), dot = el("i", "dot"), statusText = el("span");
  statusEl.appendChild(dot); statusEl.appendChild(statusText); who.appendChild(nameEl); who.appendChild(statusEl);
  var cartBtn = el("button", "hbtn hidden"); cartBtn.type = "button"; cartBtn.appendChild(svg(ICON.cart));
  var cartBadge = el("span", "badge"); cartBtn.appendChild(cartBadge);
  var langBtn = el("button", "hbtn"); langBtn.type = "button";
  var closeBtn = el("button", "hbtn"); closeBtn.type = "button"; closeBtn.appendChild(svg(ICON.close));
  head.appendChild(avatar); head.appendChild(who); head.appendChild(cartBtn); head.appendChild(langBtn); head.appendChild(closeBtn);
  var banner = el("div", "banner hidden"), bannerText = el("div"), bannerBtn = el("button");
  bannerBtn.type = "button"; banner.appendChild(bannerText); banner.appendChild(bannerBtn);
  var conn = el("div", "conn hidden");
  conn.setAttribute("role", "status");
  var log = el("div", "log"); log.setAttribute("role", "log"); log.setAttribute("aria-live", "polite");
  var typingEl = el("div", "typing hidden"); typingEl.appendChild(el("i")); typingEl.appendChild(el("i")); typingEl.appendChild(el("i"));
  var quick = el("div", "quick hidden");
  var form = el("form", "form hidden"); form.noValidate = true;
  var formTitle = el("b"), fName = el("input"), fPhone = el("input"), fNote = el("textarea"), fErr = el("div", "err");
  fPhone.type = "tel"; fPhone.autocomplete = "tel"; fPhone.inputMode = "tel"; fName.autocomplete = "name"; fNote.rows = 2;
  fName.maxLength = 100; fPhone.maxLength = 20; fNote.maxLength = 1000;
  var fBtns = el("div", "btns"), fCancel = el("button", "no"), fOk = el("button", "ok");
  fCancel.type = "button"; fOk.type = "submit"; fBtns.appendChild(fCancel); fBtns.appendChild(fOk);
  [formTitle, fName, fPhone, fNote, fErr, fBtns].forEach(function (x) { form.appendChild(x); });
  var note = el("div", "note hidden"); note.setAttribute("role", "alert");
  var bar = el("div", "bar");
  var file = el("input"); file.type = "file"; file.accept = "image/jpeg,image/png,image/webp"; file.className = "hidden";
  var attach = el("button", "ibtn"); attach.type = "button"; attach.appendChild(svg(ICON.clip));
  var input = el("textarea"); input.rows = 1; input.maxLength = MAX_TEXT;
  var sendBtn = el("button", "ibtn send"); sendBtn.type = "button"; sendBtn.appendChild(svg(ICON.send));
  bar.appendChild(file); bar.appendChild(attach); bar.appendChild(input); bar.appendChild(sendBtn);
  var foot = el("div", "foot");
  [head, banner, conn, log, quick, form, note, bar, foot].forEach(function (x) { panel.appendChild(x); });

  var teaser = el("div", "teaser hidden");
  var launch = el("button", "launch"); launch.type = "button"; launch.appendChild(svg(ICON.chat));
  launch.setAttribute("aria-expanded", "false");
  var unreadBadge = el("span", "badge hidden"); launch.appendChild(unreadBadge);
  wrap.appendChild(panel); wrap.appendChild(teaser); wrap.appendChild(launch);

  function t(k) { return T[lang()][k]; }
  function lang() { return st.lang || (st.config && st.config.language) || ((navigator.language || "th").slice(0, 2) === "en" ? "en" : "th"); }
  function welcomeText() { var c = st.config || {}; return lang() === "en" ? c.welcome_en : c.welcome_th; }
  function awayText() { var c = st.config || {}; return lang() === "en" ? c.away_en : c.away_th; }

  function applyConfig() {
    var c = st.config || {};
    var color = /^#[0-9a-fA-F]{6}$/.test(c.color || "") ? c.color : "#06C755";
    wrap.style.setProperty("--c", color); wrap.style.setProperty("--on", contrast(color));
    wrap.classList.toggle("left", c.position === "left");
    nameEl.textContent = c.shop_name || "";
    avatar.textContent = "";
    var logo = c.logo_url && safeUrl(c.logo_url);
    if (logo) { var img = el("img"); img.src = logo; img.alt = ""; avatar.appendChild(img); }
    else avatar.textContent = (c.shop_name || "?").trim().charAt(0);
    applyTexts();
  }
  function applyTexts() {
    var online = st.presence === "online";
    launch.setAttribute("aria-label", t("open") + (st.config ? " — " + st.config.shop_name : ""));
    panel.setAttribute("aria-label", st.config ? st.config.shop_name : t("open"));
    statusText.textContent = online ? t("online") : t("away");
    dot.classList.toggle("off", !online);
    closeBtn.setAttribute("aria-label", t("close")); closeBtn.title = t("close");
    langBtn.textContent = t("lang"); langBtn.setAttribute("aria-label", t("langLabel")); langBtn.setAttribute("lang", lang() === "th" ? "en" : "th");
    cartBtn.setAttribute("aria-label", t("cart"));
    attach.setAttribute("aria-label", t("attach")); attach.title = t("attach");
    sendBtn.setAttribute("aria-label", t("send")); sendBtn.title = t("send");
    input.placeholder = t("placeholder"); input.setAttribute("aria-label", t("placeholder"));
    banner.classList.toggle("hidden", online);
    bannerText.textContent = awayText() || t("away");
    bannerBtn.textContent = t("leavePhone");
    formTitle.textContent = t("leavePhone");
    fName.placeholder = t("name"); fName.setAttribute("aria-label", t("name"));
    fPhone.placeholder = t("phone"); fPhone.setAttribute("aria-label", t("phone"));
    fNote.placeholder = t("note"); fNote.setAttribute("aria-label", t("note"));
    fCancel.textContent = t("cancel"); fOk.textContent = t("submit");
    typingEl.setAttribute("aria-label", t("typing"));
    conn.textContent = t("reconnecting");
    foot.textContent = t("powered");
    teaser.textContent = welcomeText() || "";
    host.setAttribute("lang", lang());
    render();
  }

  // ---- rendering
  function button(b, cls) {
    var x = el("button", cls, b.label); x.type = "button";
    x.addEventListener("click", function () { press(b); });
    return x;
  }
  function press(b) {
    if (b.action === "url") { var u = safeUrl(b.url); if (u) window.open(u, "_blank", "noopener,noreferrer"); return; }
    if (b.action === "message") { send({ kind: "text", text: b.text }); return; }
    send({ kind: "postback", data: b.data, label: b.label });
  }
  function cardEl(c) {
    var card = el("div", "card"), url = c.image_url && safeUrl(c.image_url);
    if (url) { var img = el("img"); img.src = url; img.alt = c.title; img.loading = "lazy"; card.appendChild(img); }
    else { var ph = el("div", "noimg"); ph.appendChild(svg(ICON.bag)); card.appendChild(ph); }
    var cb = el("div", "cb"); cb.appendChild(el("h4", null, c.title));
    if (c.subtitle) cb.appendChild(el("p", null, c.subtitle));
    var price = el("div", "price", baht(c.price_satang));
    if (c.compare_at_satang && c.compare_at_satang > c.price_satang) price.appendChild(el("s", null, baht(c.compare_at_satang)));
    cb.appendChild(price);
    if (c.in_stock === false) cb.appendChild(el("div", "oos", t("outOfStock")));
    card.appendChild(cb);
    if (c.buttons && c.buttons.length) {
      var acts = el("div", "acts");
      c.buttons.forEach(function (b, i) { acts.appendChild(button(b, i === 0 ? "act pri" : "act")); });
      card.appendChild(acts);
    }
    return card;
  }
  function lineEl(label, value, cls) {
    var l = el("div", "line" + (cls ? " " + cls : "")); l.appendChild(el("span", null, label)); l.appendChild(el("span", null, value)); return l;
  }
  function bodyEl(m, mine) {
    var k = m.kind, b;
    if (k === "text") return el("div", "bub", m.text);
    if (k === "image") {
      b = el("div", "bub pic"); var u = m.url && safeUrl(m.url);
      if (u) {
        var img = el("img"); img.src = u; img.alt = m.caption || t("slip"); img.tabIndex = 0; img.style.cursor = "zoom-in";
        var openFull = function () { window.open(u, "_blank", "noopener,noreferrer"); };
        img.addEventListener("click", openFull);
        img.addEventListener("keydown", function (e) { if (e.key === "Enter") openFull(); });
        b.appendChild(img);
      }
      else b.appendChild(el("span", null, "[" + t("slip") + "]"));
      if (m.caption) b.appendChild(el("div", null, m.caption));
      return b;
    }
    if (k === "product_card" || k === "carousel") {
      var wrapc = el("div"), cards = el("div", "cards");
      if (m.text) wrapc.appendChild(el("div", "bub", m.text));
      (k === "carousel" ? m.cards : [m.card]).forEach(function (c) { cards.appendChild(cardEl(c)); });
      wrapc.appendChild(cards); wrapc.style.maxWidth = "100%";
      return wrapc;
    }
    if (k === "buttons") {
      b = el("div", "box"); b.appendChild(el("div", null, m.text));
      var acts = el("div", "acts");
      m.buttons.forEach(function (x, i) { acts.appendChild(button(x, i === 0 ? "act pri" : "act")); });
      b.appendChild(acts); return b;
    }
    if (k === "cart") {
      b = el("div", "box"); b.appendChild(el("h4", null, t("cart")));
      m.items.forEach(function (it) { b.appendChild(lineEl(it.name + (it.variant ? " (" + it.variant + ")" : "") + " × " + it.quantity, baht(it.line_total_satang))); });
      b.appendChild(lineEl(t("subtotal"), baht(m.subtotal_satang), "tot"));
      if (m.discount_satang) b.appendChild(lineEl(t("discount"), "-" + baht(Math.abs(m.discount_satang))));
      if (m.shipping_satang) b.appendChild(lineEl(t("shipping"), baht(m.shipping_satang)));
      b.appendChild(lineEl(t("total"), baht(m.total_satang), "tot"));
      if (m.buttons && m.buttons.length) {
        var a2 = el("div", "acts"); m.buttons.forEach(function (x, i) { a2.appendChild(button(x, i === 0 ? "act pri" : "act")); }); b.appendChild(a2);
      }
      return b;
    }
    if (k === "order_status") {
      b = el("div", "box"); b.appendChild(el("h4", null, t("order") + " " + m.order_no));
      b.appendChild(el("span", "pill", m.status_label || T[lang()].status[m.status] || m.status));
      b.appendChild(lineEl(t("total"), baht(m.total_satang), "tot"));
      if (m.tracking_no) b.appendChild(lineEl(t("tracking"), (m.carrier ? m.carrier + " " : "") + m.tracking_no));
      if (m.note) b.appendChild(el("div", null, m.note));
      var tu = m.tracking_url && safeUrl(m.tracking_url);
      if (tu) { var a3 = el("div", "acts"); a3.appendChild(button({ label: t("track"), action: "url", url: tu }, "act")); b.appendChild(a3); }
      return b;
    }
    if (k === "contact") return el("div", "bub", "📞 " + t("contactSent") + ": " + m.phone + (m.name ? " — " + m.name : "") + (m.note ? "\n" + m.note : ""));
    if (k === "postback") return el("div", "bub", m.label || m.data);
    if (k === "sticker") return el("div", "bub", m.text || "[sticker]");
    if (k === "location") return el("div", "bub", "📍 " + (m.title || "") + " " + (m.address || ""));
    return el("div", "bub", "[" + k + "]");
  }
  function metaEl(item) {
    var meta = el("div", "meta"), m = item.message;
    if (m.at) { var d = new Date(m.at); if (!isNaN(d)) meta.appendChild(el("span", null, d.toLocaleTimeString(lang() === "th" ? "th-TH" : "en-GB", { hour: "2-digit", minute: "2-digit" }))); }
    if (item.from === "shopper") {
      if (item.failed) {
        var why = item.failed === true ? "" : (t("why")[item.failed] || t("why").other);
        var f = el("span", "fail", t("failed") + (why ? ": " + why : ""));
        meta.appendChild(f);
        if (item.failed !== "bad_frame" && item.failed !== "too_large") { // sending again can help
          var r = el("button", null, t("retry")); r.type = "button"; f.appendChild(document.createTextNode(" · "));
          r.addEventListener("click", function () { item.out.failed = false; save("outbox", st.outbox); flush(); render(); });
          f.appendChild(r);
        }
      } else {
        var s = item.status || (item.seq ? "sent" : "pending");
        var tick = el("span", "tick" + (s === "read" ? " read" : ""), s === "pending" ? "🕓" : (s === "sent" ? "✓" : "✓✓"));
        tick.title = t(s === "pending" ? "sent" : s); tick.setAttribute("aria-label", tick.title);
        meta.appendChild(tick);
      }
    }
    return meta;
  }
  function render() {
    var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    log.textContent = "";
    var w = welcomeText();
    if (w) { var wr = el("div", "row"); wr.appendChild(el("div", "bub", w)); log.appendChild(wr); }
    var list = st.order.map(function (s) { return st.items[s]; }).concat(st.outbox.map(function (o) {
      return { seq: 0, from: "shopper", message: o.message, failed: o.failed, status: "pending", out: o };
    }));
    var lastShop = null;
    list.forEach(function (item) {
      var m = item.message;
      if (m.kind === "takeover") {
        log.appendChild(el("div", "sys", m.text || (m.state === "started" ? t("takeoverStarted") + (m.agent ? " (" + m.agent + ")" : "") : t("takeoverEnded"))));
        return;
      }
      var row = el("div", "row" + (item.from === "shopper" ? " me" : ""));
      row.appendChild(bodyEl(m, item.from === "shopper")); row.appendChild(metaEl(item));
      log.appendChild(row);
      if (item.from === "shop") lastShop = item; else lastShop = null;
    });
    log.appendChild(typingEl);
    quick.textContent = "";
    var qr = lastShop && lastShop.message.quick_replies;
    if (qr && qr.length) qr.forEach(function (b) { quick.appendChild(button(b, "chip")); });
    quick.classList.toggle("hidden", !(qr && qr.length));
    if (atBottom || st.stick) { log.scrollTop = log.scrollHeight; st.stick = false; }
    cartBtn.classList.toggle("hidden", !st.cart);
    cartBadge.textContent = st.cart;
    var unread = st.open ? 0 : st.order.filter(function (s) { return s > st.readSeq && st.items[s].from === "shop"; }).length;
    unreadBadge.textContent = unread > 99 ? "99+" : unread;
    unreadBadge.classList.toggle("hidden", !unread);
  }

  // ---- protocol
  function wsSend(obj) { if (st.ws && st.ws.readyState === 1) { st.ws.send(JSON.stringify(obj)); return true; } return false; }
  function addItem(item) {
    if (!item || !item.seq || st.items[item.seq]) return;
    st.items[item.seq] = item; st.order.push(item.seq); st.order.sort(function (a, b) { return a - b; });
    st.lastSeq = Math.max(st.lastSeq, item.seq);
    st.outbox = st.outbox.filter(function (o) { return o.message.id !== item.message.id; });
    if (item.from === "shop") {
      st.lastShopSeq = Math.max(st.lastShopSeq, item.seq);
      if (item.message.kind === "cart") st.cart = item.message.items.reduce(function (n, i) { return n + i.quantity; }, 0);
    }
  }
  // With "ride" (docs/adr/0011-fewer-frames.md) ack and read go inside the next send, or alone
  // after ACK_RIDE_MS without one; the shop's ticks move that much later at most.
  var ACK_RIDE_MS = 100;
  function ackAndRead() {
    if (!st.lastShopSeq) return;
    var read = st.open && document.visibilityState === "visible" && st.lastShopSeq > st.readSeq;
    if (read) { st.readSeq = st.lastSeq; save("read", st.readSeq); }
    if (!st.ride) {
      wsSend({ type: "ack", seq: st.lastSeq });
      if (read) wsSend({ type: "read", seq: st.lastSeq });
      return;
    }
    st.due = st.due || {};
    st.due.ack = st.lastSeq;
    if (read) st.due.read = st.lastSeq;
    if (!st.dueTimer) st.dueTimer = setTimeout(ackAlone, ACK_RIDE_MS);
  }
  function takeDue() {
    var d = st.due; st.due = null;
    clearTimeout(st.dueTimer); st.dueTimer = null;
    return d;
  }
  function ackAlone() {
    var d = takeDue();
    if (!d) return;
    wsSend({ type: "ack", seq: d.ack });
    if (d.read) wsSend({ type: "read", seq: d.read });
  }
  function onFrame(f) {
    if (f.type === "welcome") {
      st.session = f.session; save("session", f.session);
      st.ride = (f.features || []).indexOf("ride") >= 0; takeDue();
      if (st.conv && st.conv !== f.conversation) { st.items = {}; st.order = []; st.lastSeq = st.lastShopSeq = 0; }
      if (load("readconv", null) !== f.conversation) { st.readSeq = 0; save("read", 0); save("readconv", f.conversation); }
      st.conv = f.conversation; st.config = f.config; st.presence = f.presence; st.welcomed = true;
      f.history.forEach(addItem); st.backoff = 1000; st.stick = true;
      conn.classList.add("hidden");
      applyConfig(); flush(); ackAndRead();
    } else if (f.type === "message") {
      addItem({ seq: f.seq, from: f.from, message: f.message, status: f.status });
      if (f.from === "shop") { typingEl.classList.add("hidden"); st.stick = true; }
      render(); ackAndRead();
    } else if (f.type === "accepted") {
      var o = st.outbox.filter(function (x) { return x.message.id === f.id; })[0];
      if (o) { if (!o.message.at) o.message.at = new Date().toISOString(); addItem({ seq: f.seq, from: "shopper", message: o.message, status: "sent" }); }
      save("outbox", st.outbox); render();
    } else if (f.type === "receipt") {
      st.order.forEach(function (s) {
        var it = st.items[s];
        if (it.from === "shopper" && f.ids.indexOf(it.message.id) >= 0 && it.status !== "read") it.status = f.status;
      });
      render();
    } else if (f.type === "typing") {
      typingEl.classList.toggle("hidden", !f.state);
      clearTimeout(st.typingTimer);
      if (f.state) st.typingTimer = setTimeout(function () { typingEl.classList.add("hidden"); }, 15000);
      if (f.state) log.scrollTop = log.scrollHeight;
    } else if (f.type === "presence") {
      st.presence = f.state; applyTexts();
    } else if (f.type === "config") {
      st.config = f.config; applyConfig();
    } else if (f.type === "error") {
      // a refused send may have carried our ack and read: they go again (repeating is harmless)
      if (st.ride && st.lastShopSeq) { wsSend({ type: "ack", seq: st.lastSeq }); if (st.readSeq) wsSend({ type: "read", seq: st.readSeq }); }
      var bad = f.ref && st.outbox.filter(function (x) { return x.message.id === f.ref; })[0];
      if (bad && f.code === "rate_limited") { setTimeout(flush, 3000); }
      else if (bad) { bad.failed = f.code || true; save("outbox", st.outbox); render(); }
    }
  }
  function connect() {
    if (st.stopped) return;
    var ws;
    try { ws = new WebSocket(WS_URL); } catch (e) { retry(); return; }
    st.ws = ws;
    ws.onopen = function () {
      var hello = { type: "hello", protocol: [1], after: st.lastSeq, language: lang(), features: ["ride"] };
      if (st.session) hello.session = st.session;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (ev) {
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      // frames riding on this one ("with", only after ride was granted) come first, in order
      var riders = Array.isArray(f.with) ? f.with : [];
      delete f.with;
      riders.forEach(function (r) { if (r && typeof r === "object") onFrame(r); });
      onFrame(f);
    };
    ws.onclose = function (ev) {
      st.ws = null; st.welcomed = false; st.ride = false; takeDue();
      if (ev.code === 4001 || ev.code === 4002) { st.stopped = true; return; } // shop removed; too old: reloading helps, retrying does not
      conn.classList.remove("hidden"); retry();
    };
  }
  function retry() {
    clearTimeout(st.retryTimer);
    var wait = Math.min(st.backoff, 30000) * (0.5 + Math.random());
    st.backoff = Math.min(st.backoff * 2, 30000);
    st.retryTimer = setTimeout(connect, wait);
  }
  function flush() {
    clearTimeout(st.resendTimer);
    if (!st.welcomed) return;
    var waiting = false;
    st.outbox.forEach(function (o) {
      if (o.failed) return;
      waiting = true;
      var f = { type: "send", message: o.message };
      var d = st.ride && takeDue();
      if (d) { f.ack = d.ack; if (d.read) f.read = d.read; }
      wsSend(f);
    });
    if (waiting) st.resendTimer = setTimeout(flush, RESEND_MS);
  }
  function send(body) {
    var m = { id: uid() };
    for (var k in body) if (body[k] != null && body[k] !== "") m[k] = body[k];
    st.outbox.push({ message: m }); save("outbox", st.outbox);
    st.stick = true; render(); flush();
  }

  // ---- actions
  function setOpen(open) {
    st.open = open;
    panel.classList.toggle("hidden", !open); wrap.classList.toggle("open", open);
    teaser.classList.add("hidden");
    launch.setAttribute("aria-expanded", String(open));
    if (open) { st.stick = true; render(); ackAndRead(); input.focus(); } else { render(); launch.focus(); }
  }
  function showNote(text, ok) {
    note.textContent = text; note.classList.remove("hidden"); note.style.color = ok ? "#1f7a3f" : "";
    clearTimeout(st.noteTimer); st.noteTimer = setTimeout(function () { note.classList.add("hidden"); }, 6000);
  }
  function submitText() {
    var v = input.value.replace(/\s+$/, "");
    if (!v.trim()) return;
    send({ kind: "text", text: cut(v, MAX_TEXT) });
    input.value = ""; autosize();
    if (st.sentTyping) { wsSend({ type: "typing", state: false }); st.sentTyping = 0; }
  }
  function autosize() { input.style.height = "auto"; input.style.height = Math.min(input.scrollHeight + 2, 120) + "px"; }
  function magic(bytes) {
    var b = new Uint8Array(bytes);
    if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
    if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
    if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "image/webp";
    return null;
  }
  function upload(f) {
    if (!IMAGE_TYPES[f.type]) { showNote(t("badType")); return; }
    if (f.size > MAX_UPLOAD) { showNote(t("tooBig")); return; }
    f.slice(0, 12).arrayBuffer().then(function (head) {
      if (!magic(head)) { showNote(t("badType")); return null; }
      return fetch(BASE + "/widget/" + encodeURIComponent(SHOP) + "/upload", {
        method: "POST", body: f, headers: { "Authorization": "Bearer " + st.session, "Content-Type": f.type }
      }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (j) { send({ kind: "image", media_id: j.media_id, url: j.url }); });
    }).catch(function () { showNote(t("uploadFail")); });
  }

  launch.addEventListener("click", function () { setOpen(!st.open); });
  teaser.addEventListener("click", function () { setOpen(true); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  langBtn.addEventListener("click", function () { st.lang = lang() === "th" ? "en" : "th"; save("lang", st.lang); applyTexts(); });
  cartBtn.addEventListener("click", function () {
    for (var i = st.order.length - 1; i >= 0; i--) if (st.items[st.order[i]].message.kind === "cart") { log.children[i + 1] && log.children[i + 1].scrollIntoView({ block: "center" }); break; }
  });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.stopPropagation(); setOpen(false); } });
  sendBtn.addEventListener("click", submitText);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitText(); }
  });
  input.addEventListener("input", function () {
    autosize();
    var now = Date.now();
    if (now - st.sentTyping > 3000) { st.sentTyping = now; wsSend({ type: "typing", state: true }); }
  });
  attach.addEventListener("click", function () { file.click(); });
  file.addEventListener("change", function () { if (file.files && file.files[0]) upload(file.files[0]); file.value = ""; });
  bannerBtn.addEventListener("click", function () { form.classList.remove("hidden"); fPhone.focus(); });
  fCancel.addEventListener("click", function () { form.classList.add("hidden"); fErr.textContent = ""; });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var phone = fPhone.value.replace(/[\s-]/g, "");
    if (!/^(\+66|0)[0-9]{8,9}$/.test(phone)) { fErr.textContent = t("badPhone"); fPhone.focus(); return; }
    send({ kind: "contact", phone: phone, name: cut(fName.value.trim(), 100), note: cut(fNote.value.trim(), 1000) });
    form.reset(); fErr.textContent = ""; form.classList.add("hidden"); showNote(t("thanks"), true);
  });
  document.addEventListener("visibilitychange", ackAndRead);

  function start() {
    document.body.appendChild(host);
    fetch(BASE + "/widget/" + encodeURIComponent(SHOP) + "/config").then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (j && !st.config) { st.config = j.config; st.presence = j.presence; applyConfig(); }
        if (j && !load("seen", false) && welcomeText() && !st.open) {
          teaser.classList.remove("hidden"); save("seen", true);
          setTimeout(function () { teaser.classList.add("hidden"); }, 8000);
        }
      }).catch(function () { /* the socket brings the config too */ });
    applyTexts();
    connect();
  }
  window.__minichatWidget = { open: function () { setOpen(true); }, close: function () { setOpen(false); } };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
