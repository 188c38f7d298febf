"""Apply a validated organisation file: create, update, deactivate — in one transaction.

Loading the same file twice changes nothing. People, units and chats missing from the file are
deactivated (never deleted: the audit log and past cases still refer to them). Accounts in the
file are created or updated; accounts not in it are left alone, because the registry also
changes through filings and spreadsheet imports. Problems only the database can reveal (an
account that would be a unit's second live account on a platform) refuse the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from bot.org.accounts import AccountIndex, Ambiguous
from bot.org.schema import (
    AccountEntry,
    DutyTeamEntry,
    OrgError,
    OrgFile,
    PersonEntry,
    UnitEntry,
)
from storage import audit
from storage.enums import IdentityKind, Platform
from storage.models.duty import DutyRotation, DutyScope, DutyTeam
from storage.models.duty_leaving import LeavingChecklist, LeavingReason, LeavingStatus
from storage.models.org import (
    Account,
    Chat,
    ChatMember,
    Identity,
    Person,
    PersonRole,
    Unit,
)

ACTOR = audit.Actor.system("组织名单导入")
KIND_LABELS = {
    "unit": "单位",
    "person": "人员",
    "chat": "群聊",
    "account": "账号",
    "duty_team": "值班组",
}
# Foreign keys to units are audited by unit key, which people recognise, not by row id.
UNIT_REFS = {"unit_id", "parent_id", "supervisor_id", "owner_unit_id", "operator_unit_id"}

M = TypeVar("M", bound=Model)


@dataclass
class ChangeSummary:
    """What a load changed, counted once per entity, plus one line per change."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    # People who left their unit (deactivated or moved): the duty flow opens their checklists.
    departures: list[str] = field(default_factory=list)
    # People put back into a unit they had left: the duty flow withdraws their checklists.
    returns: list[str] = field(default_factory=list)
    _created_keys: set[tuple[str, str]] = field(default_factory=set)
    _updated_keys: set[tuple[str, str]] = field(default_factory=set)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    def mark_created(self, kind: str, key: str) -> None:
        self._created_keys.add((kind, key))
        self.count(self.created, kind)

    def was_created(self, kind: str, key: str) -> bool:
        return (kind, key) in self._created_keys

    def mark_updated(self, kind: str, key: str) -> None:
        if (kind, key) not in self._updated_keys:
            self._updated_keys.add((kind, key))
            self.count(self.updated, kind)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def describe(self) -> str:
        def fmt(bucket: dict[str, int]) -> str:
            return "、".join(f"{KIND_LABELS[k]} {v}" for k, v in bucket.items()) or "无"

        if not self.changed:
            return "组织名单与数据库一致，没有变化。"
        return (
            f"新增：{fmt(self.created)}；更新：{fmt(self.updated)}；停用：{fmt(self.deactivated)}"
        )


