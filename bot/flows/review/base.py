"""What every part of review shares: deployment options, the unit of work, errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.config import ReviewOptions
from bot.core.emit import Emitter
from bot.core.services import Services
from bot.policy.model import Policy
from bot.timekeeping.explain import format_time

STEP_HANDLER = "review"
ACTION = "review"

AuditFn = Callable[[str, str, str | int, dict[str, Any]], Awaitable[None]]


def options(services: Services) -> ReviewOptions:
    return services.review


@dataclass
class Work:
    """What every transition needs: the transaction, the emitter, the time, how to audit."""

    services: Services
    conn: BaseDBAsyncClient
    emit: Emitter
    now: datetime
    audit: AuditFn

    @property
    def policy(self) -> Policy:
        return self.services.timekeeping.policy

    def when(self, at: datetime | None) -> str:
        return format_time(at, self.services.tz, reference=self.now) if at else ""


class ReviewError(Exception):
    """A transition that cannot happen; the message (Chinese) says why and what to do."""


class AlreadyDecided(ReviewError):
    """A duplicate or late tap: nothing to record, the card shows what happened."""


# The author's card is not re-rendered on progress: on WeCom an update without the tap's
# ResponseCode is a new message, and the author already gets one message per decision.
AUTHOR_CARD_KIND = "review.author"
