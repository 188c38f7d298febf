"""A fake Feishu open platform on loopback, speaking the real wire formats.

It plays both sides of the platform:

- the API the bot calls (tenant token, bot info, send / reply / PATCH / urgent_app,
  the long-connection endpoint and its protobuf websocket), recording every call, keeping
  the messages it was sent, and able to inject 429 / 5xx / expired tokens;
- the platform calling the bot: signed and encrypted event and card-callback requests built
  exactly as Feishu builds them (``build_request``), and a ``tap`` that answers a card
  callback the way the Feishu client does — by replacing the card with the one answered.

Messages are validated the way Feishu does where it matters to us: content must be a JSON
string, cards must be JSON 2.0 with only known properties, ≤ 30 KB, ``update_multi`` true.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import secrets
import time
import uuid as uuid_lib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.adapters.feishu import crypto
from tests.fakes.loopback import serve_on_loopback

MAX_CARD_BYTES = 30 * 1024
# Codes as Feishu documents them; PATCH_TOO_OLD is our stand-in (the docs name the limit,
# not the code), and the bot must never provoke it because it checks the age itself.
INVALID_TOKEN = 99991663
RATE_LIMITED = 99991400
CARD_INVALID = 230099
CONTENT_TOO_LONG = 230025
PATCH_TOO_OLD = 230031
NOT_A_CARD = 230001
APP_SECRET_INVALID = 10014

# Properties the bot may use, per card JSON 2.0 component (Feishu rejects unknown ones).
COMMON = {"tag", "element_id", "margin"}
CARD_PROPS: dict[str, set[str]] = {
    "markdown": COMMON | {"content", "text_align", "text_size", "icon"},
    "div": COMMON | {"text", "icon", "text_align"},
    "hr": COMMON,
    "button": COMMON
    | {
        "text",
        "type",
        "size",
        "width",
        "icon",
        "disabled",
        "behaviors",
        "name",
        "form_action_type",
        "confirm",
    },
    "column_set": COMMON
    | {"flex_mode", "horizontal_spacing", "horizontal_align", "background_style", "columns"},
    "column": COMMON
    | {"width", "weight", "vertical_align", "vertical_spacing", "padding", "elements"},
    "form": COMMON | {"name", "elements", "direction", "vertical_spacing"},
    "input": COMMON
    | {
        "name",
        "required",
        "placeholder",
        "default_value",
        "width",
        "max_length",
        "input_type",
        "rows",
        "auto_resize",
        "max_rows",
        "label",
        "label_position",
        "disabled",
    },
    "select_static": COMMON
    | {"name", "required", "placeholder", "options", "initial_option", "width", "type"},
    "date_picker": COMMON | {"name", "required", "placeholder", "initial_date", "width"},
    "picker_datetime": COMMON | {"name", "required", "placeholder", "initial_datetime", "width"},
}
TOP_LEVEL = {"schema", "config", "card_link", "header", "body"}
HEADER_PROPS = {"title", "subtitle", "template", "icon", "text_tag_list", "padding"}
TEMPLATES = {
    "blue", "wathet", "turquoise", "green", "yellow", "orange", "red",
    "carmine", "violet", "purple", "indigo", "grey", "default",
}  # fmt: skip


class CardError(ValueError):
    pass


def _check_text(value: Any, where: str) -> None:
    if not (isinstance(value, dict) and value.get("tag") in ("plain_text", "lark_md")):
        raise CardError(f"{where}: not a text object")
    if not isinstance(value.get("content"), str):
        raise CardError(f"{where}: text without content")


def _check_elements(elements: Any, where: str, depth: int, in_form: bool) -> int:
    if not isinstance(elements, list):
        raise CardError(f"{where}: elements must be a list")
    if depth > 5:
        raise CardError(f"{where}: nested too deep")
    count = 0
    for i, element in enumerate(elements):
        here = f"{where}[{i}]"
        if not isinstance(element, dict) or element.get("tag") not in CARD_PROPS:
            raise CardError(f"{here}: unknown component {element!r:.80}")
        tag = element["tag"]
        unknown = set(element) - CARD_PROPS[tag]
        if unknown:
            raise CardError(f"{here}: unknown properties {sorted(unknown)} on {tag}")
        count += 1
        if tag == "form":
            if in_form or depth != 0:
                raise CardError(f"{here}: a form must sit at the root, not nested")
            count += _check_elements(element.get("elements"), here, depth + 1, True)
        elif tag == "column_set":
            for j, column in enumerate(element.get("columns") or []):
                if not isinstance(column, dict) or column.get("tag") != "column":
                    raise CardError(f"{here}.columns[{j}]: not a column")
                unknown = set(column) - CARD_PROPS["column"]
                if unknown:
                    raise CardError(f"{here}.columns[{j}]: unknown properties {sorted(unknown)}")
                count += _check_elements(
                    column.get("elements"), f"{here}.columns[{j}]", depth + 1, in_form
                )
        elif tag == "button":
            _check_text(element.get("text"), here)
            for behavior in element.get("behaviors") or []:
                if behavior.get("type") == "callback" and not isinstance(
                    behavior.get("value"), dict
                ):
                    raise CardError(f"{here}: callback value must be an object")
            if element.get("form_action_type") and not in_form:
                raise CardError(f"{here}: a submit button outside a form")
            if in_form and element.get("form_action_type") and not element.get("name"):
                raise CardError(f"{here}: a form button needs a name")
        elif tag in ("input", "select_static", "date_picker", "picker_datetime") and in_form:
            if not element.get("name"):
                raise CardError(f"{here}: a form field needs a name")
        elif tag in ("div",):
            _check_text(element.get("text"), here)
    return count


def validate_card(card: Any) -> None:
    """Raise ``CardError`` unless ``card`` is a JSON 2.0 card Feishu would accept."""
    if not isinstance(card, dict):
        raise CardError("card must be an object")
    if card.get("schema") != "2.0":
        raise CardError("schema must be 2.0")
    unknown = set(card) - TOP_LEVEL
    if unknown:
        raise CardError(f"unknown top-level properties {sorted(unknown)}")
    if (card.get("config") or {}).get("update_multi") is not True:
        raise CardError("JSON 2.0 cards must be shared (update_multi true)")
    header = card.get("header") or {}
    if set(header) - HEADER_PROPS:
        raise CardError(f"unknown header properties {sorted(set(header) - HEADER_PROPS)}")
    if header:
        _check_text(header.get("title"), "header.title")
        if header.get("template") not in TEMPLATES:
            raise CardError("unknown header template")
    body = card.get("body") or {}
    if _check_elements(body.get("elements"), "body.elements", 0, False) > 200:
        raise CardError("more than 200 components")
    names = list(_names(body.get("elements")))
    if len(names) != len(set(names)):
        raise CardError("form field and button names must be unique")


def _names(elements: Any) -> Iterator[str]:
    for element in elements or []:
        if isinstance(element, dict):
            if element.get("tag") != "form" and isinstance(element.get("name"), str):
                yield element["name"]
            yield from _names(element.get("elements"))
            for column in element.get("columns") or []:
                yield from _names(column.get("elements"))


def buttons_of(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every button of a rendered card, wherever it sits."""

    def walk(elements: Any) -> Iterator[dict[str, Any]]:
        for element in elements or []:
            if not isinstance(element, dict):
                continue
            if element.get("tag") == "button":
                yield element
            yield from walk(element.get("elements"))
            for column in element.get("columns") or []:
                yield from walk(column.get("elements"))

    yield from walk((card.get("body") or {}).get("elements"))


