"""Long-connection mode: ``lark.ws.Client`` in its own thread and loop, watched by a watchdog.

Why a thread: lark-oapi 1.7.5's client blocks in ``start()`` on a module-level event loop and
calls our handlers synchronously on it, so it cannot share the application's loop. It gets a
thread with a fresh loop (``_ws_client`` makes the SDK's loop global resolve per thread); each
frame is handed to the application loop, where the database lives, and answered from there.

Why a watchdog: the SDK's reconnect can hang (its endpoint request had no timeout, issue
#169), gives up for good after finite retries, and has no stop(). Every second the watchdog
checks that the thread is alive, that a lost connection is re-established within the time
the SDK itself would need, and that a live connection still receives frames (pongs at
least). Otherwise it retires that client (its frames are ignored, its loop stopped) and
starts a fresh one in a new thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.feishu import constants as c

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]

RESTART_BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# A client still not constructed after this long (the SDK import hung) is replaced.
STARTUP_GRACE_SECONDS = 60.0


@dataclass
class _Run:
    """One client generation: its thread, loop and client once they exist."""

    number: int
    started: float
    thread: threading.Thread | None = None
    loop: asyncio.AbstractEventLoop | None = None
    client: Any = None
    error: str = ""
    ended: threading.Event = field(default_factory=threading.Event)


class LongConnection:
    """Runs and supervises the Feishu long connection for one process."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        domain: str,
        handle: Handler,
        stall_after: float | None = None,
        silence_after: float | None = None,
        endpoint_timeout: float = 10.0,
        check_every: float = 1.0,
        restart_backoff: tuple[float, ...] = RESTART_BACKOFF_SECONDS,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.domain = domain.rstrip("/")
        self.handle = handle
        self.stall_after = stall_after
        self.silence_after = silence_after
        self.endpoint_timeout = endpoint_timeout
        self.check_every = check_every
        self.restart_backoff = restart_backoff
        self.restarts = 0
        self._run: _Run | None = None
        self._retired: list[_Run] = []
        self._generation = 0
        self._quick_failures = 0
        self._down_since: float | None = None
        self._next_start_at = 0.0
        self._watchdog: asyncio.Task[None] | None = None
        self._main_loop: asyncio.AbstractEventLoop | None = None
        self._main_context: contextvars.Context | None = None

    # ---- lifecycle (application loop) ----------------------------------------------------

    async def start(self) -> None:
        self._main_loop = asyncio.get_running_loop()
        self._main_context = contextvars.copy_context()
        self._spawn()
        self._watchdog = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        runs = [r for r in (self._run, *self._retired) if r is not None]
        self._run = None
        for run in runs:
            self._retire(run)
        for run in runs:
            # A thread stuck in a blocking call cannot be interrupted; it is a daemon and
            # its client is retired, so it does no harm if it outlives this wait.
            await asyncio.to_thread(run.ended.wait, self.endpoint_timeout + 5)

    @property
    def connected(self) -> bool:
        client = self._run.client if self._run is not None else None
        return bool(client is not None and client.dutybot_connected)

    def status(self) -> dict[str, Any]:
        """For logs and /healthz-style checks."""
        client = self._run.client if self._run is not None else None
        return {
            "connected": self.connected,
            "generation": self._run.number if self._run else 0,
            "restarts": self.restarts,
            "last_frame_age": (
                round(time.monotonic() - client.dutybot_last_frame_at, 1) if client else None
            ),
        }

    # ---- threads ---------------------------------------------------------------------------

    def _spawn(self) -> None:
        self._generation += 1
        run = _Run(number=self._generation, started=time.monotonic())
        run.thread = threading.Thread(
            target=self._thread_main,
            args=(run,),
            name=f"feishu-ws-{run.number}",
            daemon=True,
        )
        self._run = run
        self._down_since = None
        run.thread.start()
        log.info("feishu long connection: client %s starting", run.number)

    def _thread_main(self, run: _Run) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        run.loop = loop
        try:
            # Imported here, off the application loop: the SDK takes seconds to import.
            from bot.adapters.feishu import _ws_client

            _ws_client.prepare(self.endpoint_timeout)
            client = _ws_client.DutybotWsClient(
                self.app_id,
                self._app_secret,
                domain=self.domain,
                bridge=self._bridge,
            )
            run.client = client
            client.start()
        except BaseException as exc:  # the thread must never die silently or noisily
            run.error = f"{type(exc).__name__}: {exc}"
            if not (run.client is not None and run.client.dutybot_retired):
                log.error("feishu long connection client %s stopped: %s", run.number, run.error)
        finally:
            self._close_loop(run, loop)
            run.ended.set()

    @staticmethod
    def _close_loop(run: _Run, loop: asyncio.AbstractEventLoop) -> None:
        try:
            client = run.client
            if client is not None:
                loop.run_until_complete(asyncio.wait_for(client.dutybot_close(), 2.0))
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        except Exception as exc:
            log.debug("feishu long connection cleanup: %s", exc)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def _retire(self, run: _Run) -> None:
        if run.client is not None:
            run.client.dutybot_retired = True
        loop = run.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed in the meantime
                loop.call_soon_threadsafe(loop.stop)

    # ---- watchdog --------------------------------------------------------------------------

    def _stall_limit(self, client: Any) -> float:
        if self.stall_after is not None:
            return self.stall_after
        # The longest a healthy SDK reconnect takes: jitter + one interval + the endpoint call.
        nonce, interval = client.dutybot_reconnect_timing()
        return float(nonce + interval + self.endpoint_timeout + 30.0)

    def _silence_limit(self, client: Any) -> float:
        if self.silence_after is not None:
            return self.silence_after
        return max(30.0, 3.0 * float(client.dutybot_ping_interval()))

    def _problem(self, run: _Run, now: float) -> str | None:
        if run.thread is None or not run.thread.is_alive():
            return f"客户端线程已退出（{run.error or '原因未知'}）"
        client = run.client
        if client is None:
            if now - run.started > STARTUP_GRACE_SECONDS:
                return "客户端启动超时"
            return None
        if client.dutybot_connected:
            self._down_since = None
            silence = now - client.dutybot_last_frame_at
            if silence > self._silence_limit(client):
                return f"连接已 {silence:.0f} 秒没有任何数据（可能是半开连接）"
            return None
        if self._down_since is None:
            self._down_since = now
            return None
        down = now - self._down_since
        if down > self._stall_limit(client):
            return f"断线重连已卡住 {down:.0f} 秒"
        return None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            try:
                self._check()
            except Exception:
                log.exception("feishu long connection watchdog check failed")

    def _check(self) -> None:
        now = time.monotonic()
        run = self._run
        if run is None:
            if now >= self._next_start_at:
                self._spawn()
            return
        problem = self._problem(run, now)
        if problem is None:
            if run.client is not None and run.client.dutybot_connected:
                self._quick_failures = 0
            return
        log.warning("feishu long connection: restarting client %s: %s", run.number, problem)
        self._retire(run)
        self._retired = [r for r in self._retired if not r.ended.is_set()] + [run]
        self.restarts += 1
        # Back off when clients keep dying right after starting (bad credentials, no network).
        if now - run.started < 30.0:
            self._quick_failures += 1
        # The first failure restarts at once; repeated quick failures wait longer each time.
        waits = self.restart_backoff
        delay = 0.0
        if self._quick_failures > 1:
            delay = waits[min(self._quick_failures - 2, len(waits) - 1)]
        self._run = None
        self._next_start_at = now + delay
        if now >= self._next_start_at:
            self._spawn()

    # ---- frames (client thread → application loop) ----------------------------------------

    def _submit(self, coro: Coroutine[Any, Any, dict[str, Any]]) -> concurrent.futures.Future[Any]:
        """Run ``coro`` on the application loop, in the application's context."""
        assert self._main_loop is not None
        assert self._main_context is not None
        result: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def start() -> None:
            task = asyncio.ensure_future(coro)

            def done(t: asyncio.Task[Any]) -> None:
                if t.cancelled():
                    result.cancel()
                elif t.exception() is not None:
                    result.set_exception(t.exception())
                else:
                    result.set_result(t.result())

            task.add_done_callback(done)

        self._main_loop.call_soon_threadsafe(start, context=self._main_context.copy())
        return result

    async def _bridge(self, raw: bytes) -> dict[str, Any] | None:
        """Called on the client loop for each event or card frame; returns the ack data."""
        payload = json.loads(raw)
        if not isinstance(payload, dict):
            raise ValueError("frame payload is not a JSON object")
        future = self._submit(self.handle(payload))
        # Slightly more than the callback deadline: the handler answers within it itself.
        answer = await asyncio.wait_for(
            asyncio.wrap_future(future), c.CALLBACK_DEADLINE_SECONDS + 0.4
        )
        return answer or None
