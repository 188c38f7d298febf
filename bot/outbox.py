"""Deliver outbox rows: claimed with a lease, sent outside any transaction, retried with backoff.

Rows for one target (a person on a platform, a chat on a platform) are delivered strictly in
order, one at a time, under a Redis lock: a prompt never arrives after the card it introduces,
and a rate-limited person's later messages wait behind the first instead of overtaking it.

A failing row is retried with doubling backoff (2 s up to 10 min, jittered) for at least
``RETRY_BUDGET`` (24 h) from its first failure, so a platform outage of hours loses nothing.
A row given up (a permanent error, or the budget spent) is never dropped silently: the admins
are told in chat (``notify_given_up``) and ``dutybot doctor`` / ``dutybot outbox list`` show it;
``retry`` puts it back in the queue.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from bot import metrics
from bot.constants import outbox_lock_key
from bot.core.channels import DeliveryError, RateLimited
from bot.core.emit import Emitter
from bot.core.outgoing import Message, OutboxPayload
from bot.core.services import Services
from storage import audit
from storage.enums import OutboxStatus, Platform, Role
from storage.models.machinery import CardDelivery, OutboxMessage, SystemState
from storage.models.org import Person, PersonRole

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 600.0
# How long a row keeps being retried after its first failure before it is given up.
RETRY_BUDGET = timedelta(hours=24)
# Admins get at most one chat notice about given-up rows in this interval (a long outage
# gives up many rows at once: one summary, not a flood).
NOTICE_EVERY = timedelta(minutes=10)
NOTICE_KEY_PREFIX = "outbox-given-up"
NOTICE_STATE = "outbox_given_up_noticed_at"
OUTBOX_ACTOR = audit.Actor.system("消息发送")
PLATFORM_LABELS = {
    "console": "控制台",
    "wecom": "企业微信",
    "feishu": "飞书",
    "wecom_bot": "企业微信智能机器人",
}


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """2, 4, 8 … seconds capped at ten minutes, with "equal jitter": between half and all of it.

    The jitter spreads the retries of many rows that failed together (a platform outage), so
    they do not all hit the platform in the same second when it comes back.
    """
    full = float(min(MAX_BACKOFF_SECONDS, 2 ** max(1, attempts)))
    return full / 2 + (rng or random).uniform(0, full / 2)


def retry_delay(attempts: int, hint: float | None) -> float:
    """The wait before the next attempt: the backoff, but never less than the platform asked.

    The channels' hints (a Retry-After header, a fixed wait for a network error) are a floor,
    not the answer: a fixed wait would retry a dead platform every 15 s and spend any
    attempt-based budget in minutes.
    """
    return max(hint or 0.0, backoff_seconds(attempts))


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
        await _give_up(services, row, "平台未启用，无法发送", now)
        return False
    payload = OutboxPayload.model_validate(row.payload)
    try:
        result = await channel.deliver(row, payload)
    except RateLimited as exc:
        await _postpone(row, now, exc.retry_after or 60.0, str(exc), counts=False)
        metrics.OUTBOX_RATE_LIMITED.inc(row.platform)
        return False
    except DeliveryError as exc:
        await _failed_attempt(services, row, now, str(exc), exc.retry_after, exc.permanent)
        return False
    except Exception as exc:  # a bug or an unexpected network failure: retry, never lose
        log.exception("delivering outbox row %s failed", row.id)
        await _failed_attempt(services, row, now, f"{type(exc).__name__}: {exc}", None, False)
        return False
    sent_at = services.clock.now()
    message = payload.message if payload.kind == "message" else None
    new_card = message.card.card_id if message is not None and message.card is not None else None
    sent = {
        "status": OutboxStatus.SENT,
        "sent_at": sent_at,
        "lease_until": None,
        "external_id": result.external_id,
        "last_error": "",
        "failing_since": None,
    }
    if new_card is None:
        # One statement: no transaction to open and commit around it.
        await OutboxMessage.filter(id=row.id).update(**sent)
    else:
        async with in_transaction() as conn:
            await OutboxMessage.filter(id=row.id).using_db(conn).update(**sent)
            await CardDelivery.create(
                using_db=conn,
                card_id=new_card,
                platform=row.platform,
                target_kind=row.target_kind,
                target_id=row.target_id,
                external_id=result.external_id,
                update_token=result.update_token,
                created_at=sent_at,
            )
    metrics.OUTBOX_SENT.inc(row.platform)
    if row.failing_since is not None:
        await _platform_is_back(row.platform, sent_at)
    return True


async def _platform_is_back(platform: str, now: datetime) -> None:
    """A row that had been failing got through: the platform is back.

    The other rows of that platform that are waiting out their backoff (up to ten minutes
    after a long outage) become due now, so the backlog goes out within seconds of the
    platform's return rather than over the next ten minutes. The sweeper takes them in
    order per person and under the rate budgets, so they do not all hit the platform at
    once; a row whose own trouble remains fails again and backs off further.
    """
    moved = await OutboxMessage.filter(
        platform=platform,
        status=OutboxStatus.PENDING,
        failing_since__isnull=False,
        next_attempt_at__gt=now,
    ).update(next_attempt_at=now)
    if moved:
        log.info("%s delivers again; %d waiting rows are due now", platform, moved)


async def _failed_attempt(
    services: Services,
    row: OutboxMessage,
    now: datetime,
    error: str,
    hint: float | None,
    permanent: bool,
) -> None:
    """Retry later, or give up: on a permanent error, or once the budget is spent."""
    since = row.failing_since or now
    if permanent or now - since >= RETRY_BUDGET:
        await _give_up(services, row, error, now)
        return
    if row.failing_since is None:
        log.warning("outbox row %s failed, will retry: %s", row.id, error)
    await _postpone(row, now, retry_delay(row.attempts, hint), error, failing_since=since)


async def _postpone(
    row: OutboxMessage,
    now: datetime,
    seconds: float,
    error: str,
    counts: bool = True,
    failing_since: datetime | None = None,
) -> None:
    # A rate-limit wait is not a failed attempt: it must not use up the retry budget.
    attempts = row.attempts if counts else max(0, row.attempts - 1)
    await OutboxMessage.filter(id=row.id).update(
        status=OutboxStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=seconds),
        lease_until=None,
        attempts=attempts,
        last_error=error[:2000],
        failing_since=failing_since if counts else row.failing_since,
    )


async def _give_up(services: Services, row: OutboxMessage, error: str, now: datetime) -> None:
    log.error("outbox row %s given up: %s", row.id, error)
    await OutboxMessage.filter(id=row.id).update(
        status=OutboxStatus.FAILED, lease_until=None, last_error=error[:2000], given_up_at=now
    )
    metrics.OUTBOX_FAILED.inc(row.platform)
    try:
        await notify_given_up(services)
    except Exception:  # the sweeper tries again; the row is already visible to doctor
        log.exception("could not tell the admins about given-up outbox rows")


# ---- given-up rows: tell the admins, list, retry --------------------------------------------


def is_notice(row: OutboxMessage) -> bool:
    """A notice about given-up rows: never itself the subject of another notice (no loop)."""
    return row.idempotency_key.startswith(NOTICE_KEY_PREFIX + ":")


def preview(row: OutboxMessage, width: int = 40) -> str:
    """A one-line description of what the row was to say."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    message = payload.get("message") or {}
    text = str(message.get("text") or "")
    if payload.get("kind") == "card_update":
        # A new rendering of a card already sent: the card is the payload's, not a message's.
        card = payload.get("card") or {}
        if isinstance(card, dict):
            text = "卡片更新：" + str(card.get("title") or "")
    card = message.get("card") or {}
    if not text and isinstance(card, dict):
        text = "卡片：" + str(card.get("title") or "")
    if not text:
        text = str(payload.get("kind") or "消息")
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


