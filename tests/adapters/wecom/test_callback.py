"""/wecom/callback through the real app, database, Redis and outbox, with the fake WeCom API.

Bad input: wrong signature -> 403, malformed -> 400, nothing stored; replays processed once.
"""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient

from bot.core.services import Services
from storage.enums import InboundStatus
from storage.models.machinery import AuditEntry, InboundEvent, OutboxMessage
from tests.fakes.wecom_callbacks import (
    CallbackSigner,
    click_xml,
    enter_agent_xml,
    image_xml,
    text_xml,
)
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.travel import settle
from tests.support.wecom import AGENT_ID, CORP_ID

Client = TestClient[object, object]


async def post(client: Client, platform: WeComPlatform, xml: str, **kw: str) -> tuple[int, str]:
    signed = platform.signer.post(xml, agent_id=AGENT_ID, **kw)
    resp = await client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    return resp.status, await resp.text()


async def stored_nothing() -> bool:
    return (
        await InboundEvent.all().count() == 0
        and await OutboxMessage.all().count() == 0
        and await AuditEntry.filter(actor_id__not_isnull=True).count() == 0
    )


async def test_url_verification_echoes_the_plaintext(
    bot_client: Client, platform: WeComPlatform
) -> None:
    params = platform.signer.url_verification("8347562019384756")
    resp = await bot_client.get("/wecom/callback", params=params)
    assert resp.status == 200
    assert await resp.read() == b"8347562019384756"


async def test_url_verification_with_a_wrong_signature_is_refused(
    bot_client: Client, platform: WeComPlatform
) -> None:
    params = platform.signer.url_verification("123")
    params["msg_signature"] = "0" * 40
    resp = await bot_client.get("/wecom/callback", params=params)
    assert resp.status == 403
    assert "签名" in await resp.text()
    resp = await bot_client.get("/wecom/callback", params={"echostr": "x"})
    assert resp.status == 400


