"""Issue 12 item 11: Hypothesis fuzzing of the Feishu inbound parsers, the monitoring API, the
console API and the Feishu endpoint: no 500, no crash, nothing stored from invalid input.
(The WeCom side is in test_fuzz_wecom.py.)"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.feishu import crypto, payloads
from bot.adapters.feishu.verify import Rejected, open_request
from bot.core import untrusted
from bot.core.services import Services
from bot.web.sources import create_token
from storage.models.duty_alerts import Alert
from storage.models.machinery import InboundEvent
from storage.models.rectification import Rectification
from tests.fakes.feishu_server import FakeFeishu
from tests.harness import ChatHarness
from tests.security.fuzzing import (
    any_text,
    fuzz,
    fuzz_pure,
    header_values,
    json_values,
    nested,
    wire_text,
)
from tests.security.raw_http import raw_request

# ---- pure parsers -------------------------------------------------------------------------


@fuzz_pure
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_untrusted_loads_parses_or_refuses(raw: bytes) -> None:
    try:
        value = untrusted.loads(raw)
    except untrusted.BadJson as exc:
        refused: untrusted.BadJson | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.reason
        return
    cleaned = untrusted.clean(value)
    assert untrusted.clean(cleaned) == cleaned
    json.dumps(cleaned).encode("utf-8")  # storable: no lone surrogate survives


@pytest.mark.parametrize("raw", [b"NaN", b"[1, Infinity]", b'{"a": -Infinity}'])
def test_untrusted_loads_refuses_non_json_numbers(raw: bytes) -> None:
    # Found by the fuzzer: Python's json takes NaN, which jsonb cannot store and NaN != NaN.
    with pytest.raises(untrusted.BadJson) as refused:
        untrusted.loads(raw)
    assert refused.value.reason == "请求内容不是有效的 JSON"


@fuzz_pure
@given(json_values)
def test_clean_leaves_nothing_postgres_refuses(value: Any) -> None:
    text = json.dumps(untrusted.clean(value))
    assert "\\u0000" not in text
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in json.loads(text).__repr__())


def _event_like(draw: st.DrawFn) -> dict[str, Any]:
    """Near-valid Feishu event bodies: the right keys, wrong or odd values."""
    kind = draw(st.sampled_from(["im.message.receive_v1", "card.action.trigger",
                                 "application.bot.menu_v6", "p2p_chat_create", "x"]))  # fmt: skip
    event = draw(st.dictionaries(st.sampled_from(
        ["message", "sender", "operator", "action", "event_key", "context", "chat_id"]),
        json_values, max_size=5))  # fmt: skip
    if draw(st.booleans()):
        event["message"] = {
            "message_id": draw(any_text),
            "chat_type": draw(st.sampled_from(["p2p", "group", "x"])),
            "message_type": draw(st.sampled_from(["text", "post", "image", "file", "x"])),
            "content": draw(any_text | json_values.map(json.dumps)),
            "mentions": draw(json_values),
        }
    return {
        "schema": "2.0",
        "header": {"event_id": draw(any_text), "event_type": kind},
        "event": event,
    }


@fuzz_pure
@given(json_values | st.composite(_event_like)())
def test_feishu_payload_parser_parses_or_refuses(payload: Any) -> None:
    if not isinstance(payload, dict):
        return
    with contextlib.suppress(payloads.BadPayload):
        payloads.parse(payload, bot_open_id="ou_bot")


@fuzz_pure
@given(
    body=st.binary(max_size=120) | st.just(nested(5000)),
    headers=st.dictionaries(
        st.sampled_from(["X-Lark-Signature", "X-Lark-Request-Nonce", "X-Lark-Request-Timestamp"]),
        any_text,
    ),
)
def test_feishu_open_request_verifies_or_refuses(body: bytes, headers: dict[str, str]) -> None:
    try:
        open_request(body, headers, encrypt_key="k" * 16, verification_token="t", now=time.time())
    except Rejected as exc:
        refused: Rejected | None = exc
    else:
        refused = None
    if refused is not None:
        assert 400 <= refused.status < 500
        assert refused.reason


# ---- the Feishu endpoint -------------------------------------------------------------------


@pytest.mark.usefixtures("feishu")
@fuzz
@given(
    body=st.binary(max_size=300),
    headers=st.lists(
        st.tuples(
            st.sampled_from([b"X-Lark-Signature", b"X-Lark-Request-Nonce",
                             b"X-Lark-Request-Timestamp", b"Content-Type", b"X-Other"]),
            header_values,
        ),
        max_size=4,
    ),
)  # fmt: skip
async def test_feishu_endpoint_never_500s_on_unsigned_input(
    bot_client: TestClient[Any, Any], body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    status, _ = await raw_request(bot_client, "POST", "/feishu/events", headers, body)
    assert status < 500 or status == 0
    assert await InboundEvent.all().count() == 0


@fuzz
@given(plaintext=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
async def test_feishu_endpoint_signed_garbage_is_a_4xx(
    bot_client: TestClient[Any, Any], fake_feishu: FakeFeishu, plaintext: bytes
) -> None:
    """Signed and encrypted with the right key, but not an event: refused, nothing stored."""
    body = json.dumps({"encrypt": crypto.encrypt(fake_feishu.encrypt_key, plaintext)}).encode()
    ts, nonce = str(int(time.time())), "n"
    headers = [
        (b"X-Lark-Request-Timestamp", ts.encode()),
        (b"X-Lark-Request-Nonce", nonce.encode()),
        (b"X-Lark-Signature", crypto.signature(ts, nonce, fake_feishu.encrypt_key, body).encode()),
    ]
    status, answer = await raw_request(bot_client, "POST", "/feishu/events", headers, body)
    assert status < 500, answer
    if status >= 400:
        assert await InboundEvent.all().count() == 0


# ---- the monitoring API --------------------------------------------------------------------

FIELDS = ["account", "owner_unit", "problem", "evidence", "category", "severity",
          "external_id", "received_at", "title", "description", "link", "team"]  # fmt: skip
MONITORING_APIS = pytest.mark.parametrize("path", ["/api/rectifications", "/api/alerts"])


@MONITORING_APIS
@fuzz
@given(
    body=st.dictionaries(st.sampled_from(FIELDS) | any_text, json_values, max_size=8)
    | json_values
    | st.just(nested(3000)),
    authorization=header_values,
)
async def test_monitoring_api_never_500s(
    harness: ChatHarness, path: str, body: Any, authorization: bytes
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, answer = await raw_request(
        harness.client, "POST", path,
        [(b"Authorization", authorization), (b"Content-Type", b"application/json")], raw,
    )  # fmt: skip
    assert status in (400, 401), answer  # no valid token: never further than the door
    assert await Rectification.all().count() == 0
    assert await Alert.all().count() == 0


@MONITORING_APIS
@fuzz
@given(
    body=st.dictionaries(st.sampled_from(FIELDS), wire_text | json_values, max_size=8).map(
        lambda d: {"problem": "链接返回 404", "title": "首页无法访问", **d}
    )
)
async def test_monitoring_api_with_a_token_never_500s(
    harness: ChatHarness, services: Services, path: str, body: dict[str, Any]
) -> None:
    token = await _token(services)
    resp = await harness.client.post(
        path, data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    answer = await resp.json()
    assert resp.status < 500, answer
    if resp.status >= 400:
        assert answer["ok"] is False
        assert answer["error"]


_TOKENS: dict[int, str] = {}


async def _token(services: Services) -> str:
    key = id(services)
    if key not in _TOKENS:
        _TOKENS[key] = await create_token("fuzz", services.clock.now())
    return _TOKENS[key]


# ---- the console API -----------------------------------------------------------------------


@fuzz
@given(
    path=st.sampled_from(["/console/api/messages", "/console/api/actions", "/console/api/clock"]),
    body=json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
    | st.just(nested(3000)),
)
async def test_console_posts_never_500(harness: ChatHarness, path: str, body: bytes) -> None:
    status, answer = await raw_request(
        harness.client, "POST", path, [(b"Content-Type", b"application/json")], body
    )
    assert status < 500, answer


@fuzz
@given(params=st.dictionaries(st.sampled_from(["as", "chat", "after", "limit"]), wire_text))
async def test_console_reads_never_500(harness: ChatHarness, params: dict[str, str]) -> None:
    for path in ("/console/api/messages", "/console/api/chats"):
        resp = await harness.client.get(path, params=params)
        assert resp.status < 500, await resp.text()
