"""Signing in to /dash with Feishu OAuth, against the fake Feishu (consent page, code
exchange, user_info at the HTTP level): the open_id maps to the directory's person."""

from __future__ import annotations

from yarl import URL

from bot.core.services import Services
from tests.fakes.feishu_server import FakeFeishu
from tests.support.dash import rows_of
from tests.support.wecom import Client


async def test_oauth_sign_in_maps_the_open_id_to_the_person(
    bot_client: Client, fake_feishu: FakeFeishu, feishu: Services
) -> None:
    fake_feishu.web_user = "ou_laozhou"
    home = await bot_client.get("/dash/login/feishu")
    assert home.status == 200
    assert str(home.url.path) == "/dash"
    assert "区文旅委宣传科 · 备案经办人、编辑" in await home.text()
    (consent,) = fake_feishu.calls_to("GET", "/open-apis/authen/v1/authorize")
    assert consent.query["app_id"] == fake_feishu.app_id
    assert URL(consent.query["redirect_uri"]).path == "/dash/login/feishu/callback"
    (exchange,) = fake_feishu.calls_to("POST", "/open-apis/authen/v2/oauth/token")
    assert exchange.status == 200
    # A clerk sees their own body's registry (the 文旅委 has no accounts in this org file).
    registry = await bot_client.get("/dash/registry")
    assert registry.status == 200
    assert rows_of(await registry.text(), "registry") == [["没有符合条件的记录"]]


async def test_a_feishu_user_the_directory_does_not_know_is_refused(
    bot_client: Client, fake_feishu: FakeFeishu, feishu: Services
) -> None:
    fake_feishu.web_user = "ou_stranger"
    refused = await bot_client.get("/dash/login/feishu")
    assert refused.status == 403
    assert "您的飞书账号不在本系统的组织名单中，请联系管理员导入。" in await refused.text()
    assert (await bot_client.get("/dash", allow_redirects=False)).status == 303


async def test_a_code_used_twice_fails_with_a_clear_message(
    bot_client: Client, fake_feishu: FakeFeishu, feishu: Services
) -> None:
    fake_feishu.web_user = "ou_xiaowang"
    start = await bot_client.get("/dash/login/feishu", allow_redirects=False)
    consent = await bot_client.session.get(start.headers["Location"], allow_redirects=False)
    callback = consent.headers["Location"]
    first = await bot_client.session.get(callback)
    assert "小王" in await first.text()
    # The same callback again (a reload, or a replay): the session's state was used up.
    again = await bot_client.session.get(callback)
    assert again.status == 400
    assert "飞书登录已过期或不是从本页发起" in await again.text()
