"""Write the current organisation back in the file format ``dutybot org load`` reads."""

from __future__ import annotations

from typing import Any

import yaml

from storage.enums import IdentityKind, Platform
from storage.models.duty import DutyRotation, DutyScope, DutyTeam
from storage.models.org import Account, Chat, ChatMember, Identity, Person, PersonRole, Unit

HEADER = """\
# dutybot 组织名单（由 dutybot org export 导出）
# 格式说明见 docs/org-file.md；修改后用 dutybot org load 重新导入，只应用差异。
"""


async def export_org(include_inactive: bool = False) -> dict[str, Any]:
    """The organisation as ``org load`` reads it; loading the result changes nothing.

    Inactive units and people are written (with ``active: false``) when something written
    refers to them — an account of a unit that was dissolved, a chat listing someone who left
    — or when ``include_inactive`` asks for all of them.
    """
    all_units = await Unit.all().order_by("id")
    unit_key = {u.id: u.key for u in all_units}
    all_people = await Person.all().order_by("id")
    person_key = {p.id: p.key for p in all_people}
    roles: dict[int, list[str]] = {}
    for row in await PersonRole.all().order_by("id"):
        roles.setdefault(row.person_id, []).append(str(row.role))
    identities: dict[int, dict[tuple[str, str], str]] = {}
    for ident in await Identity.all():
        identities.setdefault(ident.person_id, {})[(str(ident.platform), str(ident.kind))] = (
            ident.value
        )
    chats = await Chat.filter(**({} if include_inactive else {"active": True})).order_by("id")
    members: dict[int, list[int]] = {}
    for m in await ChatMember.all().order_by("id"):
        members.setdefault(m.chat_id, []).append(m.person_id)
    accounts = await Account.all().order_by("id")
    wanted_people = {pid for c in chats for pid in members.get(c.id, [])} | {
        p.id for p in all_people if p.active or include_inactive
    }
    people = [p for p in all_people if p.id in wanted_people]
    wanted_units = (
        {u.id for u in all_units if u.active or include_inactive}
        | {p.unit_id for p in people}
        | {a.owner_unit_id for a in accounts}
        | {a.operator_unit_id for a in accounts if a.operator_unit_id}
        | {c.unit_id for c in chats if c.unit_id}
    )
    # An inactive unit's parent and supervisor must be in the file too.
    by_id = {u.id: u for u in all_units}
    pending = list(wanted_units)
    while pending:
        unit = by_id[pending.pop()]
        for ref in (unit.parent_id, unit.supervisor_id):
            if ref and ref not in wanted_units:
                wanted_units.add(ref)
                pending.append(ref)
    units = [u for u in all_units if u.id in wanted_units]

    def unit_entry(u: Unit) -> dict[str, Any]:
        entry: dict[str, Any] = {"key": u.key, "name": u.name, "kind": str(u.kind)}
        if u.parent_id:
            entry["parent"] = unit_key[u.parent_id]
        if u.supervisor_id:
            entry["supervisor"] = unit_key[u.supervisor_id]
        if u.is_internal_office:
            entry["internal_office"] = True
        if u.aliases:
            entry["aliases"] = list(u.aliases)
        if u.former_names:
            entry["former_names"] = list(u.former_names)
        if not u.active:
            entry["active"] = False
        return entry

    def person_entry(p: Person) -> dict[str, Any]:
        entry: dict[str, Any] = {"key": p.key, "name": p.name, "unit": unit_key[p.unit_id]}
        if p.phone:
            entry["phone"] = p.phone
        if p.title:
            entry["title"] = p.title
        entry["roles"] = sorted(roles.get(p.id, []))
        ids = identities.get(p.id, {})
        if (Platform.WECOM.value, IdentityKind.USERID.value) in ids:
            entry["wecom"] = ids[(Platform.WECOM.value, IdentityKind.USERID.value)]
        if (Platform.FEISHU.value, IdentityKind.OPEN_ID.value) in ids:
            entry["feishu_open_id"] = ids[(Platform.FEISHU.value, IdentityKind.OPEN_ID.value)]
        if (Platform.FEISHU.value, IdentityKind.USER_ID.value) in ids:
            entry["feishu_user_id"] = ids[(Platform.FEISHU.value, IdentityKind.USER_ID.value)]
        if p.preferred_platform:
            entry["preferred_platform"] = str(p.preferred_platform)
        if not p.active:
            entry["active"] = False
        return entry

    def chat_entry(c: Chat) -> dict[str, Any]:
        entry: dict[str, Any] = {"key": c.key, "name": c.name, "purpose": str(c.purpose)}
        if c.unit_id:
            entry["unit"] = unit_key[c.unit_id]
        entry["members"] = [person_key[m] for m in members.get(c.id, [])]
        if c.wecom_webhook_key:
            entry["wecom_webhook_key"] = c.wecom_webhook_key
        if c.feishu_chat_id:
            entry["feishu_chat_id"] = c.feishu_chat_id
        if c.wecom_chat_id:
            entry["wecom_chat_id"] = c.wecom_chat_id
        if not c.active:
            entry["active"] = False
        return entry

    def account_entry(a: Account) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "key": a.key,
            "name": a.name,
            "platform": str(a.platform),
            "owner_unit": unit_key[a.owner_unit_id],
            "status": str(a.status),
        }
        if a.platform_name:
            entry["platform_name"] = a.platform_name
        if a.platform_account_id:
            entry["account_id"] = a.platform_account_id
        if a.operator_unit_id:
            entry["operator_unit"] = unit_key[a.operator_unit_id]
        if a.manager_name:
            manager: dict[str, Any] = {"name": a.manager_name}
            if a.manager_phone:
                manager["phone"] = a.manager_phone
            entry["manager"] = manager
        if a.operators:
            entry["operators"] = [
                {k: v for k, v in o.items() if v is not None} for o in a.operators
            ]
        if a.url:
            entry["url"] = a.url
        if a.opened_on:
            entry["opened_on"] = a.opened_on.isoformat()
        if a.note:
            entry["note"] = a.note
        return entry

    data: dict[str, Any] = {
        "units": [unit_entry(u) for u in units],
        "people": [person_entry(p) for p in people],
        "chats": [chat_entry(c) for c in chats],
        "accounts": [account_entry(a) for a in accounts],
    }
    teams = await _duty_teams(include_inactive, unit_key, person_key)
    if teams:
        data["duty_teams"] = teams
    return data