class Applier:
    """Writes rows inside one transaction, auditing exactly what changed."""

    def __init__(self, conn: BaseDBAsyncClient, now: datetime, actor: audit.Actor = ACTOR) -> None:
        self.conn = conn
        self.now = now
        self.actor = actor
        self.summary = ChangeSummary()
        self.problems: list[str] = []
        self.unit_keys: dict[int, str] = {}

    async def audit(self, action: str, kind: str, key: str, detail: dict[str, Any]) -> None:
        await audit.record(
            self.conn,
            actor=self.actor,
            action=action,
            subject_type=kind,
            subject_id=key,
            at=self.now,
            detail=detail,
        )

    def _audited(self, name: str, value: Any) -> tuple[str, Any]:
        if name in UNIT_REFS:
            return name.removesuffix("_id"), self.unit_keys.get(value, value)
        return name, _jsonable(value)

    async def create(
        self, model: type[M], kind: str, key: str, values: dict[str, Any], /, **context: Any
    ) -> M:
        row = await model.create(using_db=self.conn, key=key, **values)
        self.summary.mark_created(kind, key)
        self.summary.lines.append(f"+ {KIND_LABELS[kind]} {key}")
        detail = dict(self._audited(k, v) for k, v in values.items())
        await self.audit(f"{kind}.created", kind, key, {**detail, **context})
        return row

    async def update(
        self, row: Model, kind: str, key: str, values: dict[str, Any], /, **context: Any
    ) -> bool:
        """Set the values that differ; audit them. Returns whether anything changed."""
        changes = {
            name: (getattr(row, name), value)
            for name, value in values.items()
            if getattr(row, name) != value
        }
        if not changes:
            return False
        for name, (_, value) in changes.items():
            setattr(row, name, value)
        await row.save(using_db=self.conn, update_fields=list(changes))
        self.summary.mark_updated(kind, key)
        self.summary.lines.append(f"~ {KIND_LABELS[kind]} {key}：{'、'.join(changes)}")
        detail: dict[str, Any] = {}
        for name, (before, after) in changes.items():
            label, old = self._audited(name, before)
            _, new = self._audited(name, after)
            detail[label] = {"from": old, "to": new}
        await self.audit(f"{kind}.updated", kind, key, {**detail, **context})
        return True

    async def upsert(self, model: type[M], kind: str, key: str, values: dict[str, Any]) -> M:
        """Create or update the row with this key."""
        row = await model.filter(key=key).using_db(self.conn).first()
        if row is None:
            return await self.create(model, kind, key, values)
        await self.update(row, kind, key, values)
        return row

    async def deactivate_missing(self, model: type[Model], kind: str, keys: set[str]) -> None:
        for row in await model.filter(active=True).using_db(self.conn).order_by("id"):
            key = str(row.key)  # type: ignore[attr-defined]  # Unit, Person and Chat all have a key
            if key not in keys:
                row.active = False
                await row.save(using_db=self.conn, update_fields=["active"])
                self.summary.count(self.summary.deactivated, kind)
                self.summary.lines.append(f"- {KIND_LABELS[kind]} {key}（停用）")
                await self.audit(f"{kind}.deactivated", kind, key, {})

    async def sync_set(
        self, kind: str, key: str, label: str, current: set[Any], wanted: set[Any]
    ) -> tuple[set[Any], set[Any]]:
        """Report additions/removals of a set-valued attribute (roles, members, identities)."""
        added, removed = wanted - current, current - wanted
        if (added or removed) and not self.summary.was_created(kind, key):
            # (A new row's sets are recorded in its "created" entry.)
            self.summary.mark_updated(kind, key)
            self.summary.lines.append(
                f"~ {KIND_LABELS[kind]} {key}：{label} "
                f"+{sorted(map(str, added))} -{sorted(map(str, removed))}"
            )
            await self.audit(
                f"{kind}.{label}_changed",
                kind,
                key,
                {"added": sorted(map(str, added)), "removed": sorted(map(str, removed))},
            )
        return added, removed


def _jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return getattr(value, "key", value.pk)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


async def apply_org(org: OrgFile, now: datetime, *, dry_run: bool = False) -> ChangeSummary:
    """Make the database match the file; raise ``OrgError`` (nothing written) on conflicts.

    With ``dry_run`` the changes are computed inside the transaction and rolled back.
    """
    try:
        async with in_transaction() as conn:
            applier = Applier(conn, now)
            await _apply(applier, org)
            if applier.problems:
                raise OrgError(applier.problems)
            if dry_run:
                raise _DryRunRollback(applier.summary)
    except _DryRunRollback as done:
        return done.summary
    return applier.summary


class _DryRunRollback(Exception):
    def __init__(self, summary: ChangeSummary) -> None:
        self.summary = summary


async def preview_org(org: OrgFile, now: datetime) -> ChangeSummary:
    """What ``apply_org`` would change; nothing is kept."""
    return await apply_org(org, now, dry_run=True)


async def _apply(a: Applier, org: OrgFile) -> None:
    before = await _placements(a.conn)
    units = await _apply_units(a, org.units)
    people = await _apply_people(a, org, units)
    await _apply_chats(a, org, people, units)
    await _apply_accounts(a, org.accounts, units)
    await _apply_duty_teams(a, org.duty_teams, units)
    await a.deactivate_missing(Unit, "unit", {u.key for u in org.units if u.active})
    await a.deactivate_missing(Person, "person", {p.key for p in org.people if p.active})
    await a.deactivate_missing(Chat, "chat", {c.key for c in org.chats if c.active})
    await a.deactivate_missing(DutyTeam, "duty_team", {t.key for t in org.duty_teams if t.active})
    await _record_departures(a, before)


async def _placements(conn: BaseDBAsyncClient) -> dict[int, tuple[bool, int]]:
    """Each person's (active, unit) before the load, to find who leaves a unit."""
    rows = await Person.all().using_db(conn).values_list("id", "active", "unit_id")
    return {int(pid): (bool(active), int(unit)) for pid, active, unit in rows}


