"""The registry changes on the date a filing names, not on its approval (issue 13 item 2).

An approved filing dated later is a deadline-engine row that fires at 00:00 of its date: the
account changes then, the clerk and the unit's 主要负责人 are told, and until then 台账 says
what is scheduled. Approved on or after its date, a filing applies at once.
"""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.core.services import Services
from bot.deadlines import lifecycle, reconciler
from bot.handlers import load_all
from storage.enums import AccountStatus
from storage.models.deadlines import DeadlineStatus, DeadlineStep, StepStatus
from storage.models.filing import AccountHistory, Filing
from storage.models.machinery import AuditEntry
from storage.models.org import Account
from tests.support.chat import ChatHarness, card_of
from tests.support.dates import at
from tests.support.filing import SUPERVISING_UNIT, UNIT_GROUPS, answer_all, approve_both, pick

WECHAT = "临江文旅（微信）"


async def file_offline(h: ChatHarness, start: str, end: str) -> None:
    """老周 files a 临时下线 of the WeChat account and both levels approve it."""
    await pick(h, "laozhou", "临时下线", WECHAT)
    summary = card_of(await answer_all(h, "laozhou", ["系统升级", start, end]), "请核对")
    await h.tap("laozhou", summary, "提交备案")
    await approve_both(h)


async def status() -> AccountStatus:
    return AccountStatus((await Account.get(key="ljq-wlw-wechat")).status)


