"""Handovers that go wrong: never submitted, nobody acknowledging, a clock that jumps, the
wrong people tapping, handing over early, and notes."""

from __future__ import annotations

import asyncio

from tortoise import Tortoise

from bot.flows.duty.people import responsible
from bot.flows.duty.start.handover import plan_all
from storage.models.duty import DutyTeam
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.machinery import AuditEntry
from tests.duty.handover_support import DAY, GROUP, at, demo_team, travel
from tests.duty.support import make_team
from tests.support.chat import ChatHarness, card_of


async def holder(team: DutyTeam, when: object) -> str:
    member = await responsible(Tortoise.get_connection("default"), team, when)  # type: ignore[arg-type]
    assert member is not None
    return member.person.key


async def test_never_submitted_escalates_lead_then_head_until_someone_acknowledges(
    harness: ChatHarness,
) -> None:
    h = harness
    # A team of the culture bureau: its duty lead is 冯组长, its head 王主任.
    team = await demo_team(h, unit="ljq-wlw")
    await travel(h, at(20, 15))
    assert card_of(await h.new_messages("xiaochen"), "交班")

    # 20:30: not submitted; 小陈 is told she is still responsible.
    await travel(h, at(20, 30))
    told = [m.text for m in await h.new_messages("xiaochen")]
    assert any("尚未提交交接" in t and "仍由您承担" in t for t in told)
    assert await holder(team, at(20, 31)) == "xiaochen"

    # The clock jumps to 21:20 (the worker was down): the lead (20:45), the head (21:00) and
    # one re-notification (21:15, not one per missed quarter) each happen once.
    await travel(h, at(21, 20))
    steps = [
        e.detail["level"]
        for e in await AuditEntry.filter(action="duty.handover_escalated").order_by("id")
    ]
    assert steps == ["lead", "head", "renotify"]
    lead_card = card_of(await h.new_messages("fengzz"), "交接班未完成")
    assert "小陈尚未提交交接" in lead_card.to_text()
    head_messages = await h.new_messages("wangzr")
    head_card = card_of(head_messages, "交接班未完成")
    assert "单位负责人" in head_card.subtitle
    assert any("再次提醒" in m.text for m in head_messages)
    group = await h.new_messages("xiaoma", GROUP)
    assert any("冯组长" in m.mentions for m in group)
    assert any("王主任" in m.mentions for m in group)
    await travel(h, at(21, 30))
    assert any("再次提醒" in m.text for m in await h.new_messages("fengzz"))

    # Neither a colleague nor the outgoing officer may acknowledge; the head may, for 老刘.
    refused = await h.tap("xiaoma", lead_card, "代为确认接班")
    assert refused.toast is not None
    assert "老刘" in refused.toast
    assert "冯组长" in refused.toast
    own = await h.tap("xiaochen", lead_card, "代为确认接班")
    assert own.toast is not None
    assert "只有接班人" in own.toast
    assert await AuditEntry.filter(action="duty.handover_refused").count() == 2
    h.clock.set(at(21, 33))
    done = await h.tap("wangzr", head_card, "代为确认接班")
    assert done.toast is not None
    assert "代为确认" in done.toast
    assert done.card is not None
    assert not done.card.buttons
    assert any("代您确认接班" in m.text for m in await h.new_messages("laoliu"))
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.status == HandoverStatus.ACKNOWLEDGED
    assert await holder(team, at(21, 34)) == "laoliu"
    # The lead's card shows the outcome; nothing is re-notified any more.
    assert not (await h.latest_card("fengzz", title="交接班未完成")).buttons
    await travel(h, at(22, 30))
    assert not [m for m in await h.new_messages("fengzz") if "再次提醒" in m.text]

    log = (await h.say("fengzz", "交接记录"))[-1].text
    assert "未提交交接" in log
    assert "王主任代为确认" in log
    assert "小陈负责至" in log


async def test_early_handover_notes_and_bad_input(harness: ChatHarness) -> None:
    h = harness
    team = await demo_team(h)
    assert "请在“记录”后写" in (await h.say("xiaochen", "记录"))[-1].text
    assert "太长" in (await h.say("xiaochen", "记录 " + "长" * 600))[-1].text
    said = await h.say("xiaochen", "记录 抖音号评论区有谣言，已截图")
    assert "本班共1条记录" in said[-1].text

    # 19:00: 小陈 hands over early; the card comes now, and not again at 20:15.
    h.clock.set(at(19))
    said = await h.say("xiaochen", "交接班")
    card = card_of(said, "交班")
    assert "谣言" in card.to_text()
    await travel(h, at(20, 16))
    assert not [m for m in await h.new_messages("xiaochen") if m.card is not None]
    # 交接班 again brings the same card back; for 老刘 it says where things stand.
    again = card_of(await h.say("xiaochen", "交接班"), "交班")
    assert again.card_id == card.card_id
    status = (await h.say("laoliu", "交接班"))[-1].text
    assert "待提交交接" in status
    # A handover is acknowledged only once it was submitted.
    tapped = await h.tap("xiaochen", card, "提交交接")
    assert tapped.ok
    await h.expect("xiaoma", "接班确认", chat=GROUP)
    incoming = card_of(await h.new_messages("laoliu"), "接班确认")
    assert "谣言" in incoming.to_text()
    # 交接班 brings 老刘 the card to acknowledge again.
    assert card_of(await h.say("laoliu", "交接班"), "接班确认").card_id == incoming.card_id
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.items[0]["kind"] == "note"
    # The note was handed over: the next shift's list starts empty.
    assert "本班共1条记录" in (await h.say("laoliu", "记录 夜班开始"))[-1].text