def card_text(card: dict[str, Any]) -> str:
    """All visible text of a rendered card (title, texts, buttons), for assertions."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("content"), str):
                parts.append(value["content"])
            for v in value.values():
                if isinstance(v, dict | list):
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(card.get("header"))
    walk(card.get("body"))
    return "\n".join(parts)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeMessage:
    message_id: str
    chat_id: str
    receive_id_type: str
    receive_id: str
    msg_type: str
    content: str
    uuid: str | None
    created_at: float
    reply_to: str | None = None
    # (how, content): how is "create", "reply", "patch" or "callback" (a tap's answer).
    history: list[tuple[str, str]] = field(default_factory=list)
    urgent: list[list[str]] = field(default_factory=list)
    # False for what people said (events the fake pushed), which the bot may reply to.
    from_bot: bool = True

    @property
    def card(self) -> dict[str, Any]:
        assert self.msg_type == "interactive", self.msg_type
        value = json.loads(self.content)
        assert isinstance(value, dict)
        return value

    @property
    def text(self) -> str:
        if self.msg_type == "text":
            return str(json.loads(self.content)["text"])
        if self.msg_type == "file":
            return "[文件] " + str(json.loads(self.content)["file_key"])
        if self.msg_type == "image":
            return "[图片] " + str(json.loads(self.content)["image_key"])
        return card_text(self.card)

    @property
    def updates(self) -> list[str]:
        return [how for how, _ in self.history[1:]]


@dataclass
class Failure:
    method: str
    path_prefix: str
    status: int
    code: int
    msg: str
    headers: dict[str, str]
    times: int


@dataclass
class WsPeer:
    ws: web.WebSocketResponse
    service_id: int
    pings: int = 0


class FakeFeishu:
    """The fake platform. ``await start()`` returns its base URL."""

    def __init__(
        self,
        *,
        app_id: str = "cli_dutybot_test",
        app_secret: str = "app-secret-for-tests",
        encrypt_key: str = "encrypt-key-for-tests",
        verification_token: str = "verification-token-for-tests",
        bot_open_id: str = "ou_bot_dutybot",
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.encrypt_key = encrypt_key
        self.verification_token = verification_token
        self.bot_open_id = bot_open_id
        # Groups the bot is in: chat_id -> name.
        self.chats: dict[str, str] = {}
        # Uploaded files: file_key -> (file_name, file_type, bytes).
        self.uploads: dict[str, tuple[str, str, bytes]] = {}
        self.images: dict[str, bytes] = {}  # image_key -> the uploaded picture
        # What people sent: (message_id, image_key | file_key) -> (type, file_name, bytes).
        self.resources: dict[tuple[str, str], tuple[str, str, bytes]] = {}
        self.calls: list[Call] = []
        self.messages: dict[str, FakeMessage] = {}
        self.tokens_issued: list[str] = []
        self.valid_tokens: set[str] = set()
        self.unreachable_users: set[str] = set()
        self.failures: list[Failure] = []
        self.base_url = ""
        self._ids = itertools.count(1)
        self._uuids: dict[str, tuple[str, float]] = {}
        self._runner: web.AppRunner | None = None
        # Long connection.
        self.ws_config = {
            "ReconnectCount": -1,
            "ReconnectInterval": 1,
            "ReconnectNonce": 0,
            "PingInterval": 1,
        }
        self.ws_peers: list[WsPeer] = []
        # False: pings go unanswered (a half-open connection, as seen from the client).
        self.answer_pings = True
        self.ws_connects = 0
        self.endpoint_calls = 0
        self._endpoint_gate: asyncio.Event | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._changed = asyncio.Event()
        # Web sign-in (/dash, OAuth): the open_id the browser is signed in to Feishu as, the
        # codes handed out (code -> (open_id, redirect_uri), single use) and user tokens.
        self.web_user: str | None = None
        self.oauth_codes: dict[str, tuple[str, str]] = {}
        self.user_tokens: dict[str, str] = {}

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_get("/open-apis/bot/v3/info", self._bot_info)
        app.router.add_get("/open-apis/im/v1/chats", self._chats)
        app.router.add_post("/open-apis/im/v1/files", self._upload_file)
        app.router.add_post("/open-apis/im/v1/images", self._upload_image)
        app.router.add_post("/open-apis/im/v1/messages", self._create)
        app.router.add_post("/open-apis/im/v1/messages/{message_id}/reply", self._reply)
        app.router.add_patch("/open-apis/im/v1/messages/{message_id}", self._patch)
        app.router.add_get(
            "/open-apis/im/v1/messages/{message_id}/resources/{file_key}", self._resource
        )
        app.router.add_patch("/open-apis/im/v1/messages/{message_id}/urgent_app", self._urgent_app)
        app.router.add_get("/open-apis/authen/v1/authorize", self._authorize)
        app.router.add_post("/open-apis/authen/v2/oauth/token", self._oauth_token)
        app.router.add_get("/open-apis/authen/v1/user_info", self._user_info)
        app.router.add_post("/callback/ws/endpoint", self._ws_endpoint)
        app.router.add_get("/ws", self._ws)
        self._runner, self.base_url = await serve_on_loopback(app)
        return self.base_url

    async def close(self) -> None:
        self.release_endpoint()
        for peer in list(self.ws_peers):
            await peer.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- controls ----------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every tenant token issued so far stops working (as after a secret reset)."""
        self.valid_tokens.clear()

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int,
        code: int,
        msg: str = "injected failure",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        self.failures.append(
            Failure(method, path_prefix, status, code, msg, dict(headers or {}), times)
        )

    def age_message(self, message_id: str, days: float) -> None:
        self.messages[message_id].created_at -= days * 86400

    def sent(self, msg_type: str | None = None, receive_id: str | None = None) -> list[FakeMessage]:
        """Messages the bot sent, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m.from_bot
            and (msg_type is None or m.msg_type == msg_type)
            and (receive_id is None or m.receive_id == receive_id)
        ]

    def calls_to(self, method: str, path_prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]

    async def wait_for(self, check: Callable[[], Any], within: float = 20.0) -> Any:
        """Wait until ``check()`` returns something truthy (the bot works in the background)."""
        deadline = time.monotonic() + within
        while True:
            result = check()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"fake Feishu: condition not met in {within} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    def _notify(self) -> None:
        self._changed.set()

    # ---- the API the bot calls -------------------------------------------------------------

    def _answer(
        self, call: Call, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> web.Response:
        call.status = status
        call.answer = body
        self.calls.append(call)
        self._notify()
        return web.json_response(body, status=status, headers=headers)

    async def _begin(self, request: web.Request) -> tuple[Call, web.Response | None]:
        body = None
        if request.can_read_body and request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
        call = Call(request.method, request.path, dict(request.query), body)
        for failure in self.failures:
            if (
                failure.times > 0
                and failure.method == request.method
                and request.path.startswith(failure.path_prefix)
            ):
                failure.times -= 1
                return call, self._answer(
                    call,
                    failure.status,
                    {"code": failure.code, "msg": failure.msg},
                    failure.headers,
                )
        if request.path.startswith(("/open-apis/auth/", "/open-apis/authen/v2/")):
            return call, None
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        if not auth.startswith("Bearer ") or token not in self.valid_tokens:
            return call, self._answer(
                call,
                400,
                {"code": INVALID_TOKEN, "msg": "Invalid access token for authorization."},
            )
        return call, None

    async def _authorize(self, request: web.Request) -> web.Response:
        """The consent page: the signed-in user agrees at once and is sent back with a code."""
        query = request.query
        self.calls.append(Call(request.method, request.path, dict(query), None))
        redirect = query.get("redirect_uri", "")
        if query.get("app_id") != self.app_id or not redirect.startswith("http"):
            return web.Response(status=400, text="app_id or redirect_uri invalid")
        if self.web_user is None:
            return web.Response(status=401, text="not signed in to Feishu")
        code = secrets.token_hex(8)
        self.oauth_codes[code] = (self.web_user, redirect)
        sep = "&" if "?" in redirect else "?"
        raise web.HTTPFound(f"{redirect}{sep}code={code}&state={query.get('state', '')}")

    async def _oauth_token(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        body = call.body or {}
        if body.get("client_id") != self.app_id or body.get("client_secret") != self.app_secret:
            return self._answer(call, 400, {"code": 20002, "error": "invalid_client", "msg": ""})
        issued = self.oauth_codes.pop(str(body.get("code", "")), None)  # a code works once
        if body.get("grant_type") != "authorization_code" or issued is None:
            return self._answer(call, 400, {"code": 20003, "error": "invalid_grant", "msg": ""})
        if issued[1] != body.get("redirect_uri"):
            return self._answer(call, 400, {"code": 20004, "error": "invalid_grant", "msg": ""})
        token = f"u-{secrets.token_hex(8)}"
        self.user_tokens[token] = issued[0]
        return self._answer(
            call,
            200,
            {"code": 0, "access_token": token, "expires_in": 7200, "token_type": "Bearer"},
        )

    async def _user_info(self, request: web.Request) -> web.Response:
        call = Call(request.method, request.path, dict(request.query), None)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        open_id = self.user_tokens.get(token)
        if open_id is None:
            return self._answer(call, 401, {"code": 99991668, "msg": "Invalid access token"})
        data = {"open_id": open_id, "union_id": f"on_{open_id}", "name": open_id}
        return self._answer(call, 200, {"code": 0, "msg": "success", "data": data})

    async def _token(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        body = call.body or {}
        if body.get("app_id") != self.app_id or body.get("app_secret") != self.app_secret:
            refusal = {"code": APP_SECRET_INVALID, "msg": "app secret invalid"}
            return self._answer(call, 400, refusal)
        token = f"t-{secrets.token_hex(8)}"
        self.tokens_issued.append(token)
        self.valid_tokens.add(token)
        return self._answer(
            call, 200, {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
        )

    async def _bot_info(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        return self._answer(
            call,
            200,
            {
                "code": 0,
                "msg": "ok",
                "bot": {"activate_status": 2, "app_name": "值班助手", "open_id": self.bot_open_id},
            },
        )

    async def _upload_file(self, request: web.Request) -> web.Response:
        """``POST /open-apis/im/v1/files`` (multipart): ≤ 30 MB, not empty, a known file_type."""
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        form = await request.post()
        upload = form.get("file")
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        file_type, file_name = str(form.get("file_type", "")), str(form.get("file_name", ""))
        call.body = {"file_type": file_type, "file_name": file_name, "size": len(data)}
        if file_type not in ("opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"):
            return self._answer(call, 400, {"code": 234001, "msg": "invalid file_type"})
        if not file_name or not data or len(data) > 30 * 1024 * 1024:
            return self._answer(call, 400, {"code": 234006, "msg": "file empty or too large"})
        key = f"file_v3_{uuid_lib.uuid4().hex}"
        self.uploads[key] = (file_name, file_type, data)
        return self._answer(call, 200, {"code": 0, "msg": "success", "data": {"file_key": key}})

    async def _upload_image(self, request: web.Request) -> web.Response:
        """``POST /open-apis/im/v1/images`` (multipart): image_type message, a real picture of
        at most 10 MB."""
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        form = await request.post()
        upload = form.get("image")
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        image_type = str(form.get("image_type", ""))
        call.body = {"image_type": image_type, "size": len(data)}
        if image_type not in ("message", "avatar"):
            return self._answer(call, 400, {"code": 234001, "msg": "invalid image_type"})
        if not data.startswith((b"\x89PNG", b"\xff\xd8", b"GIF8")):
            return self._answer(call, 400, {"code": 234011, "msg": "image format not supported"})
        if len(data) > 10 * 1024 * 1024:
            return self._answer(call, 400, {"code": 234006, "msg": "image too large"})
        key = f"img_v3_{uuid_lib.uuid4().hex}"
        self.images[key] = data
        return self._answer(call, 200, {"code": 0, "msg": "success", "data": {"image_key": key}})

    async def _resource(self, request: web.Request) -> web.StreamResponse:
        """``GET im/v1/messages/:message_id/resources/:file_key?type=image|file``: the bytes of
        an image or file in a message (the key must belong to that message)."""
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        key = (request.match_info["message_id"], request.match_info["file_key"])
        found = self.resources.get(key)
        kind = request.query.get("type", "")
        if kind not in ("image", "file"):
            return self._answer(call, 400, {"code": 234001, "msg": "Invalid request param."})
        if found is None or found[0] != kind:
            return self._answer(call, 400, {"code": 234003, "msg": "File not in msg."})
        _, name, data = found
        call.status = 200
        self.calls.append(call)
        self._notify()
        return web.Response(
            body=data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        )

    async def _chats(self, request: web.Request) -> web.Response:
        """``GET /open-apis/im/v1/chats``, two per page so paging is exercised."""
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        items = [{"chat_id": k, "name": v} for k, v in sorted(self.chats.items())]
        start = int(request.query.get("page_token") or 0)
        page = items[start : start + 2]
        more = start + 2 < len(items)
        data = {"items": page, "has_more": more, "page_token": str(start + 2) if more else ""}
        return self._answer(call, 200, {"code": 0, "msg": "success", "data": data})

    def _check_content(self, msg_type: Any, content: Any) -> str | None:
        """None when acceptable, else the reason Feishu would give."""
        if not isinstance(content, str):
            return "content must be a JSON string"
        try:
            value = json.loads(content)
        except ValueError:
            return "content is not valid JSON"
        if msg_type == "text":
            if not isinstance(value, dict) or not isinstance(value.get("text"), str):
                return "text content needs a text field"
            return None
        if msg_type == "interactive":
            if len(content.encode("utf-8")) > MAX_CARD_BYTES:
                return "card content exceeds 30 KB"
            try:
                validate_card(value)
            except CardError as exc:
                return str(exc)
            return None
        if msg_type == "file":
            if not isinstance(value, dict) or value.get("file_key") not in self.uploads:
                return "file content needs the file_key of an uploaded file"
            return None
        if msg_type == "image":
            if not isinstance(value, dict) or value.get("image_key") not in self.images:
                return "image content needs the image_key of an uploaded image"
            return None
        return f"msg_type {msg_type!r} is not supported by the fake"

    def _new_message(
        self,
        call: Call,
        *,
        chat_id: str,
        receive_id_type: str,
        receive_id: str,
        reply_to: str | None,
    ) -> web.Response:
        body = call.body or {}
        msg_type = body.get("msg_type")
        content = body.get("content")
        problem = self._check_content(msg_type, content)
        if problem is not None:
            code = CONTENT_TOO_LONG if "exceeds" in problem else CARD_INVALID
            return self._answer(call, 400, {"code": code, "msg": problem})
        uuid = body.get("uuid")
        if uuid is not None and (not isinstance(uuid, str) or len(uuid) > 50):
            return self._answer(call, 400, {"code": 230001, "msg": "uuid too long"})
        now = time.time()
        if isinstance(uuid, str) and uuid in self._uuids and now - self._uuids[uuid][1] < 3600:
            # Feishu: requests with the same uuid send at most one message within an hour.
            existing = self.messages[self._uuids[uuid][0]]
            return self._answer(call, 200, self._message_answer(existing))
        message = FakeMessage(
            message_id=f"om_{uuid_lib.uuid4().hex}",
            chat_id=chat_id,
            receive_id_type=receive_id_type,
            receive_id=receive_id,
            msg_type=str(msg_type),
            content=str(content),
            uuid=uuid if isinstance(uuid, str) else None,
            created_at=now,
            reply_to=reply_to,
            history=[("reply" if reply_to else "create", str(content))],
        )
        self.messages[message.message_id] = message
        if message.uuid:
            self._uuids[message.uuid] = (message.message_id, now)
        return self._answer(call, 200, self._message_answer(message))

    @staticmethod
    def _message_answer(message: FakeMessage) -> dict[str, Any]:
        return {
            "code": 0,
            "msg": "success",
            "data": {
                "message_id": message.message_id,
                "chat_id": message.chat_id,
                "msg_type": message.msg_type,
                "create_time": str(int(message.created_at * 1000)),
                "body": {"content": message.content},
            },
        }

    async def _create(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        id_type = request.query.get("receive_id_type", "")
        if id_type not in ("open_id", "user_id", "union_id", "email", "chat_id"):
            return self._answer(call, 400, {"code": 99992402, "msg": "receive_id_type invalid"})
        receive_id = (call.body or {}).get("receive_id")
        if not isinstance(receive_id, str) or not receive_id:
            return self._answer(call, 400, {"code": 99992402, "msg": "receive_id is required"})
        chat_id = receive_id if id_type == "chat_id" else f"oc_p2p_{receive_id}"
        return self._new_message(
            call, chat_id=chat_id, receive_id_type=id_type, receive_id=receive_id, reply_to=None
        )

    async def _reply(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        original = self.messages.get(request.match_info["message_id"])
        if original is None:
            return self._answer(call, 400, {"code": 230011, "msg": "message not found"})
        return self._new_message(
            call,
            chat_id=original.chat_id,
            receive_id_type="chat_id",
            receive_id=original.chat_id,
            reply_to=original.message_id,
        )

    async def _patch(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        message = self.messages.get(request.match_info["message_id"])
        if message is None or message.msg_type != "interactive":
            return self._answer(call, 400, {"code": NOT_A_CARD, "msg": "not a card message"})
        if time.time() - message.created_at > 14 * 86400:
            return self._answer(call, 400, {"code": PATCH_TOO_OLD, "msg": "older than 14 days"})
        content = (call.body or {}).get("content")
        problem = self._check_content("interactive", content)
        if problem is not None:
            return self._answer(call, 400, {"code": CARD_INVALID, "msg": problem})
        message.content = str(content)
        message.history.append(("patch", str(content)))
        return self._answer(call, 200, {"code": 0, "msg": "success", "data": {}})

    async def _urgent_app(self, request: web.Request) -> web.Response:
        call, refused = await self._begin(request)
        if refused is not None:
            return refused
        message = self.messages.get(request.match_info["message_id"])
        if message is None:
            return self._answer(call, 400, {"code": 230012, "msg": "bot is not the sender"})
        users = (call.body or {}).get("user_id_list")
        if not isinstance(users, list) or not users:
            return self._answer(call, 400, {"code": 99992402, "msg": "user_id_list is required"})
        message.urgent.append([str(u) for u in users])
        invalid = [u for u in users if u in self.unreachable_users]
        return self._answer(
            call, 200, {"code": 0, "msg": "success", "data": {"invalid_user_id_list": invalid}}
        )

    # ---- the platform calling the bot --------------------------------------------------------

    def build_request(
        self,
        payload: dict[str, Any],
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
        encrypt_key: str | None = None,
        sign: bool = True,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of a callback exactly as Feishu sends it (encrypted + signed)."""
        key = encrypt_key if encrypt_key is not None else self.encrypt_key
        plaintext = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        body = json.dumps({"encrypt": crypto.encrypt(key, plaintext)}).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if sign:
            ts = timestamp if timestamp is not None else str(int(time.time()))
            nc = nonce if nonce is not None else secrets.token_hex(8)
            headers |= {
                "X-Lark-Request-Timestamp": ts,
                "X-Lark-Request-Nonce": nc,
                "X-Lark-Signature": crypto.signature(ts, nc, key, body),
            }
        return headers, body

    async def post_to_bot(
        self, url: str, payload: dict[str, Any], **build: Any
    ) -> tuple[int, dict[str, Any]]:
        headers, body = self.build_request(payload, **build)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers) as resp,
        ):
            answer = await resp.json(content_type=None)
            return resp.status, answer if isinstance(answer, dict) else {}

    def header(self, event_type: str, event_id: str | None = None) -> dict[str, Any]:
        return {
            "event_id": event_id or uuid_lib.uuid4().hex,
            "token": self.verification_token,
            "create_time": str(int(time.time() * 1000)),
            "event_type": event_type,
            "tenant_key": "tenant_test",
            "app_id": self.app_id,
        }

    def message_event(
        self,
        *,
        sender_open_id: str,
        text: str,
        chat_type: str = "p2p",
        chat_id: str | None = None,
        message_id: str | None = None,
        event_id: str | None = None,
        mentions: list[dict[str, Any]] | None = None,
        sender_user_id: str | None = None,
        message_type: str = "text",
        content: str | None = None,
    ) -> dict[str, Any]:
        """``im.message.receive_v1`` as Feishu pushes it."""
        sender_id = {"open_id": sender_open_id, "union_id": f"on_{sender_open_id[3:]}"}
        if sender_user_id:
            sender_id["user_id"] = sender_user_id
        message_id = message_id or f"om_{uuid_lib.uuid4().hex}"
        chat_id = chat_id or f"oc_p2p_{sender_open_id}"
        if content is None:
            content = json.dumps({"text": text}, ensure_ascii=False)
        # The platform knows what people said: the bot may reply to it.
        self.messages.setdefault(
            message_id,
            FakeMessage(
                message_id=message_id,
                chat_id=chat_id,
                receive_id_type="chat_id",
                receive_id=chat_id,
                msg_type=message_type,
                content=content,
                uuid=None,
                created_at=time.time(),
                history=[("said", content)],
                from_bot=False,
            ),
        )
        return {
            "schema": "2.0",
            "header": self.header("im.message.receive_v1", event_id),
            "event": {
                "sender": {"sender_id": sender_id, "sender_type": "user", "tenant_key": "t"},
                "message": {
                    "message_id": message_id,
                    "create_time": str(int(time.time() * 1000)),
                    "chat_id": chat_id,
                    "chat_type": chat_type,
                    "message_type": message_type,
                    "content": content,
                    "mentions": mentions or [],
                },
            },
        }

    def file_message_event(
        self, *, sender_open_id: str, kind: str, name: str, data: bytes, chat_type: str = "p2p"
    ) -> dict[str, Any]:
        """A person sends an image (``image_key``) or a file (``file_key`` + ``file_name``)."""
        message_id = f"om_{uuid_lib.uuid4().hex}"
        if kind == "image":
            key = f"img_v3_{uuid_lib.uuid4().hex}"
            content = {"image_key": key}
        else:
            key = f"file_v3_{uuid_lib.uuid4().hex}"
            content = {"file_key": key, "file_name": name}
        self.resources[(message_id, key)] = (kind, name, data)
        return self.message_event(
            sender_open_id=sender_open_id,
            text="",
            chat_type=chat_type,
            message_id=message_id,
            message_type=kind,
            content=json.dumps(content, ensure_ascii=False),
        )

    def bot_mention(self, key: str = "@_user_1") -> dict[str, Any]:
        return {
            "key": key,
            "id": {"open_id": self.bot_open_id, "union_id": "on_bot", "user_id": ""},
            "name": "值班助手",
            "tenant_key": "t",
        }

    def card_action_event(
        self,
        *,
        operator_open_id: str,
        value: dict[str, Any],
        message_id: str,
        chat_id: str,
        form_value: dict[str, Any] | None = None,
        button_name: str = "",
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """``card.action.trigger`` (the new card callback) as Feishu posts it."""
        action: dict[str, Any] = {"value": value, "tag": "button", "timezone": "Asia/Shanghai"}
        if form_value is not None:
            action["form_value"] = form_value
            action["name"] = button_name
        return {
            "schema": "2.0",
            "header": self.header("card.action.trigger", event_id),
            "event": {
                "operator": {
                    "tenant_key": "t",
                    "open_id": operator_open_id,
                    "union_id": f"on_{operator_open_id[3:]}",
                },
                "token": f"c-{secrets.token_hex(16)}",
                "action": action,
                "host": "im_message",
                "context": {"open_message_id": message_id, "open_chat_id": chat_id},
            },
        }

    def menu_event(self, *, operator_open_id: str, event_key: str) -> dict[str, Any]:
        return {
            "schema": "2.0",
            "header": self.header("application.bot.menu_v6"),
            "event": {
                "operator": {
                    "operator_name": "",
                    "operator_id": {"open_id": operator_open_id, "union_id": "on_x"},
                },
                "event_key": event_key,
                "timestamp": int(time.time()),
            },
        }

    def url_verification(self, challenge: str, token: str | None = None) -> dict[str, Any]:
        return {
            "challenge": challenge,
            "token": token if token is not None else self.verification_token,
            "type": "url_verification",
        }

    def tap_event(
        self,
        message_id: str,
        button_label: str,
        *,
        operator_open_id: str,
        form: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The callback the Feishu client sends when this button of this message is tapped."""
        message = self.messages[message_id]
        for button in buttons_of(message.card):
            if button["text"]["content"] == button_label:
                value = next(
                    b["value"] for b in button.get("behaviors", []) if b["type"] == "callback"
                )
                submit = button.get("form_action_type") == "submit"
                return self.card_action_event(
                    operator_open_id=operator_open_id,
                    value=value,
                    message_id=message_id,
                    chat_id=message.chat_id,
                    form_value=(form or {}) if submit else None,
                    button_name=str(button.get("name") or ""),
                )
        labels = [b["text"]["content"] for b in buttons_of(message.card)]
        raise AssertionError(f"no button {button_label!r} on {message_id}; it has {labels}")

    async def tap(
        self,
        bot_url: str,
        message_id: str,
        button_label: str,
        *,
        operator_open_id: str,
        form: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Tap a button as the Feishu client does; the answered card replaces the message's."""
        payload = self.tap_event(
            message_id, button_label, operator_open_id=operator_open_id, form=form
        )
        status, answer = await self.post_to_bot(bot_url, payload)
        assert status == 200, (status, answer)
        self.apply_callback_answer(message_id, answer)
        return answer

    def apply_callback_answer(self, message_id: str, answer: dict[str, Any]) -> None:
        card = answer.get("card")
        if card is None:
            return
        assert card.get("type") == "raw", card
        content = json.dumps(card["data"], ensure_ascii=False)
        problem = self._check_content("interactive", content)
        # The client shows 200672/200673 for a bad answer; a test should fail loudly instead.
        assert problem is None, problem
        message = self.messages[message_id]
        message.content = content
        message.history.append(("callback", content))
        self._notify()

    # ---- long connection ---------------------------------------------------------------------

    def hold_endpoint(self) -> None:
        """Make ``/callback/ws/endpoint`` hang until released (a stuck reconnect)."""
        self._endpoint_gate = asyncio.Event()

    def release_endpoint(self) -> None:
        if self._endpoint_gate is not None:
            self._endpoint_gate.set()
            self._endpoint_gate = None

    async def _ws_endpoint(self, request: web.Request) -> web.Response:
        self.endpoint_calls += 1
        body = await request.json()
        gate = self._endpoint_gate
        if gate is not None:
            await gate.wait()
        if body.get("AppID") != self.app_id or body.get("AppSecret") != self.app_secret:
            return web.json_response({"code": 1000040344, "msg": "app secret invalid"})
        device = uuid_lib.uuid4().hex[:12]
        service = next(self._ids)
        host = self.base_url.replace("http://", "ws://")
        return web.json_response(
            {
                "code": 0,
                "msg": "ok",
                "data": {
                    "URL": f"{host}/ws?device_id={device}&service_id={service}",
                    "ClientConfig": dict(self.ws_config),
                },
            }
        )

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        ws = web.WebSocketResponse()
        await ws.prepare(request)
        peer = WsPeer(ws=ws, service_id=int(request.query.get("service_id", "0")))
        self.ws_peers.append(peer)
        self.ws_connects += 1
        self._notify()
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY:
                    continue
                frame = Frame()
                frame.ParseFromString(msg.data)
                headers = {h.key: h.value for h in frame.headers}
                if frame.method == 0 and headers.get("type") == "ping":
                    peer.pings += 1
                    if self.answer_pings:
                        await ws.send_bytes(self._pong(peer))
                elif frame.method == 1:
                    waiter = self._acks.pop(headers.get("message_id", ""), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(json.loads(frame.payload))
        finally:
            if peer in self.ws_peers:
                self.ws_peers.remove(peer)
            self._notify()
        return ws

    def _pong(self, peer: WsPeer) -> bytes:
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        frame = Frame()
        frame.SeqID = 0
        frame.LogID = 0
        frame.service = peer.service_id
        frame.method = 0
        header = frame.headers.add()
        header.key = "type"
        header.value = "pong"
        frame.payload = json.dumps(self.ws_config).encode("utf-8")
        return bytes(frame.SerializeToString())

    async def push(
        self, payload: dict[str, Any], *, kind: str = "event", parts: int = 1, within: float = 10
    ) -> dict[str, Any]:
        """Push an event (or card) frame to a connected client; returns its decoded ack.

        ``parts`` > 1 splits the payload over several frames, as Feishu does for big ones.
        The ack is ``{"code": 200|500, "data": <decoded JSON answer or None>}``.
        """
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        await self.wait_for(lambda: self.ws_peers, within)
        peer = self.ws_peers[-1]
        message_id = uuid_lib.uuid4().hex
        raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        size = -(-len(raw) // parts)
        chunks = [raw[i * size : (i + 1) * size] for i in range(parts)]
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[message_id] = waiter
        for seq, chunk in enumerate(chunks):
            frame = Frame()
            frame.SeqID = next(self._ids)
            frame.LogID = 0
            frame.service = peer.service_id
            frame.method = 1
            for key, value in (
                ("type", kind),
                ("message_id", message_id),
                ("trace_id", uuid_lib.uuid4().hex),
                ("sum", str(parts)),
                ("seq", str(seq)),
            ):
                header = frame.headers.add()
                header.key = key
                header.value = value
            frame.payload = chunk
            await peer.ws.send_bytes(frame.SerializeToString())
        ack = await asyncio.wait_for(waiter, within)
        data = ack.get("data")
        decoded = json.loads(base64.b64decode(data)) if data else None
        return {"code": ack.get("code"), "data": decoded}

    async def drop_connections(self) -> None:
        """Close every long connection from the server side (network blip, server restart)."""
        for peer in list(self.ws_peers):
            await peer.ws.close()
