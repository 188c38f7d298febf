"""Feishu for tests: a fake Feishu on loopback, the bot configured for it.

The fixtures here are imported by the conftest of every test directory that talks Feishu
(pytest finds fixtures by name)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu import people
from bot.adapters.feishu.setup import install_feishu
from bot.app import create_app
from bot.config import Settings
from bot.core.services import Services
from bot.handlers import load_all
from tests.fakes.feishu_server import FakeFeishu
from tests.support.orgs import FEISHU_ORG, load_org_text
from tests.support.travel import deliver_all


def feishu_settings(base: Settings, fake: FakeFeishu, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "feishu_app_id": fake.app_id,
        "feishu_app_secret": fake.app_secret,
        "feishu_verification_token": fake.verification_token,
        "feishu_encrypt_key": fake.encrypt_key,
        "feishu_api_base": fake.base_url,
        "feishu_mode": "webhook",
        "console": False,
    }
    values.update(overrides)
    return base.model_copy(update=values)


@pytest.fixture
async def fake_feishu() -> AsyncIterator[FakeFeishu]:
    fake = FakeFeishu()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def feishu(services: Services, fake_feishu: FakeFeishu) -> AsyncIterator[Services]:
    """The test services with Feishu switched on (as ``open_services`` does when configured)."""
    services.settings = feishu_settings(services.settings, fake_feishu)
    # Which Feishu ids are on file is cached per process; each test has its own directory.
    people._known_cache.clear()
    services.channels.clear()
    install_feishu(services)
    await load_org_text(FEISHU_ORG, services.clock.now())
    try:
        yield services
    finally:
        await close_feishu(services)


@pytest.fixture
async def bot_client(feishu: Services) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(feishu, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
def events_url(bot_client: TestClient[object, object]) -> str:
    return str(bot_client.make_url("/feishu/events"))


async def close_feishu(services: Services) -> None:
    """What ``open_services`` does at shutdown: finish background work, close sessions."""
    await services.wait_background()
    await services.close()


# ---- 送审 on Feishu (REVIEW_FEISHU_ORG) ----


def group_cards(fake: FakeFeishu) -> list[str]:
    """The cards posted in REVIEW_FEISHU_ORG's review group."""
    return [m.message_id for m in fake.sent("interactive", "oc_wlw_review")]


async def say_as_xiaowang(feishu: Services, fake: FakeFeishu, url: str, text: str) -> None:
    event = fake.message_event(sender_open_id="ou_xiaowang", text=text)
    assert (await fake.post_to_bot(url, event))[0] == 200
    await deliver_all(feishu)


async def submit_on_feishu(
    feishu: Services,
    fake: FakeFeishu,
    url: str,
    text: str,
    files: tuple[tuple[str, str, bytes], ...] = (),
) -> None:
    """送审 on Feishu: the form card, then the attachments in the chat (``files``: kind, name,
    bytes; none means "无"), then 送审 on the summary."""
    await say_as_xiaowang(feishu, fake, url, "送审")
    form_card = fake.sent("interactive", "ou_xiaowang")[-1]
    assert "标题" in form_card.text
    form = {"title": "桃花节开幕", "text": text, "link": "", "accounts": "1", "kind": "原创"}
    await fake.tap(url, form_card.message_id, "下一步", operator_open_id="ou_xiaowang", form=form)
    await deliver_all(feishu)
    # Cards cannot take files: the attachments are asked for in the chat.
    assert "请发送图片或附件" in fake.sent("text", "ou_xiaowang")[-1].text
    for kind, name, data in files:
        event = fake.file_message_event(
            sender_open_id="ou_xiaowang", kind=kind, name=name, data=data
        )
        assert (await fake.post_to_bot(url, event))[0] == 200
        await deliver_all(feishu)
        assert "已收到" in fake.sent("text", "ou_xiaowang")[-1].text
    await say_as_xiaowang(feishu, fake, url, "好了" if files else "无")
    summary = fake.sent("interactive", "ou_xiaowang")[-1]
    assert "发布账号：临江文旅（微信）" in summary.text
    answer = await fake.tap(url, summary.message_id, "送审", operator_open_id="ou_xiaowang")
    assert answer["toast"]["content"] == "已提交"
    await deliver_all(feishu)
