"""Machinery every flow relies on: audit log, conversations, inbound dedupe, outbox, cards."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from storage.enums import CardStatus, InboundStatus, OutboxStatus


class AuditEntry(Model):
    """Append-only, hash-chained record of every state change (see storage/audit.py)."""

    id = fields.BigIntField(primary_key=True)
    seq = fields.BigIntField(unique=True)
    at = fields.DatetimeField()
    actor_id = fields.IntField(
        null=True
    )  # person id; None for the system (deadline engine, loaders)
    actor_label = fields.CharField(max_length=100)
    action = fields.CharField(max_length=100, db_index=True)
    subject_type = fields.CharField(max_length=50)
    subject_id = fields.CharField(max_length=100)
    detail: Any = fields.JSONField(default=dict)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_entry"
        indexes = (("subject_type", "subject_id"), ("at",))


class Conversation(Model):
    """A multi-turn exchange in progress (a half-filled form), one per person per place."""

    id = fields.IntField(primary_key=True)
    person_id = fields.IntField()
    place = fields.CharField(max_length=200)  # neutral place key, e.g. "console:dm"
    flow = fields.CharField(max_length=50)
    step = fields.CharField(max_length=50)
    data: Any = fields.JSONField(default=dict)
    version = fields.IntField(default=1)
    started_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "conversation"
        unique_together = (("person_id", "place"),)


class InboundEvent(Model):
    """Every delivery the platforms sent, keyed for dedupe, and a durable work queue."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    platform = fields.CharField(max_length=16)
    status = fields.CharEnumField(InboundStatus, max_length=16, default=InboundStatus.RECEIVED)
    payload: Any = fields.JSONField()
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)
    error = fields.TextField(default="")

    class Meta:
        table = "inbound_event"
        indexes = (("status", "received_at"),)


class OutboxMessage(Model):
    """An outgoing message: written with the state change, delivered later by the worker."""

    id = fields.BigIntField(primary_key=True)
    idempotency_key = fields.CharField(max_length=255, unique=True)
    platform = fields.CharField(max_length=16)
    target_kind = fields.CharField(max_length=16)  # "person" | "chat"
    target_id = fields.IntField()
    payload: Any = fields.JSONField()
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    external_id = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    # The first failed attempt of the current run of failures: the retry budget counts from it.
    failing_since = fields.DatetimeField(null=True)
    # When the outbox stopped retrying (status failed), so admins are told about it once.
    given_up_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        # (platform, target…): each delivery looks up its target's oldest unsent row, and
        # without this that was a scan of every pending row — quadratic in a backlog (the
        # duty benchmark's hour of escalations: 39 ms a lookup at 18,000 pending rows).
        indexes = (
            ("status", "next_attempt_at"),
            ("platform", "target_kind", "target_id", "status"),
        )


class CardRecord(Model):
    """An interactive card: who may act on it and its current neutral content."""

    id = fields.CharField(max_length=64, primary_key=True)
    kind = fields.CharField(max_length=50)
    subject_type = fields.CharField(max_length=50, default="")
    subject_id = fields.CharField(max_length=100, default="")
    allowed_person_ids: Any = fields.JSONField(default=list)
    # [[platform, target_kind, target_id], ...] the card was sent to; updates follow it there.
    targets: Any = fields.JSONField(default=list)
    content: Any = fields.JSONField()
    status = fields.CharEnumField(CardStatus, max_length=16, default=CardStatus.OPEN)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "card_record"
        indexes = (("subject_type", "subject_id"),)


class CardDelivery(Model):
    """Where a card was delivered, with what each platform needs to update it later."""

    id = fields.BigIntField(primary_key=True)
    card: fields.ForeignKeyRelation[CardRecord] = fields.ForeignKeyField(
        "models.CardRecord", related_name="deliveries", on_delete=fields.CASCADE
    )
    platform = fields.CharField(max_length=16)
    target_kind = fields.CharField(max_length=16)
    target_id = fields.IntField()
    external_id = fields.CharField(max_length=255, null=True)
    # WeCom response_code / Feishu callback token: one-shot update credentials.
    update_token = fields.CharField(max_length=255, null=True)
    update_token_expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    card_id: str

    class Meta:
        table = "card_delivery"


class ConsoleMessage(Model):
    """The console simulator's chat transcript (both sides)."""

    id = fields.BigIntField(primary_key=True)
    chat = fields.CharField(max_length=100, db_index=True)  # "dm:<person_key>" | "group:<chat_key>"
    # Set for bot messages: a redelivered outbox row must not show twice.
    outbox_id = fields.BigIntField(null=True, unique=True)
    sender_person_id = fields.IntField(null=True)  # None = the bot
    text = fields.TextField(default="")
    card: Any = fields.JSONField(null=True)
    card_id = fields.CharField(max_length=64, null=True, db_index=True)
    mentions: Any = fields.JSONField(default=list)
    # [{"file_id", "name", "size"}] — documents sent with the message (e.g. a filled 备案表).
    files: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "console_message"


class SystemState(Model):
    """Small named values the whole deployment shares (e.g. the demo clock offset)."""

    key = fields.CharField(max_length=100, primary_key=True)
    value: Any = fields.JSONField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "system_state"


class BotConversation(Model):
    """A WeCom intelligent-robot conversation someone has written in.

    The robot may push into a conversation only after a person wrote there (WeCom's rule), so
    the outbox asks this table before posting. It also lists groups not yet in the org file.
    """

    # The group's chatid, or the person's userid for a single chat.
    conversation_id = fields.CharField(max_length=128, primary_key=True)
    chat_type = fields.CharField(max_length=8)  # "group" | "single"
    first_message_at = fields.DatetimeField()
    last_message_at = fields.DatetimeField()
    last_sender = fields.CharField(max_length=128, default="")
    # Callback mode: the newest message's response_url (one use, valid 1 h), when unused.
    response_url = fields.TextField(null=True)
    response_url_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bot_conversation"


class StoredFile(Model):
    """A document the bot produced or received (a filled 备案表, a rectification letter)."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=255)
    mime = fields.CharField(max_length=100)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    subject_type = fields.CharField(max_length=50, default="")
    subject_id = fields.CharField(max_length=100, default="")
    created_by = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "stored_file"
        indexes = (("subject_type", "subject_id"),)


class WorkerHeartbeat(Model):
    """A worker process saying it is alive, read by /healthz and dutybot doctor."""

    id = fields.CharField(max_length=100, primary_key=True)  # host:pid:random
    hostname = fields.CharField(max_length=255)
    pid = fields.IntField()
    started_at = fields.DatetimeField()
    beat_at = fields.DatetimeField()
    redis_ok = fields.BooleanField(default=True)
    note = fields.TextField(default="")

    class Meta:
        table = "worker_heartbeat"


class StoredFileContent(Model):
    """The bytes of a stored file, in the database so that every replica reaches them.

    A table of its own so that reading a file's name or size never loads its content. Files
    are at most 20 MB (the upload cap), which PostgreSQL bytea and SQLite BLOB hold well.
    """

    file_id = fields.CharField(max_length=64, primary_key=True)
    data = fields.BinaryField()

    class Meta:
        table = "stored_file_content"
