"""Real ``dutybot serve`` and ``dutybot worker`` processes for end-to-end tests.

- ``running_stack``: serve + worker talking to a fake WeCom (``Processes``, ``eventually``).
- ``running_processes``: serve + worker talking to a fake Feishu in webhook mode.
- ``System`` and the ``system`` fixture: processes started and killed at will against the
  test's database and Redis (the survival tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import SystemClock
from bot.core.services import Services
from bot.policy.runtime import TimeKeeping
from bot.runtime import connect_redis
from tests.fakes.feishu_server import FakeFeishu
from tests.fakes.wecom_callbacks import CallbackSigner
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.dates import SHANGHAI
from tests.support.orgs import WECOM_ORG, load_org_text
from tests.support.proc import ROOT
from tests.support.wecom import AGENT_ID, CORP_ID, SECRET, TOKEN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- serve + worker on a fake WeCom ----


class Processes:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, env: dict[str, str]) -> None:
        with (self.workdir / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", name],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.running.append((name, proc))

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n" + (self.workdir / f"{name}.log").read_text(errors="replace")
            for name, _ in self.running
        )

    def stop(self) -> list[int | None]:
        codes = []
        for _, proc in self.running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in self.running:
            try:
                codes.append(proc.wait(timeout=20))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


async def eventually(
    check: Callable[[], Any], what: str, procs: Processes, within: float = 30
) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{procs.logs()}")


@asynccontextmanager
async def running_stack(
    db: str,
    redis_url: str,
    tmp_path: Path,
    aes_key: str,
    *,
    org: str,
    robot_keys: set[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[tuple[str, WeComPlatform, Processes]]:
    """Real ``dutybot serve`` and ``dutybot worker`` processes on ``org``, talking to a fake
    WeCom: yields the server's base URL, the platform (fake API + callback signer) and the
    processes. Both must stop cleanly (exit 0) when the block ends."""
    redis = await connect_redis(redis_url)
    await redis.flushdb()
    await redis.aclose()
    await load_org_text(org)
    fake = FakeWeCom(
        corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, robot_keys=robot_keys or set()
    )
    await fake.start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")},
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(tmp_path / "home"),
        "DUTYBOT_DATABASE_URL": db,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_HTTP_HOST": "127.0.0.1",
        "DUTYBOT_HTTP_PORT": str(port),
        "DUTYBOT_CONSOLE": "false",
        "DUTYBOT_WECOM_CORP_ID": CORP_ID,
        "DUTYBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "DUTYBOT_WECOM_SECRET": SECRET,
        "DUTYBOT_WECOM_TOKEN": TOKEN,
        "DUTYBOT_WECOM_AES_KEY": aes_key,
        "DUTYBOT_WECOM_API_BASE": fake.url,
        **(extra_env or {}),
    }
    procs = Processes(tmp_path)
    procs.start("serve", env)
    procs.start("worker", env)
    base = f"http://127.0.0.1:{port}"
    try:
        await until_healthy(base, procs.logs, within=40)
        yield base, WeComPlatform(api=fake, signer=CallbackSigner(TOKEN, aes_key, CORP_ID)), procs
    finally:
        codes = procs.stop()
        await fake.stop()
    assert codes == [0, 0], procs.logs()
    assert "已开启渠道：企业微信" in procs.logs()


@pytest.fixture
async def stack(
    db: str, redis_url: str, tmp_path: Path, aes_key: str
) -> AsyncIterator[tuple[str, WeComPlatform, Processes]]:
    async with running_stack(db, redis_url, tmp_path, aes_key, org=WECOM_ORG) as running:
        yield running


# ---- serve + worker on a fake Feishu ----


class StreamedProcess:
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


async def start_dutybot(command: str, env: dict[str, str], cwd: Path) -> StreamedProcess:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", command,
        env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    return StreamedProcess(proc)


async def until_healthy(
    base: str,
    logs: Callable[[], str],
    *,
    within: float = 60,
    path: str = "/healthz?scope=web",
    exited: Callable[[], bool] = lambda: False,
) -> None:
    """Poll ``base + path`` until it answers 200; fail with the processes' ``logs`` when
    ``within`` seconds pass or ``exited()`` says the server died first. ``/healthz?scope=web``
    is the web process alone; plain ``/healthz`` also needs a live worker."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            if exited():
                raise AssertionError(f"dutybot serve exited early:\n{logs()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(base + path) as resp:
                    if resp.status == 200:
                        return
            if time.monotonic() > deadline:
                raise AssertionError(f"{base}{path} did not become healthy:\n{logs()}")
            await asyncio.sleep(0.2)


@asynccontextmanager
async def running_processes(
    fake_feishu: FakeFeishu,
    db_url: str,
    redis_url: str,
    tmp_path: Path,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[tuple[str, StreamedProcess, StreamedProcess]]:
    """Real ``dutybot serve`` and ``dutybot worker`` processes talking to a fake Feishu in
    webhook mode (load the organisation first): yields the base URL and both processes."""
    port = free_port()
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
    serve = await start_dutybot("serve", env, tmp_path)
    worker: StreamedProcess | None = None
    try:
        await until_healthy(
            base, lambda: serve.output, exited=lambda: serve.proc.returncode is not None
        )
        worker = await start_dutybot("worker", env, tmp_path)
        yield base, serve, worker
    finally:
        for process in (worker, serve):
            if process is not None:
                await process.stop()


# ---- processes started and killed at will ----


@dataclass
class LoggedProcess:
    name: str
    proc: asyncio.subprocess.Process
    log: Path
    started: float = field(default_factory=time.monotonic)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=20)
            except TimeoutError:
                await self.kill()


@dataclass
class System:
    """Starts dutybot processes against the test's database and Redis."""

    env: dict[str, str]
    logs: Path
    port: int
    running: list[LoggedProcess] = field(default_factory=list)
    count: int = 0

    async def spawn(self, command: str, ready: str) -> LoggedProcess:
        self.count += 1
        log = self.logs / f"{self.count:02d}-{command}.log"
        handle = log.open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", command,
            env=self.env, stdout=handle, stderr=asyncio.subprocess.STDOUT, cwd=str(ROOT),
        )  # fmt: skip
        handle.close()
        process = LoggedProcess(f"{command}#{self.count}", proc, log)
        self.running.append(process)
        deadline = time.monotonic() + 60
        while ready not in process.output():
            if proc.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"{process.name} did not start:\n{process.output()}")
            await asyncio.sleep(0.05)
        return process

    async def worker(self) -> LoggedProcess:
        return await self.spawn("worker", "dutybot worker 已启动")

    async def web(self) -> LoggedProcess:
        return await self.spawn("serve", "dutybot 已在")

    async def close(self) -> None:
        for process in self.running:
            await process.stop()

    def logs_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in self.running)


@pytest.fixture
async def system(
    services: Services, demo_org: None, db_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[System]:
    services.clock = SystemClock(SHANGHAI)
    settings = services.settings.model_copy(update={"calendar_file": tmp_path / "calendar.toml"})
    services.timekeeping = TimeKeeping.from_settings(settings)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(tmp_path / "home"),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_CONSOLE": "true",
        "DUTYBOT_HTTP_PORT": str(port),
        "DUTYBOT_CALENDAR_FILE": str(tmp_path / "calendar.toml"),
        "DUTYBOT_LOG_LEVEL": "INFO",
    }
    env.pop("DUTYBOT_POLICY", None)
    env.pop("DUTYBOT_POLICY_OVERRIDES", None)
    system = System(env=env, logs=tmp_path, port=port)
    try:
        yield system
    finally:
        await system.close()


async def wait_for(
    check: Callable[[], Awaitable[bool]], seconds: float, system: System, what: str
) -> float:
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what} not within {seconds:.0f} s\n{system.logs_text()}")
        await asyncio.sleep(0.1)
    return time.monotonic() - started
