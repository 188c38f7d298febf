"""Who holds the robot's long connection, and how every other process sends through it.

WeCom allows one live connection per robot; a second subscribe kicks the first. So among the
web processes (``dutybot serve`` replicas) one holds a Redis lease and runs the connection; the
others wait to take over. Pushes are made by the worker (the outbox), which has no connection:
it puts the frame on a Redis list and waits for the holder's answer. A push that gets no answer
in time fails and the outbox retries it (the holder drops requests whose sender gave up, so a
retried push is not sent twice by a slow holder).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable
from typing import Any, cast

from bot.adapters.wecom_bot.channel import SendFailed
from bot.adapters.wecom_bot.inbound import RobotInbound
from bot.adapters.wecom_bot.longconn import (
    RESPOND_MSG,
    RESPOND_UPDATE,
    SEND_MSG,
    BotConnection,
    FrameError,
    NotConnected,
)
from bot.constants import KEY_PREFIX
from bot.core.services import Services

log = logging.getLogger(__name__)

LEASE_SECONDS = 30
RENEW_EVERY = 10.0
# How long a sender waits for the holder's answer; the holder drops older requests.
RELAY_WAIT_SECONDS = 10
# errcodes after which retrying soon cannot help (wrong chatid, robot not in the group…).
PERMANENT_ERRCODES = {40001, 40003, 40058, 93000, 93006}


def _keys(bot_id: str) -> tuple[str, str, str]:
    base = f"{KEY_PREFIX}wecom_bot:{bot_id}"
    return f"{base}:lease", f"{base}:requests", f"{base}:answer:"


class RobotLink:
    """The channel's ``Sender``: through the local connection, else through the holder."""

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings
        assert settings.wecom_bot_id is not None
        self.bot_id = settings.wecom_bot_id
        self.lease_key, self.requests_key, self.answer_prefix = _keys(self.bot_id)
        self.token = uuid.uuid4().hex
        self.connection: BotConnection | None = None
        self.inbound: RobotInbound | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # ---- the holder ------------------------------------------------------------------------

    async def start_connection(self, inbound: RobotInbound) -> None:
        self.inbound = inbound
        self._tasks.append(asyncio.create_task(self._hold(), name="wecom-bot-lease"))

    async def stop_connection(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.connection is not None:
            await self.connection.stop()
            self.connection = None
            # Let another replica take over at once.
            if await self.services.redis.get(self.lease_key) in (self.token, self.token.encode()):
                await self.services.redis.delete(self.lease_key)

    async def close(self) -> None:
        await self.stop_connection()

    async def _hold(self) -> None:
        redis = self.services.redis
        relay: asyncio.Task[None] | None = None
        try:
            while True:
                current = await redis.get(self.lease_key)
                mine = current in (self.token, self.token.encode())
                if mine:
                    await redis.expire(self.lease_key, LEASE_SECONDS)
                elif await redis.set(self.lease_key, self.token, nx=True, ex=LEASE_SECONDS):
                    mine = True
                if mine and self.connection is None:
                    self.connection = self._new_connection()
                    await self.connection.start()
                    relay = asyncio.create_task(self._serve_relay())
                elif not mine and self.connection is not None:
                    log.warning("wecom robot lease lost; closing this process's connection")
                    if relay is not None:
                        relay.cancel()
                    await self.connection.stop()
                    self.connection = None
                await asyncio.sleep(RENEW_EVERY)
        finally:
            if relay is not None:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay

    def _new_connection(self) -> BotConnection:
        settings = self.services.settings
        secret = settings.wecom_bot_secret
        return BotConnection(
            url=settings.wecom_bot_ws_url,
            bot_id=self.bot_id,
            secret=secret.get_secret_value() if secret is not None else "",
            on_frame=self._on_frame,
        )

    async def _on_frame(self, frame: dict[str, Any]) -> None:
        assert self.inbound is not None
        body = frame.get("body")
        req_id = str(frame.get("headers", {}).get("req_id", ""))
        if not isinstance(body, dict):
            return
        try:
            answer = await self.inbound.handle(body)
        except Exception:
            log.exception("wecom robot frame %s could not be handled", req_id)
            return
        if answer is None or self.connection is None:
            return
        cmd = RESPOND_UPDATE if answer.kind == "update" else RESPOND_MSG
        try:
            await self.connection.request(cmd, answer.body, req_id=req_id)
        except (NotConnected, FrameError, TimeoutError) as exc:
            log.warning("wecom robot answer to %s not delivered: %s", req_id, exc)

    async def _serve_relay(self) -> None:
        redis = self.services.redis
        while True:
            item = await cast(
                Awaitable[list[Any] | None], redis.blpop([self.requests_key], timeout=1)
            )
            if item is None:
                continue
            try:
                request: Any = json.loads(item[1])
                if float(request["deadline"]) < time.time():
                    continue  # the sender gave up and will retry: do not send it twice
                answer = await self._send_local(str(request["chatid"]), request["body"])
            except SendFailed as exc:
                answer = {"ok": False, "error": str(exc), "errcode": exc.errcode}
            except Exception as exc:  # a malformed request: answer, never crash the loop
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "errcode": None}
            else:
                answer = {"ok": True}
            key = self.answer_prefix + str(request.get("id", ""))
            await cast(Awaitable[int], redis.rpush(key, json.dumps(answer)))
            await redis.expire(key, 60)

    # ---- sending ---------------------------------------------------------------------------

    async def send(self, chatid: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.connection is not None:
            await self._send_local(chatid, body)
            return {}
        return await self._send_relayed(chatid, body)

    async def _send_local(self, chatid: str, body: dict[str, Any]) -> dict[str, Any]:
        assert self.connection is not None
        try:
            return await self.connection.request(SEND_MSG, {"chatid": chatid, **body})
        except NotConnected as exc:
            raise SendFailed(f"智能机器人长连接未连接：{exc}") from exc
        except TimeoutError as exc:
            raise SendFailed("企业微信没有确认收到（超时）") from exc
        except FrameError as exc:
            raise SendFailed(
                f"企业微信拒绝：{exc.errcode} {exc.errmsg}",
                errcode=exc.errcode,
                transient=exc.errcode not in PERMANENT_ERRCODES,
            ) from exc

    async def _send_relayed(self, chatid: str, body: dict[str, Any]) -> dict[str, Any]:
        redis = self.services.redis
        request_id = uuid.uuid4().hex
        request = {
            "id": request_id,
            "chatid": chatid,
            "body": body,
            "deadline": time.time() + RELAY_WAIT_SECONDS - 1,
        }
        await cast(
            Awaitable[int],
            redis.rpush(self.requests_key, json.dumps(request, ensure_ascii=False)),
        )
        answer = await cast(
            Awaitable[list[Any] | None],
            redis.blpop([self.answer_prefix + request_id], timeout=RELAY_WAIT_SECONDS),
        )
        if answer is None:
            raise SendFailed("没有进程持有智能机器人长连接（dutybot serve 是否在运行？）")
        result: Any = json.loads(answer[1])
        if not result.get("ok"):
            errcode = result.get("errcode")
            raise SendFailed(
                str(result.get("error")),
                errcode=errcode,
                transient=errcode not in PERMANENT_ERRCODES,
            )
        return {}
