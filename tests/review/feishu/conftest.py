"""The Feishu fixtures (fake Feishu API, signed events) from tests/support."""

from tests.support.feishu import (  # noqa: F401  (pytest finds fixtures by name)
    bot_client,
    events_url,
    fake_feishu,
    feishu,
)