async def test_text_is_answered_at_once_and_handled_after(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    status, body = await post(bot_client, platform, text_xml(CORP_ID, "ZhangSan", "帮助", "5001"))
    assert (status, body) == (200, "")
    await settle(wecom)
    cards = fake_wecom.sent(msgtype="template_card", touser="ZhangSan")
    assert len(cards) == 1
    card = cards[0]["template_card"]
    assert card["main_title"]["title"] == "张三，我能帮您做什么"
    assert "备案经办人" in card["sub_title_text"]
    # The work a clerk starts from the menu comes first (备案), then 我的信息 and the rest.
    labels = [b["text"] for b in card["button_list"]]
    assert labels[0] == "备案"
    assert "我的信息" in labels


async def test_a_retried_delivery_is_processed_once(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    xml = text_xml(CORP_ID, "ZhangSan", "我的信息", "5002")
    # WeCom retries the same message (same MsgId) with a new signature and nonce.
    for _ in range(3):
        status, _ = await post(bot_client, platform, xml)
        assert status == 200
    await settle(wecom)
    assert await InboundEvent.all().count() == 1
    assert len(fake_wecom.sent(touser="ZhangSan")) == 1


async def test_menu_click_and_repeated_event_are_deduped_on_sender_time_and_key(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    created = int(time.time())
    xml = click_xml(CORP_ID, "LiSi", "help", create_time=created)
    assert (await post(bot_client, platform, xml))[0] == 200
    assert (await post(bot_client, platform, xml))[0] == 200
    await settle(wecom)
    assert len(fake_wecom.sent(msgtype="template_card", touser="LiSi")) == 1
    # A later click on the same item is a new event.
    later = click_xml(CORP_ID, "LiSi", "help", create_time=created + 1)
    assert (await post(bot_client, platform, later))[0] == 200
    await settle(wecom)
    assert len(fake_wecom.sent(msgtype="template_card", touser="LiSi")) == 2


async def test_menu_key_without_a_command_gets_a_pointer_to_help(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    await post(bot_client, platform, click_xml(CORP_ID, "LiSi", "no-such-item"))
    await settle(wecom)
    (reply,) = fake_wecom.sent(touser="LiSi")
    assert "帮助" in reply["text"]["content"]


async def test_enter_agent_is_accepted_quietly(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    assert (await post(bot_client, platform, enter_agent_xml(CORP_ID, "ZhangSan")))[0] == 200
    await settle(wecom)
    row = await InboundEvent.get()
    assert row.status == InboundStatus.PROCESSED
    assert fake_wecom.sent() == []  # nothing half-done to resume, so nothing to say


async def test_stranger_gets_the_polite_refusal_on_wecom(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    await post(bot_client, platform, text_xml(CORP_ID, "Nobody", "帮助", "5003"))
    await settle(wecom)
    (reply,) = fake_wecom.sent(touser="Nobody")
    assert "系统里还没有您的信息" in reply["text"]["content"]


async def test_a_picture_outside_any_conversation_gets_a_hint(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    for _ in range(2):  # the retry is recognised
        await post(bot_client, platform, image_xml(CORP_ID, "ZhangSan", "5004"))
    await settle(wecom)
    (reply,) = fake_wecom.sent(touser="ZhangSan")
    assert "现在没有需要文件的事项，所以没有保存" in reply["text"]["content"]
    # Nothing asked for it, so nothing was fetched from WeCom.
    assert fake_wecom.calls_to("media/get") == []


async def test_wrong_signature_is_403_and_stores_nothing(
    bot_client: Client, platform: WeComPlatform
) -> None:
    signed = platform.signer.post(text_xml(CORP_ID, "ZhangSan", "帮助", "6001"))
    signed.params["msg_signature"] = "f" * 40
    resp = await bot_client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    assert resp.status == 403
    assert await stored_nothing()


async def test_another_token_or_corp_is_refused(
    bot_client: Client, platform: WeComPlatform, aes_key: str
) -> None:
    intruder = CallbackSigner("someone-elses-token", aes_key, CORP_ID)
    signed = intruder.post(text_xml(CORP_ID, "ZhangSan", "帮助", "6002"))
    resp = await bot_client.post(f"/wecom/callback?{signed.query}", data=signed.body)
    assert resp.status == 403
    # Right token and key, but encrypted for another corp.
    status, _ = await post(
        bot_client, platform, text_xml(CORP_ID, "ZhangSan", "帮助", "6003"), receive_id="wwother"
    )
    assert status == 403
    assert await stored_nothing()


async def test_stale_timestamps_are_refused(bot_client: Client, platform: WeComPlatform) -> None:
    old = str(int(time.time()) - 3 * 24 * 3600)
    status, body = await post(
        bot_client, platform, text_xml(CORP_ID, "ZhangSan", "帮助", "6004"), timestamp=old
    )
    assert status == 403
    assert "时间" in body
    assert await stored_nothing()


@pytest.mark.parametrize(
    "body",
    [b"", b"<xml><Encrypt>", b'{"encrypt": "json is not this API"}', b"<xml></xml>"],
)
async def test_malformed_bodies_are_400_and_store_nothing(
    bot_client: Client, platform: WeComPlatform, body: bytes
) -> None:
    params = platform.signer.post("<xml/>").params
    resp = await bot_client.post("/wecom/callback", params=params, data=body)
    assert resp.status == 400
    assert await stored_nothing()


async def test_signed_but_broken_inner_xml_is_400(
    bot_client: Client, platform: WeComPlatform
) -> None:
    status, _ = await post(bot_client, platform, "<xml><MsgType>text</MsgType>")
    assert status == 400
    status, _ = await post(bot_client, platform, "<xml><MsgType>text</MsgType></xml>")
    assert status == 400
    assert await stored_nothing()


async def test_oversized_bodies_are_refused(bot_client: Client, platform: WeComPlatform) -> None:
    params = platform.signer.post("<xml/>").params
    body = b"<xml><Encrypt>" + b"A" * 100_000 + b"</Encrypt></xml>"
    resp = await bot_client.post("/wecom/callback", params=params, data=body)
    assert resp.status == 400
    assert await stored_nothing()


async def test_missing_query_parameters_are_400(bot_client: Client) -> None:
    resp = await bot_client.post("/wecom/callback", data=b"<xml/>")
    assert resp.status == 400
    assert await stored_nothing()


async def test_callbacks_for_another_agent_are_ignored(
    bot_client: Client, platform: WeComPlatform, wecom: Services, fake_wecom: FakeWeCom
) -> None:
    xml = text_xml(CORP_ID, "ZhangSan", "帮助", "6005", agent_id=AGENT_ID + 1)
    status, _ = await post(bot_client, platform, xml)
    assert status == 200
    await settle(wecom)
    assert await stored_nothing()
