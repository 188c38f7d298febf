"""A WeCom send whose answer never arrives: the message got through, but the client gave up
waiting (its timeout), so the outbox retries it. WeCom has no idempotency key; what the bot
does about the copy it may send again (docs/decisions/reliability.md, "Timeouts on WeCom")."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from bot.adapters.wecom.channel import WeComChannel
from bot.cards.model import Button, Card
from bot.clock import ManualClock
from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from storage.enums import OutboxStatus, Platform
from storage.models.machinery import CardDelivery, OutboxMessage
from tests.adapters.wecom.test_channel import emit, person_id
from tests.fakes.wecom_server import FakeWeCom
from tests.support.travel import settle


def _answers_too_late(services: Services, fake: FakeWeCom) -> None:
    """The next message/send is delivered, but its answer comes after the client's timeout."""
    channel = services.channels[Platform.WECOM]
    assert isinstance(channel, WeComChannel)
    channel.api.timeout = aiohttp.ClientTimeout(total=0.5)
    fake.stall_seconds, fake.stall_times, fake.stall_delivers = 1.5, 1, True


async def _retry_when_due(services: Services, clock: ManualClock, row_id: int) -> OutboxMessage:
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.PENDING, row.last_error  # the timeout is a failure
    clock.advance(row.next_attempt_at - clock.now() + timedelta(seconds=1))
    await settle(services)
    return await OutboxMessage.get(id=row_id)


async def test_a_card_delivered_before_the_timeout_is_not_sent_twice(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    lisi = await person_id("lisi")
    card = Card(title="请初审：《通知》", buttons=(Button(label="通过", action="help.run"),))

    async def send(em: Emitter) -> None:
        stored = await em.new_card(card, kind="test", allowed_person_ids=[lisi])
        await em.to_person(lisi, Message(card=stored), platform=Platform.WECOM)

    _answers_too_late(wecom, fake_wecom)
    (row_id,) = await emit(wecom, send)
    await settle(wecom)
    assert fake_wecom.stall_times == 0  # the late answer happened
    assert len(fake_wecom.sent(msgtype="template_card", touser="LiSi")) == 1  # and it landed

    row = await _retry_when_due(wecom, clock, row_id)
    # WeCom refused the retry's task_id as taken: the earlier attempt landed. Sent, once.
    assert row.status == OutboxStatus.SENT, row.last_error
    (copy,) = fake_wecom.sent(msgtype="template_card", touser="LiSi")
    task_id = copy["template_card"]["task_id"]
    assert row.external_id == task_id
    delivery = await CardDelivery.get(card_id=task_id.rsplit("-", 1)[0])
    assert (delivery.external_id, delivery.update_token) == (task_id, None)
    assert not await OutboxMessage.filter(status=OutboxStatus.FAILED).exists()  # no admin notice

    # Its ResponseCode was in the lost answer: the next change arrives as a fresh copy.
    await emit(wecom, lambda em: em.update_card(delivery.card_id, card.closed("已撤回")))
    await settle(wecom)
    assert fake_wecom.updates() == []
    assert "已撤回" in str(fake_wecom.sent(touser="LiSi")[-1])
    assert await OutboxMessage.exclude(status=OutboxStatus.SENT).count() == 0


async def test_a_text_delivered_before_the_timeout_arrives_twice(
    wecom: Services, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    """The accepted limit: a plain message carries nothing WeCom could recognise again."""
    zhang = await person_id("zhangsan")
    _answers_too_late(wecom, fake_wecom)
    text = Message(text="请于今日下班前报送值班表")
    (row_id,) = await emit(wecom, lambda em: em.to_person(zhang, text, Platform.WECOM))
    await settle(wecom)
    row = await _retry_when_due(wecom, clock, row_id)
    assert row.status == OutboxStatus.SENT
    got = [m["text"]["content"] for m in fake_wecom.sent(touser="ZhangSan")]
    assert got == ["请于今日下班前报送值班表"] * 2
