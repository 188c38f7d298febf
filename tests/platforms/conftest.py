"""The ``chat`` fixture: each scenario here runs once per platform (console, WeCom, Feishu);
``live_chat``: the same through real ``dutybot serve`` and ``worker`` processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.core.services import Services
from tests.support.chat import BODY_FAILED, stop_watching
from tests.support.platforms import (
    LIVE_PLATFORMS,
    PLATFORMS,
    PlatformChat,
    live_platform_chat,
    platform_chat,
)


@pytest.fixture(params=PLATFORMS)
async def chat(request: pytest.FixtureRequest, services: Services) -> AsyncIterator[PlatformChat]:
    try:
        async with platform_chat(request.param, services, check=passed(request)) as opened:
            yield opened
    finally:
        stop_watching()


@pytest.fixture(params=LIVE_PLATFORMS)
async def live_chat(
    request: pytest.FixtureRequest,
    services: Services,
    db_url: str,
    redis_url: str,
    tmp_path: Path,
) -> AsyncIterator[PlatformChat]:
    """A platform with real ``dutybot serve`` and ``worker`` processes behind it."""
    async with live_platform_chat(
        request.param, services, db_url, redis_url, tmp_path, check=passed(request)
    ) as opened:
        yield opened


def passed(request: pytest.FixtureRequest) -> Callable[[], bool]:
    """Whether the scenario passed (then the end-of-test check runs)."""
    return lambda: not request.node.stash.get(BODY_FAILED, True)


@pytest.fixture(params=LIVE_PLATFORMS)
async def live_chat_demo_clock(
    request: pytest.FixtureRequest,
    services: Services,
    db_url: str,
    redis_url: str,
    tmp_path: Path,
) -> AsyncIterator[PlatformChat]:
    """``live_chat`` whose processes follow the demo clock the test moves (``chat.travel``)."""
    async with live_platform_chat(
        request.param,
        services,
        db_url,
        redis_url,
        tmp_path,
        check=passed(request),
        demo_clock=True,
    ) as opened:
        yield opened
