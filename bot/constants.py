"""Every Redis key, TTL and job-id format in one place (the arq habit)."""

from __future__ import annotations

KEY_PREFIX = "dutybot:"
ARQ_QUEUE = "dutybot:queue"

# Outbox: one delivery loop per target at a time.
OUTBOX_LOCK = KEY_PREFIX + "outbox-lock:{target}"
OUTBOX_JOB_ID = "outbox:{row_id}"

# Inbound sweeper: a delivery recorded but not processed (the process died) is retried after this.
INBOUND_STUCK_SECONDS = 30
# Inbound dedupe rows are kept this long; WeCom retries within seconds, Feishu for up to ~7 h.
INBOUND_RETENTION_DAYS = 14

# How often the reconciler crons run (seconds within each minute).
SWEEP_SECONDS = frozenset(range(0, 60, 5))


INBOUND_JOB_ID = "inbound:{inbound_id}"


def inbound_job_id(inbound_id: int) -> str:
    return INBOUND_JOB_ID.format(inbound_id=inbound_id)


def outbox_lock_key(target: str) -> str:
    return OUTBOX_LOCK.format(target=target)


def outbox_job_id(row_id: int) -> str:
    return OUTBOX_JOB_ID.format(row_id=row_id)


# Deadline engine: one deferred job per planned step and fencing token (a retried enqueue of
# the same step is a no-op while the job waits; a new token makes a new job).
DEADLINE_JOB_ID = "deadline:{step_id}:{token}"


def deadline_job_id(step_id: int, token: int) -> str:
    return DEADLINE_JOB_ID.format(step_id=step_id, token=token)
