"""Swap requests through the chat: ask → accept → approve → the roster changes at once;
two colleagues accepting at once and two leads approving at once record one outcome; the
people affected are told; refusals, withdrawals and expiry close every card truthfully."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from bot.core.services import Services
from bot.deadlines import reconciler
from storage.models.duty import DutyShift, DutySwap, DutyTeam, ShiftSlot, ShiftSource, SwapStatus
from storage.models.machinery import AuditEntry, CardRecord
from tests.duty.support import DUTY_GROUP, at, card_titled, field, person_key
from tests.support.chat import ChatHarness, Said

MONDAY = date(2026, 10, 12)  # 小陈's day shift (08:30–20:30) in the demo rotation


async def monday_day_shift() -> DutyShift:
    return await DutyShift.get(team_id=1, duty_date=MONDAY, slot=ShiftSlot.DAY)


async def ask(h: ChatHarness, text: str = "换班 10月12日白班 老刘") -> Said:
    said = await h.say("xiaochen", text)
    return card_titled(said, "换班申请已发出")


async def audits(action: str) -> int:
    return await AuditEntry.filter(action=action).count()


async def test_a_swap_asked_accepted_and_approved_changes_the_roster(duty: ChatHarness) -> None:
    h = duty
    await h.mark_read("fengzz", DUTY_GROUP)
    mine = await ask(h)
    assert mine.card is not None
    assert "已请老刘替您10月12日（周一）白班 08:30–20:30" in mine.card.body
    request = card_titled(await h.new_messages("laoliu"), "换班申请")
    assert request.mentions == ["老刘"]
    assert not await h.new_messages("xiaoma")  # only the colleague asked
    accepted = await h.tap("laoliu", request, "接受")
    assert accepted.toast == "已接受，等待值班长同意后生效。"
    (told,) = await h.new_messages("xiaochen")
    assert "老刘已接受" in told.text
    # Nothing changes before the lead decides.
    assert await person_key((await monday_day_shift()).person_id) == "xiaochen"
    approval = card_titled(await h.new_messages("fengzz"), "换班审批")
    # 值班 reminds the lead of it, and the requester of where the request stands.
    lead_status = card_titled(await h.say("fengzz", "值班"), "值班")
    assert field(lead_status, "待您审批的换班") == "1 份（见审批卡片）"
    own_status = card_titled(await h.say("xiaochen", "值班"), "值班")
    assert field(own_status, "您的换班申请") == "待值班长审批"
    # 唐主任 is a duty lead of the centre too: the same card, either may decide.
    assert card_titled(await h.new_messages("tangzr"), "换班审批").card == approval.card
    done = await h.tap("fengzz", approval, "同意")
    assert done.toast == "已同意：10月12日（周一）白班 08:30–20:30由替班人值班。"
    shift = await monday_day_shift()
    assert await person_key(shift.person_id) == "laoliu"
    assert await person_key(shift.rostered_id) == "xiaochen"
    assert shift.source == ShiftSource.SWAP
    swap = await DutySwap.get()
    assert swap.status == SwapStatus.DONE
    # Everyone affected is told; every card shows the outcome and has no buttons left.
    assert "改由老刘值班" in (await h.new_messages("xiaochen"))[-1].text
    assert "由您值班（原小陈）" in (await h.new_messages("laoliu"))[-1].text
    assert any("由老刘值班" in m.text for m in await h.new_messages("tangzr"))
    (group,) = await h.new_messages("fengzz", DUTY_GROUP)
    assert "换班，值班长冯组长同意" in group.text
    for record in await CardRecord.filter(subject_type="duty_swap"):
        assert record.status == "closed"
        assert record.content["buttons"] == []
        assert record.content["status"].startswith("已换班")
    assert [await audits(a) for a in ("duty.swap_requested", "duty.swap_accepted")] == [1, 1]
    assert await audits("duty.swap_done") == 1


async def test_two_colleagues_accepting_at_once_one_wins(duty: ChatHarness) -> None:
    h = duty
    await ask(h, "换班 10月12日白班 老刘 小马")
    for_laoliu = card_titled(await h.new_messages("laoliu"), "换班申请")
    for_xiaoma = card_titled(await h.new_messages("xiaoma"), "换班申请")
    first, second = await asyncio.gather(
        h.tap("laoliu", for_laoliu, "接受"), h.tap("xiaoma", for_xiaoma, "接受")
    )
    assert await audits("duty.swap_accepted") == 1
    swap = await DutySwap.get()
    assert swap.status == SwapStatus.ACCEPTED
    winner = await person_key(swap.taker_id or 0)
    loser, lost = ("xiaoma", second) if winner == "laoliu" else ("laoliu", first)
    assert lost.toast is not None
    # The loser's tap met a closed card (or, on a tie, the locked swap): either way told why.
    assert "已接受" in lost.toast or "已办结" in lost.toast or "卡片" in lost.toast
    del loser
    # The lead approves; the roster has exactly one new holder.
    approval = card_titled(await h.new_messages("fengzz"), "换班审批")
    await h.expect("tangzr", "换班审批")  # the other lead of the centre
    await h.tap("fengzz", approval, "同意")
    assert await person_key((await monday_day_shift()).person_id) == winner
    assert await audits("duty.swap_done") == 1
    await h.expect("fengzz", "排班变更", chat=DUTY_GROUP)
    await h.expect("tangzr", "排班变更")


async def test_two_leads_approving_at_once_record_one_outcome(duty: ChatHarness) -> None:
    h = duty
    await ask(h)
    await h.tap("laoliu", card_titled(await h.new_messages("laoliu"), "换班申请"), "接受")
    card = card_titled(await h.new_messages("fengzz"), "换班审批")
    await h.mark_read("tangzr")
    results = await asyncio.gather(
        h.tap("fengzz", card, "同意"),
        h.tap("tangzr", card, "不同意", form={"reason": "老刘连值两班太累"}, chat=h.dm("tangzr")),
    )
    outcomes = await audits("duty.swap_done") + await audits("duty.swap_refused")
    assert outcomes == 1
    swap = await DutySwap.get()
    holder = await person_key((await monday_day_shift()).person_id)
    group = await h.new_messages("fengzz", DUTY_GROUP)
    if swap.status == SwapStatus.DONE:
        assert holder == "laoliu"
        assert any("排班变更" in m.text for m in group)
    else:
        assert swap.status == SwapStatus.REFUSED
        assert holder == "xiaochen"
        assert not group  # nothing changed, nothing to announce
    assert all(r.toast for r in results)


async def test_the_same_lead_tapping_twice_changes_nothing_more(duty: ChatHarness) -> None:
    h = duty
    await ask(h)
    await h.tap("laoliu", card_titled(await h.new_messages("laoliu"), "换班申请"), "接受")
    card = card_titled(await h.new_messages("fengzz"), "换班审批")
    await h.tap("fengzz", card, "同意")
    again = await h.tap("fengzz", card, "同意")
    assert again.toast is not None
    assert not again.ok or "已" in again.toast
    assert await audits("duty.swap_done") == 1
    # One announcement, to the group and to the other lead (whose card closed), not two.
    (announced,) = await h.new_messages("fengzz", DUTY_GROUP)
    assert "由老刘值班" in announced.text
    to_other_lead = await h.new_messages("tangzr")
    assert [m.text for m in to_other_lead if "排班变更" in m.text] == [announced.text]


async def test_without_approval_the_accept_changes_the_roster(
    duty: ChatHarness, services: Services
) -> None:
    await DutyTeam.filter(key="ljq-zx").update(swap_approval=False)
    h = duty
    await ask(h)
    request = card_titled(await h.new_messages("laoliu"), "换班申请")
    assert "接受后立即生效" in (request.card.body if request.card else "")
    accepted = await h.tap("laoliu", request, "接受")
    assert accepted.toast == "已接受：10月12日（周一）白班 08:30–20:30由您值班。"
    assert await person_key((await monday_day_shift()).person_id) == "laoliu"
    to_lead = await h.new_messages("fengzz")
    assert not [m for m in to_lead if m.card is not None]  # nothing to approve
    assert any("由老刘值班" in m.text for m in to_lead)  # but the leads know
    await h.expect("tangzr", "由老刘值班")
    await h.expect("fengzz", "排班变更（换班）", chat=DUTY_GROUP)


async def test_a_refusal_says_why_and_the_shift_stays(duty: ChatHarness) -> None:
    h = duty
    await ask(h)
    await h.tap("laoliu", card_titled(await h.new_messages("laoliu"), "换班申请"), "接受")
    card = card_titled(await h.new_messages("fengzz"), "换班审批")
    await h.expect("tangzr", "换班审批")
    missing = await h.tap("fengzz", card, "不同意", form={"reason": ""})
    assert (await DutySwap.get()).status == SwapStatus.ACCEPTED  # a refusal needs its reason
    del missing
    refused = await h.tap("fengzz", card, "不同意", form={"reason": "国庆后人手紧张"})
    assert refused.toast == "已不同意，申请人和替班人已收到通知。"
    assert await person_key((await monday_day_shift()).person_id) == "xiaochen"
    for person in ("xiaochen", "laoliu"):
        told = (await h.new_messages(person))[-1].text
        assert "不同意" in told
        assert "国庆后人手紧张" in told


async def test_declines_withdrawal_and_taps_by_others(duty: ChatHarness) -> None:
    h = duty
    await ask(h, "换班 10月12日白班 老刘、小马")
    for_laoliu = card_titled(await h.new_messages("laoliu"), "换班申请")
    for_xiaoma = card_titled(await h.new_messages("xiaoma"), "换班申请")
    # Someone not asked cannot accept (the card is not theirs), on the record.
    stranger = await h.tap("fengzz", for_laoliu, "接受", chat=h.dm("fengzz"))
    assert stranger.toast is not None
    assert await audits("card.denied") == 1
    declined = await h.tap("laoliu", for_laoliu, "婉拒")
    assert declined.toast == "已婉拒。"
    assert "老刘婉拒" in (await h.new_messages("xiaochen"))[-1].text
    again = await h.tap("laoliu", for_laoliu, "接受")
    assert again.toast == "您已婉拒这次换班。"
    await h.tap("xiaoma", for_xiaoma, "婉拒")
    swap = await DutySwap.get()
    assert swap.status == SwapStatus.DECLINED
    assert "都婉拒" in (await h.new_messages("xiaochen"))[-1].text
    # A new request for the same shift, then withdrawn by its requester.
    mine = await ask(h)
    request = card_titled(await h.new_messages("laoliu"), "换班申请")
    withdrawn = await h.tap("xiaochen", mine, "撤回申请")
    assert withdrawn.toast == "已撤回换班申请，仍由您值班。"
    assert "已撤回换班申请" in (await h.new_messages("laoliu"))[-1].text
    late = await h.tap("laoliu", request, "接受")
    assert late.toast is not None
    assert await person_key((await monday_day_shift()).person_id) == "xiaochen"


async def test_bad_requests_are_explained(duty: ChatHarness) -> None:
    h = duty
    cases = {
        "换班": "请写明哪一个班、请谁替班",
        "换班 10月12日白班 老王": "找不到同事“老王”",
        "换班 10月12日夜班 老刘": "由老刘值班，不是您的班",
        "换班 10月9日白班 老刘": "已经开始，不能再换班",  # running now
        "换班 10月12日白班 小陈": "不能是您自己",
        "换班 12月25日白班 老刘": "还没有排班",
    }
    for text, words in cases.items():
        said = await h.say("xiaochen", text)
        assert words in said[-1].text, (text, said[-1].text)
    await ask(h)
    await h.expect("laoliu", "换班申请")
    said = await h.say("xiaochen", "换班 10月12日白班 小马")
    assert "已有一份换班申请在办理中" in said[-1].text
    assert await DutySwap.all().count() == 1
    await h.expect_nothing("xiaoma")  # the refused request asked nobody


async def test_a_swap_not_settled_when_the_shift_starts_expires(
    duty: ChatHarness, services: Services
) -> None:
    h = duty
    await ask(h)
    await h.tap("laoliu", card_titled(await h.new_messages("laoliu"), "换班申请"), "接受")
    await h.expect("fengzz", "换班审批")
    await h.expect("tangzr", "换班审批")
    # Nobody decides; Monday 08:30 comes.
    h.clock.set(at(10, 12, 8, 31))
    await reconciler.reconcile(services)
    await h.drain()
    swap = await DutySwap.get()
    assert swap.status == SwapStatus.EXPIRED
    assert await person_key((await monday_day_shift()).person_id) == "xiaochen"
    for person in ("xiaochen", "laoliu"):
        assert "已过期" in (await h.new_messages(person))[-1].text
    approval = await CardRecord.get(kind="duty.swap.approval")
    assert approval.status == "closed"
    assert "已过期" in approval.content["status"]
    # Firing again (another worker, a retry) changes nothing.
    h.clock.set(at(10, 12, 8, 31) + timedelta(minutes=5))
    await reconciler.reconcile(services)
    assert await audits("duty.swap_expired") == 1


async def test_an_override_voids_an_open_swap_and_says_so(duty: ChatHarness) -> None:
    h = duty
    mine = await ask(h)
    request = card_titled(await h.new_messages("laoliu"), "换班申请")
    said = await h.say("fengzz", "10月12日白班由小马值")
    assert "由小马值班（原小陈）" in said[-1].text
    await h.expect("xiaoma", "由您值班（原小陈）")
    await h.expect("fengzz", "由小马值班", chat=DUTY_GROUP)
    swap = await DutySwap.get()
    assert swap.status == SwapStatus.CANCELLED
    assert "值班长冯组长已改排此班" in swap.note
    late = await h.tap("laoliu", request, "接受")
    assert late.toast is not None  # the card is closed: nothing to accept any more
    assert await person_key((await monday_day_shift()).person_id) == "xiaoma"
    assert mine.card is not None
    record = await CardRecord.get(id=mine.card.card_id)
    assert record.status == "closed"
    assert "值班长冯组长已改排此班" in record.content["status"]


async def test_the_lead_is_warned_when_the_taker_would_stay_on_without_a_break(
    duty: ChatHarness,
) -> None:
    # 老刘 holds Monday 12 October's night shift; taking 小陈's day shift makes 24 hours.
    h = duty
    await ask(h)
    await h.tap("laoliu", card_titled(await h.new_messages("laoliu"), "换班申请"), "接受")
    approval = card_titled(await h.new_messages("fengzz"), "换班审批")
    await h.expect("tangzr", "换班审批")
    assert field(approval, "注意") == (
        "老刘10月12日（周一）夜班 20:30–08:30也在班，将连续值班 24 小时"
    )
