"""The roster across the 2026 National Day holiday (1–7 October) and its make-up working
Saturday (10 October), with a holiday rotation from the org file; and a rotation edited in the
org file, which changes only the future."""

from __future__ import annotations

from datetime import date

import pytest

from bot.clock import ManualClock
from bot.core.services import Services
from storage.models.duty import DutyShift, DutyTeam
from storage.models.machinery import AuditEntry
from storage.models.org import Person
from tests.duty.support import at, card_titled, field, person_key, replan, shift_at
from tests.support.chat import ChatHarness
from tests.support.orgfiles import demo_data, write_yaml
from tests.support.orgs import load_org_text

# ---- National Day 2026 -------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    # Monday 28 September 2026, 09:00: the week before the National Day holiday.
    return ManualClock(at(9, 28, 9, 0))


@pytest.fixture
async def holiday_team(harness: ChatHarness, services: Services) -> ChatHarness:
    """The demo team with a holiday rotation (老刘, 小马) loaded through the org file."""
    data = demo_data()
    data["duty_teams"][0]["holiday_rotation"] = ["laoliu", "xiaoma"]
    path = write_yaml(services.settings.resolved_home / "org-holiday.yaml", data)
    await load_org_text(path.read_text("utf-8"), services.clock.now())
    await replan(services, await DutyTeam.get(key="ljq-zx"), days=21)
    return harness


async def test_the_roster_across_national_day_and_the_makeup_saturday(
    holiday_team: ChatHarness,
) -> None:
    h = holiday_team
    team = await DutyTeam.get(key="ljq-zx")
    holiday = await DutyShift.filter(team_id=team.id, holiday=True).order_by("starts_at")
    on_national_day = [s for s in holiday if s.holiday_name == "国庆节"]
    assert {s.duty_date for s in on_national_day} == {date(2026, 10, d) for d in range(1, 8)}
    # Holiday shifts go round the holiday rotation, two people taking turns.
    assert [await person_key(s.person_id) for s in on_national_day[:4]] == [
        "laoliu",
        "xiaoma",
        "laoliu",
        "xiaoma",
    ]
    # 10 October is a Saturday worked instead of a holiday day: a working-day shift, regular
    # rotation; the Sunday after is an ordinary weekend.
    saturday = await shift_at(team, at(10, 10, 10))
    assert not saturday.holiday
    assert await person_key(saturday.person_id) in {"xiaochen", "laoliu", "xiaoma"}
    sunday = await shift_at(team, at(10, 11, 10))
    assert sunday.holiday
    assert sunday.holiday_name == ""
    # The regular rotation goes on after the holiday where it stopped before it: the last
    # working-day shift before (30 Sep night) and the first after (8 Oct day) are neighbours.
    regular = ["xiaochen", "laoliu", "xiaoma"]
    before = await person_key((await shift_at(team, at(9, 30, 22))).person_id)
    after = await person_key((await shift_at(team, at(10, 8, 10))).person_id)
    assert regular.index(after) == (regular.index(before) + 1) % 3
    # What people see: the holiday marked on the card and in the image.
    week = card_titled(await h.say("xiaochen", "值班表 10月1日"), "值班表")
    assert "国庆节" in (week.card.body if week.card else "")
    assert field(week, "10月1日（周四）【国庆节】") == "白班 老刘；夜班 小马"
    assert week.files
    week = card_titled(await h.say("xiaochen", "值班表 10月10日"), "值班表")
    assert field(week, "10月10日（周六）【调休上班】").startswith("白班 ")
    assert field(week, "10月8日（周四）").startswith("白班 ")  # back to work


async def test_a_rotation_edited_in_the_org_file_changes_only_the_future(
    holiday_team: ChatHarness, services: Services
) -> None:
    team = await DutyTeam.get(key="ljq-zx")
    # A week later (Monday 5 October, 10:00) 小马 leaves the rotation.
    services.clock.set(at(10, 5, 10))  # type: ignore[attr-defined]
    running = await shift_at(team, at(10, 5, 10))
    past = {
        s.id: s.person_id
        for s in await DutyShift.filter(team_id=team.id, ends_at__lte=at(10, 5, 10))
    }
    data = demo_data()
    data["duty_teams"][0]["holiday_rotation"] = ["laoliu", "xiaoma"]
    data["duty_teams"][0]["rotation"] = ["xiaochen", "laoliu"]
    await load_org_text(
        write_yaml(services.settings.resolved_home / "org-2.yaml", data).read_text("utf-8"),
        services.clock.now(),
    )
    await replan(services, team, days=21)
    # The past and the running shift keep their people.
    after = {s.id: s.person_id for s in await DutyShift.filter(id__in=list(past))}
    assert after == past
    assert (await DutyShift.get(id=running.id)).person_id == running.person_id
    # From the working days on, only 小陈 and 老刘.
    xiaoma = (await Person.get(key="xiaoma")).id
    future_working = await DutyShift.filter(
        team_id=team.id, holiday=False, starts_at__gt=at(10, 5, 10)
    )
    assert future_working
    assert xiaoma not in {s.person_id for s in future_working}
    entry = await AuditEntry.get(action="duty_team.rotation_changed")
    assert entry.detail["effective_from"] == "2026-10-05"
