"""Who is looking, and what they may see.

A supervisor (主管单位工作人员), a system administrator and an operator's token see the
whole district. A unit's leaders and its registry clerk (主要领导, 分管领导, 科室负责人,
备案经办人) see their own unit: the body they belong to and its internal offices. Duty
officers and duty leads see the duty page of their teams. Anything else is refused with 403
before a single row is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from aiohttp import web
from tortoise import connections

from bot.core.directory import Member, load_member, owning_unit
from bot.flows.duty.people import teams_led_by, teams_of
from storage.enums import Role
from storage.models.dash import DashToken
from storage.models.org import Unit

DISTRICT_ROLES = frozenset({Role.SUPERVISOR_STAFF, Role.ADMIN})
UNIT_ROLES = frozenset({Role.PRINCIPAL, Role.DEPUTY_LEADER, Role.SECTION_CHIEF, Role.CLERK})
DUTY_ROLES = frozenset({Role.DUTY_OFFICER, Role.DUTY_LEAD})


class Page(StrEnum):
    HOME = "home"
    REGISTRY = "registry"
    FILINGS = "filings"
    REVIEWS = "reviews"
    RECTIFICATIONS = "rectifications"
    DUTY = "duty"
    AUDIT = "audit"
    REPORTS = "reports"

    @property
    def label(self) -> str:
        return PAGE_LABELS[self]


PAGE_LABELS = {
    Page.HOME: "概览",
    Page.REGISTRY: "账号台账",
    Page.FILINGS: "备案办理",
    Page.REVIEWS: "稿件审核",
    Page.RECTIFICATIONS: "整改通知",
    Page.DUTY: "值班",
    Page.AUDIT: "审计日志",
    Page.REPORTS: "报表",
}

# Pages whose rows belong to units: a unit-level viewer sees their unit's rows.
UNIT_PAGES = frozenset(
    {Page.REGISTRY, Page.FILINGS, Page.REVIEWS, Page.RECTIFICATIONS, Page.REPORTS}
)
# Who may open a page besides district viewers, said on the 403 page.
PAGE_WHO = {
    Page.REGISTRY: "主管单位工作人员、各单位领导与备案经办人",
    Page.FILINGS: "主管单位工作人员、各单位领导与备案经办人",
    Page.REVIEWS: "主管单位工作人员、各单位领导与备案经办人",
    Page.RECTIFICATIONS: "主管单位工作人员、各单位领导与备案经办人",
    Page.DUTY: "主管单位工作人员、值班员与值班长",
    Page.AUDIT: "主管单位工作人员与系统管理员",
    Page.REPORTS: "主管单位工作人员、各单位领导与备案经办人",
}


@dataclass(frozen=True)
class Viewer:
    """A signed-in person (or operator token) with the scope of what they see."""

    name: str
    description: str  # 区政府办公室 · 主管单位工作人员 / 运维令牌
    member: Member | None
    district: bool
    # The units a unit-level viewer sees (their body and its internal offices).
    unit_ids: frozenset[int]
    home_unit_id: int | None
    duty_team_ids: frozenset[int]

    def may(self, page: Page) -> bool:
        if page is Page.HOME:
            return True
        if self.district:
            return True
        if page in UNIT_PAGES:
            return bool(self.unit_ids)
        if page is Page.DUTY:
            return bool(self.duty_team_ids)
        return False

    def pages(self) -> list[Page]:
        return [p for p in Page if self.may(p)]

    def sees_unit(self, unit_id: int) -> bool:
        return self.district or unit_id in self.unit_ids


class Forbidden(web.HTTPForbidden):
    """A page or a row the viewer has no right to (rendered as the 403 page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason="Forbidden")
        self.why = reason


def require(viewer: Viewer, page: Page) -> None:
    if not viewer.may(page):
        who = PAGE_WHO.get(page, "有权限的人员")
        raise Forbidden(f"「{page.label}」仅{who}可查看。您可查看的页面在上方菜单中。")


def require_unit(viewer: Viewer, unit_id: int) -> None:
    if not viewer.sees_unit(unit_id):
        raise Forbidden("您只能查看本单位的数据。查看全区数据请联系主管单位。")


async def viewer_for_person(person_id: int, day: date) -> Viewer | None:
    member = await load_member(person_id)
    if member is None or not member.person.active:
        return None
    district = member.has(*DISTRICT_ROLES)
    unit_ids: frozenset[int] = frozenset()
    home: Unit | None = None
    if member.has(*UNIT_ROLES) or district:
        home = await owning_unit(member.unit.id)
        offices = await Unit.filter(parent_id=home.id, is_internal_office=True).values_list(
            "id", flat=True
        )
        unit_ids = frozenset({home.id, *(int(str(u)) for u in offices)})
    teams: frozenset[int] = frozenset()
    if member.has(*DUTY_ROLES):
        teams = await _duty_teams(member, day)
    roles = "、".join(r.label for r in sorted(member.roles, key=list(Role).index))
    return Viewer(
        name=member.name,
        description=f"{member.unit.name} · {roles or '无角色'}",
        member=member,
        district=district,
        unit_ids=unit_ids,
        home_unit_id=home.id if home is not None else None,
        duty_team_ids=teams,
    )


async def _duty_teams(member: Member, day: date) -> frozenset[int]:
    """The teams the person is rostered in or leads (the duty flow's own answer)."""
    conn = connections.get("default")
    teams = await teams_of(conn, member.id, day)
    teams += await teams_led_by(conn, member)
    return frozenset(t.id for t in teams)


async def viewer_for_token(token_id: int) -> Viewer | None:
    token = await DashToken.filter(id=token_id, revoked=False).first()
    if token is None:
        return None
    return Viewer(
        name=token.name,
        description="运维令牌 · 全区只读",
        member=None,
        district=True,
        unit_ids=frozenset(),
        home_unit_id=None,
        duty_team_ids=frozenset(),
    )
