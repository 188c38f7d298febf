"""Handlers route events to flows. Importing ``load_all`` registers every handler module."""

from __future__ import annotations

import importlib

from bot.core.routing import Router
from bot.handlers.registry import router

HANDLER_MODULES: list[str] = [
    "bot.handlers.help",
    "bot.handlers.forms",
    "bot.handlers.filing",
    "bot.handlers.review",
    "bot.handlers.rectification",
    "bot.handlers.reports",
    "bot.handlers.duty.roster",
    "bot.handlers.duty.handover",
    "bot.handlers.duty.alerts",
    "bot.handlers.duty.leaving",
]


def load_all() -> Router:
    """Import every handler module once so its commands and actions are registered."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return router
