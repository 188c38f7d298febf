"""Who acts on a notice: who issues, who receives and works on it, who heads the unit, who
verifies, where the unit's group is, and who may read the records."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.directory import Member, members_with_role, nearest_with_role, unit_chat
from storage.enums import ChatPurpose, Role
from storage.models.org import Account, Chat, Unit
from storage.models.rectification import Rectification

# Supervisor staff issue notices (整改) and run the quarterly review (整改季度).
ISSUERS = frozenset({Role.SUPERVISOR_STAFF})

# 整改记录 is a management view: the people working on a notice have its card and the group
# reminders.
RECORD_READERS = frozenset(
    {
        Role.SUPERVISOR_STAFF,
        Role.ADMIN,
        Role.PRINCIPAL,
        Role.DEPUTY_LEADER,
        Role.SECTION_CHIEF,
    }
)

# Roles of the owner unit who receive and work on a notice (the account's day-to-day people).
WORKER_ROLES = (Role.SECTION_CHIEF, Role.CLERK, Role.EDITOR, Role.DUTY_OFFICER)


@dataclass(frozen=True)
class People:
    workers: list[Member]
    heads: list[Member]
    supervisors: list[Member]
    chat: Chat | None

    @property
    def unit_side_ids(self) -> list[int]:
        """Who may tap the owner unit's card: the workers and the unit head."""
        return sorted({m.id for m in self.workers + self.heads})


async def people_of(conn: BaseDBAsyncClient, rect: Rectification) -> People:
    """Who works on the notice, who heads the unit, who supervises, and the unit's group."""
    units: list[int] = []
    if rect.account_id is not None:
        account = await Account.filter(id=rect.account_id).using_db(conn).first()
        if account is not None and account.operator_unit_id is not None:
            units.append(account.operator_unit_id)
    if not units:
        units.append(rect.owner_unit_id)
        offices = await Unit.filter(
            parent_id=rect.owner_unit_id, is_internal_office=True, active=True
        ).using_db(conn)
        units.extend(u.id for u in offices)
    workers: list[Member] = []
    for unit_id in units:
        for role in WORKER_ROLES:
            for member in await members_with_role(unit_id, role, conn):
                if member.id not in {w.id for w in workers}:
                    workers.append(member)
    heads = await nearest_with_role(rect.owner_unit_id, Role.PRINCIPAL, conn)
    if not workers:
        # Nobody below the leadership: the deputy leader in charge receives it.
        workers = await nearest_with_role(rect.owner_unit_id, Role.DEPUTY_LEADER, conn) or heads
    supervisors = await members_with_role(rect.supervisor_unit_id, Role.SUPERVISOR_STAFF, conn)
    if rect.issued_by_id is not None:
        supervisors.sort(key=lambda m: m.id != rect.issued_by_id)
    chat = await unit_chat(rect.owner_unit_id, ChatPurpose.DUTY, conn) or await unit_chat(
        rect.owner_unit_id, ChatPurpose.REVIEW, conn
    )
    return People(workers=workers, heads=heads, supervisors=supervisors, chat=chat)


def names(members: list[Member]) -> str:
    """Names for a message ("小王、老李"); "责任人" when nobody is named."""
    return "、".join(m.name for m in members) or "责任人"
