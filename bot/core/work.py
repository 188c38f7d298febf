"""The unit of work every transition takes, what a transition returns, and how it refuses.

A person's tap (``HandlerContext``) and a timer's firing (``StepContext``) are both a ``Work``:
one transaction, its time, who acts (as the audit log names them) and an emitter whose outbox
rows commit with the state. So a transition such as "the rectification goes overdue" or "the
alert escalates" is one function, whoever or whatever moved it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Card
from bot.core.emit import Emitter
from bot.core.services import Services
from bot.policy.model import Policy
from bot.timekeeping.explain import format_time
from storage import audit

ToastKind = Literal["info", "success", "warning", "error"]


class Work:
    """One transaction, its ``now``, who acts, and ways to speak (through the outbox)."""

    def __init__(
        self,
        *,
        services: Services,
        conn: BaseDBAsyncClient,
        now: datetime,
        emit: Emitter,
        by: audit.Actor,
    ) -> None:
        self.services = services
        self.conn = conn
        self.now = now
        self.emit = emit
        # Who the audit log names for what this unit of work writes.
        self.by = by

    @classmethod
    def system(
        cls,
        services: Services,
        conn: BaseDBAsyncClient,
        *,
        now: datetime,
        key_prefix: str,
        label: str,
    ) -> Work:
        """Work nobody tapped for (a cron, a monitoring system's request): the audit log names
        the system part by ``label``; ``key_prefix`` makes its outbox rows' keys."""
        return cls(
            services=services,
            conn=conn,
            now=now,
            emit=Emitter(services, conn, key_prefix=key_prefix, now=now),
            by=audit.Actor.system(label),
        )

    @property
    def policy(self) -> Policy:
        return self.services.timekeeping.policy

    @property
    def tz(self) -> ZoneInfo:
        return self.services.tz

    def when(self, at: datetime | None) -> str:
        """A time as people read it, relative to now ("今天 10:30", "10月9日 10:30")."""
        return format_time(at, self.services.tz, reference=self.now) if at else ""

    async def audit(
        self,
        action: str,
        subject_type: str,
        subject_id: str | int,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """An audit entry by ``by``, in this transaction."""
        await audit.record(
            self.conn,
            actor=self.by,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            at=self.now,
            detail=detail,
        )


@dataclass(frozen=True)
class Outcome:
    """What a transition tells the person who caused it: a toast, and the tapped card's new
    rendering (platforms that update a card in the tap's answer show it at once)."""

    toast: str = ""
    kind: ToastKind = "success"
    card: Card | None = None


class FlowError(Exception):
    """A transition that cannot happen; the message (Chinese) says why and what to do.

    Each flow raises its own subclass; handlers turn it into a toast (taps) or a reply.
    ``kind`` is how the toast looks: a stale or duplicate tap is ``info``, a refusal ``warning``.
    """

    kind: ToastKind = "warning"

    def __init__(self, message: str, *, kind: ToastKind | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
