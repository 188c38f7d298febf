"""The WeCom adapter's fixtures (fake WeCom API, signed callbacks), shared with its own tests."""

from tests.adapters.wecom.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    aes_key,
    bot_client,
    fake_wecom,
    platform,
    wecom,
)
from tests.adapters.wecom.test_e2e import stack  # noqa: F401
