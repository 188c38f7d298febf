"""Who acts on duty: who is on duty, who holds responsibility, the duty lead and the
escalation chain, the teams a person belongs to.

D2 refines ``responsible`` (the outgoing officer stays responsible until the incoming one
acknowledges the handover); the other areas add sections at the end (``# --- <area> ---``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.directory import Member, load_member, members_with_role, nearest_with_role
from storage.enums import Role
from storage.models.duty import DutyRotation, DutyScope, DutyShift, DutyTeam
from storage.models.duty_handover import DutyHandover, HandoverStatus
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
    """Who holds responsibility for ``team`` at ``at``.

    The rostered officer, except across a handover: from the change until the incoming
    officer acknowledges, the outgoing officer stays responsible (``holder_id``). With no
    shift, the duty lead holds it, so an alert is never unowned.
    """
    holder = await holder_id(conn, team, at)
    if holder is not None:
        member = await load_member(holder, conn)
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
    """Everyone who may act as the team's duty lead (approve swaps, change the roster): the
    one ``lead`` names first, then the other duty leads of the team's unit."""
    in_unit = await members_with_role(team.unit_id, Role.DUTY_LEAD, conn)
    named: Member | None = None
    if team.lead_id is not None:
        named = next((m for m in in_unit if m.id == team.lead_id), None)
        if named is None:
            named = await load_member(team.lead_id, conn)
        if named is not None and not named.person.active:
            named = None
    if named is None:  # as ``lead``: the unit's own duty leads, else the nearest above
        found = in_unit or await nearest_with_role(team.unit_id, Role.DUTY_LEAD, conn)
        named = found[0] if found else None
    if named is None:
        return []
    return [named, *(m for m in in_unit if m.id != named.id)]


@dataclass(frozen=True)
class ChainLevel:
    """One level of the escalation chain: what it is called and who it reaches."""

    key: str  # "lead" / "head" / "supervisor" (stored in deadline schedules: never rename)
    label: str  # 值班长 / 单位负责人 / 主管单位
    members: list[Member]


CHAIN_KEYS = ("lead", "head", "supervisor")


async def duty_chain(
    conn: BaseDBAsyncClient, team: DutyTeam, *, upto: str = "supervisor"
) -> list[ChainLevel]:
    """The escalation chain of a team: duty lead → unit head → supervisor, up to the level
    ``upto`` (an escalation to the duty lead need not look for the supervisors).

    Levels nobody fills are left out; a person already reached at a lower level is not
    repeated higher up (唐主任 is both a duty lead and the centre's head in the demo).
    """
    levels: list[ChainLevel] = []
    seen: set[int] = set()
    if upto not in CHAIN_KEYS:
        raise ValueError(f"no chain level {upto!r}")

    def add(key: str, label: str, members: list[Member]) -> None:
        fresh = [m for m in members if m.id not in seen]
        seen.update(m.id for m in fresh)
        if fresh:
            levels.append(ChainLevel(key=key, label=label, members=fresh))

    add("lead", "值班长", await leads(conn, team))
    if upto == "lead":
        return levels
    add("head", "单位负责人", await nearest_with_role(team.unit_id, Role.PRINCIPAL, conn))
    if upto == "head":
        return levels
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


# --- handover ---

# How many unacknowledged handovers in a row ``holder_id`` follows back (a team whose
# handovers nobody acknowledged for days still answers, with the roster's person).
_HOLDER_DEPTH = 20


async def holder_id(
    conn: BaseDBAsyncClient, team: DutyTeam, at: datetime, depth: int = 0
) -> int | None:
    """The person holding responsibility at ``at`` (None where the roster has a gap).

    The shift running at ``at`` is its officer's once its handover was acknowledged (at or
    before ``at``), or when it has no handover (not planned, cancelled, or the same officer
    stays on). Before that, the outgoing officer of the handover holds it; if the card was
    never prepared, whoever held it at the end of the previous shift still does.
    """
    shift = await on_duty(conn, team, at)
    if shift is None:
        return None
    handover = (
        await DutyHandover.filter(team_id=team.id, change_at=shift.starts_at).using_db(conn).first()
    )
    if handover is None or HandoverStatus(handover.status) is HandoverStatus.CANCELLED:
        return shift.person_id
    acknowledged = handover.acknowledged_at
    if acknowledged is not None and acknowledged <= at:
        return handover.incoming_id or shift.person_id
    if handover.outgoing_id is not None:
        return handover.outgoing_id
    if depth >= _HOLDER_DEPTH:
        return shift.person_id
    before = await holder_id(conn, team, shift.starts_at - timedelta(microseconds=1), depth + 1)
    return before if before is not None else shift.person_id


# --- leaving ---
# Who completes a leaving checklist: the head of the unit the person left.

# 离岗 (the open checklists as cards) and 离岗清单 (the record): the unit's leadership, and
# supervisor staff and administrators, who see every unit's. Duty leads are told about the
# shifts to re-assign directly (they confirm nothing on the checklist).
LEAVING_READERS = frozenset(
    {
        Role.PRINCIPAL,
        Role.DEPUTY_LEADER,
        Role.SECTION_CHIEF,
        Role.SUPERVISOR_STAFF,
        Role.ADMIN,
    }
)
# Readers who see the checklists of every unit, not only their own.
LEAVING_OVERSEERS = frozenset({Role.SUPERVISOR_STAFF, Role.ADMIN})


async def leaving_heads(conn: BaseDBAsyncClient, unit_id: int) -> list[Member]:
    """Who confirms the items and is reminded: the unit's 主要负责人 (up the unit tree, as an
    internal office's head is its bureau's), else the system administrators, so a checklist
    is never without someone to finish it."""
    heads = await nearest_with_role(unit_id, Role.PRINCIPAL, conn)
    if heads:
        return heads
    admins: list[Member] = []
    for unit in await Unit.filter(active=True).using_db(conn).order_by("id"):
        admins += await members_with_role(unit.id, Role.ADMIN, conn)
    return admins
