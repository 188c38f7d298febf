"""Personnel leaving (离岗): ``org load`` removing or moving a person opens a checklist for the
unit they left with exactly what they still hold, reminds the unit head on the deadline engine
and closes when the head has confirmed every item by tapping."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.cards.model import Card
from bot.core.services import Services
from bot.deadlines import lifecycle, reconciler
from bot.org.apply import ChangeSummary, apply_org
from bot.org.schema import parse
from bot.worker import open_leaving
from storage.models.deadlines import DeadlineStatus
from storage.models.duty import DutyShift, DutyTeam
from storage.models.duty_leaving import LeavingChecklist, LeavingReason, LeavingStatus
from storage.models.filing import Filing
from storage.models.machinery import AuditEntry
from storage.models.org import Person, Unit
from tests.conftest import SHANGHAI
from tests.duty.support import person_id, replan
from tests.filing.helpers import open_filing
from tests.org.helpers import demo_data, dutybot, person, write_yaml
from tests.review.helpers import submit
from tests.support.chat import ChatHarness, Said
from tests.support.rectification import issue

# Friday 9 October 2026, 10:00 (the harness's clock): five working days — Saturday 10th is a
# make-up working day — end on Thursday 15th.
DUE = datetime(2026, 10, 15, 18, 0, tzinfo=SHANGHAI)


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    """The organisation file with a person removed (from people and from every chat)."""
    data["people"] = [p for p in data["people"] if p["key"] != key]
    for chat in data["chats"]:
        chat["members"] = [m for m in chat["members"] if m != key]
    for team in data.get("duty_teams", []):
        team["rotation"] = [m for m in team["rotation"] if m != key]
    return data


async def load(h: ChatHarness, data: dict[str, Any]) -> ChangeSummary:
    """What ``dutybot org load`` does with the edited file (the same function, our clock)."""
    return await apply_org(parse(yaml.safe_load(yaml.safe_dump(data))), h.clock.now())


async def run_worker_cron(h: ChatHarness) -> int:
    """The worker's ``open_leaving`` cron, then delivery."""
    opened = await open_leaving({"services": h.services})
    await h.drain()
    return opened


def checklist_card(messages: list[Said]) -> Card:
    for message in reversed(messages):
        if message.card is not None and message.card.title.startswith("离岗交接清单"):
            return message.card
    raise AssertionError(f"no checklist card in {[m.to_text() for m in messages]}")


def items(card: Card) -> list[str]:
    """The items as "group: label" without their state."""
    return [f"{f.label} {f.value.rsplit(' — ', 1)[0]}" for f in card.fields]


async def travel(h: ChatHarness, to: datetime) -> None:
    h.clock.set(to)
    await reconciler.reconcile(h.services)
    await h.drain()


