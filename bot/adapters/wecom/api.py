"""The few WeCom HTTP APIs the bot calls, over aiohttp, with the shared access token.

The token lives in Redis (``bot.tokens``): every web and worker process shares it and only
one refreshes it at a time. A call rejected with 40001/40014/42001 (token invalid or expired,
which WeCom may do early) refetches the token and is retried once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import aiohttp
from redis.asyncio import Redis

from bot import tokens
from bot.core.files import filename_of

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
RATE_ERRORS = frozenset({45009, 45033, 45047})
BUSY_ERRORS = frozenset({-1})


class WeComError(Exception):
    """WeCom answered, but with an error code (or not at all, or not in JSON)."""

    def __init__(
        self,
        message: str,
        *,
        errcode: int | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.status = status
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        return self.errcode in RATE_ERRORS or self.status == 429

    @property
    def transient(self) -> bool:
        """Worth retrying later: network trouble, 5xx, busy, rate limits."""
        if self.rate_limited or self.errcode in BUSY_ERRORS:
            return True
        return self.errcode is None


class WeComApi:
    """One self-built app's API client: token, message/send, update, robot, menu."""

    def __init__(
        self, base_url: str, corp_id: str, agent_id: int, secret: str, redis: Redis | None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._secret = secret
        self.redis = redis
        self._session: aiohttp.ClientSession | None = None
        # How long a call may take before we stop waiting (tests shorten it; see TIMEOUT).
        self.timeout = TIMEOUT
        # One cache entry per app; the secret's hash keeps a rotated secret from reusing
        # the old app's token without putting the secret into Redis.
        digest = hashlib.sha256(secret.encode()).hexdigest()[:8]
        self.token_name = f"wecom:{corp_id}:{agent_id}:{digest}"

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(
        self, method: str, path: str, params: dict[str, str], body: dict[str, Any] | None
    ) -> dict[str, Any]:
        url = f"{self.base_url}/cgi-bin/{path}"
        try:
            async with self._http().request(
                method, url, params=params, json=body, timeout=self.timeout
            ) as resp:
                if resp.status == 429:
                    retry = _retry_after(resp.headers.get("Retry-After"))
                    raise WeComError("企业微信限流（HTTP 429）", status=429, retry_after=retry)
                if resp.status >= 500:
                    raise WeComError(
                        f"企业微信服务暂时不可用（HTTP {resp.status}）", status=resp.status
                    )
                if resp.status != 200:
                    raise WeComError(
                        f"企业微信接口返回 HTTP {resp.status}",
                        status=resp.status,
                        errcode=resp.status,
                    )
                data: Any = await resp.json(content_type=None)
        except WeComError:
            raise
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise WeComError(f"访问企业微信接口失败：{type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise WeComError("企业微信接口返回的不是 JSON 对象")
        errcode = int(data.get("errcode", 0) or 0)
        if errcode != 0 and errcode not in TOKEN_ERRORS:
            raise WeComError(
                f"企业微信接口 {path} 出错：{errcode} {data.get('errmsg', '')}".strip(),
                errcode=errcode,
                retry_after=60.0 if errcode in RATE_ERRORS else None,
            )
        return data

    async def _fetch_token(self) -> tuple[str, int]:
        data = await self._request(
            "GET", "gettoken", {"corpid": self.corp_id, "corpsecret": self._secret}, None
        )
        if int(data.get("errcode", 0) or 0) != 0 or not data.get("access_token"):
            raise WeComError(
                f"获取 access_token 失败：{data.get('errcode')} {data.get('errmsg', '')}",
                errcode=int(data.get("errcode", 0) or 0) or None,
            )
        log.info("fetched a new WeCom access token for agent %s", self.agent_id)
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def token(self) -> str:
        if self.redis is None:  # one-off CLI use without Redis: no cache to share
            return (await self._fetch_token())[0]
        return await tokens.get_token(self.redis, self.token_name, self._fetch_token)

    async def call(
        self, path: str, body: dict[str, Any], params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST an API call with the access token; refetch the token and retry once if needed."""
        return await self._with_token("POST", path, params or {}, body)

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GET an API call with the access token (the same token handling as ``call``)."""
        return await self._with_token("GET", path, params, None)

    async def _with_token(
        self, method: str, path: str, params: dict[str, str], body: dict[str, Any] | None
    ) -> dict[str, Any]:
        for attempt in (1, 2):
            token = await self.token()
            data = await self._request(method, path, {**params, "access_token": token}, body)
            errcode = int(data.get("errcode", 0) or 0)
            if errcode in TOKEN_ERRORS:
                if self.redis is not None:
                    await tokens.invalidate(self.redis, self.token_name, token)
                if attempt == 1:
                    log.info("WeCom rejected the access token (%s); refetching", errcode)
                    continue
                raise WeComError(f"access_token 连续两次无效：{errcode}", errcode=errcode)
            return data
        raise AssertionError("unreachable")

    async def send_message(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("message/send", body)

    async def update_template_card(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("message/update_template_card", body)

    async def create_menu(self, menu: dict[str, Any]) -> dict[str, Any]:
        return await self.call("menu/create", menu, {"agentid": str(self.agent_id)})

    async def upload_file(self, name: str, data: bytes, media_type: str = "file") -> str:
        """``media/upload?type=file`` (or ``image``): a temporary media id (valid 3 days) for a
        file (or image) message."""
        for attempt in (1, 2):
            token = await self.token()
            # Raw UTF-8 file name, as browsers send it: WeCom shows it as is (no %-decoding).
            form = aiohttp.FormData(quote_fields=False)
            form.add_field("media", data, filename=name, content_type="application/octet-stream")
            url = f"{self.base_url}/cgi-bin/media/upload"
            params = {"access_token": token, "type": media_type}
            try:
                async with self._http().post(url, params=params, data=form) as resp:
                    if resp.status != 200:
                        raise WeComError(f"上传文件失败（HTTP {resp.status}）", status=resp.status)
                    answer: Any = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise WeComError(f"上传文件失败：{type(exc).__name__}") from exc
            errcode = int(answer.get("errcode", 0) or 0) if isinstance(answer, dict) else -1
            if errcode in TOKEN_ERRORS and attempt == 1:
                if self.redis is not None:
                    await tokens.invalidate(self.redis, self.token_name, token)
                continue
            if errcode != 0 or not answer.get("media_id"):
                raise WeComError(f"上传文件失败：{errcode}", errcode=errcode or None)
            return str(answer["media_id"])
        raise AssertionError("unreachable")

    async def download_media(self, media_id: str) -> tuple[bytes, str]:
        """``media/get``: the bytes of an image or file a person sent, and its file name."""
        for attempt in (1, 2):
            token = await self.token()
            url = f"{self.base_url}/cgi-bin/media/get"
            params = {"access_token": token, "media_id": media_id}
            try:
                async with self._http().get(url, params=params) as resp:
                    if resp.status != 200:
                        raise WeComError(f"下载文件失败（HTTP {resp.status}）", status=resp.status)
                    body = await resp.read()
                    disposition = resp.headers.get("Content-Disposition", "")
                    is_json = resp.content_type in ("application/json", "text/plain")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise WeComError(f"下载文件失败：{type(exc).__name__}") from exc
            if not is_json:
                return body, filename_of(disposition)
            # Errors come back as JSON instead of the file.
            try:
                answer: Any = json.loads(body)
            except ValueError:
                return body, filename_of(disposition)
            errcode = int(answer.get("errcode", 0) or 0) if isinstance(answer, dict) else -1
            if errcode in TOKEN_ERRORS and attempt == 1:
                if self.redis is not None:
                    await tokens.invalidate(self.redis, self.token_name, token)
                continue
            raise WeComError(f"下载文件失败：{errcode}", errcode=errcode or None)
        raise AssertionError("unreachable")

    async def robot_send(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Post to a group robot; the webhook key authenticates, no access token."""
        return await self._request("POST", "webhook/send", {"key": key}, body)


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value)) if value else 5.0
    except ValueError:
        return 5.0