async def target_label(row: OutboxMessage) -> str:
    platform = PLATFORM_LABELS.get(row.platform, row.platform)
    if row.target_kind == "person":
        person = await Person.filter(id=row.target_id).first()
        who = person.name if person is not None else f"人员 {row.target_id}"
    elif row.target_kind == "chat":
        who = f"群 {row.target_id}"
    else:
        who = "未登记的用户"
    return f"{who}（{platform}）"


def notice_text(lines: list[str], more: int) -> str:
    head = f"【消息未送达】有 {len(lines) + more} 条消息多次重试后仍发送失败，已停止重试："
    tail = [f"另有 {more} 条未列出。"] if more else []
    return "\n".join(
        [
            head,
            *lines,
            *tail,
            "请运维人员运行 dutybot outbox list --failed 查看原因，"
            "处理后用 dutybot outbox retry 重新发送（dutybot doctor 也会显示）。",
        ]
    )


def _unnoticed(covered: object = None) -> QuerySet[OutboxMessage]:
    """Given-up rows no notice has covered yet (notices about notices excluded)."""
    query = OutboxMessage.filter(status=OutboxStatus.FAILED, given_up_at__isnull=False).exclude(
        idempotency_key__startswith=NOTICE_KEY_PREFIX + ":"
    )
    if covered:
        query = query.filter(given_up_at__gt=datetime.fromisoformat(str(covered)))
    return query


