"""A filing ended before its final decision: withdrawn by its clerk (撤回备案), or superseded
by a 紧急关停 of the same account (which must not be overwritten by a later approval)."""

from __future__ import annotations

import asyncio

from bot.deadlines import lifecycle
from storage.enums import AccountStatus, CardStatus, Role
from storage.models.filing import Filing, FilingKind, FilingStatus
from storage.models.machinery import AuditEntry, CardRecord
from storage.models.org import Account, Person, PersonRole
from tests.support.chat import ChatHarness, card_of
from tests.support.filing import SUPERVISING_UNIT, UNIT_GROUPS, answer_all, open_filing, pick

DOUYIN = "临江文旅（抖音）"
WEIBO = "临江文旅（微博）"


async def _submit_offline(h: ChatHarness) -> Filing:
    await pick(h, "laozhou", "临时下线", DOUYIN)
    summary = card_of(
        await answer_all(h, "laozhou", ["系统升级", "10月12日", "10月20日"]), "请核对"
    )
    await h.tap("laozhou", summary, "提交备案")
    return await Filing.get(kind=FilingKind.SUSPEND)


async def _submit_close(h: ChatHarness) -> Filing:
    """A 关停 filing: it has a report-to-supervisor countdown running while pending."""
    await pick(h, "laozhou", "关停", WEIBO)
    summary = card_of(
        await answer_all(h, "laozhou", ["整合账号", "迁移至微信公众号", "首页置顶公告", "今天"]),
        "请核对",
    )
    submitted = await h.tap("laozhou", summary, "提交备案")
    assert any("撤回备案" in r.text for r in submitted.replies)
    return await Filing.get(kind=FilingKind.CLOSE)


async def _open_cards(filing: Filing) -> list[CardRecord]:
    return await CardRecord.filter(
        subject_type="filing", subject_id=str(filing.id), status=CardStatus.OPEN
    )


async def test_emergency_supersedes_a_pending_offline_filing(harness: ChatHarness) -> None:
    # Not looked at: copies besides 张主任's, whose cards the test reads.
    harness.ignore(*UNIT_GROUPS, "zhoufzr", "hegly", "group:ljq-jg")
    offline = await _submit_offline(harness)
    head_card = card_of(await harness.new_messages("wangzr"), "请审批")
    await harness.tap("wangzr", head_card, "同意")
    supervisor_card = card_of(await harness.new_messages("zhangzr"), "请审批")
    await harness.mark_read("laozhou")

    # The platform orders the account shut while the offline filing waits for the supervisor.
    await pick(harness, "laozhou", "紧急关停", DOUYIN)
    summary = card_of(await answer_all(harness, "laozhou", ["被平台责令关停", "今天"]), "请核对")
    done = await harness.tap("laozhou", summary, "提交报备")
    assert any("同时作废" in r.text and f"#{offline.id}" in r.text for r in done.replies)

    offline = await Filing.get(id=offline.id)
    assert offline.status == FilingStatus.SUPERSEDED
    assert await _open_cards(offline) == []
    for person in ("wangzr", "zhangzr"):  # who acted on it and who holds its card
        told = await harness.new_messages(person)
        assert any("已作废" in r.text and "紧急关停" in r.text for r in told), person
    assert await AuditEntry.filter(action="filing.superseded", subject_id=str(offline.id)).exists()

    # The supervisor taps 同意 on the card they still have: nothing may reopen the account.
    late = await harness.tap("zhangzr", supervisor_card, "同意")
    assert late.toast == f"此事项已处理：账号已紧急关停（备案 #{offline.id + 1}），本备案作废"
    assert (await Filing.get(id=offline.id)).status == FilingStatus.SUPERSEDED
    account = await Account.get(key="ljq-wlw-douyin")
    assert account.status == AccountStatus.CLOSED
    assert await lifecycle.for_subject(None, "account", account.id, kind="filing.suspend") == []

    mine = await harness.say("laozhou", "我的备案")
    assert "已作废（紧急关停）" in mine[0].text


