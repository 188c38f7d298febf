"""`dutybot accounts import / export` with real .xlsx and .csv files, through the real command."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bot.clock import ManualClock
from bot.org.seed import seed_demo
from storage.enums import AccountStatus, MediaPlatform
from storage.models.machinery import AuditEntry
from storage.models.org import Account
from tests.support.orgfiles import audit_count, dutybot, write_csv

pytestmark = pytest.mark.slow

FORM_HEADERS = [
    "序号", "责任主体", "新媒体名称", "账号", "所属平台", "运营主管负责人(姓名)",
    "运营主管负责人联系方式", "运营人员(姓名)", "运营人员联系方式",
]  # fmt: skip


def write_xlsx(path: Path, rows: list[list[Any]], merges: tuple[str, ...] = ()) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)
    return path


async def accounts() -> dict[tuple[str, str], Account]:
    rows = await Account.all().prefetch_related("owner_unit")
    return {(a.owner_unit.key, a.platform_name or a.platform.value): a for a in rows}


@pytest.fixture
async def district(db: str, clock: ManualClock) -> str:
    """The demo district and its seven accounts."""
    await seed_demo(clock.now())
    return db


# A registry as an office keeps it: a title row, header variants, a unit's name merged over its
# accounts' rows, several operators in one cell, a phone typed as a number, a date cell.
OFFICE_REGISTRY = [
    ["临江区政务新媒体台账（2026年10月）"],
    ["序号", "责任主体", "新媒体名称", "账号", "平台", "运营主管负责人姓名", "主管负责人联系方式",
     "运营人员", "运营人员电话", "状态", "开设时间", "网址", "备注"],
    [1, "临江区文化和旅游发展委员会", "临江文旅", "ljwl2020", "抖音", "李科长", 13900000034,
     "老周、小王", "13900000036、13900000035", "运行", date(2020, 9, 1), None, "视频为主"],
    [2, None, "临江文旅", None, "其他:小红书", "李科长", "13900000034",
     "小王（13900000035）", None, "筹备", "2026年10月", None, None],
    [3, "ljq-jw", "临江教育", "gh_ljjy0003", "微信", "黄科长", "13900000043",
     "小徐", "13900000044", "正常", "2017/2/14", "https://mp.weixin.qq.com/ljjy", None],
]  # fmt: skip


async def test_office_registry_xlsx_updates_and_creates(district: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "台账.xlsx", OFFICE_REGISTRY, merges=("B3:B4",))
    before = await audit_count()

    result = await dutybot(district, tmp_path, "accounts", "import", str(path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "导入完成：共 3 行，新增 1 个账号，更新 2 个，0 个无变化。"
    found = await accounts()
    douyin = found[("ljq-wlw", "douyin")]
    assert douyin.operators == [
        {"name": "老周", "phone": "13900000036"},
        {"name": "小王", "phone": "13900000035"},
    ]
    assert douyin.note == "视频为主"
    xhs = found[("ljq-wlw", "小红书")]  # the merged 责任主体 cell covers this row
    assert xhs.platform == MediaPlatform.OTHER
    assert xhs.status == AccountStatus.PREPARING
    assert xhs.opened_on == date(2026, 10, 1)
    assert xhs.manager_phone == "13900000034"
    assert xhs.operators == [{"name": "小王", "phone": "13900000035"}]
    education = found[("ljq-jw", "wechat")]
    assert education.url == "https://mp.weixin.qq.com/ljjy"
    # Columns the file does not have are left as they were.
    assert education.operator_unit_id is not None
    entries = await AuditEntry.filter(seq__gt=before).order_by("seq")
    assert [(e.action, e.detail["row"], e.detail["source"]) for e in entries] == [
        ("account.updated", 3, "台账.xlsx"),
        ("account.created", 4, "台账.xlsx"),
        ("account.updated", 5, "台账.xlsx"),
    ]
    assert entries[0].actor_label == "台账导入"

    again = await dutybot(district, tmp_path, "accounts", "import", str(path))
    assert again.stdout.strip() == "导入完成：共 3 行，新增 0 个账号，更新 0 个，3 个无变化。"
    assert await audit_count() == before + 3


async def test_filing_form_layout_with_two_header_rows(district: str, tmp_path: Path) -> None:
    rows = [
        ["责任主体", "新媒体名称", "账号", "所属平台", "新媒体运营主管负责人", None,
         "新媒体运营人员", None],
        [None, None, None, None, "姓名", "联系方式", "姓名", "联系方式"],
        ["临江区河西镇人民政府", "河西镇发布", "gh_hxz00004", "微信", "刘镇长", "13900000051",
         "小杨", "13900000053"],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "备案表.xlsx", rows, merges=("E1:F1", "G1:H1", "A1:A2"))
    result = await dutybot(district, tmp_path, "accounts", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "更新 1 个" in result.stdout
    town = (await accounts())[("ljq-hxz", "wechat")]
    assert (town.manager_name, town.manager_phone) == ("刘镇长", "13900000051")


BAD_ROWS = [
    FORM_HEADERS,
    [1, "临江区文化和旅游发展委员会", "临江文旅", "ljwl2020", "抖音", "李科长", "13900000034",
     "小王", "13900000035"],
    [2, "区文旅委宣传科", "宣传科视频号", None, "微信", None, None, None, None],
    [3, "临江区文旅委", "临江文旅", None, "快手", None, None, None, None],
    [4, "临江区教育委员会", None, None, "微信", "黄科长", "139000000431", "小徐、小李",
     "13900000044"],
    [5, "临江区河西镇人民政府", "河西镇发布", None, "微信", None, None, None, None],
    [6, "临江区河西镇人民政府", "河西发布", None, "微信", None, None, None, None],
]  # fmt: skip
EXPECTED_PROBLEMS = [
    "第 3 行「责任主体」：“区文旅委宣传科”是内设科室，不能作为政务新媒体的责任主体，"
    "请填写“临江区文化和旅游发展委员会”（科室可填在“承办单位”）",
    "第 4 行「责任主体」：找不到单位“临江区文旅委”，您是不是要填“临江区文化和旅游发展委员会”？",
    "第 4 行「所属平台」：不认识的平台“快手”：应为 微信、微博、抖音、客户端、网站，"
    "其他平台请写成“其他:平台名”，如“其他:快手”",
    "第 5 行「新媒体名称」：不能为空",
    "第 5 行「运营主管负责人联系方式」：黄科长 的电话“139000000431”格式不正确"
    "（手机号为 11 位数字，座机须带区号）",
    "第 5 行「运营人员联系方式」：有 2 个姓名、1 个联系方式，请按顺序一一对应，"
    "用“、”分隔（没有电话的人留空，如“、13900000002”）",
    "第 7 行「所属平台」：与第 6 行是同一责任主体在同一平台的账号"
    "（一个单位在同一平台只能开设一个政务新媒体账号）",
]


async def test_bad_rows_refuse_the_whole_file_by_default(district: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "台账.xlsx", BAD_ROWS)
    before = await audit_count()
    douyin_before = (await accounts())[("ljq-wlw", "douyin")].operators

    result = await dutybot(district, tmp_path, "accounts", "import", str(path))

    assert result.returncode == 2
    assert "4 行有问题：" in result.stderr
    listed = [line.strip(" ·") for line in result.stderr.splitlines() if line.startswith("  · ")]
    assert listed == EXPECTED_PROBLEMS
    assert result.stdout.strip() == (
        "整份文件未导入：共 6 行，其中 4 行有问题（见上）。没有写入任何数据。"
        "请改正后重新导入，或加 --skip-bad 只导入没有问题的行。"
    )
    assert await audit_count() == before
    assert (await accounts())[("ljq-wlw", "douyin")].operators == douyin_before


async def test_skip_bad_keeps_the_good_rows_and_says_so(district: str, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "台账.xlsx", BAD_ROWS)
    result = await dutybot(district, tmp_path, "accounts", "import", str(path), "--skip-bad")
    assert result.returncode == 3
    listed = [line.strip(" ·") for line in result.stderr.splitlines() if line.startswith("  · ")]
    assert listed == EXPECTED_PROBLEMS
    assert result.stdout.strip() == (
        "已导入没有问题的 2 行（新增 0 个账号，更新 2 个，0 个无变化）；"
        "跳过了有问题的 4 行（见上），这些行没有写入，改正后可再次导入。"
    )
    found = await accounts()
    assert found[("ljq-wlw", "douyin")].operators == [{"name": "小王", "phone": "13900000035"}]
    # Row 6's empty cells clear what they stand for: the sheet is the registry.
    town = found[("ljq-hxz", "wechat")]
    assert (town.manager_name, town.operators) == (None, [])


CSV_ROWS = [
    [*FORM_HEADERS, "状态", "备注"],
    [1, "临江区教育委员会", "临江教育", "gh_ljjy0003", "微信", "黄科长", "13900000043",
     "小徐、小李", "13900000044、13900000045", "运行", "两人轮值"],
    [2, "临江区教育委员会", "临江教育", "ljjy_douyin", "抖音", "黄科长", "13900000043",
     "小徐", "13900000044", "筹备", ""],
]  # fmt: skip


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
async def test_csv_in_the_encodings_excel_writes(
    district: str, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "台账.csv", CSV_ROWS, encoding)
    result = await dutybot(district, tmp_path, "accounts", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "导入完成：共 2 行，新增 1 个账号，更新 1 个，0 个无变化。"
    found = await accounts()
    assert found[("ljq-jw", "wechat")].note == "两人轮值"
    assert found[("ljq-jw", "wechat")].operators[1] == {"name": "小李", "phone": "13900000045"}
    assert found[("ljq-jw", "douyin")].status == AccountStatus.PREPARING


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
async def test_export_then_import_changes_nothing(
    district: str, tmp_path: Path, suffix: str
) -> None:
    # Something beyond the seed: several operators, one without a phone, another platform.
    setup = write_csv(tmp_path / "setup.csv", CSV_ROWS, "utf-8-sig")
    assert (await dutybot(district, tmp_path, "accounts", "import", str(setup))).returncode == 0
    wechat = await Account.get(key="ljq-jw-wechat")
    wechat.operators = [{"name": "小徐", "phone": None}, {"name": "小李", "phone": "13900000045"}]
    await wechat.save()
    path = tmp_path / f"导出{suffix}"
    exported = await dutybot(district, tmp_path, "accounts", "export", str(path))
    assert exported.returncode == 0, exported.stderr
    assert "已导出 8 个账号" in exported.stderr
    before = await audit_count()

    result = await dutybot(district, tmp_path, "accounts", "import", str(path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "导入完成：共 8 行，新增 0 个账号，更新 0 个，8 个无变化。"
    assert await audit_count() == before


async def test_long_import_shows_progress(district: str, tmp_path: Path) -> None:
    rows: list[list[Any]] = [FORM_HEADERS]
    for i in range(450):
        rows.append([i + 1, "临江区教育委员会", f"临江教育{i}", None, f"其他:平台{i}",
                     "黄科长", "13900000043", "小徐", "13900000044"])  # fmt: skip
    path = write_xlsx(tmp_path / "大台账.xlsx", rows)
    result = await dutybot(district, tmp_path, "accounts", "import", str(path))
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if "/450 行" in line]
    assert progress == [
        "检查：200/450 行",
        "检查：400/450 行",
        "检查：450/450 行",
        "写入：200/450 行",
        "写入：400/450 行",
        "写入：450/450 行",
    ]
    assert "新增 450 个账号" in result.stdout


async def test_unreadable_files_are_refused_with_the_reason(district: str, tmp_path: Path) -> None:
    no_header = write_xlsx(tmp_path / "a.xlsx", [["单位", "名称"], ["临江区教育委员会", "x"]])
    old_format = tmp_path / "台账.xls"
    old_format.write_bytes(b"\xd0\xcf\x11\xe0")
    results = [
        await dutybot(district, tmp_path, "accounts", "import", str(p))
        for p in (no_header, old_format, tmp_path / "missing.csv")
    ]
    assert all(r.returncode == 2 for r in results)
    assert "找不到表头：缺少“责任主体、所属平台”列" in results[0].stderr
    assert "不支持 .xls 格式：请在 Excel/WPS 中“另存为” .xlsx 工作簿" in results[1].stderr
    assert "文件不存在" in results[2].stderr
    assert all("整份文件未导入，没有写入任何数据" in r.stderr for r in results)