async def test_removing_a_person_with_open_items(harness: ChatHarness) -> None:
    h = harness
    # 小徐 (区教委办公室, runs 临江教育 on WeChat) has a filing waiting for approval, a post
    # in review, and a rectification notice open on the account she runs.
    summary = await open_filing(h, "xiaoxu")
    await h.tap("xiaoxu", summary, "提交备案")
    await submit(h, "xiaoxu", title="秋季开学安全提示", text="请家长注意上下学交通安全。")
    await issue(h, account="临江教育（微信）", severity="一般")
    for who in ("chenzr", "huangkz"):
        await h.mark_read(who)
    # The filing, the post and the notice go on with their own reminders and escalations while
    # the clock travels below (their tests cover them); this test reads the head's chat.
    h.ignore("hegly", "zhoufzr", "linfzr", "group:ljq-jw-duty", "group:ljq-jw-review")
    filing = await Filing.get(clerk_id=await person_id("xiaoxu"))

    loaded = await load(h, without(demo_data(), "xiaoxu"))
    assert loaded.departures == ["小徐"]
    # Deactivated, never deleted: the filing and the audit log still refer to her.
    gone = await Person.get(key="xiaoxu")
    assert gone.active is False
    assert (await Filing.get(id=filing.id)).clerk_id == gone.id

    assert await run_worker_cron(h) == 1
    assert await run_worker_cron(h) == 0  # a second run (another worker) opens nothing twice

    # The head of her unit is 区教委's 陈主任 (the office has no 主要负责人 of its own).
    card = checklist_card(await h.new_messages("chenzr"))
    assert card.title == "离岗交接清单：小徐（区教委办公室）"
    assert items(card) == [
        f"1. 工作移交 移交备案：开设备案 #{filing.id}「临江教育」（审批中）",
        "2. 工作移交 移交稿件：《秋季开学安全提示》（审核中）",
        "3. 工作移交 移交整改：ZG2026-0001 临江教育（微信）（待接收，其运营的账号）",
        "4. 保密承诺 签署保密承诺书（小徐）",
        "5. 口令更换 更换账号口令：临江教育（微信）",
    ]
    assert "请单位负责人在 10月15日 18:00 前完成工作移交、保密承诺、口令更换" in card.body
    assert "第二十二条" in card.body
    assert [b.label for b in card.buttons] == [f"确认 {n}" for n in range(1, 6)]
    checklist = await LeavingChecklist.get(person_id=gone.id)
    assert checklist.due_at == DUE

    # Someone else than the unit head cannot confirm (the card is not theirs).
    refused = await h.tap("huangkz", card, "确认 1")
    assert refused.toast == "这张卡片由陈主任处理，您的操作未生效。"
    assert await AuditEntry.filter(action="card.denied").count() == 1

    # Nobody confirms: past half time, the head is reminded; past the due time, again.
    await travel(h, datetime(2026, 10, 13, 9, 0, tzinfo=SHANGHAI))
    half = [m.to_text() for m in await h.new_messages("chenzr")]
    assert any("还有 5 项未确认" in t and "期限" in t for t in half), half
    await travel(h, DUE + timedelta(minutes=1))
    due = [m.to_text() for m in await h.new_messages("chenzr")]
    assert any("已超过期限" in t and "5. 更换账号口令：临江教育（微信）" in t for t in due), due

    # The head confirms item by item; the card shows each confirmation; the last closes it.
    for n in range(1, 6):
        tapped = await h.tap("chenzr", card, f"确认 {n}")
        assert tapped.ok, tapped.toast
        assert tapped.card is not None
        card = tapped.card
    assert card.buttons == ()
    assert card.status.startswith("已全部完成（陈主任")
    assert tapped.toast == "离岗交接清单已全部完成。"
    checklist = await LeavingChecklist.get(id=checklist.id)
    assert checklist.status == LeavingStatus.CLOSED
    assert checklist.deadline_id is not None
    deadline = await lifecycle.get(None, checklist.deadline_id)
    assert deadline is not None
    assert deadline.status == DeadlineStatus.COMPLETED
    # No more reminders once closed.
    await h.mark_read("chenzr")
    await travel(h, DUE + timedelta(days=3))
    assert [m for m in await h.new_messages("chenzr") if "离岗" in m.to_text()] == []

    actions = [
        e.action for e in await AuditEntry.filter(subject_type="duty_leaving").order_by("seq")
    ]
    assert actions == [
        "duty.leaving_opened",
        "duty.leaving_reminded",
        "duty.leaving_reminded",
        *["duty.leaving_item_confirmed"] * 5,
        "duty.leaving_closed",
    ]


async def test_moving_a_person_keeps_the_shifts_item_open_until_the_roster_changes(
    harness: ChatHarness, services: Services
) -> None:
    h = harness
    # The demo's duty team of the centre: 小陈 → 老刘 → 小马, lead 冯组长, planned ahead.
    team = await DutyTeam.get(key="ljq-zx")
    await replan(services, team)
    xiaochen = await person_id("xiaochen")
    data = demo_data()
    person(data, "xiaochen")["unit"] = "ljq-wlw"  # moved to 区文旅委
    assert (await load(h, data)).departures == ["小陈"]
    assert await run_worker_cron(h) == 1

    # Her former unit's head (唐主任 of the centre) gets the checklist, and she is told.
    card = checklist_card(await h.new_messages("tangzr"))
    assert card.title == "离岗交接清单：小陈（临江区政务新媒体中心）"
    # Moved, she stays in the rotation: every shift planned ahead is still hers.
    ahead = await DutyShift.filter(person_id=xiaochen, starts_at__gt=h.clock.now()).count()
    assert ahead > 0
    assert "小陈已调往临江区文化和旅游发展委员会" in card.body
    listed = items(card)
    assert listed[0].startswith(f"1. 工作移交 值班改排：{ahead} 个班次仍由小陈值守（")
    assert listed[1:] == [
        "2. 保密承诺 签署保密承诺书（小陈）",
        "3. 口令更换 更换账号口令：临江发布（微信）",
    ]
    asked = [m.text for m in await h.new_messages("fengzz")]
    assert any(
        t.startswith("【值班改排】小陈已调岗（临江区政务新媒体中心），区政务新媒体中心读网值班：")
        and "个班次仍由小陈值守" in t
        for t in asked
    ), asked
    told = [m.text for m in await h.new_messages("xiaochen")]
    assert any("您已调往临江区文化和旅游发展委员会" in t for t in told), told

    # Still on the roster: the shifts item cannot be confirmed, and the toast says who acts.
    refused = await h.tap("tangzr", card, "确认 1")
    assert refused.toast is not None
    assert "请值班长冯组长先调整值班表" in refused.toast
    assert refused.card is None or refused.card.buttons == card.buttons

    # The organisation file's rotation drops her from today: the planner gives her unstarted
    # shifts to her colleagues and the item can be confirmed.
    team_entry = next(t for t in data["duty_teams"] if t["key"] == "ljq-zx")
    team_entry["rotation"] = ["laoliu", "xiaoma"]
    await load(h, data)
    confirmed = await h.tap("tangzr", card, "确认 1")
    assert confirmed.ok
    assert confirmed.toast == "已确认第 1 项，还有 2 项。"
    assert await DutyShift.filter(person_id=xiaochen, starts_at__gt=h.clock.now()).count() == 0