async def _record_departures(a: Applier, before: dict[int, tuple[bool, int]]) -> None:
    """A person deactivated or moved to another unit leaves their unit: record a pending
    leaving checklist (yongchuan 第二十二条, beibei 第七章) in this same transaction, so the
    departure cannot be lost; the worker lists the open items and opens it."""
    after = await _placements(a.conn)
    for pid, (was_active, old_unit) in sorted(before.items()):
        active, unit = after[pid]
        if (was_active, old_unit) == (active, unit):
            continue
        undone = await _record_return(a, pid, unit) if active else set()
        if not was_active or (active and unit == old_unit):
            continue
        moved = active and unit != old_unit
        if moved and old_unit in undone:
            continue  # moved back where they came from: the move is undone, not a departure
        await LeavingChecklist.create(
            using_db=a.conn,
            person_id=pid,
            unit_id=old_unit,
            moved_to_unit_id=unit if moved else None,
            reason=LeavingReason.MOVED if moved else LeavingReason.REMOVED,
            recorded_at=a.now,
        )
        person = await Person.filter(id=pid).using_db(a.conn).get()
        a.summary.departures.append(person.name)


async def _record_return(a: Applier, pid: int, unit: int) -> set[int]:
    """The person is (again) active in ``unit``: a checklist of theirs for that unit still
    pending or open is marked returned in this transaction (the worker withdraws it and tells
    the unit head). Returns the units those checklists had them moved to."""
    rows = (
        await LeavingChecklist.filter(
            person_id=pid,
            unit_id=unit,
            status__in=[LeavingStatus.PENDING, LeavingStatus.OPEN],
            returned_at=None,
        )
        .using_db(a.conn)
        .select_for_update()
    )
    for row in rows:
        row.returned_at = a.now
        await row.save(using_db=a.conn, update_fields=["returned_at"])
    if rows:
        person = await Person.filter(id=pid).using_db(a.conn).get()
        a.summary.returns.append(person.name)
    return {r.moved_to_unit_id for r in rows if r.moved_to_unit_id is not None}


async def _apply_units(a: Applier, entries: list[UnitEntry]) -> dict[str, Unit]:
    conn = a.conn
    all_units = await Unit.all().using_db(conn)
    a.unit_keys = {u.id: u.key for u in all_units}
    existing = {u.key: u for u in all_units}
    units: dict[str, Unit] = {}
    # Parents and supervisors before the units that refer to them, so every reference can be
    # set when the unit is written and a first load reports creations only.
    deferred: list[UnitEntry] = []
    for u in _topological(entries):
        values: dict[str, Any] = {
            "name": u.name,
            "kind": u.kind,
            "is_internal_office": u.internal_office,
            "active": u.active,
            "aliases": u.aliases,
            "former_names": u.former_names,
        }
        refs = (u.parent, u.supervisor)
        if all(ref is None or ref in units for ref in refs):
            values["parent_id"] = units[u.parent].id if u.parent else None
            values["supervisor_id"] = units[u.supervisor].id if u.supervisor else None
        else:  # only mutual supervision can get here
            deferred.append(u)
        row = existing.get(u.key)
        if row is None:
            row = await a.create(Unit, "unit", u.key, values)
            a.unit_keys[row.id] = row.key
        else:
            await a.update(row, "unit", u.key, values)
        units[u.key] = row
    for u in deferred:
        await a.update(
            units[u.key],
            "unit",
            u.key,
            {
                "parent_id": units[u.parent].id if u.parent else None,
                "supervisor_id": units[u.supervisor].id if u.supervisor else None,
            },
        )
    return units


async def _apply_people(a: Applier, org: OrgFile, units: dict[str, Unit]) -> dict[str, Person]:
    conn = a.conn
    existing = {
        p.key: p for p in await Person.filter(key__in=[p.key for p in org.people]).using_db(conn)
    }
    people: dict[str, Person] = {}
    for p in org.people:
        values = {
            "name": p.name,
            "unit_id": units[p.unit].id,
            "phone": p.phone,
            "title": p.title,
            "preferred_platform": p.preferred_platform,
            "active": p.active,
        }
        row = existing.get(p.key)
        wanted_ids = _wanted_identities(p)
        if row is None:
            row = await a.create(
                Person,
                "person",
                p.key,
                values,
                roles=[r.value for r in p.roles],
                identities=sorted(wanted_ids),
            )
        else:
            await a.update(row, "person", p.key, values)
        people[p.key] = row
        current_roles = {
            str(r)
            for r in await PersonRole.filter(person_id=row.id)
            .using_db(conn)
            .values_list("role", flat=True)
        }
        added, removed = await a.sync_set(
            "person", p.key, "roles", current_roles, {r.value for r in p.roles}
        )
        for role in sorted(added):
            await PersonRole.create(using_db=conn, person_id=row.id, role=role)
        if removed:
            await (
                PersonRole.filter(person_id=row.id, role__in=list(removed)).using_db(conn).delete()
            )
        await _sync_identities(a, p.key, row, wanted_ids)
    return people


