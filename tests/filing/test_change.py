"""变更: the registry pre-fills, only what changes is asked, the deadline is shown with its
article, approval updates the account with history; a return reopens the form pre-filled."""

from __future__ import annotations

from bot.deadlines import lifecycle
from storage.models.deadlines import DeadlineStatus
from storage.models.filing import AccountHistory, Filing, FilingStatus
from storage.models.org import Account
from tests.support.chat import ChatHarness, Said, card_of
from tests.support.filing import SUPERVISING_UNIT, UNIT_GROUPS, answer_all, approve_both, pick


async def change_operator(h: ChatHarness) -> Said:
    first = await h.say("laozhou", "备案")
    picked = await h.tap("laozhou", card_of(first, "备案"), "变更")
    accounts = card_of(picked.replies, "变更备案")
    assert [b.label for b in accounts.buttons] == [
        "临江文旅（微信）",
        "临江文旅（抖音）",
        "临江文旅（微博）",
    ]
    form = await h.tap("laozhou", accounts, "临江文旅（抖音）")
    text = "\n".join(r.text for r in form.replies)
    assert "当前登记：责任主体 临江区文化和旅游发展委员会；账号 ljwl2020" in text
    assert "哪些信息要变更？" in text
    assert "6. 运营人员" in text
    asked = await h.say("laozhou", "6")
    assert "请填写运营人员姓名" in asked[0].text
    assert "当前登记为：老周" in asked[0].text
    replies = await answer_all(
        h, "laozhou", ["小王", "13900000035", "老周调岗，改由小王运营", "今天"]
    )
    return card_of(replies, "请核对")


