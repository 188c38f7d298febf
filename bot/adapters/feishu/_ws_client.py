"""The lark-oapi long-connection client, adapted. Imports the SDK: load only in the WS thread.

Three changes to ``lark_oapi.ws.client`` (1.7.5), each for a known defect:

- the module-level ``loop`` becomes a proxy for the calling thread's loop, so a client runs
  on its own thread's loop and a replacement client never shares it (issues #96/#119/#133);
- the endpoint request gets a timeout (it had none: a reconnect could hang for days, #169);
- data frames are handed to ``bridge`` asynchronously, and CARD frames are treated like
  EVENT frames (1.7.5 drops them; some tenants deliver card clicks that way, #126).
"""

from __future__ import annotations

import asyncio
import base64
import http
import logging
import time
from typing import Any

import requests
from lark_oapi.core.const import UTF_8
from lark_oapi.core.json import JSON
from lark_oapi.core.log import logger as lark_logger
from lark_oapi.ws import client as wsc
from lark_oapi.ws.const import (
    HEADER_BIZ_RT,
    HEADER_MESSAGE_ID,
    HEADER_SEQ,
    HEADER_SUM,
    HEADER_TRACE_ID,
    HEADER_TYPE,
)
from lark_oapi.ws.enum import MessageType
from lark_oapi.ws.exception import ClientException
from lark_oapi.ws.model import Response

log = logging.getLogger(__name__)


class _ThreadLoop:
    """Stands in for the SDK's module-level loop: whichever loop this thread runs."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio.get_event_loop(), name)


class _RequestsWithTimeout:
    """``requests`` as the SDK module sees it, with a default timeout on ``post``."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def post(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return requests.post(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)


def prepare(endpoint_timeout: float) -> None:
    """Install the per-thread loop and the endpoint timeout (idempotent)."""
    if not isinstance(wsc.loop, _ThreadLoop):
        wsc.loop = _ThreadLoop()
    wsc.requests = _RequestsWithTimeout(endpoint_timeout)
    # The SDK prints to stdout with its own handler; send its lines through ours instead
    # (same format, JSON when configured).
    for handler in list(lark_logger.handlers):
        lark_logger.removeHandler(handler)
    lark_logger.propagate = True


class DutybotWsClient(wsc.Client):  # type: ignore[misc]  # the SDK is untyped
    _conn: Any  # the SDK's websocket connection (None while disconnected)

    def __init__(self, app_id: str, app_secret: str, *, domain: str, bridge: Any) -> None:
        super().__init__(app_id, app_secret, domain=domain, auto_reconnect=True)
        self._dutybot_bridge = bridge
        self.dutybot_retired = False
        self.dutybot_last_frame_at = time.monotonic()

    # ---- what the watchdog reads (from another thread: plain attribute reads) -------------

    @property
    def dutybot_connected(self) -> bool:
        conn: Any = self._conn
        return conn is not None and not self.dutybot_retired

    def dutybot_reconnect_timing(self) -> tuple[float, float]:
        return float(self._reconnect_nonce or 0), float(self._reconnect_interval or 0)

    def dutybot_ping_interval(self) -> float:
        return float(self._ping_interval or 120)

    async def dutybot_close(self) -> None:
        conn: Any = self._conn
        self._conn = None
        if conn is not None:
            await conn.close()

    # ---- overrides ---------------------------------------------------------------------------

    async def _connect(self) -> None:
        if self.dutybot_retired:
            raise ClientException(-1, "client retired by the dutybot watchdog")
        await super()._connect()
        self.dutybot_last_frame_at = time.monotonic()
        if self.dutybot_retired:
            await self.dutybot_close()
            raise ClientException(-1, "client retired by the dutybot watchdog")

    async def _reconnect(self) -> None:
        # A retired client stops quietly instead of failing inside an unobserved task.
        if self.dutybot_retired:
            return
        try:
            await super()._reconnect()
        except ClientException:
            if not self.dutybot_retired:
                raise

    async def _handle_message(self, msg: bytes) -> None:
        self.dutybot_last_frame_at = time.monotonic()
        if self.dutybot_retired:
            return
        await super()._handle_message(msg)

    async def _handle_data_frame(self, frame: Any) -> None:
        headers = frame.headers
        values = {h.key: h.value for h in headers}
        msg_id = values.get(HEADER_MESSAGE_ID, "")
        kind = values.get(HEADER_TYPE, "")
        payload = frame.payload
        total = int(values.get(HEADER_SUM, "1") or 1)
        if total > 1:
            payload = self._combine(msg_id, total, int(values.get(HEADER_SEQ, "0") or 0), payload)
            if payload is None:
                return
        if kind not in (MessageType.EVENT.value, MessageType.CARD.value):
            return
        started = time.monotonic()
        response = Response(code=http.HTTPStatus.OK)
        try:
            result = await self._dutybot_bridge(payload)
            header = headers.add()
            header.key = HEADER_BIZ_RT
            header.value = str(int((time.monotonic() - started) * 1000))
            if result is not None:
                response.data = base64.b64encode(JSON.marshal(result).encode(UTF_8))
        except Exception as exc:
            # A 500 ack makes Feishu push the frame again; the dedupe table absorbs that.
            log.warning(
                "feishu %s frame %s (trace %s) failed: %s",
                kind,
                msg_id,
                values.get(HEADER_TRACE_ID, ""),
                exc,
            )
            response = Response(code=http.HTTPStatus.INTERNAL_SERVER_ERROR)
        frame.payload = JSON.marshal(response).encode(UTF_8)
        await self._write_message(frame.SerializeToString())
