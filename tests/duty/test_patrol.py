"""Patrols through the console: the shift's round opens with the preset's checklist for every
account of the team's scope; the officer taps through it; an abnormal item opens an alert;
progress shows on the card; what is left when the shift ends stays listed for the handover."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from bot.core.services import Services
from bot.flows.duty.records.handover import open_items
from bot.flows.duty.start.patrol import open_patrols
from storage.enums import AccountStatus
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import Alert, AlertSource, PatrolCheck, PatrolRound
from storage.models.machinery import AuditEntry
from storage.models.org import Account, Unit
from tests.duty.alerts_support import MONDAY_10, at
from tests.duty.handover_support import at as today_at
from tests.duty.handover_support import demo_team, travel
from tests.duty.support import DEMO_SCOPE, make_team
from tests.harness import ChatHarness
from tests.support.chat import card_of


@pytest.fixture
async def duty(harness: ChatHarness, services: Services) -> ChatHarness:
    harness.clock.set(MONDAY_10)
    # Alerts reach many people (leads, supervisors, groups); each test reads what it checks.
    harness.ignore()
    await make_team(services)
    return harness


async def scope_accounts() -> int:
    units = [u.id for u in await Unit.filter(key__in=DEMO_SCOPE)]
    return (
        await Account.filter(owner_unit_id__in=units)
        .exclude(
            status__in=[AccountStatus.PREPARING, AccountStatus.CLOSED, AccountStatus.CANCELLED]
        )
        .count()
    )


async def test_a_shift_patrol_with_an_abnormal_item(duty: ChatHarness) -> None:
    h = duty
    total = await scope_accounts()
    assert total >= 2
    assert await open_patrols(h.services) == 1
    assert await open_patrols(h.services) == 0  # one round per shift, however often it runs
    await h.drain()
    card = card_of(await h.new_messages("xiaochen"), "读网巡查")
    assert f"已巡查 0/{total} 个账号" in card.to_text()
    assert "页面能否正常访问" in card.body  # the default preset's checklist (yongchuan's)

    # Someone else cannot record the round.
    other = await h.tap("xiaoma", card, "本账号全部正常")
    assert other.toast is not None
    assert "小陈" in other.toast
    assert await PatrolCheck.all().count() == 0

    tapped = await h.tap("xiaochen", card, "本账号全部正常")
    assert tapped.card is not None
    assert f"已巡查 1/{total} 个账号" in tapped.card.to_text()
    # A double tap on the old card records nothing twice.
    again = await h.tap("xiaochen", card, "本账号全部正常")
    assert again.toast is not None
    assert "已巡查完" in again.toast or "失效" in again.toast
    card = await h.latest_card("xiaochen", title="读网巡查")
    tapped = await h.tap("xiaochen", card, "本项异常", form={"note": "首页打开报 502 错误"})
    assert tapped.toast is not None
    assert "GJ-0001" in tapped.toast
    alert = await Alert.get(id=1)
    assert alert.source == AlertSource.PATROL
    assert alert.description == "首页打开报 502 错误"
    assert any(m.card is not None and "一般告警" in m.card.title for m in tapped.replies)
    card = await h.latest_card("xiaochen", title="读网巡查")
    assert "异常 1 项" in card.to_text()

    # Two taps at once on the same item: one result.
    await asyncio.gather(h.tap("xiaochen", card, "本项正常"), h.tap("xiaochen", card, "本项正常"))
    assert await PatrolCheck.filter(account_id=alert.account_id, item=1).count() == 1

    # The shift ends with accounts left: the round closes, its card says so, and the
    # handover's pre-fill lists the open alert and the unfinished patrol.
    h.clock.set(at(2026, 11, 23, 20, 31))
    assert await open_patrols(h.services) == 1  # the night shift's round
    await h.drain()
    closed = await h.latest_card("xiaochen", title="读网巡查")
    assert closed.buttons == ()
    assert "未完成部分已列入交接班" in closed.status
    night = card_of(await h.new_messages("laoliu"), "读网巡查")
    assert "已巡查 0/" in night.to_text()
    assert await AuditEntry.filter(action="duty.patrol_unfinished").count() == 1
    patrol = await PatrolRound.filter(closed_at__isnull=False).get()
    team = await DutyTeam.get(id=patrol.team_id)
    async with in_transaction() as conn:
        items = await open_items(conn, team, patrol.starts_at, h.clock.now(), h.services.tz)
    texts = [f"{i.label} {i.text}" for i in items]
    assert any("告警 GJ-0001" in t and "待确认" in t for t in texts), texts
    assert any("读网巡查未完成" in t and f"1/{total}" in t for t in texts), texts


async def test_patrol_command_outside_a_shift(duty: ChatHarness) -> None:
    said = await duty.say("laoliu", "巡查")
    assert any("不在班上" in m.text for m in said)
    said = await duty.say("xiaochen", "巡查")
    assert any(m.card is not None and "读网巡查" in m.card.title for m in said)


async def test_the_handover_card_lists_the_round_still_running(harness: ChatHarness) -> None:
    """The card is prepared at 20:15, while the day shift's round still runs: it must list it
    (it ends at the change), not only rounds that have already closed."""
    h = harness
    await demo_team(h)
    h.ignore("laoliu", "fengzz", "group:ljq-zx-duty")
    total = await scope_accounts()
    assert await open_patrols(h.services) == 1
    await h.drain()
    card = card_of(await h.new_messages("xiaochen"), "读网巡查")
    await h.tap("xiaochen", card, "本账号全部正常")

    await travel(h, today_at(20, 15))
    handover = card_of(await h.new_messages("xiaochen"), "交班")
    assert f"读网巡查未完成（11月23日 20:30 交班）：已巡查 1/{total} 个账号" in handover.to_text()
