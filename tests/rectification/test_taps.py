"""Who may tap what, duplicate and concurrent taps, bad input on cards and in the form."""

from __future__ import annotations

import asyncio

import pytest

from storage.models.machinery import AuditEntry
from storage.models.rectification import Rectification, RectStatus
from tests.support.chat import ChatHarness, card_of
from tests.support.dates import at
from tests.support.rectification import SUPERVISORS, WLW_UNIT, issue


async def submitted(h: ChatHarness) -> None:
    await issue(h)
    card = card_of(await h.new_messages("xiaowang"), "整改通知")
    await h.tap("xiaowang", card, "已接收")
    card = await h.latest_card("xiaowang", title="整改通知")
    await h.tap("xiaowang", card, "已整改", form={"note": "已更正"})


async def test_only_supervisors_may_issue(kunming: ChatHarness) -> None:
    said = await kunming.say("xiaowang", "整改")
    assert not any(m.card is not None for m in said)
    assert await AuditEntry.filter(action="command.denied").count() == 1


async def test_two_supervisors_verify_at_once_one_decision(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "hegly")  # copies besides the people who tap
    h = kunming
    await submitted(h)
    review = card_of(await h.new_messages("zhangzr"), "整改核验")
    first, second = await asyncio.gather(
        h.tap("zhangzr", review, "通过"),
        h.tap("zhoufzr", review, "驳回", form={"reason": "不合格"}, chat=h.dm("zhoufzr")),
    )
    decisions = await AuditEntry.filter(
        action__in=["rectification.verified", "rectification.rejected"]
    ).count()
    assert decisions == 1
    rect = await Rectification.get(id=1)
    assert rect.status in (RectStatus.VERIFIED, RectStatus.ACKNOWLEDGED)
    toasts = {first.toast or "", second.toast or ""}
    assert any("已处理" in t or "已通过" in t or "已驳回" in t or "卡片" in t for t in toasts)


async def test_double_ack_records_once(kunming: ChatHarness) -> None:
    h = kunming
    await issue(h)
    card = card_of(await h.new_messages("xiaowang"), "整改通知")
    await asyncio.gather(
        h.tap("xiaowang", card, "已接收"),
        h.tap("likz", card, "已接收", chat=h.dm("likz")),
    )
    assert await AuditEntry.filter(action="rectification.acknowledged").count() == 1
    # The supervisors hear of it once each, whoever won.
    for person in SUPERVISORS:
        told = await h.expect(person, "整改通知 ZG2026-0001 已由")
        assert len([m for m in told if "接收" in m.text]) == 1, told
    h.ignore(*WLW_UNIT)  # the notice's copies and the card updates


async def test_a_bad_extension_time_is_explained_and_changes_nothing(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "zhoufzr", "hegly")  # copies besides the people who tap
    h = kunming
    await issue(h)
    card = card_of(await h.new_messages("xiaowang"), "整改通知")
    await h.tap("xiaowang", card, "申请延期", form={"reason": "系统故障"})
    extension = card_of(await h.new_messages("zhangzr"), "延期申请")
    for bad, toast in (
        ("下周", "截止时间格式不正确，请写成“2026-11-23 17:00”或“11月23日 17:00”或“明天 17:00”。"),
        ("今天 09:00", "新的截止时间必须晚于现在。"),
    ):
        tapped = await h.tap("zhangzr", extension, "同意延期", form={"new_due": bad})
        assert tapped.toast == toast
    rect = await Rectification.get(id=1)
    assert rect.extension_pending
    assert rect.due_at == at(2026, 11, 23, 10, 30)
    # Refusing needs a reason; then the unit is told and keeps the old due time.
    refused = await h.tap("zhangzr", extension, "不同意", form={"reason": "问题简单，应按时完成"})
    assert refused.toast == "已答复不同意延期。"
    notice = await h.new_messages("xiaowang", "group:ljq-wlw-duty")
    assert any("未获同意" in m.text and "10:30" in m.text for m in notice)
    assert not (await Rectification.get(id=1)).extension_pending


async def test_completion_needs_a_note(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, *SUPERVISORS)  # copies besides the people who tap
    h = kunming
    await issue(h)
    card = card_of(await h.new_messages("xiaowang"), "整改通知")
    await h.tap("xiaowang", card, "已接收")
    card = await h.latest_card("xiaowang", title="整改通知")
    tapped = await h.tap("xiaowang", card, "已整改", form={"note": " "})
    assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    # The blank note is asked for in the chat, and the tap replayed once it is given.
    assert tapped.toast == "请在对话中填写整改情况说明"
    await h.say("xiaowang", "标题已更正并重新推送")
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.SUBMITTED
    assert rect.completion_note == "标题已更正并重新推送"


async def test_form_input_is_checked_and_survives_a_restart(kunming: ChatHarness) -> None:
    h = kunming
    said = await h.say("zhangzr", "整改")
    question = card_of(said, "整改通知")
    tapped = await h.tap("zhangzr", question, question.buttons[2].label)
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "内容差错")
    said = await h.say("zhangzr", "很严重")  # not a severity
    assert any("不是严重程度的选项" in m.to_text() for m in said)
    said = await h.say("zhangzr", "2")  # the second choice: 严重
    said = await h.say("zhangzr", "错")  # too short
    assert any("问题描述太短" in m.to_text() for m in said)
    # The conversation lives in the database: a restarted app continues where it stopped.
    fresh = ChatHarness(h.client, h.services)
    said = await fresh.say("zhangzr", "推文标题有错别字")
    assert any("证据" in m.to_text() for m in said)


