"""Three-level review (三审三校): posts, their versions, review steps and account updates."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class PostStatus(StrEnum):
    DRAFT = "draft"  # written, the pre-review check shown, not yet sent to reviewers
    IN_REVIEW = "in_review"
    RETURNED = "returned"  # 退回修改: the author edits and resubmits as a new version
    APPROVED = "approved"  # 可发布: every level passed (先审后发)
    REJECTED = "rejected"  # 不予发布
    WITHDRAWN = "withdrawn"  # 撤回 by the author
    PUBLISHED = "published"  # 已发布, with the link

    @property
    def label(self) -> str:
        return POST_STATUS_LABELS[self]


POST_STATUS_LABELS = {
    PostStatus.DRAFT: "待送审",
    PostStatus.IN_REVIEW: "审核中",
    PostStatus.RETURNED: "已退回修改",
    PostStatus.APPROVED: "可发布",
    PostStatus.REJECTED: "不予发布",
    PostStatus.WITHDRAWN: "已撤回",
    PostStatus.PUBLISHED: "已发布",
}


class StepStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # the post was withdrawn while this level waited

    @property
    def label(self) -> str:
        return {
            StepStatus.PENDING: "待审核",
            StepStatus.APPROVED: "通过",
            StepStatus.RETURNED: "退回修改",
            StepStatus.REJECTED: "不予发布",
            StepStatus.CANCELLED: "已撤回",
        }[self]


class Post(Model):
    """A post submitted for review, its levels snapshotted from the preset at submission."""

    id = fields.IntField(primary_key=True)
    author_id = fields.IntField(db_index=True)
    # Where the author submitted: their notifications go back there.
    author_platform = fields.CharField(max_length=16, default="")
    unit_id = fields.IntField()  # the author's unit (its roles make the review chain)
    title = fields.CharField(max_length=200)
    status = fields.CharEnumField(PostStatus, max_length=16, default=PostStatus.DRAFT)
    version = fields.IntField(default=1)  # the current version's number
    level = fields.IntField(default=0)  # index of the level now pending
    # [{"name": "初审", "roles": ["section_chief"], "duty": "…", "consent": false}, …]
    levels: Any = fields.JSONField(default=list)
    checks: Any = fields.JSONField(default=list)  # 关 each reviewer vouches for
    policy_id = fields.CharField(max_length=32)
    account_ids: Any = fields.JSONField(default=list)
    repost = fields.BooleanField(default=False)
    source = fields.CharField(max_length=300, default="")
    major_policy = fields.BooleanField(default=False)
    allow_same_person = fields.BooleanField(default=False)
    last_urged_at = fields.DatetimeField(null=True)
    published_link = fields.CharField(max_length=1000, null=True)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "review_post"
        # The dashboard lists posts in review, per unit.
        indexes = (("status", "unit_id"),)


class PostVersion(Model):
    """One version of the text, with its pre-review check and the reason to submit anyway."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="versions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    title = fields.CharField(max_length=200)
    text = fields.TextField()
    link = fields.CharField(max_length=1000, default="")
    findings: Any = fields.JSONField(default=list)
    override_reason = fields.TextField(default="")  # 仍然送审: why the findings stay
    # Images and files sent with this version: FileRef dicts (see bot/files.py).
    attachments: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField()

    post_id: int

    class Meta:
        table = "review_post_version"
        unique_together = (("post", "number"),)


class ReviewStep(Model):
    """One level of one version: who must decide, who did, what and when."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="steps", on_delete=fields.CASCADE
    )
    version = fields.IntField()
    level = fields.IntField()
    level_name = fields.CharField(max_length=50)
    approver_id = fields.IntField()
    # The approver this step was handed over from (转交) or escalated from.
    delegated_from_id = fields.IntField(null=True)
    status = fields.CharEnumField(StepStatus, max_length=16, default=StepStatus.PENDING)
    decided_by_id = fields.IntField(null=True)
    decided_at = fields.DatetimeField(null=True)
    comment = fields.TextField(default="")
    checks: Any = fields.JSONField(default=list)  # the 关 vouched for by an approval
    card_id = fields.CharField(max_length=64, null=True)
    deadline_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    post_id: int

    class Meta:
        table = "review_step"
        # The level waiting of each post in review (the dashboard); the periodic reports read
        # one period's decisions (review turnaround per level).
        indexes = (("post_id", "status"), ("status", "created_at"), ("decided_at",))


class AccountUpdate(Model):
    """A publication on an account (已发布): the data for update-frequency thresholds."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(db_index=True)
    post_id = fields.IntField(null=True)
    link = fields.CharField(max_length=1000)
    published_at = fields.DatetimeField(db_index=True)
    reported_by_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "account_update"
