"""关停 → notice period → 注销; 临时下线 (once a year, 30 days) → 恢复上线; 紧急关停 reported."""

from __future__ import annotations

from datetime import timedelta

from bot.deadlines import lifecycle
from storage.enums import AccountStatus
from storage.models.filing import AccountHistory, Filing, FilingKind, FilingStatus
from storage.models.machinery import StoredFile
from storage.models.org import Account
from tests.support.chat import ChatHarness, card_of
from tests.support.dates import at
from tests.support.filing import SUPERVISING_UNIT, UNIT_GROUPS, answer_all, approve_both, pick

WEIBO = "临江文旅（微博）"


async def test_close_runs_its_notice_before_cancel(harness: ChatHarness) -> None:
    # Not looked at: approval copies (and the 2027 calendar reminder to the admin).
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)
    await pick(harness, "laozhou", "关停", WEIBO)
    summary = card_of(
        await answer_all(
            harness,
            "laozhou",
            ["整合到微信公众号", "内容迁移至“临江文旅”微信公众号", "首页置顶关停公告", "今天"],
        ),
        "请核对",
    )
    assert "关停公告期" in summary.body
    assert "届满后方可办理注销" in summary.body
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    account = await Account.get(key="ljq-wlw-weibo")
    assert account.status == AccountStatus.CLOSING

    # 注销 too early: refused with the notice's due time.
    early = await pick(harness, "laozhou", "注销", "临江文旅（微博）")
    assert "关停公告期尚未届满" in early[0].text
    assert "届满 11月8日 24:00" in early[0].text

    await harness.advance(timedelta(days=31))
    assert (await Account.get(id=account.id)).status == AccountStatus.CLOSED
    told = await harness.new_messages("laozhou")
    assert any("关停公告期已届满" in r.text and "备案 注销" in r.text for r in told)

    await pick(harness, "laozhou", "注销", "临江文旅（微博）")
    summary = card_of(
        await answer_all(harness, "laozhou", ["公告期满", "已迁移", "已公告30天", "今天"]), "请核对"
    )
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    assert (await Account.get(id=account.id)).status == AccountStatus.CANCELLED
    history = await AccountHistory.filter(account_id=account.id).order_by("id")
    assert [h.status_after for h in history] == ["closing", "closed", "cancelled"]


async def test_temporary_offline_at_most_30_days_and_once_a_year(harness: ChatHarness) -> None:
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT)  # approval-card copies
    await pick(harness, "laozhou", "临时下线", "临江文旅（微信）")
    await answer_all(harness, "laozhou", ["系统升级", "10月12日"])
    too_long = await harness.say("laozhou", "12月31日")
    assert "临时下线时间最长30日" in too_long[0].text
    assert "第八条（一）" in too_long[0].text
    summary = card_of(await harness.say("laozhou", "10月20日"), "请核对")
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    account = await Account.get(key="ljq-wlw-wechat")
    assert account.status == AccountStatus.RUNNING  # until the offline's day
    await harness.advance(to=at(2026, 10, 12))
    assert (await Account.get(id=account.id)).status == AccountStatus.SUSPENDED

    await pick(harness, "laozhou", "恢复上线", "临江文旅（微信）")
    summary = card_of(await answer_all(harness, "laozhou", ["升级完成", "10月20日"]), "请核对")
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    assert (await Account.get(id=account.id)).status == AccountStatus.SUSPENDED
    await harness.advance(to=at(2026, 10, 20))
    assert (await Account.get(id=account.id)).status == AccountStatus.RUNNING
    suspend = await lifecycle.for_subject(None, "account", account.id, kind="filing.suspend")
    assert suspend == []  # the offline countdown ended with the resume

    again = await pick(harness, "laozhou", "临时下线", "临江文旅（微信）")
    assert "今年已临时下线1次，每年最多1次" in again[0].text
    assert "紧急关停" in again[0].text  # not counted: offered instead


