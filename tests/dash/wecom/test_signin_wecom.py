"""Signing in to /dash with WeCom, against the fake WeCom (its consent pages and
``auth/getuserinfo`` at the HTTP level): the userid maps to the directory's person."""

from __future__ import annotations

from yarl import URL

from bot.core.services import Services
from tests.fakes.wecom_server import Call, FakeWeCom
from tests.support.wecom import CORP_ID, Client


def consents(fake: FakeWeCom, path: str) -> list[Call]:
    return [c for c in fake.calls if c.path == path]


async def test_qr_sign_in_maps_the_userid_to_the_person(
    bot_client: Client, fake_wecom: FakeWeCom, wecom: Services
) -> None:
    login = await bot_client.get("/dash/login")
    assert 'href="/dash/login/wecom">企业微信登录' in await login.text()
    fake_wecom.web_user = "LiSi"
    home = await bot_client.get("/dash/login/wecom")
    assert home.status == 200
    assert str(home.url.path) == "/dash"
    html = await home.text()
    assert "李四" in html
    assert "青溪区融媒体中心 · 科室负责人" in html
    (consent,) = consents(fake_wecom, "/wwlogin/sso/login")
    assert consent.query["appid"] == CORP_ID
    assert consent.query["login_type"] == "CorpApp"
    assert URL(consent.query["redirect_uri"]).path == "/dash/login/wecom/callback"
    (exchange,) = fake_wecom.calls_to("auth/getuserinfo")
    assert exchange.answer == {"errcode": 0, "errmsg": "ok", "userid": "LiSi"}


async def test_inside_the_wecom_client_the_silent_web_authorisation_is_used(
    bot_client: Client, fake_wecom: FakeWeCom, wecom: Services
) -> None:
    fake_wecom.web_user = "ZhangSan"
    ua = "Mozilla/5.0 (Linux; Android 14) wxwork/4.1.22 MicroMessenger/7.0.1"
    home = await bot_client.get("/dash/login/wecom", headers={"User-Agent": ua})
    assert "张三" in await home.text()
    (consent,) = consents(fake_wecom, "/connect/oauth2/authorize")
    assert consent.query["scope"] == "snsapi_base"


async def test_an_outsider_or_a_stranger_is_refused_and_not_signed_in(
    bot_client: Client, fake_wecom: FakeWeCom, wecom: Services
) -> None:
    fake_wecom.web_user = None  # not a member of the corp: WeCom gives an openid only
    outsider = await bot_client.get("/dash/login/wecom")
    assert outsider.status == 502
    assert "企业微信登录失败：该企业微信账号不是本企业成员" in await outsider.text()
    fake_wecom.web_user = "SomeoneElse"  # a member the org file does not list
    stranger = await bot_client.get("/dash/login/wecom")
    assert stranger.status == 403
    assert "您的企业微信账号不在本系统的组织名单中" in await stranger.text()
    assert (await bot_client.get("/dash", allow_redirects=False)).status == 303


async def test_a_callback_not_started_here_is_refused(
    bot_client: Client, fake_wecom: FakeWeCom, wecom: Services
) -> None:
    """Login CSRF: a code someone else obtained, pushed into this browser, signs nobody in."""
    fake_wecom.web_user = "LiSi"
    fake_wecom.login_codes["stolen"] = "LiSi"
    forged = await bot_client.get("/dash/login/wecom/callback?code=stolen&state=guess")
    assert forged.status == 400
    assert "企业微信登录已过期或不是从本页发起" in await forged.text()
    assert fake_wecom.calls_to("auth/getuserinfo") == []
