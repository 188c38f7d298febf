"""End to end: ``python -m bot serve`` and ``python -m bot worker`` as real processes, the fake
WeCom API, and signed, encrypted callbacks: a person messages the bot, gets a card, taps it,
and the card is updated.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runtime import connect_redis
from storage.models.machinery import AuditEntry, InboundEvent
from tests.adapters.wecom.conftest import AGENT_ID, CORP_ID, SECRET, TOKEN, WECOM_ORG
from tests.conftest import load_org_text
from tests.fakes.wecom_callbacks import CallbackSigner, text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


async def say_in_turn(
    base: str, platform: WeComPlatform, procs: Processes, userid: str, texts: list[str], tag: str
) -> None:
    """Send each text as ``userid`` and wait for the bot's answer before the next, as a person
    filling a form does. ``tag`` keeps the MsgIds of different tests apart."""
    for n, text in enumerate(texts):
        before = len(platform.api.sent(touser=userid))
        status, _ = await platform.post(base, text_xml(CORP_ID, userid, text, f"{tag}{n:04d}"))
        assert status == 200
        await eventually(
            lambda before=before: len(platform.api.sent(touser=userid)) > before,
            f"the answer to {text}",
            procs,
        )


def cards_to(platform: WeComPlatform, userid: str, title: str) -> list[dict[str, Any]]:
    """Template cards the bot sent ``userid`` whose title contains ``title``, oldest first."""
    return [
        s["template_card"]
        for s in platform.api.sent(msgtype="template_card", touser=userid)
        if title in s["template_card"]["main_title"]["title"]
    ]


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
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 40
            while True:
                try:
                    async with session.get(f"{base}/healthz?scope=web") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("dutybot serve did not come up\n" + procs.logs())
                await asyncio.sleep(0.2)
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


async def test_message_card_tap_and_update_through_serve_and_worker(
    stack: tuple[str, WeComPlatform, Processes],
) -> None:
    base, platform, procs = stack
    fake = platform.api
    async with aiohttp.ClientSession() as session:
        # The admin saves the callback URL: WeCom verifies it.
        params = platform.signer.url_verification("5927782489442352469")
        async with session.get(f"{base}/wecom/callback", params=params) as resp:
            assert resp.status == 200
            assert await resp.text() == "5927782489442352469"

    # 张三 sends 帮助 in the app: answered at once, the card arrives through the worker.
    started = time.monotonic()
    status, body = await platform.post(base, text_xml(CORP_ID, "ZhangSan", "帮助", "880001"))
    assert (status, body) == (200, "")
    assert time.monotonic() - started < 5
    sent = await eventually(
        lambda: fake.sent(msgtype="template_card", touser="ZhangSan"), "the help card", procs
    )
    card = sent[0]["template_card"]
    assert card["main_title"]["title"] == "张三，我能帮您做什么"

    # 张三 taps 我的信息: the card is updated for him and the answer arrives.
    tap = platform.tap("ZhangSan", card, "我的信息")
    assert (await platform.post(base, tap))[0] == 200
    assert (await platform.post(base, tap))[0] == 200  # WeCom's retry changes nothing
    updates = await eventually(fake.updates, "the card update", procs)
    assert updates[0]["userids"] == ["ZhangSan"]
    seen = fake.cards[("ZhangSan", card["task_id"])]
    assert {"keyname": "状态", "value": "已开始：我的信息"} in seen["horizontal_content_list"]
    info = await eventually(
        lambda: fake.sent(msgtype="markdown", touser="ZhangSan"), "the info reply", procs
    )
    assert "青溪区融媒体中心" in info[0]["markdown"]["content"]

    # A forged callback changes nothing and is refused.
    signed = platform.signer.post(text_xml(CORP_ID, "ZhangSan", "帮助", "880002"))
    signed.params["msg_signature"] = "0" * 40
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/wecom/callback?{signed.query}", data=signed.body) as resp,
    ):
        assert resp.status == 403
    await asyncio.sleep(1)
    assert len(fake.updates()) == 1
    assert len(fake.sent(touser="ZhangSan")) == 2
    assert await InboundEvent.all().count() == 2
    assert await AuditEntry.filter(action="card.denied").count() == 0
