"""报表: the periodic report on demand (the reports flow); the scheduled posting is a cron."""

from __future__ import annotations

from bot.flows.reports import start
from bot.handlers.registry import router

router.command(
    "报表",
    "定期报表（Excel 和图表），如“报表 2026Q4”“报表 2026-11”；单位负责人看本单位",
    roles=start.READERS,
    order=43,
)(start.request)
