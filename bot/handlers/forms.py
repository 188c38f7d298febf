"""Card actions of forms filled in the chat (answer buttons, summary, single form card)."""

from __future__ import annotations

from bot.core.forms import handle_action
from bot.handlers.registry import router

router.action("form")(handle_action)
