"""Platform access tokens cached in Redis, refreshed by one process at a time (single flight).

Every web and worker process shares the cache, so a refresh storm (many processes fetching at
once, which WeCom punishes with a block) cannot happen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from bot.constants import KEY_PREFIX

# Refresh this long before the platform says the token expires.
EARLY_REFRESH_SECONDS = 300

_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

Fetch = Callable[[], Awaitable[tuple[str, int]]]


def token_key(name: str) -> str:
    return f"{KEY_PREFIX}token:{name}"


async def get_token(redis: Redis, name: str, fetch: Fetch) -> str:
    """The cached token, or a fresh one fetched under a cross-process lock."""
    key = token_key(name)
    cached = await redis.get(key)
    if cached:
        return cached.decode() if isinstance(cached, bytes) else str(cached)
    async with redis.lock(key + ":lock", timeout=30, blocking_timeout=35):
        cached = await redis.get(key)  # someone else may have refreshed while we waited
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        token, expires_in = await fetch()
        ttl = max(60, int(expires_in) - EARLY_REFRESH_SECONDS)
        await redis.set(key, token, ex=ttl)
        return token


async def invalidate(redis: Redis, name: str, bad_token: str) -> None:
    """Forget a token the platform rejected — unless another process already replaced it."""
    await redis.eval(_DELETE_IF_EQUAL, 1, token_key(name), bad_token)  # type: ignore[misc]  # redis-py types eval() for sync and async clients at once
