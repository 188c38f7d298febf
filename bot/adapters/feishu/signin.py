"""Signing in to /dash with Feishu (OAuth 2): the consent page, then the code exchanged for a
user_access_token and that token for the person's ids. The directory knows Feishu people by
open_id (per app), user_id or union_id; whichever the org file gave is looked up."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from bot.adapters.feishu import constants as c
from bot.adapters.feishu.api import FeishuApi, FeishuApiError
from bot.core.events import PlatformUser
from bot.web.dash.signin import SignInError
from storage.enums import IdentityKind, Platform

ID_KINDS = (
    ("open_id", IdentityKind.OPEN_ID),
    ("user_id", IdentityKind.USER_ID),
    ("union_id", IdentityKind.UNION_ID),
)


@dataclass
class FeishuSignIn:
    api: FeishuApi
    name: str = "feishu"
    label: str = "飞书"

    def authorize_url(self, redirect_uri: str, state: str, user_agent: str) -> str:
        query = urlencode({"app_id": self.api.app_id, "redirect_uri": redirect_uri, "state": state})
        return f"{self.api.base_url}{c.AUTHORIZE_PATH}?{query}"

    async def users(self, code: str, redirect_uri: str) -> list[PlatformUser]:
        try:
            token = await self.api.user_token(code, redirect_uri)
            info = await self.api.user_info(token)
        except FeishuApiError as exc:
            raise SignInError(f"{exc.code} {exc.msg}".strip()) from exc
        found = [
            PlatformUser(platform=Platform.FEISHU, kind=kind, value=str(info[key]))
            for key, kind in ID_KINDS
            if info.get(key)
        ]
        if not found:
            raise SignInError("飞书没有返回用户标识")
        return found
