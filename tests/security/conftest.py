"""Fixtures for the bad-input tests: the Feishu webhook with its fake platform (shared with
tests/adapters/feishu) and helpers that sign whatever bytes a test wants to send."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import aiohttp

from bot.adapters.feishu import crypto
from tests.fakes.feishu_server import FakeFeishu
from tests.support.feishu import bot_client, events_url, fake_feishu, feishu

__all__ = ["bot_client", "events_url", "fake_feishu", "feishu", "post_signed_plaintext"]


async def post_signed_plaintext(
    fake: FakeFeishu, url: str, plaintext: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """Encrypt and sign ``plaintext`` as Feishu would, even when it is not what Feishu sends
    (a lone-surrogate escape, deep nesting): a request only the key holder can make."""
    body = json.dumps({"encrypt": crypto.encrypt(fake.encrypt_key, plaintext)}).encode()
    ts, nonce = str(int(time.time())), secrets.token_hex(8)
    sent = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Lark-Request-Timestamp": ts,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": crypto.signature(ts, nonce, fake.encrypt_key, body),
    } | (headers or {})
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=sent) as r:
        return r.status, await r.json(content_type=None)
