"""Issue 12 item 3: a delivery with NUL or a lone surrogate is stored (cleaned) and never
fails the deliveries written in the same multi-row insert."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.core.services import Services
from storage.enums import InboundStatus
from storage.models.machinery import InboundEvent
from tests.fakes.feishu_server import FakeFeishu
from tests.security.conftest import post_signed_plaintext
from tests.support.travel import settle

pytestmark = pytest.mark.usefixtures("bot_client")


async def test_nul_and_lone_surrogate_do_not_fail_their_batch(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    good = [fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助") for _ in range(7)]
    nul = fake_feishu.message_event(sender_open_id="ou_laozhou", text="帮助\x00")
    # The surrogate sits in the outer event, where the delivery row keeps it verbatim.
    lone = fake_feishu.message_event(sender_open_id="ou_laozhou", text="帮助")
    lone["header"]["tenant_key"] = "tenant\ud800"
    bad = [json.dumps(nul).encode(), json.dumps(lone).encode()]
    # Sent at once: the web process writes them with as few INSERTs as it can.
    sends = [post_signed_plaintext(fake_feishu, events_url, json.dumps(p).encode()) for p in good]
    sends[3:3] = [post_signed_plaintext(fake_feishu, events_url, b) for b in bad]
    answers = await asyncio.gather(*sends)
    assert [status for status, _ in answers] == [200] * 9, answers
    await settle(feishu)
    statuses = [e.status for e in await InboundEvent.all()]
    assert statuses == [InboundStatus.PROCESSED] * 9
    # Every one was answered, the two odd ones too (NUL dropped, surrogate replaced).
    assert fake_feishu.sent("interactive", receive_id="ou_xiaowang")
    assert len(fake_feishu.sent("interactive", receive_id="ou_laozhou")) == 2


async def test_a_row_the_database_refuses_fails_only_itself(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    # A key longer than the column (PostgreSQL refuses it, SQLite does not care): the group
    # insert fails, and the deliveries that shared it are written again one by one.
    good = [fake_feishu.message_event(sender_open_id="ou_xiaowang", text="帮助") for _ in range(5)]
    odd = fake_feishu.message_event(sender_open_id="ou_laozhou", text="帮助", message_id="m" * 400)
    payloads = [*good[:2], odd, *good[2:]]
    answers = await asyncio.gather(
        *(post_signed_plaintext(fake_feishu, events_url, json.dumps(p).encode()) for p in payloads)
    )
    statuses = [status for status, _ in answers]
    assert statuses[:2] + statuses[3:] == [200] * 5, answers
    await settle(feishu)
    keys = " ".join(e.key for e in await InboundEvent.filter(status=InboundStatus.PROCESSED))
    assert all(p["event"]["message"]["message_id"] in keys for p in good)
