"""整改 on every platform: a supervisor issues a notice through the form, the unit gets it 1:1
and in its duty group with an @-mention, the editor acknowledges, the supervisor is told."""

from __future__ import annotations

from storage.models.rectification import Rectification, RectStatus
from tests.support.platforms import Pick, PlatformChat, Write


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
        ],
    )
    # The summary cites the rule and the due time (Friday 9 October, 10:00 + 30 minutes).
    summary = await chat.card("zhangzr", "整改通知")
    assert "第十五条" in summary.text
    assert "10月9日 10:30" in summary.text
    await chat.tap("zhangzr", summary, "下发")
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.ISSUED

    notice = await chat.card("xiaowang", "整改通知 ZG2026-0001")
    assert "剩余30分钟" in notice.text
    await chat.expect("group:wlw-duty", "整改通知 ZG2026-0001")
    group = await chat.received("group:wlw-duty")
    assert any(("小王" in g.text or "xiaowang" in g.text) for g in group)  # the @-mention

    await chat.tap("xiaowang", notice, "已接收")
    assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    assert "整改中" in (await chat.card("xiaowang", "整改通知 ZG2026-0001")).text
    await chat.expect("zhangzr", "已由小王接收")
    # The others who run the account got the notice too.
    for person in ("likz", "laozhou"):
        await chat.expect(person, "整改通知 ZG2026-0001")
