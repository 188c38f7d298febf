"""Alerts through the console: 报告, the card 1:1 and in the duty group, a refused
acknowledgement by someone not on duty (audited), escalation to the duty lead, acknowledgement,
resolution; 舆情 to the supervisors at once; turning an alert into a rectification notice."""

from __future__ import annotations

import pytest

from bot.core.services import Services
from bot.flows.duty.start.patrol import open_patrols
from storage.models.duty_alerts import Alert, AlertStatus
from storage.models.machinery import AuditEntry
from storage.models.org import Person
from storage.models.rectification import Rectification
from tests.duty.alerts_support import GROUP, MONDAY_10, advance
from tests.duty.handover_support import at as handover_at
from tests.duty.handover_support import demo_team, travel
from tests.duty.support import make_team, person_key, shift_at
from tests.harness import ChatHarness
from tests.support.chat import card_of


@pytest.fixture
async def duty(harness: ChatHarness, services: Services) -> ChatHarness:
    harness.clock.set(MONDAY_10)
    # Alerts reach many people (leads, supervisors, groups); each test reads what it checks.
    harness.ignore()
    team = await make_team(services)
    shift = await shift_at(team, MONDAY_10)
    assert await person_key(shift.person_id) == "xiaochen"
    return harness


async def test_report_escalates_to_the_lead_and_is_resolved(duty: ChatHarness) -> None:
    h = duty
    said = await h.say("laoliu", "报告 严重 临江文旅公众号首页无法打开 https://example.cn/wlw")
    assert any("已报告严重告警 GJ-0001，已通知小陈确认" in m.text for m in said)
    card = card_of(await h.new_messages("xiaochen"), "严重告警")
    assert "首页无法打开" in card.title
    assert "https://example.cn/wlw" in card.to_text()
    group = await h.new_messages("xiaochen", GROUP)
    assert any("小陈" in m.mentions and m.card is not None for m in group)

    # 小马 is not on duty: refused with the reason and who may act; the attempt is audited.
    refused = await h.tap("xiaoma", card, "确认告警", chat=GROUP)
    assert refused.toast is not None
    assert "小陈" in refused.toast
    assert "未生效" in refused.toast
    assert await AuditEntry.filter(action="duty.alert_ack_refused").count() == 1
    assert (await Alert.get(id=1)).status == AlertStatus.OPEN

    # 严重: 3 minutes to acknowledge, then the duty lead is reached (1:1 and @ in the group).
    await advance(h, 2)
    assert await h.new_messages("fengzz") == []
    await advance(h, 1)
    lead = await h.new_messages("fengzz")
    assert any("告警升级" in m.text and "已升级至值班长" in m.text for m in lead)
    group = await h.new_messages("xiaochen", GROUP)
    assert any("冯组长" in m.mentions for m in group)
    assert await AuditEntry.filter(action="duty.alert_escalated").count() == 1

    # The lead may acknowledge now; a second acknowledgement finds it taken.
    lead_card = card_of(lead, "严重告警")
    # The card no longer promises the escalation that has just happened.
    assert "已超过确认时限，已升级通知值班长" in lead_card.body
    assert "否则升级" not in lead_card.body
    tapped = await h.tap("fengzz", lead_card, "确认告警")
    assert tapped.toast is not None
    assert "已确认" in tapped.toast
    told = await h.new_messages("xiaochen")
    assert any("已由冯组长确认" in m.text for m in told)
    late = await h.tap("xiaochen", card, "确认告警")
    assert late.toast is not None
    assert "已确认" in late.toast or "失效" in late.toast
    assert await AuditEntry.filter(action="duty.alert_acknowledged").count() == 1

    # Acknowledged: nothing escalates any more.
    await advance(h, 30)
    assert await AuditEntry.filter(action="duty.alert_escalated").count() == 1

    current = await h.latest_card("fengzz", title="严重告警")
    done = await h.tap("fengzz", current, "已处理", form={"note": "平台故障已恢复，首页可访问"})
    assert done.toast is not None
    assert "已处理" in done.toast
    alert = await Alert.get(id=1)
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution_note == "平台故障已恢复，首页可访问"
    closed = await h.latest_card("xiaochen", title="严重告警")
    assert closed.buttons == ()
    assert "已处理" in closed.status


