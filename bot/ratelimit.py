"""Shared rate budgets in Redis, so every process together respects a platform's limits.

WeCom drops messages over 30/min or 1000/h per member silently; the outbox must wait instead.
A budget is a list of (limit, window seconds). ``take`` either records one use and returns 0,
or records nothing and returns how many seconds to wait. Platform limits are wall-clock time,
so this uses real time, not the (possibly shifted) demo clock.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from redis.asyncio import Redis

from bot.constants import KEY_PREFIX

# Sliding log per window: drop entries older than the window, count, admit if under the limit.
_TAKE = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local wait = 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 + 2 * i - 1])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local until_free = tonumber(oldest[2]) + window - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then return tostring(wait) end
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('EXPIRE', KEYS[i], math.ceil(window) + 1)
end
return '0'
"""


def budget_key(name: str, subject: str, window: float) -> str:
    return f"{KEY_PREFIX}rate:{name}:{subject}:{int(window)}"


async def take(
    redis: Redis,
    name: str,
    subject: str,
    limits: Sequence[tuple[int, float]],
    now: float | None = None,
) -> float:
    """Use one unit of ``subject``'s budget; 0 when admitted, else seconds to wait."""
    if not limits:
        return 0.0
    keys = [budget_key(name, subject, window) for _, window in limits]
    args: list[str] = [repr(now if now is not None else time.time()), uuid.uuid4().hex]
    for limit, window in limits:
        args += [str(limit), repr(float(window))]
    result = await redis.eval(_TAKE, len(keys), *keys, *args)  # type: ignore[misc]  # redis-py types eval() for sync and async clients at once
    return float(result)
