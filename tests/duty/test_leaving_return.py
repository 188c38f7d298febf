"""A person put back into the organisation file (``org load``) closes the leaving checklist
their return made moot: the card shows why and has no buttons, the unit head is told, the
reminders stop, and ``离岗清单`` keeps the record with its note."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import yaml

from bot.deadlines import lifecycle, reconciler
from bot.org.apply import ChangeSummary, apply_org
from bot.org.schema import parse
from bot.worker import open_leaving
from storage.models.deadlines import DeadlineStatus
from storage.models.duty_leaving import LeavingChecklist, LeavingStatus
from storage.models.machinery import AuditEntry, CardRecord
from storage.models.org import Person
from tests.org.helpers import demo_data, person
from tests.support.chat import ChatHarness, card_of
from tests.support.dates import SHANGHAI

# Friday 9 October 2026 10:00 + five working days (the make-up Saturday counts).
DUE = datetime(2026, 10, 15, 18, 0, tzinfo=SHANGHAI)


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    data["people"] = [p for p in data["people"] if p["key"] != key]
    for chat in data["chats"]:
        chat["members"] = [m for m in chat["members"] if m != key]
    return data


async def load(h: ChatHarness, data: dict[str, Any]) -> ChangeSummary:
    return await apply_org(parse(yaml.safe_load(yaml.safe_dump(data))), h.clock.now())


async def worker_cron(h: ChatHarness) -> int:
    done = await open_leaving({"services": h.services})
    await h.drain()
    return done


async def test_a_person_put_back_closes_the_open_checklist(harness: ChatHarness) -> None:
    h = harness
    # 区教委's 林副主任 is removed by mistake: his checklist opens with the pledge.
    await load(h, without(demo_data(), "linfzr"))
    await worker_cron(h)
    checklist = await LeavingChecklist.get(person_id=(await Person.get(key="linfzr")).id)
    assert checklist.status == LeavingStatus.OPEN
    card = card_of(await h.new_messages("chenzr"), "离岗交接清单")
    assert [b.label for b in card.buttons] == ["确认 1"]

    # 11:00: the administrator loads the file with him back.
    h.clock.set(h.clock.now() + timedelta(hours=1))
    summary = await load(h, demo_data())
    assert summary.departures == []
    assert summary.returns == ["林副主任"]
    assert await worker_cron(h) == 1
    assert await worker_cron(h) == 0  # a second worker closes nothing twice

    checklist = await LeavingChecklist.get(id=checklist.id)
    assert checklist.status == LeavingStatus.WITHDRAWN
    assert checklist.closed_at == h.clock.now()
    note = "林副主任已重新列入组织名单（临江区教育委员会，10月9日 11:00），离岗交接清单撤销"
    assert checklist.note == note
    # The card everywhere: the note as its outcome, no buttons.
    record = await CardRecord.get(id=checklist.card_id)
    assert record.status == "closed"
    assert record.content["buttons"] == []
    assert record.content["status"] == f"已撤销：{note}"
    # The unit head is told, with what had been confirmed.
    told = [m.text for m in await h.new_messages("chenzr")]
    assert told == [
        "【离岗清单撤销】林副主任已重新列入组织名单（临江区教育委员会，10月9日 11:00），"
        "其离岗交接清单（已确认 0/1 项）随之撤销，不再提醒。"
    ]
    # A tap on the old card changes nothing and says why.
    tapped = await h.tap("chenzr", card, "确认 1")
    assert tapped.toast_kind == "info"
    assert await AuditEntry.filter(action="duty.leaving_item_confirmed").count() == 0
    # The countdown is over: no reminders at half time or at the due time.
    assert checklist.deadline_id is not None
    deadline = await lifecycle.get(None, checklist.deadline_id)
    assert deadline is not None
    assert deadline.status == DeadlineStatus.COMPLETED
    h.clock.set(DUE + timedelta(days=1))
    await reconciler.reconcile(h.services)
    await h.drain()
    assert await h.new_messages("chenzr") == []
    # The record keeps it, with its note.
    listed = (await h.say("chenzr", "离岗清单"))[-1].text
    assert "办理中：无" in listed
    assert f"林副主任（离岗，临江区教育委员会）：已撤销（{note}）" in listed
    actions = [
        e.action for e in await AuditEntry.filter(subject_type="duty_leaving").order_by("seq")
    ]
    assert actions == ["duty.leaving_opened", "duty.leaving_withdrawn"]


async def test_put_back_before_the_worker_opened_it(harness: ChatHarness) -> None:
    """Removed and put back between two runs of the worker: nobody was told, nobody is."""
    h = harness
    await load(h, without(demo_data(), "linfzr"))
    summary = await load(h, demo_data())
    assert summary.returns == ["林副主任"]
    assert await worker_cron(h) == 1
    checklist = await LeavingChecklist.get()
    assert checklist.status == LeavingStatus.WITHDRAWN
    assert checklist.card_id is None
    assert await h.new_messages("chenzr") == []


async def test_moved_back_to_the_unit_they_left(harness: ChatHarness) -> None:
    h = harness
    data = demo_data()
    person(data, "linfzr")["unit"] = "ljq-wlw"
    assert (await load(h, data)).departures == ["林副主任"]
    await worker_cron(h)
    await h.new_messages("linfzr")
    card_of(await h.new_messages("chenzr"), "离岗交接清单")
    back = await load(h, demo_data())
    assert back.returns == ["林副主任"]
    # Moving back undoes the move: no checklist from the unit he was in by mistake.
    assert back.departures == []
    await worker_cron(h)
    assert (await LeavingChecklist.get()).status == LeavingStatus.WITHDRAWN
    told = [m.text for m in await h.new_messages("chenzr")]
    assert len(told) == 1
    assert told[0].startswith("【离岗清单撤销】林副主任已重新列入组织名单（临江区教育委员会")
