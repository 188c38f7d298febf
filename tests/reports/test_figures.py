"""The report's figures, made from what people did in the chat, read back from the .xlsx and
compared with what the chat itself says (整改记录)."""

from __future__ import annotations

import io
import re
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.core.services import Services
from bot.flows.reports import ReportError, build, chart_png, parse_period, to_xlsx
from bot.flows.reports.chart import chart_figure
from bot.flows.reports.xlsx import UNIT_HEADER
from storage.models.org import Unit
from tests.support.chat import ChatHarness
from tests.support.dates import at
from tests.support.policy import use_policy
from tests.support.rectification import JW_UNIT, SUPERVISORS, WLW_UNIT, notice
from tests.support.review import GROUP, review_card, submit

WLW = "临江区文化和旅游发展委员会"
TEXT = "第十届临江桃花节今天开幕，活动持续到4月10日。欢迎广大市民前来游玩。"


def sheet_rows(data: bytes, title: str) -> list[dict[str, object]]:
    """A sheet of the workbook as dicts keyed by its header."""
    sheet = load_workbook(io.BytesIO(data))[title]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


async def verify_through_the_chat(h: ChatHarness, number: str) -> None:
    """The unit reports 已整改 on the notice card and the supervisor taps 通过."""
    card = await h.latest_card("xiaowang", title=number)
    await h.tap("xiaowang", card, "已接收")
    card = await h.latest_card("xiaowang", title=number)
    await h.tap("xiaowang", card, "已整改", form={"note": "已更正", "evidence": "https://x/1"})
    review = await h.latest_card("zhangzr", title="整改核验")
    tapped = await h.tap("zhangzr", review, "通过")
    assert tapped.toast == "已通过，整改完成。"


