"""The Feishu fixtures (fake Feishu API with its OAuth endpoints) from tests/support."""

from tests.support.feishu import bot_client, fake_feishu, feishu  # noqa: F401
