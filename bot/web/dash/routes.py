"""The /dash routes: sign-in and sign-out, and one page (and one .xlsx) per list."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from tortoise.transactions import in_transaction

from bot.web.dash import session as sessions
from bot.web.dash.access import Page
from bot.web.dash.audit_list import audit_log, last_verdict, verify_now
from bot.web.dash.duty_lists import alerts, handovers, on_duty_now, roster
from bot.web.dash.listing import Ctx
from bot.web.dash.pages import ListFn, export, list_page, render, signed, view
from bot.web.dash.signin import (
    PROVIDERS_KEY,
    SignInError,
    callback_url,
    person_of,
    providers,
    token_sign_in,
)
from bot.web.dash.unit_lists import filings, rectifications, registry, reviews
from bot.web.keys import SERVICES_KEY
from storage import audit
from storage.enums import Role
from storage.models.dash import DashToken
from storage.models.org import Person, PersonRole, Unit

log = logging.getLogger(__name__)

HERE = Path(__file__).parent

Extra = Callable[[Ctx], Awaitable[dict[str, Any]]]


async def _no_extra(ctx: Ctx) -> dict[str, Any]:
    return {}


async def _duty_extra(ctx: Ctx) -> dict[str, Any]:
    return {"on_duty": await on_duty_now(ctx)}


async def _audit_extra(ctx: Ctx) -> dict[str, Any]:
    return {"verdict": await last_verdict(ctx)}


# key: (page, list, template, what else the template shows)
LISTS: dict[str, tuple[Page, ListFn, str, Extra]] = {
    "registry": (Page.REGISTRY, registry, "list.html", _no_extra),
    "filings": (Page.FILINGS, filings, "list.html", _no_extra),
    "reviews": (Page.REVIEWS, reviews, "list.html", _no_extra),
    "rectifications": (Page.RECTIFICATIONS, rectifications, "list.html", _no_extra),
    "duty": (Page.DUTY, roster, "duty.html", _duty_extra),
    "alerts": (Page.DUTY, alerts, "duty.html", _no_extra),
    "handovers": (Page.DUTY, handovers, "duty.html", _no_extra),
    "audit": (Page.AUDIT, audit_log, "audit.html", _audit_extra),
}


def _safe_next(value: str) -> str:
    """Only a path of this dashboard: never another site (open redirect)."""
    if value.startswith("/dash") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dash"


# ---- sign-in ----------------------------------------------------------------------------


async def login_page(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    services = request.app[SERVICES_KEY]
    session = await sessions.read(services, request)
    if session is not None and session.signed_in and not error and await signed(request):
        raise web.HTTPSeeOther(_safe_next(request.query.get("next", "")))
    if session is None or session.signed_in:
        session = sessions.anonymous(time.time())
    people: list[dict[str, str]] = []
    if services.demo:
        people = await _demo_people()
    response = await _render_login(request, session, people, error, status)
    await sessions.write(services, request, response, session)
    return response


async def _render_login(
    request: web.Request,
    session: sessions.Session,
    people: list[dict[str, str]],
    error: str,
    status: int,
) -> web.Response:
    services = request.app[SERVICES_KEY]
    context = {
        "people": people,
        "providers": list(providers(request.app).values()),
        "error": error,
        "next": _safe_next(request.query.get("next", "")),
        "viewer": None,
        "Page": Page,
        "csrf": await sessions.csrf_token(services, session),
        "now_ms": int(services.clock.now().timestamp() * 1000),
        "demo": services.demo,
        "path": request.path,
    }
    response = aiohttp_jinja2.render_template("login.html", request, context)
    response.set_status(status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


async def _demo_people() -> list[dict[str, str]]:
    """Everyone of the demo district, grouped by unit, with their roles (as the console)."""
    units = {int(str(i)): str(n) for i, n in await Unit.all().values_list("id", "name")}
    roles: dict[int, list[str]] = {}
    for pid, role in await PersonRole.all().values_list("person_id", "role"):
        roles.setdefault(int(str(pid)), []).append(Role(str(role)).label)
    found: list[dict[str, str]] = []
    for person in await Person.filter(active=True).order_by("unit_id", "id"):
        found.append(
            {
                "key": person.key,
                "label": f"{person.name}（{units.get(person.unit_id, '')}·"
                f"{'、'.join(roles.get(person.id, [])) or '无角色'}）",
            }
        )
    return found


async def _checked_form(request: web.Request) -> tuple[sessions.Session, dict[str, str]] | None:
    services = request.app[SERVICES_KEY]
    session = await sessions.read(services, request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    if not await sessions.check_csrf(services, session, form.get("csrf", "")):
        return None
    assert session is not None
    return session, form


async def _signed_in_response(
    request: web.Request,
    who: Person | DashToken,
    via: str,
    next_url: str,
) -> web.Response:
    """A new session for whoever proved who they are, recorded in the audit log."""
    services = request.app[SERVICES_KEY]
    person_id = who.id if isinstance(who, Person) else None
    token_id = who.id if isinstance(who, DashToken) else None
    fresh = sessions.signed_in(person_id=person_id, token_id=token_id, via=via, now=time.time())
    response = web.HTTPSeeOther(_safe_next(next_url))
    await sessions.write(services, request, response, fresh)
    if isinstance(who, Person):
        actor = audit.Actor(who.id, who.name)
        subject = f"person:{who.id}"
    else:
        actor = audit.Actor.system(f"运维令牌：{who.name}")
        subject = f"token:{who.name}"
    async with in_transaction() as conn:
        await audit.record(
            conn,
            actor=actor,
            action="dash.signed_in",
            subject_type="dash_session",
            subject_id=subject,
            detail={"via": via},
            at=services.clock.now(),
        )
    raise response


async def login_demo(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES_KEY]
    if not services.demo:
        raise web.HTTPNotFound()
    got = await _checked_form(request)
    if got is None:
        return await login_page(request, error="页面已过期，请重新选择。", status=400)
    _, form = got
    person = await Person.filter(key=form.get("person", ""), active=True).first()
    if person is None:
        return await login_page(request, error="请先选择一位人员。", status=400)
    return await _signed_in_response(request, person, "demo", form.get("next", ""))


async def login_token(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES_KEY]
    got = await _checked_form(request)
    if got is None:
        return await login_page(request, error="页面已过期，请重新输入。", status=400)
    _, form = got
    token = await token_sign_in(form.get("token", ""), services.clock.now())
    if token is None:
        return await login_page(
            request,
            error="令牌无效或已吊销。令牌由管理员用“dutybot dash token create 名称”生成。",
            status=403,
        )
    return await _signed_in_response(request, token, "token", form.get("next", ""))


async def login_start(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES_KEY]
    provider = providers(request.app).get(request.match_info["provider"])
    if provider is None:
        raise web.HTTPNotFound()
    session = sessions.with_oauth_state(sessions.anonymous(time.time()))
    redirect = callback_url(request, services.settings.public_url, provider.name)
    target = provider.authorize_url(
        redirect, session.oauth_state, request.headers.get("User-Agent", "")
    )
    response = web.HTTPFound(target)
    await sessions.write(services, request, response, session)
    raise response


async def login_callback(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES_KEY]
    provider = providers(request.app).get(request.match_info["provider"])
    if provider is None:
        raise web.HTTPNotFound()
    session = await sessions.read(services, request)
    state, code = request.query.get("state", ""), request.query.get("code", "")
    if session is None or not session.oauth_state or state != session.oauth_state:
        return await login_page(
            request, error=f"{provider.label}登录已过期或不是从本页发起，请重新登录。", status=400
        )
    if not code:
        return await login_page(request, error=f"您取消了{provider.label}登录。", status=400)
    redirect = callback_url(request, services.settings.public_url, provider.name)
    try:
        users = await provider.users(code, redirect)
    except SignInError as exc:
        log.warning("dash sign-in via %s failed: %s", provider.name, exc)
        return await login_page(
            request, error=f"{provider.label}登录失败：{exc}。请重试。", status=502
        )
    person = await person_of(users)
    if person is None:
        return await login_page(
            request,
            error=f"您的{provider.label}账号不在本系统的组织名单中，请联系管理员导入。",
            status=403,
        )
    return await _signed_in_response(request, person, provider.name, "/dash")


async def logout(request: web.Request) -> web.StreamResponse:
    got = await _checked_form(request)
    response = web.HTTPSeeOther("/dash/login")
    if got is not None:
        sessions.clear(response)
    raise response


# ---- pages ------------------------------------------------------------------------------


def _list_handlers(key: str, page: Page, fn: ListFn, template: str, extra: Extra) -> None:
    @view(page)
    async def show(request: web.Request, ctx: Ctx) -> web.StreamResponse:
        return await list_page(request, ctx, fn, template=template, **await extra(ctx))

    @view(page)
    async def xlsx(request: web.Request, ctx: Ctx) -> web.StreamResponse:
        return await export(request, ctx, fn)

    HANDLERS[key] = show
    HANDLERS[key + ".xlsx"] = xlsx


HANDLERS: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {}
for _key, (_page, _fn, _template, _extra) in LISTS.items():
    _list_handlers(_key, _page, _fn, _template, _extra)


@view(Page.AUDIT)
async def audit_verify(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    """核验 (POST, CSRF checked by ``view``): recompute the chain and keep the verdict."""
    await verify_now(ctx, ctx.viewer.name)
    raise web.HTTPSeeOther("/dash/audit")


@view(Page.HOME)
async def home(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    from bot.web.dash.overview import overview

    return await render(request, "home.html", await overview(ctx))


async def not_found(request: web.Request) -> web.StreamResponse:
    return await render(
        request,
        "error.html",
        {"title": "页面不存在", "message": "没有这个页面。", "code": 404},
        status=404,
    )


def setup_dash(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app[PROVIDERS_KEY] = {}
    app.router.add_get("/dash", home)
    app.router.add_get("/dash/", home)
    app.router.add_get("/dash/login", login_page)
    app.router.add_post("/dash/login/demo", login_demo)
    app.router.add_post("/dash/login/token", login_token)
    app.router.add_get("/dash/login/{provider}", login_start)
    app.router.add_get("/dash/login/{provider}/callback", login_callback)
    app.router.add_post("/dash/logout", logout)
    app.router.add_post("/dash/audit/verify", audit_verify)
    for key, handler in HANDLERS.items():
        app.router.add_get(f"/dash/{key}", handler)
    from bot.web.dash.detail import setup_detail
    from bot.web.dash.reports_page import setup_reports

    setup_detail(app)
    setup_reports(app)
    app.router.add_static("/dash/static", HERE / "static", append_version=False)
