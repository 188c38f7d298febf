"""The pre-fill measurement bench/duty.py calls works on a seeded team."""

from __future__ import annotations

from bench.duty_handover import measure_prefill, seed_notes
from bot.core.services import Services
from tests.duty.support import make_team


async def test_measure_prefill(services: Services, demo_org: None) -> None:
    team = await make_team(services)
    now = services.clock.now()
    assert await seed_notes([team.id], per_team=3, now=now) == 3
    figures = await measure_prefill([team.id], now=now, tz=services.tz, samples=20)
    assert figures["samples"] == 20
    assert figures["items_mean"] == 3
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]
