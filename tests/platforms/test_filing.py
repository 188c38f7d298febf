"""开设备案 on every platform: the clerk fills the form, the head and the supervising unit
approve, the registry gets the account and the clerk the 备案表."""

from __future__ import annotations

from storage.enums import AccountStatus
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Account
from tests.support.platforms import PlatformChat, Write

OPEN_FORM = [
    Write("subject", "同上", feishu="临江区文化和旅游发展委员会"),
    Write("name", "临江文旅"),
    Write("account_id", "ljwl_weibo"),
    Write("platform", "微博", feishu="weibo"),
    Write("platform_name", "", in_chat=False),
    Write("reason", "文旅宣传"),
    Write("manager_name", "李科长"),
    Write("manager_phone", "13900000034"),
    Write("operator_name", "老周"),
    Write("operator_phone", "13900000036"),
    Write("plan_lead", "赵副主任分管"),
    Write("plan_funding", "部门预算"),
    Write("plan_rules", "三审三校"),
    Write("plan_contact", "老周 13900000036"),
]


async def test_open_filing_through_both_approvals(chat: PlatformChat) -> None:
    await chat.say("laozhou", "备案")
    await chat.choose("laozhou", "开设")
    await chat.fill("laozhou", "开设备案", OPEN_FORM)
    summary = await chat.card("laozhou", "请核对开设备案")
    assert "微博" in summary.text
    await chat.tap("laozhou", summary, "提交备案")
    await chat.expect("laozhou", "等待主办单位（王主任）审批")
    await chat.expect("group:wlw-review", "待主办单位审批")

    head = await chat.card("wangzr", "请审批")
    await chat.tap("wangzr", head, "同意", {"reason": ""})
    await chat.expect("laozhou", "王主任已同意，已报送临江区人民政府办公室")
    await chat.expect("group:zfb-jg", "待备案主管单位审批")
    supervisor = await chat.card("zhangzr", "请审批")
    await chat.tap("zhangzr", supervisor, "同意", {"reason": ""})

    filing = await Filing.get()
    assert filing.status == FilingStatus.APPROVED
    assert [op["name"] for op in filing.opinions] == ["王主任", "张主任"]
    assert (await Account.get(id=filing.account_id)).status == AccountStatus.PREPARING
    # The approval card is closed where it was tapped, and the clerk gets the 备案表.
    assert "张主任已同意" in (await chat.card("zhangzr", "请审批")).text
    await chat.expect("laozhou", "备案已同意", "[文件]")
