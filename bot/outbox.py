"""Deliver outbox rows: claimed with a lease, sent outside any transaction, retried with backoff.

Rows for one target (a person on a platform, a chat on a platform) are delivered strictly in
order, one at a time, under a Redis lock: a prompt never arrives after the card it introduces,
and a rate-limited person's later messages wait behind the first instead of overtaking it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from bot import metrics
from bot.constants import outbox_lock_key
from bot.core.channels import DeliveryError, RateLimited
from bot.core.outgoing import OutboxPayload
from bot.core.services import Services
from storage.enums import OutboxStatus, Platform
from storage.models.machinery import CardDelivery, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 600.0


def backoff_seconds(attempts: int) -> float:
    """2, 4, 8 … seconds, capped at ten minutes."""
    return float(min(MAX_BACKOFF_SECONDS, 2 ** max(1, attempts)))


@dataclass(frozen=True)
class Target:
    platform: str
    kind: str
    id: int

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.kind}:{self.id}"


def target_of(row: OutboxMessage) -> Target:
    return Target(row.platform, row.target_kind, row.target_id)


async def _claim(row_id: int, now: datetime) -> OutboxMessage | None:
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    lease_expired = Q(status=OutboxStatus.SENDING, lease_until__lt=now)
    claimed = await OutboxMessage.filter(Q(id=row_id) & (due | lease_expired)).update(
        status=OutboxStatus.SENDING,
        lease_until=now + LEASE,
        attempts=F("attempts") + 1,
    )
    if claimed != 1:
        return None
    return await OutboxMessage.get(id=row_id)


async def deliver_row(services: Services, row_id: int) -> bool:
    """Try to deliver one row now. True when it is sent (or was already)."""
    now = services.clock.now()
    row = await _claim(row_id, now)
    if row is None:
        current = await OutboxMessage.filter(id=row_id).first()
        return current is not None and current.status == OutboxStatus.SENT
    channel = services.channels.get(Platform(row.platform))
    if channel is None:
        await _fail(row, "平台未启用，无法发送", now)
        return False
    payload = OutboxPayload.model_validate(row.payload)
    try:
        result = await channel.deliver(row, payload)
    except RateLimited as exc:
        await _postpone(row, now, exc.retry_after or 60.0, str(exc), counts=False)
        metrics.OUTBOX_RATE_LIMITED.inc(row.platform)
        return False
    except DeliveryError as exc:
        if exc.permanent or row.attempts >= MAX_ATTEMPTS:
            await _fail(row, str(exc), now)
        else:
            await _postpone(row, now, exc.retry_after or backoff_seconds(row.attempts), str(exc))
        return False
    except Exception as exc:  # a bug or an unexpected network failure: retry, never lose
        log.exception("delivering outbox row %s failed", row.id)
        if row.attempts >= MAX_ATTEMPTS:
            await _fail(row, f"{type(exc).__name__}: {exc}", now)
        else:
            await _postpone(row, now, backoff_seconds(row.attempts), f"{type(exc).__name__}: {exc}")
        return False
    sent_at = services.clock.now()
    async with in_transaction() as conn:
        await (
            OutboxMessage.filter(id=row.id)
            .using_db(conn)
            .update(
                status=OutboxStatus.SENT,
                sent_at=sent_at,
                lease_until=None,
                external_id=result.external_id,
                last_error="",
            )
        )
        message = payload.message
        if payload.kind == "message" and message is not None and message.card is not None:
            card_id = message.card.card_id
            if card_id is not None:
                await CardDelivery.create(
                    using_db=conn,
                    card_id=card_id,
                    platform=row.platform,
                    target_kind=row.target_kind,
                    target_id=row.target_id,
                    external_id=result.external_id,
                    update_token=result.update_token,
                    created_at=sent_at,
                )
    metrics.OUTBOX_SENT.inc(row.platform)
    return True


async def _postpone(
    row: OutboxMessage, now: datetime, seconds: float, error: str, counts: bool = True
) -> None:
    # A rate-limit wait is not a failed attempt: it must not use up the retry budget.
    attempts = row.attempts if counts else max(0, row.attempts - 1)
    await OutboxMessage.filter(id=row.id).update(
        status=OutboxStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=seconds),
        lease_until=None,
        attempts=attempts,
        last_error=error[:2000],
    )


async def _fail(row: OutboxMessage, error: str, now: datetime) -> None:
    log.error("outbox row %s failed for good: %s", row.id, error)
    await OutboxMessage.filter(id=row.id).update(
        status=OutboxStatus.FAILED, lease_until=None, last_error=error[:2000]
    )
    metrics.OUTBOX_FAILED.inc(row.platform)


class TargetBusy(Exception):
    """Another delivery loop holds this target; it will take our rows, or we try again."""


async def deliver_target(services: Services, target: Target) -> int:
    """Deliver a target's due rows in order; stop at the first that cannot go yet.

    Raises ``TargetBusy`` at once instead of waiting when another loop holds the target, so
    no worker slot sits idle behind a slow platform call (the job retries shortly).
    """
    lock = services.redis.lock(outbox_lock_key(target.key), timeout=120)
    if not await lock.acquire(blocking=False):
        raise TargetBusy(target.key)
    sent = 0
    try:
        while True:
            head = (
                await OutboxMessage.filter(
                    platform=target.platform,
                    target_kind=target.kind,
                    target_id=target.id,
                    status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING],
                )
                .order_by("id")
                .first()
            )
            if head is None:
                break
            if not await deliver_row(services, head.id):
                break
            sent += 1
    finally:
        try:
            await lock.release()
        except Exception:  # the lock may have expired during a very slow delivery
            log.warning("outbox lock for %s was lost before release", target.key)
    return sent


async def due_targets(now: datetime, limit: int = 500) -> list[Target]:
    """Targets with a row that can be attempted now (pending and due, or a stale lease)."""
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    stale = Q(status=OutboxStatus.SENDING, lease_until__lt=now)
    rows = (
        await OutboxMessage.filter(due | stale)
        .order_by("id")
        .limit(limit)
        .values_list("platform", "target_kind", "target_id")
    )
    seen: dict[str, Target] = {}
    for platform, kind, target_id in rows:
        t = Target(str(platform), str(kind), int(str(target_id)))
        seen.setdefault(t.key, t)
    return list(seen.values())


async def drain(services: Services) -> int:
    """Deliver everything due now (the sweeper's work, also used by tests)."""
    total = 0
    for target in await due_targets(services.clock.now()):
        try:
            total += await deliver_target(services, target)
        except TargetBusy:
            continue  # being delivered right now by another loop
    return total


async def targets_for(row_ids: list[int]) -> list[Target]:
    rows = await OutboxMessage.filter(id__in=row_ids).order_by("id")
    seen: dict[str, Target] = {}
    for row in rows:
        t = target_of(row)
        seen.setdefault(t.key, t)
    return list(seen.values())
