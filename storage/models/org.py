"""The organisation directory: units, people, their platform identities, chats and accounts."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from storage.enums import (
    AccountStatus,
    ChatPurpose,
    IdentityKind,
    MediaPlatform,
    Platform,
    Role,
    UnitKind,
)


class Unit(Model):
    """A government body or one of its internal offices (科室)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(UnitKind, max_length=32, default=UnitKind.GOVERNMENT)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    # The competent authority (主管单位) that approves this unit's filings.
    supervisor: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="supervised", null=True, on_delete=fields.RESTRICT
    )
    is_internal_office = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)
    # Short forms people also write (区文旅委) and names it had before (a renamed bureau):
    # the pre-review 纠错 accepts the first and points the second to ``name``.
    aliases: Any = fields.JSONField(default=list)
    former_names: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    parent_id: int | None
    supervisor_id: int | None

    class Meta:
        table = "unit"


class Person(Model):
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="people", on_delete=fields.RESTRICT
    )
    phone = fields.CharField(max_length=32, null=True)
    title = fields.CharField(max_length=100, null=True)
    # Where notifications go when the person has identities on several platforms.
    preferred_platform = fields.CharEnumField(Platform, max_length=16, null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    unit_id: int

    class Meta:
        table = "person"


class PersonRole(Model):
    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="role_rows", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=32)

    person_id: int

    class Meta:
        table = "person_role"
        unique_together = (("person", "role"),)


class Identity(Model):
    """How a person is known on a chat platform (WeCom userid, Feishu open_id, console handle)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="identities", on_delete=fields.CASCADE
    )
    platform = fields.CharEnumField(Platform, max_length=16)
    kind = fields.CharEnumField(IdentityKind, max_length=16)
    value = fields.CharField(max_length=128)

    person_id: int

    class Meta:
        table = "identity"
        unique_together = (("platform", "kind", "value"),)


class Chat(Model):
    """A group chat the bot posts into (review group, duty group, supervision group)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    purpose = fields.CharEnumField(ChatPurpose, max_length=16, default=ChatPurpose.GENERAL)
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="chats", null=True, on_delete=fields.RESTRICT
    )
    # WeCom self-built apps cannot post cards into groups; a group robot can post @-mentions.
    wecom_webhook_key = fields.CharField(max_length=128, null=True)
    feishu_chat_id = fields.CharField(max_length=128, null=True, unique=True)
    # The group's chatid for WeCom's intelligent robot, which can post tappable cards.
    wecom_chat_id = fields.CharField(max_length=128, null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    unit_id: int | None

    class Meta:
        table = "chat"


class ChatMember(Model):
    id = fields.IntField(primary_key=True)
    chat: fields.ForeignKeyRelation[Chat] = fields.ForeignKeyField(
        "models.Chat", related_name="members", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="chat_memberships", on_delete=fields.CASCADE
    )

    chat_id: int
    person_id: int

    class Meta:
        table = "chat_member"
        unique_together = (("chat", "person"),)


class Account(Model):
    """A government new-media account (政务新媒体) in the registry (台账)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    platform = fields.CharEnumField(MediaPlatform, max_length=16)
    # Named platform when platform is OTHER (备案表: 其他第三方平台须说明平台的具体名称).
    platform_name = fields.CharField(max_length=100, null=True)
    platform_account_id = fields.CharField(max_length=200, null=True)
    owner_unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="accounts", on_delete=fields.RESTRICT
    )
    # 承办单位: an internal office or contractor running the account day to day.
    operator_unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="operated_accounts", null=True, on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(AccountStatus, max_length=16, default=AccountStatus.RUNNING)
    manager_name = fields.CharField(max_length=100, null=True)  # 运营主管负责人
    manager_phone = fields.CharField(max_length=32, null=True)
    # [{"name": ..., "phone": ...}] — 运营人员
    operators: Any = fields.JSONField(default=list)
    url = fields.CharField(max_length=500, null=True)
    opened_on = fields.DateField(null=True)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    owner_unit_id: int
    operator_unit_id: int | None

    class Meta:
        table = "account"

    @property
    def platform_label(self) -> str:
        """微信, 抖音 …; a platform outside the list by its own name: 其他（今日头条）."""
        label = MediaPlatform(self.platform).label
        if self.platform == MediaPlatform.OTHER and self.platform_name:
            label = f"其他（{self.platform_name}）"
        return label

    @property
    def label(self) -> str:
        """How every flow names an account to people: 临江文旅（微信）."""
        return f"{self.name}（{self.platform_label}）"