async def test_a_person_with_nothing_open_gets_the_pledge_only(harness: ChatHarness) -> None:
    h = harness
    await load(h, without(demo_data(), "linfzr"))  # 区教委's 林副主任: no filings, posts, accounts
    await run_worker_cron(h)
    card = checklist_card(await h.new_messages("chenzr"))
    assert items(card) == ["1. 保密承诺 签署保密承诺书（林副主任）"]

    listed = await h.say("chenzr", "离岗清单")
    assert "林副主任（离岗，临江区教育委员会）：已确认 0/1 项" in listed[-1].text

    tapped = await h.tap("chenzr", card, "确认 1")
    assert tapped.toast == "离岗交接清单已全部完成。"
    # A second tap on the (now closed) card changes nothing.
    again = await h.tap("chenzr", card, "确认 1")
    assert again.toast_kind == "info"
    assert again.card is not None
    assert again.card.buttons == ()
    assert await AuditEntry.filter(action="duty.leaving_item_confirmed").count() == 1

    listed = await h.say("chenzr", "离岗清单")
    assert "办理中：无" in listed[-1].text
    assert "已完成 1/1 项" in listed[-1].text
    # 离岗 shows nothing left to do; a unit that is not hers sees none of it.
    assert "目前没有待办的离岗交接清单" in (await h.say("chenzr", "离岗"))[-1].text
    assert "没有离岗交接记录" in (await h.say("wangzr", "离岗清单"))[-1].text


async def test_org_load_records_departures_for_the_worker(db: str, tmp_path: Path) -> None:
    """The real ``dutybot org load``: it says who leaves and records pending checklists in its
    own transaction (a dry run records nothing)."""
    first = await dutybot(
        db, tmp_path, "org", "load", str(write_yaml(tmp_path / "a.yaml", demo_data()))
    )
    assert first.returncode == 0, first.stderr
    assert "离岗" not in first.stdout  # a first load creates people, nobody leaves

    data = without(demo_data(), "xiaoma")
    person(data, "xiaoxu")["unit"] = "ljq-jw"
    edited = write_yaml(tmp_path / "b.yaml", data)
    dry = await dutybot(db, tmp_path, "org", "load", str(edited), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "（试运行，未写入）离岗或调岗 2 人：小马、小徐。" in dry.stdout
    assert await LeavingChecklist.all().count() == 0

    done = await dutybot(db, tmp_path, "org", "load", str(edited))
    assert done.returncode == 0, done.stderr
    assert (
        "离岗或调岗 2 人：小马、小徐。值班机器人（dutybot worker）将为其原单位开出离岗交接清单"
        in done.stdout
    )
    rows = await LeavingChecklist.all().order_by("id")
    assert [(r.reason, r.status) for r in rows] == [
        (LeavingReason.REMOVED, LeavingStatus.PENDING),
        (LeavingReason.MOVED, LeavingStatus.PENDING),
    ]
    assert rows[1].moved_to_unit_id == (await Unit.get(key="ljq-jw")).id
    assert rows[1].unit_id == (await Unit.get(key="ljq-jw-bgs")).id
    # Loading the same file again changes nothing and records nobody twice.
    again = await dutybot(db, tmp_path, "org", "load", str(edited))
    assert again.stdout.strip() == "组织名单与数据库一致，没有变化。"
    assert await LeavingChecklist.all().count() == 2


async def test_two_taps_on_the_last_item_at_once_close_the_checklist_once(
    harness: ChatHarness,
) -> None:
    h = harness
    await load(h, without(demo_data(), "linfzr"))
    await run_worker_cron(h)
    card = checklist_card(await h.new_messages("chenzr"))

    first, second = await asyncio.gather(
        h.tap("chenzr", card, "确认 1", client_id="leaving-a"),
        h.tap("chenzr", card, "确认 1", client_id="leaving-b"),
    )

    toasts = sorted([first.toast or "", second.toast or ""])
    assert "离岗交接清单已全部完成。" in toasts
    assert await AuditEntry.filter(action="duty.leaving_item_confirmed").count() == 1
    assert await AuditEntry.filter(action="duty.leaving_closed").count() == 1