def _wanted_identities(p: PersonEntry) -> set[str]:
    """Identities as ``platform:kind:value`` (readable in the audit log)."""
    wanted = {f"{Platform.CONSOLE}:{IdentityKind.HANDLE}:{p.key}"}
    if p.wecom:
        wanted.add(f"{Platform.WECOM}:{IdentityKind.USERID}:{p.wecom}")
    if p.feishu_open_id:
        wanted.add(f"{Platform.FEISHU}:{IdentityKind.OPEN_ID}:{p.feishu_open_id}")
    if p.feishu_user_id:
        wanted.add(f"{Platform.FEISHU}:{IdentityKind.USER_ID}:{p.feishu_user_id}")
    return wanted


async def _sync_identities(a: Applier, key: str, person: Person, wanted: set[str]) -> None:
    conn = a.conn
    current = {
        f"{i.platform}:{i.kind}:{i.value}"
        for i in await Identity.filter(person_id=person.id).using_db(conn)
    }
    added, removed = await a.sync_set("person", key, "identities", current, wanted)
    for identity in removed:
        platform, kind, value = identity.split(":", 2)
        await (
            Identity.filter(person_id=person.id, platform=platform, kind=kind, value=value)
            .using_db(conn)
            .delete()
        )
    for identity in sorted(added):
        platform, kind, value = identity.split(":", 2)
        # An identity moving from someone else (a person who left, whose WeCom account was
        # given to a successor): take it from them, on the record.
        holder = (
            await Identity.filter(platform=platform, kind=kind, value=value).using_db(conn).first()
        )
        if holder is not None:
            previous = await Person.filter(id=holder.person_id).using_db(conn).get()
            await holder.delete(using_db=conn)
            await a.audit(
                "person.identities_changed",
                "person",
                previous.key,
                {"added": [], "removed": [identity], "moved_to": key},
            )
        await Identity.create(
            using_db=conn, person_id=person.id, platform=platform, kind=kind, value=value
        )


async def _apply_chats(
    a: Applier, org: OrgFile, people: dict[str, Person], units: dict[str, Unit]
) -> None:
    conn = a.conn
    file_keys = {c.key for c in org.chats}
    # A Feishu group id is unique; a chat leaving the file gives its id up to the chat that now
    # names it (the group was re-purposed).
    for c in org.chats:
        if c.feishu_chat_id:
            for holder in await Chat.filter(feishu_chat_id=c.feishu_chat_id).using_db(conn):
                if holder.key != c.key and holder.key not in file_keys:
                    await a.update(holder, "chat", holder.key, {"feishu_chat_id": None})
    existing = {c.key: c for c in await Chat.filter(key__in=list(file_keys)).using_db(conn)}
    # Two chats of the file swapping Feishu ids would collide midway: free the ids that move
    # first (the in-memory rows keep the old values, so the audit shows old -> new).
    moving = [
        row.id
        for c in org.chats
        if (row := existing.get(c.key)) is not None
        and row.feishu_chat_id is not None
        and row.feishu_chat_id != c.feishu_chat_id
    ]
    if moving:
        await Chat.filter(id__in=moving).using_db(conn).update(feishu_chat_id=None)
    for c in org.chats:
        values = {
            "name": c.name,
            "purpose": c.purpose,
            "unit_id": units[c.unit].id if c.unit else None,
            "wecom_webhook_key": c.wecom_webhook_key,
            "feishu_chat_id": c.feishu_chat_id,
            "wecom_chat_id": c.wecom_chat_id,
            "active": c.active,
        }
        row = existing.get(c.key)
        if row is None:
            row = await a.create(Chat, "chat", c.key, values, members=c.members)
        else:
            await a.update(row, "chat", c.key, values)
        current = {
            int(str(m))
            for m in await ChatMember.filter(chat_id=row.id)
            .using_db(conn)
            .values_list("person_id", flat=True)
        }
        key_of = {p.id: k for k, p in people.items()}
        for pid in current - set(key_of):
            person = await Person.filter(id=pid).using_db(conn).get()
            key_of[pid] = person.key
        wanted = {people[m].id for m in c.members}
        added, removed = await a.sync_set(
            "chat", c.key, "members", {key_of[m] for m in current}, {key_of[m] for m in wanted}
        )
        for person_key in (m for m in c.members if m in added):
            await ChatMember.create(using_db=conn, chat_id=row.id, person_id=people[person_key].id)
        if removed:
            gone = [pid for pid in current if key_of[pid] in removed]
            await ChatMember.filter(chat_id=row.id, person_id__in=gone).using_db(conn).delete()


