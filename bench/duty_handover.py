"""The handover pre-fill query, for ``bench/duty.py`` (which seeds the teams, shifts and
alerts): how long gathering what a handover hands over takes for one team.

``measure_prefill`` times ``records.handover.open_items`` (every source: open rectification
notices of the team's scope, the shift's notes, and the alerts and patrols once that area
adds its sources) for teams of an already seeded database, one transaction per call as the
``prepare`` step runs it. ``seed_notes`` adds notes so the note source has rows to read.

    from bench.duty_handover import measure_prefill, seed_notes
    await seed_notes(team_ids, per_team=5, now=now)
    figures = await measure_prefill(team_ids, now=now, tz=tz, samples=500)
    # {"samples": 500, "p50_ms": …, "p95_ms": …, "max_ms": …, "items_mean": …}
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from bot.flows.duty.records.handover import open_items
from storage.models.duty import DutyShift, DutyTeam
from storage.models.duty_handover import DutyNote


async def seed_notes(team_ids: Sequence[int], *, per_team: int, now: datetime) -> int:
    """``per_team`` notes not yet handed over for each team, by its current officer."""
    rows = []
    for team_id in team_ids:
        shift = (
            await DutyShift.filter(team_id=team_id, starts_at__lte=now)
            .order_by("-starts_at")
            .first()
        )
        if shift is None:
            continue
        rows += [
            DutyNote(
                team_id=team_id,
                person_id=shift.person_id,
                text=f"记录 {n}：某账号留言待回复",
                created_at=now - timedelta(minutes=n),
            )
            for n in range(per_team)
        ]
    await DutyNote.bulk_create(rows, batch_size=1000)
    return len(rows)


async def measure_prefill(
    team_ids: Sequence[int], *, now: datetime, tz: ZoneInfo, samples: int = 500
) -> dict[str, float]:
    """Latency of the pre-fill for ``samples`` calls spread over the teams."""
    teams = await DutyTeam.filter(id__in=list(team_ids)).order_by("id")
    if not teams:
        raise ValueError("no duty teams to measure")
    took: list[float] = []
    items: list[int] = []
    since = now - timedelta(hours=12)
    for n in range(samples):
        team = teams[n % len(teams)]
        started = time.perf_counter()
        async with in_transaction() as conn:
            found = await open_items(conn, team, since, now, tz)
        took.append((time.perf_counter() - started) * 1000)
        items.append(len(found))
    ordered = sorted(took)
    return {
        "samples": float(samples),
        "p50_ms": round(_percentile(ordered, 0.50), 2),
        "p95_ms": round(_percentile(ordered, 0.95), 2),
        "max_ms": round(ordered[-1], 2),
        "items_mean": round(statistics.fmean(items), 1),
    }


def _percentile(ordered: list[float], q: float) -> float:
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]
