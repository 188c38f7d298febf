"""What every part of review shares: deployment options, the unit of work, errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict
from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.emit import Emitter
from bot.policy.model import Policy
from bot.services import Services
from bot.timekeeping.explain import format_time
from bot.timekeeping.runtime import timekeeping

STEP_HANDLER = "review"
ACTION = "review"

AuditFn = Callable[[str, str, str | int, dict[str, Any]], Awaitable[None]]


class ReviewOptions(BaseSettings):
    """What a deployment may change about review (``DUTYBOT_REVIEW_*``); see docs/decisions."""

    model_config = SettingsConfigDict(env_prefix="DUTYBOT_REVIEW_", extra="ignore")

    # Small units with too few leaders may let one person approve two levels of one post.
    allow_same_person: bool = False
    # The author may 催办 once per this many minutes.
    urge_interval_minutes: int = 60
    # Who hears when a level stays pending past review.escalate: another holder of the same
    # role ("deputy", who may then decide in the approver's place), or the next level's holder.
    escalate_to: Literal["deputy", "next_level"] = "deputy"
    sensitive_words: list[str] = []
    # One word a line; read at every check so an edit needs no restart.
    sensitive_words_file: Path | None = None

    def words(self) -> list[str]:
        found = list(self.sensitive_words)
        if self.sensitive_words_file is not None and self.sensitive_words_file.exists():
            text = self.sensitive_words_file.read_text(encoding="utf-8")
            found += [w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")]
        return found


OPTIONS_KEY = "review_options"


def options(services: Services) -> ReviewOptions:
    found = services.extras.get(OPTIONS_KEY)
    if isinstance(found, ReviewOptions):
        return found
    built = ReviewOptions()
    services.extras[OPTIONS_KEY] = built
    return built


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
        return timekeeping(self.services).policy

    def when(self, at: datetime | None) -> str:
        return format_time(at, self.services.tz, reference=self.now) if at else ""


class ReviewError(Exception):
    """A transition that cannot happen; the message (Chinese) says why and what to do."""


class AlreadyDecided(ReviewError):
    """A duplicate or late tap: nothing to record, the card shows what happened."""


# The author's card is not re-rendered on progress: on WeCom an update without the tap's
# ResponseCode is a new message, and the author already gets one message per decision.
AUTHOR_CARD_KIND = "review.author"
