"""The activity monitor under jiaxian (≥ 2 updates a week, > 14 days silent = unqualified): the
owner unit is warned before each breach and the duty team alerted at it, each exactly once;
manual ``更新 账号名`` reports count like the review flow's 已发布 records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core.services import Services
from bot.flows.duty.activity import check_activity
from storage.models.duty_alerts import ActivityFlag, Alert, AlertSource
from storage.models.machinery import AuditEntry
from storage.models.org import Account, Person
from storage.models.review import AccountUpdate
from tests.duty.alerts_support import at
from tests.duty.support import make_team
from tests.harness import ChatHarness
from tests.rectification.conftest import use_policy

HXZ_GROUP = "group:ljq-hxz-duty"


@pytest.fixture
async def jiaxian(harness: ChatHarness, services: Services, tmp_path: Path) -> ChatHarness:
    use_policy(services, tmp_path, "jiaxian")
    harness.clock.set(at(2026, 11, 2, 10, 0))
    # The team watches one account: 河西镇发布 (its group: ljq-hxz-duty).
    await make_team(services, scope=("ljq-hxz",), start=date(2026, 11, 2), days=25)
    account = await Account.get(key="ljq-hxz-wechat")
    reporter = await Person.get(key="xiaochen")
    for day in (29, 30):  # two updates in the week of 26 October: that week is fine
        await AccountUpdate.create(
            account_id=account.id,
            link="https://mp.weixin.qq.com/s/x",
            published_at=at(2026, 10, day, 10, 0),
            reported_by_id=reporter.id,
            created_at=at(2026, 10, day, 10, 0),
        )
    return harness


async def check(h: ChatHarness, y: int, m: int, d: int, hh: int, mm: int = 0) -> int:
    h.clock.set(at(y, m, d, hh, mm))
    raised = await check_activity(h.services)
    assert await check_activity(h.services) == 0  # again at once: nothing twice
    await h.drain()
    return raised


async def test_weekly_minimum_and_silence(jiaxian: ChatHarness) -> None:
    h = jiaxian
    assert await check(h, 2026, 11, 2, 10) == 0

    # Friday 00:00 is three days before the week ends: 0 of 2 updates → the unit is warned.
    assert await check(h, 2026, 11, 6, 1) == 1
    group = await h.new_messages("xiaoyang", HXZ_GROUP)
    assert any("更新预警" in m.text and "本周已更新 0 次" in m.text for m in group)
    assert await Alert.all().count() == 0

    # A manual report counts.
    said = await h.say("xiaochen", "更新 河西镇发布")
    assert any("本周已更新 1 次" in m.text for m in said)
    said = await h.say("xiaochen", "更新")
    assert any("河西镇发布（微信）：最近更新" in m.text for m in said)

    # Monday: the week ended with 1 of 2 → an alert to the duty team, the unit told.
    assert await check(h, 2026, 11, 9, 0, 30) == 1
    alert = await Alert.get(source=AlertSource.ACTIVITY)
    assert "上周更新 1 次，少于每周 2 次" in alert.description
    assert "佳县" in alert.description
    group = await h.new_messages("xiaoyang", HXZ_GROUP)
    assert any("更新不达标" in m.text and "GJ-0001" in m.text for m in group)

    # Silence: last update 6 November; 14 days → due 21 November 00:00; warned three days
    # before (and the week of 9 November ended with none: a second weekly alert).
    assert await check(h, 2026, 11, 18, 1) == 2
    kinds = set(await ActivityFlag.exclude(kind="seen").values_list("kind", flat=True))
    assert kinds == {"warn_weekly", "weekly", "warn_silence"}
    assert await check(h, 2026, 11, 21, 0, 30) >= 1
    silence = next(a for a in await Alert.all() if a.data.get("kind") == "silence")
    assert "已超过停更期限未更新" in silence.description
    assert await AuditEntry.filter(action="duty.activity_breached").count() == len(
        await Alert.filter(source=AlertSource.ACTIVITY)
    )


async def test_accounts_never_updated_count_from_when_the_monitor_first_saw_them(
    harness: ChatHarness, services: Services
) -> None:
    """The demo's accounts have no update records: no flood of alerts on the first check; the
    silence counts from that check (default preset: 14 days)."""
    h = harness
    h.clock.set(at(2026, 11, 23, 10, 0))
    await make_team(services, scope=("ljq-wlw",), start=date(2026, 11, 23), days=20)
    assert await check(h, 2026, 11, 23, 10) == 0
    # The week of 23 November began before the first check: not judged, not warned.
    assert await check(h, 2026, 11, 27, 1) == 0
    assert not await Alert.all().exists()
    # Monday 7 December: the week of 30 November had no update (an alert each), and the
    # silence limit (14 days after 23 November) is one day away (a warning each).
    assert await check(h, 2026, 12, 7, 23) == 6
    kinds = [a.data.get("kind") for a in await Alert.all()]
    assert kinds == ["weekly"] * 3  # 临江文旅 on WeChat, Douyin and Weibo
    assert await check(h, 2026, 12, 8, 0, 30) == 3
    silent = [a for a in await Alert.all() if a.data.get("kind") == "silence"]
    assert len(silent) == 3
