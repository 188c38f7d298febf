"""Consequences: dongguan 建议关停 after a second circular within a year, kunming quarterly
letters (.docx) and the circular the quarter after, jiaxian bottom three twice in a row."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from bot.core import files
from bot.core.services import Services
from storage.models.machinery import OutboxMessage
from storage.models.rectification import RectFlag, Rectification
from tests.support.chat import ChatHarness
from tests.support.dates import at
from tests.support.policy import use_policy
from tests.support.rectification import JW_UNIT, SUPERVISORS, WLW_UNIT, notice


async def test_dongguan_second_circular_within_a_year_suggests_closing(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    harness.ignore(*WLW_UNIT, *SUPERVISORS)  # notices and overdue reports; the test reads the flags
    use_policy(services, "dongguan", calendar_file=tmp_path / "calendar.toml")
    await notice(harness, "ljq-wlw-wechat", at(2026, 3, 2, 10), overdue=True)
    assert not await RectFlag.exists()
    # An on-time notice in between is no circular.
    await notice(harness, "ljq-wlw-wechat", at(2026, 6, 1, 10), overdue=False)
    assert not await RectFlag.exists()
    await notice(harness, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=True)
    flag = await RectFlag.get(kind="close_suggested")
    assert "一年内第2次" in flag.reason
    assert "四（三）" in flag.reason
    said = await harness.new_messages("zhangzr")
    assert any("【建议关停】" in m.text for m in said)
    # A third overdue notice in the same year does not flag again.
    await notice(harness, "ljq-wlw-wechat", at(2026, 11, 24, 10), overdue=True)
    assert await RectFlag.filter(kind="close_suggested").count() == 1
    # Another account of the same unit is counted on its own.
    await notice(harness, "ljq-wlw-douyin", at(2026, 11, 25, 10), overdue=True)
    assert await RectFlag.filter(kind="close_suggested").count() == 1


async def test_the_default_preset_has_no_closing_rule(harness: ChatHarness) -> None:
    harness.ignore(*WLW_UNIT, *SUPERVISORS)  # notices and overdue reports; the test reads the flags
    await notice(harness, "ljq-wlw-wechat", at(2026, 3, 2, 10), overdue=True)
    await notice(harness, "ljq-wlw-wechat", at(2026, 4, 2, 10), overdue=True)
    assert not await RectFlag.exists()


async def test_kunming_quarterly_letter_then_circular(kunming: ChatHarness) -> None:
    # Not looked at: notices and reports; the test reads the letters.
    kunming.ignore(*WLW_UNIT, *JW_UNIT, *SUPERVISORS, "wangzr")
    h = kunming
    await notice(h, "ljq-wlw-wechat", at(2026, 7, 6, 10), overdue=True)
    await notice(h, "ljq-wlw-douyin", at(2026, 8, 3, 10), overdue=False)
    await notice(h, "ljq-jw-wechat", at(2026, 8, 4, 10), overdue=False)  # once: no letter
    h.clock.set(at(2026, 10, 9, 10))
    said = await h.say("zhangzr", "整改季度 2026Q3")
    text = "\n".join(m.text for m in said)
    assert "印发季度整改函：临江区文化和旅游发展委员会" in text
    assert "教育" not in text
    # The supervisor gets the letter too, as a download in the chat.
    resp = await h.client.get(
        "/console/api/messages", params={"as": "zhangzr", "chat": "dm:zhangzr", "limit": "5"}
    )
    last = (await resp.json())["messages"][-1]
    assert [f["name"] for f in last["files"]] == [
        "临江区文化和旅游发展委员会2026年第三季度整改函.docx"
    ]
    download = await h.client.get(last["files"][0]["url"])
    assert download.status == 200
    assert (await download.read())[:2] == b"PK"  # a .docx is a zip
    letter = await RectFlag.get(kind="letter", period="2026Q3")
    assert letter.file_id is not None
    found = await files.read(h.services, letter.file_id)
    assert found is not None
    document = Document(io.BytesIO(found[1]))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "临江区文化和旅游发展委员会" in body
    assert "2026年第三季度" in body
    assert "第十九条" in body
    assert len(document.tables[0].rows) == 3  # header + two notices
    # The unit head receives it.
    head = await OutboxMessage.filter(target_kind="person").order_by("-id")
    assert any("整改函" in str(row.payload) and letter.file_id in str(row.payload) for row in head)
    # Running the review again changes nothing.
    said = await h.say("zhangzr", "整改季度 2026Q3")
    assert await RectFlag.filter(kind="letter").count() == 1
    # Still repeated problems next quarter: a circular.
    await notice(h, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=False)
    await notice(h, "ljq-wlw-weibo", at(2026, 11, 24, 10), overdue=False)
    h.clock.set(at(2027, 1, 5, 10))
    said = await h.say("zhangzr", "整改季度")  # the previous quarter by default
    text = "\n".join(m.text for m in said)
    assert "2026年第四季度" in text
    assert "建议通报：临江区文化和旅游发展委员会" in text
    assert await RectFlag.filter(kind="circular", period="2026Q4").count() == 1
    overview = "\n".join(m.text for m in await h.say("zhangzr", "整改记录"))
    assert "通报" in overview
    assert "按单位统计" in overview


async def test_quarter_review_input_is_checked(kunming: ChatHarness) -> None:
    said = await kunming.say("zhangzr", "整改季度 下个月")
    assert any("不是季度" in m.text for m in said)
    said = await kunming.say("zhangzr", "整改季度 2027Q2")
    assert any("还没有开始" in m.text for m in said)
    said = await kunming.say("xiaowang", "整改季度")
    assert not await RectFlag.exists()


async def test_jiaxian_bottom_three_twice_in_a_row(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    # Not looked at: notices and reports; the test reads the flags.
    harness.ignore(*WLW_UNIT, *JW_UNIT, *SUPERVISORS)
    use_policy(services, "jiaxian", calendar_file=tmp_path / "calendar.toml")
    h = harness
    await notice(h, "ljq-wlw-wechat", at(2026, 7, 6, 10), overdue=True)
    h.clock.set(at(2026, 10, 9, 10))
    said = await h.say("zhangzr", "整改季度 2026Q3")
    assert any("本季度排名后三位：临江区文化和旅游发展委员会" in m.text for m in said)
    await notice(h, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=True)
    await notice(h, "ljq-jw-wechat", at(2026, 11, 24, 10), overdue=False)
    h.clock.set(at(2027, 1, 5, 10))
    said = await h.say("zhangzr", "整改季度 2026Q4")
    text = "\n".join(m.text for m in said)
    assert "连续两个季度排名后三位：临江区文化和旅游发展委员会" in text
    flag = await RectFlag.get(kind="bottom_three")
    assert "第十七条" in flag.reason
    assert await Rectification.all().count() == 3
