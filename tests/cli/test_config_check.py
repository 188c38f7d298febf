"""`dutybot config check`: the effective configuration, secrets masked, what each channel lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.orgfiles import run_clean

pytestmark = pytest.mark.slow

SECRETS = {
    "DUTYBOT_WECOM_SECRET": "wecom-s3cret-9f8e7d",
    "DUTYBOT_FEISHU_APP_SECRET": "feishu-s3cret-1a2b3c",
    "DUTYBOT_DATABASE_URL": "postgres://dutybot:pg-pass-5566@db.internal:5432/dutybot",
    "DUTYBOT_REDIS_URL": "redis://:redis-pass-7788@cache.internal:6379/4",
}


async def test_secrets_are_masked_and_missing_settings_named(tmp_path: Path) -> None:
    result = await run_clean(
        tmp_path,
        "config",
        "check",
        **SECRETS,
        DUTYBOT_WECOM_CORP_ID="ww0123456789",
        DUTYBOT_FEISHU_APP_ID="cli_a1b2c3",
        DUTYBOT_FEISHU_MODE="websocket",
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    for secret in (
        "wecom-s3cret-9f8e7d",
        "feishu-s3cret-1a2b3c",
        "pg-pass-5566",
        "redis-pass-7788",
    ):
        assert secret not in output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert lines["DUTYBOT_WECOM_SECRET"].split()[1] == "******"
    assert "postgres://dutybot:******@db.internal:5432/dutybot" in lines["DUTYBOT_DATABASE_URL"]
    assert "redis://:******@cache.internal:6379/4" in lines["DUTYBOT_REDIS_URL"]
    assert "ww0123456789" in lines["DUTYBOT_WECOM_CORP_ID"]  # not a secret: shown
    assert (
        "企业微信 未开启，还缺：DUTYBOT_WECOM_AGENT_ID、DUTYBOT_WECOM_TOKEN、DUTYBOT_WECOM_AES_KEY"
        in " ".join(result.stdout.split())
    )
    # Long connection mode needs no callback token or key: Feishu is complete.
    assert "飞书 已开启" in " ".join(result.stdout.split())


async def test_nothing_configured_says_what_each_channel_needs(tmp_path: Path) -> None:
    result = await run_clean(tmp_path, "config", "check")
    text = " ".join(result.stdout.split())
    assert "企业微信 未配置（需要：DUTYBOT_WECOM_CORP_ID、DUTYBOT_WECOM_AGENT_ID" in text
    assert "飞书 未配置（需要：DUTYBOT_FEISHU_APP_ID、DUTYBOT_FEISHU_APP_SECRET、" in text
    assert "未设置 DUTYBOT_REDIS_URL，将使用内嵌 redis-server" in text


async def test_database_commands_on_a_fresh_database_ask_for_upgrade(tmp_path: Path) -> None:
    result = await run_clean(tmp_path, "org", "export")
    assert result.returncode == 1
    assert "数据库结构不是最新（待执行：models.0001_initial" in result.stderr
    assert "请先运行 dutybot db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


async def test_the_office_wording_file_is_shown_and_checked(tmp_path: Path) -> None:
    result = await run_clean(tmp_path, "config", "check")
    text = " ".join(result.stdout.split())
    assert "送审前纠错规则： 内置规则" in text
    assert "DUTYBOT_REVIEW_WORDING_FILE 未设置（只用内置规则）" in text

    rules = tmp_path / "wording.yaml"
    rules.write_text(
        'version: "临江-1"\nrules:\n  - id: ljq-festival\n    find: [临江桃花会]\n'
        "    standard: 临江桃花节\n    source: 区文旅委通知\n",
        "utf-8",
    )
    result = await run_clean(tmp_path, "config", "check", DUTYBOT_REVIEW_WORDING_FILE=str(rules))
    assert f"DUTYBOT_REVIEW_WORDING_FILE {rules}：1 条（版本 临江-1）" in " ".join(
        result.stdout.split()
    )

    rules.write_text(rules.read_text("utf-8").replace("source: 区文旅委通知", ""), "utf-8")
    result = await run_clean(tmp_path, "config", "check", DUTYBOT_REVIEW_WORDING_FILE=str(rules))
    assert result.returncode == 0, result.stderr
    assert (
        "有误，送审时不会使用：wording.yaml 规则 ljq-festival.source：请写明规范表述的出处"
        in " ".join(result.stdout.split())
    )
