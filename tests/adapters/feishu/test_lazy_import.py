"""lark-oapi (~3 s, ~170 MB to import) is loaded only by the long-connection thread."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.support.proc import ROOT

PROBE = """
import sys
import bot.app, bot.cli, bot.runtime, bot.worker
from bot.adapters.feishu import (
    api, channel, crypto, inbound, longconn, payloads, render, setup, verify, webhook,
)
print("lark_oapi" in sys.modules)
"""


async def test_nothing_the_demo_or_the_webhook_loads_imports_lark_oapi() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().split() == ["False"]
