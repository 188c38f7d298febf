"""The supervisor dashboard (/dash): operators' sign-in tokens."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DashToken(Model):
    """An operator's sign-in token for /dash, kept only as its SHA-256 hash.

    It is for people with no chat identity (operators, auditors) and sees what a system
    administrator sees: the whole district."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked = fields.BooleanField(default=False)

    class Meta:
        table = "dash_token"