async def test_emergency_supersedes_a_returned_filing_and_closes_its_resubmit_card(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # the report's copies to the supervising unit
    offline = await _submit_offline(harness)
    head_card = card_of(await harness.new_messages("wangzr"), "请审批")
    await harness.tap("wangzr", head_card, "退回", form={"reason": "日期再确认"})
    returned = card_of(await harness.new_messages("laozhou"), "备案被退回")

    await pick(harness, "laozhou", "紧急关停", DOUYIN)
    summary = card_of(await answer_all(harness, "laozhou", ["被平台责令关停", "今天"]), "请核对")
    await harness.tap("laozhou", summary, "提交报备")
    assert (await Filing.get(id=offline.id)).status == FilingStatus.SUPERSEDED
    assert await _open_cards(offline) == []
    told = await harness.new_messages("wangzr")
    assert any("已作废" in r.text for r in told)

    again = await harness.tap("laozhou", returned, "修改后重新提交")
    assert (await Filing.get(id=offline.id)).status == FilingStatus.SUPERSEDED
    assert not any("请核对" in (r.card.title if r.card else "") for r in again.replies)


async def test_clerk_withdraws_a_pending_filing(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS)  # the head's group copy
    close = await _submit_close(harness)
    report = await lifecycle.for_subject(None, "filing", close.id, kind="filing.report")
    assert report, "a 关停 filing counts down to reach the supervisor"
    head_card = card_of(await harness.new_messages("wangzr"), "请审批")

    replies = await harness.say("laozhou", "撤回备案")  # the only open one: no number needed
    assert "已撤回" in replies[0].text
    close = await Filing.get(id=close.id)
    assert close.status == FilingStatus.WITHDRAWN
    assert await _open_cards(close) == []
    assert await lifecycle.for_subject(None, "filing", close.id, kind="filing.report") == []
    assert any("撤回" in r.text for r in await harness.new_messages("wangzr"))
    audit = await AuditEntry.get(action="filing.withdrawn", subject_id=str(close.id))
    assert audit.detail == {"was": "pending"}

    late = await harness.tap("wangzr", head_card, "同意")
    assert late.toast == "此事项已处理：老周已撤回这份备案"
    assert (await Account.get(key="ljq-wlw-weibo")).status == AccountStatus.RUNNING

    twice = await harness.say("laozhou", f"撤回备案 {close.id}")
    assert "已经撤回过了" in twice[0].text
    # The account is free again for a new filing.
    fresh = await pick(harness, "laozhou", "关停", WEIBO)
    assert "正在审批" not in fresh[0].text


async def test_withdraw_refused_to_others_and_after_the_decision(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    summary = await open_filing(harness, "xiaoxu")
    await harness.tap("xiaoxu", summary, "提交备案")
    filing = await Filing.get(kind=FilingKind.OPEN)

    other_unit = await harness.say("laozhou", f"撤回备案 {filing.id}")
    assert f"没有找到本单位编号为 {filing.id} 的备案" in other_unit[0].text
    # A second clerk of the same unit may see it but not withdraw it.
    huangkz = await Person.get(key="huangkz")
    await PersonRole.create(person_id=huangkz.id, role=Role.CLERK)
    colleague = await harness.say("huangkz", f"撤回备案 {filing.id}")
    assert "只有提交人本人可以撤回" in colleague[0].text
    assert "小徐" in colleague[0].text
    assert (await Filing.get(id=filing.id)).status == FilingStatus.PENDING
    garbled = await harness.say("xiaoxu", "撤回备案 第一份")
    assert "请写明备案编号" in garbled[0].text

    # Returned: it may still be withdrawn (the final decision has not been made).
    head = card_of(await harness.new_messages("chenzr"), "请审批")
    await harness.tap("chenzr", head, "退回", form={"reason": "补充经费来源"})
    await harness.new_messages("xiaoxu")
    done = await harness.say("xiaoxu", f"撤回备案 #{filing.id}")
    assert "已撤回" in done[0].text
    assert any("撤回" in r.text for r in await harness.new_messages("chenzr"))
    assert await _open_cards(await Filing.get(id=filing.id)) == []

    # Approved: too late.
    summary = await open_filing(harness, "xiaoxu")
    await harness.tap("xiaoxu", summary, "提交备案")
    second = await Filing.filter(kind=FilingKind.OPEN).order_by("-id").first()
    assert second is not None
    assert second.id != filing.id
    await harness.tap("chenzr", card_of(await harness.new_messages("chenzr"), "请审批"), "同意")
    supervisors = [p for p in ("zhangzr", "zhoufzr") if await harness.new_messages(p)]
    await harness.tap(
        supervisors[0], await harness.latest_card(supervisors[0], title="请审批"), "同意"
    )
    assert (await Filing.get(id=second.id)).status == FilingStatus.APPROVED
    after = await harness.say("xiaoxu", f"撤回备案 {second.id}")
    assert "已审批同意，不能撤回" in after[0].text
    nothing = await harness.say("xiaoxu", "撤回备案")
    assert "没有正在审批或待修改的备案" in nothing[0].text


async def test_withdrawal_racing_the_final_approval_records_one_outcome(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    close = await _submit_close(harness)
    await harness.tap("wangzr", card_of(await harness.new_messages("wangzr"), "请审批"), "同意")
    supervisor_card = card_of(await harness.new_messages("zhangzr"), "请审批")
    withdrawn, tapped = await asyncio.gather(
        harness.say("laozhou", f"撤回备案 {close.id}"),
        harness.tap("zhangzr", supervisor_card, "同意"),
    )
    close = await Filing.get(id=close.id)
    account = await Account.get(key="ljq-wlw-weibo")
    # The two drains ran side by side: one may still have been delivering 老周's answer when the
    # other looked, so collect what arrived after as well.
    await harness.drain()
    answer = " ".join(r.text for r in [*withdrawn, *await harness.new_messages("laozhou")])
    if close.status == FilingStatus.WITHDRAWN:
        assert account.status == AccountStatus.RUNNING
        assert tapped.toast != "已同意"
        assert "已撤回" in answer
    else:
        assert close.status == FilingStatus.APPROVED
        assert account.status == AccountStatus.CLOSING
        assert tapped.toast == "已同意"
        assert "不能撤回" in answer
