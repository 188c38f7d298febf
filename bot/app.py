"""The aiohttp application: health, metrics, the console and the platform callbacks."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from tortoise import connections

from bot import heartbeat, metrics
from bot.core.routing import Router
from bot.core.services import Services
from bot.web.alerts import setup_alert_api
from bot.web.dash import setup_dash
from bot.web.files import setup_files
from bot.web.keys import ROUTER_KEY, SERVICES_KEY
from bot.web.rectifications import setup_rectification_api
from storage.enums import InboundStatus, OutboxStatus
from storage.models.machinery import InboundEvent, OutboxMessage

log = logging.getLogger(__name__)

# Bodies read whole (JSON, platform callbacks); console uploads stream past it up to 20 MB.
MAX_BODY_BYTES = 2 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def never_500_on_bad_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log unexpected failures with the path; the caller gets a plain Chinese error."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        limit = MAX_BODY_BYTES // 1024 // 1024
        return web.json_response(
            {"ok": False, "error": f"请求内容太大（最大 {limit} MB）"}, status=413
        )
    except web.HTTPException:
        raise
    except ConnectionResetError:
        # The client went away mid-request (aiohttp's ClientConnectionResetError is one too):
        # nobody is left to answer and nothing is wrong on our side.
        log.debug("client went away during %s %s", request.method, request.path)
        return web.Response(status=400)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"ok": False, "error": "服务器内部错误，已记录"}, status=500)


async def healthz(request: web.Request) -> web.Response:
    """Database, Redis and (unless ``?scope=web``) a live worker heartbeat.

    ``scope=web`` is for the web container's own health check and the reverse proxy: a dead
    worker must not get healthy web replicas restarted or taken out of rotation. The full
    check is for monitoring: without a worker nothing is delivered and no reminder fires.
    """
    services = request.app[SERVICES_KEY]
    web_only = request.query.get("scope") == "web"
    checks: dict[str, str] = {}
    healthy = True
    started = time.perf_counter()
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    try:
        await services.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
        healthy = False
    if not web_only:
        try:
            alive, stale = await heartbeat.workers(services.clock.now())
            if alive:
                checks["worker"] = f"ok: {len(alive)} alive"
            else:
                last = stale[0].beat_at.isoformat() if stale else "never"
                checks["worker"] = f"error: no live worker (last heartbeat: {last})"
                healthy = False
        except Exception as exc:
            checks["worker"] = f"error: {type(exc).__name__}"
            healthy = False
    checks["channels"] = ",".join(p.value for p in services.channels) or "none"
    body = {
        "ok": healthy,
        "checks": checks,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return web.json_response(body, status=200 if healthy else 503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    lines = metrics.render_counters()
    pending: dict[str, float] = {}
    for status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED):
        pending[status.value] = float(await OutboxMessage.filter(status=status).count())
    lines += metrics.gauge_lines(
        "dutybot_outbox_rows", "Outbox rows by status (sent rows omitted).", pending, "status"
    )
    stuck = float(await InboundEvent.filter(status=InboundStatus.FAILED).count())
    lines += metrics.gauge_lines(
        "dutybot_inbound_failed_rows",
        "Inbound deliveries whose handling failed.",
        {"all": stuck},
        "scope",
    )
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")


def create_app(services: Services, router: Router, *, console: bool) -> web.Application:
    """Build the web application around already-opened services."""
    app = web.Application(middlewares=[never_500_on_bad_input], client_max_size=MAX_BODY_BYTES)
    app[SERVICES_KEY] = services
    app[ROUTER_KEY] = router
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    setup_files(app)
    setup_rectification_api(app)
    setup_alert_api(app)
    setup_dash(app)
    if console:
        from bot.adapters.console.web import setup_console

        setup_console(app)
    for setup in services.web_routes:
        setup(app)
    return app
