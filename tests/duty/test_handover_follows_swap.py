"""A handover already submitted follows a later swap of the incoming shift: the new incoming
officer gets the card to acknowledge (1:1 and in the duty group), the old card shows that the
shift changed hands and has no buttons left, and only the new officer may acknowledge."""

from __future__ import annotations

from tortoise import Tortoise

from bot.flows.duty.people import responsible
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.machinery import AuditEntry, CardRecord
from storage.models.org import Person
from tests.duty.handover_support import GROUP, at, demo_team, travel
from tests.duty.support import card_titled
from tests.support.chat import ChatHarness, card_of


async def test_a_submitted_handover_follows_a_swap_of_the_incoming_shift(
    harness: ChatHarness,
) -> None:
    h = harness
    team = await demo_team(h)
    await h.say("xiaochen", "记录 临江文旅留言区有网民反映办事难，已电话告知李科长")
    # 20:00: 老刘 is reminded of his night shift; 20:15: 小陈 gets her handover card.
    await travel(h, at(20, 0))
    await h.expect("laoliu", "接班提醒")
    await travel(h, at(20, 15))
    out = card_of(await h.new_messages("xiaochen"), "交班")
    h.clock.set(at(20, 17))
    await h.tap("xiaochen", out, "提交交接", form={"note": "留言已转李科长"})
    old = card_of(await h.new_messages("laoliu"), "接班确认")
    old_group = card_titled(await h.new_messages("xiaoma", GROUP), "接班确认")
    assert "老刘" in old_group.mentions

    # 20:20: 老刘 cannot come after all; 小马 takes his night shift, 冯组长 approves.
    h.clock.set(at(20, 20))
    await h.say("laoliu", "换班 11月23日夜班 小马")
    await h.tap("xiaoma", card_titled(await h.new_messages("xiaoma"), "换班申请"), "接受")
    await h.new_messages("laoliu")
    approval = card_titled(await h.new_messages("fengzz"), "换班审批")
    await h.tap("fengzz", approval, "同意")

    # 小马 gets the handover to acknowledge, with what 小陈 handed over; the group sees it @小马.
    new = card_of(await h.new_messages("xiaoma"), "接班确认")
    assert new.card_id != old.card_id
    assert "接班人：小马" in new.to_text()
    assert "留言已转李科长" in new.to_text()
    assert "办事难" in new.to_text()
    assert [b.label for b in new.buttons] == ["确认接班"]
    posted = await h.new_messages("fengzz", GROUP)
    assert any(
        m.card is not None and "接班确认" in m.card.title and "小马" in m.mentions for m in posted
    )
    # 老刘's card (1:1 and the group's copy) shows the outcome, with no buttons.
    record = await CardRecord.get(id=old.card_id)
    assert record.status == "closed"
    assert record.content["buttons"] == []
    assert record.content["status"] == "接班人已改为小马（换班，值班长冯组长同意），此卡片作废"
    told = "\n".join(m.text for m in await h.new_messages("laoliu"))
    assert "改由小马值班" in told
    assert "交接卡片已转给小马" in told
    # 小陈 is told who will acknowledge now.
    assert any("改由小马确认接班" in m.text for m in await h.new_messages("xiaochen"))

    # 老刘 tapping the old card changes nothing.
    stale = await h.tap("laoliu", old, "确认接班")
    assert stale.status == 200
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.status == HandoverStatus.SUBMITTED
    assert handover.incoming_id == (await team_person("xiaoma"))
    assert handover.incoming_card_id == new.card_id

    # 20:31: 小马 acknowledges; responsibility passes to her.
    await travel(h, at(20, 30))
    await h.expect("xiaochen", "仍由您承担")
    await h.expect("xiaoma", "请核对小陈的交接内容")
    h.clock.set(at(20, 31))
    done = await h.tap("xiaoma", new, "确认接班")
    assert done.toast == "已确认接班，现在由您值班负责。"
    assert done.card is not None
    assert not done.card.buttons
    handover = await DutyHandover.get(id=handover.id)
    assert handover.status == HandoverStatus.ACKNOWLEDGED
    assert handover.acknowledged_by_id == await team_person("xiaoma")
    member = await responsible(Tortoise.get_connection("default"), team, at(20, 32))
    assert member is not None
    assert member.person.key == "xiaoma"
    assert await AuditEntry.filter(action="duty.handover_incoming_changed").count() == 1
    await h.expect("xiaochen", "值班责任已移交")
    h.ignore("group:ljq-zx-duty", "fengzz")


async def team_person(key: str) -> int:
    return (await Person.get(key=key)).id
