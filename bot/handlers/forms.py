"""Forms filled in the chat: their conversations and card actions (answer buttons, summary,
single form card)."""

from __future__ import annotations

from bot.core.forms import flow_for, handle_action
from bot.handlers.registry import router

router.action("form")(handle_action)
router.flow_finders.append(flow_for)
