"""The deadline engine on a real database and Redis: firing once, fencing, pause/resume,
reschedule, repeats, failing handlers, calendar edits and admin notices."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from arq import Retry
from arq.worker import Worker
from tortoise.transactions import in_transaction

from bot import outbox
from bot.clock import ManualClock, SystemClock
from bot.constants import ARQ_QUEUE
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.deadlines import firing, lifecycle, present, reconciler, watch
from bot.deadlines.builtin import NOTIFY, notify_data
from bot.deadlines.firing import FireOutcome
from bot.deadlines.jobs import fire_deadline_step
from bot.deadlines.registry import StepContext, step_handler
from bot.policy.loader import load_policy
from bot.policy.model import UnknownRuleError
from bot.policy.runtime import TimeKeeping
from bot.timekeeping.schedule import StepSpec
from storage.models.deadlines import Deadline, DeadlineStatus, DeadlineStep, StepStatus
from storage.models.machinery import AuditEntry, ConsoleMessage, OutboxMessage
from storage.models.org import Person
from tests.support.dates import SHANGHAI

KUNMING = load_policy("kunming")
YONGCHUAN = load_policy("yongchuan")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def write(path: Path, text: str) -> None:
    path.write_text(text)


@pytest.fixture
def calendar_path(tmp_path: Path) -> Path:
    return tmp_path / "calendar.toml"


@pytest.fixture
async def tsvc(services: Services, demo_org: None, calendar_path: Path) -> Services:
    """Services with time installed, reading a calendar file private to the test."""
    settings = services.settings.model_copy(update={"calendar_file": calendar_path})
    services.timekeeping = TimeKeeping.from_settings(settings)
    return services


def clock(services: Services) -> ManualClock:
    assert isinstance(services.clock, ManualClock)
    return services.clock


async def person_id(key: str) -> int:
    return (await Person.get(key=key)).id


async def start(services: Services, **kwargs: Any) -> Deadline:
    kwargs.setdefault("kind", "test")
    kwargs.setdefault("subject_type", "test")
    kwargs.setdefault("subject_id", 1)
    kwargs.setdefault("handler", NOTIFY)
    async with in_transaction() as conn:
        return await lifecycle.start(services, conn, now=services.clock.now(), **kwargs)


async def reminders(deadline_id: int) -> list[AuditEntry]:
    found = await AuditEntry.filter(action="deadline.reminded").order_by("seq")
    return [a for a in found if a.detail.get("deadline") == deadline_id]


async def fired_names(deadline_id: int) -> list[str]:
    return [f"{a.detail['step']}#{a.detail['repeat']}" for a in await reminders(deadline_id)]


async def texts_for(services: Services, person_key: str) -> list[str]:
    await outbox.drain(services)
    rows = await ConsoleMessage.filter(chat=f"dm:{person_key}").order_by("id")
    return [r.text for r in rows]


async def at_time(services: Services, when: datetime) -> int:
    clock(services).set(when)
    return await reconciler.reconcile(services)


RECTIFICATION = KUNMING.schedule("rectification")


# ---- firing ---------------------------------------------------------------------------------


async def test_a_rectification_countdown_fires_each_step_once(tsvc: Services) -> None:
    xiaowang = await person_id("xiaowang")
    deadline = await start(
        tsvc,
        kind="rectification",
        rule="rectification.serious",
        policy=KUNMING,
        schedule=RECTIFICATION,
        data=notify_data("区文旅委公众号整改", persons=[xiaowang]),
    )
    assert deadline.due_at == at(2026, 10, 9, 10, 30)
    assert deadline.basis == "依据《昆明市党政群网站及新媒体管理办法》第十五条"
    assert "工作时间内严重问题30分钟内完成整改" in deadline.explanation
    steps = {s.name: s.fire_at for s in await lifecycle.steps_of(None, deadline.id)}
    assert steps == {
        "half": at(2026, 10, 9, 10, 15),
        "late": at(2026, 10, 9, 10, 24),
        "due": at(2026, 10, 9, 10, 30),
        "overdue": at(2026, 10, 9, 11, 30),
    }
    assert await at_time(tsvc, at(2026, 10, 9, 10, 14)) == 0
    assert await at_time(tsvc, at(2026, 10, 9, 10, 15)) == 1
    assert await at_time(tsvc, at(2026, 10, 9, 10, 31)) == 2
    assert await reconciler.reconcile(tsvc) == 0  # a replayed reconcile
    assert await at_time(tsvc, at(2026, 10, 9, 11, 30)) == 1
    assert await at_time(tsvc, at(2026, 10, 9, 12, 30)) == 1
    assert await fired_names(deadline.id) == [
        "half#0",
        "late#0",
        "due#0",
        "overdue#0",
        "overdue#1",
    ]
    texts = await texts_for(tsvc, "xiaowang")
    assert len(texts) == 5
    assert texts[0] == (
        "【时限过半提醒】区文旅委公众号整改：截止 10月9日 10:30"
        "（依据《昆明市党政群网站及新媒体管理办法》第十五条），剩余15分钟。"
    )
    assert texts[2].startswith("【到期】")
    assert texts[2].endswith("已超时1分钟。")
    async with in_transaction() as conn:
        assert await lifecycle.complete(tsvc, conn, deadline.id, now=tsvc.clock.now())
        assert not await lifecycle.complete(tsvc, conn, deadline.id, now=tsvc.clock.now())
    assert await at_time(tsvc, at(2026, 10, 9, 15, 0)) == 0
    assert len(await texts_for(tsvc, "xiaowang")) == 5


async def test_concurrent_firings_of_one_step_send_one_reminder(tsvc: Services) -> None:
    xiaowang = await person_id("xiaowang")
    deadline = await start(
        tsvc, due_at=at(2026, 10, 9, 10, 5), data=notify_data("测试", persons=[xiaowang])
    )
    (step,) = await lifecycle.steps_of(None, deadline.id)
    clock(tsvc).set(at(2026, 10, 9, 10, 6))
    outcomes = await asyncio.gather(
        *[firing.fire_step(tsvc, step.id, step.token) for _ in range(8)],
        *[
            fire_deadline_step({"services": tsvc, "job_try": 1}, step.id, step.token)
            for _ in range(4)
        ],
        reconciler.reconcile(tsvc),
        reconciler.reconcile(tsvc),
    )
    firings = [o for o in outcomes if o in (FireOutcome.FIRED, "fired")]
    assert len(firings) == 1, outcomes
    assert len(await reminders(deadline.id)) == 1
    keys = await OutboxMessage.filter(idempotency_key__startswith=f"deadline:{deadline.id}:")
    assert len(keys) == 1


async def test_retried_and_stale_jobs_are_no_ops(tsvc: Services) -> None:
    deadline = await start(tsvc, due_at=at(2026, 10, 9, 10, 5), data=notify_data("测试"))
    (step,) = await lifecycle.steps_of(None, deadline.id)
    ctx = {"services": tsvc, "job_try": 1}
    clock(tsvc).set(at(2026, 10, 9, 10, 5))
    assert await fire_deadline_step(ctx, step.id, step.token) == "fired"
    assert await fire_deadline_step(ctx, step.id, step.token) == "stale"
    # A job from before a reschedule carries the old token.
    later = await start(tsvc, due_at=at(2026, 10, 9, 11, 0), data=notify_data("测试"))
    (old,) = await lifecycle.steps_of(None, later.id)
    async with in_transaction() as conn:
        await lifecycle.reschedule(
            tsvc, conn, later.id, now=tsvc.clock.now(), due_at=at(2026, 10, 9, 12, 0)
        )
    clock(tsvc).set(at(2026, 10, 9, 11, 30))
    assert await fire_deadline_step(ctx, old.id, old.token) == "stale"
    assert (await DeadlineStep.get(id=old.id)).status == StepStatus.CANCELLED
    assert await reconciler.reconcile(tsvc) == 0
    assert await at_time(tsvc, at(2026, 10, 9, 12, 0)) == 1


async def test_a_job_that_runs_before_the_commit_looks_again(tsvc: Services) -> None:
    with pytest.raises(Retry):
        await fire_deadline_step({"services": tsvc, "job_try": 1}, 999_999, 1)
    assert await fire_deadline_step({"services": tsvc, "job_try": 4}, 999_999, 1) == "missing"
    deadline = await start(tsvc, due_at=at(2026, 10, 9, 11, 0), data=notify_data("测试"))
    (step,) = await lifecycle.steps_of(None, deadline.id)
    with pytest.raises(Retry):  # early: comes back at its time
        await fire_deadline_step({"services": tsvc, "job_try": 1}, step.id, step.token)


async def test_the_arq_job_fires_a_step_near_its_time(tsvc: Services) -> None:
    tsvc.clock = SystemClock(SHANGHAI)
    now = tsvc.clock.now()
    deadline = await start(tsvc, due_at=now + timedelta(seconds=1.5), data=notify_data("测试"))
    worker = Worker(
        functions=[fire_deadline_step],
        redis_pool=tsvc.redis,
        queue_name=ARQ_QUEUE,
        ctx={"services": tsvc},
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
        keep_result=0,
    )
    await asyncio.wait_for(worker.main(), timeout=20)
    await worker.close()
    (step,) = await lifecycle.steps_of(None, deadline.id)
    assert step.status == StepStatus.FIRED
    assert step.fired_at is not None
    assert timedelta(0) <= step.fired_at - step.fire_at < timedelta(seconds=1)
    assert len(await reminders(deadline.id)) == 1


# ---- lifecycle ------------------------------------------------------------------------------


async def test_pause_holds_the_clock_and_resume_shifts_everything(tsvc: Services) -> None:
    xiaowang = await person_id("xiaowang")
    deadline = await start(
        tsvc,
        rule="rectification.serious",
        policy=KUNMING,
        schedule=RECTIFICATION,
        data=notify_data("整改", persons=[xiaowang]),
    )
    clock(tsvc).set(at(2026, 10, 9, 10, 10))
    async with in_transaction() as conn:
        assert await lifecycle.pause(tsvc, conn, deadline.id, now=tsvc.clock.now())
        assert not await lifecycle.pause(tsvc, conn, deadline.id, now=tsvc.clock.now())
    paused = await Deadline.get(id=deadline.id)
    assert present.remaining(paused, at(2026, 10, 9, 11)) == "已暂停，剩余20分钟"
    assert await at_time(tsvc, at(2026, 10, 9, 11, 0)) == 0
    async with in_transaction() as conn:
        assert await lifecycle.resume(tsvc, conn, deadline.id, now=tsvc.clock.now())
    resumed = await Deadline.get(id=deadline.id)
    assert resumed.due_at == at(2026, 10, 9, 11, 20)
    assert resumed.explanation.endswith("（因暂停50分钟，顺延至 10月9日 11:20）")
    steps = {s.name: s.fire_at for s in await lifecycle.steps_of(None, deadline.id)}
    assert steps["half"] == at(2026, 10, 9, 11, 5)
    assert steps["due"] == at(2026, 10, 9, 11, 20)
    assert await at_time(tsvc, at(2026, 10, 9, 11, 5)) == 1
    assert await at_time(tsvc, at(2026, 10, 9, 11, 20)) == 2
    assert await fired_names(deadline.id) == ["half#0", "late#0", "due#0"]


async def test_cancel_stops_everything(tsvc: Services) -> None:
    deadline = await start(tsvc, due_at=at(2026, 10, 9, 11), data=notify_data("测试"))
    async with in_transaction() as conn:
        assert await lifecycle.cancel(tsvc, conn, deadline.id, now=tsvc.clock.now(), reason="撤回")
    row = await Deadline.get(id=deadline.id)
    assert row.status == DeadlineStatus.CANCELLED
    assert row.close_reason == "撤回"
    assert present.remaining(row, at(2026, 10, 9, 12)) == "已取消"
    assert await at_time(tsvc, at(2026, 10, 9, 12)) == 0
    async with in_transaction() as conn:
        with pytest.raises(lifecycle.DeadlineClosedError):
            await lifecycle.reschedule(
                tsvc, conn, deadline.id, now=tsvc.clock.now(), due_at=at(2026, 10, 9, 13)
            )


async def test_an_extension_gives_a_fresh_plan_that_calendar_edits_leave_alone(
    tsvc: Services, calendar_path: Path
) -> None:
    deadline = await start(
        tsvc,
        rule="rectification.ordinary",
        policy=KUNMING,
        schedule=RECTIFICATION,
        data=notify_data("整改"),
    )
    assert await at_time(tsvc, at(2026, 10, 9, 10, 30)) == 1  # half of 1 hour
    async with in_transaction() as conn:
        extended = await lifecycle.reschedule(
            tsvc,
            conn,
            deadline.id,
            now=tsvc.clock.now(),
            due_at=at(2026, 10, 9, 14, 0),
            reason="主管单位同意延期",
        )
    assert extended.explanation == "主管单位同意延期，截止 10月9日 14:00"
    assert present.due_line(extended, SHANGHAI) == "截止 10月9日 14:00（主管单位同意延期）"
    live = [
        s for s in await lifecycle.steps_of(None, deadline.id) if s.status == StepStatus.PENDING
    ]
    assert {s.name: s.fire_at for s in live} == {
        "half": at(2026, 10, 9, 12, 0),
        "late": at(2026, 10, 9, 13, 12),
        "due": at(2026, 10, 9, 14, 0),
        "overdue": at(2026, 10, 9, 15, 0),
    }
    write(calendar_path, '[2026]\nholidays = [ { name = "测试", date = 2026-10-09 } ]')
    await reconciler.reconcile(tsvc)
    assert (await Deadline.get(id=deadline.id)).due_at == at(2026, 10, 9, 14, 0)
    assert await at_time(tsvc, at(2026, 10, 9, 14, 0)) == 3  # half, late, due (new plan)


async def test_reschedule_from_a_new_start(tsvc: Services) -> None:
    deadline = await start(
        tsvc,
        rule="review.escalate",
        schedule=load_policy("default").schedule("review"),
        data=notify_data("审核"),
    )
    assert deadline.due_at == at(2026, 10, 10, 10, 0)  # 8 working hours, make-up Saturday
    steps = {s.name: s.fire_at for s in await lifecycle.steps_of(None, deadline.id)}
    assert steps == {"remind": at(2026, 10, 9, 15, 30), "escalate": at(2026, 10, 10, 10, 0)}
    # Sent back and resubmitted at 16:00: the clock starts over from there.
    clock(tsvc).set(at(2026, 10, 9, 16, 0))
    async with in_transaction() as conn:
        again = await lifecycle.reschedule(
            tsvc, conn, deadline.id, now=tsvc.clock.now(), start_at=tsvc.clock.now()
        )
    assert again.due_at == at(2026, 10, 10, 16, 0)
    live = {
        s.name: s.fire_at
        for s in await lifecycle.steps_of(None, deadline.id)
        if s.status == StepStatus.PENDING
    }
    assert live == {"remind": at(2026, 10, 10, 10, 30), "escalate": at(2026, 10, 10, 16, 0)}


async def test_repeats_skip_what_was_missed_and_stop_at_their_limit(tsvc: Services) -> None:
    deadline = await start(
        tsvc,
        due_at=at(2026, 10, 9, 10, 30),
        schedule=[
            StepSpec.at_due(),
            StepSpec.after_due("overdue", 60, every_minutes=60, max_repeats=6, label="超时"),
        ],
        data=notify_data("测试"),
    )
    # Down from 10:00 to 15:45: one due, one overdue reminder, not five.
    assert await at_time(tsvc, at(2026, 10, 9, 15, 45)) == 2
    assert await at_time(tsvc, at(2026, 10, 9, 16, 29)) == 0
    assert await at_time(tsvc, at(2026, 10, 9, 16, 30)) == 1
    assert await at_time(tsvc, at(2026, 10, 9, 17, 30)) == 1
    assert await at_time(tsvc, at(2026, 10, 9, 23, 30)) == 0  # repeat 6 was the last
    assert await fired_names(deadline.id) == ["due#0", "overdue#0", "overdue#5", "overdue#6"]


# ---- handlers ---------------------------------------------------------------------------------

FLAKY_FAILURES: dict[int, int] = {}


@step_handler("test.flaky")
async def flaky(ctx: StepContext) -> None:
    await ctx.emit.to_person(int(ctx.data["person"]), Message(text="不该留下的消息"))
    failures = FLAKY_FAILURES.get(ctx.deadline.id, 0)
    if failures < int(ctx.data["fail_times"]):
        FLAKY_FAILURES[ctx.deadline.id] = failures + 1
        raise RuntimeError("平台暂时不可用")
    await ctx.audit_step("test.flaky_done")


@step_handler("test.closer")
async def closer(ctx: StepContext) -> None:
    await ctx.audit_step("test.closed")
    await lifecycle.complete(ctx.services, ctx.conn, ctx.deadline.id, now=ctx.now, reason="已升级")


async def test_a_failing_handler_leaves_nothing_and_is_retried(tsvc: Services) -> None:
    xiaowang = await person_id("xiaowang")
    deadline = await start(
        tsvc,
        handler="test.flaky",
        due_at=at(2026, 10, 9, 10, 5),
        data={"person": xiaowang, "fail_times": 2},
    )
    (step,) = await lifecycle.steps_of(None, deadline.id)
    assert await at_time(tsvc, at(2026, 10, 9, 10, 5)) == 0
    failed = await DeadlineStep.get(id=step.id)
    assert failed.status == StepStatus.PENDING
    assert failed.attempts == 1
    assert "平台暂时不可用" in failed.last_error
    assert failed.retry_at == at(2026, 10, 9, 10, 5) + firing.backoff(1)
    assert await OutboxMessage.filter(idempotency_key__startswith="deadline:").count() == 0
    assert await at_time(tsvc, at(2026, 10, 9, 10, 5) + timedelta(seconds=5)) == 0  # backing off
    assert await at_time(tsvc, at(2026, 10, 9, 10, 6)) == 0  # second failure
    assert await at_time(tsvc, at(2026, 10, 9, 10, 10)) == 1
    assert await AuditEntry.filter(action="test.flaky_done").count() == 1
    assert await OutboxMessage.filter(idempotency_key__startswith="deadline:").count() == 1


async def test_a_handler_that_never_works_is_given_up_and_audited(tsvc: Services) -> None:
    deadline = await start(
        tsvc,
        handler="test.flaky",
        due_at=at(2026, 10, 9, 10, 5),
        data={"person": await person_id("xiaowang"), "fail_times": 100},
    )
    when = at(2026, 10, 9, 10, 5)
    for _ in range(firing.MAX_ATTEMPTS):
        await at_time(tsvc, when)
        when += timedelta(hours=2)
    (step,) = await lifecycle.steps_of(None, deadline.id)
    assert step.status == StepStatus.FAILED
    failure = await AuditEntry.get(action="deadline.step_failed")
    assert failure.detail["deadline"] == deadline.id
    assert "平台暂时不可用" in failure.detail["error"]


async def test_a_handler_may_close_its_own_deadline(tsvc: Services) -> None:
    deadline = await start(
        tsvc,
        handler="test.closer",
        due_at=at(2026, 10, 9, 10, 5),
        schedule=[StepSpec.at_due(), StepSpec.after_due("again", 10, every_minutes=10)],
    )
    assert await at_time(tsvc, at(2026, 10, 9, 10, 5)) == 1
    row = await Deadline.get(id=deadline.id)
    assert row.status == DeadlineStatus.COMPLETED
    assert row.close_reason == "已升级"
    assert await at_time(tsvc, at(2026, 10, 9, 12, 0)) == 0
    assert await AuditEntry.filter(action="test.closed").count() == 1


async def test_start_checks_its_arguments(tsvc: Services) -> None:
    with pytest.raises(lifecycle.UnknownHandlerError):
        await start(tsvc, handler="nobody", due_at=at(2026, 10, 9, 11))
    with pytest.raises(ValueError, match="exactly one"):
        await start(tsvc, rule="handover.ack", due_at=at(2026, 10, 9, 11))
    with pytest.raises(UnknownRuleError):
        await start(tsvc, rule="handover.fast")


async def test_a_plan_made_late_skips_the_past(tsvc: Services) -> None:
    # A filing whose change took effect a week ago: half-time has passed, the due time not.
    deadline = await start(
        tsvc,
        rule="filing.change",
        policy=YONGCHUAN,
        start_at=at(2026, 9, 30, 9),
        schedule=YONGCHUAN.schedule("filing"),
        data=notify_data("备案"),
    )
    assert deadline.due_at == at(2026, 10, 13, 18)
    status = {s.name: s.status for s in await lifecycle.steps_of(None, deadline.id)}
    assert status == {
        "half": StepStatus.SKIPPED,
        "late": StepStatus.PENDING,
        "due": StepStatus.PENDING,
        "overdue": StepStatus.PENDING,
    }
    assert [d.id for d in await lifecycle.for_subject(None, "test", 1)] == [deadline.id]


# ---- the calendar ---------------------------------------------------------------------------

OVERRIDE_2027 = """
[2027]
notice = "国务院办公厅关于2027年部分节假日安排的通知"
holidays = [ { name = "元旦", from = 2027-01-01, to = 2027-01-03 } ]
"""


async def test_editing_the_calendar_recomputes_open_deadlines(
    tsvc: Services, calendar_path: Path
) -> None:
    clock(tsvc).set(at(2026, 12, 28, 9))
    await reconciler.reconcile(tsvc)  # the revision in use is recorded
    deadline = await start(
        tsvc,
        rule="filing.change",
        policy=YONGCHUAN,
        schedule=YONGCHUAN.schedule("filing"),
        data=notify_data("备案"),
    )
    assert deadline.due_at == at(2027, 1, 4, 18)
    assert deadline.provisional
    assert deadline.provisional_years == [2027]
    assert "暂定：2027年节假日未录入" in present.due_line(deadline, SHANGHAI)
    assert await at_time(tsvc, at(2027, 1, 1, 2)) == 1  # half-time: 1 January 01:30
    write(calendar_path, OVERRIDE_2027)
    await reconciler.reconcile(tsvc)
    moved = await Deadline.get(id=deadline.id)
    assert moved.due_at == at(2027, 1, 5, 18)
    assert not moved.provisional
    assert moved.explanation.endswith("截止 2027年1月5日 18:00")
    recomputed = await AuditEntry.get(action="deadline.recomputed")
    assert recomputed.detail["after"] == at(2027, 1, 5, 18).isoformat()
    # Steps fired under the old plan are not fired again (the new half-time, 1 January
    # 13:30, passes silently); the rest follow the new times, not the old 4 January due.
    assert await at_time(tsvc, at(2027, 1, 4, 18)) == 1  # late (80 %), 4 January 01:48
    assert await at_time(tsvc, at(2027, 1, 5, 17, 59)) == 0
    assert await at_time(tsvc, at(2027, 1, 5, 18)) == 1
    assert await fired_names(deadline.id) == ["half#0", "late#0", "due#0"]
    # A second reconcile with the same file changes nothing.
    assert await reconciler.reconcile(tsvc) == 0
    assert await AuditEntry.filter(action="deadline.recomputed").count() == 1


async def test_admins_are_told_about_years_without_data(
    tsvc: Services, calendar_path: Path
) -> None:
    clock(tsvc).set(at(2026, 11, 20, 9))
    assert await watch.years_needing_data(tsvc, tsvc.clock.now()) == [2027]
    assert await watch.warn_missing_years(tsvc, force=True) == 1
    texts = await texts_for(tsvc, "hegly")  # 何管理员, the demo district's admin
    assert len(texts) == 1
    assert "2027年的法定节假日和调休安排还没有录入" in texts[0]
    assert str(calendar_path) in texts[0]
    assert "dutybot calendar template 2027" in texts[0]
    assert await texts_for(tsvc, "xiaowang") == []  # only admins
    assert await watch.warn_missing_years(tsvc, force=True) == 0  # once a week
    clock(tsvc).set(at(2026, 11, 28, 9))
    assert await watch.warn_missing_years(tsvc, force=True) == 1
    write(calendar_path, OVERRIDE_2027)
    tsvc.timekeeping.refresh(force=True)
    assert await watch.years_needing_data(tsvc, tsvc.clock.now()) == []
    clock(tsvc).set(at(2026, 12, 20, 9))
    assert await watch.warn_missing_years(tsvc, force=True) == 0


async def test_a_broken_calendar_file_is_reported_and_the_last_good_one_kept(
    tsvc: Services, calendar_path: Path
) -> None:
    write(calendar_path, OVERRIDE_2027)
    tsvc.timekeeping.refresh(force=True)
    write(calendar_path, "[2027]\nholidays = oops\n")
    tsvc.timekeeping.refresh(force=True)
    assert 2027 in tsvc.timekeeping.overrides.years
    assert await watch.warn_missing_years(tsvc, force=True) == 1
    (text,) = await texts_for(tsvc, "hegly")
    assert text.startswith("【日历提醒】日历覆盖文件无法使用，系统仍按修改前的内容计算期限")


async def test_a_calendar_fix_that_moves_a_due_time_into_the_past_fires_it_now(
    tsvc: Services, calendar_path: Path
) -> None:
    # An admin first typed 4 January 2027 as a holiday, then corrects it on the evening of
    # the 5th: the deadline shown as due on the 6th was in fact due at 18:00 on the 5th.
    wrong = OVERRIDE_2027.replace("to = 2027-01-03", "to = 2027-01-04")
    write(calendar_path, wrong)
    clock(tsvc).set(at(2026, 12, 28, 9))
    await reconciler.reconcile(tsvc)
    deadline = await start(tsvc, rule="filing.change", policy=YONGCHUAN, data=notify_data("备案"))
    assert deadline.due_at == at(2027, 1, 6, 18)
    clock(tsvc).set(at(2027, 1, 5, 20))
    write(calendar_path, OVERRIDE_2027)
    assert await reconciler.reconcile(tsvc) == 1
    assert (await Deadline.get(id=deadline.id)).due_at == at(2027, 1, 5, 18)
    assert await fired_names(deadline.id) == ["due#0"]
