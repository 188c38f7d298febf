"""A real ``python -m bot worker`` SIGKILLed just before a handover's acknowledgement
deadline: after the restart the duty lead is notified exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from bot.core.directory import load_member
from bot.core.emit import Emitter
from bot.core.services import Services
from bot.core.work import Work
from bot.flows.duty.start.handover import plan_team
from bot.flows.duty.transitions import handover as transitions
from storage import audit
from storage.models.deadlines import DeadlineStep, StepStatus
from storage.models.duty import DutyShift, DutyTeam, ShiftSlot
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.machinery import AuditEntry, CardRecord
from storage.models.org import Chat, Person, Unit
from tests.support.processes import System, system, wait_for

__all__ = ["system"]  # fixture

pytestmark = pytest.mark.slow

# Seconds from now to the acknowledgement deadline: room for a busy machine to start a worker.
DUE_IN = 25.0


async def _handover_due_soon(services: Services) -> DutyHandover:
    """小陈's shift ended 15 minutes minus ``DUE_IN`` ago; 老刘's began then (so the handover's
    acknowledgement deadline is ``DUE_IN`` seconds away); 小陈 has submitted the handover."""
    now = services.clock.now()
    change = now - timedelta(minutes=15) + timedelta(seconds=DUE_IN)
    person = {p.key: p.id for p in await Person.all()}
    team = await DutyTeam.create(
        key="ljq-zx-test",
        name="区政务新媒体中心读网值班（测试）",
        unit_id=(await Unit.get(key="ljq-xmtzx")).id,
        lead_id=person["fengzz"],
        chat_id=(await Chat.get(key="ljq-zx-duty")).id,
    )
    for who, start, end in (
        ("xiaochen", change - timedelta(hours=12), change),
        ("laoliu", change, change + timedelta(hours=12)),
    ):
        await DutyShift.create(
            team=team,
            duty_date=start.date(),
            slot=ShiftSlot.DAY,
            starts_at=start,
            ends_at=end,
            person_id=person[who],
            rostered_id=person[who],
            created_at=now,
            updated_at=now,
        )
    async with in_transaction() as conn:
        # Planned the day before, as the cron does.
        await plan_team(services, conn, team, change - timedelta(hours=1))
    handover = await DutyHandover.get(team_id=team.id, change_at=change)
    async with in_transaction() as conn:
        work = Work(
            services=services,
            conn=conn,
            now=now,
            emit=Emitter(services, conn, key_prefix="test-handover", now=now),
            by=audit.Actor(person_id=person["xiaochen"], label="小陈"),
        )
        await transitions.prepare(work, handover.id)
        xiaochen = await load_member(person["xiaochen"], conn)
        assert xiaochen is not None
        await transitions.submit(work, handover.id, xiaochen, "无异常")
    # The steps before the change are past (the card was handled by hand above).
    assert handover.deadline_id is not None
    await DeadlineStep.filter(
        deadline_id=handover.deadline_id, name__in=["remind", "prepare", "change"]
    ).update(status=StepStatus.SKIPPED)
    return await DutyHandover.get(id=handover.id)


async def test_worker_killed_before_the_acknowledgement_deadline(
    system: System, services: Services, demo_org: None
) -> None:
    handover = await _handover_due_soon(services)
    assert handover.status == HandoverStatus.SUBMITTED
    due = handover.change_at + timedelta(minutes=15)
    worker = await system.worker()
    # Just before the deadline: SIGKILL.
    wait = (due - services.clock.now()).total_seconds() - 2.0
    assert wait > 0, "the worker took too long to start"
    await asyncio.sleep(wait)
    await worker.kill()
    lead_step = await DeadlineStep.get(deadline_id=handover.deadline_id, name="lead")
    assert lead_step.status == StepStatus.PENDING
    await asyncio.sleep(4.0)  # the deadline passes while no worker runs
    await system.worker()

    async def escalated() -> bool:
        return await AuditEntry.filter(action="duty.handover_escalated").exists()

    await wait_for(escalated, 60, system, "the escalation")
    await asyncio.sleep(3.0)  # a second firing, if there were one, would show by now
    entries = await AuditEntry.filter(action="duty.handover_escalated")
    assert [e.detail["level"] for e in entries] == ["lead"]
    cards = await CardRecord.filter(kind="duty.handover.escalation")
    assert len(cards) == 1
    fired = await DeadlineStep.filter(deadline_id=handover.deadline_id, name="lead")
    assert [s.status for s in fired] == [StepStatus.FIRED]
    assert (await DutyHandover.get(id=handover.id)).status == HandoverStatus.SUBMITTED
