"""报告, 告警, 巡查, 更新 and the taps on alert and patrol cards (the duty flow's alerts,
patrols and activity monitor)."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.work import Outcome
from bot.flows.duty import activity
from bot.flows.duty.model import ALERT_ACTIONS, PATROL_ACTIONS
from bot.flows.duty.people import OFFICERS
from bot.flows.duty.records import alerts as alert_records
from bot.flows.duty.start import alerts as start
from bot.flows.duty.start import patrol as patrol_start
from bot.flows.duty.steps import alerts as _steps  # noqa: F401  registers the step handler
from bot.flows.duty.transitions import alerts as transitions
from bot.flows.duty.transitions import patrol
from bot.handlers.registry import router
from bot.handlers.taps import Tap, form_value, payload_id, run_tap
from storage.enums import Role
from storage.models.duty_alerts import PatrolResult

router.command(
    "报告",
    "报告告警：报告 一般/严重/舆情 情况 [链接]（舆情立即报告主管单位）",
    roles=None,
    order=62,
)(start.report)


async def _ack(ctx: HandlerContext) -> Outcome:
    return await transitions.acknowledge(ctx, payload_id(ctx), ctx.actor)


async def _resolve(ctx: HandlerContext) -> Outcome:
    return await transitions.resolve(ctx, payload_id(ctx), ctx.actor, form_value(ctx, "note"))


async def _rectify(ctx: HandlerContext) -> Outcome:
    return await transitions.rectify(ctx, payload_id(ctx), ctx.actor)


# Card action suffix (alert.ack …; stored cards carry these) → the transition it asks for.
ALERT_TAPS: dict[str, Tap] = {"ack": _ack, "resolve": _resolve, "rectify": _rectify}


@router.action(ALERT_ACTIONS)
async def on_alert_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, ALERT_TAPS)


router.command(
    "巡查",
    "本班的读网巡查清单：逐项记录正常或异常（异常生成告警）",
    roles=OFFICERS,
    order=63,
)(patrol_start.patrol_command)


def _patrol_ids(ctx: HandlerContext) -> tuple[int, int, int]:
    item = ctx.card_action.payload.get("item", "")
    return (
        payload_id(ctx, "round"),
        payload_id(ctx, "account"),
        int(item) if item.isascii() and item.isdigit() else -1,
    )


async def _patrol_ok(ctx: HandlerContext) -> Outcome:
    round_id, account_id, item = _patrol_ids(ctx)
    return await patrol.record(ctx, round_id, account_id, item, ctx.actor, PatrolResult.OK, "")


async def _patrol_abnormal(ctx: HandlerContext) -> Outcome:
    round_id, account_id, item = _patrol_ids(ctx)
    note = form_value(ctx, "note")
    return await patrol.record(
        ctx, round_id, account_id, item, ctx.actor, PatrolResult.ABNORMAL, note
    )


async def _patrol_all_ok(ctx: HandlerContext) -> Outcome:
    round_id, account_id, _ = _patrol_ids(ctx)
    return await patrol.all_ok(ctx, round_id, account_id, ctx.actor)


PATROL_TAPS: dict[str, Tap] = {
    "ok": _patrol_ok,
    "abnormal": _patrol_abnormal,
    "all_ok": _patrol_all_ok,
}


@router.action(PATROL_ACTIONS)
async def on_patrol_tap(ctx: HandlerContext) -> None:
    await run_tap(ctx, PATROL_TAPS)


router.command(
    "告警",
    "查看本值班组未处理的告警",
    roles=OFFICERS | {Role.PRINCIPAL, Role.SUPERVISOR_STAFF},
    order=64,
)(alert_records.show_alerts)


router.command(
    "更新",
    "账号更新情况；“更新 账号名”记录一次更新（未经审核流程发布的）",
    roles=OFFICERS | {Role.CLERK, Role.EDITOR, Role.SECTION_CHIEF, Role.SUPERVISOR_STAFF},
    order=65,
)(activity.update_command)
