"""The supervisor dashboard (/dash) in headless Chromium, as a supervisor and a unit head use
it: sign in with the demo picker, filter the registry and export it, watch a rectification
countdown tick (and an overdue one in red), be refused a page one's roles do not open.

Screenshots of each step are kept under the test's tmp dir (``screenshots/``), the artifact
a reviewer looks at; the run prints where they are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openpyxl import load_workbook

from bot.core.services import Services
from bot.web.sources import create_token
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, WAIT_MS, require_chromium, serving
from tests.support.travel import advance

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@dataclass
class Dash:
    base: str
    page: Any
    shots: Path
    services: Services

    async def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def sign_in(self, label_starts: str) -> None:
        from playwright.async_api import expect

        await self.page.goto(f"{self.base}/dash")
        picker = self.page.locator("#person")
        option = picker.locator("option", has_text=label_starts)
        await expect(option).to_have_count(1, timeout=WAIT_MS)
        await picker.select_option(await option.get_attribute("value"))
        await self.page.locator("#demo-login button").click()
        await expect(self.page.locator("header .who .name")).to_be_visible(timeout=WAIT_MS)


@pytest.fixture
async def dash(services: Services, demo_org: None, tmp_path: Path) -> AsyncIterator[Dash]:
    require_chromium()
    from playwright.async_api import async_playwright

    services.demo = True
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with serving(services) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            context = await browser.new_context(locale="zh-CN", accept_downloads=True)
            tab = await context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            yield Dash(base, tab, shots, services)
            assert errors == [], f"JavaScript errors on the page: {errors}"
        finally:
            await browser.close()
    print(f"dashboard screenshots: {shots}")


async def test_supervisor_signs_in_filters_the_registry_and_exports_it(dash: Dash) -> None:
    from playwright.async_api import expect

    page = dash.page
    await dash.sign_in("张主任（临江区人民政府办公室")
    await expect(page.locator("header .who .name")).to_have_text("张主任")
    await expect(page.locator(".figure", has_text="运行中账号").locator(".value")).to_have_text("7")
    await expect(page.locator("#chart-rect")).to_have_text("暂无未完成的整改通知")
    await expect(page.locator("#chart-platforms canvas")).to_have_count(1, timeout=WAIT_MS)
    await dash.shot("01-home-supervisor")

    await page.locator("nav.menu a", has_text="账号台账").click()
    rows = page.locator("#list-registry tbody tr")
    await expect(rows).to_have_count(7)
    await page.locator("select[name=platform]").select_option(label="微信")
    await page.locator("#filters-registry button[type=submit]").click()
    await expect(rows).to_have_count(4)
    assert "platform=wechat" in page.url
    await expect(rows.nth(0).locator("td").nth(1)).to_have_text("临江发布")
    await dash.shot("02-registry-wechat")

    async with page.expect_download() as got:
        await page.locator("a.export").click()
    download = await got.value
    assert download.suggested_filename == "账号台账-20261009-1000.xlsx"
    saved = dash.shots / "registry.xlsx"
    await download.save_as(str(saved))
    book = load_workbook(saved, read_only=True)
    values = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    assert values[0][0].startswith("账号台账（筛选：平台：微信；")
    assert [r[1] for r in values[2:]] == ["临江发布", "临江文旅", "临江教育", "河西镇发布"]

    await page.set_viewport_size(PHONE)
    await page.reload()
    await expect(rows).to_have_count(4)
    # On a phone each row is a card: the cells stack, each with its column name.
    first = rows.nth(0).locator("td").nth(1)
    assert await first.evaluate("el => getComputedStyle(el).display") == "block"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    await dash.shot("03-registry-phone")


async def _issue(base: str, token: str, account: str, problem: str) -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            f"{base}/api/rectifications",
            json={"account": account, "problem": problem, "severity": "ordinary"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status == 201, await answer.text()


async def test_rectification_countdown_ticks_and_overdue_is_red(dash: Dash) -> None:
    from playwright.async_api import expect

    token = await create_token("网信监测", dash.services.clock.now())
    await _issue(dash.base, token, "ljq-jw-wechat", "首页图片链接失效")
    await advance(dash.services, days=30)  # the first notice is long overdue now
    await _issue(dash.base, token, "ljq-wlw-wechat", "推文标题把“临江”写成“林江”")

    page = dash.page
    await dash.sign_in("张主任（临江区人民政府办公室")
    await page.locator("nav.menu a", has_text="整改通知").click()
    rows = page.locator("#list-rectifications tbody tr")
    await expect(rows).to_have_count(2)
    late = rows.filter(has_text="临江教育")
    await expect(late.locator("td[data-due]")).to_contain_text("已逾期")
    assert "overdue" in (await late.locator("td[data-due]").get_attribute("class") or "")
    colour = await late.locator("td[data-due]").evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(192, 57, 43)"
    fresh = rows.filter(has_text="临江文旅").locator("td[data-due]")
    await expect(fresh).to_contain_text("剩余")
    before = await fresh.inner_text()
    await page.wait_for_timeout(2100)
    after = await fresh.inner_text()
    assert before != after, f"the countdown did not move: {before!r}"
    await dash.shot("04-rectifications")

    await rows.filter(has_text="临江文旅").locator("a").first.click()
    await expect(page.locator("h1")).to_contain_text("整改通知 ZG2026-0002")
    await expect(page.locator("#countdown")).to_contain_text("剩余")
    await expect(page.locator("ol.timeline")).to_contain_text("下发")
    await dash.shot("05-rectification-detail")


async def test_unit_head_is_refused_the_audit_log_and_sees_only_their_unit(dash: Dash) -> None:
    from playwright.async_api import expect

    page = dash.page
    await dash.sign_in("王主任（临江区文化和旅游发展委员会")
    menu = page.locator("nav.menu a")
    await expect(menu).to_have_text(
        ["概览", "账号台账", "备案办理", "稿件审核", "整改通知", "报表"]
    )
    await page.goto(f"{dash.base}/dash/registry")
    await expect(page.locator("#list-registry tbody tr")).to_have_count(3)
    response = await page.goto(f"{dash.base}/dash/audit")
    assert response is not None
    assert response.status == 403
    await expect(page.locator(".error")).to_have_text(
        "「审计日志」仅主管单位工作人员与系统管理员可查看。您可查看的页面在上方菜单中。"
    )
    await expect(page.locator("table")).to_have_count(0)
    await dash.shot("06-unit-head-refused")


async def test_supervisor_downloads_the_quarterly_report_and_its_chart(dash: Dash) -> None:
    from playwright.async_api import expect

    page = dash.page
    await dash.sign_in("张主任（临江区人民政府办公室")
    await page.locator("nav.menu a", has_text="报表").click()
    await page.locator("select[name=kind]").select_option(label="季报")
    await page.locator("#filters-reports button[type=submit]").click()
    row = page.locator("#list-reports tbody tr", has_text="2026年第三季度")
    await expect(row).to_have_count(1)
    await dash.shot("07-reports")

    async with page.expect_download() as got:
        await row.locator("a.xlsx").click()
    workbook = await got.value
    assert workbook.suggested_filename.endswith(".xlsx")
    saved = dash.shots / workbook.suggested_filename
    await workbook.save_as(str(saved))
    book = load_workbook(saved, read_only=True)
    about = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if len(r) > 1}
    book.close()
    assert "2026年第三季度" in str(about["报表"])

    async with page.expect_download() as got:
        await row.locator("a.png").click()
    chart = await got.value
    assert chart.suggested_filename.endswith(".png")
    picture = dash.shots / "08-report-chart.png"
    await chart.save_as(str(picture))
    assert picture.stat().st_size > 10_000
