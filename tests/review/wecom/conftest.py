"""The WeCom fixtures (fake WeCom API, signed callbacks) from tests/support."""

from tests.support.processes import stack  # noqa: F401  (pytest finds fixtures by name)
from tests.support.wecom import (  # noqa: F401
    aes_key,
    bot_client,
    fake_wecom,
    platform,
    wecom,
)
