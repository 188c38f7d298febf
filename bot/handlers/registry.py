"""The process's routing table. Handler modules register on it when imported
(see ``bot.handlers.load_all``); the types live in ``bot.core.routing``."""

from __future__ import annotations

from bot.core.routing import Router

router = Router()