async def _duty_teams(
    include_inactive: bool, unit_key: dict[int, str], person_key: dict[int, str]
) -> list[dict[str, Any]]:
    """Each team with its latest rotations (a rotation dated ahead is written as it will be:
    loading the export back changes nothing either way)."""
    chat_key = {c.id: c.key for c in await Chat.all()}
    found: list[dict[str, Any]] = []
    teams = await DutyTeam.filter(**({} if include_inactive else {"active": True})).order_by("id")
    for team in teams:
        entry: dict[str, Any] = {"key": team.key, "name": team.name, "unit": unit_key[team.unit_id]}
        scope = sorted(
            unit_key[int(str(u))]
            for u in await DutyScope.filter(team_id=team.id).values_list("unit_id", flat=True)
        )
        entry["scope"] = scope
        if team.lead_id is not None:
            entry["lead"] = person_key[team.lead_id]
        if team.chat_id is not None:
            entry["chat"] = chat_key[team.chat_id]
        entry["shifts"] = str(team.mode)
        entry["day_start"] = team.day_start
        entry["night_start"] = team.night_start
        for holiday, name in ((False, "rotation"), (True, "holiday_rotation")):
            latest = (
                await DutyRotation.filter(team_id=team.id, holiday=holiday)
                .order_by("-effective_from")
                .first()
            )
            if latest is not None and latest.people:
                entry[name] = [person_key[int(p)] for p in latest.people]
        entry["swap_approval"] = team.swap_approval
        if not team.active:
            entry["active"] = False
        found.append(entry)
    return found


def to_yaml(data: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
