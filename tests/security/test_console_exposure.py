"""Issue 12 item 6: the console (no login) is refused on a non-loopback address unless forced,
warned about loudly when forced, and never takes a notification away from a real platform."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
import yaml

from bot.adapters.feishu.setup import install_feishu
from bot.core.services import Services
from bot.org.seed import demo_org_text
from bot.web.sources import create_token
from tests.conftest import load_org_text
from tests.fakes.feishu_server import FakeFeishu
from tests.harness import ChatHarness
from tests.org.helpers import clean_env, run_clean
from tests.support.feishu import close_feishu, feishu_settings
from tests.support.processes import free_port

pytestmark = pytest.mark.slow  # runs the real dutybot command


@pytest.mark.parametrize("command", [["serve"], ["demo"]])
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
async def test_console_on_a_public_address_is_refused(
    tmp_path: Path, command: list[str], host: str
) -> None:
    done = await run_clean(
        tmp_path, *command, DUTYBOT_CONSOLE="1", DUTYBOT_HTTP_HOST=host, DUTYBOT_HTTP_PORT="1"
    )
    assert done.returncode != 0
    assert "拒绝启动" in done.stderr
    assert "DUTYBOT_CONSOLE_ALLOW_REMOTE=1" in done.stderr
    assert not (tmp_path / "dutybot.sqlite3").exists()  # refused before anything started


async def test_forced_console_starts_with_a_loud_warning(
    tmp_path: Path, db_url: str, redis_url: str
) -> None:
    env = clean_env(
        tmp_path,
        DUTYBOT_DATABASE_URL=db_url,
        DUTYBOT_REDIS_URL=redis_url,
        DUTYBOT_CONSOLE="1",
        DUTYBOT_CONSOLE_ALLOW_REMOTE="1",
        DUTYBOT_HTTP_HOST="0.0.0.0",
        DUTYBOT_HTTP_PORT=str(free_port()),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve",
        env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        started = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        assert "已在" in started.decode(), started
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err.decode()
    assert "警告：网页控制台" in err.decode()
    assert "冒充任何人" in err.decode()


async def test_console_never_takes_notifications_from_feishu(
    harness: ChatHarness, services: Services, fake_feishu: FakeFeishu
) -> None:
    # The demo organisation, with 文旅委 on Feishu too; the console stays switched on.
    org = yaml.safe_load(demo_org_text())
    on_feishu = {"xiaowang", "laozhou", "likz", "wangzr", "zhaofzr"}
    for person in org["people"]:
        if person["key"] in on_feishu:
            person["feishu_open_id"] = f"ou_{person['key']}"
    for chat in org["chats"]:
        if chat["key"] == "ljq-wlw-duty":
            chat["feishu_chat_id"] = "oc_wlw_duty"
    await load_org_text(yaml.safe_dump(org, allow_unicode=True), services.clock.now())
    services.settings = feishu_settings(services.settings, fake_feishu, console=True)
    install_feishu(services)
    try:
        token = await create_token("web-monitor", services.clock.now())
        resp = await harness.client.post(
            "/api/rectifications",
            json={"account": "ljq-wlw-wechat", "problem": "链接返回 404", "severity": "serious"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status == 201, await resp.json()
        await harness.drain()
        # The notice reached its people and their group on Feishu, and nothing on the console.
        assert fake_feishu.sent("interactive", receive_id="ou_xiaowang")
        assert fake_feishu.sent(receive_id="oc_wlw_duty")
        assert await harness.new_messages("xiaowang") == []
        assert await harness.new_messages("wangzr", "group:ljq-wlw-duty") == []
    finally:
        await close_feishu(services)
