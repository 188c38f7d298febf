"""dutybot report weekly|monthly|quarterly|yearly PERIOD [--unit …] [--out DIR]: the periodic
report as an .xlsx workbook and a chart PNG, written to a directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bot.cli.base import fail, main, run_db, settings_of
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.flows.reports.period import KIND_LABELS, KINDS, Kind, ReportError, parse_period
from bot.policy.runtime import TimeConfigError, TimeKeeping

EXAMPLES = {"weekly": "2026W48", "monthly": "2026-11", "quarterly": "2026Q4", "yearly": "2026"}


@dataclass(frozen=True)
class Reading:
    """What a report reads of the process, without Redis or channels."""

    tz: ZoneInfo
    timekeeping: TimeKeeping
    clock: Clock


@main.group("report")
def report_group() -> None:
    """定期报表：按周、月、季度、年度生成 .xlsx 报表和图表（PNG）。"""


def _command(kind: Kind) -> None:
    example = EXAMPLES[kind]

    @report_group.command(
        kind, help=f"生成{KIND_LABELS[kind]}，如 dutybot report {kind} {example}。"
    )
    @click.argument("period")
    @click.option("--unit", default=None, help="只统计一个单位（单位名称或 key）")
    @click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="报表文件写入的目录",
    )
    @click.pass_context
    def command(ctx: click.Context, period: str, unit: str | None, out: Path) -> None:
        _report(settings_of(ctx), kind, period, unit, out)


for _kind in KINDS:
    _command(_kind)


def _report(settings: Settings, kind: Kind, text: str, unit: str | None, out: Path) -> None:
    try:
        period = parse_period(text, kind)
    except ReportError as exc:
        fail(str(exc))
    try:
        timekeeping = TimeKeeping.from_settings(settings)
    except TimeConfigError as exc:
        fail(str(exc))
    tz = ZoneInfo(settings.timezone)
    reading = Reading(tz=tz, timekeeping=timekeeping, clock=SystemClock(tz))

    async def work() -> tuple[str, list[tuple[str, bytes]]]:
        from bot.flows.reports.chart import chart_png
        from bot.flows.reports.figures import build
        from bot.flows.reports.posting import summary
        from bot.flows.reports.xlsx import filename, to_xlsx
        from storage.models.org import Unit

        unit_id: int | None = None
        if unit is not None:
            found = await Unit.filter(key=unit).first() or await Unit.filter(name=unit).first()
            if found is None:
                fail(f"没有找到单位“{unit}”。请写单位全称或组织文件中的 key（如 ljq-wlw）。")
            unit_id = found.id
        try:
            report = await build(reading, period, unit_id)
        except ReportError as exc:
            fail(str(exc))
        files = [(filename(report, ".xlsx"), to_xlsx(report))]
        try:
            files.append((filename(report, ".png"), chart_png(report, font)))
        except ReportError as exc:
            click.echo(f"未生成图表：{exc}", err=True)
        return summary(report), files

    font = str(settings.cjk_font or "") or None
    text_out, files = run_db(settings, work)
    out.mkdir(parents=True, exist_ok=True)
    click.echo(text_out)
    for name, data in files:
        path = out / name
        path.write_bytes(data)
        click.echo(f"已写入 {path}")
