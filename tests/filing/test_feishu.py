"""What only Feishu does in filing (the flow itself runs on every platform in
tests/platforms/test_filing.py): the form is one card, and a wrong answer comes back marked on
the card instead of failing; 退回 without a reason decides nothing and asks for one."""

from __future__ import annotations

from bot.core.services import Services
from storage.models.filing import Filing, FilingStatus
from tests.support.platforms import OPEN_FORM, FeishuChat, PlatformChat, Write, platform_chat


async def test_a_wrong_phone_on_the_form_card_is_marked(services: Services) -> None:
    async with platform_chat("feishu", services) as chat:
        await chat.say("laozhou", "备案")
        await chat.choose("laozhou", "开设")
        form_card = await chat.card("laozhou", "开设备案")
        values = {a.key: a.feishu if a.feishu is not None else a.text for a in feishu_form()}
        toast = await chat.tap("laozhou", form_card, "下一步", {**values, "manager_phone": "139"})
        assert toast == "有几项需要修改"
        marked = (await chat.received("laozhou"))[-1]
        assert "联系方式格式不正确" in marked.text
        await chat.tap("laozhou", marked, "下一步", values)
        summary = await chat.card("laozhou", "请核对开设备案")
        assert "所属平台：微博" in summary.text
        assert await Filing.all().count() == 0  # nothing is filed before 提交备案


async def test_return_without_a_reason_decides_nothing(services: Services) -> None:
    async with platform_chat("feishu", services) as chat:
        await submit_opening(chat)
        head = await chat.card("wangzr", "请审批")
        toast = await chat.tap("wangzr", head, "退回", {"reason": ""})
        # Not decided; the reason is asked for in the chat (or typed into the card again).
        assert toast == "请在对话中填写退回或不同意的理由"
        assert (await Filing.get()).status == FilingStatus.PENDING
        await chat.tap("wangzr", head, "退回", {"reason": "请写明上线计划"})
        assert (await Filing.get()).status == FilingStatus.RETURNED
        await chat.expect("laozhou", "请写明上线计划")
        chat.ignore("group:wlw-review")


async def test_a_wrong_start_date_on_the_form_card_is_marked_not_a_crash(
    services: Services,
) -> None:
    async with platform_chat("feishu", services) as chat:
        await chat.say("laozhou", "备案 临时下线")
        await chat.choose("laozhou", "临江文旅（抖音）")
        form_card = await chat.card("laozhou", "临时下线备案")
        form = {"reason": "系统升级", "start": "下周", "end": "2026-10-20 +0800"}
        toast = await chat.tap("laozhou", form_card, "下一步", form)
        assert toast == "有几项需要修改"
        marked = (await chat.received("laozhou"))[-1]
        assert "有几项需要修改" in marked.text
        assert "日期格式不正确" in marked.text
        assert await Filing.all().count() == 0


def feishu_form() -> list[Write]:
    return [a for a in OPEN_FORM if isinstance(a, Write)]


async def submit_opening(chat: PlatformChat) -> None:
    assert isinstance(chat, FeishuChat)
    await chat.say("laozhou", "备案")
    await chat.choose("laozhou", "开设")
    await chat.fill("laozhou", "开设备案", OPEN_FORM)
    await chat.tap(
        "laozhou", await chat.card("laozhou", "请核对开设备案", button="提交备案"), "提交备案"
    )
