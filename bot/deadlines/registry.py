"""Step handlers by name, and what a handler gets when a step fires.

A handler runs inside the firing transaction: what it writes (state, audit entries, outbox
rows through ``ctx.emit``) commits together with marking the step fired, or not at all.
It must not await platform calls (the outbox delivers after commit).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.emit import Emitter
from bot.core.services import Services
from bot.core.work import Work
from bot.deadlines import present
from storage import audit
from storage.models.deadlines import Deadline, DeadlineStep

# The engine's own step handlers; each flow registers its own when imported (its ``steps``
# module), which the composition root does for every flow (``bot.handlers.load_all``).
HANDLER_MODULES: list[str] = ["bot.deadlines.builtin"]

SYSTEM_ACTOR = audit.Actor.system("期限提醒")


class StepContext(Work):
    """One firing as a unit of work: the locked deadline and the step, acting as the system."""

    def __init__(
        self,
        *,
        services: Services,
        conn: BaseDBAsyncClient,
        now: datetime,
        deadline: Deadline,
        step: DeadlineStep,
        emit: Emitter,
    ) -> None:
        super().__init__(services=services, conn=conn, now=now, emit=emit, by=SYSTEM_ACTOR)
        self.deadline = deadline
        self.step = step

    @property
    def name(self) -> str:
        """The step's name in the schedule ("half", "due", "overdue", …)."""
        return self.step.name

    @property
    def repeat(self) -> int:
        """0 for the first firing of a step, n for its n-th repetition."""
        return self.step.repeat

    @property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = self.deadline.data or {}
        return value

    @property
    def overdue(self) -> bool:
        return self.now > self.deadline.due_at

    @property
    def late_by(self) -> timedelta:
        """How long after its planned time the step fired (after an outage, it can be long)."""
        return self.now - self.step.fire_at

    def text(self) -> present.DeadlineText:
        return present.describe(self.deadline, self.now, self.services.tz)

    async def audit_step(
        self,
        action: str,
        detail: dict[str, Any] | None = None,
        *,
        subject_type: str | None = None,
        subject_id: str | int | None = None,
    ) -> None:
        """An audit entry about the deadline's subject (unless told otherwise), naming the
        deadline and the step."""
        await self.audit(
            action,
            subject_type or self.deadline.subject_type,
            subject_id if subject_id is not None else self.deadline.subject_id,
            {"deadline": self.deadline.id, "step": self.name, **(detail or {})},
        )


StepHandler = Callable[[StepContext], Awaitable[None]]

_HANDLERS: dict[str, StepHandler] = {}


def step_handler(name: str) -> Callable[[StepHandler], StepHandler]:
    """Register the function that runs when a step of a deadline with ``handler=name`` fires."""

    def register(handler: StepHandler) -> StepHandler:
        existing = _HANDLERS.get(name)
        if existing is not None and existing is not handler:
            raise ValueError(f"step handler {name!r} registered twice")
        _HANDLERS[name] = handler
        return handler

    return register


def get_handler(name: str) -> StepHandler | None:
    return _HANDLERS.get(name)


def ensure_loaded() -> None:
    """Import the engine's own step handlers (flows register theirs on import)."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
