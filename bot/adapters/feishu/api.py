"""The Feishu HTTP API, called with aiohttp directly (not lark-oapi).

Why not the SDK's client: its tenant-token fetch is synchronous ``requests`` (it blocks the
event loop every ~2 h), its cache is per-process and unlocked, every async call builds a new
httpx client, and importing it costs ~3 s and ~170 MB. Here the token lives in Redis with a
single-flight refresh shared by all processes (``bot.tokens``), and one pooled session serves
every call. See docs/decisions/feishu.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from redis.asyncio import Redis

from bot import tokens
from bot.adapters.feishu import constants as c
from bot.core.files import filename_of

log = logging.getLogger(__name__)


class FeishuApiError(Exception):
    """Feishu answered with a non-zero ``code`` (or a non-JSON error)."""

    def __init__(
        self, code: int, msg: str, *, http_status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(f"飞书接口错误 {code}：{msg}（HTTP {http_status}）")
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        return self.http_status == 429 or self.code in c.RATE_LIMITED_CODES

    @property
    def token_invalid(self) -> bool:
        return self.code in c.TOKEN_INVALID_CODES

    @property
    def transient(self) -> bool:
        return self.http_status >= 500 or self.code in c.TRANSIENT_CODES


class TokenFetchError(FeishuApiError):
    """The tenant token could not be had (wrong App Secret, app disabled, …).

    Retried, not given up: it is a configuration problem an admin fixes, and the messages
    waiting behind it should go out once they have.
    """

    @property
    def transient(self) -> bool:
        return True


@dataclass(frozen=True)
class SentMessage:
    message_id: str
    chat_id: str | None = None


def _reset_seconds(headers: Any) -> float | None:
    """``x-ogw-ratelimit-reset``: seconds until the limit resets."""
    value = headers.get("x-ogw-ratelimit-reset") if headers is not None else None
    try:
        return max(1.0, float(value)) if value is not None else None
    except ValueError:
        return None


class FeishuApi:
    """Typed calls for what the bot does; tokens and errors handled in one place."""

    def __init__(self, *, base_url: str, app_id: str, app_secret: str, redis: Redis | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._app_secret = app_secret
        self.redis = redis
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=c.HTTP_TIMEOUT_SECONDS),
                headers={"User-Agent": "dutybot"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch_tenant_token(self) -> tuple[str, int]:
        try:
            data = await self._raw(
                "POST",
                c.TENANT_TOKEN_PATH,
                json={"app_id": self.app_id, "app_secret": self._app_secret},
                token=None,
            )
        except FeishuApiError as exc:
            log.error("飞书 tenant_access_token 获取失败，请检查 App ID / App Secret：%s", exc)
            raise TokenFetchError(
                exc.code, f"获取 tenant_access_token 失败：{exc.msg}", http_status=exc.http_status
            ) from exc
        token = data.get("tenant_access_token")
        if not isinstance(token, str) or not token:
            raise TokenFetchError(-1, "没有返回 tenant_access_token", http_status=200)
        return token, int(data.get("expire") or 7200)

    async def tenant_token(self) -> str:
        if self.redis is None:
            raise RuntimeError("FeishuApi without Redis can only check credentials")
        return await tokens.get_token(
            self.redis, c.token_name(self.app_id), self._fetch_tenant_token
        )

    async def check_credentials(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A fresh (uncached) token, the bot's own record and its groups (``feishu check``)."""
        token, _ = await self._fetch_tenant_token()
        body = await self._raw("GET", c.BOT_INFO_PATH, token=token)
        bot = body.get("bot")
        return (bot if isinstance(bot, dict) else {}), await self.list_chats(token)

    async def _raw(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        form: aiohttp.FormData | None = None,
        token: str | None,
    ) -> dict[str, Any]:
        headers = {} if form is not None else {"Content-Type": "application/json; charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method, self.base_url + path, json=json, params=params, data=form, headers=headers
        ) as resp:
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise FeishuApiError(
                    -1,
                    "返回内容不是 JSON",
                    http_status=resp.status,
                    retry_after=_reset_seconds(resp.headers),
                )
            code = int(body.get("code") or 0)
            if code != 0 or resp.status >= 400:
                raise FeishuApiError(
                    code,
                    str(body.get("msg") or ""),
                    http_status=resp.status,
                    retry_after=_reset_seconds(resp.headers),
                )
            return body

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """An authenticated call; a rejected token is refetched and the call retried once.

        ``form`` builds a multipart body (a FormData can be sent only once, so per attempt).
        """
        token = await self.tenant_token()
        try:
            return await self._raw(
                method, path, json=json, params=params, form=form() if form else None, token=token
            )
        except FeishuApiError as exc:
            if not exc.token_invalid:
                raise
            log.info("feishu tenant token rejected (%s); fetching a new one", exc.code)
            assert self.redis is not None
            await tokens.invalidate(self.redis, c.token_name(self.app_id), token)
            token = await self.tenant_token()
            return await self._raw(
                method, path, json=json, params=params, form=form() if form else None, token=token
            )

    async def upload_file(self, name: str, data: bytes, file_type: str) -> str:
        """Upload a document for a ``file`` message; returns its ``file_key``."""

        def form() -> aiohttp.FormData:
            body = aiohttp.FormData()
            body.add_field("file_type", file_type)
            body.add_field("file_name", name)
            body.add_field("file", data, filename=name, content_type="application/octet-stream")
            return body

        answer = await self.call("POST", c.FILES_PATH, form=form)
        data_field = answer.get("data")
        key = data_field.get("file_key") if isinstance(data_field, dict) else None
        if not isinstance(key, str) or not key:
            raise FeishuApiError(-1, "没有返回 file_key", http_status=200)
        return key

    async def upload_image(self, name: str, data: bytes) -> str:
        """Upload a picture for an ``image`` message (``image_type=message``); its ``image_key``."""

        def form() -> aiohttp.FormData:
            body = aiohttp.FormData()
            body.add_field("image_type", "message")
            body.add_field("image", data, filename=name, content_type="application/octet-stream")
            return body

        answer = await self.call("POST", c.IMAGES_PATH, form=form)
        data_field = answer.get("data")
        key = data_field.get("image_key") if isinstance(data_field, dict) else None
        if not isinstance(key, str) or not key:
            raise FeishuApiError(-1, "没有返回 image_key", http_status=200)
        return key

    async def download_resource(
        self, message_id: str, file_key: str, kind: str
    ) -> tuple[bytes, str]:
        """An image or file a person sent (``messages/:id/resources/:key?type=image|file``)."""
        path = f"{c.MESSAGES_PATH}/{message_id}/resources/{file_key}"
        for attempt in (1, 2):
            token = await self.tenant_token()
            async with self.session.get(
                self.base_url + path,
                params={"type": kind},
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:
                body = await resp.read()
                if resp.status == 200 and resp.content_type != "application/json":
                    return body, filename_of(resp.headers.get("Content-Disposition", ""))
                try:
                    answer: Any = json.loads(body)
                except ValueError:
                    answer = {}
                code = int(answer.get("code") or -1) if isinstance(answer, dict) else -1
                error = FeishuApiError(
                    code,
                    str(answer.get("msg") or "") if isinstance(answer, dict) else "",
                    http_status=resp.status,
                    retry_after=_reset_seconds(resp.headers),
                )
            if error.token_invalid and attempt == 1:
                assert self.redis is not None
                await tokens.invalidate(self.redis, c.token_name(self.app_id), token)
                continue
            raise error
        raise AssertionError("unreachable")

    # ---- messages ------------------------------------------------------------------------

    async def send(
        self, receive_id_type: str, receive_id: str, msg_type: str, content: str, uuid: str
    ) -> SentMessage:
        body = await self.call(
            "POST",
            c.MESSAGES_PATH,
            params={"receive_id_type": receive_id_type},
            json={
                "receive_id": receive_id,
                "msg_type": msg_type,
                "content": content,
                "uuid": uuid,
            },
        )
        return _sent(body)

    async def reply(self, message_id: str, msg_type: str, content: str, uuid: str) -> SentMessage:
        body = await self.call(
            "POST",
            f"{c.MESSAGES_PATH}/{message_id}/reply",
            json={"msg_type": msg_type, "content": content, "uuid": uuid},
        )
        return _sent(body)

    async def patch_card(self, message_id: str, content: str) -> None:
        await self.call("PATCH", f"{c.MESSAGES_PATH}/{message_id}", json={"content": content})

    async def urgent_app(
        self, message_id: str, user_id_type: str, user_ids: list[str]
    ) -> list[str]:
        """Push a message insistently (加急); returns the ids Feishu could not reach."""
        body = await self.call(
            "PATCH",
            f"{c.MESSAGES_PATH}/{message_id}/urgent_app",
            params={"user_id_type": user_id_type},
            json={"user_id_list": user_ids},
        )
        data = body.get("data") or {}
        invalid = data.get("invalid_user_id_list") if isinstance(data, dict) else None
        return [str(x) for x in invalid] if isinstance(invalid, list) else []

    async def user_token(self, code: str, redirect_uri: str) -> str:
        """Exchange a sign-in code for the person's user_access_token (OAuth, /dash)."""
        body = await self._raw(
            "POST",
            c.OAUTH_TOKEN_PATH,
            json={
                "grant_type": "authorization_code",
                "client_id": self.app_id,
                "client_secret": self._app_secret,
                "code": code,
                "redirect_uri": redirect_uri,
            },
            token=None,
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise FeishuApiError(-1, "没有返回 access_token", http_status=200)
        return token

    async def user_info(self, user_token: str) -> dict[str, Any]:
        """Who a user_access_token belongs to: open_id, union_id, user_id, name."""
        body = await self._raw("GET", c.USER_INFO_PATH, token=user_token)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    async def list_chats(self, token: str | None = None) -> list[dict[str, Any]]:
        """Every group the bot is in (``chat_id``, ``name``), for the organisation file."""
        chats: list[dict[str, Any]] = []
        page_token = ""
        while True:
            params = {"page_size": "100"}
            if page_token:
                params["page_token"] = page_token
            if token is not None:
                body = await self._raw("GET", c.CHATS_PATH, params=params, token=token)
            else:
                body = await self.call("GET", c.CHATS_PATH, params=params)
            data = body.get("data") if isinstance(body.get("data"), dict) else {}
            assert isinstance(data, dict)
            chats += [item for item in data.get("items") or [] if isinstance(item, dict)]
            page_token = str(data.get("page_token") or "")
            if not data.get("has_more") or not page_token:
                return chats

    async def bot_open_id(self) -> str | None:
        """The bot's own open_id (to recognise its @-mention in groups), cached in Redis."""
        assert self.redis is not None
        cached = await self.redis.get(c.bot_info_key(self.app_id))
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        body = await self.call("GET", c.BOT_INFO_PATH)
        bot = body.get("bot")
        open_id = bot.get("open_id") if isinstance(bot, dict) else None
        if isinstance(open_id, str) and open_id:
            await self.redis.set(c.bot_info_key(self.app_id), open_id, ex=c.BOT_INFO_TTL_SECONDS)
            return open_id
        return None


def _sent(body: dict[str, Any]) -> SentMessage:
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("message_id"), str):
        raise FeishuApiError(-1, "没有返回 message_id", http_status=200)
    chat_id = data.get("chat_id")
    return SentMessage(
        message_id=str(data["message_id"]), chat_id=chat_id if isinstance(chat_id, str) else None
    )
