"""The worker posts the preset's reports into the supervision group: once per period however
many workers run, with the workbook as a file and the chart as an image."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bot.core.services import Services
from bot.worker import CRON_JOBS, post_reports, review_quarter
from storage.models.reports import ReportRun
from tests.support.chat import ChatHarness
from tests.support.dates import at
from tests.support.policy import use_policy
from tests.support.rectification import SUPERVISORS, WLW_UNIT, notice

GROUP = "group:ljq-jg"
MONTHLY = "政务新媒体2026年11月报表（全区）"
QUARTERLY = "政务新媒体2026年第四季度报表（全区）"


def worker_ctx(h: ChatHarness) -> dict[str, Any]:
    return {"services": h.services}


async def test_the_monthly_report_is_posted_once_with_its_files(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    h = harness
    assert any(job.coroutine is post_reports for job in CRON_JOBS)
    use_policy(services, "jiaxian", calendar_file=tmp_path / "calendar.toml")  # monthly too
    for day in (2, 3, 9, 10):
        h.clock.set(at(2026, 11, day, 10))
        await h.say("xiaowang", "更新 临江文旅（微信）")
    # Late on 30 November: October, 2026Q3 and 2025 had nothing to report; none is posted.
    h.clock.set(at(2026, 11, 30, 23, 56))
    assert await post_reports(worker_ctx(h)) == []
    await h.drain()
    assert await h.new_messages("zhangzr", GROUP) == []
    assert set(await ReportRun.all().values_list("period", flat=True)) == {
        "2026-10",
        "2026Q3",
        "2025",
    }
    assert not await ReportRun.filter(posted=True).exists()

    # Just after midnight three workers look at once: November is posted once.
    h.clock.set(at(2026, 12, 1, 0, 6))
    done = await asyncio.gather(*(post_reports(worker_ctx(h)) for _ in range(3)))
    assert sorted(done) == [[], [], ["2026-11"]]
    await h.drain()
    (posted,) = await h.new_messages("zhangzr", GROUP)
    assert posted.text.startswith(f"【月报】{MONTHLY}\n账号 7 个，更新 4 次（每周至少 2 次，")
    assert [f["name"] for f in posted.files] == [f"{MONTHLY}.xlsx", f"{MONTHLY}.png"]
    download = await h.client.get(posted.files[0]["url"])
    assert download.status == 200
    book = load_workbook(io.BytesIO(await download.read()))
    rows = list(book["账号"].iter_rows(values_only=True))
    header = list(rows[0])
    (wechat,) = [r for r in rows if r[header.index("账号")] == "临江文旅（微信）"]
    assert wechat[header.index("更新次数")] == 4
    image = await h.client.get(posted.files[1]["url"])
    assert (await image.read())[:8] == b"\x89PNG\r\n\x1a\n"
    run = await ReportRun.get(period="2026-11")
    assert run.posted
    assert [f["inline"] for f in run.files] == [False, True]  # the chart shows as an image

    # The cron keeps running all month: nothing more.
    for moment in (at(2026, 12, 1, 0, 16), at(2026, 12, 20, 9)):
        h.clock.set(moment)
        assert await post_reports(worker_ctx(h)) == []
    await h.drain()
    assert await h.new_messages("zhangzr", GROUP) == []


async def test_the_quarterly_report_waits_for_the_quarter_review(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    h = harness
    h.ignore(*WLW_UNIT, *SUPERVISORS, "wangzr")  # the notice, its overdue report, the review
    use_policy(services, "jiaxian", calendar_file=tmp_path / "calendar.toml")
    await notice(h, "ljq-wlw-wechat", at(2026, 11, 23, 10), overdue=True)
    await h.mark_read("zhangzr", GROUP)
    h.clock.set(at(2027, 1, 1, 0, 1))
    # November was posted when its month ended; here December (nothing) and the quarter.
    await ReportRun.create(period="2026-11", kind="monthly", claim="x", created_at=h.clock.now())
    assert await post_reports(worker_ctx(h)) == []  # the quarter is not reviewed yet
    assert not await ReportRun.filter(period="2026Q4").exists()
    assert await review_quarter(worker_ctx(h)) == "2026Q4"
    h.clock.set(at(2027, 1, 1, 0, 6))
    # jiaxian reports quarterly and yearly (第十五条): the year ended with the quarter.
    assert await post_reports(worker_ctx(h)) == ["2026Q4", "2026"]
    await h.drain()
    posted, yearly = await h.new_messages("zhangzr", GROUP)
    assert yearly.text.startswith("【年报】政务新媒体2026年度报表（全区）")
    assert posted.text.startswith(f"【季报】{QUARTERLY}")
    assert "整改通知：下发 1，按时完成 0，逾期 1，驳回重办 0，未办结 1。" in posted.text
    assert (
        "· 临江区文化和旅游发展委员会 季度排名后三位（依据《佳县政务新媒体管理办法》第十七条）"
        in posted.text
    )


async def test_a_preset_without_the_cadence_posts_nothing(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    h = harness
    use_policy(services, "dongguan", calendar_file=tmp_path / "calendar.toml")  # yearly only
    for day in (2, 3):
        h.clock.set(at(2026, 11, day, 10))
        await h.say("xiaowang", "更新 临江文旅（微信）")
    h.clock.set(at(2026, 12, 1, 0, 6))
    assert await post_reports(worker_ctx(h)) == []
    assert set(await ReportRun.all().values_list("period", flat=True)) == {"2025"}
    await h.drain()
    assert await h.new_messages("zhangzr", GROUP) == []
