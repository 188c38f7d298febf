"""What only WeCom does in filing (the flow itself runs on every platform in
tests/platforms/test_filing.py): the app menu opens 备案, seven kinds come as a numbered list,
and the 备案表 arrives as a file message (temporary media) and as a signed link."""

from __future__ import annotations

from bot.core.services import Services
from storage.models.filing import Filing, FilingStatus
from tests.fakes.wecom_callbacks import click_xml
from tests.support.platforms import OPEN_FORM, WeComChat, platform_chat
from tests.support.wecom import CORP_ID


async def test_open_filing_from_the_menu_gets_the_form_as_a_file(services: Services) -> None:
    services.settings = services.settings.model_copy(
        update={"public_url": "https://bot.example.gov.cn"}
    )
    async with platform_chat("wecom", services) as chat:
        assert isinstance(chat, WeComChat)
        await chat.post(click_xml(CORP_ID, "laozhou", "filing"))  # the app menu's 办事 ▸ 备案
        # Seven kinds do not fit WeCom's six buttons: a numbered list.
        await chat.expect("laozhou", "1. 开设", "7. 紧急关停")
        await chat.choose("laozhou", "开设")
        await chat.fill("laozhou", "开设备案", OPEN_FORM)
        await chat.tap(
            "laozhou", await chat.card("laozhou", "请核对开设备案", button="提交备案"), "提交备案"
        )
        # The group robot @-mentions the head; the card comes 1:1.
        group = await chat.received("group:wlw-review")
        assert "wangzr" in group[-1].mentions
        await chat.tap("wangzr", await chat.card("wangzr", "请审批", button="同意"), "同意")
        await chat.tap("zhangzr", await chat.card("zhangzr", "请审批", button="同意"), "同意")
        assert (await Filing.get()).status == FilingStatus.APPROVED
        chat.ignore("group:zfb-jg")
        # The 备案表 as a WeCom file message (uploaded as temporary media), and as a link.
        api = chat.platform.api
        (sent,) = api.sent(msgtype="file", touser="laozhou")
        name, data = api.media[sent["file"]["media_id"]]
        assert name.endswith(".docx")
        assert data[:2] == b"PK"
        await chat.expect("laozhou", "下载链接（7天内有效）：https://bot.example.gov.cn/files/")
