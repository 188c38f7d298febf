"""Issue 12 item 7: phone and ID numbers never appear in our log lines, third-party SQL logging
stays off at DEBUG unless asked for, and `config check` masks passwords inside any URL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.org.seed import seed_demo
from tests.org.helpers import run_clean
from tests.support.orgfiles import write_csv

pytestmark = pytest.mark.slow  # runs the real dutybot command

PHONE = "13912345678"
ID_NUMBER = "11010119900307123X"
REGISTRY = [
    ["责任主体", "新媒体名称", "账号", "所属平台", "运营主管负责人(姓名)",
     "运营主管负责人联系方式", "备注"],
    ["临江区文化和旅游发展委员会", "临江文旅", "ljwl2020", "抖音", "李科长", PHONE,
     f"负责人身份证 {ID_NUMBER}"],
]  # fmt: skip


@pytest.fixture
async def district(db: str, clock: ManualClock) -> str:
    await seed_demo(clock.now())
    return db


async def test_debug_logs_hold_no_personal_numbers_and_no_sql(
    district: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "台账.csv", REGISTRY, "utf-8-sig")
    done = await run_clean(
        tmp_path, "accounts", "import", str(path),
        DUTYBOT_DATABASE_URL=district, DUTYBOT_LOG_LEVEL="DEBUG",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    logs = done.stdout + done.stderr
    assert PHONE not in logs
    assert ID_NUMBER not in logs
    assert not re.search(r"\b(INSERT|UPDATE|SELECT)\b", done.stderr), done.stderr[-2000:]


async def test_sql_logging_when_asked_still_masks_numbers(district: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "台账.csv", REGISTRY, "utf-8-sig")
    done = await run_clean(
        tmp_path, "accounts", "import", str(path),
        DUTYBOT_DATABASE_URL=district, DUTYBOT_LOG_LEVEL="DEBUG", DUTYBOT_LOG_SQL="1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"\b(INSERT|UPDATE)\b", done.stderr)
    assert PHONE not in done.stderr
    assert "139****5678" in done.stderr
    assert ID_NUMBER not in done.stderr


async def test_config_check_masks_passwords_in_every_url(tmp_path: Path) -> None:
    done = await run_clean(
        tmp_path, "config", "check",
        DUTYBOT_DATABASE_URL="postgres://dutybot@db:5432/dutybot?sslmode=verify-full&sslpassword=ssl-s3cret",
        DUTYBOT_REDIS_URL="rediss://default:redis-s3cret@cache:6380/0?password=q-s3cret",
        DUTYBOT_PUBLIC_URL="https://bot:web-s3cret@dutybot.example.gov.cn",
        DUTYBOT_WECOM_API_BASE="https://proxy-user:proxy-s3cret@proxy.example/qyapi",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    for secret in ("ssl-s3cret", "redis-s3cret", "q-s3cret", "web-s3cret", "proxy-s3cret"):
        assert secret not in output
    assert "sslmode=verify-full" in output  # not a secret: shown
    assert "https://bot:******@dutybot.example.gov.cn" in output
