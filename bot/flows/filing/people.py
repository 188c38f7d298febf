"""Who acts on a filing: the approval chain of its unit, who is informed, who took part."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.directory import Member, members_with_role
from bot.flows.filing.model import HEAD_LEVEL, SUPERVISOR_LEVEL
from bot.policy.model import Policy
from storage.enums import ChatPurpose, Role
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Unit


@dataclass(frozen=True)
class Level:
    """One step of the chain: its opinion's title, the unit deciding, who may decide, and the
    unit's group that sees the card."""

    title: str  # 主办单位意见 / 备案主管单位意见
    unit: Unit
    approvers: list[Member]
    chat_purpose: ChatPurpose

    @property
    def short(self) -> str:
        """主办单位 / 备案主管单位: the level as a sentence names it."""
        return self.title.removesuffix("意见")


async def chain(conn: BaseDBAsyncClient, unit: Unit) -> list[Level]:
    """The unit's 主要负责人 first, then the staff of its supervising unit (if it has one)."""
    heads = await members_with_role(unit.id, Role.PRINCIPAL, conn)
    levels = [Level(HEAD_LEVEL, unit, heads, ChatPurpose.REVIEW)]
    if unit.supervisor_id is not None:
        supervisor = await Unit.filter(id=unit.supervisor_id).using_db(conn).get()
        staff = await members_with_role(supervisor.id, Role.SUPERVISOR_STAFF, conn)
        levels.append(Level(SUPERVISOR_LEVEL, supervisor, staff, ChatPurpose.SUPERVISION))
    return levels


async def chain_of(conn: BaseDBAsyncClient, filing: Filing) -> list[Level]:
    unit = await Unit.filter(id=filing.unit_id).using_db(conn).get()
    return await chain(conn, unit)


async def chain_problem(conn: BaseDBAsyncClient, unit: Unit) -> str:
    """Why a filing of the unit could never be approved (a level without anyone), or ""."""
    for level in await chain(conn, unit):
        if not level.approvers:
            who = "主要负责人" if level.title == HEAD_LEVEL else "主管单位工作人员"
            return (
                f"{level.unit.name}没有登记{who}，备案无法送审。"
                "请联系系统管理员在组织名单中补充后再办理。"
            )
    return ""


async def informed(conn: BaseDBAsyncClient, policy: Policy) -> list[Member]:
    """People the preset says are informed of filings (e.g. 网信办), beyond the approvers."""
    recipients = policy.filing.recipients.items
    people: list[Member] = []
    if any("网信" in r for r in recipients):
        for unit in await Unit.filter(name__contains="网信", active=True).using_db(conn):
            people += await members_with_role(unit.id, Role.SUPERVISOR_STAFF, conn)
    return people


async def involved(conn: BaseDBAsyncClient, filing: Filing) -> list[Member]:
    """Who holds a card of the step now waiting, and who decided in this round: the people to
    tell when the filing ends before its final decision."""
    levels = await chain_of(conn, filing)
    people: dict[int, Member] = {}
    if filing.status == FilingStatus.PENDING and filing.step < len(levels):
        people |= {m.id: m for m in levels[filing.step].approvers}
    acted = {
        int(op["person_id"]) for op in filing.opinions or [] if op.get("round") == filing.round
    }
    for level in levels:
        people |= {m.id: m for m in level.approvers if m.id in acted}
    return list(people.values())
