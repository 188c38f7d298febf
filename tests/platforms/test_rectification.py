"""整改 on every platform: a supervisor issues a notice through the form, the unit gets it 1:1
and in its duty group with an @-mention, the editor acknowledges, the supervisor is told."""

from __future__ import annotations

from bot.core.services import Services
from storage.models.rectification import Rectification, RectStatus
from tests.support.platforms import Pick, PlatformChat, Write, platform_chat


async def test_notice_issued_and_acknowledged(chat: PlatformChat) -> None:
    await chat.say("zhangzr", "整改")
    await chat.fill(
        "zhangzr",
        "整改通知",
        [
            Pick(
                "account",
                "临江文旅（微信）",
                feishu="临江文旅（微信） · 临江区文化和旅游发展委员会",
            ),
            Pick("category", "内容差错"),
            Pick("severity", "严重"),
            Write("problem", "推文标题把“临江”写成“林江”"),
            Write("evidence", "https://mp.weixin.qq.com/s/abc"),
            Write("evidence_files", "无", after_card=True),  # files: in the chat on Feishu
        ],
    )
    # The summary cites the rule and the due time (Friday 9 October, 10:00 + 30 minutes).
    summary = await chat.card("zhangzr", "整改通知", button="下发")
    assert "第十五条" in summary.text
    assert "10月9日 10:30" in summary.text
    await chat.tap("zhangzr", summary, "下发")
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.ISSUED

    notice = await chat.card("xiaowang", "整改通知 ZG2026-0001", button="已接收")
    assert "剩余30分钟" in notice.text
    await chat.expect("group:wlw-duty", "整改通知 ZG2026-0001")
    # In the unit's duty group, the people who must act are @-mentioned.
    group = await chat.received("group:wlw-duty")
    assert {"xiaowang", "likz", "laozhou"} <= {key for g in group for key in g.mentions}

    await chat.tap("xiaowang", notice, "已接收")
    assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    assert "整改中" in (await chat.card("xiaowang", "整改通知 ZG2026-0001")).text
    # Where the group holds the card itself (not WeCom's robot text), it shows the same state.
    for copy in await chat.received("group:wlw-duty"):
        if copy.title.startswith("整改通知 ZG2026-0001"):
            assert "整改中" in copy.text
    await chat.expect("zhangzr", "已由小王接收")

    # Someone else's tap on the card changes nothing (a WeCom template card is shown to its
    # recipient only, so nobody else can tap it there).
    if chat.name != "wecom":
        toast = await chat.tap("zhangzr", notice, "已整改", {"note": "x"})
        assert toast == "这张卡片由老周、小王、李科长、王主任处理，您的操作未生效。"
        assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    # The others who run the account got the notice too.
    for person in ("likz", "laozhou"):
        await chat.expect(person, "整改通知 ZG2026-0001")


async def test_a_missing_problem_is_marked_on_the_feishu_form(services: Services) -> None:
    """Feishu's one form card: a missing field comes back marked on the card, nothing issued."""
    async with platform_chat("feishu", services) as chat:
        await chat.say("zhangzr", "整改")
        form_card = await chat.card("zhangzr", "整改通知")
        form = {
            "account": "临江文旅（微信） · 临江区文化和旅游发展委员会",
            "category": "内容差错",
            "severity": "严重",
        }
        toast = await chat.tap("zhangzr", form_card, "下一步", form)
        assert toast == "有几项需要修改"
        marked = await chat.card("zhangzr", "整改通知")
        assert "问题——问题不能为空。" in marked.text
        assert await Rectification.all().count() == 0
