"""Thai for the date pickers (ui/date_edit.py)."""

TEXTS = {
    "Type a date such as {example}, or pick one in the calendar": "พิมพ์วันที่ เช่น {example} หรือเลือกจากปฏิทิน",
    "Type a date and time such as {example}, or pick a day in the calendar": "พิมพ์วันที่และเวลา เช่น {example} หรือเลือกวันจากปฏิทิน",
    "Type a month such as {example}": "พิมพ์เดือน เช่น {example}",
}
