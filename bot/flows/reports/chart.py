"""A report's chart as a PNG: updates against the requirement, and rectification outcomes,
for the units that need attention most (at most ``MAX_UNITS``; the workbook has them all).

Drawn with matplotlib's object API (no pyplot: no global figure state in a server process)
and the CJK font the duty roster uses (``DUTYBOT_CJK_FONT`` or the usual system paths): without
one Chinese labels would be boxes (豆腐块), so ``chart_png`` refuses with ``ReportError``.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.flows.duty.roster_image import find_font
from bot.flows.reports.figures import Report, UnitFigures
from bot.flows.reports.period import ReportError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_UNITS = 15
BLUE = "#1F618D"
LIGHT = "#AED6F1"
GREEN = "#27AE60"
RED = "#C0392B"
GREY = "#BDC3C7"


@lru_cache(maxsize=4)
def _family(path: str) -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def attention(row: UnitFigures) -> tuple[int, int, int, float, str]:
    """Worst first: overdue notices, silent accounts, accounts short of updates, update rate."""
    rate = row.updates / row.required if row.required else 1.0
    return (-row.rect.overdue, -row.accounts_silent, -row.accounts_short, rate, row.name)


def chart_png(report: Report, font: str | None = None) -> bytes:
    """The chart's PNG bytes; ``font`` is a configured CJK font path (settings.cjk_font)."""
    figure = chart_figure(report, font)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(report: Report, font: str | None = None) -> Figure:
    """The chart as a matplotlib figure (drawn, not yet saved)."""
    # matplotlib is imported here, not at the top: every `dutybot` command imports this module
    # through the CLI, and loading matplotlib there cost seconds on a busy machine — enough to
    # push `dutybot worker --check` (the worker container's health check) toward its timeout.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = find_font(font)
    if path is None:
        raise ReportError(
            "找不到中文字体，无法生成报表图片"
            "（请安装 fonts-wqy-microhei 或设置 DUTYBOT_CJK_FONT）。"
        )
    family = _family(path)
    rows = sorted(report.units, key=attention)[:MAX_UNITS]
    rows.reverse()  # barh draws bottom-up: the worst unit on top
    names = [r.name if len(r.name) <= 14 else r.name[:13] + "…" for r in rows] or ["（无数据）"]
    height = max(4.5, 1.2 + 0.42 * len(names))
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        figure = Figure(figsize=(13, height + 1.2), dpi=110)
        FigureCanvasAgg(figure)
        left, right = figure.subplots(1, 2, sharey=True)
        ys = list(range(len(names)))
        updates = [r.updates for r in rows] or [0]
        required = [r.required for r in rows] or [0]
        left.barh([y + 0.2 for y in ys], required, height=0.4, color=LIGHT, label="应更新次数")
        left.barh([y - 0.2 for y in ys], updates, height=0.4, color=BLUE, label="实际更新次数")
        left.set_yticks(ys, names)
        left.set_title(f"账号更新（每周至少{report.min_per_week}次）")
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2, fontsize=9)
        for y, row in zip(ys, rows, strict=False):
            if row.accounts_silent:
                left.text(
                    max(row.updates, row.required) * 1.01 + 0.1,
                    y,
                    f"停更{row.accounts_silent}个",
                    va="center",
                    color=RED,
                    fontsize=9,
                )
        on_time = [r.rect.on_time for r in rows] or [0]
        overdue = [r.rect.overdue for r in rows] or [0]
        pending = [max(0, r.rect.issued - r.rect.on_time - r.rect.overdue) for r in rows] or [0]
        right.barh(ys, on_time, color=GREEN, label="按时完成")
        right.barh(ys, overdue, left=on_time, color=RED, label="逾期")
        right.barh(
            ys,
            pending,
            left=[a + b for a, b in zip(on_time, overdue, strict=False)],
            color=GREY,
            label="办理中",
        )
        right.set_title("整改通知")
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=3, fontsize=9)
        for axis in (left, right):
            axis.spines[["top", "right"]].set_visible(False)
            axis.xaxis.get_major_locator().set_params(integer=True)
        # A panel with nothing to count (no notices this period, or no accounts) would show
        # bars of width 0 on an axis matplotlib centres on 0, with ticks at -0.04…0.04: say so.
        if not any(updates) and not any(required):
            _nothing(left, "本期无账号更新要求")
        if not any(on_time) and not any(overdue) and not any(pending):
            _nothing(right, "本期无整改通知")
        t = report.total
        alert = f"{t.alert_ack.median:.0f}分钟" if t.alert_ack.median is not None else "—"
        shown = f"（需关注的前{len(rows)}个单位）" if len(report.units) > MAX_UNITS else ""
        figure.suptitle(f"{report.title}{shown}", fontsize=15)
        figure.text(
            0.01,
            0.01,
            f"合计：账号{t.accounts}个，更新{t.updates}次（应{t.required}次），"
            f"停更{t.accounts_silent}个；整改下发{t.rect.issued}件，按时{t.rect.on_time}件，"
            f"逾期{t.rect.overdue}件；告警{t.alerts}条，确认中位数{alert}。"
            f"预设：{report.policy_id}（{report.jurisdiction}）",
            fontsize=9,
            color="#555555",
        )
        figure.tight_layout(rect=(0, 0.03, 1, 0.95))
    return figure


def _nothing(axis: Axes, text: str) -> None:
    axis.set_xlim(0, 1)
    axis.set_xticks([])
    legend = axis.get_legend()
    if legend is not None:
        legend.remove()
    axis.text(0.5, 0.5, text, transform=axis.transAxes, ha="center", va="center", color="#888888")
