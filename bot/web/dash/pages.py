"""The request side of /dash: who is signed in, the role check, rendering and exporting.

``view(page)`` wraps every page handler: no session sends the browser to the sign-in page,
a page the viewer's roles do not open is a 403 page (never data), and POST forms without
the session's CSRF token are refused (400) before anything is read.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.web.dash import session as sessions
from bot.web.dash.access import (
    Forbidden,
    Page,
    Viewer,
    require,
    viewer_for_person,
    viewer_for_token,
)
from bot.web.dash.listing import Ctx, Listing, Paging, paging, to_xlsx
from bot.web.keys import SERVICES_KEY

ListFn = Callable[[Ctx, Mapping[str, str], Paging], Awaitable[Listing]]
PageFn = Callable[[web.Request, Ctx], Awaitable[web.StreamResponse]]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Signed:
    session: sessions.Session
    viewer: Viewer


async def signed(request: web.Request) -> Signed | None:
    """The signed-in viewer, or None (no cookie, a forged or expired one, a person who left,
    a revoked token)."""
    services = request.app[SERVICES_KEY]
    session = await sessions.read(services, request)
    if session is None or not session.signed_in:
        return None
    viewer: Viewer | None = None
    if session.person_id is not None:
        today = services.clock.now().astimezone(services.tz).date()
        viewer = await viewer_for_person(session.person_id, today)
    elif session.token_id is not None:
        viewer = await viewer_for_token(session.token_id)
    return Signed(session, viewer) if viewer is not None else None


SIGNED_KEY = web.RequestKey("dash_signed", Signed)


def ctx_of(request: web.Request, viewer: Viewer) -> Ctx:
    services = request.app[SERVICES_KEY]
    return Ctx(services=services, viewer=viewer, now=services.clock.now())


def view(page: Page) -> Callable[[PageFn], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    def wrap(fn: PageFn) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            who = await signed(request)
            if who is None:
                if request.method != "GET":
                    raise web.HTTPSeeOther("/dash/login")
                raise web.HTTPSeeOther("/dash/login?next=" + quote(str(request.rel_url), safe=""))
            request[SIGNED_KEY] = who
            if request.method == "POST":
                form = await request.post()
                services = request.app[SERVICES_KEY]
                if not await sessions.check_csrf(services, who.session, str(form.get("csrf", ""))):
                    return await render(request, "error.html", bad_form_context(), status=400)
            try:
                require(who.viewer, page)
                return await fn(request, ctx_of(request, who.viewer))
            except Forbidden as exc:
                return await render(
                    request,
                    "error.html",
                    {"title": "无权查看", "message": exc.why, "code": 403},
                    status=403,
                )

        return handler

    return wrap


def bad_form_context() -> dict[str, Any]:
    return {
        "title": "表单已过期",
        "message": "表单已过期或来自其他页面，请返回刷新后重试（您填写的内容未提交）。",
        "code": 400,
    }


async def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    services = request.app[SERVICES_KEY]
    who: Signed | None = request.get(SIGNED_KEY)
    base: dict[str, Any] = {"viewer": who.viewer if who else None, "Page": Page}
    session = who.session if who else await sessions.read(services, request)
    base["csrf"] = await sessions.csrf_token(services, session) if session else ""
    base["now_ms"] = int(services.clock.now().timestamp() * 1000)
    base["demo"] = services.demo
    base["path"] = request.path
    response = aiohttp_jinja2.render_template(template, request, {**base, **context})
    response.set_status(status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def query_of(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in request.query.items() if k != "page"}


async def list_page(
    request: web.Request, ctx: Ctx, fn: ListFn, *, template: str = "list.html", **extra: Any
) -> web.Response:
    query = query_of(request)
    listing = await fn(ctx, query, paging(request.query, export=False))
    return await render(
        request,
        template,
        {
            "listing": listing,
            "export_url": f"/dash/{listing.key}.xlsx" + ("?" + urlencode(query) if query else ""),
            "page_url": lambda n: f"/dash/{listing.key}?" + urlencode({**query, "page": n}),
            **extra,
        },
    )


async def export(request: web.Request, ctx: Ctx, fn: ListFn) -> web.Response:
    query = query_of(request)
    listing = await fn(ctx, query, paging(request.query, export=True))
    chosen = []
    for f in listing.filters:
        if not f.value:
            continue
        label = f.value
        for c in f.choices or ():
            if c.value == f.value:
                label = c.label
        chosen.append(f"{f.label}：{label}")
    stamp = ctx.now.astimezone(ctx.services.tz)
    data = to_xlsx(
        listing,
        filters_text="筛选：" + ("，".join(chosen) if chosen else "无"),
        exported_at=stamp.strftime("%Y-%m-%d %H:%M"),
    )
    name = f"{listing.title}-{stamp:%Y%m%d-%H%M}.xlsx"
    return web.Response(
        body=data,
        content_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


def real_now() -> float:
    return time.time()
