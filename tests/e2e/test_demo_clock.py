"""In demo mode a person moves the clock from the console and watches a countdown expire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tortoise.transactions import in_transaction

from bot.adapters.console.channel import ConsoleChannel
from bot.app import create_app
from bot.clock import OffsetClock
from bot.core.services import Services
from bot.deadlines import lifecycle
from bot.deadlines.builtin import NOTIFY, notify_data
from bot.handlers import load_all
from bot.runtime import wire_demo_clock
from bot.timekeeping.schedule import StepSpec
from storage.enums import Platform
from storage.models.deadlines import StepStatus
from storage.models.org import Person
from tests.support.chat import ChatHarness, harness_on
from tests.support.dates import SHANGHAI


@pytest.fixture
async def demo(
    request: pytest.FixtureRequest, services: Services, demo_org: None
) -> AsyncIterator[ChatHarness]:
    """The services as ``dutybot demo`` builds them: an offset clock the console can move."""
    clock = OffsetClock(SHANGHAI)
    services.clock = clock
    services.demo = True
    services.channels[Platform.CONSOLE] = ConsoleChannel(clock)
    wire_demo_clock(services)
    app = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app)) as client, harness_on(request, client, services) as h:
        yield h


async def test_a_thirty_minute_countdown_expires_when_the_clock_moves(demo: ChatHarness) -> None:
    # Not looked at: the admin's calendar reminder, which depends on the real date the demo
    # clock starts from.
    demo.ignore("hegly")
    services = demo.services
    xiaowang = await Person.get(key="xiaowang")
    now = services.clock.now()
    async with in_transaction() as conn:
        deadline = await lifecycle.start(
            services,
            conn,
            kind="demo",
            subject_type="demo",
            subject_id=1,
            handler=NOTIFY,
            now=now,
            due_at=now + timedelta(minutes=30),
            schedule=[StepSpec.at_fraction("half", 0.5, "过半提醒"), StepSpec.at_due()],
            data=notify_data("演示整改", persons=[xiaowang.id]),
        )
    await demo.mark_read("xiaowang")
    moved = await demo.client.post("/console/api/clock", json={"advance_minutes": 16})
    body = await moved.json()
    assert moved.status == 200, body
    assert body["enabled"] is True
    assert body["offset_seconds"] == 16 * 60
    await demo.drain()
    (half,) = await demo.new_messages("xiaowang")
    assert half.text.startswith("【过半提醒】演示整改：截止 ")
    assert half.text.endswith("剩余13分钟。") or half.text.endswith("剩余14分钟。")
    await demo.client.post("/console/api/clock", json={"advance_minutes": 15})
    await demo.drain()
    (due,) = await demo.new_messages("xiaowang")
    assert due.text.startswith("【到期】演示整改：")
    assert "已超时" in due.text
    steps = await lifecycle.steps_of(None, deadline.id)
    assert {s.status for s in steps} == {StepStatus.FIRED}
    # Back to now: nothing fires twice, the clock reads real time again.
    reset = await (await demo.client.post("/console/api/clock", json={"reset": True})).json()
    assert reset["offset_seconds"] == 0
    await demo.drain()
    assert await demo.new_messages("xiaowang") == []


async def test_the_clock_cannot_move_outside_demo_mode(harness: ChatHarness) -> None:
    moved = await harness.client.post("/console/api/clock", json={"advance_minutes": 30})
    assert moved.status == 403
    assert (await moved.json())["error"] == "只有演示模式（dutybot demo）可以调整时钟"
