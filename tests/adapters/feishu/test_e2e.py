"""End to end through real processes: ``python -m bot serve`` and ``python -m bot worker``
against the fake Feishu. A person messages the bot, gets a card, taps it, the card is updated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.core.services import Services
from storage.models.machinery import AuditEntry, InboundEvent
from tests.adapters.feishu.conftest import FEISHU_ORG
from tests.conftest import load_org_text
from tests.fakes.feishu_server import FakeFeishu
from tests.proc import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A dutybot subprocess whose output is collected as it runs."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._reader, 5)


async def _start(command: str, env: dict[str, str], cwd: Path) -> Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", command,
        env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    return Process(proc)


async def _until_healthy(base: str, serve: Process, within: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession() as session:
        while True:
            if serve.proc.returncode is not None:
                raise AssertionError(f"dutybot serve exited early:\n{serve.output}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(base + "/healthz?scope=web") as resp:
                    if resp.status == 200:
                        return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"dutybot serve did not become healthy:\n{serve.output}")
            await asyncio.sleep(0.2)


@asynccontextmanager
async def running_processes(
    fake_feishu: FakeFeishu,
    db_url: str,
    redis_url: str,
    tmp_path: Path,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[tuple[str, Process, Process]]:
    """Real ``dutybot serve`` and ``dutybot worker`` processes talking to a fake Feishu in
    webhook mode (load the organisation first): yields the base URL and both processes."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(tmp_path / "home"),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_HTTP_HOST": "127.0.0.1",
        "DUTYBOT_HTTP_PORT": str(port),
        "DUTYBOT_CONSOLE": "false",
        "DUTYBOT_FEISHU_APP_ID": fake_feishu.app_id,
        "DUTYBOT_FEISHU_APP_SECRET": fake_feishu.app_secret,
        "DUTYBOT_FEISHU_VERIFICATION_TOKEN": fake_feishu.verification_token,
        "DUTYBOT_FEISHU_ENCRYPT_KEY": fake_feishu.encrypt_key,
        "DUTYBOT_FEISHU_API_BASE": fake_feishu.base_url,
        "DUTYBOT_FEISHU_MODE": "webhook",
        **(extra_env or {}),
    }
    base = f"http://127.0.0.1:{port}"
    serve = await _start("serve", env, tmp_path)
    worker: Process | None = None
    try:
        await _until_healthy(base, serve)
        worker = await _start("worker", env, tmp_path)
        yield base, serve, worker
    finally:
        for process in (worker, serve):
            if process is not None:
                await process.stop()


@pytest.fixture
async def running_bot(
    services: Services, fake_feishu: FakeFeishu, db_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[str, Process, Process]]:
    await load_org_text(FEISHU_ORG, services.clock.now())
    async with running_processes(fake_feishu, db_url, redis_url, tmp_path) as running:
        yield running


async def test_message_card_tap_update_through_serve_and_worker(
    running_bot: tuple[str, Process, Process], fake_feishu: FakeFeishu
) -> None:
    base, serve, worker = running_bot
    assert "已开启渠道：飞书" in serve.output
    events = base + "/feishu/events"

    # 小王 writes 帮助 to the bot in a 1:1 chat (signed and encrypted, as Feishu sends it).
    status, answer = await fake_feishu.post_to_bot(
        events, fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    )
    assert (status, answer) == (200, {})
    [help_card] = await fake_feishu.wait_for(
        lambda: fake_feishu.sent("interactive", receive_id="ou_xiaowang"), 60
    )
    assert "小王，我能帮您做什么" in help_card.text

    # 小王 taps 我的信息: the answer carries a toast and the updated card, which Feishu shows.
    answer = await fake_feishu.tap(
        events, help_card.message_id, "我的信息", operator_open_id="ou_xiaowang"
    )
    assert answer["toast"]["content"] == "开始：我的信息"
    assert help_card.updates == ["callback"]
    assert "已开始：我的信息" in help_card.text

    # The worker delivers what the tap started.
    info = await fake_feishu.wait_for(
        lambda: [m for m in fake_feishu.sent("interactive") if "区文旅委宣传科" in m.text], 60
    )
    assert info[0].receive_id == "ou_xiaowang"
    assert "worker 已启动" in worker.output


async def test_bad_input_to_serve_changes_nothing(
    running_bot: tuple[str, Process, Process], fake_feishu: FakeFeishu
) -> None:
    base, _, _ = running_bot
    events = base + "/feishu/events"
    audit_before = await AuditEntry.all().count()
    event = fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助")
    status, _ = await fake_feishu.post_to_bot(events, event, encrypt_key="forged")
    assert status == 401
    async with aiohttp.ClientSession() as session, session.post(events, data=b"{oops") as resp:
        assert resp.status == 400
    assert await InboundEvent.all().count() == 0
    assert await AuditEntry.all().count() == audit_before
    await asyncio.sleep(1)
    assert fake_feishu.sent() == []
