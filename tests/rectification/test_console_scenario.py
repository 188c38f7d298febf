"""The issue's console scenario: a serious kunming notice issued at 10:00 on a working day is due
at 10:30, reminded, overdue with escalation, completed, rejected, completed again and verified;
an extension is requested and granted."""

from __future__ import annotations

from datetime import timedelta

from storage.models.machinery import AuditEntry
from storage.models.rectification import Rectification, RectStatus
from tests.support.chat import ChatHarness, card_of
from tests.support.dates import at
from tests.support.rectification import issue

GROUP = "group:ljq-wlw-duty"


async def advance_to(h: ChatHarness, minutes: int) -> None:
    """To ``minutes`` past the notice's 10:00."""
    await h.advance(to=at(2026, 11, 23, 10, 0) + timedelta(minutes=minutes))


async def test_serious_notice_full_cycle(kunming: ChatHarness) -> None:
    h = kunming
    replies = await issue(h)
    confirmation = "\n".join(m.to_text() for m in replies)
    assert "ZG2026-0001 已下发给李科长、老周、小王" in confirmation
    assert "第十五条" in confirmation
    assert "10:30" in confirmation

    rect = await Rectification.get(id=1)
    assert rect.rule_id == "rectification.serious"
    assert rect.due_at == at(2026, 11, 23, 10, 30)

    # Delivered 1:1 to the people who run the account, and in the unit's group with @.
    card = card_of(await h.new_messages("xiaowang"), "整改通知 ZG2026-0001")
    assert "剩余30分钟" in card.to_text()
    assert "依据《昆明市党政群网站及新媒体管理办法》第十五条" in card.to_text()
    group = await h.new_messages("likz", GROUP)
    assert any("李科长" in m.mentions and "小王" in m.mentions for m in group)

    # Someone outside the unit cannot acknowledge it.
    denied = await h.tap("xiaoxu", card, "已接收")
    assert denied.toast == "这张卡片由王主任、李科长、小王、老周处理，您的操作未生效。"
    tapped = await h.tap("xiaowang", card, "已接收")
    assert tapped.toast == "已接收，请在时限内完成整改。"
    again = await h.tap("likz", card, "已接收", chat=h.dm("likz"))
    assert (await Rectification.get(id=1)).status == RectStatus.ACKNOWLEDGED
    assert again.toast == "这个按钮已失效，请查看最新卡片。"
    assert await AuditEntry.filter(action="rectification.acknowledged").count() == 1

    # Half time (10:15): reminded in the group, the card's remaining time refreshed.
    await advance_to(h, 15)
    group = await h.new_messages("likz", GROUP)
    assert any("时限过半提醒" in m.text and "剩余15分钟" in m.text for m in group)
    refreshed = await h.latest_card("xiaowang", title="ZG2026-0001")
    assert "剩余15分钟" in refreshed.to_text()

    # Due (10:30): overdue, the unit head @-mentioned, the supervisor told.
    await advance_to(h, 30)
    group = await h.new_messages("wangzr", GROUP)
    overdue = [m for m in group if "已逾期" in m.text]
    # The 80 % reminder (10:24) was passed by the clock jump: no stale "剩余…" after due.
    assert not [m for m in group if "临近截止提醒" in m.text]
    assert overdue
    assert "王主任" in overdue[0].mentions
    assert any("整改逾期" in m.text for m in await h.new_messages("zhangzr"))
    assert (await Rectification.get(id=1)).overdue
    # Reminders continue after due.
    await advance_to(h, 90)
    assert any("逾期催办" in m.text for m in await h.new_messages("wangzr", GROUP))

    # Completed (late) with note and evidence.
    card = await h.latest_card("xiaowang", title="ZG2026-0001")
    done = await h.tap(
        "xiaowang", card, "已整改", form={"note": "已更正标题", "evidence": "https://x/1"}
    )
    assert done.toast == "已提交，等待主管单位核验。"
    review = card_of(await h.new_messages("zhangzr"), "整改核验")
    assert "已更正标题" in review.to_text()

    # A unit member cannot verify; the supervisor rejects with a reason.
    wrong = await h.tap("xiaowang", review, "通过")
    assert wrong.toast == "这张卡片由张主任、周副主任、何管理员处理，您的操作未生效。"
    assert (await Rectification.get(id=1)).status == RectStatus.SUBMITTED
    await advance_to(h, 100)  # 11:40
    rejected = await h.tap("zhangzr", review, "驳回", form={"reason": "正文中仍有错字"})
    assert rejected.toast == "已驳回，已重新计时。"
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.ACKNOWLEDGED
    assert rect.reopened == 1
    # A new deadline under the same rule, counted from the rejection.
    assert rect.due_at == at(2026, 11, 23, 12, 10)
    assert rect.due_at > at(2026, 11, 23, 11, 40)
    notice = await h.new_messages("xiaowang", GROUP)
    assert any("被驳回：正文中仍有错字" in m.text for m in notice)

    # An extension is requested and granted.
    card = await h.latest_card("xiaowang", title="ZG2026-0001")
    asked = await h.tap("xiaowang", card, "申请延期", form={"reason": "需要平台审核更正"})
    assert asked.toast == "已提交延期申请，等待主管单位答复；在答复前请继续整改。"
    extension = card_of(await h.new_messages("zhangzr"), "延期申请")
    granted = await h.tap("zhangzr", extension, "同意延期", form={"new_due": "今天 17:00"})
    assert granted.toast == "已同意延期至 11月23日 17:00。"
    rect = await Rectification.get(id=1)
    assert rect.due_at == at(2026, 11, 23, 17, 0)
    assert not rect.extension_pending
    # The second tap of the same decision records nothing more.
    await h.tap("zhoufzr", extension, "同意延期", form={"new_due": "明天 17:00"})
    assert (await Rectification.get(id=1)).due_at == at(2026, 11, 23, 17, 0)
    assert await AuditEntry.filter(action="rectification.extension_granted").count() == 1

    # Completed again and verified.
    card = await h.latest_card("xiaowang", title="ZG2026-0001")
    await h.tap(
        "laozhou", card, "已整改", form={"note": "正文错字已全部更正"}, chat=h.dm("laozhou")
    )
    review = card_of(await h.new_messages("zhangzr"), "整改核验")
    verified = await h.tap("zhangzr", review, "通过")
    assert verified.toast == "已通过，整改完成。"
    rect = await Rectification.get(id=1)
    assert rect.status == RectStatus.VERIFIED
    # The unit's people hear of it where they got the notice (1:1), not only in the group.
    for person in ("xiaowang", "laozhou", "likz"):
        await h.expect(person, "整改通知 ZG2026-0001 已通过核验，整改完成。")
    final = await h.latest_card("xiaowang", title="ZG2026-0001")
    assert final.buttons == ()
    assert "已通过" in final.status

    # No more reminders once done.
    await advance_to(h, 60 * 8)
    assert not [m for m in await h.new_messages("wangzr", GROUP) if "催办" in m.text]

    # The timeline shows every step.
    timeline = "\n".join(m.text for m in await h.say("zhangzr", "整改记录 ZG2026-0001"))
    for word in ("下发", "已接收", "逾期", "驳回", "申请延期", "同意延期", "核验通过"):
        assert word in timeline, timeline
    # The moment it went overdue is one line, not 逾期 and 提醒（到期） both.
    at_due = [line for line in timeline.splitlines() if "11月23日 10:30 " in line]
    assert len(at_due) == 1, timeline
    assert "逾期" in at_due[0]
    # What the unit gave as evidence is on the record.
    assert "已更正标题" in timeline
    assert "证据：https://x/1" in timeline

    # 何管理员, the third supervisor staff member, was told the same as 张主任 all along.
    await h.expect("hegly", "已由小王接收", "整改逾期", "整改核验", "延期申请")
