"""The robot's long connection (``wss://openws.work.weixin.qq.com``), on aiohttp.

Frames (WeCom doc 101463, and the official SDK ``wecom-aibot-python-sdk`` 1.0.2, read for
what the documentation leaves out): every frame is ``{"cmd", "headers": {"req_id"}, "body"}``.
We send ``aibot_subscribe`` (bot id + secret), ``ping`` about every 30 s, and
``aibot_respond_msg`` / ``aibot_respond_update_msg`` (answers, echoing the callback's req_id) or
``aibot_send_msg`` (a push, our own req_id). WeCom sends ``aibot_msg_callback`` /
``aibot_event_callback``, and answers each of our frames with a frame without ``cmd`` carrying
the same req_id and ``errcode``.

Why not the SDK itself (docs/decisions/wecom.md): it gives up reconnecting after 10 attempts by
default, calls handlers synchronously, is untyped, and would add websockets, pyee and certifi
for what is ~200 lines on the aiohttp the bot already uses.

The connection reconnects with backoff for as long as the process runs. WeCom allows one live
connection per robot: a second subscribe kicks the first with a ``disconnected_event``, so a
kicked connection waits longer before trying again (two deployments must not fight forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

SUBSCRIBE = "aibot_subscribe"
PING = "ping"
MSG_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"
RESPOND_MSG = "aibot_respond_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
SEND_MSG = "aibot_send_msg"

RECONNECT_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
KICKED_BACKOFF = 60.0

FrameHandler = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]


class NotConnected(Exception):
    """The connection is down (reconnecting); the caller retries later."""


class FrameError(Exception):
    """WeCom answered a frame with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def new_req_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class BotConnection:
    """One robot's long connection: subscribe, heartbeat, reconnect, request/ack."""

    def __init__(
        self,
        *,
        url: str,
        bot_id: str,
        secret: str,
        on_frame: FrameHandler,
        heartbeat: float = 30.0,
        ack_timeout: float = 5.0,
        backoff: tuple[float, ...] = RECONNECT_BACKOFF,
        kicked_backoff: float = KICKED_BACKOFF,
    ) -> None:
        self.url = url
        self.bot_id = bot_id
        self._secret = secret
        self.on_frame = on_frame
        self.heartbeat = heartbeat
        self.ack_timeout = ack_timeout
        self.backoff = backoff
        self.kicked_backoff = kicked_backoff
        self.connects = 0
        self.last_error = ""
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ready = asyncio.Event()
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._kicked = False
        self._send_lock = asyncio.Lock()

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._runner = asyncio.create_task(self._run(), name="wecom-bot-longconn")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=5)
        if self._session is not None:
            await self._session.close()

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    # ---- requests --------------------------------------------------------------------------

    async def request(
        self, cmd: str, body: dict[str, Any], req_id: str | None = None
    ) -> dict[str, Any]:
        """Send one frame and wait for WeCom's answer to it (same req_id)."""
        ws = self._ws
        if ws is None or ws.closed or not self._ready.is_set():
            raise NotConnected("智能机器人长连接未连接")
        req_id = req_id or new_req_id(cmd)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = future
        try:
            await self._send(ws, {"cmd": cmd, "headers": {"req_id": req_id}, "body": body})
            answer = await asyncio.wait_for(future, self.ack_timeout)
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise NotConnected(f"发送失败：{exc}") from exc
        finally:
            self._pending.pop(req_id, None)
        errcode = answer.get("errcode", 0)
        if errcode:
            raise FrameError(int(errcode), str(answer.get("errmsg", "")))
        return answer

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await ws.send_str(json.dumps(frame, ensure_ascii=False))

    # ---- the connection loop ---------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            self._kicked = False
            try:
                await self._connect_once()
                failures = 0 if self.connects else failures
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, refused subscribe, bad frames: retry
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("wecom robot long connection failed: %s", self.last_error)
            finally:
                self._down()
            if self._kicked:
                delay = self.kicked_backoff
            else:
                delay = self.backoff[min(failures, len(self.backoff) - 1)]
                failures += 1
            await asyncio.sleep(delay)

    def _down(self) -> None:
        self._ready.clear()
        self._ws = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(NotConnected("长连接已断开"))
        self._pending.clear()

    async def _connect_once(self) -> None:
        assert self._session is not None
        async with self._session.ws_connect(self.url, heartbeat=None) as ws:
            self._ws = ws
            subscribe_id = new_req_id(SUBSCRIBE)
            await self._send(
                ws,
                {
                    "cmd": SUBSCRIBE,
                    "headers": {"req_id": subscribe_id},
                    "body": {"bot_id": self.bot_id, "secret": self._secret},
                },
            )
            answer = await asyncio.wait_for(self._next_frame(ws), self.ack_timeout)
            if answer.get("headers", {}).get("req_id") != subscribe_id or answer.get("errcode"):
                raise FrameError(
                    int(answer.get("errcode") or -1), str(answer.get("errmsg", "订阅失败"))
                )
            self.connects += 1
            self.last_error = ""
            self._ready.set()
            log.info("wecom robot long connection subscribed (bot %s)", self.bot_id)
            pinger = asyncio.create_task(self._ping(ws))
            try:
                while True:
                    frame = await self._next_frame(ws)
                    self._dispatch(frame)
            finally:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger

    async def _next_frame(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                raw = msg.data if isinstance(msg.data, str) else msg.data.decode("utf-8")
                try:
                    frame: Any = json.loads(raw)
                except ValueError:
                    log.warning("wecom robot frame is not JSON; ignored")
                    continue
                if isinstance(frame, dict):
                    return frame
                continue
            if msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                raise ConnectionError("长连接被服务器关闭")

    def _dispatch(self, frame: dict[str, Any]) -> None:
        cmd = frame.get("cmd")
        if cmd in (MSG_CALLBACK, EVENT_CALLBACK):
            body = frame.get("body")
            if (
                cmd == EVENT_CALLBACK
                and isinstance(body, dict)
                and isinstance(body.get("event"), dict)
                and body["event"].get("eventtype") == "disconnected_event"
            ):
                # Another connection subscribed with our credentials: WeCom closes this one.
                log.error(
                    "wecom robot connection replaced by another subscriber (another "
                    "deployment with the same BotID?); retrying in %.0f s",
                    self.kicked_backoff,
                )
                self._kicked = True
                return
            task = asyncio.create_task(self.on_frame(frame))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
            return
        req_id = str(frame.get("headers", {}).get("req_id", ""))
        future = self._pending.get(req_id)
        if future is not None and not future.done():
            future.set_result(frame)

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        missed = 0
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                await self.request(PING, {})
                missed = 0
            except (TimeoutError, NotConnected, FrameError) as exc:
                missed += 1
                log.warning("wecom robot ping unanswered (%s), %d in a row", exc, missed)
                if missed >= 2:
                    # A half-open connection: close it and let the loop reconnect.
                    await ws.close()
                    return
