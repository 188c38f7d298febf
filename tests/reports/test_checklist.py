"""The periodic report's 账号 sheet carries each running account's 检查指标自评 (the same
assessment as 台账 检查指标), made from what people did in the chat."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.core.services import Services
from bot.flows.reports import build, parse_period, to_xlsx
from tests.support.chat import ChatHarness
from tests.support.rectification import issue
from tests.support.review import GROUP, review_card, submit

TEXT = "第十届临江桃花节今天开幕，活动持续到4月10日。欢迎广大市民前来游玩。"


async def test_the_account_sheet_shows_the_checklist_self_assessment(
    harness: ChatHarness, services: Services
) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    for person in ("likz", "zhaofzr", "wangzr"):
        await harness.tap(person, await review_card(harness, person), "通过", chat=GROUP)
    await harness.say("xiaowang", "已发布 https://mp.weixin.qq.com/s/demo1")
    await issue(harness, category="留言未回复", severity="一般", problem="网民留言7天未回复")
    harness.ignore()  # the review and the notice are tested in their own directories

    report = await build(services, parse_period("2026-10"))
    by_label = {a.label: a for a in report.accounts}
    assert by_label["临江文旅（微信）"].checklist == "95分（互动回应（网民留言未回复）1次扣5分）"
    # Opened in the registry years ago and never updated: vetoed.
    assert by_label["临江文旅（抖音）"].checklist.startswith("不合格（单项否决：内容不更新")

    sheet = load_workbook(io.BytesIO(to_xlsx(report)))["账号"]
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[0]).index("检查指标自评")
    cells = {row[1]: row[column] for row in rows[1:]}
    assert cells["临江文旅（微信）"] == "95分（互动回应（网民留言未回复）1次扣5分）"
