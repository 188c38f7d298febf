"""The one-shot update credential of a card copy, as stored in ``card_delivery.update_token``.

WeCom hands out a ResponseCode with ``message/send`` and with every tap. It updates the card
once, within 72 hours, and belongs to one copy (task_id) of the card. The stored token keeps all
three: ``"<issued epoch>:<task_id>:<ResponseCode>"``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

# WeCom says 72 hours; leave an hour's margin.
UPDATE_CODE_SECONDS = 71 * 3600


@dataclass(frozen=True)
class UpdateCode:
    task_id: str
    code: str
    issued_at: int

    def usable(self, now: float | None = None) -> bool:
        age = (now if now is not None else time.time()) - self.issued_at
        return bool(self.code) and age < UPDATE_CODE_SECONDS


def make_update_token(code: str, task_id: str, issued_at: float | None = None) -> str:
    issued = int(issued_at if issued_at is not None else time.time())
    return f"{issued}:{task_id}:{code}"


def read_update_token(token: str | None) -> UpdateCode | None:
    """The credential in a stored token, or None if there is none or it is not ours."""
    if not token:
        return None
    parts = token.split(":", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
        return None
    return UpdateCode(task_id=parts[1], code=parts[2], issued_at=int(parts[0]))
