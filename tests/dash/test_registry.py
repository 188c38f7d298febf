"""The registry page: filters, the activity verdict, paging, and the .xlsx of the filter."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp.test_utils import TestClient

from bot.core.services import Services
from storage.enums import AccountStatus
from storage.models.org import Account, Unit
from tests.support.chat import ChatHarness
from tests.support.dash import rows_of, sheet_rows, sign_in


async def test_filter_by_platform_and_export_the_same_rows(
    client: TestClient[Any, Any], demo: Services
) -> None:
    await sign_in(client, "zhangzr")
    page = await client.get("/dash/registry?platform=wechat")
    rows = rows_of(await page.text(), "registry")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("临江区人民政府办公室", "临江发布", "微信"),
        ("临江区文化和旅游发展委员会", "临江文旅", "微信"),
        ("临江区教育委员会", "临江教育", "微信"),
        ("临江区河西镇人民政府", "河西镇发布", "微信"),
    ]
    assert 'option value="wechat" selected' in await page.text()

    export = await client.get("/dash/registry.xlsx?platform=wechat")
    assert export.status == 200
    assert export.content_type.endswith("spreadsheetml.sheet")
    assert "账号台账-20261009-1000.xlsx" in unquote(export.headers["Content-Disposition"])
    sheet = sheet_rows(await export.read())
    assert sheet[0][0] == "账号台账（筛选：平台：微信；导出于 2026-10-09 10:00；共 4 条）"
    assert sheet[1] == [
        "单位",
        "账号名称",
        "平台",
        "平台账号",
        "状态",
        "最近更新",
        "本周更新/要求",
        "是否达标",
    ]
    assert [r[:8] for r in sheet[2:]] == [r[:8] for r in rows]


async def test_an_update_shows_as_last_update_and_this_weeks_count(
    harness: ChatHarness, client: TestClient[Any, Any], services: Services
) -> None:
    services.demo = True
    said = await harness.say("xiaowang", "更新 临江文旅（微信）")
    assert [m.text for m in said] == [
        "已记录临江文旅（微信）的更新（10月9日 10:00）。本周已更新 1 次。"
    ]
    await sign_in(client, "wangzr")
    unit = await Unit.get(key="ljq-wlw")
    page = await client.get(f"/dash/registry?unit={unit.id}&platform=wechat")
    (row,) = rows_of(await page.text(), "registry")
    assert row[5] == "2026-10-09 10:00"
    assert row[6] == "1/1"
    assert row[7] == "达标"
    douyin = await client.get(f"/dash/registry?unit={unit.id}&platform=douyin")
    (other,) = rows_of(await douyin.text(), "registry")
    assert other[5] == "无记录"
    assert other[6] == "0/1"


async def test_status_filter_and_paging_of_a_large_registry(
    client: TestClient[Any, Any], demo: Services
) -> None:
    unit = await Unit.get(key="ljq-hxz")
    await Account.bulk_create(
        [
            Account(
                key=f"bulk-{i:03d}",
                name=f"河西村务{i:03d}",
                platform="wechat",
                owner_unit_id=unit.id,
                status=AccountStatus.SUSPENDED if i % 2 else AccountStatus.RUNNING,
            )
            for i in range(120)
        ]
    )
    await sign_in(client, "zhangzr")
    first = await client.get(f"/dash/registry?unit={unit.id}&status=suspended")
    html = await first.text()
    assert "共 60 条" in html
    assert "第 1 / 2 页" in html
    rows = rows_of(html, "registry")
    assert len(rows) == 50
    assert {r[4] for r in rows} == {"临时下线"}
    second = await client.get(f"/dash/registry?unit={unit.id}&status=suspended&page=2")
    assert len(rows_of(await second.text(), "registry")) == 10
    export = sheet_rows(
        await (await client.get(f"/dash/registry.xlsx?unit={unit.id}&status=suspended")).read()
    )
    assert len(export) == 2 + 60  # every row of the filter, not only the page
