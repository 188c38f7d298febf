"""Helpers for the handover tests: a Monday with the demo team, and moving the clock."""

from __future__ import annotations

from datetime import date, datetime

from bot.deadlines import reconciler
from bot.flows.duty.start.handover import plan_all
from storage.models.duty import DutyTeam
from tests.conftest import SHANGHAI
from tests.duty.support import make_team
from tests.support.chat import ChatHarness

GROUP = "group:ljq-zx-duty"
# Monday 23 November 2026: 小陈 has the day shift (08:30–20:30), 老刘 the night shift.
DAY = date(2026, 11, 23)


def at(hh: int, mm: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=SHANGHAI)


async def demo_team(h: ChatHarness, **kwargs: object) -> DutyTeam:
    """The demo centre's team from Monday 10:00, with its handovers planned (the cron's work)."""
    h.clock.set(at(10))
    # 唐主任 is a duty lead of the centre too: he gets what 冯组长 gets (the tests read 冯组长's).
    # 何管理员 (admin) is reminded about next year's holiday data, which is not the handover's.
    h.ignore("tangzr", "hegly")
    team = await make_team(h.services, start=DAY, **kwargs)  # type: ignore[arg-type]
    await plan_all(h.services)
    return team


async def travel(h: ChatHarness, when: datetime) -> None:
    """Move the clock, fire what became due and deliver it (the worker's reconcile cron)."""
    h.clock.set(when)
    await reconciler.reconcile(h.services)
    await h.drain()
