"""The WeCom fixtures (fake WeCom API with its sign-in pages) from tests/support."""

from tests.support.wecom import (  # noqa: F401  (pytest finds fixtures by name)
    aes_key,
    bot_client,
    fake_wecom,
    wecom,
)
