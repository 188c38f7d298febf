"""报表 in the chat: the district for a supervisor, one unit for its head, refusals with reasons."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.support.chat import ChatHarness
from tests.support.dates import at
from tests.support.rectification import SUPERVISORS, WLW_UNIT, notice

WLW = "临江区文化和旅游发展委员会"


async def test_a_supervisor_gets_the_district_and_a_head_their_unit(harness: ChatHarness) -> None:
    h = harness
    h.ignore(*WLW_UNIT, *SUPERVISORS[1:], "wangzr")  # the notice and its overdue reports
    await notice(h, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=True)
    await h.mark_read("zhangzr")
    h.clock.set(at(2026, 12, 2, 9))

    (said,) = await h.say("zhangzr", "报表 2026Q4")
    title = "政务新媒体2026年第四季度报表（全区）"
    assert said.text.startswith(f"【季报】{title}\n")
    assert "整改通知：下发 1，按时完成 0，逾期 1，驳回重办 0，未办结 1。" in said.text
    assert [f["name"] for f in said.files] == [f"{title}.xlsx", f"{title}.png"]
    download = await h.client.get(said.files[0]["url"])
    book = load_workbook(io.BytesIO(await download.read()))
    names = [row[0] for row in book["单位"].iter_rows(min_row=2, values_only=True)]
    assert WLW in names
    assert len(names) > 2  # every unit with accounts, and the total

    await h.mark_read("wangzr")
    (said,) = await h.say("wangzr", "报表 2026Q4")  # 王主任 heads 文旅委
    assert said.text.startswith(f"【季报】政务新媒体2026年第四季度报表（{WLW}）\n")
    download = await h.client.get(said.files[0]["url"])
    book = load_workbook(io.BytesIO(await download.read()))
    names = [row[0] for row in book["单位"].iter_rows(min_row=2, values_only=True)]
    assert names == [WLW, "合计"]


async def test_refusals_say_why(harness: ChatHarness) -> None:
    h = harness
    (said,) = await h.say("zhangzr", "报表 下个月")
    assert said.text == (
        "“下个月”不是报表期间，请写成 2026Q4（季度）、2026-11（月）、2026W48（周）或 2026（年度）。"
    )
    (said,) = await h.say("zhangzr", "报表 2027Q1")
    assert said.text == "2027年第一季度还没有开始。"
    said = await h.say("xiaowang", "报表 2026Q4")
    assert len(said) == 1
    assert not said[0].files
    assert said[0].text.startswith("「报表」需要由")
    assert said[0].text.endswith("办理，您的账号没有这个角色。如有疑问请联系管理员。")
