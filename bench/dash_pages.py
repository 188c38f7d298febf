"""Time every /dash page against a real ``dutybot serve`` on a seeded database (bench/scale.py).

A supervisor's browser, over HTTP: sign in with an operator token (the sign-in page's CSRF
field, the session cookie), then each page — the overview, every list (first page, a page deep
in the list, one unit's rows), a notice's detail, the reports page — ``samples`` times after
one warm-up request, one request at a time. Reported per page: p50, p95 and max in ms, and the
page's size; every answer must be 200 with the page's own title (a 403 or an error page timed
as fast would be a lie).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.callbacks import free_port, percentile, wait_http
from bot.web.dash.signin import create_token
from storage.models.org import Unit
from storage.models.rectification import Rectification

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    title: str  # text the page must contain (its heading)


async def pages() -> list[Page]:
    """The pages to time, with ids from the seeded database."""
    unit = await Unit.filter(key="u7").first()
    notice = await Rectification.all().order_by("-id").first()
    unit_q = f"?unit={unit.id}" if unit is not None else ""
    found = [
        Page("概览", "/dash", "概览"),
        Page("账号台账", "/dash/registry", "账号台账"),
        Page("账号台账 第50页", "/dash/registry?page=50", "账号台账"),
        Page("账号台账 一个单位", f"/dash/registry{unit_q}", "账号台账"),
        Page("备案办理", "/dash/filings", "备案办理"),
        Page("稿件审核", "/dash/reviews", "稿件审核"),
        Page("稿件审核 第50页", "/dash/reviews?page=50", "稿件审核"),
        Page("整改通知", "/dash/rectifications", "整改通知"),
        Page("整改通知 第50页", "/dash/rectifications?page=50", "整改通知"),
        Page("整改通知 一个单位", f"/dash/rectifications{unit_q}", "整改通知"),
        Page("值班表", "/dash/duty", "值班"),
        Page("告警", "/dash/alerts", "值班"),
        Page("告警 第50页", "/dash/alerts?page=50", "值班"),
        Page("交接记录", "/dash/handovers", "值班"),
        Page("审计日志", "/dash/audit", "审计日志"),
        Page("报表", "/dash/reports", "报表"),
    ]
    if notice is not None:
        found.append(Page("整改通知详情", f"/dash/rectifications/{notice.id}", "整改"))
    return found


async def measure_dash(
    db_url: str, redis_url: str, home: Path, now: datetime, samples: int
) -> dict[str, Any]:
    """Start ``dutybot serve`` on the database, sign in, time every page."""
    token = await create_token("bench-scale", now, replace=True)
    port = free_port()
    env = {
        **os.environ,
        "DUTYBOT_HOME": str(home / "serve-home"),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_HTTP_HOST": "127.0.0.1",
        "DUTYBOT_HTTP_PORT": str(port),
        "DUTYBOT_LOG_LEVEL": "WARNING",
    }
    log = (home / "serve.log").open("w")
    serve = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_http(f"{base}/healthz?scope=web", within=60)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1 (an IP, not a name)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            await _sign_in(session, base, token.token)
            results = {}
            for page in await pages():
                results[page.label] = await _time(session, base, page, samples)
    finally:
        serve.terminate()
        serve.wait(30)
        log.close()
    return {"samples": samples, "pages": results}


async def _sign_in(session: aiohttp.ClientSession, base: str, token: str) -> None:
    async with session.get(f"{base}/dash/login") as resp:
        found = CSRF.search(await resp.text())
    if found is None:
        raise RuntimeError("the sign-in page has no CSRF field")
    form = {"csrf": found.group(1), "token": token, "next": "/dash"}
    async with session.post(f"{base}/dash/login/token", data=form) as resp:
        if resp.status != 200 or resp.url.path != "/dash":
            raise RuntimeError(f"sign-in refused: {resp.status} {await resp.text()}")


async def _time(
    session: aiohttp.ClientSession, base: str, page: Page, samples: int
) -> dict[str, float]:
    timings: list[float] = []
    size = 0
    for n in range(samples + 1):
        started = time.perf_counter()
        async with session.get(base + page.path, allow_redirects=False) as resp:
            body = await resp.text()
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status != 200 or page.title not in body:
            raise RuntimeError(f"{page.path}: {resp.status}, not the page\n{body[:500]}")
        if n:  # the first request warms caches (templates, the pool): not timed
            timings.append(elapsed)
        size = len(body.encode())
    ordered = sorted(timings)
    return {
        "p50_ms": round(percentile(ordered, 0.5), 1),
        "p95_ms": round(percentile(ordered, 0.95), 1),
        "max_ms": round(ordered[-1], 1),
        "kib": round(size / 1024, 1),
    }
