"""报表 in the dashboard: the periods listed, the workbook and chart downloaded as the bot
posts them; a unit head gets their unit's report and is refused another unit's."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from aiohttp.test_utils import TestClient

from bot.core.services import Services
from storage.models.org import Unit
from tests.support.dash import rows_of, sheet_rows, sign_in


def links(html: str) -> list[str]:
    return re.findall(r'href="(/dash/reports/[^"]+)"', html)


async def test_supervisor_lists_periods_and_downloads_the_workbook_and_chart(
    client: TestClient[Any, Any], demo: Services
) -> None:
    await sign_in(client, "zhangzr")
    page = await client.get("/dash/reports?kind=quarterly")
    assert page.status == 200
    html = await page.text()
    periods = [r[0] for r in rows_of(html, "reports")]
    assert periods[:3] == ["2026年第四季度（进行中）", "2026年第三季度", "2026年第二季度"]
    assert "/dash/reports/2026Q3.xlsx" in links(html)

    workbook = await client.get("/dash/reports/2026Q3.xlsx")
    assert workbook.status == 200
    assert workbook.content_type.endswith("spreadsheetml.sheet")
    assert ".xlsx" in unquote(workbook.headers["Content-Disposition"])
    about = {r[0]: r[1] for r in sheet_rows(await workbook.read()) if len(r) > 1}
    assert "2026年第三季度" in str(about["报表"])
    chart = await client.get("/dash/reports/2026Q3.png")
    assert chart.status == 200
    assert chart.content_type == "image/png"
    assert (await chart.read())[:8] == b"\x89PNG\r\n\x1a\n"

    typed = await client.get("/dash/reports?period=2026年13月")
    assert "不是有效的报表期间" in await typed.text() or "不是报表期间" in await typed.text()


async def test_unit_head_gets_their_units_report_and_is_refused_another(
    client: TestClient[Any, Any], demo: Services
) -> None:
    await sign_in(client, "wangzr")
    html = await (await client.get("/dash/reports")).text()
    assert "您看到的是本单位的报表" in html
    own = await client.get("/dash/reports/2026Q3.xlsx")
    assert own.status == 200
    about = {r[0]: r[1] for r in sheet_rows(await own.read()) if len(r) > 1}
    assert "临江区文化和旅游发展委员会" in str(about["报表"])
    other = await Unit.get(key="ljq-jw")
    refused = await client.get(f"/dash/reports/2026Q3.xlsx?unit={other.id}")
    assert refused.status == 403
    assert "您只能查看本单位的报表" in await refused.text()
