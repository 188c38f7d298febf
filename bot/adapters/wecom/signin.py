"""Signing in to /dash with WeCom: 网页授权 inside the WeCom client (silent, snsapi_base),
扫码登录 (the web login QR code) in any other browser. Both end at the same callback with a
``code`` that ``auth/getuserinfo`` turns into the member's userid — the id the directory
already maps to a person for chat messages."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from bot.adapters.wecom.api import WeComApi, WeComError
from bot.core.events import PlatformUser
from bot.web.dash.signin import SignInError
from storage.enums import IdentityKind, Platform


@dataclass
class WeComSignIn:
    api: WeComApi
    oauth_base: str  # 网页授权: https://open.weixin.qq.com
    login_base: str  # 扫码登录: https://login.work.weixin.qq.com
    name: str = "wecom"
    label: str = "企业微信"

    def authorize_url(self, redirect_uri: str, state: str, user_agent: str) -> str:
        if "wxwork" in user_agent.lower():
            query = urlencode(
                {
                    "appid": self.api.corp_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": "snsapi_base",
                    "state": state,
                    "agentid": str(self.api.agent_id),
                }
            )
            return f"{self.oauth_base.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"
        query = urlencode(
            {
                "login_type": "CorpApp",
                "appid": self.api.corp_id,
                "agentid": str(self.api.agent_id),
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.login_base.rstrip('/')}/wwlogin/sso/login?{query}"

    async def users(self, code: str, redirect_uri: str) -> list[PlatformUser]:
        try:
            data = await self.api.get("auth/getuserinfo", {"code": code})
        except WeComError as exc:
            raise SignInError(str(exc)) from exc
        userid = data.get("userid") or data.get("UserId")
        if not userid:
            # An outsider (openid only): not a member of this organisation.
            raise SignInError("该企业微信账号不是本企业成员")
        return [PlatformUser(platform=Platform.WECOM, kind=IdentityKind.USERID, value=str(userid))]
