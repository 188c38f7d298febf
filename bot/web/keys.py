"""Typed keys for what the aiohttp application carries."""

from __future__ import annotations

from aiohttp import web

from bot.core.routing import Router
from bot.core.services import Services

SERVICES_KEY = web.AppKey("services", Services)
ROUTER_KEY = web.AppKey("router", Router)
