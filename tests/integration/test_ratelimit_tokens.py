"""Shared rate budgets and the single-flight token cache, on real Redis."""

from __future__ import annotations

import asyncio

from bot import ratelimit, tokens
from bot.core.services import Services


async def test_budget_admits_up_to_limit_then_says_how_long_to_wait(services: Services) -> None:
    limits = [(3, 60.0)]
    now = 1_000_000.0
    waits = [await ratelimit.take(services.redis, "t", "u1", limits, now=now + i) for i in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    # The oldest use (at now) frees up at now + 60; we asked at now + 3.
    assert waits[3] == 57.0
    # Another subject has its own budget.
    assert await ratelimit.take(services.redis, "t", "u2", limits, now=now + 3) == 0.0
    # After the window, the budget is back.
    assert await ratelimit.take(services.redis, "t", "u1", limits, now=now + 61) == 0.0


async def test_two_windows_both_apply(services: Services) -> None:
    limits = [(30, 60.0), (1000, 3600.0)]
    now = 2_000_000.0
    for i in range(30):
        assert await ratelimit.take(services.redis, "w", "m", limits, now=now + i * 0.1) == 0.0
    wait = await ratelimit.take(services.redis, "w", "m", limits, now=now + 5)
    assert 54.9 < wait <= 55.0


async def test_token_is_fetched_once_by_concurrent_callers(services: Services) -> None:
    calls = 0

    async def fetch() -> tuple[str, int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return f"tok{calls}", 7200

    got = await asyncio.gather(*[tokens.get_token(services.redis, "app", fetch) for _ in range(10)])
    assert set(got) == {"tok1"}
    assert calls == 1
    ttl = await services.redis.ttl(tokens.token_key("app"))
    assert 6800 <= ttl <= 6900


async def test_invalidate_only_removes_the_rejected_token(services: Services) -> None:
    async def fetch() -> tuple[str, int]:
        return "fresh", 7200

    await services.redis.set(tokens.token_key("app"), "old")
    await tokens.invalidate(services.redis, "app", "stale-other")
    assert await tokens.get_token(services.redis, "app", fetch) == "old"
    await tokens.invalidate(services.redis, "app", "old")
    assert await tokens.get_token(services.redis, "app", fetch) == "fresh"
