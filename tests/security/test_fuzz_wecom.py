"""Issue 12 item 11: Hypothesis fuzzing of the WeCom callback parsers and endpoint: no 500, no
crash, nothing stored from invalid input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.wecom.crypto import CallbackError, parse_envelope
from bot.adapters.wecom.parse import parse_callback, to_event
from bot.app import create_app
from bot.core.services import Services
from bot.handlers import load_all
from storage.models.machinery import InboundEvent
from tests.fakes.wecom_callbacks import CallbackSigner, cdata
from tests.security.fuzzing import any_text, fuzz, fuzz_pure, header_values, wire_text
from tests.security.raw_http import raw_request
from tests.support.wecom import CORP_ID, TOKEN, aes_key, fake_wecom, wecom

__all__ = ["aes_key", "fake_wecom", "wecom"]

TAGS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "AgentID",
        "Event", "EventKey", "TaskId", "ResponseCode", "MediaId", "FileName", "SelectedItems",
        "CardType"]  # fmt: skip
MSG_TYPES = ["text", "image", "file", "voice", "event", "x", ""]
EVENTS = ["click", "enter_agent", "template_card_event", "template_card_menu_event", "x"]


@st.composite
def callback_xml(draw: st.DrawFn) -> str:
    """Callback XML with WeCom's tags, odd values, and sometimes broken markup."""
    fields = draw(st.dictionaries(st.sampled_from(TAGS), wire_text, max_size=8))
    fields.setdefault("MsgType", draw(st.sampled_from(MSG_TYPES)))
    if fields["MsgType"] == "event":
        fields.setdefault("Event", draw(st.sampled_from(EVENTS)))
    inner = "".join(
        f"<{tag}>{cdata(value) if draw(st.booleans()) else value}</{tag}>"
        for tag, value in fields.items()
    )
    tail = draw(st.sampled_from(["", "", "<", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "&a;"]))
    return f"<xml>{inner}</xml>{tail}"


@fuzz_pure
@given(callback_xml() | any_text)
def test_wecom_callback_parser_parses_or_refuses(xml: str) -> None:
    from datetime import UTC, datetime

    try:
        inbound = parse_callback(xml)
    except CallbackError as exc:
        refused: CallbackError | None = exc
    else:
        refused = None
    if refused is not None:
        assert 400 <= refused.status < 500
        return
    to_event(inbound, datetime(2026, 10, 9, tzinfo=UTC), 0)


@fuzz_pure
@given(st.binary(max_size=300) | callback_xml().map(str.encode))
def test_wecom_envelope_parser_parses_or_refuses(body: bytes) -> None:
    try:
        parse_envelope(body)
    except CallbackError as exc:
        refused: CallbackError | None = exc
    else:
        refused = None
    if refused is not None:
        assert 400 <= refused.status < 500


@pytest.fixture
async def wecom_client(wecom: Services) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(wecom, load_all(), console=False)
    async with TestClient(TestServer(app)) as client:
        yield client


@fuzz
@given(
    query=st.dictionaries(
        st.sampled_from(["msg_signature", "timestamp", "nonce", "echostr", "x"]), header_values
    ),
    body=st.binary(max_size=300),
    method=st.sampled_from(["GET", "POST"]),
)
async def test_wecom_endpoint_never_500s_on_unsigned_input(
    wecom_client: TestClient[Any, Any], query: dict[str, bytes], body: bytes, method: str
) -> None:
    qs = "&".join(f"{k}={quote_from_bytes(v)}" for k, v in query.items())
    status, answer = await raw_request(
        wecom_client, method, f"/wecom/callback?{qs}", [(b"Content-Type", b"text/xml")], body
    )
    assert 400 <= status < 500, answer
    assert await InboundEvent.all().count() == 0


@fuzz
@given(xml=callback_xml())
async def test_wecom_endpoint_signed_odd_xml_never_500s(
    wecom_client: TestClient[Any, Any], aes_key: str, xml: str
) -> None:
    signed = CallbackSigner(TOKEN, aes_key, CORP_ID).post(xml)
    resp = await wecom_client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    assert resp.status < 500, await resp.text()
