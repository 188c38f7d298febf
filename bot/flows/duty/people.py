"""Who acts on duty: who is on duty, who holds responsibility, the duty lead and the
escalation chain, the teams a person belongs to.

D2 refines ``responsible`` (the outgoing officer stays responsible until the incoming one
acknowledges the handover); the other areas add sections at the end (``# --- <area> ---``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.directory import Member, load_member, members_with_role, nearest_with_role
from storage.enums import Role
from storage.models.duty import DutyRotation, DutyScope, DutyShift, DutyTeam
from storage.models.org import Unit

# Who may see the roster of a team they are not rostered in.
ROSTER_READERS = frozenset(
    {Role.DUTY_OFFICER, Role.DUTY_LEAD, Role.PRINCIPAL, Role.SUPERVISOR_STAFF, Role.ADMIN}
)
OFFICERS = frozenset({Role.DUTY_OFFICER, Role.DUTY_LEAD})


async def on_duty(conn: BaseDBAsyncClient, team: DutyTeam, at: datetime) -> DutyShift | None:
    """The rostered shift of ``team`` at ``at`` (None where the roster has a gap)."""
    return (
        await DutyShift.filter(team_id=team.id, starts_at__lte=at, ends_at__gt=at)
        .using_db(conn)
        .order_by("-starts_at")
        .first()
    )


async def responsible(conn: BaseDBAsyncClient, team: DutyTeam, at: datetime) -> Member | None:
    """Who holds responsibility for ``team`` at ``at``: the rostered officer.

    The handover area refines this (the outgoing officer stays responsible until the incoming
    one acknowledges). With no shift, the duty lead holds it, so an alert is never unowned.
    """
    shift = await on_duty(conn, team, at)
    if shift is not None:
        member = await load_member(shift.person_id, conn)
        if member is not None and member.person.active:
            return member
    return await lead(conn, team)


async def lead(conn: BaseDBAsyncClient, team: DutyTeam) -> Member | None:
    """The team's duty lead (值班长): the named one, else a duty lead of the team's unit."""
    if team.lead_id is not None:
        member = await load_member(team.lead_id, conn)
        if member is not None and member.person.active:
            return member
    found = await nearest_with_role(team.unit_id, Role.DUTY_LEAD, conn)
    return found[0] if found else None


async def leads(conn: BaseDBAsyncClient, team: DutyTeam) -> list[Member]:
    """Everyone who may act as the team's duty lead (approve swaps, change the roster)."""
    found: list[Member] = []
    named = await lead(conn, team)
    if named is not None:
        found.append(named)
    for member in await members_with_role(team.unit_id, Role.DUTY_LEAD, conn):
        if member.id not in {m.id for m in found}:
            found.append(member)
    return found


@dataclass(frozen=True)
class ChainLevel:
    """One level of the escalation chain: what it is called and who it reaches."""

    key: str  # "lead" / "head" / "supervisor" (stored in deadline schedules: never rename)
    label: str  # 值班长 / 单位负责人 / 主管单位
    members: list[Member]


async def duty_chain(conn: BaseDBAsyncClient, team: DutyTeam) -> list[ChainLevel]:
    """The escalation chain of a team: duty lead → unit head → supervisor.

    Levels nobody fills are left out; a person already reached at a lower level is not
    repeated higher up (唐主任 is both a duty lead and the centre's head in the demo).
    """
    levels: list[ChainLevel] = []
    seen: set[int] = set()

    def add(key: str, label: str, members: list[Member]) -> None:
        fresh = [m for m in members if m.id not in seen]
        seen.update(m.id for m in fresh)
        if fresh:
            levels.append(ChainLevel(key=key, label=label, members=fresh))

    add("lead", "值班长", await leads(conn, team))
    add("head", "单位负责人", await nearest_with_role(team.unit_id, Role.PRINCIPAL, conn))
    unit = await Unit.filter(id=team.unit_id).using_db(conn).first()
    supervisors: list[Member] = []
    if unit is not None and unit.supervisor_id is not None:
        supervisors = await members_with_role(unit.supervisor_id, Role.SUPERVISOR_STAFF, conn)
    add("supervisor", "主管单位", supervisors)
    return levels


