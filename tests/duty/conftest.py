"""Duty fixtures: the demo district with its duty team (区政务新媒体中心, 小陈 → 老刘 → 小马,
day/night 08:30/20:30, lead 冯组长) loaded from the demo organisation file and planned.

The clock starts on Friday 9 October 2026 at 10:00: 小陈's day shift is running.
Other duty areas: add your fixtures below, in a section of your own.
"""

from __future__ import annotations

import pytest

from bot.core.services import Services
from storage.models.duty import DutyTeam
from tests.duty.support import replan
from tests.support.chat import ChatHarness


@pytest.fixture
async def duty(harness: ChatHarness, services: Services) -> ChatHarness:
    """The chat harness with the demo duty team's shifts planned two weeks ahead."""
    await replan(services, await DutyTeam.get(key="ljq-zx"), days=21)
    return harness