async def test_rejection_after_an_extension_restarts_under_the_rule(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "zhoufzr", "hegly")  # copies besides the people who tap
    h = kunming
    await issue(h)
    card = card_of(await h.new_messages("xiaowang"), "整改通知")
    await h.tap("xiaowang", card, "已接收")
    card = await h.latest_card("xiaowang", title="整改通知")
    await h.tap("xiaowang", card, "申请延期", form={"reason": "等待平台审核"})
    extension = card_of(await h.new_messages("zhangzr"), "延期申请")
    await h.tap("zhangzr", extension, "同意延期", form={"new_due": "今天 16:00"})
    card = await h.latest_card("xiaowang", title="整改通知")
    await h.tap("xiaowang", card, "已整改", form={"note": "已更正"})
    review = card_of(await h.new_messages("zhangzr"), "整改核验")
    h.clock.set(at(2026, 11, 23, 14, 0))
    rejected = await h.tap("zhangzr", review, "驳回", form={"reason": "仍有错字"})
    assert rejected.toast == "已驳回，已重新计时。"
    rect = await Rectification.get(id=1)
    # The same rule again (serious, inside working hours), from the rejection.
    assert rect.due_at == at(2026, 11, 23, 14, 30)


async def test_completing_makes_a_pending_extension_moot(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT, "zhoufzr", "hegly")  # copies besides the people who tap
    h = kunming
    await issue(h)
    card = card_of(await h.new_messages("xiaowang"), "整改通知")
    await h.tap("xiaowang", card, "已接收")
    card = await h.latest_card("xiaowang", title="整改通知")
    await h.tap("xiaowang", card, "申请延期", form={"reason": "等待平台审核"})
    card = await h.latest_card("xiaowang", title="整改通知")
    await h.tap("xiaowang", card, "已整改", form={"note": "已更正"})
    messages = await h.new_messages("zhangzr")
    extension = card_of(messages, "延期申请")
    late = await h.tap("zhangzr", extension, "同意延期", form={"new_due": "今天 17:00"})
    assert late.toast == "整改通知 ZG2026-0001 已处理（当前：待核验）。"
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.SUBMITTED
    assert rect.due_at == at(2026, 11, 23, 10, 30)
    assert not await AuditEntry.filter(action="rectification.extension_granted").exists()


async def test_a_unit_without_people_gets_no_silent_notice(kunming: ChatHarness) -> None:
    from tortoise.transactions import in_transaction

    from bot.core.emit import Emitter
    from bot.flows.rectification.model import RectificationError
    from bot.flows.rectification.start import NoticeRequest, issue_notice
    from storage import audit
    from storage.models.org import Unit
    from storage.models.rectification import RectCategory, Severity

    supervisor = await Unit.get(key="ljq-zfb")
    empty = await Unit.create(key="empty", name="临江区某空单位", supervisor_id=supervisor.id)
    now = kunming.clock.now()
    request = NoticeRequest(
        owner_unit_id=empty.id,
        account_id=None,
        problem="网站打不开",
        evidence="",
        category=RectCategory.BROKEN_LINK,
        severity=Severity.SERIOUS,
    )

    async def attempt() -> None:
        async with in_transaction() as conn:
            emit = Emitter(kunming.services, conn, key_prefix="test:empty", now=now)
            await issue_notice(
                kunming.services,
                conn,
                emit,
                now=now,
                request=request,
                actor=audit.Actor.system("测试"),
            )

    with pytest.raises(RectificationError, match="没有可以接收整改通知的人员"):
        await attempt()
    assert await Rectification.all().count() == 0


async def test_a_finding_becomes_a_notice_with_one_tap(kunming: ChatHarness) -> None:
    """The seam for alerts and patrol findings: a button on their card."""
    kunming.ignore(*WLW_UNIT)  # the notice's copies; the test reads the stored notice
    from tortoise.transactions import in_transaction

    from bot.cards.model import Card
    from bot.core.emit import Emitter
    from bot.core.outgoing import Message
    from bot.flows.rectification.start import finding_button
    from storage.models.org import Account, Person
    from storage.models.rectification import RectCategory, Severity

    h = kunming
    account = await Account.get(key="ljq-wlw-wechat")
    people = {p.key: p.id for p in await Person.all()}
    button = finding_button(
        account_id=account.id,
        problem="巡查发现：首页“旅游攻略”链接返回 404",
        evidence="巡查记录 #12",
        category=RectCategory.BROKEN_LINK,
        severity=Severity.SERIOUS,
    )
    now = h.clock.now()
    async with in_transaction() as conn:
        emit = Emitter(h.services, conn, key_prefix="test:finding", now=now)
        card = await emit.new_card(
            Card(title="巡查发现", body="临江文旅首页链接失效", buttons=(button,)),
            kind="test.finding",
            allowed_person_ids=[people["zhangzr"], people["xiaowang"]],
        )
        for key in ("zhangzr", "xiaowang"):
            await emit.to_person(people[key], Message(card=card))
    await h.drain()
    finding = card_of(await h.new_messages("xiaowang"), "巡查发现")
    refused = await h.tap("xiaowang", finding, "下发整改")
    assert refused.toast == "只有主管单位工作人员可以下发整改通知。"

    finding = card_of(await h.new_messages("zhangzr"), "巡查发现")
    tapped = await h.tap("zhangzr", finding, "下发整改")
    summary = card_of(tapped.replies, "整改通知")
    assert "截止 11月23日 10:30" in summary.body
    assert "链接失效" in summary.to_text()
    issued = await h.tap("zhangzr", summary, "下发")
    assert any("ZG2026-0001 已下发" in m.text for m in issued.replies)
    rect = await Rectification.get(id=1)
    assert rect.severity == Severity.SERIOUS
    assert rect.evidence == "巡查记录 #12"
