"""A card question answered in the chat after someone else has acted on the card: the reply names
the card and its new state, and nothing is submitted twice (found in the real-browser pass)."""

from __future__ import annotations

from storage.models.machinery import AuditEntry
from storage.models.rectification import Rectification, RectStatus
from tests.support.chat import ChatHarness, card_of
from tests.support.rectification import issue

GROUP = "group:ljq-wlw-duty"


async def test_a_note_typed_after_a_colleague_submitted_is_not_sent(kunming: ChatHarness) -> None:
    h = kunming
    h.ignore(GROUP, "wangzr", "laozhou", "zhoufzr", "hegly")  # copies to the others
    await issue(h)
    await h.mark_read("zhangzr")
    card = card_of(await h.new_messages("xiaowang"), "整改通知 ZG2026-0001")
    await h.tap("xiaowang", card, "已接收")
    likz = await h.latest_card("likz", title="ZG2026-0001")

    # 李科长 taps 已整改 without a note: asked for it in the chat.
    asked = await h.tap("likz", likz, "已整改", chat=h.dm("likz"))
    assert asked.toast == "请在对话中填写整改情况说明"
    assert any("您点了「已整改」，请回复整改情况说明" in m.text for m in asked.replies)

    # Meanwhile 小王 submits it.
    card = await h.latest_card("xiaowang", title="ZG2026-0001")
    done = await h.tap("xiaowang", card, "已整改", form={"note": "已更正标题"})
    assert done.toast == "已提交，等待主管单位核验。"
    await h.mark_read("zhangzr")

    late = await h.say("likz", "已改好")
    assert [m.text for m in late] == [
        "「整改通知 ZG2026-0001」已有新进展（待核验），您刚才回复的内容没有提交，请以最新卡片为准。"
    ]
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.SUBMITTED
    assert await AuditEntry.filter(action="rectification.submitted").count() == 1
