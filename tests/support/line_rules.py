"""What LINE's Messaging API accepts in a reply or push request, written from LINE's reference
(developers.line.biz/en/reference/messaging-api/ and /docs/messaging-api/text-character-count/)
independently of the relay's code, with the official ``line-bot-sdk`` models as the schema.

``problems`` answers like LINE: a list of ``{"message", "property"}`` details, empty when LINE
would take the request. The stand-in LINE server answers 400 with
``{"message": "The request body has N error(s)", "details": [...]}`` when it is not.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import regex
from linebot.v3.messaging import Message, PushMessageRequest, ReplyMessageRequest

TEXT_UNITS = 5000
ALT_TEXT_UNITS = 1500
LABEL_GRAPHEMES = 20
DISPLAY_GRAPHEMES = 300
DATA_UNITS = 300
URI_CHARS = 1000
IMAGE_URL_CHARS = 2000
FLEX_BYTES = 50_000
CAROUSEL_BUBBLES = 12
QUICK_REPLY_ITEMS = 13
MESSAGES = 5


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def grapheme_count(text: str) -> int:
    return len(regex.findall(r"\X", text))


Detail = dict[str, str]


def problems(path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
    """(status, error body) LINE would answer for this request, or (200, {}) when it takes it.
    ``path`` is /v2/bot/message/push or /v2/bot/message/reply."""
    if not headers.get("Authorization", "").startswith("Bearer "):
        return 401, {"message": "Authorization header required. Must follow the scheme"}
    if not headers.get("Content-Type", "").startswith("application/json"):
        return 415, {"message": "Content-Type must be application/json"}
    key = headers.get("X-Line-Retry-Key")
    if key is not None:
        if path.endswith("/reply"):
            return 400, {"message": "X-Line-Retry-Key is not supported for this API"}
        try:
            uuid.UUID(key)
        except ValueError:
            return 400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}
    try:
        body = json.loads(raw)
    except ValueError:
        return 400, {"message": "The request body could not be parsed as JSON"}
    details = _request(path, body)
    if details:
        return 400, {"message": f"The request body has {len(details)} error(s)", "details": details}
    return 200, {}


def _request(path: str, body: Any) -> list[Detail]:
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return [{"message": "must be specified", "property": "messages"}]
    messages = body["messages"]
    if not 1 <= len(messages) <= MESSAGES:
        return [{"message": f"Size must be between 1 and {MESSAGES}", "property": "messages"}]
    details: list[Detail] = []
    for i, m in enumerate(messages):
        details += _message(m, f"messages[{i}]")
    if details:
        return details
    model = ReplyMessageRequest if path.endswith("/reply") else PushMessageRequest
    try:
        model.from_dict(body)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        return [{"message": str(exc).splitlines()[0][:200], "property": "to"}]
    return []


def _message(m: Any, where: str) -> list[Detail]:
    try:
        Message.from_dict(m)  # LINE's schema: types, required properties, enums
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return [{"message": str(exc).splitlines()[0][:200], "property": where}]
    out: list[Detail] = []

    def bad(prop: str, msg: str) -> None:
        out.append({"message": msg, "property": f"{where}.{prop}"})

    kind = m["type"]
    if kind == "text" and not 1 <= utf16(m["text"]) <= TEXT_UNITS:
        bad("text", f"Length must be between 0 and {TEXT_UNITS}")
    if kind == "image":
        for key in ("originalContentUrl", "previewImageUrl"):
            url = m[key]
            if not url.startswith("https://") or len(url) > IMAGE_URL_CHARS:
                bad(key, "must be an HTTPS URL of at most 2000 characters")
    if kind == "flex":
        if not 1 <= utf16(m["altText"]) <= ALT_TEXT_UNITS:
            bad("altText", f"Length must be between 1 and {ALT_TEXT_UNITS}")
        size = len(json.dumps(m["contents"], ensure_ascii=False, separators=(",", ":")).encode())
        if size > FLEX_BYTES:
            bad("contents", "The flex message is too large")
        bubbles = m["contents"].get("contents")
        if m["contents"]["type"] == "carousel" and len(bubbles) > CAROUSEL_BUBBLES:
            bad("contents.contents", f"Size must be between 1 and {CAROUSEL_BUBBLES}")
    quick = m.get("quickReply")
    if quick is not None and not 1 <= len(quick.get("items", [])) <= QUICK_REPLY_ITEMS:
        bad("quickReply.items", f"Size must be between 1 and {QUICK_REPLY_ITEMS}")
    for prop, action in _actions(m, ""):
        for key, msg in _action(action):
            out.append({"message": msg, "property": f"{where}{prop}.{key}"})
    return out


def _actions(node: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    """Every action object under ``node``, with its property path."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}"
            if key == "action" and isinstance(value, dict):
                found.append((sub, value))
            else:
                found += _actions(value, sub)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _actions(value, f"{path}[{i}]")
    return found


def _action(a: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    label = a.get("label")
    if label is not None and grapheme_count(label) > LABEL_GRAPHEMES:
        out.append(("label", f"Length must be between 0 and {LABEL_GRAPHEMES}"))
    if a.get("type") == "postback":
        if utf16(a.get("data", "")) > DATA_UNITS:
            out.append(("data", f"Length must be between 0 and {DATA_UNITS}"))
        if grapheme_count(a.get("displayText", "")) > DISPLAY_GRAPHEMES:
            out.append(("displayText", f"Length must be between 0 and {DISPLAY_GRAPHEMES}"))
    if a.get("type") == "message" and not 1 <= grapheme_count(a["text"]) <= DISPLAY_GRAPHEMES:
        out.append(("text", f"Length must be between 1 and {DISPLAY_GRAPHEMES}"))
    if a.get("type") == "uri":
        uri = a.get("uri", "")
        if len(uri) > URI_CHARS or not uri.startswith(("https://", "http://", "line://", "tel:")):
            out.append(("uri", "invalid uri"))
    return out
