"""The console page in headless Chromium: a clerk asks for 帮助 and taps 我的信息.

The real app (create_app with the console) is served on a loopback port, with the arq worker
running in this process, so replies are delivered exactly as in `dutybot demo`. Chromium is
Debian's package; `playwright install` is never used. Without Chromium the test skips, unless
DUTYBOT_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.services import Services
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, WAIT_MS, require_chromium, serving

pytestmark = pytest.mark.browser


@pytest.fixture
async def console_url(services: Services, demo_org: None) -> AsyncIterator[str]:
    async with serving(services) as base:
        yield f"{base}/console"


@pytest.fixture
async def page(console_url: str) -> AsyncIterator[Any]:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            context = await browser.new_context(locale="zh-CN")
            tab = await context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            await tab.goto(console_url)
            yield tab
            assert errors == [], f"JavaScript errors on the page: {errors}"
        finally:
            await browser.close()


async def test_clerk_asks_for_help_and_taps_my_info(page: Any) -> None:
    from playwright.async_api import expect

    picker = page.locator("#who")
    clerk = picker.locator("option", has_text="老周（区文旅委宣传科·备案经办人、编辑）")
    await expect(clerk).to_have_count(1, timeout=WAIT_MS)
    await picker.select_option(await clerk.get_attribute("value"))
    await expect(page.locator("#chattitle")).to_have_text("值班助手（单聊）")
    await expect(page.locator("#whoinfo")).to_have_text("区文旅委宣传科 · 备案经办人、编辑")

    await page.locator("#input").fill("帮助")
    await page.locator("#send").click()

    await expect(page.locator(".msg.mine .bubble")).to_have_text("帮助")
    help_card = page.locator(".card", has_text="老周，我能帮您做什么")
    await expect(help_card).to_be_visible(timeout=WAIT_MS)
    await expect(help_card.locator(".body")).to_contain_text(
        "您是「区文旅委宣传科」的备案经办人、编辑。"
    )
    await expect(help_card.locator(".body")).to_contain_text("办理本单位政务新媒体的开设")
    await expect(page.locator("#input")).to_have_value("")

    await help_card.get_by_role("button", name="我的信息").click()

    info_card = page.locator(".card", has=page.locator(".head", has_text="我的信息"))
    await expect(info_card).to_be_visible(timeout=WAIT_MS)
    await expect(info_card.locator("tr", has_text="单位")).to_contain_text("区文旅委宣传科")
    await expect(info_card.locator("tr", has_text="角色")).to_contain_text("备案经办人、编辑")


async def test_sending_before_choosing_a_person_says_what_to_do(page: Any) -> None:
    from playwright.async_api import expect

    await expect(page.locator("#who option")).not_to_have_count(1, timeout=WAIT_MS)
    await page.locator("#input").fill("帮助")
    await page.locator("#input").press("Enter")
    await expect(page.locator("#toast")).to_have_text("请先在左侧“我是”中选择身份")
    await expect(page.locator("#input")).to_have_value("帮助")  # nothing typed is lost


async def test_shift_enter_breaks_the_line_and_enter_sends(page: Any) -> None:
    from playwright.async_api import expect

    picker = page.locator("#who")
    clerk = picker.locator("option", has_text="老周（区文旅委宣传科·备案经办人、编辑）")
    await expect(clerk).to_have_count(1, timeout=WAIT_MS)
    await picker.select_option(await clerk.get_attribute("value"))
    box = page.locator("#input")
    await box.type("第一段")
    await box.press("Shift+Enter")
    await box.type("第二段")
    await expect(box).to_have_value("第一段\n第二段")  # Shift+Enter did not send
    await box.press("Enter")
    await expect(page.locator(".msg.mine .bubble")).to_have_text("第一段\n第二段")
    await expect(box).to_have_value("")
    # The 📎 button is drawn, not an emoji a machine may lack a font for.
    await expect(page.locator("#attach svg")).to_have_count(1)


async def test_a_file_shows_a_drawn_icon_and_its_name(page: Any) -> None:
    from playwright.async_api import expect

    picker = page.locator("#who")
    clerk = picker.locator("option", has_text="老周（区文旅委宣传科·备案经办人、编辑）")
    await expect(clerk).to_have_count(1, timeout=WAIT_MS)
    await picker.select_option(await clerk.get_attribute("value"))
    # The chat opens after the person is chosen; a file picked before that is refused.
    await expect(page.locator("#chattitle")).to_have_text("值班助手（单聊）", timeout=WAIT_MS)
    await page.locator("#file").set_input_files(
        {"name": "说明.txt", "mimeType": "text/plain", "buffer": "整改说明".encode()}
    )
    bubble = page.locator(".bubble.file", has_text="说明.txt").first
    await expect(bubble).to_be_visible(timeout=WAIT_MS)
    # Drawn, not the 📄 emoji that is an empty box without an emoji font (the 备案表 too).
    await expect(bubble.locator("svg")).to_have_count(1)
    assert "📄" not in await bubble.inner_text()
