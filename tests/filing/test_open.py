"""开设 end to end in the console: form, summary, the approval chain, registry, 备案表."""

from __future__ import annotations

import asyncio

from storage.enums import AccountStatus, MediaPlatform
from storage.models.filing import AccountHistory, Filing, FilingStatus
from storage.models.machinery import AuditEntry, StoredFile
from storage.models.org import Account
from tests.support.chat import ChatHarness, card_of
from tests.support.filing import SUPERVISING_UNIT, UNIT_GROUPS, open_filing


async def test_open_filing_through_both_approvals(harness: ChatHarness) -> None:
    summary = await open_filing(harness)
    fields = {f.label: f.value for f in summary.fields}
    assert fields["责任主体"] == "临江区教育委员会"
    assert fields["运营主管负责人"] == "黄科长"
    assert "批准后须在6个月内上线运行" in summary.body
    # 临江教育 on WeChat and 临江教育 on Weibo: same name, so no naming warning.
    assert "不一致" not in summary.body

    submitted = await harness.tap("xiaoxu", summary, "提交备案")
    assert any("等待主办单位（陈主任）审批" in r.text for r in submitted.replies)
    filing = await Filing.get()
    assert filing.status == FilingStatus.PENDING
    assert filing.step == 0

    head_card = card_of(await harness.new_messages("chenzr"), "请审批")
    assert {f.label: f.value for f in head_card.fields}["所属平台"] == "微博"
    # The unit's review group is told, with the approver @-mentioned.
    group = await harness.new_messages("chenzr", harness.group("ljq-jw-review"))
    assert group
    assert "陈主任" in group[-1].mentions
    group_card = group[-1].card
    assert group_card is not None
    assert group_card.card_id == head_card.card_id  # the same card, closed together

    # Only the approver may tap.
    denied = await harness.tap("xiaoxu", head_card, "同意")
    assert denied.toast == "这张卡片由陈主任处理，您的操作未生效。"
    assert (await Filing.get()).step == 0

    approved = await harness.tap("chenzr", head_card, "同意")
    assert approved.toast == "已同意"
    filing = await Filing.get()
    assert filing.step == 1
    assert filing.status == FilingStatus.PENDING
    told = await harness.new_messages("xiaoxu")
    assert any("陈主任已同意，已报送临江区人民政府办公室" in r.text for r in told)

    sup_card = card_of(await harness.new_messages("zhangzr"), "请审批")
    # Every supervisor staff member gets it, and the supervision group is told; the first tap
    # decides, the second finds it done.
    other = card_of(await harness.new_messages("hegly"), "请审批")
    third = card_of(await harness.expect("zhoufzr", "请审批：开设备案 #1「临江教育」"))
    assert third.card_id == sup_card.card_id == other.card_id
    await harness.expect("zhangzr", "待备案主管单位审批", chat=harness.group("ljq-jg"))
    done = await harness.tap("zhangzr", sup_card, "同意")
    assert done.toast == "已同意"
    late = await harness.tap("hegly", other, "同意")
    # Told who decided, not "已同意": the late tap decides nothing.
    assert late.toast == "此事项已处理：张主任已同意"

    filing = await Filing.get()
    assert filing.status == FilingStatus.APPROVED
    assert [op["name"] for op in filing.opinions] == ["陈主任", "张主任"]
    account = await Account.get(id=filing.account_id)
    assert account.status == AccountStatus.PREPARING
    assert account.platform == MediaPlatform.WEIBO
    assert account.operators == [{"name": "小徐", "phone": "13900000044"}]
    history = await AccountHistory.filter(account_id=account.id)
    assert [h.status_after for h in history] == ["preparing"]
    stored = await StoredFile.get(id=filing.document_id)
    assert stored.name.endswith(".docx")
    result = card_of(await harness.new_messages("xiaoxu"), "备案已同意")
    assert "6个月内上线正式运行" in result.body

    # Went live: the account runs, the go-live countdown is done.
    live = await harness.tap("xiaoxu", result, "已上线")
    assert live.toast == "已登记上线"
    assert (await Account.get(id=account.id)).status == AccountStatus.RUNNING

    ledger = await harness.say("xiaoxu", "台账")
    assert "临江教育（微博） · 运行" in ledger[0].text
    mine = await harness.say("xiaoxu", "我的备案")
    assert f"开设备案 #{filing.id}「临江教育」：已同意" in mine[0].text
    assert "已同意" in mine[0].text
    assert await AuditEntry.filter(action="filing.approved").count() == 2
    assert await AuditEntry.filter(action="account.updated").count() == 2


async def test_a_pending_opening_holds_its_platform_and_can_be_resubmitted(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS)  # the head's group copy
    summary = await open_filing(harness)
    await harness.tap("xiaoxu", summary, "提交备案")
    # A second opening on the same platform while the first is being decided: refused.
    first = await harness.say("xiaoxu", "备案 开设")
    asked = first[-1].card
    assert asked is not None
    assert "（第1题）请选择所属平台" in asked.body  # asked first
    refused = await harness.say("xiaoxu", "微博")
    assert "本单位在微博的开设备案（#1「临江教育」）正在办理" in refused[0].text
    await harness.say("xiaoxu", "取消")

    head = card_of(await harness.new_messages("chenzr"), "请审批")
    await harness.tap("chenzr", head, "退回", form={"reason": "经费来源写具体"})
    returned = card_of(await harness.new_messages("xiaoxu"), "备案被退回")
    await harness.tap("xiaoxu", returned, "修改后重新提交")
    replies = []
    for answer in ["同上"] * 10 + ["区教委年度部门预算列支", "同上", "同上"]:
        replies = await harness.say("xiaoxu", answer)
    summary2 = card_of(replies, "请核对")
    assert {f.label: f.value for f in summary2.fields}["经费保障"] == "区教委年度部门预算列支"
    await harness.tap("xiaoxu", summary2, "提交备案")
    filing = await Filing.get()
    assert filing.round == 2
    assert filing.status == FilingStatus.PENDING
    assert filing.answers["plan_funding"] == "区教委年度部门预算列支"


async def test_two_approvers_tapping_at_once_record_one_decision(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    summary = await open_filing(harness)
    await harness.tap("xiaoxu", summary, "提交备案")
    await harness.tap("chenzr", card_of(await harness.new_messages("chenzr"), "请审批"), "同意")
    zhang = card_of(await harness.new_messages("zhangzr"), "请审批")
    he = card_of(await harness.new_messages("hegly"), "请审批")
    results = await asyncio.gather(
        harness.tap("zhangzr", zhang, "同意"),
        harness.tap("hegly", he, "退回", form={"reason": "再核对一遍"}),
    )
    filing = await Filing.get()
    decided = [op for op in filing.opinions if op["step"] == 1]
    assert len(decided) == 1
    assert filing.status in (FilingStatus.APPROVED, FilingStatus.RETURNED)
    assert await Account.filter(key=f"filing-{filing.id}").count() == (
        1 if filing.status == FilingStatus.APPROVED else 0
    )
    assert sorted(r.toast or "" for r in results)[0] != sorted(r.toast or "" for r in results)[1]


async def test_supervisors_see_the_registers_of_the_units_they_supervise(
    harness: ChatHarness,
) -> None:
    ledger = await harness.say("zhangzr", "台账")
    text = ledger[0].text
    assert "临江区人民政府办公室政务新媒体台账（2个）" in text
    assert "临江区文化和旅游发展委员会政务新媒体台账（3个）" in text
    assert "临江区河西镇人民政府政务新媒体台账（1个）" in text
    own = await harness.say("laozhou", "台账")
    assert "临江区人民政府办公室" not in own[0].text
