"""A stand-in for Meta's Graph API (the Send API, ``POST /{version}/me/messages``) and its
attachment CDN on a local aiohttp server in its own thread. It checks every Send API body
against the documented shape and limits (``problems``), keeps Meta's 24-hour window from the
webhooks it posted, answers in Meta's error format, and posts signed webhooks to the relay
(``object: page`` and ``object: instagram``) as Meta does."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from aiohttp import web

WINDOW = 24 * 3600
HUMAN_AGENT = 7 * 24 * 3600
SENDER_ACTIONS = {"typing_on", "typing_off", "mark_seen"}


APP_SECRET = "app-secret-0123456789"  # the Meta app secret the tests' shops are set up with


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def meta_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGh123",
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


def _button_problems(b: Any, where: str) -> list[str]:
    out = []
    if not isinstance(b, dict) or b.get("type") not in ("postback", "web_url"):
        return [f"{where}.type"]
    if not isinstance(b.get("title"), str) or not 0 < len(b["title"]) <= 20:
        out.append(f"{where}.title: 1-20 characters")
    if b["type"] == "postback" and not 0 < len(str(b.get("payload") or "")) <= 1000:
        out.append(f"{where}.payload: 1-1000 characters")
    if b["type"] == "web_url" and not str(b.get("url") or "").startswith(("https://", "http://")):
        out.append(f"{where}.url")
    return out


def _template_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["attachment.payload"]
    kind = payload.get("template_type")
    out: list[str] = []
    if kind == "generic":
        elements = payload.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            return ["elements: 1-10"]
        for i, el in enumerate(elements):
            if not isinstance(el.get("title"), str) or not 0 < len(el["title"]) <= 80:
                out.append(f"elements[{i}].title: 1-80 characters")
            if "subtitle" in el and len(el["subtitle"]) > 80:
                out.append(f"elements[{i}].subtitle: at most 80 characters")
            buttons = el.get("buttons", [])
            if len(buttons) > 3:
                out.append(f"elements[{i}].buttons: at most 3")
            for j, b in enumerate(buttons):
                out += _button_problems(b, f"elements[{i}].buttons[{j}]")
    elif kind == "button":
        if not isinstance(payload.get("text"), str) or not 0 < len(payload["text"]) <= 640:
            out.append("text: 1-640 characters")
        buttons = payload.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            out.append("buttons: 1-3")
        for j, b in enumerate(buttons or []):
            out += _button_problems(b, f"buttons[{j}]")
    else:
        out.append(f"template_type {kind!r}")
    return out


def _message_problems(m: Any) -> list[str]:
    if not isinstance(m, dict) or ("text" in m) == ("attachment" in m):
        return ["message: exactly one of text or attachment"]
    out: list[str] = []
    if "text" in m and (not isinstance(m["text"], str) or not 0 < len(m["text"]) <= 2000):
        out.append("message.text: 1-2000 characters")
    if "attachment" in m:
        att = m["attachment"]
        if att.get("type") == "image":
            if not str(att.get("payload", {}).get("url", "")).startswith(("https://", "http://")):
                out.append("attachment.payload.url")
        elif att.get("type") == "template":
            out += _template_problems(att.get("payload"))
        else:
            out.append("attachment.type")
    quick = m.get("quick_replies", [])
    if len(quick) > 13:
        out.append("quick_replies: at most 13")
    for i, q in enumerate(quick):
        if q.get("content_type") != "text" or not 0 < len(q.get("title", "")) <= 20:
            out.append(f"quick_replies[{i}].title: 1-20 characters")
        if not 0 < len(str(q.get("payload") or "")) <= 1000:
            out.append(f"quick_replies[{i}].payload: 1-1000 characters")
    if len(m.get("metadata", "")) >= 1000:
        out.append("metadata: under 1000 characters")
    extra = set(m) - {"text", "attachment", "quick_replies", "metadata"}
    if extra:
        out.append(f"message: unknown fields {sorted(extra)}")
    return out


def _private_reply_problems(body: dict[str, Any]) -> list[str]:
    """A private reply to a comment: one ``message`` (text or a button template) to
    ``recipient.comment_id``."""
    if not str(body["recipient"]["comment_id"]).replace("_", "").isdigit():
        return ["recipient.comment_id"]
    if set(body) != {"recipient", "message"}:
        return [f"private reply: unexpected fields {sorted(set(body) - {'recipient', 'message'})}"]
    m = body["message"]
    att = m.get("attachment") if isinstance(m, dict) else None
    if att is not None and (att.get("payload") or {}).get("template_type") != "button":
        return ["private reply: text or a button template only"]
    return _message_problems(m)


def problems(body: Any) -> list[str]:
    """What Meta would refuse in a Send API body (empty: fine)."""
    if isinstance(body, dict) and "comment_id" in (body.get("recipient") or {}):
        return _private_reply_problems(body)
    if not isinstance(body, dict) or not str(body.get("recipient", {}).get("id", "")).isdigit():
        return ["recipient.id"]
    if ("message" in body) == ("sender_action" in body):
        return ["exactly one of message or sender_action"]
    if "sender_action" in body:
        ok = body["sender_action"] in SENDER_ACTIONS and set(body) == {"recipient", "sender_action"}
        return [] if ok else ["sender_action"]
    out = []
    kind = body.get("messaging_type")
    if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        out.append("messaging_type")
    if (kind == "MESSAGE_TAG") != ("tag" in body):
        out.append("tag: with MESSAGE_TAG only")
    return out + _message_problems(body.get("message"))


class FakeMeta:
    """Records Send API calls (``calls``), delivers valid ones (``sent``), serves attachments
    once (``host``: the URL works for one GET, then expires), and answers queued
    ``answers`` (status, body) first, for errors and rate limits."""

    def __init__(self, page_token: str = "page-token-1") -> None:
        self.page_token = page_token
        self.calls: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.files: dict[str, bytes] = {}
        self.fetched: list[tuple[str, int]] = []  # (file name, status answered)
        self.last_in: dict[str, float] = {}  # user id -> their last message (seconds)
        # when set, attachment downloads wait for this gate (``cdn_asked`` tells one began)
        self.cdn_gate: threading.Event | None = None
        self.cdn_asked = threading.Event()
        self.hold: dict[str, threading.Event] = {}  # user id -> answer sends only once set
        self.replied: set[str] = set()  # comment ids with their one private reply
        # (endpoint node, recipient) of every Send API call: "me" is the Page of the token,
        # an Instagram private reply goes to /{ig-account-id}/messages
        self.nodes: list[tuple[str, str]] = []
        # when set, called (in the server's thread) with each private reply Meta accepts
        self.on_reply: Any = None
        # the User Profile API: user id -> every field Meta keeps for them (answered: the
        # ``fields`` asked for that are set); an unknown user gets Meta's #100 error
        self.profiles: dict[str, dict[str, Any]] = {}
        self.profile_calls: list[dict[str, Any]] = []  # {"user", "fields", "auth"}
        self.profile_gate: threading.Event | None = None  # profile answers wait for it
        self.lock = threading.Lock()
        # the Graph API's reads (``meta_verify``): the app the token belongs to and its secret
        # (set: every GET must carry the right ``appsecret_proof``), the Page, the apps
        # subscribed to its webhooks (app id -> fields), the linked Instagram account;
        # ``graph_status`` set: every GET answers that status (500: Meta is down)
        self.app_secret: str | None = None
        self.app_id = "880011223344"
        self.app_name = "MiniChat Shop App"
        self.page_id = "1122334455"
        self.page_name = "ร้านทดสอบ"
        self.subscriptions: dict[str, list[str]] = {}
        self.instagram: dict[str, str] | None = None
        self.graph_status: int | None = None
        self.graph_calls: list[tuple[str, dict[str, str]]] = []  # (path, query)
        self.url = ""
        self._stop: Any = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def host(self, name: str, data: bytes) -> str:
        with self.lock:
            self.files[name] = data
        return f"{self.url}/cdn/{name}"

    def _window_problem(self, body: dict[str, Any]) -> dict[str, Any] | None:
        if "message" not in body:
            return None
        comment = body["recipient"].get("comment_id")
        if comment is not None:  # one private reply per comment (the 7 days are not kept)
            if comment in self.replied:
                return meta_error(10, "Cannot reply privately to this comment again.", 1893035)
            self.replied.add(comment)
            return None
        last = self.last_in.get(body["recipient"]["id"])
        age = None if last is None else time.time() - last
        if body.get("messaging_type") == "MESSAGE_TAG":
            limit = HUMAN_AGENT if body.get("tag") == "HUMAN_AGENT" else 0
        else:
            limit = WINDOW
        if age is None or age > limit:
            return meta_error(10, "This message is sent outside of allowed window.", 2018278)
        return None

    def _app(self) -> web.Application:
        app = web.Application()

        async def messages(request: web.Request) -> web.Response:
            raw = await request.read()
            body = json.loads(raw)
            recipient = body.get("recipient", {})
            gate = self.hold.get(str(recipient.get("id") or recipient.get("comment_id")))
            if gate is not None:
                await asyncio.to_thread(gate.wait, 10)
            with self.lock:
                self.calls.append(body)
                node = request.match_info.get("node", "me")
                self.nodes.append((node, str(recipient.get("id") or recipient.get("comment_id"))))
                if request.headers.get("Authorization") != f"Bearer {self.page_token}":
                    return web.json_response(
                        meta_error(190, "Invalid OAuth access token."), status=401
                    )
                # an app with "Require App Secret" on (app_secret set) wants the proof
                refused = self._graph_refusal(request) if self.app_secret is not None else None
                if refused is not None:
                    return web.json_response(refused, status=400)
                if self.answers:
                    status, answer = self.answers.pop(0)
                    return web.json_response(answer, status=status)
                found = problems(body)
                if found:
                    return web.json_response(
                        meta_error(100, "(#100) Invalid parameter: " + "; ".join(found)),
                        status=400,
                    )
                refused = self._window_problem(body)
                if refused:
                    return web.json_response(refused, status=400)
                self.sent.append(body)
                mid = f"m_{len(self.sent)}"
            recipient = body["recipient"]
            if self.on_reply is not None and "comment_id" in recipient:
                self.on_reply(recipient["comment_id"])
            answer = {"recipient_id": recipient.get("id") or f"psid-of-{recipient['comment_id']}"}
            return web.json_response({**answer, "message_id": mid})

        async def cdn(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            gate = self.cdn_gate
            if gate is not None:
                self.cdn_asked.set()
                await asyncio.to_thread(gate.wait, 10)
            with self.lock:
                data = self.files.pop(name, None)  # Meta's URLs expire: one GET only
                self.fetched.append((name, 200 if data else 403))
            if data is None:
                return web.Response(status=403, text="URL signature expired")
            return web.Response(body=data, content_type="image/jpeg")

        app.router.add_post("/{version}/me/messages", messages)
        app.router.add_post("/{version}/{node:[0-9]+}/messages", messages)
        app.router.add_get("/cdn/{name}", cdn)
        app.router.add_get("/{version}/{node}", self._graph_get)
        app.router.add_get("/{version}/{node}/{edge}", self._graph_get)
        return app

    # ---- the Graph API's reads

    def _graph_refusal(self, request: web.Request) -> dict[str, Any] | None:
        """Meta's answer to a token or ``appsecret_proof`` it refuses (None: both good). Meta
        checks a proof whenever one is given; without one, it refuses when the app requires
        it (here: whenever ``app_secret`` is set)."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = request.query.get("access_token", token)
        if token != self.page_token:
            return meta_error(190, "Invalid OAuth access token - Cannot parse access token")
        if self.app_secret is None:
            return None
        proof = request.query.get("appsecret_proof")
        if proof is None:
            message = "API calls from the server require an appsecret_proof argument"
        else:
            want = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if hmac.compare_digest(proof, want):
                return None
            message = "Invalid appsecret_proof provided in the API argument"
        return {
            "error": {
                "message": message,
                "type": "GraphMethodException",
                "code": 100,
                "fbtrace_id": "AbCdEfGh456",
            }
        }

    def _graph_answer(self, node: str, edge: str, fields: str) -> dict[str, Any] | None:
        """The body Graph answers for ``node``/``edge`` (None: no such object)."""
        if node == "me" and not edge:
            me = {"id": self.page_id, "name": self.page_name}
            return {k: v for k, v in me.items() if k in (fields or "id,name").split(",")}
        if node == "app" and not edge:
            link = f"https://www.facebook.com/games/?app_id={self.app_id}"
            return {"id": self.app_id, "name": self.app_name, "link": link}
        if node != self.page_id:
            return None
        if edge == "subscribed_apps":
            data = [
                {
                    "category": "Business",
                    "link": "https://minichat.example/",
                    "name": name,
                    "id": app_id,
                    "subscribed_fields": list(subscribed),
                }
                for app_id, subscribed in self.subscriptions.items()
                for name in [self.app_name if app_id == self.app_id else f"App {app_id}"]
            ]
            return {"data": data}
        if not edge and "instagram_business_account" in fields:
            out: dict[str, Any] = {"id": self.page_id}
            if self.instagram is not None:
                out["instagram_business_account"] = dict(self.instagram)
            return out
        return None

    async def _profile(self, request: web.Request) -> web.Response:
        """The User Profile API: ``GET /{version}/{user-id}?fields=…`` (Messenger's PSID,
        Instagram's IGSID)."""
        user = request.match_info["node"]
        fields = [f for f in request.query.get("fields", "").split(",") if f]
        auth = request.headers.get("Authorization")
        if auth is None and "access_token" in request.query:
            auth = f"Bearer {request.query['access_token']}"
        gate = self.profile_gate
        if gate is not None:
            await asyncio.to_thread(gate.wait, 10)
        with self.lock:
            self.profile_calls.append({"user": user, "fields": fields, "auth": auth})
            known = self.profiles.get(user)
        if auth != f"Bearer {self.page_token}":
            return web.json_response(meta_error(190, "Invalid OAuth access token."), status=401)
        refused = self._graph_refusal(request) if self.app_secret is not None else None
        if refused is not None:
            return web.json_response(refused, status=400)
        if known is None:
            return web.json_response(
                meta_error(100, "(#100) No profile available for this user.", 2018218),
                status=400,
            )
        answer = {f: known[f] for f in fields if known.get(f) is not None}
        return web.json_response({**answer, "id": user})

    async def _graph_get(self, request: web.Request) -> web.Response:
        node = request.match_info["node"]
        edge = request.match_info.get("edge", "")
        if not edge and node not in ("me", "app", self.page_id):
            return await self._profile(request)  # a shopper's id
        with self.lock:
            path = f"{node}/{edge}" if edge else node
            self.graph_calls.append((path, dict(request.query)))
            if self.graph_status is not None:
                body = meta_error(2, "An unexpected error has occurred. Please retry.")
                return web.json_response(body, status=self.graph_status)
            refused = self._graph_refusal(request)
            if refused is not None:
                return web.json_response(refused, status=400)
            answer = self._graph_answer(node, edge, request.query.get("fields", ""))
        if answer is None:
            unsupported = (
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be"
                " loaded due to missing permissions, or does not support this operation."
            )
            return web.json_response(meta_error(100, unsupported, 33), status=400)
        return web.json_response(answer)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        stop = asyncio.Event()
        runner = web.AppRunner(self._app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        loop = asyncio.get_running_loop()
        self._stop = lambda: loop.call_soon_threadsafe(stop.set)
        self._ready.set()
        await stop.wait()
        await runner.cleanup()
        # A keep-alive connection from the relay (profile and Graph calls) is closed by the
        # cleanup, but its socket only on a later loop turn: let those run before the loop
        # ends, or the socket is freed unclosed during some later test (a ResourceWarning,
        # an error there).
        await asyncio.sleep(0.1)

    def close(self) -> None:
        self._stop()
        self._thread.join(10)

    def delivered(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.sent)

    # ---- webhooks, as Meta posts them

    def post_webhook(
        self, endpoint: str, obj: dict[str, Any], secret: str | None, signature: str | None = None
    ) -> tuple[int, str]:
        """POST ``obj`` to the relay signed with ``secret`` (None: unsigned; ``signature``:
        sent as is). Remembers each user's last message for the window."""
        body = json.dumps(obj, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        elif secret is not None:
            headers["X-Hub-Signature-256"] = sign(secret, body)
        req = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        if status == 200:
            for entry in obj.get("entry", []):
                for item in entry.get("messaging", []) if "messaging" in entry else []:
                    # a postback opens the window as a message does (Send API reference)
                    shopper = "postback" in item or (
                        "message" in item and not item["message"].get("is_echo")
                    )
                    if shopper:
                        user = item["sender"]["id"]
                        at = item["timestamp"] / 1000
                        with self.lock:
                            self.last_in[user] = max(self.last_in.get(user, 0), at)
        return status, text


def webhook(obj: str, page_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    """A webhook body: ``obj`` is "page" (Messenger) or "instagram"."""
    now = int(time.time() * 1000)
    return {"object": obj, "entry": [{"id": page_id, "time": now, "messaging": list(items)}]}


def user_message(
    user: str, page_id: str, mid: str, *, ago: float = 0.0, **message: Any
) -> dict[str, Any]:
    """One ``messaging`` item: ``user`` wrote to the page ``ago`` seconds ago."""
    ts = int((time.time() - ago) * 1000)
    return {
        "sender": {"id": user},
        "recipient": {"id": page_id},
        "timestamp": ts,
        "message": {"mid": mid, **message},
    }


def user_postback(
    user: str, page_id: str, payload: str, title: str, *, mid: str = "", ago: float = 0.0
) -> dict[str, Any]:
    """One ``messaging`` item: ``user`` pressed a postback button (a button template's, or a
    generic template's) carrying ``payload`` (``messaging_postbacks``)."""
    ts = int((time.time() - ago) * 1000)
    postback = {"mid": mid or f"m_pb_{ts}_{payload[:20]}", "title": title, "payload": payload}
    return {
        "sender": {"id": user},
        "recipient": {"id": page_id},
        "timestamp": ts,
        "postback": postback,
    }


def feed_comment(
    page_id: str,
    comment_id: str,
    user: str,
    name: str,
    text: str,
    *,
    post_id: str = "",
    verb: str = "add",
    ago: float = 0.0,
) -> dict[str, Any]:
    """A ``page`` webhook body with one ``feed`` change: ``user`` commented ``text`` under the
    page's post ``ago`` seconds ago (Page webhooks reference, the ``feed`` field)."""
    post = post_id or f"{page_id}_900100200"
    now = int(time.time() - ago)
    value = {
        "from": {"id": user, "name": name},
        "post_id": post,
        "comment_id": comment_id,
        "parent_id": post,
        "created_time": now,
        "item": "comment",
        "verb": verb,
        "message": text,
    }
    change = {"field": "feed", "value": value}
    return {"object": "page", "entry": [{"id": page_id, "time": now, "changes": [change]}]}


def instagram_comment(
    account_id: str,
    comment_id: str,
    user: str,
    username: str,
    text: str,
    *,
    field: str = "comments",
    media_id: str = "17900011122233344",
    ago: float = 0.0,
) -> dict[str, Any]:
    """An ``instagram`` webhook body with one ``comments`` (or ``live_comments``) change:
    ``user`` commented ``text`` under the account's media (Instagram webhooks examples: the
    value has no creation time, ``entry.time`` says when Meta sent it, ``ago`` seconds ago)."""
    value = {
        "from": {"id": user, "username": username},
        "media": {
            "id": media_id,
            "media_product_type": "LIVE" if field == "live_comments" else "FEED",
        },
        "id": comment_id,
        "text": text,
    }
    change = {"field": field, "value": value}
    sent = int(time.time() - ago)
    return {"object": "instagram", "entry": [{"id": account_id, "time": sent, "changes": [change]}]}