async def test_change_asks_only_what_changes_and_updates_the_registry(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    summary = await change_operator(harness)
    fields = {f.label: f.value for f in summary.fields}
    assert fields["运营人员"] == "小王"
    assert "新媒体名称" not in fields  # not changing: not asked
    assert "账号：临江文旅（抖音） · 运行" in summary.body
    # The due time said once, in the explanation ("…，截止 10月15日 18:00"), not before it too.
    assert "报送主管单位时限：" in summary.body
    assert summary.body.count("10月15日 18:00") == 1
    assert "第十二条" in summary.body

    await harness.tap("laozhou", summary, "提交备案")
    filing = await Filing.get()
    assert filing.answers["name"] == "临江文旅"  # carried from the registry
    report = (await lifecycle.for_subject(None, "filing", filing.id))[0]
    assert report.status == DeadlineStatus.OPEN

    head = card_of(await harness.new_messages("wangzr"), "请审批")
    # The approver sees what changes, old → new; what does not change is shown as it is.
    on_card = {f.label: f.value for f in head.fields}
    assert on_card["运营人员"] == "老周 → 小王"
    assert on_card["运营人员联系方式"] == "13900000036 → 13900000035"
    assert on_card["新媒体名称"] == "临江文旅"
    assert on_card["运营主管负责人"] == "李科长"
    await harness.tap("wangzr", head, "同意")
    report = await lifecycle.get(None, report.id)
    assert report is not None
    assert report.status == DeadlineStatus.COMPLETED
    sup = card_of(await harness.new_messages("zhoufzr"), "请审批")
    assert {f.label: f.value for f in sup.fields}["运营人员"] == "老周 → 小王"
    await harness.tap("zhoufzr", sup, "同意")

    account = await Account.get(key="ljq-wlw-douyin")
    assert account.operators == [{"name": "小王", "phone": "13900000035"}]
    history = await AccountHistory.get(account_id=account.id)
    assert history.changes["operators"][0] == [{"name": "老周", "phone": "13900000036"}]
    assert history.filing_id == filing.id
    shown = await harness.say("laozhou", "台账 临江文旅")
    text = shown[0].text
    assert "临江文旅（抖音） · 运行 变更记录：" in text
    assert f"变更备案 #{filing.id}（运行；变更：运营人员）" in text


async def test_returned_filing_comes_back_prefilled_and_restarts_the_chain(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    summary = await change_operator(harness)
    await harness.tap("laozhou", summary, "提交备案")
    head = card_of(await harness.new_messages("wangzr"), "请审批")

    # 退回 needs a reason: without one nothing is recorded.
    no_reason = await harness.tap("wangzr", head, "退回")
    assert (await Filing.get()).status == FilingStatus.PENDING
    assert no_reason.replies or no_reason.toast  # asked for the reason
    await harness.tap("wangzr", head, "同意")  # (asked in chat) - the card is still open
    filing = await Filing.get()
    assert filing.step == 1
    sup = card_of(await harness.new_messages("zhangzr"), "请审批")
    back = await harness.tap("zhangzr", sup, "退回", form={"reason": "运营人员电话有误"})
    assert back.toast == "已退回"
    filing = await Filing.get()
    assert filing.status == FilingStatus.RETURNED

    returned = card_of(await harness.new_messages("laozhou"), "备案被退回")
    assert "运营人员电话有误" in returned.body
    reopened = await harness.tap("laozhou", returned, "修改后重新提交")
    text = "\n".join(r.text for r in reopened.replies)
    assert "原填内容已保留" in text
    assert "当前登记为：运营人员。" in text
    await harness.say("laozhou", "同上")  # changed items: keep 运营人员
    await harness.say("laozhou", "同上")  # name: keep 小王
    summary2 = card_of(
        await answer_all(harness, "laozhou", ["13900000099", "同上", "明天"]), "请核对"
    )
    assert {f.label: f.value for f in summary2.fields}["运营人员联系方式"] == "13900000099"
    assert "账号：临江文旅（抖音） · 运行" in summary2.body
    resubmitted = await harness.tap("laozhou", summary2, "提交备案")
    assert any("等待主办单位（王主任）审批" in r.text for r in resubmitted.replies)
    filing = await Filing.get()
    assert filing.status == FilingStatus.PENDING
    assert filing.step == 0
    assert filing.round == 2
    # Returned by the supervisor: the report countdown runs again, from the new date.
    report = (await lifecycle.for_subject(None, "filing", filing.id))[0]
    assert "10月16日 18:00" in report.explanation
    assert await Filing.all().count() == 1
    again = card_of(await harness.new_messages("wangzr"), "请审批")
    assert "13900000099" in again.to_text()
    # The old round's cards are dead.
    stale = await harness.tap("zhangzr", sup, "同意")
    assert (await Filing.get()).step == 0
    assert stale.toast == "此事项已处理：张主任已退回：运营人员电话有误"


async def test_reject_needs_a_reason_and_ends_the_filing(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS)  # the head's group copy
    summary = await change_operator(harness)
    await harness.tap("laozhou", summary, "提交备案")
    head = card_of(await harness.new_messages("wangzr"), "请审批")
    done = await harness.tap("wangzr", head, "不同意", form={"reason": "暂不调整"})
    assert done.toast == "已不同意"
    filing = await Filing.get()
    assert filing.status == FilingStatus.REJECTED
    told = await harness.new_messages("laozhou")
    assert any("王主任不同意。理由：暂不调整" in r.text for r in told)
    account = await Account.get(key="ljq-wlw-douyin")
    assert account.operators == [{"name": "老周", "phone": "13900000036"}]
    report = (await lifecycle.for_subject(None, "filing", filing.id, open_only=False))[0]
    assert report.status == DeadlineStatus.CANCELLED


async def test_one_filing_at_a_time_per_account(harness: ChatHarness) -> None:
    harness.ignore("wangzr", *UNIT_GROUPS)  # the first filing's approval card
    summary = await change_operator(harness)
    await harness.tap("laozhou", summary, "提交备案")
    again = await harness.say("laozhou", "备案 关停")
    accounts = card_of(again, "关停备案")
    refused = await harness.tap("laozhou", accounts, "临江文旅（抖音）")
    assert "的变更备案 #1正在审批" in refused.replies[0].text
    # 紧急关停 cannot wait for it.
    urgent = await harness.say("laozhou", "备案 紧急关停")
    tapped = await harness.tap("laozhou", card_of(urgent, "紧急关停备案"), "临江文旅（抖音）")
    assert "紧急关停备案（1/2）请简要说明备案原由" in tapped.replies[-1].text


async def test_a_change_touches_only_the_items_that_change(harness: ChatHarness) -> None:
    # Not looked at: approval copies and the result; this test reads the registry.
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT, "laozhou")
    account = await Account.get(key="ljq-wlw-douyin")
    two = [{"name": "老周", "phone": "13900000036"}, {"name": "小王", "phone": "13900000035"}]
    account.operators = two  # the registry import may list several operators
    await account.save()
    picked = await pick(harness, "laozhou", "变更", "临江文旅（抖音）")
    assert "哪些信息要变更" in picked[-1].text
    summary = card_of(
        await answer_all(harness, "laozhou", ["5", "赵副主任", "13900000032", "分工调整", "今天"]),
        "请核对",
    )
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    account = await Account.get(id=account.id)
    assert account.manager_name == "赵副主任"
    assert account.manager_phone == "13900000032"
    assert account.operators == two
    history = await AccountHistory.get(account_id=account.id)
    assert set(history.changes) == {"manager_name", "manager_phone"}
