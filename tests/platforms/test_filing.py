"""开设备案 on every platform: the clerk fills the form, the head and the supervising unit
approve, the registry gets the account and the clerk the 备案表."""

from __future__ import annotations

import pytest

from storage.enums import AccountStatus
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Account
from tests.support.platforms import OPEN_FORM, Answer, PlatformChat, Write


async def test_open_filing_through_both_approvals(chat: PlatformChat) -> None:
    await open_filing_through_both_approvals(chat)


@pytest.mark.slow
async def test_open_filing_through_serve_and_worker(live_chat: PlatformChat) -> None:
    await open_filing_through_both_approvals(live_chat)


async def open_filing_through_both_approvals(chat: PlatformChat) -> None:
    await chat.say("laozhou", "备案")
    await chat.choose("laozhou", "开设")
    await chat.fill("laozhou", "开设备案", OPEN_FORM)
    summary = await chat.card("laozhou", "请核对开设备案", button="提交备案")
    assert "微博" in summary.text
    await chat.tap("laozhou", summary, "提交备案")
    await chat.expect("laozhou", "等待主办单位（王主任）审批")
    await chat.expect("group:wlw-review", "待主办单位审批")

    head = await chat.card("wangzr", "请审批", button="同意")
    await chat.tap("wangzr", head, "同意", {"reason": ""})
    await chat.expect("laozhou", "王主任已同意，已报送临江区人民政府办公室")
    await chat.expect("group:zfb-jg", "待备案主管单位审批")
    supervisor = await chat.card("zhangzr", "请审批", button="同意")
    await chat.tap("zhangzr", supervisor, "同意", {"reason": ""})

    filing = await Filing.get()
    assert filing.status == FilingStatus.APPROVED
    assert [op["name"] for op in filing.opinions] == ["王主任", "张主任"]
    assert (await Account.get(id=filing.account_id)).status == AccountStatus.PREPARING
    # The approval card is closed where it was tapped, and the clerk gets the 备案表.
    assert "张主任已同意" in (await chat.card("zhangzr", "请审批")).text
    await chat.expect("laozhou", "备案已同意", "[文件]")

    # Gone live: the clerk says so on the result card, the account runs.
    await chat.tap("laozhou", await chat.card("laozhou", "备案已同意", button="已上线"), "已上线")
    for _ in range(chat.patience):
        if (await Account.get(id=filing.account_id)).status == AccountStatus.RUNNING:
            break
        await chat.wait()
    assert (await Account.get(id=filing.account_id)).status == AccountStatus.RUNNING


def change_form(phone: str, *, again: bool = False) -> list[Answer]:
    """变更 of the 运营人员 (item 6); ``again``: the returned filing's form, prefilled."""
    same = "同上" if again else None
    return [
        Write("changed", same or "6", feishu="运营人员"),
        Write("operator_name", same or "小王", feishu="小王"),
        Write("operator_phone", phone),
        Write("reason", same or "老周调岗", feishu="老周调岗"),
        Write("effective", same or "今天", feishu="2026-10-09 +0800"),
    ]


async def test_change_returned_with_a_reason_then_approved(chat: PlatformChat) -> None:
    await chat.say("laozhou", "备案 变更")
    await chat.choose("laozhou", "临江文旅（抖音）")
    await chat.fill("laozhou", "变更备案", change_form("13900000035"))
    await chat.tap(
        "laozhou", await chat.card("laozhou", "请核对变更备案", button="提交备案"), "提交备案"
    )

    # 退回 needs a reason.
    head = await chat.card("wangzr", "请审批", button="退回")
    await chat.decide("wangzr", head, "退回", "reason", "运营人员电话有误")
    filing = await Filing.get()
    assert filing.status == FilingStatus.RETURNED
    assert filing.opinions[-1]["reason"] == "运营人员电话有误"
    returned = await chat.card("laozhou", "备案被退回", button="修改后重新提交")
    assert "运营人员电话有误" in returned.text

    # Resubmitted with the answers kept: only the phone changes.
    await chat.tap("laozhou", returned, "修改后重新提交")
    await chat.fill("laozhou", "变更备案", change_form("13900000055", again=True))
    await chat.tap(
        "laozhou", await chat.card("laozhou", "请核对变更备案", button="提交备案"), "提交备案"
    )
    await chat.tap(
        "wangzr", await chat.card("wangzr", "请审批", button="同意"), "同意", {"reason": ""}
    )
    await chat.tap(
        "zhangzr", await chat.card("zhangzr", "请审批", button="同意"), "同意", {"reason": ""}
    )

    filing = await Filing.get()
    assert filing.status == FilingStatus.APPROVED
    assert filing.round == 2
    account = await Account.get(key="wlw-douyin")
    assert account.operators == [{"name": "小王", "phone": "13900000055"}]
    await chat.expect("laozhou", "备案已同意")
    chat.ignore("group:wlw-review", "group:zfb-jg")  # the copies; the opening test reads them
