"""The Feishu adapter's fixtures (fake Feishu API, signed events), shared with its own tests."""

from tests.adapters.feishu.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    bot_client,
    events_url,
    fake_feishu,
    feishu,
)
