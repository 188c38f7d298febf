"""Persistence: tortoise-orm models, migrations, the audit chain and repositories."""

from storage import _sqlite_immediate, _utc_datetimes

_utc_datetimes.install()
_sqlite_immediate.install()