async def rotation_at(
    conn: BaseDBAsyncClient, team: DutyTeam, day: date, *, holiday: bool = False
) -> DutyRotation | None:
    """The rotation in force on ``day`` (the latest one effective on or before it)."""
    return (
        await DutyRotation.filter(team_id=team.id, holiday=holiday, effective_from__lte=day)
        .using_db(conn)
        .order_by("-effective_from")
        .first()
    )


async def officers(conn: BaseDBAsyncClient, team: DutyTeam, day: date) -> list[Member]:
    """The people of the team's rotations in force on ``day``, in rotation order."""
    found: list[Member] = []
    for holiday in (False, True):
        rotation = await rotation_at(conn, team, day, holiday=holiday)
        for pid in rotation.people if rotation is not None else []:
            if pid in {m.id for m in found}:
                continue
            member = await load_member(int(pid), conn)
            if member is not None and member.person.active:
                found.append(member)
    return found


async def teams_of(conn: BaseDBAsyncClient, person_id: int, day: date) -> list[DutyTeam]:
    """The active teams whose rotation in force on ``day`` names the person, or whose named
    lead they are. Two queries whatever the number of teams (the bench has 200)."""
    teams = {t.id: t for t in await DutyTeam.filter(active=True).using_db(conn).order_by("id")}
    latest: dict[tuple[int, bool], DutyRotation] = {}
    for rotation in (
        await DutyRotation.filter(team_id__in=list(teams), effective_from__lte=day)
        .using_db(conn)
        .order_by("effective_from")
    ):
        latest[(rotation.team_id, rotation.holiday)] = rotation  # the last one wins
    found = {t.id for t in teams.values() if t.lead_id == person_id}
    found.update(
        team_id for (team_id, _), r in latest.items() if person_id in [int(p) for p in r.people]
    )
    return [teams[i] for i in sorted(found)]


async def teams_led_by(conn: BaseDBAsyncClient, member: Member) -> list[DutyTeam]:
    """Teams the person may act for as duty lead: named as lead, or holding the duty-lead
    role in the team's unit (``leads``)."""
    query = DutyTeam.filter(active=True).using_db(conn)
    teams = await query.order_by("id")
    return [
        t
        for t in teams
        if t.lead_id == member.id
        or (member.has(Role.DUTY_LEAD) and member.person.active and t.unit_id == member.unit.id)
    ]


async def scope_units(conn: BaseDBAsyncClient, team: DutyTeam) -> list[int]:
    """The units whose accounts the team watches."""
    rows = await DutyScope.filter(team_id=team.id).using_db(conn).values_list("unit_id", flat=True)
    return sorted(int(str(r)) for r in rows)


async def teams_watching(conn: BaseDBAsyncClient, unit_id: int) -> list[DutyTeam]:
    """The active teams whose scope includes the unit."""
    team_ids = (
        await DutyScope.filter(unit_id=unit_id).using_db(conn).values_list("team_id", flat=True)
    )
    return (
        await DutyTeam.filter(id__in=[int(str(t)) for t in team_ids], active=True)
        .using_db(conn)
        .order_by("id")
    )


async def colleagues(conn: BaseDBAsyncClient, team: DutyTeam, day: date) -> list[Member]:
    """Who may hold the team's shifts: its rotations' people, then the duty officers and
    duty leads of its unit (a lead may put a standby officer on a shift)."""
    found = await officers(conn, team, day)
    for role in (Role.DUTY_OFFICER, Role.DUTY_LEAD):
        for member in await members_with_role(team.unit_id, role, conn):
            if member.id not in {m.id for m in found}:
                found.append(member)
    return found


async def colleague_named(
    conn: BaseDBAsyncClient, team: DutyTeam, day: date, name: str
) -> Member | None:
    """The colleague a person means by a name ("老刘") or a console key; None if unknown.

    Names are unique within a team in practice; two people of the same name are told apart
    by their key (the org file's), which is refused here as ambiguous otherwise.
    """
    wanted = name.strip().lstrip("@")
    matches = [m for m in await colleagues(conn, team, day) if wanted in (m.name, m.person.key)]
    return matches[0] if len(matches) == 1 else None
