"""dutybot calendar / policy / deadline: the working calendar, the presets, deadline answers.

These commands read the configuration and the calendar file only; no database is needed.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import click

from bot.cli.base import fail, main, settings_of
from bot.config import Settings
from bot.policy.loader import PRESET_IDS, PolicyError, load_policy
from bot.policy.model import Entry, Policy, UnknownRuleError, entries
from bot.policy.runtime import TimeConfigError, TimeKeeping
from bot.timekeeping.calendar import Day, DayKind, WorkingCalendar, YearSource, official_years
from bot.timekeeping.overrides import CalendarFileError, template

WEEKDAYS = "一二三四五六日"
_MARKS = {DayKind.WORKDAY: "  ", DayKind.MAKEUP: "班", DayKind.WEEKEND: "休", DayKind.HOLIDAY: "假"}


def _timekeeping(settings: Settings) -> TimeKeeping:
    try:
        return TimeKeeping.from_settings(settings)
    except TimeConfigError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _policy(settings: Settings, preset: str | None) -> Policy:
    """The effective policy (with this deployment's overrides) or another preset as shipped."""
    chosen = preset or settings.policy
    overrides = settings.policy_overrides if chosen == settings.policy else None
    try:
        return load_policy(chosen, overrides)
    except PolicyError as exc:
        fail(str(exc))
        raise


def _weekday(day: date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


def _stamp(at: datetime) -> str:
    """``2026-10-12 24:00（星期一）``: midnight reads as the end of the previous day."""
    if at.hour == 0 and at.minute == 0 and at.second == 0 and at.microsecond == 0:
        day = at.date() - timedelta(days=1)
        return f"{day:%Y-%m-%d} 24:00（{_weekday(day)}）"
    return f"{at:%Y-%m-%d %H:%M}（{_weekday(at.date())}）"


# ---- dutybot calendar ----------------------------------------------------------------------


@main.group("calendar")
def calendar_group() -> None:
    """工作日历：法定节假日、调休和工作时间。"""


def _parse_month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        fail(f"月份“{text}”格式不对，请写成 2026-10 这样的年-月。")
        raise SystemExit(2)
    return int(match.group(1)), int(match.group(2))


def render_month(cal: WorkingCalendar, year: int, month: int) -> list[str]:
    days = cal.month(year, month)
    lines = ["".join(f" {w}   " for w in WEEKDAYS).rstrip()]
    row = ["      "] * days[0].date.weekday()
    for day in days:
        row.append(f"{day.date.day:>3}{_MARKS[day.kind]} ")
        if len(row) == 7:
            lines.append("".join(row).rstrip())
            row = []
    if row:
        lines.append("".join(row).rstrip())
    return lines


def _spans(days: list[Day], kind: DayKind) -> list[str]:
    """Consecutive days of one kind and name, as "10月1日—10月7日 国庆节"."""
    found: list[str] = []
    run: list[Day] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0].date, run[-1].date
        name = run[0].name or "节假日"
        if kind is DayKind.MAKEUP:
            name += "调休"
        if first == last:
            found.append(f"{first.month}月{first.day}日（{_weekday(first)}）{name}")
        else:
            found.append(f"{first.month}月{first.day}日—{last.month}月{last.day}日 {name}")
        run.clear()

    for day in days:
        if day.kind is kind and (
            not run or (run[-1].name == day.name and day.date - run[-1].date == timedelta(days=1))
        ):
            run.append(day)
            continue
        flush()
        if day.kind is kind:
            run.append(day)
    flush()
    return found


def _source_line(tk: TimeKeeping, cal: WorkingCalendar, year: int) -> str:
    source = cal.year_source(year)
    if source is YearSource.OVERRIDE:
        notice = tk.overrides.years[year].notice
        return f"数据来源：日历覆盖文件 {tk.calendar_file.path}" + (
            f"（{notice}）" if notice else ""
        )
    return f"数据来源：{source.label}"


@calendar_group.command("show")
@click.argument("month")
@click.option("--policy", "preset", default=None, help="按哪个政策预设的工作时间显示。")
@click.pass_context
def calendar_show(ctx: click.Context, month: str, preset: str | None) -> None:
    """显示一个月的工作日与非工作日，如：dutybot calendar show 2026-10"""
    settings = settings_of(ctx)
    year, number = _parse_month(month)
    tk = _timekeeping(settings)
    policy = _policy(settings, preset)
    cal = tk.calendar(policy.hours())
    click.echo(f"{year}年{number}月")
    click.echo(_source_line(tk, cal, year))
    click.echo(f"工作时间：{policy.hours().label()}（政策预设 {policy.id}）")
    if cal.year_source(year) is YearSource.NONE:
        click.echo(
            f"注意：{year}年既没有官方节假日数据，也没有录入日历覆盖文件，以下按周一至周五推算，"
            f"涉及这一年的期限都会标注为“暂定”。请按国务院办公厅通知录入"
            f"（dutybot calendar template {year}）。"
        )
    click.echo("")
    for line in render_month(cal, year, number):
        click.echo(line)
    click.echo("")
    click.echo("标记：无标记=工作日  休=周末  假=法定节假日  班=调休上班")
    days = cal.month(year, number)
    working = sum(1 for d in days if d.working)
    click.echo(f"本月工作日 {working} 天，非工作日 {len(days) - working} 天。")
    holidays = _spans(days, DayKind.HOLIDAY)
    if holidays:
        click.echo("放假：" + "；".join(holidays))
    makeup = _spans(days, DayKind.MAKEUP)
    if makeup:
        click.echo("调休上班：" + "；".join(makeup))


@calendar_group.command("check")
@click.pass_context
def calendar_check(ctx: click.Context) -> None:
    """检查日历覆盖文件，并列出哪些年份有节假日数据。"""
    settings = settings_of(ctx)
    try:
        tk = TimeKeeping.from_settings(settings)
    except TimeConfigError as exc:
        fail(str(exc))
        return
    path = tk.calendar_file.path
    years = sorted(tk.overrides.years)
    first, last = min(official_years()), max(official_years())
    click.echo(f"官方数据（chinese-calendar）：{first}—{last}年")
    if not path.exists():
        click.echo(f"日历覆盖文件：{path}（不存在，未录入任何年份）")
    else:
        listed = "、".join(f"{y}年" for y in years) or "无"
        click.echo(f"日历覆盖文件：{path}，已录入：{listed}")
        for year in years:
            entry = tk.overrides.years[year]
            click.echo(
                f"  {year}年：放假 {len(entry.holidays)} 天，调休上班 {len(entry.workdays)} 天"
                + (f"（{entry.notice}）" if entry.notice else "")
            )
    this_year = date.today().year
    cal = tk.calendar()
    missing = [y for y in (this_year, this_year + 1) if cal.year_source(y) is YearSource.NONE]
    for year in missing:
        click.echo(
            f"缺少：{year}年没有节假日数据，涉及这一年的期限会标注为“暂定”。"
            f"可运行 dutybot calendar template {year} 生成模板。"
        )
    click.echo("检查通过。")


@calendar_group.command("template")
@click.argument("year", type=int)
def calendar_template(year: int) -> None:
    """打印某一年的日历覆盖文件模板，照国务院办公厅通知填写。"""
    click.echo(template(year), nl=False)


# ---- dutybot policy --------------------------------------------------------------------------


@main.group("policy")
def policy_group() -> None:
    """政策预设：各地办法中的时限、审核层级、值班要求及其出处。"""


@policy_group.command("list")
@click.pass_context
def policy_list(ctx: click.Context) -> None:
    """列出可选的政策预设。"""
    settings = settings_of(ctx)
    for preset_id in PRESET_IDS:
        policy = load_policy(preset_id)
        active = "  ← 当前使用" if preset_id == settings.policy else ""
        click.echo(f"{preset_id:<10} {policy.jurisdiction}：《{policy.document.title}》{active}")


def _document_line(policy: Policy) -> str:
    doc = policy.document
    extra = "，".join(x for x in (doc.number, doc.issued) if x)
    return f"《{doc.title}》" + (f"（{extra}）" if extra else "")


@policy_group.command("show")
@click.argument("preset", required=False)
@click.pass_context
def policy_show(ctx: click.Context, preset: str | None) -> None:
    """显示生效的规则及其出处（不写预设名则显示当前使用的）。"""
    settings = settings_of(ctx)
    policy = _policy(settings, preset)
    click.echo(f"政策预设 {policy.id}：{policy.jurisdiction}")
    click.echo(f"依据文件：{_document_line(policy)}")
    rows = entries(policy)
    changed = [r.path for r in rows if r.citation.overridden]
    click.echo("本单位调整：" + ("、".join(changed) if changed else "无"))
    click.echo(
        "（“沿用默认”表示该办法未作规定，采用系统默认值；"
        "方括号内是 DUTYBOT_POLICY_OVERRIDES 使用的路径）"
    )
    section = ""
    for row in rows:
        if row.section != section:
            section = row.section
            click.echo(f"\n【{section}】")
        click.echo(f"  {row.label}  [{row.path}]")
        click.echo(f"    {row.value}")
        click.echo(f"    出处：{row.source}")


@policy_group.command("diff")
@click.argument("first")
@click.argument("second")
@click.pass_context
def policy_diff(ctx: click.Context, first: str, second: str) -> None:
    """比较两个政策预设，列出规定不同之处，如：dutybot policy diff yongchuan kunming"""
    settings = settings_of(ctx)
    a, b = _policy(settings, first), _policy(settings, second)
    rows_a = {r.path: r for r in entries(a)}
    rows_b = {r.path: r for r in entries(b)}
    paths = list(rows_a) + [p for p in rows_b if p not in rows_a]
    differing = [p for p in paths if _value(rows_a.get(p)) != _value(rows_b.get(p))]
    click.echo(f"{a.id}（{a.jurisdiction}） 与 {b.id}（{b.jurisdiction}）：")
    click.echo(f"共 {len(paths)} 项，其中 {len(differing)} 项不同。")
    width = max(len(a.id), len(b.id))
    section = ""
    for path in differing:
        row = rows_a.get(path) or rows_b[path]
        if row.section != section:
            section = row.section
            click.echo(f"\n【{section}】")
        click.echo(f"  {row.label}  [{path}]")
        for policy, found in ((a, rows_a.get(path)), (b, rows_b.get(path))):
            click.echo(f"    {policy.id:<{width}}  {_value(found) or '（无此项）'}")
            if found is not None:
                click.echo(f"    {'':<{width}}  出处：{found.source}")


def _value(row: Entry | None) -> str:
    return row.value if row is not None else ""


# ---- dutybot deadline ------------------------------------------------------------------------


def parse_start(text: str, tz: ZoneInfo) -> datetime:
    """``2026-10-09 10:00``, ``2026-10-09T10:00+08:00``, ``2026-10-09`` (00:00) or ``now``."""
    cleaned = text.strip()
    if cleaned.lower() in ("now", "现在"):
        return datetime.now(tz)
    try:
        parsed = datetime.fromisoformat(cleaned.replace("/", "-"))
    except ValueError:
        fail(
            f"起算时间“{text}”无法识别。请写成 2026-10-09 10:00、2026-10-09T10:00+08:00 "
            "或 2026-10-09（当天 0 点）。"
        )
        raise SystemExit(2) from None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


@main.command("deadline")
@click.argument("rule", required=False)
@click.option("--from", "start", default=None, help="起算时间，如 2026-10-09 10:00（默认现在）。")
@click.option("--policy", "preset", default=None, help="按哪个政策预设计算（默认当前使用的）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.option("--list", "list_rules", is_flag=True, help="列出政策预设中的期限规则。")
@click.pass_context
def deadline(
    ctx: click.Context,
    rule: str | None,
    start: str | None,
    preset: str | None,
    as_json: bool,
    list_rules: bool,
) -> None:
    """计算期限：dutybot deadline rectification.serious --from "2026-10-09 10:00" """
    settings = settings_of(ctx)
    policy = _policy(settings, preset)
    if list_rules:
        _list_rules(policy, as_json)
        return
    if not rule:
        fail(
            "请给出规则名，如 dutybot deadline filing.change --from 2026-10-09；"
            "用 dutybot deadline --list 查看全部规则。"
        )
        return
    tk = _timekeeping(settings)
    begin = parse_start(start or "now", tk.tz)
    try:
        due = tk.due(rule, begin, policy=policy)
    except UnknownRuleError as exc:
        fail(str(exc) + "。")
        return
    except CalendarFileError as exc:
        fail(str(exc))
        return
    if as_json:
        click.echo(json.dumps(due.to_json(), ensure_ascii=False, indent=2))
        return
    local_start = begin.astimezone(tk.tz)
    local_due = due.due_at.astimezone(tk.tz)
    label = policy.rule(rule).label
    click.echo(f"规则：{rule}（{label}），政策预设 {policy.id}")
    where = ""
    if due.inside_working_hours is not None:
        where = "，工作时间内" if due.inside_working_hours else "，工作时间外"
    click.echo(f"起算：{local_start:%Y-%m-%d %H:%M}（{_weekday(local_start.date())}{where}）")
    click.echo(f"截止：{_stamp(local_due)}")
    click.echo(due.explanation)
    if due.provisional:
        years = "、".join(f"{y}年" for y in due.guessed_years)
        click.echo(
            f"注意：{years}的节假日安排尚未录入，结果为暂定；录入后（dutybot calendar template）"
            "系统会自动重算。",
            err=True,
        )


def _list_rules(policy: Policy, as_json: bool) -> None:
    rows = [e for e in entries(policy) if e.path.startswith("deadlines.")]
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "rule": r.path.removeprefix("deadlines."),
                        "label": r.label,
                        "text": r.value,
                        "source": r.source,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"政策预设 {policy.id}（{policy.jurisdiction}）的期限规则：")
    for row in rows:
        click.echo(f"  {row.path.removeprefix('deadlines.'):<28} {row.label}")
        click.echo(f"  {'':<28} {row.value}")
        click.echo(f"  {'':<28} 出处：{row.source}")
