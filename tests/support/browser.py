"""Headless Chromium for the browser tests: Debian's package (``playwright install`` is never
used), the flags a closed network needs, and the real app served on a loopback port with the
arq worker running in the test process (replies delivered as in ``dutybot demo``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from bot.worker import build_worker

CHROMIUM = Path(os.environ.get("DUTYBOT_CHROMIUM", "/usr/bin/chromium"))
# Without these the closed network makes Chromium hang on start-up.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000


def require_chromium() -> None:
    """Skip without Chromium, unless DUTYBOT_REQUIRE_BROWSER=1 (CI) makes that a failure."""
    if CHROMIUM.exists():
        return
    if os.environ.get("DUTYBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DUTYBOT_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt install chromium)")
    pytest.skip(f"{CHROMIUM} not installed")


@contextlib.asynccontextmanager
async def serving(services: Services) -> AsyncIterator[str]:
    """The real app on a loopback port, with a worker; yields its base URL."""
    runner = web.AppRunner(create_app(services, load_all(), console=True), access_log=None)
    await runner.setup()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    worker = build_worker(services, handle_signals=False)
    worker_task = asyncio.create_task(worker.async_run())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await worker.close()
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await runner.cleanup()
