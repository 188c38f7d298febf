"""dutybot feishu check, run as the real command against the fake platform."""

from __future__ import annotations

import os

from tests.fakes.feishu_server import FakeFeishu
from tests.support.proc import run_dutybot


def _env(fake: FakeFeishu, **extra: str) -> dict[str, str]:
    env = {k: "" for k in os.environ if k.startswith("DUTYBOT_FEISHU_")}
    return env | {
        "DUTYBOT_FEISHU_APP_ID": fake.app_id,
        "DUTYBOT_FEISHU_APP_SECRET": fake.app_secret,
        "DUTYBOT_FEISHU_VERIFICATION_TOKEN": fake.verification_token,
        "DUTYBOT_FEISHU_ENCRYPT_KEY": fake.encrypt_key,
        "DUTYBOT_FEISHU_API_BASE": fake.base_url,
        "DUTYBOT_PUBLIC_URL": "https://bot.example.gov.cn",
        **extra,
    }


async def test_check_shows_the_bot_and_what_to_enter(fake_feishu: FakeFeishu) -> None:
    fake_feishu.chats = {"oc_a": "文旅委审核群", "oc_b": "新媒体中心值班群", "oc_c": "监管群"}
    done = await run_dutybot("feishu", "check", env=_env(fake_feishu))
    assert done.returncode == 0, done.stderr
    assert "凭证有效" in done.stdout
    assert f"open_id {fake_feishu.bot_open_id}" in done.stdout
    assert "https://bot.example.gov.cn/feishu/events" in done.stdout
    assert "帮助" in done.stdout
    assert "help" in done.stdout
    for chat_id, name in fake_feishu.chats.items():
        assert f"{chat_id}  {name}" in done.stdout


async def test_check_explains_a_wrong_secret(fake_feishu: FakeFeishu) -> None:
    done = await run_dutybot(
        "feishu", "check", env=_env(fake_feishu, DUTYBOT_FEISHU_APP_SECRET="wrong")
    )
    assert done.returncode == 1
    assert "DUTYBOT_FEISHU_APP_SECRET" in done.stderr
    assert "app secret invalid" in done.stderr


async def test_check_names_missing_settings(fake_feishu: FakeFeishu) -> None:
    done = await run_dutybot(
        "feishu", "check", env=_env(fake_feishu, DUTYBOT_FEISHU_ENCRYPT_KEY="")
    )
    assert done.returncode == 1
    assert "DUTYBOT_FEISHU_ENCRYPT_KEY" in done.stderr