async def test_an_offline_starts_on_its_day_not_on_approval(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    await harness.advance(to=at(2026, 12, 3, 10))
    await file_offline(harness, "2026-12-05", "2026-12-20")
    result = card_of(await harness.new_messages("laozhou"), "已同意")
    assert (
        "临江文旅（微信）将于12月5日起临时下线，届时台账自动更新，并通知您和单位主要负责人；"
        "在此之前台账状态仍为“运行”。" in result.body
    )
    assert await status() == AccountStatus.RUNNING

    registry = (await harness.say("laozhou", "台账"))[0].text
    assert "临江文旅（微信） · 运行，将于12月5日起临时下线（临时下线备案 #1） 账号：" in registry
    mine = (await harness.say("laozhou", "我的备案"))[0].text
    assert "临时下线备案 #1「临江文旅」：已同意（12月3日 10:00提交，12月5日起生效）" in mine

    await harness.advance(to=at(2026, 12, 4, 23, 59))
    assert await status() == AccountStatus.RUNNING
    await harness.expect_nothing("wangzr")

    await harness.advance(to=at(2026, 12, 5))
    assert await status() == AccountStatus.SUSPENDED
    told = "临江文旅（微信）自今天起临时下线（临时下线备案 #1），台账已更新为“临时下线”。"
    (clerk,) = await harness.new_messages("laozhou")
    assert clerk.text.startswith(told)
    assert "计划12月20日恢复上线，请提前发送“备案 恢复上线”办理恢复上线备案（依据" in clerk.text
    assert clerk.text.endswith("临时下线后30日内恢复上线，截止 2027年1月4日 24:00）。")
    (head,) = await harness.new_messages("wangzr")
    assert head.text == clerk.text
    history = await AccountHistory.filter(account__key="ljq-wlw-wechat")
    assert [(h.status_before, h.status_after) for h in history] == [("running", "suspended")]
    assert history[0].at == at(2026, 12, 5)

    registry = (await harness.say("laozhou", "台账"))[0].text
    assert "临江文旅（微信） · 临时下线 账号：" in registry
    await harness.advance(days=2)  # fired once: nothing more, nothing twice
    await harness.expect_nothing("laozhou")
    assert await AccountHistory.filter(account__key="ljq-wlw-wechat").count() == 1


async def test_a_resume_dated_next_january_keeps_the_account_offline_until_then(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT, "wangzr")  # approval copies, head told
    await harness.advance(to=at(2026, 12, 3, 10))
    await file_offline(harness, "今天", "2027-01-02")  # approved on its day: at once
    assert await status() == AccountStatus.SUSPENDED
    await harness.mark_read("laozhou")

    # Before the offline has begun there was nothing to resume; now there is.
    await pick(harness, "laozhou", "恢复上线", WECHAT)
    summary = card_of(await answer_all(harness, "laozhou", ["升级完成", "2027-01-02"]), "请核对")
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    result = card_of(await harness.new_messages("laozhou"), "已同意")
    assert "临江文旅（微信）将于2027年1月2日起恢复上线" in result.body
    assert await status() == AccountStatus.SUSPENDED
    account = await Account.get(key="ljq-wlw-wechat")
    offline = await lifecycle.for_subject(None, "account", account.id, kind="filing.suspend")
    assert len(offline) == 1  # still offline: its countdown runs until the account is back

    await harness.advance(to=at(2027, 1, 1, 23, 59))
    assert await status() == AccountStatus.SUSPENDED
    await harness.advance(to=at(2027, 1, 2))
    assert await status() == AccountStatus.RUNNING
    told = await harness.expect(
        "laozhou", "临江文旅（微信）自今天起恢复上线（恢复上线备案 #2），台账已更新为“运行”。"
    )
    assert len(told) == 1
    assert await lifecycle.for_subject(None, "account", account.id, kind="filing.suspend") == []


async def test_a_change_dated_later_changes_the_registry_on_its_day(
    harness: ChatHarness,
) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    await pick(harness, "laozhou", "变更", "临江文旅（抖音）")
    summary = card_of(
        await answer_all(harness, "laozhou", ["6", "小王", "13900000035", "调岗", "2026-10-15"]),
        "请核对",
    )
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    result = card_of(await harness.new_messages("laozhou"), "已同意")
    assert "临江文旅（抖音）将于10月15日起变更运营人员" in result.body
    account = await Account.get(key="ljq-wlw-douyin")
    assert account.operators == [{"name": "老周", "phone": "13900000036"}]
    shown = (await harness.say("laozhou", "台账 临江文旅"))[0].text
    assert "临江文旅（抖音） · 运行，将于10月15日起变更运营人员（变更备案 #1） 变更记录：" in shown

    await harness.advance(to=at(2026, 10, 15))
    account = await Account.get(key="ljq-wlw-douyin")
    assert account.operators == [{"name": "小王", "phone": "13900000035"}]
    told = "临江文旅（抖音）自今天起变更运营人员（变更备案 #1），台账已更新。"
    await harness.expect("laozhou", told)
    await harness.expect("wangzr", told)


async def test_a_closure_dated_later_starts_its_notice_on_its_day(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT, "wangzr")  # approval copies, head told
    await pick(harness, "laozhou", "关停", "临江文旅（微博）")
    summary = card_of(
        await answer_all(harness, "laozhou", ["整合", "迁至公众号", "首页公告", "2026-10-12"]),
        "请核对",
    )
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    weibo = await Account.get(key="ljq-wlw-weibo")
    assert weibo.status == AccountStatus.RUNNING
    await harness.advance(to=at(2026, 10, 12))
    assert (await Account.get(id=weibo.id)).status == AccountStatus.CLOSING
    told = await harness.expect(
        "laozhou",
        "临江文旅（微博）自今天起进入关停公告期（关停备案 #1），台账已更新为“关停公告中”。",
    )
    assert "公告期满后方可办理注销（依据" in told[-1].text
    assert told[-1].text.endswith("不少于30天，届满 11月11日 24:00）。")
    await harness.advance(to=at(2026, 11, 12))
    assert (await Account.get(id=weibo.id)).status == AccountStatus.CLOSED
    await harness.expect("laozhou", "关停公告期已届满")


async def test_approved_after_its_day_a_filing_applies_at_once(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    await harness.advance(to=at(2026, 12, 3, 10))
    await pick(harness, "laozhou", "临时下线", WECHAT)
    summary = card_of(
        await answer_all(harness, "laozhou", ["系统升级", "2026-12-05", "2026-12-20"]), "请核对"
    )
    await harness.tap("laozhou", summary, "提交备案")
    await harness.advance(to=at(2026, 12, 7, 9))  # the approvers are slow
    await approve_both(harness)
    assert await status() == AccountStatus.SUSPENDED
    result = card_of(await harness.new_messages("laozhou"), "已同意")
    assert "台账已更新（状态：临时下线）" in result.body
    account = await Account.get(key="ljq-wlw-wechat")
    assert (
        await lifecycle.for_subject(None, "account", account.id, kind="filing.takes_effect") == []
    )


async def test_an_emergency_shutdown_cancels_a_change_still_to_come(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT, "wangzr")  # approval and report copies
    await harness.advance(to=at(2026, 12, 3, 10))
    await file_offline(harness, "2026-12-05", "2026-12-20")
    await harness.mark_read("laozhou")
    await pick(harness, "laozhou", "紧急关停", WECHAT)
    summary = card_of(await answer_all(harness, "laozhou", ["被责令关停", "今天"]), "请核对")
    done = await harness.tap("laozhou", summary, "提交报备")
    assert any(
        "临时下线备案 #1「临江文旅」原定日期到来时不再生效。" in r.text for r in done.replies
    )
    await harness.mark_read("laozhou")
    await harness.advance(to=at(2026, 12, 5))
    assert await status() == AccountStatus.CLOSED  # not set back to 临时下线
    await harness.expect_nothing("laozhou")


async def test_the_scheduled_change_is_in_the_database_and_fires_once(
    services: Services, demo_org: None
) -> None:
    # Approved by one app; that app and every queued job gone (Redis emptied); a second app and
    # two reconcilers at once (two workers) when the day comes: the change happens once.
    app = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app)) as client:
        first = ChatHarness(client, services)
        await first.advance(to=at(2026, 12, 3, 10))
        await file_offline(first, "2026-12-05", "2026-12-20")
    account = await Account.get(key="ljq-wlw-wechat")
    (effect,) = await lifecycle.for_subject(None, "account", account.id, kind="filing.takes_effect")
    assert effect.due_at == at(2026, 12, 5)
    steps = await DeadlineStep.filter(deadline_id=effect.id)
    assert [(s.name, s.status) for s in steps] == [("due", StepStatus.PENDING)]
    await services.redis.flushdb()

    app2 = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app2)) as client2:
        second = ChatHarness(client2, services)
        second.clock.set(at(2026, 12, 5, 0, 1))
        await asyncio.gather(reconciler.reconcile(services), reconciler.reconcile(services))
        await second.advance()
        assert await status() == AccountStatus.SUSPENDED
        assert await AccountHistory.filter(account_id=account.id).count() == 1
        assert await AuditEntry.filter(action="filing.took_effect").count() == 1
        told = [m for m in await second.messages("laozhou") if "自今天起临时下线" in m.text]
        assert len(told) == 1
    effect_after = await lifecycle.get(None, effect.id)
    assert effect_after is not None
    assert effect_after.status == DeadlineStatus.COMPLETED
    assert (await Filing.get(id=1)).status == "approved"
