"""Who is who: platform identities to people, roles, units, chats and approvers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Mention
from bot.core.events import PlatformUser
from storage.enums import ChatPurpose, IdentityKind, Platform, Role
from storage.models.org import Chat, ChatMember, Identity, Person, PersonRole, Unit


@dataclass(frozen=True)
class Member:
    """A person with what the bot needs to know about them."""

    person: Person
    unit: Unit
    roles: frozenset[Role]

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def name(self) -> str:
        return self.person.name

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    def mention(self) -> Mention:
        return Mention(person_id=self.person.id, name=self.person.name)


async def find_person(user: PlatformUser, conn: BaseDBAsyncClient | None = None) -> Person | None:
    """The active person behind a platform identity, or None for a stranger."""
    identity = (
        await Identity.filter(platform=user.platform, kind=user.kind, value=user.value)
        .using_db(conn)
        .first()
    )
    if identity is None:
        return None
    return await Person.filter(id=identity.person_id, active=True).using_db(conn).first()


async def load_member(person_id: int, conn: BaseDBAsyncClient | None = None) -> Member | None:
    found = await load_members([person_id], conn)
    return found[0] if found else None


async def load_members(
    person_ids: Iterable[int], conn: BaseDBAsyncClient | None = None
) -> list[Member]:
    """Several people in three queries, in the order asked (unknown ids left out).

    The duty flow's escalations and re-notifications name everyone an alert reached while
    holding the audit lock; one ``load_member`` each made that three queries a person."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return []
    people = {p.id: p for p in await Person.filter(id__in=ids).using_db(conn)}
    units = {
        u.id: u
        for u in await Unit.filter(id__in={p.unit_id for p in people.values()}).using_db(conn)
    }
    roles: dict[int, set[Role]] = {}
    rows = (
        await PersonRole.filter(person_id__in=list(people))
        .using_db(conn)
        .values_list("person_id", "role")
    )
    for person_id, role in rows:
        roles.setdefault(int(str(person_id)), set()).add(Role(str(role)))
    return [
        Member(person=people[i], unit=units[people[i].unit_id], roles=frozenset(roles.get(i, ())))
        for i in ids
        if i in people and people[i].unit_id in units
    ]


async def names_of(
    person_ids: Iterable[int], conn: BaseDBAsyncClient | None = None
) -> dict[int, str]:
    """Person id → name, in one query (for cards that only name people)."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = await Person.filter(id__in=ids).using_db(conn).values_list("id", "name")
    return {int(str(i)): str(n) for i, n in rows}


async def members_with_role(
    unit_id: int, role: Role, conn: BaseDBAsyncClient | None = None
) -> list[Member]:
    """Active people of exactly this unit holding the role, in a stable order."""
    person_ids = (
        await PersonRole.filter(role=role, person__unit_id=unit_id, person__active=True)
        .using_db(conn)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    return await load_members((int(str(pid)) for pid in person_ids), conn)


async def unit_chain(unit_id: int, conn: BaseDBAsyncClient | None = None) -> list[Unit]:
    """The unit and its parents up to the top (an internal office, then its bureau, ...)."""
    chain: list[Unit] = []
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        unit = await Unit.filter(id=current).using_db(conn).first()
        if unit is None:
            break
        chain.append(unit)
        current = unit.parent_id
    return chain


async def nearest_with_role(
    unit_id: int,
    role: Role,
    conn: BaseDBAsyncClient | None = None,
    exclude: Iterable[int] = (),
) -> list[Member]:
    """People with the role in the unit, else in its parent, and so on upwards.

    A section chief sits in the internal office; deputy and principal leaders sit in the
    bureau above it, so approvers are found by walking up the unit tree.
    """
    excluded = set(exclude)
    for unit in await unit_chain(unit_id, conn):
        found = [m for m in await members_with_role(unit.id, role, conn) if m.id not in excluded]
        if found:
            return found
    return []


async def owning_unit(unit_id: int, conn: BaseDBAsyncClient | None = None) -> Unit:
    """The first unit up the tree that is not an internal office (the account subject)."""
    chain = await unit_chain(unit_id, conn)
    for unit in chain:
        if not unit.is_internal_office:
            return unit
    return chain[-1]


async def identity_for(
    person_id: int, platform: Platform, conn: BaseDBAsyncClient | None = None
) -> Identity | None:
    """The identity used to address a person on a platform (Feishu prefers open_id)."""
    rows = await Identity.filter(person_id=person_id, platform=platform).using_db(conn)
    if not rows:
        return None
    preference = [IdentityKind.OPEN_ID, IdentityKind.USER_ID, IdentityKind.UNION_ID]
    rows.sort(key=lambda r: preference.index(r.kind) if r.kind in preference else -1)
    return rows[0]


async def chats_of(person_id: int, conn: BaseDBAsyncClient | None = None) -> list[Chat]:
    chat_ids = (
        await ChatMember.filter(person_id=person_id)
        .using_db(conn)
        .values_list("chat_id", flat=True)
    )
    return await Chat.filter(id__in=list(chat_ids), active=True).using_db(conn).order_by("id")


async def unit_chat(
    unit_id: int, purpose: ChatPurpose, conn: BaseDBAsyncClient | None = None
) -> Chat | None:
    """The unit's group for a purpose, looking up the unit tree if the office has none."""
    for unit in await unit_chain(unit_id, conn):
        chat = (
            await Chat.filter(unit_id=unit.id, purpose=purpose, active=True)
            .using_db(conn)
            .order_by("id")
            .first()
        )
        if chat is not None:
            return chat
    return None


async def chat_by_ref(
    platform: Platform, chat_ref: str, conn: BaseDBAsyncClient | None = None
) -> Chat | None:
    """The chat behind a platform group id (console chat key or Feishu chat_id)."""
    if platform == Platform.CONSOLE:
        return await Chat.filter(key=chat_ref, active=True).using_db(conn).first()
    if platform == Platform.FEISHU:
        return await Chat.filter(feishu_chat_id=chat_ref, active=True).using_db(conn).first()
    if platform == Platform.WECOM_BOT:
        return await Chat.filter(wecom_chat_id=chat_ref, active=True).using_db(conn).first()
    return None