async def test_planned_within_the_lead_time_the_card_comes_at_the_change(
    harness: ChatHarness,
) -> None:
    h = harness
    # The team is set up at 20:20: too late for the reminder (20:00) and the card (20:15).
    h.clock.set(at(20, 20))
    h.ignore("hegly")
    team = await make_team(h.services, start=DAY)
    await plan_all(h.services)
    await travel(h, at(20, 30))
    said = await h.new_messages("xiaochen")
    assert card_of(said, "交班")
    assert any("尚未提交交接" in m.text for m in said)
    assert not await h.new_messages("laoliu")  # no reminder after the shift began
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.status == HandoverStatus.PREPARING


async def test_incoming_officer_and_lead_acknowledging_at_once_record_one_outcome(
    harness: ChatHarness,
) -> None:
    h = harness
    team = await demo_team(h)
    await travel(h, at(20, 15))
    out = card_of(await h.new_messages("xiaochen"), "交班")
    await h.tap("xiaochen", out, "提交交接")
    incoming = card_of(await h.new_messages("laoliu"), "接班确认")
    await h.expect("xiaoma", "接班确认", chat=GROUP)
    await travel(h, at(20, 46))
    lead_card = card_of(await h.new_messages("fengzz"), "交接班未完成")
    await h.expect("fengzz", "通知值班长", chat=GROUP)
    mine, lead = await asyncio.gather(
        h.tap("laoliu", incoming, "确认接班"), h.tap("fengzz", lead_card, "代为确认接班")
    )
    assert await AuditEntry.filter(action="duty.handover_acknowledged").count() == 1
    handover = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert handover.status == HandoverStatus.ACKNOWLEDGED
    toasts = [mine.toast or "", lead.toast or ""]
    # One tap acknowledged; the other was told it had already been done, and by whom.
    won = [t for t in toasts if t in ("已确认接班，现在由您值班负责。", "已代为确认，老刘接班。")]
    lost = [t for t in toasts if "已处理" in t and "确认接班" in t]
    assert len(won) == 1
    assert len(lost) == 1
    await h.drain()
    assert await holder(team, at(20, 47)) == "laoliu"


async def test_an_unacknowledged_handover_stops_paging_when_the_next_change_takes_over(
    harness: ChatHarness,
) -> None:
    h = harness
    team = await demo_team(h)
    await travel(h, at(20, 50))
    assert card_of(await h.new_messages("fengzz"), "交接班未完成")
    # Nobody acknowledged all night. At the next change (08:30) 小陈 still holds
    # responsibility, so she is the one handing over to 小马 — and the old handover lapses.
    # The group's @-mentions are checked by the tests above.
    h.ignore(GROUP)
    await travel(h, at(8, 20, day=24))
    await h.expect("xiaoma", "接班提醒")
    card = card_of(await h.new_messages("xiaochen"), "交班")
    assert "交班给小马" in card.subtitle
    assert await holder(team, at(8, 20, day=24)) == "xiaochen"
    await travel(h, at(8, 31, day=24))
    assert await AuditEntry.filter(action="duty.handover_lapsed").count() == 1
    old = await DutyHandover.get(team_id=team.id, change_at=at(20, 30))
    assert old.status == HandoverStatus.PREPARING  # never acknowledged, in the record
    await h.new_messages("fengzz")
    await travel(h, at(9, 10, day=24))
    # Only the new handover (小陈 → 小马) pages the lead now.
    paged = card_of(await h.new_messages("fengzz"), "交接班未完成")
    assert "小陈 → 小马" in paged.title
    assert await AuditEntry.filter(action="duty.handover_lapsed").count() == 1
    new = await DutyHandover.get(team_id=team.id, change_at=at(8, 30, day=24))
    last = await AuditEntry.filter(action="duty.handover_escalated").order_by("-id").first()
    assert last is not None
    assert last.subject_id == str(new.id)