async def _covered_until() -> object:
    state = await SystemState.filter(key=NOTICE_STATE).first()
    value = state.value if state is not None and isinstance(state.value, dict) else {}
    return value.get("covered_until")


async def notify_given_up(services: Services) -> int:
    """Tell the admins in chat about rows given up since the last notice (at most one notice
    per ``NOTICE_EVERY``; the sweeper calls this too, so a held-back one is sent later).

    Returns the number of rows the notice covered (0 when nothing was sent).
    """
    now = services.clock.now()
    if not await _unnoticed(await _covered_until()).exists():
        return 0  # the sweeper asks every few seconds: answer that without any lock
    outbox_ids: list[int] = []
    async with in_transaction() as conn:
        # Serialise with other workers doing the same (the audit log's own lock).
        await audit.lock_chain(conn)
        state = await SystemState.filter(key=NOTICE_STATE).using_db(conn).first()
        value = state.value if state is not None and isinstance(state.value, dict) else {}
        noticed = value.get("noticed_at")
        if noticed and now - datetime.fromisoformat(str(noticed)) < NOTICE_EVERY:
            return 0
        query = _unnoticed(value.get("covered_until")).using_db(conn)
        rows = await query.order_by("id").limit(1000)
        if not rows:
            return 0
        shown = rows[:5]
        lines = [
            f"· #{r.id} 发给 {await target_label(r)}：{preview(r)}（{r.last_error[:80]}）"
            for r in shown
        ]
        text = notice_text(lines, len(rows) - len(shown))
        admin_ids = sorted(
            {
                int(str(p))
                for p in await PersonRole.filter(role=Role.ADMIN, person__active=True)
                .using_db(conn)
                .values_list("person_id", flat=True)
            }
        )
        emitter = Emitter(
            services, conn, key_prefix=f"{NOTICE_KEY_PREFIX}:{now.isoformat()}", now=now
        )
        failed_platforms = {r.platform for r in rows}
        for person_id in admin_ids:
            # Prefer a platform that is not the one failing, when the admin has one.
            platforms = await emitter.person_platforms(person_id)
            working = [p for p in platforms if p.value not in failed_platforms]
            await emitter.to_person(person_id, Message(text=text), working[0] if working else None)
        await audit.record(
            conn,
            actor=OUTBOX_ACTOR,
            action="outbox.given_up_notified",
            subject_type="outbox",
            subject_id=str(rows[0].id),
            at=now,
            detail={"rows": [r.id for r in rows], "admins": admin_ids},
        )
        until = max(r.given_up_at for r in rows if r.given_up_at is not None)
        await SystemState.update_or_create(
            key=NOTICE_STATE,
            defaults={
                "value": {"noticed_at": now.isoformat(), "covered_until": until.isoformat()},
                "updated_at": now,
            },
            using_db=conn,
        )
        outbox_ids = emitter.outbox_ids
    if not admin_ids:
        log.error("outbox rows given up and no admin to tell: %s", [r.id for r in rows])
    if outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(outbox_ids)
    return len(rows)


async def retry(row_ids: list[int] | None) -> int:
    """Put given-up rows (all when ``row_ids`` is None) back in the queue with a fresh budget.

    They are due at once: ``next_attempt_at`` goes back to when the row was written, which is
    in the past for every process's clock (the operator's shell may not share the demo clock).
    """
    query = OutboxMessage.filter(status=OutboxStatus.FAILED)
    if row_ids is not None:
        query = query.filter(id__in=row_ids)
    return await query.update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=F("created_at"),
        lease_until=None,
        failing_since=None,
        given_up_at=None,
    )


# Rows of one target read per query by ``deliver_target`` (most targets have one or two).
TARGET_BATCH = 20


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
            heads = (
                await OutboxMessage.filter(
                    platform=target.platform,
                    target_kind=target.kind,
                    target_id=target.id,
                    status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING],
                )
                .order_by("id")
                .limit(TARGET_BATCH)
                .values_list("id", flat=True)
            )
            for head in heads:
                if not await deliver_row(services, int(str(head))):
                    return sent
                sent += 1
            if len(heads) < TARGET_BATCH:
                # Rows written after the query above are kicked when their transaction
                # commits; finding this target busy, that job retries and delivers them.
                break
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
    # A notice held back by NOTICE_EVERY (or whose writing failed) goes out now.
    await notify_given_up(services)
    return total


async def targets_for(row_ids: list[int]) -> list[Target]:
    rows = await OutboxMessage.filter(id__in=row_ids).order_by("id")
    seen: dict[str, Target] = {}
    for row in rows:
        t = target_of(row)
        seen.setdefault(t.key, t)
    return list(seen.values())
