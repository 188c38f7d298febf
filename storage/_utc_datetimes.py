"""Store and compare every aware datetime in UTC.

tortoise 1.1 writes an aware datetime to SQLite as text with whatever offset it carries and
compares filter values as text, so ``received_at < 10:00+08:00`` against a row stored as
``02:00+00:00`` gives wrong answers. Our clocks hand out Asia/Shanghai times, so without this
every deadline and retry comparison on SQLite would be off by eight hours. Converting in
``to_db_value`` (used for inserts, updates and filter values alike) fixes it for every model;
PostgreSQL's timestamptz is unaffected. Tested by tests/integration/test_utc_storage.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.fields.data import DatetimeField

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    original = DatetimeField.to_db_value

    def to_db_value(self: DatetimeField[Any], value: Any, instance: Any) -> Any:
        result = original(self, value, instance)
        if isinstance(result, dt.datetime) and result.tzinfo is not None:
            return result.astimezone(dt.UTC)
        return result

    DatetimeField.to_db_value = to_db_value  # type: ignore[method-assign]  # the patch this module exists for
    _installed = True