async def _apply_accounts(a: Applier, entries: list[AccountEntry], units: dict[str, Unit]) -> None:
    index = AccountIndex(await Account.all().using_db(a.conn).order_by("id"), a.unit_keys)
    resolved: list[tuple[int, AccountEntry, Account | None, str]] = []
    for i, entry in enumerate(entries):
        row: Account | None
        if entry.key:
            row = index.by_key.get(entry.key)
        else:
            found = index.match(
                entry.owner_unit,
                entry.platform,
                entry.platform_name,
                status=entry.status,
                platform_account_id=entry.account_id,
            )
            if isinstance(found, Ambiguous):
                keys = "、".join(c.key for c in found.candidates)
                a.problems.append(
                    f"accounts[{i + 1}]（{entry.name}）.key：数据库中有多个可能对应的账号"
                    f"（{keys}），请写明 key 指定更新哪一个"
                )
                continue
            row = found
        if row is not None:
            key = row.key
        elif entry.key:
            key = entry.key
        else:
            key = index.new_key(entry.owner_unit, entry.platform, entry.platform_name)
        index.reserve(key)
        resolved.append((i, entry, row, key))
    claimed = {key for _, _, _, key in resolved}
    for i, entry, _row, key in resolved:
        if not entry.live:
            continue
        others = [c for c in index.live_conflicts(key, entry.natural_key) if c.key not in claimed]
        if others:
            other = others[0]
            a.problems.append(
                f"accounts[{i + 1}]（{entry.name}）.platform：数据库中已有“{other.name}”（key: "
                f"{other.key}）是该单位在{entry.platform.label}的账号，一个单位在同一平台只能开设一个"
                f"账号。如要更新它，请写明 key: {other.key}；如已关停或注销，请先更新其状态"
            )
    if a.problems:
        return
    for _, entry, row, key in resolved:
        values = account_values(entry, units)
        if row is None:
            await a.create(Account, "account", key, values)
        else:
            await a.update(row, "account", row.key, values)


def _topological(entries: list[UnitEntry]) -> list[UnitEntry]:
    """Units ordered so that a unit's parent and supervisor come first where possible."""
    by_key = {e.key: e for e in entries}
    ordered: list[UnitEntry] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(entry: UnitEntry) -> None:
        if state.get(entry.key):
            return
        state[entry.key] = 1
        for ref in (entry.parent, entry.supervisor):
            if ref in by_key and not state.get(ref):
                visit(by_key[ref])
        state[entry.key] = 2
        ordered.append(entry)

    for entry in entries:
        visit(entry)
    return ordered


def account_values(acc: AccountEntry, units: dict[str, Unit]) -> dict[str, Any]:
    return {
        "name": acc.name,
        "platform": acc.platform,
        "platform_name": acc.platform_name,
        "platform_account_id": acc.account_id,
        "owner_unit_id": units[acc.owner_unit].id,
        "operator_unit_id": units[acc.operator_unit].id if acc.operator_unit else None,
        "status": acc.status,
        "manager_name": acc.manager.name if acc.manager else None,
        "manager_phone": acc.manager.phone if acc.manager else None,
        "operators": [o.model_dump() for o in acc.operators],
        "url": acc.url,
        "opened_on": acc.opened_on,
        "note": acc.note,
    }


