"""WeCom adapter tests: the fake WeCom and the bot with the WeCom channel on
(the fixtures live in tests/support/wecom.py)."""

from tests.support.wecom import (  # noqa: F401  (pytest finds fixtures by name)
    aes_key,
    bot_client,
    fake_wecom,
    platform,
    wecom,
)
