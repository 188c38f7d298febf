"""报表: the periodic reports (``bot.flows.reports``) listed by period, each downloadable as its
workbook and its chart — the same files the bot posts into the supervision group and
``dutybot report`` writes. A supervisor picks any unit or the district; a unit-level viewer
gets their own unit's report and nothing else."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from aiohttp import web

from bot.flows.reports import KINDS, Period, ReportError, parse_period
from bot.flows.reports.period import KIND_LABELS, containing, last_ended
from bot.flows.reports.posting import render
from bot.flows.reports.xlsx import filename
from bot.web.dash.access import Forbidden, Page
from bot.web.dash.listing import Choice, Ctx, int_value
from bot.web.dash.pages import XLSX, view
from bot.web.dash.pages import render as render_page
from bot.web.dash.unit_lists import top_units

# How many ended periods of each kind the page offers (besides the one in progress).
SHOWN = {"weekly": 8, "monthly": 12, "quarterly": 8, "yearly": 3}


def _unit_of(ctx: Ctx, request: web.Request) -> int | None:
    """The unit the report is about: a unit viewer's own, a supervisor's choice (or None:
    the district)."""
    chosen = int_value(request.query, "unit")
    if not ctx.viewer.district:
        if chosen is not None and chosen != ctx.viewer.home_unit_id:
            raise Forbidden("您只能查看本单位的报表。全区报表由主管单位查看。")
        return ctx.viewer.home_unit_id
    return chosen


def _kind(ctx: Ctx, request: web.Request) -> str:
    wanted = request.query.get("kind", "")
    if wanted in KINDS:
        return wanted
    cadences = ctx.services.timekeeping.policy.report_cadences.items
    return cadences[0] if cadences else "quarterly"


@view(Page.REPORTS)
async def reports(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    unit_id = _unit_of(ctx, request)
    kind = _kind(ctx, request)
    today = ctx.now.astimezone(ctx.services.tz).date()
    error = ""
    periods: list[tuple[Period, bool]] = []
    typed = request.query.get("period", "").strip()
    if typed:
        try:
            periods.append((parse_period(typed[:40]), False))
        except ReportError as exc:
            error = str(exc)
    current = containing(kind, today)  # type: ignore[arg-type]
    periods.append((current, True))
    ended = last_ended(kind, today)  # type: ignore[arg-type]
    for _ in range(SHOWN[kind]):
        periods.append((ended, False))
        ended = ended.previous()
    query = {"unit": str(unit_id)} if unit_id is not None and ctx.viewer.district else {}
    rows = [
        {
            "title": p.title,
            "label": p.label,
            "kind": KIND_LABELS[p.kind],
            "span": f"{p.start:%Y-%m-%d} 至 {p.last_day:%Y-%m-%d}",
            "in_progress": in_progress,
            "xlsx": f"/dash/reports/{p.label}.xlsx" + ("?" + urlencode(query) if query else ""),
            "png": f"/dash/reports/{p.label}.png" + ("?" + urlencode(query) if query else ""),
        }
        for p, in_progress in periods
    ]
    units = [(i, n) for i, n in await top_units() if ctx.viewer.sees_unit(i)]
    return await render_page(
        request,
        "reports.html",
        {
            "title": "报表",
            "rows": rows,
            "error": error,
            "kind": kind,
            "kinds": [Choice(k, KIND_LABELS[k]) for k in KINDS],
            "units": units if ctx.viewer.district else [],
            "unit_id": unit_id,
            "typed": typed,
        },
    )


@view(Page.REPORTS)
async def report_file(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    unit_id = _unit_of(ctx, request)
    label, _, ext = request.match_info["file"].rpartition(".")
    if ext not in ("xlsx", "png"):
        raise web.HTTPNotFound()
    try:
        period = parse_period(label)
        rendered = await render(ctx.services, period, unit_id)
    except ReportError as exc:
        raise Forbidden(str(exc)) from None
    if ext == "png" and rendered.png is None:
        raise Forbidden(
            "服务器缺少中文字体，无法生成图表；表格文件不受影响。请管理员安装中文字体。"
        )
    data = rendered.xlsx if ext == "xlsx" else rendered.png
    assert data is not None
    name = filename(rendered.report, f".{ext}")
    return web.Response(
        body=data,
        content_type=XLSX if ext == "xlsx" else "image/png",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


def setup_reports(app: web.Application) -> None:
    app.router.add_get("/dash/reports", reports)
    app.router.add_get("/dash/reports/{file}", report_file)
