"""The review chain: levels from the policy and who may approve each of them."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.directory import Member, nearest_with_role
from bot.flows.review.base import ReviewError
from bot.policy.model import Policy
from storage.enums import Role
from storage.models.review import Post, ReviewStep, StepStatus


def levels_from_policy(policy: Policy, *, major_policy: bool) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = [
        {"name": lv.name, "roles": [r.value for r in lv.roles], "duty": lv.duty, "consent": False}
        for lv in policy.review.levels.levels
    ]
    if major_policy and needs_consent(policy):
        # beibei 第五章: 区级重大公共政策 needs 区委、区政府 consent; the unit's principal
        # records it after the final level, before the post may be published.
        levels.append(
            {
                "name": "重大政策报批",
                "roles": [Role.PRINCIPAL.value],
                "duty": policy.review.extra_approval.value,
                "consent": True,
            }
        )
    return levels


def needs_consent(policy: Policy) -> bool:
    return policy.review.extra_approval.value.strip() not in ("", "无")


def level_roles(level: dict[str, Any]) -> list[Role]:
    return [Role(r) for r in level["roles"]]


async def candidates(
    conn: BaseDBAsyncClient, unit_id: int, level: dict[str, Any], exclude: set[int]
) -> list[Member]:
    """People who may take a level: its roles, nearest up the unit tree, minus ``exclude``."""
    found: list[Member] = []
    for role in level_roles(level):
        for member in await nearest_with_role(unit_id, role, conn, exclude=exclude):
            if member.id not in {m.id for m in found}:
                found.append(member)
    return found


async def plan_chain(
    conn: BaseDBAsyncClient,
    *,
    author_id: int,
    unit_id: int,
    levels: list[dict[str, Any]],
    allow_same_person: bool,
) -> list[Member]:
    """The approver of each level as things stand; ``ReviewError`` when a level has nobody."""
    chosen: list[Member] = []
    for level in levels:
        exclude = {author_id}
        if not allow_same_person and not level.get("consent"):
            exclude |= {m.id for m in chosen}
        found = await candidates(conn, unit_id, level, exclude)
        if not found:
            roles = "或".join(r.label for r in level_roles(level))
            extra = (
                "（同一人不得审核同一稿件的两个层级，送审人也不能审核自己的稿件）"
                if not allow_same_person
                else "（送审人不能审核自己的稿件）"
            )
            raise ReviewError(
                f"本单位找不到可以担任{level['name']}（{roles}）的人员{extra}。"
                "请联系管理员在组织名单中补充审核人员。"
            )
        chosen.append(found[0])
    return chosen


async def earlier_approvers(conn: BaseDBAsyncClient, post: Post) -> set[int]:
    rows = await ReviewStep.filter(
        post_id=post.id, version=post.version, status=StepStatus.APPROVED
    ).using_db(conn)
    return {int(r.decided_by_id) for r in rows if r.decided_by_id is not None}
