"""Authenticate and open one Feishu callback request: signature, replay window, AES, token.

``open_request`` is pure (no aiohttp, no database) so a bare benchmark handler can call it.
Order matters: the signature is checked on the raw bytes before anything is decrypted, and a
request without signature headers may only be the URL-verification challenge, which Feishu
sends unsigned and which stores nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.feishu import crypto
from bot.core import untrusted

# Feishu signs but does not bound the age of a request (nor does the SDK check it):
# a captured request replayed within this window is caught by the dedupe tables instead.
REPLAY_WINDOW_SECONDS = 300

HEADER_TIMESTAMP = "x-lark-request-timestamp"
HEADER_NONCE = "x-lark-request-nonce"
HEADER_SIGNATURE = "x-lark-signature"


class Rejected(Exception):
    """The request is refused with ``status``; ``reason`` is safe to show the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    """A verified, decrypted callback body."""

    payload: dict[str, Any]
    # Set for the URL-verification request: echo it back and do nothing else.
    challenge: str | None = None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    # Proxies and HTTP/2 lowercase header names; the SDK reads them case-sensitively.
    return {k.lower(): v for k, v in headers.items()}


def _json_object(raw: bytes | str, what: str, status: int = 400) -> dict[str, Any]:
    try:
        value = untrusted.loads(raw, what)
    except untrusted.BadJson as exc:
        raise Rejected(status, exc.reason) from None
    if not isinstance(value, dict):
        raise Rejected(status, f"{what}应为 JSON 对象")
    return value


def _check_signature(headers: dict[str, str], body: bytes, encrypt_key: str, now: float) -> bool:
    """True when signed correctly, False when unsigned; raises on a bad or stale signature."""
    timestamp = headers.get(HEADER_TIMESTAMP)
    nonce = headers.get(HEADER_NONCE)
    given = headers.get(HEADER_SIGNATURE)
    if not (timestamp or nonce or given):
        return False
    if not (timestamp and nonce and given):
        raise Rejected(401, "签名信息不完整")
    # Header bytes that are not ASCII arrive as surrogate-escaped text: never a real signature.
    if not (timestamp.isascii() and nonce.isascii() and given.isascii()):
        raise Rejected(401, "签名信息含有非 ASCII 字符")
    try:
        sent_at = float(timestamp)
    except ValueError:
        raise Rejected(401, "请求时间戳格式不正确") from None
    if abs(now - sent_at) > REPLAY_WINDOW_SECONDS:
        raise Rejected(401, "请求时间戳超出 5 分钟有效期（可能是重放的请求）")
    if not crypto.signature_matches(timestamp, nonce, encrypt_key, body, given):
        raise Rejected(401, "签名校验失败")
    return True


def payload_token(payload: Mapping[str, Any]) -> str | None:
    """The verification token a callback carries (v2 ``header.token``, v1 ``token``)."""
    header = payload.get("header")
    if isinstance(header, dict) and isinstance(header.get("token"), str):
        return str(header["token"])
    token = payload.get("token")
    return token if isinstance(token, str) else None


def open_request(
    body: bytes,
    headers: Mapping[str, str],
    *,
    encrypt_key: str | None,
    verification_token: str | None,
    now: float,
) -> Opened:
    """Verify and decrypt a callback body, or raise ``Rejected`` (400 malformed, 401/403 auth)."""
    outer = _json_object(body, "请求体")
    signed = False
    if encrypt_key:
        encrypted = outer.get("encrypt")
        if not isinstance(encrypted, str):
            raise Rejected(401, "请求未加密：已配置 Encrypt Key，飞书发来的请求应当是加密的")
        signed = _check_signature(_lower(headers), body, encrypt_key, now)
        try:
            plaintext = crypto.decrypt(encrypt_key, encrypted)
        except crypto.MalformedCiphertext as exc:
            raise Rejected(400, str(exc)) from None
        except crypto.DecryptError as exc:
            raise Rejected(401, str(exc)) from None
        payload = _json_object(plaintext, "解密后的内容")
    else:
        payload = outer
    token = payload_token(payload)
    if verification_token and not (
        token is not None and hmac.compare_digest(token, verification_token)
    ):
        raise Rejected(403, "Verification Token 不匹配")
    if payload.get("type") == "url_verification":
        challenge = payload.get("challenge")
        if not isinstance(challenge, str):
            raise Rejected(400, "challenge 字段缺失")
        return Opened(payload=payload, challenge=challenge)
    if encrypt_key and not signed:
        raise Rejected(401, "缺少签名（X-Lark-Signature）")
    return Opened(payload=payload)
