"""Worker liveness: each worker process writes a heartbeat row every few seconds (and touches a
file for its container's health check); /healthz and ``dutybot doctor`` read the rows.

The row lives in the database, not Redis, so a worker riding out a Redis outage can still say
"alive, but Redis is unreachable" — which is exactly what an operator needs to read then.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from storage.models.machinery import WorkerHeartbeat

BEAT_SECONDS = 10.0
# A worker that has not beaten for this long is taken for dead (several missed beats, so a
# slow database write or a GC pause does not flap the health check).
STALE_AFTER = timedelta(seconds=60)
# Rows of workers gone for this long are deleted (a restarted container gets a new row).
FORGET_AFTER = timedelta(days=1)
FILE_PREFIX = "worker-heartbeat."


def file_name() -> str:
    """Per host: worker containers may share one DUTYBOT_HOME volume, and each health check
    must read its own worker's beat (a container's host name is its own)."""
    return FILE_PREFIX + socket.gethostname()


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Beat:
    worker_id: str
    started_at: datetime
    redis_ok: bool = True
    note: str = ""


async def write(beat: Beat, now: datetime, home: Path | None = None) -> None:
    """Record that this worker is alive now; forget long-gone workers."""
    if home is not None:
        touch_file(home)
    await WorkerHeartbeat.update_or_create(
        id=beat.worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": beat.started_at,
            "beat_at": now,
            "redis_ok": beat.redis_ok,
            "note": beat.note[:2000],
        },
    )
    await WorkerHeartbeat.filter(beat_at__lt=now - FORGET_AFTER).delete()


async def remove(worker_id: str) -> None:
    """A clean shutdown: this worker is not alive any more (not merely late)."""
    await WorkerHeartbeat.filter(id=worker_id).delete()


async def workers(now: datetime) -> tuple[list[WorkerHeartbeat], list[WorkerHeartbeat]]:
    """(alive, stale) workers, newest beat first."""
    rows = await WorkerHeartbeat.all().order_by("-beat_at")
    alive = [r for r in rows if now - r.beat_at <= STALE_AFTER]
    stale = [r for r in rows if now - r.beat_at > STALE_AFTER]
    return alive, stale


def touch_file(home: Path) -> None:
    """The container health check reads this file's age (no database or Redis needed)."""
    path = home / file_name()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time():.0f}\n", encoding="ascii")


def file_age_seconds(home: Path) -> float | None:
    """Seconds since this host's worker last beat, or None when it never did."""
    try:
        return time.time() - (home / file_name()).stat().st_mtime
    except FileNotFoundError:
        return None
