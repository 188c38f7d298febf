"""Which database errors make dispatch rerun a delivery (see bot/core/dispatch.py)."""

from __future__ import annotations

import asyncpg
from tortoise.exceptions import IntegrityError, OperationalError

from bot.dispatch import is_transient


def _wrapped(driver_error: Exception) -> OperationalError:
    # tortoise re-raises the driver's error as its own, chained: as it arrives in dispatch.
    try:
        try:
            raise driver_error
        except Exception as exc:
            raise OperationalError(exc) from exc
    except OperationalError as outer:
        return outer


def test_a_deadlock_or_serialization_failure_is_retried() -> None:
    assert is_transient(_wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")))
    assert is_transient(_wrapped(asyncpg.exceptions.SerializationError("could not serialize")))


def test_real_errors_are_not_retried() -> None:
    assert not is_transient(_wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")))
    assert not is_transient(IntegrityError("duplicate key"))
    assert not is_transient(ValueError("a bug"))
