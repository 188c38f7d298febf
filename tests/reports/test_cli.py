"""`dutybot report quarterly 2025Q4 [--unit …] [--out DIR]` through the real command.

The command runs on the real clock, so the test reports a period that has surely ended."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.clock import ManualClock
from bot.org.seed import seed_demo
from storage.models.org import Account, Person
from storage.models.review import AccountUpdate
from tests.support.dates import SHANGHAI
from tests.support.orgfiles import dutybot

pytestmark = pytest.mark.slow

WLW = "临江区文化和旅游发展委员会"


@pytest.fixture
async def district(db: str, clock: ManualClock) -> str:
    """The demo district, with three updates of 临江文旅（微信） in December 2025."""
    await seed_demo(clock.now())
    account = await Account.get(key="ljq-wlw-wechat")
    person = await Person.get(key="xiaowang")
    for day in (1, 2, 15):
        moment = datetime(2025, 12, day, 10, tzinfo=SHANGHAI)
        await AccountUpdate.create(
            account_id=account.id,
            link="https://mp.weixin.qq.com/s/x",
            published_at=moment,
            reported_by_id=person.id,
            created_at=moment,
        )
    return db


async def test_one_units_quarterly_report_is_written(district: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = await dutybot(
        district, tmp_path, "report", "quarterly", "2025Q4", "--unit", "ljq-wlw", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    title = f"政务新媒体2025年第四季度报表（{WLW}）"
    assert result.stdout.startswith(f"【季报】{title}\n账号 3 个，更新 3 次（")
    xlsx, png = out / f"{title}.xlsx", out / f"{title}.png"
    assert f"已写入 {xlsx}" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    book = load_workbook(xlsx)
    units = list(book["单位"].iter_rows(values_only=True))
    assert [row[0] for row in units[1:]] == [WLW, "合计"]
    accounts = list(book["账号"].iter_rows(values_only=True))
    (wechat,) = [row for row in accounts if row[1] == "临江文旅（微信）"]
    assert wechat[3] == 3  # 更新次数


async def test_wrong_input_is_refused_with_the_reason(district: str, tmp_path: Path) -> None:
    result = await dutybot(district, tmp_path, "report", "quarterly", "2025-11")
    assert result.returncode == 1
    assert result.stderr.strip() == "“2025-11”是月报期间，不是季报期间。季报请写成 2026Q4。"
    result = await dutybot(district, tmp_path, "report", "monthly", "2025-11", "--unit", "文旅局")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "没有找到单位“文旅局”。请写单位全称或组织文件中的 key（如 ljq-wlw）。"
    )
