"""Persistence: tortoise-orm models, migrations, the audit chain and repositories."""

from storage import _utc_datetimes

_utc_datetimes.install()
