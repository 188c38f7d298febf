"""The ``chat`` fixture: each scenario here runs once per platform (console, WeCom, Feishu)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.services import Services
from tests.support.chat import stop_watching
from tests.support.platforms import PLATFORMS, PlatformChat, platform_chat


@pytest.fixture(params=PLATFORMS)
async def chat(request: pytest.FixtureRequest, services: Services) -> AsyncIterator[PlatformChat]:
    try:
        async with platform_chat(request.param, services) as opened:
            yield opened
    finally:
        stop_watching()
