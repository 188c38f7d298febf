"""The registry importer's cell parsing and matching, called directly."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.org.seed import seed_demo
from bot.registry_io.importer import import_registry
from bot.registry_io.rows import PeopleError, parse_date, parse_people, parse_platform
from bot.registry_io.table import read_table
from storage.enums import AccountStatus, MediaPlatform
from storage.models.org import Account, Unit


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("微信", (MediaPlatform.WECHAT, None)),
        ("微信公众号", (MediaPlatform.WECHAT, None)),
        ("新浪微博", (MediaPlatform.WEIBO, None)),
        ("客户端", (MediaPlatform.APP, None)),
        ("其他:小红书", (MediaPlatform.OTHER, "小红书")),
        ("其他：快手", (MediaPlatform.OTHER, "快手")),
        ("其他（今日头条）", (MediaPlatform.OTHER, "今日头条")),
        ("其他第三方平台-哔哩哔哩", (MediaPlatform.OTHER, "哔哩哔哩")),
    ],
)
def test_platform_cells(cell: str, expected: tuple[MediaPlatform, str | None]) -> None:
    assert parse_platform(cell, "") == expected


def test_other_platform_needs_its_name() -> None:
    assert parse_platform("其他", "") == "所属平台为“其他”时须写明平台名称，如“其他:小红书”"
    assert parse_platform("其他", "知乎") == (MediaPlatform.OTHER, "知乎")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2020-09-01", date(2020, 9, 1)),
        ("2020/9/1", date(2020, 9, 1)),
        ("2020.09.01", date(2020, 9, 1)),
        ("2020年9月1日", date(2020, 9, 1)),
        ("2020年9月", date(2020, 9, 1)),
        ("20200901", date(2020, 9, 1)),
        ("44075", date(2020, 9, 1)),  # an Excel serial
        ("2020-02-30", "日期“2020-02-30”不存在"),
        ("去年", "日期“去年”看不懂，请写成 2020-09-01 的形式"),
    ],
)
def test_date_cells(cell: str, expected: date | str) -> None:
    assert parse_date(cell) == expected


def test_several_people_in_one_cell() -> None:
    assert parse_people("张三、李四", "13900000001、0912-1234567") == [
        {"name": "张三", "phone": "13900000001"},
        {"name": "李四", "phone": "0912-1234567"},
    ]
    assert parse_people("张三(13900000001)，李四", "") == [
        {"name": "张三", "phone": "13900000001"},
        {"name": "李四", "phone": None},
    ]
    assert parse_people("张三、李四", "13900000001 13900000002") == [
        {"name": "张三", "phone": "13900000001"},
        {"name": "李四", "phone": "13900000002"},
    ]
    assert parse_people("张三、李四", "、+86 13900000002") == [
        {"name": "张三", "phone": None},
        {"name": "李四", "phone": "13900000002"},
    ]
    mismatch = parse_people("张三", "13900000001、13900000002")
    assert isinstance(mismatch, PeopleError)
    assert mismatch.in_phones
    orphan = parse_people("", "13900000001")
    assert isinstance(orphan, PeopleError)
    assert not orphan.in_phones


def test_utf16_tab_separated_text_as_excel_saves_unicode_text(tmp_path: Path) -> None:
    text = "责任主体\t新媒体名称\t所属平台\r\n临江区教育委员会\t临江教育\t微信\r\n"
    path = tmp_path / "台账.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    table = read_table(path)
    assert [r.text(c) for r in table.rows for c in table.columns] == [
        "临江区教育委员会",
        "临江教育",
        "微信",
    ]


def _csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "台账.csv"
    path.write_text("\n".join(["责任主体,新媒体名称,账号,所属平台,状态", *lines]), "utf-8")
    return path


async def test_cancelled_account_and_its_successor(
    db: str, clock: ManualClock, tmp_path: Path
) -> None:
    await seed_demo(clock.now())
    # The bureau cancelled its old Weibo account and opened a new one: two rows, told apart
    # by status and 账号, both kept.
    path = _csv(
        tmp_path,
        "临江区文化和旅游发展委员会,临江文旅,6023456789,微博,已注销",
        "临江区文化和旅游发展委员会,临江文旅官方,7000000001,微博,运行",
    )
    report = await import_registry(path, clock.now())
    assert report.problems == []
    assert (report.created, report.updated) == (1, 1)
    weibo = await Account.filter(owner_unit__key="ljq-wlw", platform="weibo").order_by("id")
    assert [(a.platform_account_id, a.status) for a in weibo] == [
        ("6023456789", AccountStatus.CANCELLED),
        ("7000000001", AccountStatus.RUNNING),
    ]
    again = await import_registry(path, clock.now())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


async def test_second_live_account_is_refused(db: str, clock: ManualClock, tmp_path: Path) -> None:
    await seed_demo(clock.now())
    await import_registry(
        _csv(tmp_path, "临江区文化和旅游发展委员会,临江文旅,6023456789,微博,已注销"), clock.now()
    )
    await import_registry(
        _csv(tmp_path, "临江区文化和旅游发展委员会,临江文旅新,7000000001,微博,运行"), clock.now()
    )
    # Reviving the cancelled account while its successor runs breaks one-per-platform.
    revive = _csv(tmp_path, "临江区文化和旅游发展委员会,临江文旅,6023456789,微博,运行")
    report = await import_registry(revive, clock.now())
    assert [str(p) for p in report.problems] == [
        "第 2 行「所属平台」：该单位在微博已有账号“临江文旅新”（状态：运行），一个单位在同一平台"
        "只能开设一个账号；如旧账号已关停或注销，请先在台账中更新它的状态"
    ]
    assert report.refused


async def test_units_by_name_key_and_the_ambiguous_and_the_dissolved(
    db: str, clock: ManualClock, tmp_path: Path
) -> None:
    await seed_demo(clock.now())
    town = await Unit.get(key="ljq-hxz")
    town.active = False
    await town.save()
    await Unit.create(key="other-jw", name="临江区教育委员会")
    path = _csv(
        tmp_path,
        "临江区教育委员会,临江教育,,微信,",
        "ljq-jw,临江教育,,微信,",
        "临江区河西镇人民政府,河西镇发布,gh_hxz00004,微信,运行",
        "临江区河西镇人民政府,河西镇,,抖音,运行",
    )
    report = await import_registry(path, clock.now(), skip_bad=True)
    assert [str(p) for p in report.problems] == [
        "第 2 行「责任主体」：有多个单位叫“临江区教育委员会”（ljq-jw、other-jw），"
        "请改填单位编号（key）",
        "第 5 行「责任主体」：单位“临江区河西镇人民政府”已停用，不能为它新增账号",
    ]
    # The dissolved town's existing account still matches; the key works for the bureau.
    assert report.written_rows == 2
