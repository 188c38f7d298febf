"""Issue 12 item 8: `accounts export x.csv` never writes a cell a spreadsheet would run as a
formula (=, +, -, @ first), and importing that export back changes nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.org.seed import seed_demo
from storage.models.org import Account
from tests.org.helpers import dutybot
from tests.support.orgfiles import write_csv

pytestmark = pytest.mark.slow  # runs the real dutybot command

NOTE = '=HYPERLINK("http://evil.example","点我")'
REGISTRY = [
    ["责任主体", "新媒体名称", "账号", "所属平台", "网址/链接", "备注"],
    ["临江区教育委员会", "临江教育", "-ljjy", "微信", "@SUM(1+1)*cmd|' /C calc'!A0", NOTE],
    ["临江区文化和旅游发展委员会", "临江文旅", "+ljwl", "抖音", "", "-2+3"],
]  # fmt: skip


@pytest.fixture
async def district(db: str, clock: ManualClock) -> str:
    await seed_demo(clock.now())
    return db


async def test_csv_export_guards_formulas_and_round_trips(district: str, tmp_path: Path) -> None:
    setup = write_csv(tmp_path / "setup.csv", REGISTRY, "utf-8-sig")
    done = await dutybot(district, tmp_path, "accounts", "import", str(setup))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (await Account.get(key="ljq-jw-wechat")).note == NOTE

    path = tmp_path / "导出.csv"
    exported = await dutybot(district, tmp_path, "accounts", "export", str(path))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], cells
    assert "'" + NOTE in cells

    again = await dutybot(district, tmp_path, "accounts", "import", str(path))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "新增 0 个账号，更新 0 个" in again.stdout
    assert (await Account.get(key="ljq-jw-wechat")).note == NOTE
