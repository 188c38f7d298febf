"""PostgreSQL restarted under a running `dutybot serve` + `dutybot worker`: both processes stay
up, reconnect, and a message sent after the restart is answered once (one sent before, too).

A private PostgreSQL (initdb on a port of its own) is restarted, never the shared one. Runs in
the PostgreSQL pass of the suite (DUTYBOT_TEST_DATABASE_URL=postgres://…)."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.org.seed import demo_org_text
from tests.private_redis import PrivateRedis, free_port
from tests.proc import ROOT, run_dutybot
from tests.support.processes import System

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DUTYBOT_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="runs in the PostgreSQL pass (DUTYBOT_TEST_DATABASE_URL=postgres://…)",
    ),
]


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


class PrivatePostgres:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data = workdir / "data"
        self.port = free_port()
        # initdb refuses to run as root: run the server as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    async def _run(self, *args: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self.as_user, *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, out.decode(errors="replace")

    async def init(self) -> None:
        initdb = _pg_bin("initdb")
        assert initdb is not None
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.workdir, user="postgres")
        await self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--no-sync")  # fmt: skip

    async def ctl(self, action: str) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        assert pg_ctl is not None
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c fsync=off"
        await self._run(pg_ctl, "-D", str(self.data), "-o", options, "-w", "-m", "fast",
                        "-l", str(self.workdir / "pg.log"), action)  # fmt: skip


@pytest.fixture
async def private_postgres(tmp_path: Path) -> AsyncIterator[PrivatePostgres]:
    if _pg_bin("initdb") is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no initdb/pg_ctl here to run a private PostgreSQL")
    workdir = Path(f"/tmp/dutybot-pg-{os.getpid()}-{free_port()}")
    server = PrivatePostgres(workdir)
    await server.init()
    await server.ctl("start")
    try:
        yield server
    finally:
        await server.ctl("stop")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _send(base: str, text: str, client_id: int) -> int:
    """Post as xiaowang like the console page does, retrying as a platform would; the tries."""
    body = {"as": "xiaowang", "chat": "dm:xiaowang", "text": text, "client_id": f"pg-{client_id}"}
    async with aiohttp.ClientSession() as session:
        for attempt in range(1, 30):
            try:
                async with session.post(base + "/console/api/messages", json=body) as resp:
                    if resp.status == 200:
                        return attempt
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(1)
    raise AssertionError("the web process never accepted the message")


async def _bot_replies(base: str) -> list[str]:
    params = {"as": "xiaowang", "chat": "dm:xiaowang", "limit": "500"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(base + "/console/api/messages", params=params) as resp,
    ):
        if resp.status != 200:
            return []
        data = await resp.json()
    return [str(m.get("id")) for m in data.get("messages", []) if m.get("sender") is None]


async def _replies_reach(base: str, count: int, seconds: float, system: System) -> list[str]:
    started = time.monotonic()
    while True:
        replies = await _bot_replies(base)
        if len(replies) >= count:
            return replies
        if time.monotonic() - started > seconds:
            raise AssertionError(
                f"{count} replies not within {seconds:.0f} s\n{system.logs_text()}"
            )
        await asyncio.sleep(0.3)


async def test_serve_and_worker_survive_a_postgres_restart(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_HOME": str(tmp_path / "home"),
        "DUTYBOT_DATABASE_URL": private_postgres.url,
        "DUTYBOT_REDIS_URL": private_redis.url,
        "DUTYBOT_CONSOLE": "true",
        "DUTYBOT_HTTP_PORT": str(port),
        "DUTYBOT_LOG_LEVEL": "INFO",
    }
    settings = {k: v for k, v in env.items() if k.startswith("DUTYBOT_")}
    assert (await run_dutybot("db", "upgrade", env=settings)).returncode == 0
    org = tmp_path / "org.yaml"
    org.write_text(demo_org_text(), encoding="utf-8")
    loaded = await run_dutybot("org", "load", str(org), env=settings)
    assert loaded.returncode == 0, loaded.stderr

    system = System(env=env, logs=tmp_path, port=port)
    try:
        web = await system.web()
        worker = await system.worker()
        base = f"http://127.0.0.1:{port}"
        await _send(base, "帮助", 1)
        before = await _replies_reach(base, 1, 60, system)

        await private_postgres.ctl("restart")

        await _send(base, "帮助", 2)
        after = await _replies_reach(base, len(before) + 1, 90, system)
        await asyncio.sleep(3)  # a doubled answer would arrive by now
        assert len(await _bot_replies(base)) == len(after) == len(before) + 1, after
        assert web.proc.returncode is None, web.output()
        assert worker.proc.returncode is None, worker.output()
        async with (
            aiohttp.ClientSession() as session,
            session.get(base + "/healthz") as resp,
        ):
            assert resp.status == 200, await resp.text()
    finally:
        await system.close()
