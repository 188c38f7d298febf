"""Helpers for duty tests: a team with planned shifts, without going through the org file.

The demo organisation (``demo_org`` / ``harness`` fixtures) already has the duty team
``ljq-zx``; the ``duty`` fixture (tests/duty/conftest.py) plans its shifts. ``make_team``
(re)creates a team with other settings — a rotation effective from ``start``, a holiday
rotation, 24-hour shifts, approval off — and plans it with the real planner, so tests of the
other duty areas have someone on duty at any time they travel to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.core.services import Services
from bot.flows.duty.planner import plan_team
from storage.models.duty import DutyRotation, DutyScope, DutyShift, DutyTeam, ShiftMode
from storage.models.org import Chat, Person, Unit
from tests.support.chat import Said
from tests.support.dates import SHANGHAI
from tests.support.wecom import ROBOT_KEY

DEMO_SCOPE = ("ljq-zfb", "ljq-wlw", "ljq-jw", "ljq-hxz")


async def person_id(key: str) -> int:
    return (await Person.get(key=key)).id


async def make_team(
    services: Services,
    *,
    key: str = "ljq-zx",
    name: str = "区政务新媒体中心读网值班",
    unit: str = "ljq-xmtzx",
    people: Sequence[str] = ("xiaochen", "laoliu", "xiaoma"),
    holiday_people: Sequence[str] = (),
    lead: str | None = "fengzz",
    chat: str | None = "ljq-zx-duty",
    scope: Sequence[str] = DEMO_SCOPE,
    mode: ShiftMode = ShiftMode.DAY_NIGHT,
    day_start: str = "08:30",
    night_start: str = "20:30",
    swap_approval: bool = True,
    start: date | None = None,
    days: int = 14,
) -> DutyTeam:
    """A duty team with its rotation from ``start`` (default: today) and shifts planned."""
    now = services.clock.now()
    start = start or now.astimezone(services.tz).date()
    existing = await DutyTeam.get_or_none(key=key)
    if existing is not None:
        # The demo organisation already has ljq-zx: start it over with these settings.
        await DutyShift.filter(team_id=existing.id).delete()
        await DutyRotation.filter(team_id=existing.id).delete()
        await DutyScope.filter(team_id=existing.id).delete()
        await existing.delete()
    team = await DutyTeam.create(
        key=key,
        name=name,
        unit_id=(await Unit.get(key=unit)).id,
        lead_id=await person_id(lead) if lead else None,
        chat_id=(await Chat.get(key=chat)).id if chat else None,
        mode=mode,
        day_start=day_start,
        night_start=night_start,
        swap_approval=swap_approval,
    )
    for unit_key in scope:
        await DutyScope.create(team=team, unit_id=(await Unit.get(key=unit_key)).id)
    await DutyRotation.create(
        team=team,
        holiday=False,
        effective_from=start,
        people=[await person_id(p) for p in people],
        created_at=now,
        created_by="test",
    )
    if holiday_people:
        await DutyRotation.create(
            team=team,
            holiday=True,
            effective_from=start,
            people=[await person_id(p) for p in holiday_people],
            created_at=now,
            created_by="test",
        )
    await replan(services, team, days=days)
    return team


async def replan(services: Services, team: DutyTeam, *, days: int = 14) -> None:
    """Run the planner for the team now (as the worker's cron would)."""
    from tortoise.transactions import in_transaction

    async with in_transaction() as conn:
        await plan_team(
            conn, team.id, services.timekeeping.calendar(), services.clock.now(), days=days
        )


async def shift_at(team: DutyTeam, at: datetime) -> DutyShift:
    """The stored shift running at ``at`` (fails the test when there is none)."""
    shift = await DutyShift.filter(team_id=team.id, starts_at__lte=at, ends_at__gt=at).first()
    assert shift is not None, f"no shift of {team.key} at {at}"
    return shift


async def person_key(person_id: int) -> str:
    return (await Person.get(id=person_id)).key


# ---- reading what the bot said -------------------------------------------------------------

DUTY_GROUP = "group:ljq-zx-duty"


def at(m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A time in 2026, Beijing time."""
    return datetime(2026, m, d, hh, mm, tzinfo=SHANGHAI)


def card_titled(messages: list[Said], title: str) -> Said:
    """The first message whose card's title contains ``title``."""
    for message in messages:
        if message.card is not None and title in message.card.title:
            return message
    raise AssertionError(f"no card {title!r} in {[m.to_text() for m in messages]}")


def field(message: Said, label: str) -> str:
    """The value of the card field whose label starts with ``label``."""
    assert message.card is not None
    for item in message.card.fields:
        if item.label.startswith(label):
            return item.value
    raise AssertionError(f"no field {label!r} in {message.to_text()}")


# The duty centre on one platform (people and the duty group), for the platform tests; the
# tests make the team themselves (make_team).
DUTY_WECOM_ORG = f"""
units:
  - {{key: xmtzx, name: 临江区政务新媒体中心, kind: government}}
people:
  - {{key: xiaochen, name: 小陈, unit: xmtzx, roles: [duty_officer], wecom: XiaoChen}}
  - {{key: laoliu, name: 老刘, unit: xmtzx, roles: [duty_officer], wecom: LaoLiu}}
  - {{key: xiaoma, name: 小马, unit: xmtzx, roles: [duty_officer], wecom: XiaoMa}}
  - {{key: fengzz, name: 冯组长, unit: xmtzx, roles: [duty_lead], wecom: FengZZ}}
  - {{key: tangzr, name: 唐主任, unit: xmtzx, roles: [principal], wecom: TangZR}}
chats:
  - key: zx-duty
    name: 新媒体中心值班群
    purpose: duty
    unit: xmtzx
    members: [xiaochen, laoliu, xiaoma, fengzz]
    wecom_webhook_key: {ROBOT_KEY}
"""

DUTY_FEISHU_ORG = """
units:
  - {key: xmtzx, name: 临江区政务新媒体中心, kind: government}
people:
  - {key: xiaochen, name: 小陈, unit: xmtzx, roles: [duty_officer], feishu_open_id: ou_xiaochen}
  - {key: laoliu, name: 老刘, unit: xmtzx, roles: [duty_officer], feishu_open_id: ou_laoliu}
  - {key: xiaoma, name: 小马, unit: xmtzx, roles: [duty_officer], feishu_open_id: ou_xiaoma}
  - {key: fengzz, name: 冯组长, unit: xmtzx, roles: [duty_lead], feishu_open_id: ou_fengzz}
  - {key: tangzr, name: 唐主任, unit: xmtzx, roles: [principal], feishu_open_id: ou_tangzr}
chats:
  - {key: zx-duty, name: 新媒体中心值班群, purpose: duty, unit: xmtzx,
     members: [xiaochen, laoliu, xiaoma, fengzz], feishu_chat_id: oc_zx_duty}
"""