async def test_rectification_figures_match_the_chat_records(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    h = harness
    # Not looked at: the notices and overdue reports themselves; the test reads the records.
    h.ignore(*WLW_UNIT, *JW_UNIT, *SUPERVISORS, "wangzr", "chenzr")
    use_policy(services, "jiaxian", calendar_file=tmp_path / "calendar.toml")
    await notice(h, "ljq-wlw-wechat", at(2026, 7, 6, 10), overdue=True)  # Q3
    h.clock.set(at(2026, 10, 9, 10))
    await h.say("zhangzr", "整改季度 2026Q3")
    await notice(h, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=True)
    await notice(h, "ljq-wlw-douyin", at(2026, 11, 24, 10), overdue=False)
    await verify_through_the_chat(h, "ZG2026-0003")
    await notice(h, "ljq-jw-wechat", at(2026, 11, 25, 10), overdue=False)  # left open
    h.clock.set(at(2027, 1, 5, 10))
    await h.say("zhangzr", "整改季度 2026Q4")

    # The year holds every notice, as 整改记录 does: the per-unit lines are the same.
    year = await build(services, parse_period("2026"))
    workbook = to_xlsx(year)
    units = sheet_rows(workbook, "单位")
    overview = "\n".join(m.text for m in await h.say("zhangzr", "整改记录"))
    by_unit, by_account = overview.split("按单位统计：")[1].split("按账号统计：")
    for section, sheet, key, expected in (
        (by_unit, units, "单位", 2),
        (by_account, sheet_rows(workbook, "账号"), "账号", 3),
    ):
        chat_lines = re.findall(r"^· (\S+)：(下发 .*)$", section, flags=re.M)
        assert len(chat_lines) == expected
        for name, counts in chat_lines:
            (row,) = [r for r in sheet if r[key] == name]
            assert counts == (
                f"下发 {row['整改下发']}，按时完成 {row['按时完成']}，逾期 {row['逾期']}，"
                f"驳回重办 {row['驳回重办']}，未办结 {row['未办结']}"
            )
    (wlw,) = [r for r in units if r["单位"] == WLW]
    assert (wlw["整改下发"], wlw["按时完成"], wlw["逾期"], wlw["未办结"]) == (3, 1, 2, 2)
    assert units[-1]["单位"] == "合计"
    assert units[-1]["整改下发"] == 4

    # The quarter holds only its own notices, and the flags of its review with the article.
    quarter = await build(services, parse_period("2026Q4"))
    (row,) = [u for u in quarter.units if u.name == WLW]
    assert (row.rect.issued, row.rect.on_time, row.rect.overdue) == (2, 1, 1)
    flags = sheet_rows(to_xlsx(quarter), "标记")
    twice = [f for f in flags if f["标记"] == "连续两个季度排名后三位"]
    assert len(twice) == 1
    assert twice[0]["单位"] == WLW
    assert twice[0]["依据"] == "依据《佳县政务新媒体管理办法》第十七条"
    assert "连续两个季度排名后三位" in row.flags
    # The Q3 flag is not the quarter's.
    assert {f["期间"] for f in flags} == {"2026Q4"}

    # One unit's report has that unit alone.
    unit = await Unit.get(key="ljq-wlw")
    mine = await build(services, parse_period("2026Q4"), unit_id=unit.id)
    assert [u.name for u in mine.units] == [WLW]
    assert mine.scope == WLW
    assert {a.unit_name for a in mine.accounts} == {WLW}


async def test_updates_against_the_weekly_minimum_and_the_silence_limit(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    h = harness
    use_policy(services, "jiaxian", calendar_file=tmp_path / "calendar.toml")  # ≥2 a week, 14 days
    # November 2026: the weeks from Mondays 2, 9, 16 and 23 November are judged.
    for moment in (
        at(2026, 11, 2, 10),
        at(2026, 11, 3, 10),
        at(2026, 11, 10, 10),  # week 2: once
        # week 3: none, and 17 days without an update until the 27th
        at(2026, 11, 27, 10),
        at(2026, 11, 28, 10),
    ):
        h.clock.set(moment)
        said = await h.say("xiaowang", "更新 临江文旅（微信）")
        assert said[-1].text.startswith("已记录临江文旅（微信）的更新")
    h.clock.set(at(2026, 12, 2, 9))
    report = await build(services, parse_period("2026-11"))
    accounts = sheet_rows(to_xlsx(report), "账号")
    (wechat,) = [a for a in accounts if a["账号"] == "临江文旅（微信）"]
    assert wechat["更新次数"] == 5
    assert wechat["应更新次数"] == 8
    assert wechat["未达标周数"] == 2
    assert wechat["最长未更新天数"] == 17
    assert wechat["超过停更期限"] == "是"
    assert wechat["更新情况"] == "不合格"
    assert wechat["最近更新"] == "2026-11-28 10:00"
    # An account that never updated is silent the whole month (30 days).
    (douyin,) = [a for a in accounts if a["账号"] == "临江文旅（抖音）"]
    assert (douyin["更新次数"], douyin["未达标周数"], douyin["最长未更新天数"]) == (0, 4, 30)
    # The unit line adds its accounts up.
    (wlw,) = [u for u in report.units if u.name == WLW]
    assert wlw.updates == 5
    assert wlw.accounts_silent == wlw.accounts  # every account of the bureau broke the limit
    about = sheet_rows(to_xlsx(report), "说明")
    cited = {str(r["报表"]): str(r[list(r)[1]]) for r in about}
    assert cited["每周至少更新2次"] == "依据《佳县政务新媒体管理办法》第十条（二）"


async def test_a_week_before_its_end_counts_only_what_has_ended(
    harness: ChatHarness, services: Services
) -> None:
    harness.clock.set(at(2026, 11, 25, 10))  # Wednesday of week 48
    report = await build(services, parse_period("2026W48"))
    assert report.until == at(2026, 11, 25, 10)
    assert all(a.weeks_judged == 0 for a in report.accounts)
    with pytest.raises(ReportError) as caught:
        await build(services, parse_period("2026W50"))
    assert str(caught.value) == "2026年第50周还没有开始。"


async def test_review_turnaround_per_level(harness: ChatHarness, services: Services) -> None:
    h = harness
    h.ignore("group:ljq-wlw-review", "likz", "zhaofzr", "wangzr", "xiaowang")
    waits = [(30, 120, 60), (90, 240, 10)]  # minutes each level took, per post
    for index, (first, second, final) in enumerate(waits):
        await submit(h, "xiaowang", title=f"桃花节{index}", text=TEXT)
        for person, minutes in (("likz", first), ("zhaofzr", second), ("wangzr", final)):
            h.clock.advance(timedelta(minutes=minutes))
            card = await review_card(h, person)
            await h.tap(person, card, "通过", chat=GROUP)
    report = await build(services, parse_period("2026Q4"))
    assert report.levels == ["初审", "复审", "终审"]
    (wlw,) = [u for u in report.units if u.name == WLW]
    assert wlw.review["初审"].n == 2
    assert wlw.review["初审"].median == pytest.approx(1.0)  # 0.5 h and 1.5 h
    assert wlw.review["初审"].p90 == pytest.approx(1.5)
    assert wlw.review["复审"].median == pytest.approx(3.0)
    assert wlw.review["终审"].p90 == pytest.approx(1.0)
    rows = sheet_rows(to_xlsx(report), "审核时效")
    (line,) = [r for r in rows if r["单位"] == WLW]
    assert (line["复审件数"], line["复审中位数（小时）"], line["复审P90（小时）"]) == (2, 3.0, 4.0)


async def test_the_chart_renders_chinese(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    harness.ignore(*WLW_UNIT, *SUPERVISORS, "wangzr")
    await notice(harness, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=True)
    report = await build(services, parse_period("2026Q4"))
    with warnings.catch_warnings():
        # matplotlib warns "Glyph … missing from font": a box where a character should be.
        warnings.simplefilter("error")
        png = chart_png(report)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.width >= 1000
    (tmp_path / "chart.png").write_bytes(png)  # kept for looking at (pytest --basetemp)


async def test_a_period_without_notices_says_so_instead_of_an_empty_axis(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    harness.clock.set(at(2026, 12, 20, 10))  # weeks into the quarter: updates are required
    report = await build(services, parse_period("2026Q4"))
    assert report.total.rect.issued == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = chart_figure(report)
    figure.savefig(tmp_path / "chart.png")  # kept for looking at (pytest --basetemp)
    left, right = figure.axes
    assert [t.get_text() for t in right.texts] == ["本期无整改通知"]
    assert right.get_xlim() == (0.0, 1.0)
    assert list(right.get_xticks()) == []
    assert right.get_legend() is None
    # The accounts panel has its figures and keeps its axis and legend.
    assert report.total.required > 0
    assert "本期无账号更新要求" not in [t.get_text() for t in left.texts]
    assert left.get_legend() is not None
    assert min(left.get_xticks()) >= 0


def test_the_unit_sheet_header_is_what_the_docs_describe() -> None:
    assert UNIT_HEADER[:4] == ["单位", "账号数", "更新次数", "应更新次数"]