async def _apply_duty_teams(
    a: Applier, entries: list[DutyTeamEntry], units: dict[str, Unit]
) -> None:
    """Teams, their scope and their rotations. A changed rotation is a new row from
    ``effective_from`` (default: the day of the load), never an edit: the shifts before it
    keep their people. ``now`` is in the deployment timezone (the CLI's clock), so its date is
    the local day. The planner (run by ``org load`` after this) writes the shifts."""
    conn = a.conn
    person_ids = {
        str(key): int(str(pid))
        for key, pid in await Person.all().using_db(conn).values_list("key", "id")
    }
    person_keys = {pid: key for key, pid in person_ids.items()}
    chat_ids = {
        str(key): int(str(cid))
        for key, cid in await Chat.all().using_db(conn).values_list("key", "id")
    }
    today = a.now.date()
    # Rotations that change, checked before anything is written.
    changes: list[tuple[DutyTeamEntry, bool, list[str], list[int], date]] = []
    for i, t in enumerate(entries):
        team_row = await DutyTeam.filter(key=t.key).using_db(conn).first()
        for holiday, keys in ((False, t.rotation), (True, t.holiday_rotation)):
            have: list[int] = []
            if team_row is not None:
                latest = (
                    await DutyRotation.filter(team_id=team_row.id, holiday=holiday)
                    .using_db(conn)
                    .order_by("-effective_from")
                    .first()
                )
                have = [int(p) for p in latest.people] if latest is not None else []
            if have == [person_ids[k] for k in keys]:
                continue  # unchanged, whatever effective_from says (it may have passed)
            start = t.effective_from or today
            if start < today:
                a.problems.append(
                    f"duty_teams[{i + 1}]（{t.name}）.effective_from：轮值调整只能从今天或以后"
                    f"生效（{start} 已过去；已排的班次保留原样）"
                )
            changes.append((t, holiday, list(keys), have, start))
    if a.problems:
        return
    for t in entries:
        values: dict[str, Any] = {
            "name": t.name,
            "unit_id": units[t.unit].id,
            "lead_id": person_ids[t.lead] if t.lead else None,
            "chat_id": chat_ids[t.chat] if t.chat else None,
            "mode": t.shifts,
            "day_start": t.day_start,
            "night_start": t.night_start,
            "swap_approval": t.swap_approval,
            "active": t.active,
        }
        team_row = await DutyTeam.filter(key=t.key).using_db(conn).first()
        if team_row is None:
            # A new team's scope and rotations are recorded in its "created" entry.
            team = await a.create(
                DutyTeam,
                "duty_team",
                t.key,
                values,
                scope=t.scope_units,
                rotation=t.rotation,
                holiday_rotation=t.holiday_rotation,
                effective_from=(t.effective_from or today).isoformat(),
            )
        else:
            team = team_row
            await a.update(team, "duty_team", t.key, values)
        scope_rows = await DutyScope.filter(team_id=team.id).using_db(conn)
        current = {a.unit_keys.get(r.unit_id, str(r.unit_id)) for r in scope_rows}
        added, removed = await a.sync_set("duty_team", t.key, "scope", current, set(t.scope_units))
        for unit_key in sorted(added):
            await DutyScope.create(using_db=conn, team_id=team.id, unit_id=units[unit_key].id)
        for row in scope_rows:
            if a.unit_keys.get(row.unit_id) in removed:
                await row.delete(using_db=conn)
        for entry, holiday, keys, have, start in changes:
            if entry is not t:
                continue
            wanted = [person_ids[k] for k in keys]
            label = "holiday_rotation" if holiday else "rotation"
            same_day = (
                await DutyRotation.filter(team_id=team.id, holiday=holiday, effective_from=start)
                .using_db(conn)
                .first()
            )
            if same_day is not None:
                # Changed twice before it took effect: the later file wins for that day.
                same_day.people = wanted
                same_day.created_at = a.now
                await same_day.save(using_db=conn, update_fields=["people", "created_at"])
            else:
                await DutyRotation.create(
                    using_db=conn,
                    team_id=team.id,
                    holiday=holiday,
                    effective_from=start,
                    people=wanted,
                    created_at=a.now,
                    created_by="组织名单导入",
                )
            if a.summary.was_created("duty_team", t.key):
                continue
            a.summary.mark_updated("duty_team", t.key)
            a.summary.lines.append(f"~ 值班组 {t.key}：{label} 自 {start} 起")
            await a.audit(
                f"duty_team.{label}_changed",
                "duty_team",
                t.key,
                {
                    "from": [person_keys.get(p, str(p)) for p in have],
                    "to": list(keys),
                    "effective_from": start.isoformat(),
                },
            )
