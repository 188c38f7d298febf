"""Periodic reports (定期报表): per unit and account, for a week, month, quarter or year —
updates against the preset's frequency, silent days, review turnaround per level,
rectifications, duty acknowledgement times and the regulations' flags — as an .xlsx workbook
and a chart, posted into the supervision group on the preset's cadence and made on demand
by ``dutybot report``.

A report has no state of its own; the only row is the posting claim::

    cron post_reports (every 10 min)
        │ the last ended period of each cadence in policy.report_cadences
        │ (a quarter waits for its quarterly rectification review)
        ▼
    ReportRun(period) inserted, conflicts ignored ── another replica got it ──► nothing
        │ this claim won
        ▼
    build → to_xlsx + chart_png → stored files → outbox: every supervision group

Modules:

- ``period``: ``Period``, ``parse_period`` ("2026Q4", "2026-11", "2026W48", "2026"),
  ``ReportError``
- ``figures``: ``build(services, period, unit_id=None) -> Report`` (the numbers)
- ``xlsx``: ``to_xlsx(report) -> bytes``
- ``chart``: ``chart_png(report) -> bytes`` (matplotlib, a CJK font)
- ``posting``: the scheduled posting, exactly once per period across replicas
"""

from bot.flows.reports.chart import chart_png
from bot.flows.reports.figures import AccountFigures, FlagRow, Report, Spread, UnitFigures, build
from bot.flows.reports.period import KINDS, Period, ReportError, parse_period
from bot.flows.reports.xlsx import to_xlsx

__all__ = [
    "KINDS",
    "AccountFigures",
    "FlagRow",
    "Period",
    "Report",
    "ReportError",
    "Spread",
    "UnitFigures",
    "build",
    "chart_png",
    "parse_period",
    "to_xlsx",
]
