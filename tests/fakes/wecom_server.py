"""A fake WeCom API server on loopback: the endpoints the bot calls, with WeCom's rules.

It speaks the real wire format (``/cgi-bin/...`` JSON with ``errcode``), records every call,
enforces what WeCom enforces (access tokens, task_id rules, one use per ResponseCode within
72 h, 6 buttons, robot 20/min) and silently drops app messages over 30/min per member, as
WeCom does. Tests inject faults: HTTP 429/5xx, error codes, expired tokens.

Use ``WeComPlatform`` to also play WeCom's side of callbacks (signed, encrypted POSTs).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from tests.fakes.loopback import serve_on_loopback
from tests.fakes.wecom_callbacks import CallbackSigner, SignedRequest, template_card_event_xml

TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")
CODE_LIFETIME = 72 * 3600
MEMBER_PER_MINUTE = 30
ROBOT_PER_MINUTE = 20


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    answer: dict[str, Any] | None = None
    status: int = 200
    # WeCom accepted the call but dropped the message (member over 30/min): not delivered.
    dropped: bool = False


@dataclass
class Fault:
    path: str
    status: int = 200
    errcode: int | None = None
    times: int = 1
    retry_after: str | None = None


@dataclass
class ResponseCode:
    userids: tuple[str, ...]
    task_id: str
    issued: float
    used: bool = False


@dataclass
class FakeWeCom:
    corp_id: str = "wwfake0001"
    secret: str = "fake-secret"
    agent_id: int = 1000002
    robot_keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.tokens: dict[str, float] = {}  # token -> expiry (epoch)
        self.codes: dict[str, ResponseCode] = {}
        self.task_ids: set[str] = set()
        # What each member sees: (userid, task_id) -> current template card.
        self.cards: dict[tuple[str, str], dict[str, Any]] = {}
        self.dropped_messages: list[dict[str, Any]] = []
        self.menu: dict[str, Any] | None = None
        # Temporary media: media_id -> (file name, bytes).
        self.media: dict[str, tuple[str, bytes]] = {}
        self.media_gate: asyncio.Event | None = None
        self.media_started = asyncio.Event()
        # message/send calls to answer only after this many seconds (a client timeout), and
        # how many of them; the stalled call is not processed (the send never happened) unless
        # ``stall_delivers``: then the message is delivered and only the answer comes too late.
        self.stall_seconds = 0.0
        self.stall_times = 0
        self.stall_delivers = False
        self._member_log: dict[str, deque[float]] = defaultdict(deque)
        self._robot_log: dict[str, deque[float]] = defaultdict(deque)
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        # Web sign-in (/dash): who the browser is signed in to WeCom as (None: an outsider,
        # who gets an openid only), and the codes handed out: code -> userid, single use.
        self.web_user: str | None = None
        self.login_codes: dict[str, str | None] = {}

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Serve on loopback; ``port`` brings a stopped fake back on its old address."""
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._send)
        app.router.add_post("/cgi-bin/message/update_template_card", self._update)
        app.router.add_post("/cgi-bin/webhook/send", self._robot)
        app.router.add_post("/cgi-bin/menu/create", self._menu)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_get("/cgi-bin/auth/getuserinfo", self._getuserinfo)
        # The two sign-in pages (hosts open.weixin.qq.com and login.work.weixin.qq.com):
        # the member confirms at once and is sent back with a code.
        app.router.add_get("/connect/oauth2/authorize", self._authorize)
        app.router.add_get("/wwlogin/sso/login", self._authorize)
        self._runner, self.url = await serve_on_loopback(app, port)
        return self.url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- test controls -----------------------------------------------------------------------

    def fail(
        self,
        path: str,
        *,
        status: int = 200,
        errcode: int | None = None,
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        """The next ``times`` calls to ``path`` (e.g. "message/send") fail this way."""
        self.faults.append(Fault(f"/cgi-bin/{path}", status, errcode, times, retry_after))

    def expire_tokens(self) -> None:
        """Every issued token expires now (WeCom may do this early: 42001)."""
        for token in self.tokens:
            self.tokens[token] = 0.0

    def tap_code(self, userid: str, task_id: str) -> str:
        """A fresh ResponseCode, as WeCom puts into the callback of a tap by ``userid``."""
        code = "rc-tap-" + secrets.token_hex(8)
        self.codes[code] = ResponseCode((userid,), task_id, time.time())
        return code

    def age_code(self, code: str, seconds: float) -> None:
        self.codes[code].issued -= seconds

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == f"/cgi-bin/{path}" and c.status == 200]

    def sent(
        self, *, msgtype: str | None = None, touser: str | None = None
    ) -> list[dict[str, Any]]:
        """Accepted ``message/send`` bodies (not the ones WeCom dropped or refused)."""
        return [
            c.body
            for c in self.calls_to("message/send")
            if c.answer
            and c.answer.get("errcode") == 0
            and not c.dropped
            and (msgtype is None or c.body.get("msgtype") == msgtype)
            and (touser is None or touser in str(c.body.get("touser", "")).split("|"))
        ]

    def updates(self) -> list[dict[str, Any]]:
        return [
            c.body
            for c in self.calls_to("message/update_template_card")
            if c.answer and c.answer.get("errcode") == 0
        ]

    def robot_posts(self, key: str | None = None) -> list[dict[str, Any]]:
        return [
            c.body
            for c in self.calls_to("webhook/send")
            if c.answer
            and c.answer.get("errcode") == 0
            and (key is None or c.query.get("key") == key)
        ]

    # ---- helpers -----------------------------------------------------------------------------

    def _fault(self, request: web.Request) -> web.Response | None:
        for fault in self.faults:
            if fault.path == request.path and fault.times > 0:
                fault.times -= 1
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                if fault.errcode is not None:
                    body = {"errcode": fault.errcode, "errmsg": "injected"}
                    return web.json_response(body, status=fault.status, headers=headers)
                return web.Response(status=fault.status, text="injected", headers=headers)
        return None

    async def _record(
        self, request: web.Request, answer: dict[str, Any], body: Any, dropped: bool = False
    ) -> web.Response:
        call = Call(request.method, request.path, dict(request.query), body, answer)
        call.dropped = dropped
        self.calls.append(call)
        return web.json_response(answer)

    async def _error(
        self, request: web.Request, errcode: int, errmsg: str, body: Any
    ) -> web.Response:
        return await self._record(request, {"errcode": errcode, "errmsg": errmsg}, body)

    def _injected(self, request: web.Request, body: Any) -> web.Response | None:
        injected = self._fault(request)
        if injected is not None:
            call = Call(request.method, request.path, dict(request.query), body)
            call.status = injected.status
            self.calls.append(call)
        return injected

    def _token_error(self, request: web.Request) -> dict[str, Any] | None:
        token = request.query.get("access_token", "")
        if token not in self.tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if self.tokens[token] <= time.time():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    async def _json(self, request: web.Request) -> Any:
        try:
            return json.loads(await request.text())
        except ValueError:
            return None

    # ---- endpoints ---------------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        """The consent page: checks the app's ids, then redirects with a fresh code."""
        query = request.query
        self.calls.append(Call(request.method, request.path, dict(query), None))
        if query.get("appid") != self.corp_id or query.get("agentid") != str(self.agent_id):
            return web.Response(status=400, text="appid/agentid mismatch")
        redirect = query.get("redirect_uri", "")
        if not redirect.startswith("http"):
            return web.Response(status=400, text="redirect_uri missing")
        code = secrets.token_hex(8)
        self.login_codes[code] = self.web_user
        sep = "&" if "?" in redirect else "?"
        raise web.HTTPFound(f"{redirect}{sep}code={code}&state={query.get('state', '')}")

    async def _getuserinfo(self, request: web.Request) -> web.Response:
        injected = self._injected(request, None)
        if injected is not None:
            return injected
        bad = self._token_error(request)
        if bad is not None:
            return await self._record(request, bad, None)
        code = request.query.get("code", "")
        if code not in self.login_codes:
            return await self._error(request, 40029, "invalid code", None)
        userid = self.login_codes.pop(code)  # a code works once
        if userid is None:
            return await self._record(
                request, {"errcode": 0, "errmsg": "ok", "openid": "o-outsider"}, None
            )
        return await self._record(request, {"errcode": 0, "errmsg": "ok", "userid": userid}, None)

    async def _gettoken(self, request: web.Request) -> web.Response:
        injected = self._injected(request, None)
        if injected is not None:
            return injected
        if request.query.get("corpid") != self.corp_id:
            return await self._error(request, 40013, "invalid corpid", None)
        if request.query.get("corpsecret") != self.secret:
            return await self._error(request, 40001, "invalid credential", None)
        token = f"tok-{next(self._seq)}-{secrets.token_hex(4)}"
        self.tokens[token] = time.time() + 7200
        answer = {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        return await self._record(request, answer, None)

    async def _send(self, request: web.Request) -> web.Response:
        if self.stall_times > 0:
            self.stall_times -= 1
            if self.stall_delivers:
                answer = await self._accept_send(request)
                await asyncio.sleep(self.stall_seconds)
                return answer
            await asyncio.sleep(self.stall_seconds)
            return web.json_response({"errcode": -1, "errmsg": "system busy (late)"})
        return await self._accept_send(request)

    async def _accept_send(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        injected = self._injected(request, body)
        if injected is not None:
            return injected
        error = self._token_error(request) or self._check_send(body)
        if error is not None:
            return await self._record(request, error, body)
        answer: dict[str, Any] = {
            "errcode": 0,
            "errmsg": "ok",
            "invaliduser": "",
            "msgid": f"msg{next(self._seq)}",
        }
        users = str(body["touser"]).split("|")
        now = time.time()
        delivered = []
        for user in users:
            window = self._member_log[user]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= MEMBER_PER_MINUTE:
                # WeCom: "超过部分会被丢弃不下发" and the API does not report it.
                self.dropped_messages.append({"touser": user, **body})
                continue
            window.append(now)
            delivered.append(user)
        if body["msgtype"] == "template_card":
            card = body["template_card"]
            self.task_ids.add(card["task_id"])
            code = "rc-send-" + secrets.token_hex(8)
            self.codes[code] = ResponseCode(tuple(delivered), card["task_id"], now)
            answer["response_code"] = code
            for user in delivered:
                self.cards[(user, card["task_id"])] = card
        return await self._record(request, answer, body, dropped=not delivered)

    def _check_send(self, body: Any) -> dict[str, Any] | None:
        def bad(message: str, code: int = 40058) -> dict[str, Any]:
            return {"errcode": code, "errmsg": message}

        if not isinstance(body, dict):
            return bad("invalid json", 47001)
        if body.get("agentid") != self.agent_id:
            return bad("invalid agentid", 40056)
        if not body.get("touser"):
            return bad("touser empty", 40031)
        msgtype = body.get("msgtype")
        if msgtype in ("text", "markdown"):
            content = (body.get(msgtype) or {}).get("content")
            if not isinstance(content, str) or not content:
                return bad("content empty", 44004)
            if len(content.encode()) > 2048:
                return bad("content size out of limit", 45002)
            return None
        if msgtype in ("file", "image"):
            if (body.get(msgtype) or {}).get("media_id") not in self.media:
                return bad("invalid media_id", 40007)
            return None
        if msgtype != "template_card":
            return bad("invalid msgtype", 40008)
        return self._check_card(body.get("template_card"), new=True)

    def _check_card(self, card: Any, *, new: bool) -> dict[str, Any] | None:
        def bad(message: str) -> dict[str, Any]:
            return {"errcode": 40058, "errmsg": message}

        if not isinstance(card, dict):
            return bad("template_card missing")
        if card.get("card_type") != "button_interaction":
            return bad("only button_interaction is faked")
        task_id = card.get("task_id")
        if not isinstance(task_id, str) or not TASK_ID.match(task_id):
            return bad("invalid task_id")
        if new and task_id in self.task_ids:
            return bad("task_id already exists")
        if not (card.get("main_title") or {}).get("title"):
            return bad("main_title.title missing")
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
            return bad("button_list must have 1..6 buttons")
        for button in buttons:
            if not button.get("text") or not button.get("key"):
                return bad("button text/key missing")
            if len(str(button["key"]).encode()) > 1024:
                return bad("button key too long")
            if button.get("style", 1) not in (1, 2, 3, 4):
                return bad("button style out of range")
        if len(card.get("horizontal_content_list") or []) > 6:
            return bad("horizontal_content_list too long")
        return None

    async def _upload(self, request: web.Request) -> web.Response:
        """``media/upload?type=file|image``: one multipart part named ``media`` with a filename
        (an image must be a PNG or JPEG of at most 2 MB)."""
        error = self._token_error(request)
        media_type = request.query.get("type")
        if error is None and media_type not in ("file", "image"):
            error = {"errcode": 40004, "errmsg": "invalid media type"}
        name, data = "", b""
        if error is None:
            reader = await request.multipart()
            part = await reader.next()
            if part is None or getattr(part, "name", None) != "media":
                error = {"errcode": 41001, "errmsg": "media missing"}
            else:
                name = str(getattr(part, "filename", "") or "")
                data = bytes(await part.read())  # type: ignore[union-attr]
                if not name or not data:
                    error = {"errcode": 40005, "errmsg": "empty media"}
                elif media_type == "image" and not data.startswith((b"\x89PNG", b"\xff\xd8")):
                    error = {"errcode": 40005, "errmsg": "invalid image format"}
                elif media_type == "image" and len(data) > 2 * 1024 * 1024:
                    error = {"errcode": 40006, "errmsg": "invalid image size"}
        if error is not None:
            return await self._record(request, error, None)
        media_id = f"media{next(self._seq)}"
        self.media[media_id] = (name, data)
        answer = {"errcode": 0, "errmsg": "ok", "type": media_type, "media_id": media_id}
        return await self._record(request, answer, {"filename": name, "size": len(data)})

    def hold_media_downloads(self) -> asyncio.Event:
        """Make ``media/get`` wait until the returned event is set (``media_started`` tells
        when a download is being held)."""
        self.media_gate = asyncio.Event()
        return self.media_gate

    def add_media(self, name: str, data: bytes) -> str:
        """Something a person sent (image or file): its MediaId, for the callback XML."""
        media_id = f"media{next(self._seq)}"
        self.media[media_id] = (name, data)
        return media_id

    async def _media_get(self, request: web.Request) -> web.StreamResponse:
        """``media/get``: the bytes with Content-Disposition, or a JSON error."""
        error = self._token_error(request)
        found = self.media.get(request.query.get("media_id", ""))
        if error is None and found is None:
            error = {"errcode": 40007, "errmsg": "invalid media_id"}
        if error is not None or found is None:
            return await self._record(request, error or {}, None)
        name, data = found
        self.calls.append(Call(request.method, request.path, dict(request.query), None, {}))
        if self.media_gate is not None:  # a test holds the download open
            self.media_started.set()
            await self.media_gate.wait()
        return web.Response(
            body=data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'},
        )

    async def _update(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        injected = self._injected(request, body)
        if injected is not None:
            return injected
        error = self._token_error(request)
        if error is None and (not isinstance(body, dict) or body.get("agentid") != self.agent_id):
            error = {"errcode": 40056, "errmsg": "invalid agentid"}
        if error is not None:
            return await self._record(request, error, body)
        code = self.codes.get(str(body.get("response_code")))
        if code is None or code.used or time.time() - code.issued > CODE_LIFETIME:
            return await self._error(request, 40058, "invalid response_code", body)
        users = [u for u in body.get("userids", []) if u in code.userids]
        if not users:
            return await self._error(request, 40031, "invalid userids", body)
        card = body.get("template_card")
        if card is not None:
            error = self._check_card(card, new=False)
            if error is None and card.get("task_id") != code.task_id:
                error = {"errcode": 40058, "errmsg": "task_id does not match response_code"}
            if error is not None:
                return await self._record(request, error, body)
        code.used = True
        for user in users:
            if card is not None:
                self.cards[(user, code.task_id)] = card
            elif body.get("button"):
                current = dict(self.cards.get((user, code.task_id), {}))
                current["replace_text"] = body["button"].get("replace_name", "")
                self.cards[(user, code.task_id)] = current
        return await self._error(request, 0, "ok", body)

    async def _robot(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        injected = self._injected(request, body)
        if injected is not None:
            return injected
        key = request.query.get("key", "")
        if key not in self.robot_keys:
            return await self._error(request, 93000, "invalid webhook url", body)
        now = time.time()
        window = self._robot_log[key]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= ROBOT_PER_MINUTE:
            return await self._error(request, 45009, "api freq out of limit", body)
        msgtype = body.get("msgtype") if isinstance(body, dict) else None
        limit = {"text": 2048, "markdown": 4096}.get(str(msgtype))
        content = (body.get(msgtype) or {}).get("content") if limit else None
        if limit is None or not isinstance(content, str) or len(content.encode()) > limit:
            return await self._error(request, 40058, "invalid robot message", body)
        window.append(now)
        return await self._error(request, 0, "ok", body)

    async def _menu(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        error = self._token_error(request)
        if error is None and request.query.get("agentid") != str(self.agent_id):
            error = {"errcode": 40056, "errmsg": "invalid agentid"}
        buttons = body.get("button") if isinstance(body, dict) else None
        if error is None and (not isinstance(buttons, list) or not 1 <= len(buttons) <= 3):
            error = {"errcode": 40058, "errmsg": "1..3 top-level buttons"}
        for item in buttons or []:
            subs = item.get("sub_button")
            if error is None and subs is not None and not 1 <= len(subs) <= 5:
                error = {"errcode": 40058, "errmsg": "1..5 sub buttons"}
        if error is not None:
            return await self._record(request, error, body)
        self.menu = body
        return await self._error(request, 0, "ok", body)


@dataclass
class WeComPlatform:
    """WeCom's side of an app: the fake API plus the callbacks it POSTs to the bot."""

    api: FakeWeCom
    signer: CallbackSigner

    def tap(
        self, userid: str, card: dict[str, Any], button_text: str, *, create_time: int | None = None
    ) -> str:
        """The decrypted XML of ``userid`` tapping ``button_text`` on a sent template card."""
        button = next(b for b in card["button_list"] if b["text"] == button_text)
        return template_card_event_xml(
            self.api.corp_id,
            userid,
            task_id=card["task_id"],
            event_key=button["key"],
            response_code=self.api.tap_code(userid, card["task_id"]),
            agent_id=self.api.agent_id,
            create_time=create_time,
        )

    async def post(self, base_url: str, inner_xml: str) -> tuple[int, str]:
        """POST a callback to the bot as WeCom does; (status, body text)."""
        signed: SignedRequest = self.signer.post(inner_xml, agent_id=self.api.agent_id)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{base_url}/wecom/callback?{signed.query}", data=signed.body) as resp,
        ):
            return resp.status, await resp.text()
