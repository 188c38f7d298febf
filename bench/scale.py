"""Scale benchmark: 1,000 units on PostgreSQL, and how long the quarterly report takes.

    .venv/bin/python bench/scale.py --pg-url postgres://postgres@127.0.0.1:5432/reports_scale

Seeds a fresh database (recreated) with 1,000 units, 10,000 accounts (10 a unit), 100 duty
teams, and for 2026Q4: 100,000 account updates (published posts), 100,000 posts, 100,000
review steps (33,334 posts × 3 levels, the rest published without steps of their own),
100,000 rectification notices, 100,000 alerts and 18,400 handovers (100 teams × two changes a
day × 92 days), plus the flags a quarterly review leaves. Then it builds the quarterly report
of the district (``--runs`` times), of one unit, the workbook and the chart, and prints the
timings and the query plans of the report's range queries (``EXPLAIN ANALYZE``).

Then it starts ``dutybot serve`` on the database and times every /dash page as a signed-in
supervisor would load it (``bench/dash_pages.py``: ``--page-samples`` requests a page).

Targets (issue 14): the quarterly report ≤ 5 s, every page p95 ≤ 300 ms. ``--skip-seed`` reuses
a seeded database, ``--skip-pages`` times the report only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tortoise import Tortoise  # noqa: E402

from bench.dash_pages import measure_dash  # noqa: E402
from bench.deadlines import percentile, reset_postgres  # noqa: E402
from bot.cli.report_cmd import Reading  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.flows.reports import build, chart_png, parse_period, to_xlsx  # noqa: E402
from bot.policy.runtime import TimeKeeping  # noqa: E402
from storage.db import close_db, init_db, upgrade  # noqa: E402
from storage.enums import AccountStatus, MediaPlatform, UnitKind  # noqa: E402
from storage.models.duty import DutyTeam  # noqa: E402
from storage.models.duty_alerts import Alert, AlertSeverity, AlertSource, AlertStatus  # noqa: E402
from storage.models.duty_handover import DutyHandover, HandoverStatus  # noqa: E402
from storage.models.org import Account, Unit  # noqa: E402
from storage.models.rectification import (  # noqa: E402
    RectCategory,
    RectFlag,
    Rectification,
    RectStatus,
    Severity,
)
from storage.models.review import AccountUpdate, Post, PostStatus, ReviewStep, StepStatus  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
Q_START = datetime(2026, 10, 1, tzinfo=TZ)
Q_SECONDS = 92 * 86400
BATCH = 5_000
PLATFORMS = [MediaPlatform.WECHAT, MediaPlatform.WEIBO, MediaPlatform.DOUYIN]
LEVELS = ["初审", "复审", "终审"]

EXPLAINED = {
    "account_update": "SELECT account_id, published_at FROM account_update "
    "WHERE published_at >= $1 AND published_at < $2",
    "review_step": "SELECT s.level, s.level_name, s.created_at, s.decided_at, p.unit_id "
    "FROM review_step s JOIN review_post p ON p.id = s.post_id "
    "WHERE s.decided_at >= $1 AND s.decided_at < $2",
    "rectification": "SELECT id, owner_unit_id, account_id, status, ever_overdue, reopened "
    "FROM rectification WHERE issued_at >= $1 AND issued_at < $2",
    "duty_alert": "SELECT team_id, account_id, raised_at, acknowledged_at FROM duty_alert "
    "WHERE raised_at >= $1 AND raised_at < $2",
    "duty_handover": "SELECT team_id, status, change_at, submitted_at, acknowledged_at "
    "FROM duty_handover WHERE change_at >= $1 AND change_at < $2",
}


def moment(rng: random.Random) -> datetime:
    return Q_START + timedelta(seconds=rng.randrange(Q_SECONDS))


async def chunks(model: Any, rows: list[Any]) -> None:
    for start in range(0, len(rows), BATCH):
        await model.bulk_create(rows[start : start + BATCH])


async def seed(units_n: int, per_unit: int, rows_n: int, teams_n: int) -> dict[str, float]:
    """Every table the report reads, filled for 2026Q4; returns seconds per table."""
    rng = random.Random(14)
    took: dict[str, float] = {}

    def mark(name: str, started: float) -> None:
        took[name] = round(time.monotonic() - started, 1)
        print(f"  seeded {name} in {took[name]} s", flush=True)

    started = time.monotonic()
    supervisor = await Unit.create(key="zfb", name="区人民政府办公室", kind=UnitKind.GOVERNMENT)
    await chunks(
        Unit,
        [
            Unit(
                key=f"u{i}",
                name=f"第{i}单位",
                kind=UnitKind.GOVERNMENT,
                supervisor_id=supervisor.id,
            )
            for i in range(units_n)
        ],
    )
    unit_ids = list(await Unit.filter(key__startswith="u").values_list("id", flat=True))
    mark("unit", started)

    started = time.monotonic()
    await chunks(
        Account,
        [
            Account(
                key=f"a{u}-{j}",
                name=f"第{u}单位账号{j}",
                platform=PLATFORMS[j % len(PLATFORMS)],
                owner_unit_id=u,
                status=AccountStatus.RUNNING,
            )
            for u in unit_ids
            for j in range(per_unit)
        ],
    )
    accounts = list(await Account.all().values_list("id", "owner_unit_id"))
    mark("account", started)

    started = time.monotonic()
    now = Q_START
    await chunks(
        DutyTeam,
        [
            DutyTeam(key=f"t{i}", name=f"值班组{i}", unit_id=unit_ids[i * len(unit_ids) // teams_n])
            for i in range(teams_n)
        ],
    )
    team_ids = list(await DutyTeam.all().values_list("id", flat=True))
    mark("duty_team", started)

    started = time.monotonic()
    updates = []
    for _ in range(rows_n):
        acc_id, _unit = accounts[rng.randrange(len(accounts))]
        at = moment(rng)
        updates.append(
            AccountUpdate(
                account_id=acc_id,
                link="https://x",
                published_at=at,
                reported_by_id=1,
                created_at=at,
            )
        )
    await chunks(AccountUpdate, updates)
    mark("account_update", started)

    started = time.monotonic()
    posts = []
    for i in range(rows_n):
        acc_id, unit = accounts[rng.randrange(len(accounts))]
        at = moment(rng)
        posts.append(
            Post(
                author_id=1,
                unit_id=unit,
                title=f"稿件{i}",
                status=PostStatus.PUBLISHED,
                policy_id="default",
                account_ids=[acc_id],
                created_at=at,
                updated_at=at,
            )
        )
    await chunks(Post, posts)
    post_rows = list(await Post.all().order_by("id").values_list("id", "created_at"))
    mark("review_post", started)

    started = time.monotonic()
    steps = []
    for post_id, created in post_rows[: (rows_n + 2) // 3]:
        at = created
        for level, name in enumerate(LEVELS):
            decided = at + timedelta(minutes=rng.randrange(5, 600))
            steps.append(
                ReviewStep(
                    post_id=post_id,
                    version=1,
                    level=level,
                    level_name=name,
                    approver_id=1,
                    status=StepStatus.APPROVED,
                    decided_by_id=1,
                    decided_at=decided,
                    created_at=at,
                )
            )
            at = decided
    await chunks(ReviewStep, steps[:rows_n])
    mark("review_step", started)

    started = time.monotonic()
    rects = []
    for i in range(rows_n):
        acc_id, unit = accounts[rng.randrange(len(accounts))]
        at = moment(rng)
        late = rng.random() < 0.15
        status = RectStatus.VERIFIED if rng.random() < 0.8 else RectStatus.ACKNOWLEDGED
        rects.append(
            Rectification(
                supervisor_unit_id=supervisor.id,
                owner_unit_id=unit,
                account_id=acc_id,
                account_label=f"账号{acc_id}",
                problem="栏目长期未更新",
                category=RectCategory.NOT_UPDATED,
                severity=Severity.ORDINARY,
                rule_id="rectification.ordinary",
                status=status,
                ever_overdue=late,
                overdue=late and status != RectStatus.VERIFIED,
                issued_at=at,
                due_at=at + timedelta(hours=4),
                year=2026,
                seq=i + 1,
            )
        )
    await chunks(Rectification, rects)
    mark("rectification", started)

    started = time.monotonic()
    alerts = []
    for i in range(rows_n):
        acc_id, _unit = accounts[rng.randrange(len(accounts))]
        at = moment(rng)
        acked = None if rng.random() < 0.05 else at + timedelta(seconds=rng.randrange(30, 1800))
        alerts.append(
            Alert(
                team_id=team_ids[i % len(team_ids)],
                severity=AlertSeverity.ORDINARY,
                status=AlertStatus.ACKNOWLEDGED if acked else AlertStatus.OPEN,
                source=AlertSource.API,
                title=f"告警{i}",
                account_id=acc_id if i % 2 else None,
                raised_at=at,
                acknowledged_at=acked,
            )
        )
    await chunks(Alert, alerts)
    mark("duty_alert", started)

    started = time.monotonic()
    handovers = []
    for team_id in team_ids:
        for day in range(92):
            for hour in (8, 20):
                change = Q_START + timedelta(days=day, hours=hour, minutes=30)
                handovers.append(
                    DutyHandover(
                        team_id=team_id,
                        shift_id=0,
                        change_at=change,
                        status=HandoverStatus.ACKNOWLEDGED,
                        submitted_at=change - timedelta(minutes=10),
                        acknowledged_at=change + timedelta(minutes=rng.randrange(1, 40)),
                        created_at=now,
                    )
                )
    await chunks(DutyHandover, handovers)
    mark("duty_handover", started)

    started = time.monotonic()
    await chunks(
        RectFlag,
        [
            RectFlag(
                kind="bottom", period="2026Q4", unit_id=u, reason="季度排名后三位", created_at=now
            )
            for u in unit_ids[:3]
        ]
        + [
            RectFlag(
                kind="letter", period="2026Q4", unit_id=u, reason="问题反复出现", created_at=now
            )
            for u in unit_ids[:300]
        ],
    )
    mark("rectification_flag", started)
    await Tortoise.get_connection("default").execute_script("ANALYZE")
    return took


async def explain(label: str) -> dict[str, str]:
    """The plan of each range query the report runs for a period (the scan and its time).

    For 2026Q4 every seeded row matches (a sequential scan is right); for 2026Q3 none does,
    as for one quarter in a database holding years: that plan shows whether an index serves
    the range.
    """
    conn = Tortoise.get_connection("default")
    start, end = parse_period(label).bounds(TZ)
    plans: dict[str, str] = {}
    for table, sql in EXPLAINED.items():
        rows = await conn.execute_query_dict("EXPLAIN ANALYZE " + sql, [start, end])
        lines = [str(next(iter(r.values()))) for r in rows]
        scan = next((line.strip() for line in lines if "Scan" in line), lines[0])
        total = next((line for line in lines if line.startswith("Execution Time")), "")
        plans[table] = f"{scan.split('  (')[0]} | {total}"
    return plans


async def measure(runs: int, unit_key: str, out: Path) -> dict[str, Any]:
    settings = Settings(home=out, calendar_file=out / "calendar.toml", _env_file=None)
    clock = ManualClock(datetime(2027, 1, 5, 10, tzinfo=TZ))
    reading = Reading(tz=TZ, timekeeping=TimeKeeping.from_settings(settings), clock=clock)
    period = parse_period("2026Q4")
    seconds: list[float] = []
    cpu: list[float] = []
    report = None
    for _ in range(runs):
        started, started_cpu = time.monotonic(), time.process_time()
        report = await build(reading, period)
        seconds.append(time.monotonic() - started)
        cpu.append(time.process_time() - started_cpu)
    assert report is not None
    started, started_cpu = time.monotonic(), time.process_time()
    workbook = to_xlsx(report)
    xlsx_s, xlsx_cpu = time.monotonic() - started, time.process_time() - started_cpu
    started, started_cpu = time.monotonic(), time.process_time()
    png = chart_png(report)
    chart_s, chart_cpu = time.monotonic() - started, time.process_time() - started_cpu
    (out / "scale-2026Q4.xlsx").write_bytes(workbook)
    (out / "scale-2026Q4.png").write_bytes(png)
    unit = await Unit.get(key=unit_key)
    started = time.monotonic()
    one = await build(reading, period, unit.id)
    unit_s = time.monotonic() - started
    ordered = sorted(seconds)
    return {
        "build_runs": runs,
        "build_p50_s": round(percentile(ordered, 0.5), 2),
        "build_max_s": round(ordered[-1], 2),
        # CPU seconds of this process (the database server's work is not in it): what the
        # wall time would approach on an idle machine, minus the queries' own time.
        "build_cpu_p50_s": round(percentile(sorted(cpu), 0.5), 2),
        "xlsx_s": round(xlsx_s, 2),
        "xlsx_cpu_s": round(xlsx_cpu, 2),
        "xlsx_bytes": len(workbook),
        "chart_s": round(chart_s, 2),
        "chart_cpu_s": round(chart_cpu, 2),
        "unit_build_s": round(unit_s, 2),
        "units": len(report.units),
        "accounts": len(report.accounts),
        "total_updates": report.total.updates,
        "total_notices": report.total.rect.issued,
        "total_alerts": report.total.alerts,
        "total_handovers": report.total.handovers,
        "unit_accounts": len(one.accounts),
        "files": str(out),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg-url", default="postgres://postgres@127.0.0.1:5432/reports_scale", help="recreated"
    )
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--accounts-per-unit", type=int, default=10)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="where the workbook and chart go")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="for dutybot serve")
    parser.add_argument("--page-samples", type=int, default=20, help="requests timed per page")
    parser.add_argument("--skip-pages", action="store_true", help="only the report")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="scale-"))
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}
    if not args.skip_seed:
        await reset_postgres(args.pg_url)
        await upgrade(args.pg_url)
        await close_db()
    await init_db(args.pg_url)
    try:
        if not args.skip_seed:
            result["seed_s"] = await seed(args.units, args.accounts_per_unit, args.rows, args.teams)
        result["plans_2026Q4"] = await explain("2026Q4")
        result["plans_2026Q3"] = await explain("2026Q3")
        result.update(await measure(args.runs, "u7", out))
        if not args.skip_pages:
            now = datetime(2026, 12, 20, 10, tzinfo=TZ)
            result["dash"] = await measure_dash(
                args.pg_url, args.redis_url, out, now, args.page_samples
            )
    finally:
        await close_db()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
