"""One rectification notice: its facts, its live countdown and its timeline from the audit log
(the same events, in the same words, as ``整改记录 编号`` in the chat)."""

from __future__ import annotations

from aiohttp import web

from bot.flows.rectification.model import SUBJECT, number
from bot.flows.rectification.records import EVENT_LABELS, STEP_LABELS
from bot.web.dash.access import Forbidden, Page, require_unit
from bot.web.dash.listing import Ctx, countdown
from bot.web.dash.pages import render, view
from bot.web.dash.unit_lists import rect_row, unit_names
from storage.models.machinery import AuditEntry
from storage.models.rectification import (
    RECT_CATEGORY_LABELS,
    RectCategory,
    Rectification,
    RectStatus,
    Severity,
)


@view(Page.RECTIFICATIONS)
async def rectification(request: web.Request, ctx: Ctx) -> web.StreamResponse:
    try:
        rect_id = int(request.match_info["id"])
    except ValueError:
        raise Forbidden("没有这份整改通知。") from None
    rect = await Rectification.filter(id=rect_id).first()
    if rect is None:
        raise Forbidden("没有这份整改通知。")
    require_unit(ctx.viewer, rect.owner_unit_id)
    units = await unit_names([rect.owner_unit_id, rect.supervisor_unit_id])
    entries = await AuditEntry.filter(subject_type=SUBJECT, subject_id=str(rect.id)).order_by("seq")
    overdue_at = {e.at for e in entries if e.action == "rectification.overdue"}
    timeline: list[dict[str, str]] = []
    for entry in entries:
        detail = entry.detail or {}
        label = EVENT_LABELS.get(entry.action, entry.action)
        if entry.action == "rectification.reminded":
            if detail.get("step") == "due" and entry.at in overdue_at:
                continue
            label = f"提醒（{STEP_LABELS.get(str(detail.get('step')), detail.get('step'))}）"
        extra = next((str(detail[k]) for k in ("reason", "note") if detail.get(k)), "")
        timeline.append(
            {"at": ctx.when(entry.at), "who": entry.actor_label, "what": label, "extra": extra}
        )
    open_now = rect.status in (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED)
    row = rect_row(ctx, rect, units.get(rect.owner_unit_id, ""))
    return await render(
        request,
        "rectification.html",
        {
            "rect": rect,
            "number": number(rect),
            "owner": units.get(rect.owner_unit_id, ""),
            "supervisor": units.get(rect.supervisor_unit_id, ""),
            "category": RECT_CATEGORY_LABELS[RectCategory(rect.category)],
            "severity": Severity(rect.severity).label,
            "status": row[6],
            "due": ctx.when(rect.due_at),
            "issued": ctx.when(rect.issued_at),
            "left": countdown(ctx, rect.due_at) if open_now else row[8],
            "timeline": timeline,
        },
    )


def setup_detail(app: web.Application) -> None:
    app.router.add_get("/dash/rectifications/{id}", rectification)