async def test_temporary_offline_limit_is_worded_as_it_is_checked(harness: ChatHarness) -> None:
    # Offline from 12月5日: the day itself does not count, the 30 days run 12月6日 … 1月4日 24时,
    # so 1月5日 is the last resume date the bot accepts, and the refusal names exactly that date.
    await pick(harness, "laozhou", "临时下线", "临江文旅（微信）")
    await answer_all(harness, "laozhou", ["系统升级", "2026-12-05"])
    too_late = await harness.say("laozhou", "2027-01-06")
    refusal = too_late[0].text
    assert refusal.startswith("临时下线时间最长30日（下线当天不计，自12月6日起算，至1月4日24时止）")
    assert "第八条（一）" in refusal
    assert "），恢复上线日期最晚为1月5日。" in refusal
    summary = card_of(await harness.say("laozhou", "2027-01-05"), "请核对")
    assert {f.label: f.value for f in summary.fields}["恢复上线日期"] == "2027-01-05"


async def test_once_a_year_counts_the_year_of_the_offline(harness: ChatHarness) -> None:
    # Filed in October 2026 for January 2027: the account runs until the offline's day, then is
    # back online after it; a second offline in 2027 is refused (2027 has had its one).
    harness.ignore(*UNIT_GROUPS, *SUPERVISING_UNIT, "wangzr")  # approval copies, the head told
    await pick(harness, "laozhou", "临时下线", "临江文旅（微信）")
    summary = card_of(
        await answer_all(harness, "laozhou", ["系统升级", "2027-01-10", "2027-01-20"]), "请核对"
    )
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    # Until it takes effect the approved offline holds the account: nothing else is filed.
    waiting = (await pick(harness, "laozhou", "临时下线", "临江文旅（微信）"))[0].text
    assert waiting.startswith("临江文旅（微信）将于2027年1月10日起临时下线（临时下线备案 #1）")
    assert "请等它生效后再办理新的备案" in waiting

    await harness.advance(to=at(2027, 1, 10))
    await pick(harness, "laozhou", "恢复上线", "临江文旅（微信）")
    summary = card_of(await answer_all(harness, "laozhou", ["升级完成", "2027-01-20"]), "请核对")
    await harness.tap("laozhou", summary, "提交备案")
    await approve_both(harness)
    await harness.advance(to=at(2027, 1, 20))
    account = await Account.get(key="ljq-wlw-wechat")
    assert account.status == AccountStatus.RUNNING

    refused = (await pick(harness, "laozhou", "临时下线", "临江文旅（微信）"))[0].text
    assert refused.startswith("临江文旅（微信）今年已临时下线1次，每年最多1次")
    assert "已有：1月10日起" in refused
    assert "紧急关停" in refused
    assert await Filing.filter(kind=FilingKind.SUSPEND).count() == 1


async def test_emergency_shutdown_is_reported_not_approved(harness: ChatHarness) -> None:
    harness.ignore(*SUPERVISING_UNIT)  # the report's copies besides the ones read
    await pick(harness, "laozhou", "紧急关停", "临江文旅（抖音）")
    summary = card_of(await answer_all(harness, "laozhou", ["被平台责令关停", "今天"]), "请核对")
    assert "紧急关停为事后报备" in summary.body
    done = await harness.tap("laozhou", summary, "提交报备")
    assert any("已报备" in r.text for r in done.replies)
    filing = await Filing.get()
    assert filing.kind == FilingKind.EMERGENCY
    assert filing.status == FilingStatus.REPORTED
    assert (await Account.get(key="ljq-wlw-douyin")).status == AccountStatus.CLOSED
    for person in ("wangzr", "zhangzr", "zhoufzr"):
        info = card_of(await harness.new_messages(person), "紧急关停报备")
        assert not info.buttons
    assert await StoredFile.filter(subject_type="filing", subject_id=str(filing.id)).exists()