async def test_opinion_reaches_the_supervisors_at_once(duty: ChatHarness) -> None:
    h = duty
    said = await h.say("laoliu", "报告 舆情 网传河西镇公众号发布的停水通知日期有误，评论区质疑较多")
    assert any("已报告主管单位" in m.text for m in said)
    for supervisor in ("zhangzr", "sunke"):
        got = await h.new_messages(supervisor)
        assert any("舆情报告" in m.text and m.card is not None for m in got), supervisor
    assert (await Alert.get(id=1)).severity == "opinion"
    listed = await h.say("fengzz", "告警")
    assert any("GJ-0001 舆情 待确认" in m.text for m in listed)


async def test_a_bare_report_asks_question_by_question(duty: ChatHarness) -> None:
    h = duty
    said = await h.say("xiaoma", "报告")
    question = card_of(said, "告警报告")
    tapped = await h.tap("xiaoma", question, "一般")
    said = await h.say("xiaoma", "错")
    assert any("太短" in m.to_text() for m in said)
    await h.say("xiaoma", "区教委公众号今日推文有错别字")
    await h.say("xiaoma", "无")
    said = await h.say("xiaoma", "无")
    summary = card_of(said, "告警报告")
    tapped = await h.tap("xiaoma", summary, "报告")
    assert any("GJ-0001" in m.text for m in tapped.replies)
    assert (await Alert.get(id=1)).title.startswith("区教委公众号")


async def test_unacknowledged_alert_climbs_the_chain_and_becomes_a_notice(
    duty: ChatHarness,
) -> None:
    """A patrol finding nobody acknowledges: duty lead at 5 min (一般), re-notified every 5 min,
    the supervisors at 30 min; supervisor staff acknowledge and turn it into a notice."""
    h = duty
    await open_patrols(h.services)
    await h.drain()
    patrol = card_of(await h.new_messages("xiaochen"), "读网巡查")
    tapped = await h.tap("xiaochen", patrol, "本项异常", form={"note": "首页打不开，返回 502"})
    card = card_of(tapped.replies, "一般告警")
    await advance(h, 5)
    assert any("已升级至值班长" in m.text for m in await h.new_messages("fengzz"))
    await advance(h, 5)
    assert any("再次提醒" in m.text for m in await h.new_messages("fengzz"))
    assert any("再次提醒" in m.text for m in await h.new_messages("xiaochen"))
    # The supervisor cannot act before the alert reached them.
    early = await h.tap("zhangzr", card, "确认告警")
    assert early.toast is not None
    assert "未生效" in early.toast
    await advance(h, 20)
    reached = await h.new_messages("zhangzr")
    assert any("已升级至主管单位" in m.text for m in reached)
    alert = await Alert.get(id=1)
    assert alert.level == 3
    supervisor_card = card_of(reached, "一般告警")
    tapped = await h.tap("zhangzr", supervisor_card, "确认告警")
    assert tapped.toast is not None
    assert "已确认" in tapped.toast
    # Only supervisor staff may turn it into a notice.
    current = await h.latest_card("xiaochen", title="一般告警")
    refused = await h.tap("xiaochen", current, "转整改")
    assert refused.toast is not None
    assert "主管单位工作人员" in refused.toast
    current = await h.latest_card("zhangzr", title="一般告警")
    tapped = await h.tap("zhangzr", current, "转整改")
    assert tapped.toast is not None
    assert "已转为整改通知 ZG2026-0001" in tapped.toast
    alert = await Alert.get(id=1)
    assert alert.status == AlertStatus.RECTIFYING
    rect = await Rectification.get(id=alert.rectification_id)
    assert "首页打不开" in rect.problem
    assert rect.source == "alert:1"
    closed = await h.latest_card("xiaochen", title="一般告警")
    assert closed.buttons == ()
    assert "已转整改" in closed.status
    assert await AuditEntry.filter(action="duty.alert_rectified").count() == 1


async def test_an_alert_during_an_unacknowledged_handover_goes_to_the_outgoing_officer(
    harness: ChatHarness,
) -> None:
    h = harness
    h.ignore()  # the handover's own messages are the handover tests' subject
    await demo_team(h)
    # 20:35: 老刘's night shift has begun, but he has not acknowledged the handover.
    await travel(h, handover_at(20, 35))
    said = await h.say("xiaoma", "报告 一般 区教委公众号推文配图与内容不符")
    assert any("已通知小陈确认" in m.text for m in said)
    assert any(
        m.card is not None and "一般告警" in m.card.title for m in await h.new_messages("xiaochen")
    )
    assert (await Alert.get(id=1)).responsible_id == (await Person.get(key="xiaochen")).id
