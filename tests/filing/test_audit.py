"""The filing's audit entries: every transition named as what happened (``filing.<past
participle>``), in the order it happened."""

from __future__ import annotations

from datetime import timedelta

from storage.models.filing import Filing
from storage.models.machinery import AuditEntry
from storage.models.org import Account
from tests.support.chat import ChatHarness, card_of
from tests.support.filing import (
    SUPERVISING_UNIT,
    UNIT_GROUPS,
    answer_all,
    approve_both,
    open_filing,
    pick,
)


async def _verbs(subject_type: str, subject_id: int) -> list[str]:
    rows = await AuditEntry.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by(
        "seq"
    )
    return [row.action for row in rows]


async def test_returned_resubmitted_and_rejected(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS)  # the head's group copy of each approval card
    summary = await open_filing(harness)
    await harness.tap("xiaoxu", summary, "提交备案")
    head = card_of(await harness.new_messages("chenzr"), "请审批")
    await harness.tap("chenzr", head, "退回", form={"reason": "经费来源写具体"})
    returned = card_of(await harness.new_messages("xiaoxu"), "备案被退回")
    await harness.tap("xiaoxu", returned, "修改后重新提交")
    summary2 = card_of(await answer_all(harness, "xiaoxu", ["同上"] * 13), "请核对")
    await harness.tap("xiaoxu", summary2, "提交备案")
    again = card_of(await harness.new_messages("chenzr"), "请审批")
    refused = await harness.tap("chenzr", again, "不同意", form={"reason": "暂不开设"})
    assert refused.toast == "已不同意"

    filing = await Filing.get()
    assert await _verbs("filing", filing.id) == [
        "filing.submitted",
        "filing.returned",
        "filing.resubmitted",
        "filing.rejected",
    ]


async def test_closure_approved_documented_and_its_notice_ended(harness: ChatHarness) -> None:
    # Not looked at: approval-card copies; this test is about the audit trail.
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)
    await pick(harness, "laozhou", "关停", "临江文旅（微博）")
    summary = card_of(
        await answer_all(harness, "laozhou", ["整合", "迁移至微信", "首页公告", "今天"]),
        "请核对",
    )
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    filing = await Filing.get()
    assert await _verbs("filing", filing.id) == [
        "filing.submitted",
        "filing.approved",
        "filing.approved",
        "filing.document_generated",
    ]

    await harness.advance(timedelta(days=31))
    account = await Account.get(key="ljq-wlw-weibo")
    assert (await _verbs("account", account.id))[-1] == "filing.notice_ended"
