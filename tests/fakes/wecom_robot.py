"""A fake of WeCom's intelligent robot: the long-connection server and group/user state.

It speaks the documented frames (WeCom doc 101463; the official SDK's ``WsCmd``):
``aibot_subscribe`` (checked against the bot id and secret), ``ping``, ``aibot_msg_callback`` /
``aibot_event_callback`` pushed to the bot, ``aibot_respond_msg`` / ``aibot_respond_update_msg``
answering a callback's req_id (an update is refused after 5 s, as WeCom does), and
``aibot_send_msg`` (refused with 45009 beyond 30 a minute per conversation, and refused for a
conversation nobody wrote in). It keeps what each conversation shows, including cards changed by
taps, so tests read the chat the way people see it. ``drop()`` cuts the connection;
``kick()`` sends ``disconnected_event`` first, as WeCom does when another client subscribes.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve_on_loopback

NOT_ALLOWED = 93006  # our stand-in: the docs name the rule, not its code
RATE_LIMITED = 45009
UPDATE_WINDOW = 5.0


@dataclass
class Posted:
    """One message in a conversation, as its members see it."""

    chatid: str
    body: dict[str, Any]
    # A tap's update for some members only: userid -> card they see instead.
    personal: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Reply to a message (respond_msg) rather than a push.
    reply_to: str | None = None

    @property
    def card(self) -> dict[str, Any] | None:
        card = self.body.get("template_card")
        return card if isinstance(card, dict) else None

    def card_for(self, userid: str) -> dict[str, Any] | None:
        return self.personal.get(userid) or self.card

    def text(self, userid: str = "") -> str:
        card = self.card_for(userid)
        if card is not None:
            parts = [card.get("main_title", {}).get("title", ""), card.get("sub_title_text", "")]
            parts += [
                f"{h['keyname']}：{h['value']}" for h in card.get("horizontal_content_list", [])
            ]
            parts += [b["text"] for b in card.get("button_list", [])]
            return "\n".join(p for p in parts if p)
        return str(self.body.get("markdown", {}).get("content", ""))


@dataclass
class _Callback:
    req_id: str
    body: dict[str, Any]
    sent_at: float
    answers: list[dict[str, Any]] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)


class FakeRobot:
    def __init__(self, bot_id: str, secret: str) -> None:
        self.bot_id = bot_id
        self.secret = secret
        self.url = ""
        self.runner: web.AppRunner | None = None
        self.ws: web.WebSocketResponse | None = None
        self.connected = asyncio.Event()
        self.subscribes = 0
        self.pings = 0
        self.frames: list[dict[str, Any]] = []
        self.posted: dict[str, list[Posted]] = defaultdict(list)
        self.opened: set[str] = set()
        self.callbacks: dict[str, _Callback] = {}
        self.refused: list[dict[str, Any]] = []
        self._sent_times: dict[str, list[float]] = defaultdict(list)
        self.per_minute = 30

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._ws_handler)
        self.runner, base = await serve_on_loopback(app)
        self.url = base.replace("http://", "ws://") + "/"

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    # ---- the server ------------------------------------------------------------------------

    async def _ws_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            frame = json.loads(msg.data)
            self.frames.append(frame)
            await self._on_frame(ws, frame)
        if self.ws is ws:
            self.ws = None
            self.connected.clear()
        return ws

    async def _answer(
        self, ws: web.WebSocketResponse, req_id: str, errcode: int = 0, errmsg: str = "ok"
    ) -> None:
        await ws.send_json({"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg})

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        cmd = frame.get("cmd")
        req_id = frame["headers"]["req_id"]
        body = frame.get("body") or {}
        if cmd == "aibot_subscribe":
            if body.get("bot_id") != self.bot_id or body.get("secret") != self.secret:
                await self._answer(ws, req_id, 40001, "invalid secret")
                return
            old = self.ws
            self.ws = ws
            self.subscribes += 1
            await self._answer(ws, req_id)
            if old is not None and old is not ws:
                await old.close()
            self.connected.set()
            return
        if ws is not self.ws:
            await self._answer(ws, req_id, 600001, "not subscribed")
            return
        if cmd == "ping":
            self.pings += 1
            await self._answer(ws, req_id)
        elif cmd == "aibot_send_msg":
            await self._send_msg(ws, req_id, body)
        elif cmd in ("aibot_respond_msg", "aibot_respond_update_msg"):
            await self._respond(ws, req_id, cmd, body)
        else:
            await self._answer(ws, req_id, 40008, f"unknown cmd {cmd}")

    async def _send_msg(self, ws: web.WebSocketResponse, req_id: str, body: dict[str, Any]) -> None:
        chatid = str(body.get("chatid", ""))
        if chatid not in self.opened:
            self.refused.append(body)
            await self._answer(ws, req_id, NOT_ALLOWED, "need user message first")
            return
        now = time.monotonic()
        times = [t for t in self._sent_times[chatid] if now - t < 60]
        if len(times) >= self.per_minute:
            self.refused.append(body)
            await self._answer(ws, req_id, RATE_LIMITED, "api freq out of limit")
            return
        times.append(now)
        self._sent_times[chatid] = times
        content = {k: v for k, v in body.items() if k != "chatid"}
        self.posted[chatid].append(Posted(chatid=chatid, body=content))
        await self._answer(ws, req_id)

    async def _respond(
        self, ws: web.WebSocketResponse, req_id: str, cmd: str, body: dict[str, Any]
    ) -> None:
        callback = self.callbacks.get(req_id)
        if callback is None:
            await self._answer(ws, req_id, 40008, "unknown req_id")
            return
        if cmd == "aibot_respond_update_msg":
            if time.monotonic() - callback.sent_at > UPDATE_WINDOW:
                await self._answer(ws, req_id, 600039, "update window passed")
                return
            self._apply_update(callback.body, body)
        else:
            chatid = callback.body.get("chatid") or callback.body["from"]["userid"]
            self.posted[chatid].append(
                Posted(chatid=chatid, body=body, reply_to=callback.body["msgid"])
            )
        callback.answers.append({"cmd": cmd, "body": body})
        callback.answered.set()
        await self._answer(ws, req_id)

    def _apply_update(self, event_body: dict[str, Any], answer: dict[str, Any]) -> None:
        task_id = event_body["event"]["template_card_event"]["task_id"]
        card = answer["template_card"]
        assert card.get("task_id") == task_id, "an update must keep the task_id"
        chatid = event_body.get("chatid") or event_body["from"]["userid"]
        for posted in self.posted[chatid]:
            if posted.card is not None and posted.card.get("task_id") == task_id:
                userids = answer.get("userids")
                if userids:
                    for userid in userids:
                        posted.personal[userid] = card
                else:
                    posted.body = {"msgtype": "template_card", "template_card": card}
                    posted.personal.clear()

    # ---- people acting ---------------------------------------------------------------------

    async def push(self, cmd: str, body: dict[str, Any]) -> _Callback:
        await asyncio.wait_for(self.connected.wait(), 10)
        assert self.ws is not None
        req_id = uuid.uuid4().hex
        callback = _Callback(req_id=req_id, body=body, sent_at=time.monotonic())
        self.callbacks[req_id] = callback
        await self.ws.send_json({"cmd": cmd, "headers": {"req_id": req_id}, "body": body})
        return callback

    async def say(
        self,
        userid: str,
        text: str,
        chatid: str | None = None,
        *,
        msgid: str | None = None,
        mention: str = "值班助手",
    ) -> _Callback:
        """A person @-mentions the robot in a group (1:1 when ``chatid`` is None)."""
        body: dict[str, Any] = {
            "msgid": msgid or uuid.uuid4().hex,
            "aibotid": self.bot_id,
            "chattype": "group" if chatid else "single",
            "from": {"userid": userid},
            "msgtype": "text",
            "text": {"content": f"@{mention} {text}" if chatid else text},
        }
        if chatid:
            body["chatid"] = chatid
        self.opened.add(chatid or userid)
        return await self.push("aibot_msg_callback", body)

    async def tap(
        self, userid: str, posted: Posted, button: str, *, msgid: str | None = None
    ) -> _Callback:
        card = posted.card_for(userid)
        assert card is not None, "not a card"
        keys = [b["key"] for b in card.get("button_list", []) if b["text"] == button]
        assert keys, f"no button {button!r} on the card {posted.text(userid)!r}"
        body: dict[str, Any] = {
            "msgid": msgid or uuid.uuid4().hex,
            "create_time": int(time.time()),
            "aibotid": self.bot_id,
            "from": {"userid": userid},
            "chattype": "group" if posted.chatid not in self.opened_singles() else "single",
            "msgtype": "event",
            "event": {
                "eventtype": "template_card_event",
                "template_card_event": {
                    "card_type": "button_interaction",
                    "event_key": keys[0],
                    "task_id": card["task_id"],
                },
            },
        }
        if body["chattype"] == "group":
            body["chatid"] = posted.chatid
        return await self.push("aibot_event_callback", body)

    def opened_singles(self) -> set[str]:
        return {
            c.body["from"]["userid"]
            for c in self.callbacks.values()
            if c.body.get("chattype") == "single"
        }

    async def drop(self) -> None:
        """Cut the connection, as a network failure or a server restart would."""
        ws = self.ws
        self.ws = None
        self.connected.clear()
        if ws is not None:
            await ws.close()

    async def kick(self) -> None:
        """What WeCom does when another client subscribes with the same credentials."""
        if self.ws is not None:
            await self.push(
                "aibot_event_callback",
                {
                    "msgid": uuid.uuid4().hex,
                    "aibotid": self.bot_id,
                    "from": {"userid": ""},
                    "msgtype": "event",
                    "event": {"eventtype": "disconnected_event"},
                },
            )
        await self.drop()

    def chat(self, chatid: str) -> list[Posted]:
        return self.posted[chatid]

    def cards(self, chatid: str, title: str) -> list[Posted]:
        return [
            p
            for p in self.posted[chatid]
            if p.card is not None and title in p.card.get("main_title", {}).get("title", "")
        ]
