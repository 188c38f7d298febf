"""Feishu adapter tests: the fake Feishu and the bot configured for it
(the fixtures live in tests/support/feishu.py)."""

from tests.support.feishu import (  # noqa: F401  (pytest finds fixtures by name)
    bot_client,
    events_url,
    fake_feishu,
    feishu,
)
