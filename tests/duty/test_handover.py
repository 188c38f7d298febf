"""The handover as 小陈, 老刘, 小马 and 冯组长 live it, through the console."""

from __future__ import annotations

from bot.flows.duty.people import responsible
from storage.models.deadlines import Deadline, DeadlineStatus
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.machinery import AuditEntry
from tests.duty.handover_support import GROUP, at, demo_team, travel
from tests.support.chat import ChatHarness, card_of
from tests.support.rectification import issue


async def test_reminded_prefilled_escalated_then_acknowledged(harness: ChatHarness) -> None:
    h = harness
    team = await demo_team(h)
    # An open rectification notice in the team's scope, and a note taken during the shift.
    await issue(h)
    await h.new_messages("xiaowang")
    # The notice's own delivery and overdue reminders are the rectification tests' concern.
    h.ignore("likz", "laozhou", "zhoufzr", "group:ljq-wlw-duty")
    said = await h.say("xiaochen", "记录 临江文旅留言区有网民反映办事难，已电话告知李科长")
    assert "已记录" in said[-1].text

    # 20:00: 老刘 is reminded of his shift (30 minutes before).
    await travel(h, at(20, 0))
    reminder = await h.new_messages("laoliu")
    assert any("接班提醒" in m.text and "20:30" in m.text for m in reminder)
    assert not await h.new_messages("xiaochen")

    # 20:15: 小陈 gets the handover card, pre-filled with the notice and her note.
    await travel(h, at(20, 15))
    card = card_of(await h.new_messages("xiaochen"), "交班")
    text = card.to_text()
    assert "整改通知 ZG2026-0001" in text
    assert "办事难" in text
    assert "老刘" in text

    # She submits with a note; 老刘 gets the card to acknowledge, the group sees it with @.
    h.clock.set(at(20, 20))
    tapped = await h.tap("xiaochen", card, "提交交接", form={"note": "留言已转李科长"})
    assert tapped.toast is not None
    assert "仍由您承担" in tapped.toast
    assert tapped.card is not None
    assert not tapped.card.buttons
    incoming = card_of(await h.new_messages("laoliu"), "接班确认")
    assert "留言已转李科长" in incoming.to_text()
    assert "ZG2026-0001" in incoming.to_text()
    posted = await h.new_messages("xiaoma", GROUP)
    assert any(m.card is not None and "老刘" in m.mentions for m in posted)

    # 小马 taps 确认接班 in the group: refused, saying who may act, and audited.
    denied = await h.tap("xiaoma", posted[-1], "确认接班", chat=GROUP)
    assert denied.toast is not None
    assert "只有接班人老刘可以确认接班" in denied.toast
    assert await AuditEntry.filter(action="duty.handover_refused").count() == 1
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.status == HandoverStatus.SUBMITTED

    # 20:30: the change. 小陈 is told she stays responsible until 老刘 acknowledges.
    await travel(h, at(20, 30))
    told = await h.new_messages("xiaochen")
    assert any("仍由您承担" in m.text for m in told)
    assert (await responsible_key(team, at(20, 31))) == "xiaochen"

    # 20:45: nobody acknowledged: the duty lead is @-mentioned in the group and gets a card.
    await travel(h, at(20, 45))
    group = await h.new_messages("fengzz", GROUP)
    assert any("交接班未完成" in m.text and "冯组长" in m.mentions for m in group)
    lead_card = card_of(await h.new_messages("fengzz"), "交接班未完成")
    assert [b.label for b in lead_card.buttons] == ["代为确认接班"]

    # 20:47: 老刘 acknowledges. Every card shows the outcome and no buttons.
    h.clock.set(at(20, 47))
    done = await h.tap("laoliu", incoming, "确认接班")
    assert done.toast is not None
    assert "已确认接班" in done.toast
    assert done.card is not None
    assert not done.card.buttons
    assert "老刘已于" in done.card.status
    lead_now = await h.latest_card("fengzz", title="交接班未完成")
    assert not lead_now.buttons
    assert "确认接班" in lead_now.status
    assert any("值班责任已移交" in m.text for m in await h.new_messages("xiaochen"))
    assert any("交接班已完成" in m.text for m in await h.new_messages("fengzz"))
    assert (await responsible_key(team, at(20, 48))) == "laoliu"
    assert (await responsible_key(team, at(20, 40))) == "xiaochen"  # history kept
    again = await h.tap("laoliu", incoming, "确认接班")
    assert again.toast is not None
    assert await AuditEntry.filter(action="duty.handover_acknowledged").count() == 1

    # The countdown is complete: nothing more at 21:00 or later.
    handover = await DutyHandover.get(id=handover.id)
    deadline = await Deadline.get(id=handover.deadline_id)
    assert deadline.status == DeadlineStatus.COMPLETED
    await travel(h, at(21, 30))
    assert not await h.new_messages("fengzz")
    assert not await h.new_messages("fengzz", GROUP)

    # 交接记录: who held responsibility when.
    log = (await h.say("fengzz", "交接记录"))[-1].text
    assert "小陈 → 老刘" in log
    assert "小陈负责至" in log
    assert "20:47" in log
    assert "现在负责：老刘" in log


async def responsible_key(team: object, when: object) -> str:
    from tortoise import Tortoise

    member = await responsible(Tortoise.get_connection("default"), team, when)  # type: ignore[arg-type]
    assert member is not None
    return member.person.key
