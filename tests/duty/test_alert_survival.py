"""A real ``python -m bot worker`` SIGKILLed just before an alert's acknowledgement deadline:
after the restart the alert escalates to the duty lead exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.core.services import Services
from bot.core.work import Work
from bot.flows.duty.transitions.alerts import AlertRequest, raise_alert
from storage import audit
from storage.models.deadlines import DeadlineStep, StepStatus
from storage.models.duty import DutyShift, DutyTeam, ShiftSlot
from storage.models.duty_alerts import Alert, AlertSeverity, AlertSource, AlertStatus
from storage.models.machinery import AuditEntry
from storage.models.org import Chat, Person, Unit
from tests.integration.test_deadline_survival import System, system, wait_for

__all__ = ["system"]  # fixture

pytestmark = pytest.mark.slow

# Seconds from now to the acknowledgement deadline: room for a busy machine to start a worker.
DUE_IN = 25.0
ACK_MINUTES = 5  # alert.ack (一般) in the default preset


async def _alert_due_soon(services: Services) -> Alert:
    """小陈 is on duty; an alert raised ``5 min − DUE_IN`` ago is due for acknowledgement in
    ``DUE_IN`` seconds."""
    now = services.clock.now()
    raised = now - timedelta(minutes=ACK_MINUTES) + timedelta(seconds=DUE_IN)
    person = {p.key: p.id for p in await Person.all()}
    team = await DutyTeam.create(
        key="ljq-zx-test",
        name="区政务新媒体中心读网值班（测试）",
        unit_id=(await Unit.get(key="ljq-xmtzx")).id,
        lead_id=person["fengzz"],
        chat_id=(await Chat.get(key="ljq-zx-duty")).id,
    )
    start = now - timedelta(hours=1)
    await DutyShift.create(
        team=team,
        duty_date=start.date(),
        slot=ShiftSlot.DAY,
        starts_at=start,
        ends_at=now + timedelta(hours=11),
        person_id=person["xiaochen"],
        rostered_id=person["xiaochen"],
        created_at=now,
        updated_at=now,
    )
    async with in_transaction() as conn:
        work = Work(
            services=services,
            conn=conn,
            now=raised,
            emit=Emitter(services, conn, key_prefix="test-alert", now=raised),
            by=audit.Actor.system("测试"),
        )
        alert, _ = await raise_alert(
            work,
            AlertRequest(
                team_id=team.id,
                severity=AlertSeverity.ORDINARY,
                source=AlertSource.REPORT,
                title="临江文旅公众号首页无法打开",
            ),
        )
    return alert


async def test_worker_killed_before_the_acknowledgement_deadline(
    system: System, services: Services, demo_org: None
) -> None:
    alert = await _alert_due_soon(services)
    assert alert.deadline_id is not None
    step = await DeadlineStep.get(deadline_id=alert.deadline_id, name="duty_lead")
    worker = await system.worker()
    # Just before the deadline: SIGKILL.
    wait = (step.fire_at - services.clock.now()).total_seconds() - 2.0
    assert wait > 0, "the worker took too long to start"
    await asyncio.sleep(wait)
    await worker.kill()
    step = await DeadlineStep.get(id=step.id)
    assert step.status == StepStatus.PENDING
    await asyncio.sleep(4.0)  # the deadline passes while no worker runs
    await system.worker()

    async def escalated() -> bool:
        return await AuditEntry.filter(action="duty.alert_escalated").exists()

    await wait_for(escalated, 60, system, "the escalation")
    await asyncio.sleep(3.0)  # a second firing, if there were one, would show by now
    entries = await AuditEntry.filter(action="duty.alert_escalated")
    assert [e.detail["level"] for e in entries] == [1]
    assert [s.status for s in await DeadlineStep.filter(id=step.id)] == [StepStatus.FIRED]
    alert = await Alert.get(id=alert.id)
    assert alert.status == AlertStatus.OPEN
    assert alert.level == 1
    assert (await Person.get(key="fengzz")).id in alert.reached_ids
